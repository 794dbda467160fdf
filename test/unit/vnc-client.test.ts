import net from 'node:net';
import {afterEach, describe, expect, it, vi} from 'vitest';
import {connectVnc, type VncRect, type VncSession} from '../../src/vnc/vnc-client.js';
import {FakeRfbServer, patternPixel} from '../fakes/fake-rfb-server.js';

const servers: FakeRfbServer[] = [];
const sessions: VncSession[] = [];

async function startServer(opts?: Parameters<typeof FakeRfbServer.start>[0]): Promise<FakeRfbServer> {
  const s = await FakeRfbServer.start(opts);
  servers.push(s);
  return s;
}

async function connect(server: FakeRfbServer, opts?: Parameters<typeof connectVnc>[1]): Promise<VncSession> {
  const s = await connectVnc({host: '127.0.0.1', port: server.port}, {timeoutMs: 3000, ...opts});
  sessions.push(s);
  return s;
}

async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const {port} = srv.address() as net.AddressInfo;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

afterEach(async () => {
  vi.restoreAllMocks();
  for (const s of sessions.splice(0)) s.close();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

describe('connectVnc against a fake RFB 3.8 server', () => {
  it('completes the handshake and reports what ServerInit said', async () => {
    const server = await startServer({width: 720, height: 400, name: 'QEMU (vm)'});
    const vnc = await connect(server);
    expect(vnc.width).toBe(720);
    expect(vnc.height).toBe(400);
    expect(vnc.name).toBe('QEMU (vm)');
    expect(vnc.pixelFormat).toMatchObject({bitsPerPixel: 32, depth: 24, bigEndian: false, trueColor: true, redShift: 16, greenShift: 8, blueShift: 0});
    expect(server.last.clientVersion).toBe('RFB 003.008\n');
    expect(server.last.securityType).toBe(1);
  });

  it('asks for a shared session so other viewers are neither kicked nor kick us', async () => {
    const server = await startServer();
    await connect(server);
    expect(server.last.sharedFlag).toBe(1);
  });

  it('advertises only raw, CopyRect and DesktopSize', async () => {
    const server = await startServer();
    await connect(server);
    await server.waitFor(() => server.last.encodings.length > 0);
    expect(server.last.encodings).toEqual([[0, 1, -223]]);
  });

  it('sends key and pointer events byte-exact', async () => {
    const server = await startServer();
    const vnc = await connect(server);
    vnc.keyEvent(0x61, true);
    vnc.keyEvent(0x61, false);
    vnc.keyEvent(0xffe1, true);
    vnc.keyEvent(0x10000e9, false); // a Unicode keysym (é), uses all 4 bytes
    vnc.pointerEvent(300, 513, 0b101);
    await server.waitFor(() => server.last.keys.length === 4 && server.last.pointers.length === 1);
    expect(server.last.keys.map((k) => [...k.bytes])).toEqual([
      [4, 1, 0, 0, 0, 0, 0, 0x61],
      [4, 0, 0, 0, 0, 0, 0, 0x61],
      [4, 1, 0, 0, 0, 0, 0xff, 0xe1],
      [4, 0, 0, 0, 0x01, 0x00, 0x00, 0xe9],
    ]);
    expect([...server.last.pointers[0]!.bytes]).toEqual([5, 0b101, 0x01, 0x2c, 0x02, 0x01]);
  });

  it('retries until a late server starts listening', async () => {
    const port = await freePort();
    const lines: string[] = [];
    const pending = connectVnc({host: '127.0.0.1', port}, {timeoutMs: 5000, log: (_s, l) => lines.push(l)});
    await new Promise((r) => setTimeout(r, 400));
    servers.push(await FakeRfbServer.start({port}));
    const vnc = await pending;
    sessions.push(vnc);
    expect(vnc.width).toBe(720);
    expect(lines.some((l) => l.includes('ECONNREFUSED'))).toBe(true);
  });

  it('gives up after timeoutMs with the last error', async () => {
    const port = await freePort();
    const t0 = Date.now();
    await expect(connectVnc({host: '127.0.0.1', port}, {timeoutMs: 500})).rejects.toThrow(/within 500 ms.*ECONNREFUSED/);
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  it('stops retrying when aborted', async () => {
    const port = await freePort();
    const ac = new AbortController();
    const pending = connectVnc({host: '127.0.0.1', port}, {timeoutMs: 10_000, signal: ac.signal});
    setTimeout(() => ac.abort(new Error('user abort')), 200);
    const t0 = Date.now();
    await expect(pending).rejects.toThrow('user abort');
    expect(Date.now() - t0).toBeLessThan(1000);
  });

  it('notices when the server drops the connection', async () => {
    const server = await startServer();
    const vnc = await connect(server);
    server.dropClients();
    await vnc.closed;
    expect(vnc.closeReason).toMatch(/closed the connection|connection lost \(ECONNRESET\)/);
    expect(() => vnc.keyEvent(0x61, true)).toThrow(/closed/);
  });

  it('close() ends the session and resolves closed', async () => {
    const server = await startServer();
    const vnc = await connect(server);
    vnc.keyEvent(0xff0d, true);
    vnc.keyEvent(0xff0d, false);
    vnc.close();
    await vnc.closed;
    expect(vnc.closeReason).toBeUndefined();
    await server.waitFor(() => server.last.closed);
    expect(server.last.keys).toHaveLength(2); // queued events were flushed before closing
  });

  it('delivers raw rects (B,G,R,X), update ends and DesktopSize resizes', async () => {
    const server = await startServer({updateRect: {x: 2, y: 1, width: 3, height: 2}});
    const vnc = await connect(server);
    const rects: VncRect[] = [];
    let ends = 0;
    vnc.onRect((r) => rects.push(r));
    vnc.onUpdateEnd(() => ends++);
    vnc.requestUpdate(false);
    await vi.waitFor(() => expect(ends).toBeGreaterThanOrEqual(1));
    const raw = rects.find((r) => r.kind === 'raw');
    expect(raw).toMatchObject({kind: 'raw', x: 2, y: 1, width: 3, height: 2});
    if (raw?.kind !== 'raw') throw new Error('no raw rect');
    expect([...raw.data.subarray(0, 8)]).toEqual([...patternPixel(2, 1), ...patternPixel(3, 1)]);
    expect(server.last.updateRequests.at(-1)).toEqual({incremental: false, x: 0, y: 0, width: 720, height: 400});

    server.sendDesktopSize(1024, 768);
    await vi.waitFor(() => expect(rects.some((r) => r.kind === 'resize')).toBe(true));
    expect(rects.find((r) => r.kind === 'resize')).toEqual({kind: 'resize', width: 1024, height: 768});
    expect([vnc.width, vnc.height]).toEqual([1024, 768]);
    vnc.requestUpdate(true);
    await server.waitFor(() => server.last.updateRequests.at(-1)?.width === 1024);
    expect(server.last.updateRequests.at(-1)).toEqual({incremental: true, x: 0, y: 0, width: 1024, height: 768});
  });

  it('never prints: rfb2 console output goes to the debug log, and a stall ends the session', async () => {
    const log = vi.spyOn(console, 'log');
    const error = vi.spyOn(console, 'error');
    const server = await startServer();
    const lines: string[] = [];
    const vnc = await connect(server, {log: (_s, l) => lines.push(l)});
    server.sendBytes(Buffer.from([0x7f])); // unknown server message: rfb2 logs and stops reading
    await vnc.closed;
    expect(vnc.closeReason).toMatch(/protocol not understood/);
    expect(lines.some((l) => l.includes('unsopported server message: 127'))).toBe(true);
    expect(log).not.toHaveBeenCalled();
    expect(error).not.toHaveBeenCalled();
    expect(console.log).toBe(log); // console restored after rfb2 ran
  });

  it('turns an exception thrown inside rfb2 into a rejected connect, not a crash', async () => {
    const server = await startServer({securityTypes: [2]}); // VNC auth only, and we have no password
    await expect(connectVnc({host: '127.0.0.1', port: server.port}, {timeoutMs: 2000})).rejects.toThrow(/does not support any security/);
  });
});
