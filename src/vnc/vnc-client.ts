/**
 * A VNC session with QEMU's built-in server, on top of rfb2 0.2.2 — wrapped because rfb2
 * cannot be trusted on its own (line refs are node_modules/rfb2/rfbclient.js):
 *  - it throws from inside its socket data handler (:95 no common security type, :141 no
 *    password, :146; unpackstream.js:241 throws a string) — an uncaught exception if it owned the
 *    socket. We own the socket and forward data inside try/catch; any throw is fatal because
 *    the parser is left mid-read (unpackstream.js:268 `resumed` is never reset);
 *  - it prints with console.log/console.error (:62, :79, :258, :308, :430) — ink draws on our
 *    stdout, so console is swapped out while rfb2 code runs and its lines go to the debug log;
 *  - on an unknown message or encoding (:258, :308) it stops reading forever: we treat those
 *    lines as fatal and close the session instead of hanging;
 *  - it has no 'close' event and no connect retry: we watch the socket and retry with backoff;
 *  - it reports no end of a FramebufferUpdate: we wrap two parser steps to get one.
 */
import {EventEmitter} from 'node:events';
import net from 'node:net';
import {format} from 'node:util';
import rfb2 from 'rfb2';
import {noLog, type LogFn} from '../engine/events.js';
import type {KeySender} from './key-sender.js';
import {sleep as pause} from '../util/sleep.js';

/** Where QEMU's VNC server listens: TCP (`-vnc 127.0.0.1:N` → port 5900+N) or `-vnc unix:PATH`. */
export type VncTarget = {host: string; port: number} | {path: string};

export interface VncConnectOptions {
  /** Aborts connecting only; once connected, end the session with close(). */
  signal?: AbortSignal;
  /** Keep retrying (QEMU may not be listening yet) until this long has passed. Default 10 s. */
  timeoutMs?: number;
  log?: LogFn;
  /** VNC authentication password; without it only security type None is offered. */
  password?: string;
}

/** The server's pixel format (QEMU: 32 bpp, little-endian, R16 G8 B0 → bytes B,G,R,X). */
export interface PixelFormat {
  bitsPerPixel: number; depth: number; bigEndian: boolean; trueColor: boolean;
  redMax: number; greenMax: number; blueMax: number;
  redShift: number; greenShift: number; blueShift: number;
}

/** One rectangle of a FramebufferUpdate, in arrival order. */
export type VncRect =
  /** Pixels in `pixelFormat`, row-major, width×height×bytesPerPixel; ours to keep. */
  | {kind: 'raw'; x: number; y: number; width: number; height: number; data: Buffer}
  /** Copy the width×height block at (srcX, srcY) to (x, y) — from the framebuffer as it was before. */
  | {kind: 'copy'; x: number; y: number; width: number; height: number; srcX: number; srcY: number}
  /** The guest switched resolution (DesktopSize); session width/height are already updated. */
  | {kind: 'resize'; width: number; height: number};

/** A connected VNC session. */
export interface VncSession extends KeySender {
  readonly width: number;
  readonly height: number;
  /** Desktop name from ServerInit. */
  readonly name: string;
  readonly pixelFormat: PixelFormat;
  /** Press or release a key (X11 keysym). Throws once the session is closed. */
  keyEvent(keysym: number, down: boolean): void;
  /** Move the pointer; `mask` bit 0 = left, 1 = middle, 2 = right button. Throws once closed. */
  pointerEvent(x: number, y: number, mask: number): void;
  /** Ask for the whole screen; QEMU sends an update only while a request is pending. */
  requestUpdate(incremental: boolean): void;
  /**
   * Listen to framebuffer rectangles; returns an unsubscribe function. rfb2 already asked for a
   * full update while connecting (rfbclient.js:235) and rects nobody listens to are lost: for a
   * complete frame, subscribe and then call requestUpdate(false).
   */
  onRect(cb: (rect: VncRect) => void): () => void;
  /** Called after the last rectangle of each FramebufferUpdate (a consistent frame). */
  onUpdateEnd(cb: () => void): () => void;
  /** End the session (flushes queued key events first). Idempotent. */
  close(): void;
  /** Resolves when the connection has ended, for any reason. Never rejects. */
  readonly closed: Promise<void>;
  /** Why the session ended, when it was not close(); undefined while open or after close(). */
  readonly closeReason: string | undefined;
}

type ConsoleFns = {log: typeof console.log; error: typeof console.error};
let hidden: ConsoleFns | undefined;

