import {afterEach, beforeEach, describe, expect, it, vi} from 'vitest';
import {FrameSource, type FrameSourceOptions, type FrameSourceState} from '../../src/vnc/frame-source.js';
import type {Framebuffer} from '../../src/vnc/framebuffer.js';
import {FakeRfbServer, patternPixel} from '../fakes/fake-rfb-server.js';

const servers: FakeRfbServer[] = [];
const sources: FrameSource[] = [];
let consoleSpies: ReturnType<typeof vi.spyOn>[] = [];

async function startServer(opts?: Parameters<typeof FakeRfbServer.start>[0]): Promise<FakeRfbServer> {
  const s = await FakeRfbServer.start({fullUpdates: true, ...opts});
  servers.push(s);
  return s;
}

function source(server: FakeRfbServer, opts: FrameSourceOptions = {}): FrameSource {
  const src = new FrameSource({host: '127.0.0.1', port: server.port}, opts);
  sources.push(src);
  return src;
}

/** The pattern the fake server draws, as 0x00RRGGBB (it sends bytes B, G, R, X). */
function expected(x: number, y: number): number {
  const [b, g, r] = patternPixel(x, y);
  return (r << 16) | (g << 8) | b;
}

function pixel(fb: Framebuffer, x: number, y: number): number {
  return fb.pixels[y * fb.width + x]!;
}

beforeEach(() => {
  consoleSpies = (['log', 'error', 'warn', 'info', 'debug'] as const).map((m) => vi.spyOn(console, m));
});

