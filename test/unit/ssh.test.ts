import {execFileSync, spawn, type ChildProcess} from 'node:child_process';
import {existsSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import ssh2 from 'ssh2';
import {afterEach, describe, expect, it} from 'vitest';
import {generateKeyPair, SshWaitError, waitForSsh, type SshAttemptFailure, type SshSession, type SshTarget} from '../../src/ssh/index.js';
import {classifyClose, classifyError, timedOut} from '../../src/ssh/classify.js';
import {ssh2Keepalive} from '../../src/ssh/connect-once.js';
import {LineSplitter} from '../../src/util/lines.js';
import type {LogStream} from '../../src/engine/events.js';
import {reservePort, startFakeSshServer, FakeSshServer, type FakeExecHandler} from '../fakes/fake-ssh-server.js';

const PASSWORD = 'correct-horse-battery-staple';
const WRONG_PASSWORD = 'wrong-secret-pw-42';
const KEY = generateKeyPair('test@vmbench');
/** Only ever held by an ssh-agent in these tests, never given to waitForSsh directly. */
const AGENT_KEY = generateKeyPair('agent@vmbench');

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

const HAVE_AGENT = ['ssh-agent', 'ssh-add'].every((bin) => {
  try {
    execFileSync('sh', ['-c', `command -v ${bin}`], {stdio: 'ignore'});
    return true;
  } catch {
    return false;
  }
});

/**
 * A real OpenSSH ssh-agent (`ssh-agent -a SOCK -D`, a child of this process) holding `keys`,
 * which are `ssh-add`ed from 0600 files deleted right after. Returns the socket path; the agent
 * is killed by its PID and its directory removed in afterEach.
 */
async function startAgent(...keys: string[]): Promise<string> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vmbench-agent-'));
  const sock = path.join(dir, 'agent.sock');
  const agent: ChildProcess = spawn('ssh-agent', ['-a', sock, '-D'], {stdio: 'ignore'});
  const exited = new Promise((resolve) => agent.once('exit', resolve));
  cleanups.push(async () => {
    if (agent.exitCode === null && agent.signalCode === null) process.kill(agent.pid!, 'SIGTERM');
    await exited;
    rmSync(dir, {recursive: true, force: true});
  });
  // The socket file appears at bind(), a moment before ssh-agent listen()s: wait until it accepts.
  const accepts = () =>
    new Promise<boolean>((resolve) => {
      if (!existsSync(sock)) return resolve(false);
      const probe = net.connect(sock, () => (probe.destroy(), resolve(true)));
      probe.on('error', () => resolve(false));
    });
  for (let waited = 0; !(await accepts()); waited += 20) {
    if (waited > 5000 || agent.exitCode !== null) throw new Error(`ssh-agent is not listening on ${sock}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  keys.forEach((key, i) => {
    const file = path.join(dir, `id_${i}`);
    writeFileSync(file, key, {mode: 0o600}); // ssh-add refuses a key file others can read
    execFileSync('ssh-add', ['-q', file], {env: {...process.env, SSH_AUTH_SOCK: sock}, stdio: ['ignore', 'ignore', 'pipe']});
    rmSync(file);
  });
  return sock;
}

/**
 * A TCP proxy in front of `port`: `stall()` makes it stop forwarding in both directions while
 * keeping both connections open (a peer that silently stops answering: a paused VM, a NAT that
 * dropped the flow); `reset()` sends the client an RST.
 */
async function proxy(port: number): Promise<{port: number; stall(): void; reset(): void}> {
  let forwarding = true;
  const sockets: net.Socket[] = [];
  const srv = net.createServer((down) => {
    const up = net.connect(port, '127.0.0.1');
    sockets.push(down, up);
    for (const [from, to] of [[down, up], [up, down]] as const) {
      from.setNoDelay(true);
      from.on('error', () => {});
      from.on('data', (chunk: Buffer) => {
        if (forwarding) to.write(chunk);
      });
      from.on('close', () => to.destroy());
    }
  });
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => {
    for (const s of sockets) s.destroy();
    return new Promise((resolve) => srv.close(resolve));
  });
  return {
    port: (srv.address() as net.AddressInfo).port,
    stall: () => (forwarding = false),
    reset: () => sockets.filter((_, i) => i % 2 === 0).forEach((down) => down.resetAndDestroy()),
  };
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

  // The phrases progress events are scanned for; each message stays one sentence.
  it.each([
    [classifyError(Object.assign(new Error('read ECONNRESET'), {code: 'ECONNRESET'}), ctx), 'port forwarded but guest not listening yet (connection reset before the SSH banner)'],
    [classifyError(Object.assign(new Error('Connection lost before handshake'), {level: 'protocol'}), ctx), 'port forwarded but guest not listening yet (connection closed before the SSH banner)'],
    [classifyClose({...ctx, stage: 'connecting'}), 'port forwarded but guest not listening yet (connection closed before the SSH banner)'],
    [timedOut({...ctx, stage: 'connecting'}), 'handshake failed: TCP connect to h:1 did not complete within 5.0s'],
    [timedOut(ctx), 'handshake failed: connected but no SSH banner within 5.0s (guest still booting, network not up, or sshd busy)'],
    [timedOut({...ctx, stage: 'kex'}), 'handshake failed: key exchange done but authentication did not finish within 5.0s'],
    [classifyClose(ctx), 'handshake failed: connection closed by h:1 during the key exchange'],
    [classifyError(Object.assign(new Error('Handshake failed: no matching key exchange algorithm'), {level: 'handshake'}), ctx), 'handshake failed: no matching key exchange algorithm'],
    [classifyError(Object.assign(new Error('All configured authentication methods failed'), {level: 'client-authentication'}), ctx), 'auth rejected: methods offered publickey (we tried: password)'],
    [
      classifyError(Object.assign(new Error('All configured authentication methods failed'), {level: 'client-authentication'}), {...ctx, tried: ['none', 'agent'], agentError: 'connect ENOENT /nope'}),
      'auth rejected: methods offered publickey (we tried: agent; agent unusable: connect ENOENT /nope)',
    ],
    [classifyError(Object.assign(new Error('Too many authentication failures'), {code: 2}), {...ctx, offered: undefined}), 'auth rejected: methods offered unknown (we tried: password; server disconnected: Too many authentication failures)'],
    [classifyError(Object.assign(new Error('Host denied (verification failed)'), {level: 'handshake'}), ctx), 'host key changed: h:1 presented a host key that does not match the pinned fingerprint'],
  ])('message %#: %s', (failure, message) => {
    expect(failure.message).toBe(message);
    expect(failure.message).not.toMatch(/\.\s+\S|\n/); // one sentence
  });

  it.each([
    [5000, 3, {keepaliveInterval: 5000, keepaliveCountMax: 2}], // ssh2 gives up on tick countMax+1 → 15 s
    [100, 2, {keepaliveInterval: 100, keepaliveCountMax: 1}],
    [100, 1, {keepaliveInterval: 50, keepaliveCountMax: 1}], // one ping at 50 ms, give up at 100 ms
    [0, 3, {keepaliveInterval: 0, keepaliveCountMax: 0}], // off
  ])('ssh2Keepalive(%i ms × %i) → %j', (interval, count, expected) => expect(ssh2Keepalive(interval, count)).toEqual(expected));
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
    expect(session.lostReason).toBeUndefined(); // we closed it: not "lost"
  });

  it('connects with a generated ed25519 key', async () => {
    expect(KEY.publicKey).toMatch(/^ssh-ed25519 AAAA\S+ test@vmbench$/);
    expect(KEY.privateKey).toContain('BEGIN OPENSSH PRIVATE KEY');
    const s = await server();
    await connect(s.port, {password: undefined, privateKey: KEY.privateKey});
    expect(s.authLog).toEqual([{username: 'root', method: 'publickey', ok: true}]);
  });

  it('never hands out a malformed key pair (ssh2 makes one 1 time in 256)', () => {
    // Without the check in generateKeyPair, 2000 pairs include a bad one with probability 99.96 %.
    for (let i = 0; i < 2000; i++) {
      const pair = generateKeyPair();
      const pub = ssh2.utils.parseKey(pair.publicKey);
      const priv = ssh2.utils.parseKey(pair.privateKey);
      if (pub instanceof Error || priv instanceof Error) throw new Error(`pair ${i} is malformed: ${pair.publicKey}`);
    }
  });

  it('fails fast with kind auth, naming the offered methods', async () => {
    const s = await server();
    const {err, failures, ms} = await waitError(target(s.port, {password: WRONG_PASSWORD}), {timeoutMs: 20_000, handshakeAttempts: 3});
    expect(err.kind).toBe('auth');
    expect(err.attempts).toBe(3);
    expect(err.message).toBe(`Gave up on SSH to root@127.0.0.1:${s.port} after 3 attempts in a row, last: auth rejected: methods offered publickey,password (we tried: password)`);
    expect(failures.map((f) => f.kind)).toEqual(['auth', 'auth', 'auth']);
    expect(failures[0]!.message).toBe('auth rejected: methods offered publickey,password (we tried: password)');
    expect(err.lastCount).toBe(3);
    expect(ms).toBeLessThan(3000);
    // keyboard-interactive is not offered, so only the password was spent on each attempt
    expect(s.authLog.map((a) => a.method)).toEqual(['password', 'password', 'password']);
  });

  it('does not send a password to a server that only takes keys', async () => {
    const s = await server({users: {root: {publicKey: KEY.publicKey}}});
    const {err} = await waitError(target(s.port), {timeoutMs: 20_000, handshakeAttempts: 1});
    expect(err.message).toContain('last: auth rejected: methods offered publickey (we tried: nothing usable)');
    expect(s.authLog).toEqual([]);
  });

  it('times out when nothing listens, naming the last failure and attempt count', async () => {
    const port = await reservePort();
    const {err, failures, ms} = await waitError(target(port), {timeoutMs: 1500});
    expect(err.kind).toBe('timeout');
    expect(err.lastKind).toBe('refused');
    expect(failures.length).toBeGreaterThanOrEqual(4); // 150+225+337+506 ms of backoff fit in 1.5 s
    expect(failures.every((f) => f.kind === 'refused')).toBe(true);
    expect(err.lastCount).toBe(failures.length);
    expect(err.message).toBe(`Timed out after 1.5s waiting for SSH on root@127.0.0.1:${port}: ${err.attempts} attempts, last (${err.attempts} in a row): ${failures.at(-1)!.message}`);
    expect(err.message).toMatch(/last \(\d+ in a row\): connection refused/);
    expect(ms).toBeGreaterThanOrEqual(1450);
    expect(ms).toBeLessThan(2500);
  });

  it('says each new kind of failure once at info level, and counts only the last streak on timeout', async () => {
    // Nothing listens at first (refused), then a listener that drops every connection (QEMU's
    // forward is up, the guest's sshd is not): the progress lines must show both phases.
    const port = await reservePort();
    const sockets: net.Socket[] = [];
    const slirp = net.createServer((sock) => (sockets.push(sock), sock.on('error', () => {}), sock.destroy()));
    const timer = setTimeout(() => slirp.listen(port, '127.0.0.1'), 500);
    cleanups.push(() => (clearTimeout(timer), new Promise((resolve) => (slirp.listening ? slirp.close(resolve) : resolve(null)))));
    const lines: string[] = [];
    const {err, failures} = await waitError(target(port), {timeoutMs: 2000, log: (s, l) => (log(s, l), lines.push(`${s}: ${l}`))});
    const kinds = failures.map((f) => f.kind);
    const firstReset = kinds.indexOf('reset');
    expect(firstReset).toBeGreaterThan(0);
    expect(kinds.slice(0, firstReset).every((k) => k === 'refused')).toBe(true);
    expect(kinds.slice(firstReset).every((k) => k === 'reset')).toBe(true);
    const streak = kinds.length - firstReset;
    expect(err.lastKind).toBe('reset');
    expect(err.lastCount).toBe(streak);
    expect(err.message).toContain(`: ${kinds.length} attempts, last (${streak} in a row): port forwarded but guest not listening yet (connection closed before the SSH banner)`);
    // One info line per change of kind, each one sentence leading with its phrase.
    const label = `root@127.0.0.1:${port}`;
    expect(lines.filter((l) => l.startsWith('info: '))).toEqual([
      `info: SSH ${label}: connection refused by 127.0.0.1:${port} (nothing listening: QEMU not running yet, exited, or wrong port)`,
      `info: SSH ${label}: port forwarded but guest not listening yet (connection closed before the SSH banner)`,
    ]);
  });

  it.each([
    ['closes (FIN)', (s: net.Socket) => s.destroy(), 'closed'],
    ['resets (RST)', (s: net.Socket) => s.resetAndDestroy(), 'reset'],
  ])('classifies a listener that accepts and %s at once (SLIRP before sshd) as reset', async (_name, drop, how) => {
    const raw = await rawServer(drop);
    const {err, failures} = await waitError(target(raw.port), {timeoutMs: 1000});
    expect(failures.length).toBeGreaterThanOrEqual(2);
    expect(failures.length).toBe(raw.sockets.length); // one report per attempt despite ssh2's double errors
    expect(new Set(failures.map((f) => f.kind))).toEqual(new Set(['reset']));
    expect(err.kind).toBe('timeout');
    expect(failures[0]!.message).toBe(`port forwarded but guest not listening yet (connection ${how} before the SSH banner)`);
    expect(err.message).toContain(`in a row): port forwarded but guest not listening yet (connection ${how} before the SSH banner)`);
  });

  it('classifies a listener that never speaks as handshake', async () => {
    const raw = await rawServer(() => {});
    const {err, failures} = await waitError(target(raw.port), {timeoutMs: 1500, attemptTimeoutMs: 300});
    expect(failures.length).toBeGreaterThanOrEqual(2);
    expect(failures.every((f) => f.kind === 'handshake')).toBe(true);
    expect(failures.length).toBe(raw.sockets.length); // 'Timed out…' + 'Connection lost…' reported once
    expect(failures[0]!.message).toBe('handshake failed: connected but no SSH banner within 300ms (guest still booting, network not up, or sshd busy)');
    // Silence (SLIRP before the guest's sshd listens) gets fresh short attempts, not longer ones.
    expect(failures[1]!.message).toContain('within 300ms');
    expect(err.kind).toBe('timeout');
    // Every half-open attempt was closed, not leaked.
    await Promise.all(raw.sockets.map(socketClosed));
  });

  it('gives a server that sent its banner and then stalls longer next time', async () => {
    const raw = await rawServer((socket) => socket.write('SSH-2.0-slowguest\r\n'));
    const {failures} = await waitError(target(raw.port), {timeoutMs: 1500, attemptTimeoutMs: 300});
    expect(failures[0]!.message).toBe('handshake failed: sshd sent its banner but the key exchange did not finish within 300ms (guest slow or sshd busy)');
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
    expect(lag).toBeLessThan(2500); // the next attempt soon after: backoff is capped at 1 s (+ slack for a busy host)
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
    expect(Date.now() - abortedAt).toBeLessThan(3000); // at once, not after the 30 s timeout
    expect(err.message).toBe(`Waiting for SSH on root@127.0.0.1:${raw.port} aborted after 1 attempt`);
    // The half-open attempt was torn down at once, not left to run into its 5 s readyTimeout.
    await socketClosed(socket);
    expect(Date.now() - abortedAt).toBeLessThan(4000);
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
    expect(err.message).toBe(
      `Cannot connect to root@127.0.0.1:${s.port}: host key changed: 127.0.0.1:${s.port} presented ${s.hostKeyFingerprint}, expected SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA (another VM may own this port)`,
    );
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
    expect(result).toMatchObject({exitCode: null, disconnected: true});
    // destroy() sends a FIN, or an RST if the client's last bytes were still unread
    expect(['server closed the connection', 'connection reset']).toContain(result.lostReason);
    expect(out).toEqual(['partial line before the drop']);
    await session.closed;
    expect(session.lostReason).toBe(result.lostReason);
    expect(await session.exec('again')).toEqual({exitCode: null, disconnected: true, lostReason: result.lostReason});
  });

  it('says "server closed the connection" when the server hangs up mid-command', async () => {
    const {result, out, session} = await run((e) => {
      e.stdout('bye\n');
      e.hangUp();
    });
    expect(result).toEqual({exitCode: null, disconnected: true, lostReason: 'server closed the connection'});
    expect(out).toEqual(['bye']);
    expect(session.lostReason).toBe('server closed the connection');
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

describe('ssh-agent', () => {
  describe.skipIf(!HAVE_AGENT)('with a real ssh-agent', () => {
    it('authenticates with a key only the agent holds', async () => {
      const s = await server({users: {root: {publicKey: AGENT_KEY.publicKey}}, exec: (e) => e.exit(0)});
      const agent = await startAgent(AGENT_KEY.privateKey);
      const session = await connect(s.port, {password: undefined, agent});
      expect(s.authLog).toEqual([{username: 'root', method: 'publickey', ok: true}]);
      expect(await session.exec('true')).toEqual({exitCode: 0, disconnected: false});
    });

    it('tries the explicit key first, then the agent, and never sends the password when the agent key works', async () => {
      const s = await server({users: {root: {publicKey: AGENT_KEY.publicKey, password: PASSWORD}}});
      const agent = await startAgent(AGENT_KEY.privateKey);
      await connect(s.port, {privateKey: KEY.privateKey, agent}); // KEY is not authorized here
      expect(s.authLog).toEqual([
        {username: 'root', method: 'publickey', ok: false}, // the explicit key
        {username: 'root', method: 'publickey', ok: true}, // the agent's key
      ]);
    });

    it('goes on to the password after every agent key was rejected', async () => {
      const s = await server({users: {root: {password: PASSWORD}}});
      const agent = await startAgent(generateKeyPair().privateKey, generateKeyPair().privateKey);
      await connect(s.port, {agent});
      // The server only takes passwords, so the agent's keys are not even offered.
      expect(s.authLog).toEqual([{username: 'root', method: 'password', ok: true}]);

      const s2 = await server({users: {root: {password: PASSWORD, publicKey: KEY.publicKey}}});
      await connect(s2.port, {agent});
      expect(s2.authLog.map((a) => `${a.method}:${a.ok}`)).toEqual(['publickey:false', 'publickey:false', 'password:true']);
    });

    it('fails with kind auth, naming the offered methods, when the agent holds the wrong key', async () => {
      const s = await server({users: {root: {publicKey: KEY.publicKey}}});
      const agent = await startAgent(AGENT_KEY.privateKey);
      const {err, failures} = await waitError(target(s.port, {password: undefined, agent}), {timeoutMs: 10_000, handshakeAttempts: 2});
      expect(err.kind).toBe('auth');
      expect(failures.map((f) => f.message)).toEqual([
        'auth rejected: methods offered publickey (we tried: agent)',
        'auth rejected: methods offered publickey (we tried: agent)',
      ]);
      expect(err.message).toBe(`Gave up on SSH to root@127.0.0.1:${s.port} after 2 attempts in a row, last: auth rejected: methods offered publickey (we tried: agent)`);
      expect(s.authLog).toEqual([
        {username: 'root', method: 'publickey', ok: false},
        {username: 'root', method: 'publickey', ok: false},
      ]);
    });
  });

  it('skips an agent socket that cannot be reached and goes on to the password', async () => {
    const missing = path.join(os.tmpdir(), `vmbench-no-agent-${process.pid}.sock`);
    const s = await server();
    await connect(s.port, {agent: missing});
    expect(s.authLog).toEqual([{username: 'root', method: 'password', ok: true}]);
    // Without a password the auth failure says why the agent was of no use.
    const {err} = await waitError(target(s.port, {password: undefined, agent: missing}), {timeoutMs: 10_000, handshakeAttempts: 1});
    expect(err.kind).toBe('auth');
    expect(err.message).toContain(`last: auth rejected: methods offered publickey,password (we tried: agent; agent unusable: Failed to connect to agent (${missing}))`);
  });
});

describe('keepalive and connection loss', () => {
  const hangingServer = () => server({exec: (e) => (e.command === 'true' ? e.exit(0) : e.stdout('working\n'))});

  it.each([
    [300, 2, '600ms'],
    [150, 3, '450ms'],
    [450, 1, '450ms'],
  ])('detects a peer that stops answering mid-exec within %i ms × %i', async (intervalMs, countMax, said) => {
    const s = await hangingServer();
    const px = await proxy(s.port);
    const session = await waitForSsh(target(px.port), {timeoutMs: 5000, log, keepaliveIntervalMs: intervalMs, keepaliveCountMax: countMax});
    cleanups.push(() => session.close());
    let stalledAt = 0;
    const result = await session.exec('sleep 1000', {
      onStdout: () => {
        px.stall();
        stalledAt = Date.now();
      },
    });
    const lag = Date.now() - stalledAt;
    expect(result).toEqual({exitCode: null, disconnected: true, lostReason: `keepalive: no answer for ${said}`});
    expect(session.lostReason).toBe(`keepalive: no answer for ${said}`);
    const budget = intervalMs * countMax;
    // The last answered keepalive came at most one interval before the stall.
    expect(lag).toBeGreaterThanOrEqual(budget - intervalMs - 10);
    expect(lag).toBeLessThan(budget + 400); // + timer and event-loop slack on a busy machine
    await session.closed;
    expect(logs).toContain(`warn: SSH connection to root@127.0.0.1:${px.port} lost: keepalive: no answer for ${said}`);
  });

  it.each([2, 1])('keeps an idle, answering session alive with keepalives of 300 ms × %i', async (countMax) => {
    const s = await hangingServer();
    const px = await proxy(s.port);
    const session = await waitForSsh(target(px.port), {timeoutMs: 5000, log, keepaliveIntervalMs: 300, keepaliveCountMax: countMax});
    cleanups.push(() => session.close());
    await new Promise((resolve) => setTimeout(resolve, 2000)); // several budgets of silence from us
    expect(session.lostReason).toBeUndefined();
    expect(await session.exec('true')).toEqual({exitCode: 0, disconnected: false});
  });

  it('reports a connection reset mid-exec', async () => {
    const s = await hangingServer();
    const px = await proxy(s.port);
    const session = await connect(px.port);
    const result = await session.exec('sleep 1000', {onStdout: () => px.reset()});
    expect(result).toEqual({exitCode: null, disconnected: true, lostReason: 'connection reset'});
    await session.closed;
    expect(session.lostReason).toBe('connection reset');
    expect(await session.exec('true')).toEqual({exitCode: null, disconnected: true, lostReason: 'connection reset'});
  });

  it('names the lost reason when an exec upload is cut off', async () => {
    const s = await server({sftp: false, exec: (e) => e.hangUp()});
    const session = await connect(s.port);
    await expect(session.upload('x', '/tmp/x')).rejects.toThrow('upload to /tmp/x via exec cat failed (connection lost: server closed the connection)');
  });

  it('rejects keepalive options that cannot work', async () => {
    const {err} = await waitError(target(1), {timeoutMs: 1000, keepaliveCountMax: 0});
    expect(err.kind).toBe('other');
    expect(err.attempts).toBe(0);
  });
});

describe('logging', () => {
  it('never logs a password or key material', async () => {
    const s = await server({users: {root: {password: PASSWORD, publicKey: KEY.publicKey}}});
    await waitError(target(s.port, {password: WRONG_PASSWORD, privateKey: generateKeyPair().privateKey}), {timeoutMs: 10_000, handshakeAttempts: 2});
    await connect(s.port, {privateKey: KEY.privateKey});
    if (HAVE_AGENT) {
      // The agent paths: a wrong agent key before a wrong password, then the right agent key.
      const wrongAgent = await startAgent(generateKeyPair().privateKey);
      await waitError(target(s.port, {password: WRONG_PASSWORD, agent: wrongAgent}), {timeoutMs: 10_000, handshakeAttempts: 1});
      const s2 = await server({users: {root: {password: PASSWORD, publicKey: AGENT_KEY.publicKey}}});
      await connect(s2.port, {agent: await startAgent(AGENT_KEY.privateKey)});
    }
    expect(logs.length).toBeGreaterThan(20);
    expect(logs.some((l) => l.includes('lost: keepalive'))).toBe(true); // the lost-connection paths ran too
    const keyBody = [KEY, AGENT_KEY].flatMap((k) => k.privateKey.split('\n').filter((l) => l && !l.startsWith('-----')));
    for (const line of logs) {
      expect(line).not.toContain(PASSWORD);
      expect(line).not.toContain(WRONG_PASSWORD);
      for (const chunk of keyBody) expect(line).not.toContain(chunk.slice(0, 24));
    }
  });
});