/** Run rfb2 code with console.log/error captured into `noise` (re-entrant). */
function quietly<T>(noise: (line: string) => void, fn: () => T): T {
  const saved: ConsoleFns = {log: console.log, error: console.error};
  const outer = hidden;
  hidden ??= saved;
  const sink = (...args: unknown[]) => noise(format(...args));
  console.log = sink;
  console.error = sink;
  try {
    return fn();
  } finally {
    console.log = saved.log;
    console.error = saved.error;
    hidden = outer;
  }
}

/** Run our callers' callbacks (invoked from inside rfb2) with the real console back. */
function loudly(fn: () => void): void {
  if (!hidden) return fn();
  const inner: ConsoleFns = {log: console.log, error: console.error};
  console.log = hidden.log;
  console.error = hidden.error;
  try {
    fn();
  } finally {
    console.log = inner.log;
    console.error = inner.error;
  }
}

// rfb2 logs these and then never reads again (rfbclient.js:258, :308).
const STALLED = /unsopported server message|unknown encoding/;

/** rfb2 only needs on/write/end from its stream (rfbclient.js:17-24, :42, :666). */
class SocketProxy extends EventEmitter {
  constructor(private readonly socket: net.Socket) {
    super();
  }
  write(chunk: Buffer): void {
    if (this.socket.writable) this.socket.write(chunk);
  }
  end(): void {
    this.socket.end();
  }
}