afterEach(async () => {
  // "No console output": rfb2 prints, the frame source must not let it through.
  for (const spy of consoleSpies) expect(spy).not.toHaveBeenCalled();
  vi.restoreAllMocks();
  await Promise.all(sources.splice(0).map((s) => s.stop()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

describe('FrameSource against a fake RFB server', () => {
  it('gets a full frame, then keeps incremental updates coming (throttled by maxFps)', async () => {
    const server = await startServer({width: 720, height: 400});
    const src = source(server, {maxFps: 50}).start();
    const fb = await src.waitForFrame(undefined, {timeoutMs: 3000});
    expect([fb.width, fb.height]).toEqual([720, 400]);
    for (const [x, y] of [[0, 0], [719, 399], [300, 123]] as const) expect(pixel(fb, x, y)).toBe(expected(x, y));
    expect(src.state).toBe('live');
    expect(server.last.updateRequests[0]).toMatchObject({incremental: false, width: 720, height: 400});

    const before = src.stats.updates;
    const t0 = Date.now();
    await vi.waitFor(() => expect(src.stats.updates).toBeGreaterThanOrEqual(before + 10), {timeout: 2000});
    const elapsed = Date.now() - t0;
    // The fake server answers every request at once: only maxFps (50 → 20 ms) spaces them.
    expect(elapsed).toBeGreaterThanOrEqual(9 * 20 - 5);
    expect(server.last.updateRequests.at(-1)).toMatchObject({incremental: true});
    expect(src.stats.fullFrameMs).toBeGreaterThanOrEqual(0);
  });

  it('follows resolution switches 720x400 → 640x480 → 1024x768 with a full update each time', async () => {
    const server = await startServer({width: 720, height: 400});
    const src = source(server).start();
    await src.waitForFrame();
    for (const [w, h] of [[640, 480], [1024, 768]] as const) {
      const full = server.last.updateRequests.filter((r) => !r.incremental).length;
      server.sendDesktopSize(w, h);
      const fb = await src.waitForFrame((f) => f.width === w && f.height === h, {timeoutMs: 3000});
      expect(pixel(fb, w - 1, h - 1)).toBe(expected(w - 1, h - 1));
      const req = server.last.updateRequests.filter((r) => !r.incremental);
      expect(req.length).toBeGreaterThan(full);
      expect(req.at(-1)).toMatchObject({x: 0, y: 0, width: w, height: h});
    }
  });

  it('applies CopyRect and raw rects as they come', async () => {
    const server = await startServer({width: 64, height: 32});
    const src = source(server).start();
    const fb = await src.waitForFrame();
    // Away from (0,0)-(8,4), which the fake server redraws on every incremental request.
    server.sendRawRect(20, 10, 4, 2, () => [0x33, 0x22, 0x11, 0]);
    await vi.waitFor(() => expect(pixel(fb, 23, 11)).toBe(0x112233));
    server.sendCopyRect(10, 20, 4, 2, 20, 10);
    await vi.waitFor(() => expect(pixel(fb, 13, 21)).toBe(0x112233));
    expect(pixel(fb, 10, 20)).toBe(0x112233);
    expect(pixel(fb, 14, 21)).toBe(expected(14, 21)); // just outside the copy: untouched
  });

  it('reconnects after the server drops it, reports reconnecting → live, and frames resume', async () => {
    const server = await startServer({width: 320, height: 200});
    const states: FrameSourceState[] = [];
    const logs: string[] = [];
    const src = source(server, {log: (s, l) => logs.push(`${s}: ${l}`)});
    src.onState((s) => states.push(s));
    src.start();
    await src.waitForFrame();
    server.dropClients();
    await vi.waitFor(() => expect(states).toEqual(['live', 'reconnecting', 'live']), {timeout: 3000});
    expect(server.connections).toHaveLength(2);
    const fb = await src.waitForFrame((f) => f.width === 320, {timeoutMs: 3000});
    expect(pixel(fb, 5, 5)).toBe(expected(5, 5));
    expect(logs.some((l) => /^warn: VNC .* dropped/.test(l))).toBe(true);
    expect(logs.some((l) => /^info: VNC .* live again/.test(l))).toBe(true);
    expect(src.stats.connects).toBe(2);
  });

  it('survives the server being gone for a while, and rfb2 dying on an unknown message', async () => {
    const first = await startServer({width: 320, height: 200});
    const port = first.port;
    const src = source(first, {backoffMs: {initial: 50, max: 400}}).start();
    await src.waitForFrame();
    await first.close();
    servers.splice(servers.indexOf(first), 1);
    await vi.waitFor(() => expect(src.state).toBe('reconnecting'));
    expect(() => src.keys.keyEvent(0x61, true)).toThrow(/not connected \(reconnecting/);
    await new Promise((r) => setTimeout(r, 600)); // several refused attempts meanwhile
    const second = await startServer({port, width: 640, height: 480});
    const fb = await src.waitForFrame((f) => f.width === 640, {timeoutMs: 4000});
    expect(pixel(fb, 639, 479)).toBe(expected(639, 479));

    second.sendBytes(Buffer.from([0x7f])); // unknown server message: rfb2 would stall forever
    await vi.waitFor(() => expect(second.connections.length).toBe(2), {timeout: 3000});
    await vi.waitFor(() => expect(src.state).toBe('live'));
    src.keys.keyEvent(0x62, true);
    await second.waitFor(() => second.last.keys.length === 1);
    expect(second.last.keys[0]).toMatchObject({keysym: 0x62, down: true});
  });

  it('stop() closes the socket, rejects waiters and stops reconnecting', async () => {
    const server = await startServer();
    const src = source(server).start();
    await src.waitForFrame();
    const waiting = src.waitForFrame(() => false, {timeoutMs: 5000});
    await src.stop();
    await expect(waiting).rejects.toThrow(/stopped/);
    expect(src.state).toBe('stopped');
    await server.waitFor(() => server.connections.every((c) => c.closed));
    await new Promise((r) => setTimeout(r, 300));
    expect(server.connections).toHaveLength(1); // no reconnect after stop
    expect(() => src.keys.keyEvent(0x61, true)).toThrow(/not connected/);
  });

  it('waitForFrame times out with the state in the message, and honours abort', async () => {
    const server = await startServer();
    const src = source(server).start();
    await expect(src.waitForFrame(() => false, {timeoutMs: 100})).rejects.toThrow(/within 100 ms \(state live/);
    const ac = new AbortController();
    const p = src.waitForFrame(() => false, {signal: ac.signal});
    ac.abort(new Error('user abort'));
    await expect(p).rejects.toThrow('user abort');
  });

  it('a listener that throws does not kill the session', async () => {
    const server = await startServer();
    const logs: string[] = [];
    const src = source(server, {log: (_s, l) => logs.push(l)});
    src.onFrame(() => {
      throw new Error('painter bug');
    });
    src.start();
    await src.waitForFrame();
    const n = src.stats.updates;
    await vi.waitFor(() => expect(src.stats.updates).toBeGreaterThan(n + 3));
    expect(server.connections).toHaveLength(1);
    expect(logs.some((l) => l.includes('painter bug'))).toBe(true);
  });
});
