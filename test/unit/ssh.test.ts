import net from 'node:net';
import {afterEach, describe, expect, it} from 'vitest';
import {generateKeyPair, SshWaitError, waitForSsh, type SshAttemptFailure, type SshSession, type SshTarget} from '../../src/ssh/index.js';
import {classifyError} from '../../src/ssh/classify.js';
import {LineSplitter} from '../../src/util/lines.js';
import type {LogStream} from '../../src/engine/events.js';
import {reservePort, startFakeSshServer, FakeSshServer, type FakeExecHandler} from '../fakes/fake-ssh-server.js';

const PASSWORD = 'correct-horse-battery-staple';
const WRONG_PASSWORD = 'wrong-secret-pw-42';
const KEY = generateKeyPair('test@vmbench');

/** Every log line of every wait in this file; the last test checks none carries a secret. */
const logs: string[] = [];
const log = (stream: LogStream, line: string) => logs.push(`${stream}: ${line}`);

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

async function server(opts: Partial<ConstructorParameters<typeof FakeSshServer>[0]> = {}): Promise<FakeSshServer> {
  const s = await startFakeSshServer({users: {root: {password: PASSWORD, publicKey: KEY.publicKey}}, ...opts});
  cleanups.push(() => s.close());
  return s;
}

function target(port: number, extra: Partial<SshTarget> = {}): SshTarget {
  return {host: '127.0.0.1', port, username: 'root', password: PASSWORD, ...extra};
}

async function connect(port: number, extra: Partial<SshTarget> = {}): Promise<SshSession> {
  const session = await waitForSsh(target(port, extra), {timeoutMs: 10_000, log});
  cleanups.push(() => session.close());
  return session;
}

/** A TCP listener that does `onSocket` with each connection instead of speaking SSH. */
async function rawServer(onSocket: (s: net.Socket) => void): Promise<{port: number; sockets: net.Socket[]; first: Promise<net.Socket>}> {
  const sockets: net.Socket[] = [];
  let gotFirst!: (s: net.Socket) => void;
  const first = new Promise<net.Socket>((resolve) => (gotFirst = resolve));
  const srv = net.createServer((s) => {
    sockets.push(s);
    s.on('error', () => {});
    s.resume(); // read (and drop) what the client sends, so its FIN is seen and 'close' fires
    onSocket(s);
    gotFirst(s);
  });
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => {
    for (const s of sockets) s.destroy();
    return new Promise((resolve) => srv.close(resolve));
  });
  return {port: (srv.address() as net.AddressInfo).port, sockets, first};
}

const socketClosed = (s: net.Socket) => new Promise((resolve) => (s.closed ? resolve(null) : s.once('close', resolve)));

