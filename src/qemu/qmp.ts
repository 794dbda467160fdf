/**
 * A small QMP (QEMU Machine Protocol) client over a unix socket (`-qmp unix:PATH,server=on,wait=off`).
 * The protocol is JSON objects separated by CRLF: a greeting, then replies carrying the `id`
 * we sent, interleaved with asynchronous `{"event": ...}` messages (SHUTDOWN, POWERDOWN, ...).
 * No npm QMP client is maintained; this is all we need.
 */
import {EventEmitter} from 'node:events';
import net from 'node:net';
import {noLog, type LogFn} from '../engine/events.js';

/** An asynchronous QMP event, e.g. `{event: 'SHUTDOWN', data: {guest: true, reason: 'guest-shutdown'}}`. */
export interface QmpEvent {
  event: string;
  data?: Record<string, unknown>;
  timestamp?: {seconds: number; microseconds: number};
}

/** A command QEMU rejected: `message` is QMP's `desc`, `errorClass` its `class`. */
export class QmpError extends Error {
  constructor(
    readonly command: string,
    readonly errorClass: string,
    desc: string,
  ) {
    super(desc);
    this.name = 'QmpError';
  }
}

export interface QmpClient {
  /** QEMU's version from the greeting, e.g. "7.2.22". */
  readonly version: string;
  /**
   * Run a command; resolves with its `return` value, rejects with a QmpError carrying QEMU's
   * `desc`, or with an Error if the connection closes first (as it may for `quit`).
   */
  execute<T = unknown>(command: string, args?: object): Promise<T>;
  /** Listen to asynchronous events; returns an unsubscribe function. */
  on(name: 'event', cb: (event: QmpEvent) => void): () => void;
  /** Close the connection (QEMU keeps running). Idempotent. */
  close(): void;
  /** Resolves when the connection has ended, for any reason. Never rejects. */
  readonly closed: Promise<void>;
}

export interface QmpConnectOptions {
  signal?: AbortSignal;
  /** Keep retrying until the socket exists and QEMU has greeted us. Default 10 s. */
  timeoutMs?: number;
  log?: LogFn;
}

type Pending = {command: string; resolve: (v: unknown) => void; reject: (e: Error) => void};

/**
 * Connect to QEMU's QMP socket, retrying (with backoff) while it does not exist or refuses,
 * read the greeting and leave capabilities negotiation mode.
 */
export async function connectQmp(path: string, opts: QmpConnectOptions = {}): Promise<QmpClient> {
  const {signal, timeoutMs = 10_000, log = noLog} = opts;
  const deadline = Date.now() + timeoutMs;
  let delay = 20;
  for (;;) {
    signal?.throwIfAborted();
    const socket = await openSocket(path, signal).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT' || err.code === 'ECONNREFUSED') return undefined;
      throw err;
    });
    if (socket) {
      const client = new Client(socket, log);
      try {
        // A second client on the same QMP chardev is accepted by the kernel but never greeted.
        const ready = client.greeted.then(() => client.execute('qmp_capabilities'));
        await withDeadline(ready, deadline, signal, `no QMP greeting/capabilities reply on ${path} within ${timeoutMs} ms`);
        log('debug', `QMP connected to ${path} (QEMU ${client.version})`);
        return client;
      } catch (err) {
        client.close();
        throw err;
      }
    }
    const wait = Math.min(delay, deadline - Date.now());
    if (wait <= 0) throw new Error(`QMP socket ${path} not available within ${timeoutMs} ms`);
    await withDeadline(new Promise((r) => setTimeout(r, wait)), Infinity, signal, '');
    delay = Math.min(delay * 2, 500);
  }
}

function openSocket(path: string, signal?: AbortSignal): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.createConnection({path});
    const onAbort = () => socket.destroy();
    signal?.addEventListener('abort', onAbort, {once: true});
    // Every outcome removes the abort listener: connect is retried many times on one signal.
    const onError = (err: Error) => {
      signal?.removeEventListener('abort', onAbort);
      reject(err);
    };
    const onClose = () => {
      signal?.removeEventListener('abort', onAbort);
      reject(signal?.reason ?? new Error('QMP socket closed while connecting'));
    };
    socket.once('error', onError);
    socket.once('close', onClose);
    socket.once('connect', () => {
      signal?.removeEventListener('abort', onAbort);
      socket.off('error', onError);
      socket.off('close', onClose);
      resolve(socket);
    });
  });
}