/** Errors worth another attempt: nothing listening yet, or dropped before the handshake ended. */
class RetryableError extends Error {}
const RETRY_CODES = new Set(['ECONNREFUSED', 'ENOENT', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EAGAIN']);


function pixelFormatOf(c: rfb2.RfbClient): PixelFormat {
  return {
    bitsPerPixel: c.bpp, depth: c.depth, bigEndian: c.isBigEndian !== 0, trueColor: c.isTrueColor !== 0,
    redMax: c.redMax, greenMax: c.greenMax, blueMax: c.blueMax,
    redShift: c.redShift, greenShift: c.greenShift, blueShift: c.blueShift,
  };
}

function describeTarget(t: VncTarget): string {
  return 'path' in t ? `unix:${t.path}` : `${t.host}:${t.port}`;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Connect to a VNC server, retrying with backoff until `timeoutMs` (QEMU may still be starting).
 * Requests a shared session (other viewers stay connected, and do not kick us) and advertises
 * only raw, CopyRect and DesktopSize — the encodings rfb2 decodes correctly.
 */
export async function connectVnc(target: VncTarget, opts: VncConnectOptions = {}): Promise<VncSession> {
  const {signal, timeoutMs = 10_000, log = noLog} = opts;
  const deadline = Date.now() + timeoutMs;
  let delay = 50;
  let lastError = '';
  for (let attempt = 1; ; attempt++) {
    signal?.throwIfAborted();
    try {
      const session = await attemptConnect(target, deadline, opts.password, log, signal);
      log('debug', `VNC connected to ${describeTarget(target)} after ${attempt} attempt(s): ${session.width}x${session.height} "${session.name}"`);
      return session;
    } catch (err) {
      if (!(err instanceof RetryableError)) throw err;
      if (err.message !== lastError) log('debug', `VNC ${describeTarget(target)} not ready (${err.message}); retrying`);
      lastError = err.message;
    }
    const wait = Math.min(delay, deadline - Date.now());
    if (wait <= 0) throw new Error(`VNC: could not connect to ${describeTarget(target)} within ${timeoutMs} ms (${lastError})`);
    await pause(wait, signal);
    delay = Math.min(delay * 1.6, 1000);
  }
}

function attemptConnect(target: VncTarget, deadline: number, password: string | undefined, log: LogFn, signal?: AbortSignal): Promise<VncSession> {
  return new Promise<VncSession>((resolve, reject) => {
    const socket = 'path' in target ? net.createConnection({path: target.path}) : net.createConnection({host: target.host, port: target.port});
    const events = new EventEmitter();
    let handshaken = false;
    let closeReason: string | undefined;
    let closedByUs = false;
    let resolveClosed!: () => void;
    const closed = new Promise<void>((r) => (resolveClosed = r));

    // Before the handshake completes a failure rejects this attempt; after, it ends the session.
    const fail = (reason: string, retry = false) => {
      if (!handshaken) {
        settle();
        socket.destroy();
        reject(retry ? new RetryableError(reason) : new Error(`VNC ${describeTarget(target)}: ${reason}`));
        return;
      }
      if (closeReason === undefined && !closedByUs) {
        closeReason = reason;
        log('warn', `VNC session ended: ${reason}`);
      }
      socket.destroy();
    };
    const noise = (line: string) => {
      log('debug', `rfb2: ${line}`);
      if (STALLED.test(line)) fail(`protocol not understood by rfb2 (${line})`);
    };

    const timer = setTimeout(() => fail(`no VNC handshake before the deadline`, true), Math.max(0, deadline - Date.now()));
    const onAbort = () => {
      settle();
      socket.destroy();
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, {once: true});
    function settle() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }

    socket.on('error', (err: NodeJS.ErrnoException) => {
      const what = err.code ?? err.message;
      fail(handshaken ? `connection lost (${what})` : what, RETRY_CODES.has(err.code ?? ''));
    });
    socket.on('close', () => {
      if (!handshaken) fail('connection closed during the VNC handshake', true);
      else if (closeReason === undefined && !closedByUs) fail('the server closed the connection');
      resolveClosed();
    });
    if (!('path' in target)) socket.setNoDelay(true); // key events are tiny: no Nagle delay

    const proxy = new SocketProxy(socket);
    const client = quietly(noise, () =>
      rfb2.createConnection({
        stream: proxy,
        security: password ? [rfb2.security.VNC, rfb2.security.None] : [rfb2.security.None],
        password,
        encodings: [rfb2.encodings.raw, rfb2.encodings.copyRect, rfb2.encodings.pseudoDesktopSize],
      }),
    );
    // clientInit (rfbclient.js:154) sends Exclusive only when this is truthy; be explicit.
    client.disconnectOthers = false;

    // End-of-update detection: readFbUpdate starts an update; the parser calls
    // expectNewMessage once its last rect is decoded (rfbclient.js:246, :275).
    let inUpdate = false;
    const readFbUpdate = client.readFbUpdate;
    const expectNewMessage = client.expectNewMessage;
    client.readFbUpdate = function () {
      inUpdate = true;
      readFbUpdate.call(this);
    };
    client.expectNewMessage = function () {
      expectNewMessage.call(this);
      if (inUpdate) {
        inUpdate = false;
        loudly(() => events.emit('updateEnd'));
      }
    };

    client.on('error', (err) => fail(`server error: ${errorText(err)}`));
    client.on('rect', (r) => {
      let rect: VncRect | undefined;
      if (r.encoding === rfb2.encodings.raw && r.buffer) rect = {kind: 'raw', x: r.x, y: r.y, width: r.width, height: r.height, data: r.buffer};
      else if (r.encoding === rfb2.encodings.copyRect && r.src) rect = {kind: 'copy', x: r.x, y: r.y, width: r.width, height: r.height, srcX: r.src.x, srcY: r.src.y};
      if (rect) loudly(() => events.emit('rect', rect));
    });
    client.on('resize', (r) => loudly(() => events.emit('rect', {kind: 'resize', width: r.width, height: r.height} satisfies VncRect)));
    client.on('connect', () => {
      handshaken = true;
      settle();
      resolve(session);
    });

    socket.on('data', (chunk: Buffer) => {
      if (socket.destroyed) return;
      try {
        quietly(noise, () => proxy.emit('data', chunk));
      } catch (err) {
        fail(`rfb2 failed on server data: ${errorText(err)}`);
      }
    });

    const ensureOpen = () => {
      if (socket.destroyed || !socket.writable) throw new Error(`VNC connection closed${closeReason ? `: ${closeReason}` : ''}`);
    };
    const session: VncSession = {
      get width() { return client.width; },
      get height() { return client.height; },
      get name() { return client.title; },
      get pixelFormat() { return pixelFormatOf(client); },
      keyEvent(keysym, down) {
        ensureOpen();
        quietly(noise, () => client.keyEvent(keysym, down));
      },
      pointerEvent(x, y, mask) {
        ensureOpen();
        quietly(noise, () => client.pointerEvent(x, y, mask));
      },
      requestUpdate(incremental) {
        ensureOpen();
        quietly(noise, () => client.requestUpdate(incremental, 0, 0, client.width, client.height));
      },
      onRect(cb) {
        events.on('rect', cb);
        return () => events.off('rect', cb);
      },
      onUpdateEnd(cb) {
        events.on('updateEnd', cb);
        return () => events.off('updateEnd', cb);
      },
      close() {
        if (closedByUs || socket.destroyed) return;
        closedByUs = true;
        // end() lets queued key events reach the server; destroy if it never acknowledges.
        socket.end();
        setTimeout(() => socket.destroy(), 1000).unref();
      },
      closed,
      get closeReason() { return closeReason; },
    };
  });
}