async function waitError(t: SshTarget, opts: Parameters<typeof waitForSsh>[1]): Promise<{err: SshWaitError; failures: SshAttemptFailure[]; ms: number}> {
  const failures: SshAttemptFailure[] = [];
  const started = Date.now();
  const err = await waitForSsh(t, {log, ...opts, onAttempt: (_n, f) => failures.push(f)}).then(
    (s) => {
      s.close();
      throw new Error('expected waitForSsh to fail');
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SshWaitError);
  return {err: err as SshWaitError, failures, ms: Date.now() - started};
}

describe('pure helpers', () => {
  it.each([
    [['a\nb', '\nc'], ['a', 'b', 'c']],
    [['one\r', '\ntwo\r\n'], ['one', 'two']],
    [['no newline'], ['no newline']],
    [['\n\n'], ['', '']],
    [[Buffer.from('caf\xc3', 'latin1'), Buffer.from('\xa9\n', 'latin1')], ['café']],
  ])('LineSplitter %j → %j', (chunks, lines) => {
    const out: string[] = [];
    const splitter = new LineSplitter((l) => out.push(l));
    for (const c of chunks) splitter.push(c);
    splitter.flush();
    expect(out).toEqual(lines);
  });


  const ctx = {host: 'h', port: 1, stage: 'tcp' as const, readyTimeoutMs: 5000, tried: ['none', 'password'], offered: ['publickey']};
  it.each([
    [Object.assign(new Error('connect ECONNREFUSED'), {code: 'ECONNREFUSED'}), 'refused'],
    [Object.assign(new Error('read ECONNRESET'), {code: 'ECONNRESET'}), 'reset'],
    [Object.assign(new Error('Connection lost before handshake'), {level: 'protocol'}), 'reset'],
    [Object.assign(new Error('Timed out while waiting for handshake'), {level: 'client-timeout'}), 'handshake'],
    [Object.assign(new Error('All configured authentication methods failed'), {level: 'client-authentication'}), 'auth'],
    [Object.assign(new Error('Host denied (verification failed)'), {level: 'handshake'}), 'host-key'],
    [Object.assign(new Error('Too many authentication failures'), {code: 2}), 'auth'],
    [new Error('something else'), 'other'],
  ])('classifyError(%s) → %s', (err, kind) => expect(classifyError(err, ctx).kind).toBe(kind));
});

describe('waitForSsh', () => {
  it('connects with a password', async () => {
    const s = await server({exec: (e) => (e.stdout('hi\n'), e.exit(0))});
    const session = await connect(s.port);
    const lines: string[] = [];
    expect(await session.exec('echo hi', {onStdout: (l) => lines.push(l)})).toEqual({exitCode: 0, disconnected: false});
    expect(lines).toEqual(['hi']);
    expect(s.authLog).toEqual([{username: 'root', method: 'password', ok: true}]);
    session.close();
    await session.closed;
    expect(await session.exec('echo again')).toEqual({exitCode: null, disconnected: true});
  });

  it('connects with a generated ed25519 key', async () => {
    expect(KEY.publicKey).toMatch(/^ssh-ed25519 AAAA\S+ test@vmbench$/);
    expect(KEY.privateKey).toContain('BEGIN OPENSSH PRIVATE KEY');
    const s = await server();
    await connect(s.port, {password: undefined, privateKey: KEY.privateKey});
    expect(s.authLog).toEqual([{username: 'root', method: 'publickey', ok: true}]);
  });

  it('fails fast with kind auth, naming the offered methods', async () => {
    const s = await server();
    const {err, failures, ms} = await waitError(target(s.port, {password: WRONG_PASSWORD}), {timeoutMs: 20_000, handshakeAttempts: 3});
    expect(err.kind).toBe('auth');
    expect(err.attempts).toBe(3);
    expect(err.message).toBe(`SSH auth rejected for root@127.0.0.1:${s.port} after 3 attempts (tried: password; server offers: publickey,password)`);
    expect(failures.map((f) => f.kind)).toEqual(['auth', 'auth', 'auth']);
    expect(ms).toBeLessThan(3000);
    // keyboard-interactive is not offered, so only the password was spent on each attempt
    expect(s.authLog.map((a) => a.method)).toEqual(['password', 'password', 'password']);
  });

  it('does not send a password to a server that only takes keys', async () => {
    const s = await server({users: {root: {publicKey: KEY.publicKey}}});
    const {err} = await waitError(target(s.port), {timeoutMs: 20_000, handshakeAttempts: 1});
    expect(err.message).toContain('(tried: nothing usable; server offers: publickey)');
    expect(s.authLog).toEqual([]);
  });

  it('times out when nothing listens, naming the last failure and attempt count', async () => {
    const port = await reservePort();
    const {err, failures, ms} = await waitError(target(port), {timeoutMs: 1500});
    expect(err.kind).toBe('timeout');
    expect(err.lastKind).toBe('refused');
    expect(failures.length).toBeGreaterThanOrEqual(4); // 150+225+337+506 ms of backoff fit in 1.5 s
    expect(failures.every((f) => f.kind === 'refused')).toBe(true);
    expect(err.message).toBe(`Timed out after 1.5s waiting for SSH on root@127.0.0.1:${port}: ${err.attempts} attempts, last: ${failures.at(-1)!.message}`);
    expect(err.message).toMatch(/last: connection refused/);
    expect(ms).toBeGreaterThanOrEqual(1450);
    expect(ms).toBeLessThan(2500);
  });

  it.each([
    ['closes (FIN)', (s: net.Socket) => s.destroy()],
    ['resets (RST)', (s: net.Socket) => s.resetAndDestroy()],
  ])('classifies a listener that accepts and %s at once (SLIRP before sshd) as reset', async (_name, drop) => {
    const raw = await rawServer(drop);
    const {err, failures} = await waitError(target(raw.port), {timeoutMs: 1000});
    expect(failures.length).toBeGreaterThanOrEqual(2);
    expect(failures.length).toBe(raw.sockets.length); // one report per attempt despite ssh2's double errors
    expect(new Set(failures.map((f) => f.kind))).toEqual(new Set(['reset']));
    expect(err.kind).toBe('timeout');
    expect(err.message).toContain('last: connection reset before handshake (port forwarded but guest sshd not listening yet)');
  });

  it('classifies a listener that never speaks as handshake', async () => {
    const raw = await rawServer(() => {});
    const {err, failures} = await waitError(target(raw.port), {timeoutMs: 1500, attemptTimeoutMs: 300});
    expect(failures.length).toBeGreaterThanOrEqual(2);
    expect(failures.every((f) => f.kind === 'handshake')).toBe(true);
    expect(failures.length).toBe(raw.sockets.length); // 'Timed out…' + 'Connection lost…' reported once
    expect(failures[0]!.message).toBe('connected but no SSH handshake within 300ms (guest still booting, network not up, or sshd busy)');
    // Silence (SLIRP before the guest's sshd listens) gets fresh short attempts, not longer ones.
    expect(failures[1]!.message).toContain('within 300ms');
    expect(err.kind).toBe('timeout');
    // Every half-open attempt was closed, not leaked.
    await Promise.all(raw.sockets.map(socketClosed));
  });

  it('gives a server that sent its banner and then stalls longer next time', async () => {
    const raw = await rawServer((socket) => socket.write('SSH-2.0-slowguest\r\n'));
    const {failures} = await waitError(target(raw.port), {timeoutMs: 1500, attemptTimeoutMs: 300});
    expect(failures[0]!.message).toContain('within 300ms');
    expect(failures[1]!.message).toContain('within 600ms'); // a slow key exchange earns more time
    await Promise.all(raw.sockets.map(socketClosed));
  });

  it('connects to a server that starts 1 s late, soon after it listens', async () => {
    const port = await reservePort();
    const late = new FakeSshServer({users: {root: {password: PASSWORD}}});
    cleanups.push(() => late.close());
    let listenedAt = 0;
    const timer = setTimeout(() => void late.listen(port).then(() => (listenedAt = Date.now())), 1000);
    cleanups.push(() => clearTimeout(timer));
    const failures: SshAttemptFailure[] = [];
    const session = await waitForSsh(target(port), {timeoutMs: 10_000, log, onAttempt: (_n, f) => failures.push(f)});
    const lag = Date.now() - listenedAt;
    session.close();
    expect(failures.length).toBeGreaterThanOrEqual(3);
    expect(failures.every((f) => f.kind === 'refused')).toBe(true);
    expect(lag).toBeLessThan(1200); // backoff is capped at 1 s
    console.log(`[figure] server listening → connected: ${lag} ms after ${failures.length} refused attempts`);
  });

  it('stops promptly with kind aborted and closes the half-open client', async () => {
    const raw = await rawServer(() => {});
    const ac = new AbortController();
    const pending = waitError(target(raw.port), {timeoutMs: 30_000, signal: ac.signal});
    const socket = await raw.first;
    const abortedAt = Date.now();
    ac.abort();
    const {err} = await pending;
    expect(err.kind).toBe('aborted');
    expect(Date.now() - abortedAt).toBeLessThan(200);
    expect(err.message).toBe(`Waiting for SSH on root@127.0.0.1:${raw.port} aborted after 1 attempt`);
    // The half-open attempt was torn down at once, not left to run into its 5 s readyTimeout.
    await socketClosed(socket);
    expect(Date.now() - abortedAt).toBeLessThan(1000);
  });

  it('does not even try when the signal is already aborted', async () => {
    const raw = await rawServer(() => {});
    const {err} = await waitError(target(raw.port), {timeoutMs: 30_000, signal: AbortSignal.abort()});
    expect(err.kind).toBe('aborted');
    expect(err.attempts).toBe(0);
    expect(raw.sockets).toEqual([]);
  });

  it('rejects a pinned host key that does not match, at once', async () => {
    const s = await server();
    const {err} = await waitError(target(s.port, {hostKeyFingerprint: 'SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'}), {timeoutMs: 20_000});
    expect(err.kind).toBe('host-key');
    expect(err.attempts).toBe(1);
    expect(err.message).toContain(`got ${s.hostKeyFingerprint}`);
    await connect(s.port, {hostKeyFingerprint: s.hostKeyFingerprint});
  });
});

describe('SshSession.exec', () => {
  const run = async (handler: FakeExecHandler) => {
    const s = await server({exec: handler});
    const session = await connect(s.port);
    const out: string[] = [];
    const err: string[] = [];
    const result = await session.exec('script', {onStdout: (l) => out.push(l), onStderr: (l) => err.push(l)});
    return {result, out, err, session};
  };

  it('streams lines in order across chunk boundaries, strips CR, separates stderr, passes the exit code', async () => {
    const {result, out, err} = await run((e) => {
      for (const chunk of ['fir', 'st\r\nsec', 'ond\n', 'third\r', '\nno-newline']) e.stdout(chunk);
      e.stderr('warn');
      e.stderr('ing 1\nwarning 2\n');
      e.exit(3);
    });
    expect(out).toEqual(['first', 'second', 'third', 'no-newline']);
    expect(err).toEqual(['warning 1', 'warning 2']);
    expect(result).toEqual({exitCode: 3, disconnected: false});
  });

  it('reports null when the server sends no exit status, and the signal when killed', async () => {
    expect((await run((e) => e.closeWithoutStatus())).result).toEqual({exitCode: null, disconnected: false});
    expect((await run((e) => e.exitSignal('KILL'))).result).toEqual({exitCode: null, signal: 'SIGKILL', disconnected: false});
  });

  it('reports a dropped connection as disconnected', async () => {
    const {result, out, session} = await run((e) => {
      e.stdout('partial line before the drop');
      e.drop();
    });
    expect(result).toEqual({exitCode: null, disconnected: true});
    expect(out).toEqual(['partial line before the drop']);
    await session.closed;
    expect(await session.exec('again')).toEqual({exitCode: null, disconnected: true});
  });

  // Two paths in exec: abort before ssh2 handed us the channel (the server already runs the
  // command), and abort while output streams (stdin already closed).
  it.each(['while the channel opens', 'while output streams'])('rejects with AbortError and closes the channel when aborted %s', async (when) => {
    // Wrapped in an object: resolving with a bare promise would adopt it and wait for the close.
    let started!: (v: {closed: Promise<void>}) => void;
    const execStarted = new Promise<{closed: Promise<void>}>((resolve) => (started = resolve));
    const s = await server({exec: (e) => (e.command === 'next' ? e.exit(0) : (e.stdout('started\n'), started({closed: e.closed})))});
    const session = await connect(s.port);
    const ac = new AbortController();
    const onStdout = when === 'while output streams' ? () => ac.abort() : undefined;
    const pending = session.exec('sleep 100', {signal: ac.signal, onStdout});
    const {closed: channelClosed} = await execStarted;
    if (!onStdout) ac.abort();
    await expect(pending).rejects.toMatchObject({name: 'AbortError'});
    await channelClosed;
    expect(await session.exec('next')).toMatchObject({disconnected: false}); // the session survives
  });
});

describe('SshSession.upload', () => {
  const content = Buffer.from(Array.from({length: 100_000}, (_, i) => (i * 7) & 0xff)); // > one SFTP WRITE

  it('uploads via SFTP', async () => {
    const s = await server();
    const session = await connect(s.port);
    expect(await session.upload(content, '/tmp/script.sh', {mode: 0o755})).toEqual({method: 'sftp'});
    expect(s.files.get('/tmp/script.sh')?.data.equals(content)).toBe(true);
    expect(s.files.get('/tmp/script.sh')?.mode).toBe(0o755);
    expect(s.commands).toEqual([]);
  });

  it('falls back to exec cat when the server has no sftp subsystem', async () => {
    const s = await server({sftp: false});
    const session = await connect(s.port);
    const path = "/tmp/it's here.sh";
    expect(await session.upload(content, path, {mode: 0o700})).toEqual({method: 'exec'});
    expect(s.files.get(path)?.data.equals(content)).toBe(true);
    expect(s.files.get(path)?.mode).toBe(0o700);
    expect(await session.upload('echo hi\n', '/tmp/b')).toEqual({method: 'exec'});
    expect(s.files.get('/tmp/b')?.data.toString()).toBe('echo hi\n');
    expect(s.commands).toEqual([`cat > '/tmp/it'\\''s here.sh' && chmod 0700 '/tmp/it'\\''s here.sh'`, `cat > '/tmp/b'`]);
  });

  it('reports a failing exec fallback with the remote stderr', async () => {
    const s = await server({sftp: false, exec: (e) => (e.stderr('cat: /root/x: Permission denied\n'), e.exit(1))});
    const session = await connect(s.port);
    await expect(session.upload('x', '/root/x')).rejects.toThrow('upload to /root/x via exec cat failed (exit 1): cat: /root/x: Permission denied');
  });
});

describe('logging', () => {
  it('never logs a password or key material', async () => {
    const s = await server({users: {root: {password: PASSWORD, publicKey: KEY.publicKey}}});
    await waitError(target(s.port, {password: WRONG_PASSWORD, privateKey: generateKeyPair().privateKey}), {timeoutMs: 10_000, handshakeAttempts: 2});
    await connect(s.port, {privateKey: KEY.privateKey});
    expect(logs.length).toBeGreaterThan(20);
    const keyBody = KEY.privateKey.split('\n').filter((l) => l && !l.startsWith('-----'));
    for (const line of logs) {
      expect(line).not.toContain(PASSWORD);
      expect(line).not.toContain(WRONG_PASSWORD);
      for (const chunk of keyBody) expect(line).not.toContain(chunk.slice(0, 24));
    }
  });
});
