import {afterEach, describe, expect, it} from 'vitest';
import {LiveFrames} from '../../src/vnc/live-frames.js';
import {FakeRfbServer, patternPixel} from '../fakes/fake-rfb-server.js';

/** The fake's pattern pixel as the framebuffer stores it (0x00RRGGBB). */
const expected = (x: number, y: number): number => {
  const [b, g, r] = patternPixel(x, y);
  return (r << 16) | (g << 8) | b;
};

describe('LiveFrames (against a fake RFB server)', () => {
  let server: FakeRfbServer | undefined;
  let frames: LiveFrames | undefined;
  afterEach(async () => {
    frames?.stop();
    await server?.close();
  });

  it('fills the framebuffer and keeps asking for incremental updates', async () => {
    server = await FakeRfbServer.start({width: 64, height: 32, updateRect: {x: 0, y: 0, width: 4096, height: 4096}});
    frames = new LiveFrames({host: '127.0.0.1', port: server.port}, {maxFps: 200});
    await frames.nextFrame();
    expect(frames.state).toBe('live');
    expect([frames.framebuffer.width, frames.framebuffer.height]).toEqual([64, 32]);
    expect(frames.framebuffer.pixels[5 * 64 + 7]).toBe(expected(7, 5));
    await server.waitFor(() => server!.last.updateRequests.filter((r) => r.incremental).length >= 3);
    expect(server.last.updateRequests[0]).toMatchObject({incremental: false, width: 64, height: 32});
  });

  it('follows a resolution switch', async () => {
    server = await FakeRfbServer.start({width: 64, height: 32, updateRect: {x: 0, y: 0, width: 4096, height: 4096}});
    frames = new LiveFrames({host: '127.0.0.1', port: server.port}, {maxFps: 200});
    await frames.nextFrame();
    server.sendDesktopSize(80, 48);
    await server.waitFor(() => frames!.framebuffer.width === 80);
    await frames.nextFrame();
    await frames.nextFrame();
    expect(frames.framebuffer.height).toBe(48);
    expect(frames.framebuffer.pixels[47 * 80 + 79]).toBe(expected(79, 47));
  });

  it('reconnects after the server drops it, and keys fail clearly meanwhile', async () => {
    server = await FakeRfbServer.start({width: 16, height: 16});
    frames = new LiveFrames({host: '127.0.0.1', port: server.port}, {maxFps: 200});
    await frames.nextFrame();
    frames.keys.keyEvent(0x61, true);
    await server.waitFor(() => server!.last.keys.length === 1);
    server.dropClients();
    await server.waitFor(() => server!.connections.length === 2, 5000);
    await frames.nextFrame();
    expect(frames.state).toBe('live');
    frames.stop();
    expect(frames.state).toBe('stopped');
    expect(() => frames!.keys.keyEvent(0x61, true)).toThrow(/stopped/);
  });
});
