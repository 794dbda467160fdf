import {mkdtempSync, rmSync} from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {afterEach, beforeEach, describe, expect, it} from 'vitest';
import {connectQmp, QmpError, type QmpClient, type QmpEvent} from '../../src/qemu/qmp.js';

type Msg = {execute: string; arguments?: Record<string, unknown>; id?: unknown};
type Handler = (msg: Msg, reply: (obj: object) => void, socket: net.Socket) => void;

const GREETING = {QMP: {version: {qemu: {micro: 22, minor: 2, major: 7}, package: 'fake'}, capabilities: ['oob']}};

/** A fake QMP server on a unix socket: greets, answers qmp_capabilities, then defers to `handler`. */
class FakeQmpServer {
  received: Msg[] = [];
  sockets: net.Socket[] = [];
  private server = net.createServer((s) => this.serve(s));
  constructor(
    readonly path: string,
    private handler: Handler = () => {},
    private greet = true,
  ) {}
  listen(): Promise<void> {
    return new Promise((r) => this.server.listen(this.path, () => r()));
  }
  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise((r) => this.server.close(() => r()));
  }
  private serve(socket: net.Socket): void {
    this.sockets.push(socket);
    socket.on('error', () => {});
    if (this.greet) socket.write(JSON.stringify(GREETING) + '\r\n');
    let buf = '';
    socket.on('data', (d) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const msg = JSON.parse(buf.slice(0, nl)) as Msg;
        buf = buf.slice(nl + 1);
        this.received.push(msg);
        const reply = (obj: object) => socket.write(JSON.stringify({...obj, id: msg.id}) + '\r\n');
        if (msg.execute === 'qmp_capabilities') reply({return: {}});
        else this.handler(msg, reply, socket);
      }
    });
  }
}

let dir: string;
const servers: FakeQmpServer[] = [];
const clients: QmpClient[] = [];

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'vmbench-qmp-test-'));
});
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await Promise.all(servers.splice(0).map((s) => s.close()));
  rmSync(dir, {recursive: true, force: true});
});

async function serve(handler?: Handler, greet = true): Promise<FakeQmpServer> {
  const s = new FakeQmpServer(path.join(dir, 'qmp.sock'), handler, greet);
  servers.push(s);
  await s.listen();
  return s;
}

async function connect(p: string, timeoutMs = 3000): Promise<QmpClient> {
  const c = await connectQmp(p, {timeoutMs});
  clients.push(c);
  return c;
}

describe('connectQmp against a fake QMP server', () => {
  it('reads the greeting and leaves capabilities negotiation first', async () => {
    const server = await serve();
    const qmp = await connect(server.path);
    expect(qmp.version).toBe('7.2.22');
    expect(server.received[0]).toMatchObject({execute: 'qmp_capabilities'});
  });

  it('retries until the socket exists', async () => {
    const sock = path.join(dir, 'qmp.sock');
    const pending = connectQmp(sock, {timeoutMs: 5000});
    await new Promise((r) => setTimeout(r, 300));
    await serve();
    const qmp = await pending;
    clients.push(qmp);
    expect(qmp.version).toBe('7.2.22');
  });

  it('fails after timeoutMs when nothing appears, and when nobody greets', async () => {
    await expect(connectQmp(path.join(dir, 'none.sock'), {timeoutMs: 300})).rejects.toThrow(/not available within 300 ms/);
    const server = await serve(undefined, false);
    const t0 = Date.now();
    await expect(connectQmp(server.path, {timeoutMs: 400})).rejects.toThrow(/no QMP greeting/);
    expect(Date.now() - t0).toBeLessThan(1500);
  });

  it('matches replies to commands by id, even out of order', async () => {
    const server = await serve((msg, reply) => {
      if (msg.execute === 'slow') setTimeout(() => reply({return: {which: 'slow', args: msg.arguments}}), 100);
      else reply({return: {which: msg.execute}});
    });
    const qmp = await connect(server.path);
    const slow = qmp.execute('slow', {n: 1});
    const fast = qmp.execute<{which: string}>('query-status');
    expect(await fast).toEqual({which: 'query-status'});
    expect(await slow).toEqual({which: 'slow', args: {n: 1}});
    const ids = server.received.slice(1).map((m) => m.id);
    expect(new Set(ids).size).toBe(2);
  });

  it('rejects with the QMP error desc and class', async () => {
    const server = await serve((_m, reply) => reply({error: {class: 'CommandNotFound', desc: "The command nope has not been found"}}));
    const qmp = await connect(server.path);
    const err = await qmp.execute('nope').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(QmpError);
    expect((err as QmpError).message).toBe('The command nope has not been found');
    expect((err as QmpError).errorClass).toBe('CommandNotFound');
  });

  it('delivers asynchronous events, split across chunks', async () => {
    const server = await serve((msg, reply, socket) => {
      const ev = JSON.stringify({event: 'SHUTDOWN', data: {guest: true, reason: 'guest-shutdown'}, timestamp: {seconds: 1, microseconds: 2}}) + '\r\n';
      socket.write(ev.slice(0, 10));
      setTimeout(() => {
        socket.write(ev.slice(10));
        reply({return: {}});
      }, 20);
    });
    const qmp = await connect(server.path);
    const events: QmpEvent[] = [];
    const off = qmp.on('event', (e) => events.push(e));
    await qmp.execute('system_powerdown');
    expect(events).toEqual([{event: 'SHUTDOWN', data: {guest: true, reason: 'guest-shutdown'}, timestamp: {seconds: 1, microseconds: 2}}]);
    off();
  });

  it('rejects commands in flight when the socket closes, and later ones at once', async () => {
    const server = await serve((_m, _reply, socket) => setTimeout(() => socket.destroy(), 50));
    const qmp = await connect(server.path);
    await expect(qmp.execute('quit')).rejects.toThrow(/closed before "quit" completed/);
    await qmp.closed;
    await expect(qmp.execute('query-status')).rejects.toThrow(/closed/);
  });

  it('close() resolves closed', async () => {
    const server = await serve();
    const qmp = await connect(server.path);
    qmp.close();
    await qmp.closed;
  });

  it('stops retrying when aborted', async () => {
    const ac = new AbortController();
    const pending = connectQmp(path.join(dir, 'late.sock'), {timeoutMs: 10_000, signal: ac.signal});
    setTimeout(() => ac.abort(new Error('abort')), 100);
    await expect(pending).rejects.toThrow('abort');
  });
});