/** Race `p` against the deadline and the signal. */
function withDeadline<T>(p: Promise<T>, deadline: number, signal: AbortSignal | undefined, message: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = deadline === Infinity ? undefined : setTimeout(() => reject(new Error(message)), Math.max(0, deadline - Date.now()));
    const onAbort = () => reject(signal?.reason);
    signal?.addEventListener('abort', onAbort, {once: true});
    p.then(resolve, reject).finally(() => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    });
  });
}

class Client implements QmpClient {
  version = '';
  readonly closed: Promise<void>;
  readonly greeted: Promise<void>;
  private readonly events = new EventEmitter();
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private buffer = '';
  private ended = false;

  constructor(
    private readonly socket: net.Socket,
    private readonly log: LogFn,
  ) {
    let greet!: () => void;
    let refuse!: (e: Error) => void;
    this.greeted = new Promise<void>((res, rej) => ((greet = res), (refuse = rej)));
    this.greeted.catch(() => {}); // only awaited during connect
    this.events.on('greeting', greet);
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.onData(chunk));
    socket.on('error', (err) => log('debug', `QMP socket error: ${err.message}`));
    this.closed = new Promise<void>((resolve) =>
      socket.once('close', () => {
        this.ended = true;
        const err = new Error('QMP connection closed');
        refuse(err);
        for (const p of this.pending.values()) p.reject(new Error(`QMP connection closed before "${p.command}" completed`));
        this.pending.clear();
        resolve();
      }),
    );
  }

  execute<T = unknown>(command: string, args?: object): Promise<T> {
    if (this.ended || this.socket.destroyed) return Promise.reject(new Error(`QMP connection closed; cannot run "${command}"`));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, {command, resolve: resolve as (v: unknown) => void, reject});
      this.socket.write(JSON.stringify(args ? {execute: command, arguments: args, id} : {execute: command, id}) + '\r\n');
    });
  }

  on(_name: 'event', cb: (event: QmpEvent) => void): () => void {
    this.events.on('event', cb);
    return () => this.events.off('event', cb);
  }

  close(): void {
    this.socket.destroy();
  }

  private onData(chunk: string): void {
    this.buffer += chunk;
    let nl: number;
    while ((nl = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, nl).trim();
      this.buffer = this.buffer.slice(nl + 1);
      if (line) this.onMessage(line);
    }
  }

  private onMessage(line: string): void {
    let msg: Record<string, unknown>;
    try {
      msg = JSON.parse(line) as Record<string, unknown>;
      if (typeof msg !== 'object' || msg === null) throw new Error('not an object');
    } catch {
      this.log('warn', `QMP: unparsable message: ${line.slice(0, 200)}`);
      return;
    }
    if ('QMP' in msg) {
      const v = (msg.QMP as {version?: {qemu?: {major: number; minor: number; micro: number}}}).version?.qemu;
      if (v) this.version = `${v.major}.${v.minor}.${v.micro}`;
      this.events.emit('greeting');
    } else if (typeof msg.event === 'string') {
      this.log('debug', `QMP event ${msg.event}${msg.data ? ` ${JSON.stringify(msg.data)}` : ''}`);
      this.events.emit('event', msg as unknown as QmpEvent);
    } else if (typeof msg.id === 'number' && this.pending.has(msg.id)) {
      const p = this.pending.get(msg.id)!;
      this.pending.delete(msg.id);
      const error = msg.error as {class?: string; desc?: string} | undefined;
      if (error) p.reject(new QmpError(p.command, error.class ?? 'GenericError', error.desc ?? 'unknown QMP error'));
      else p.resolve(msg.return);
    } else {
      this.log('debug', `QMP: unexpected message: ${line.slice(0, 200)}`);
    }
  }
}
