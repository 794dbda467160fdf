/**
 * A live, self-healing view of a VM's screen: owns a VNC connection, keeps one Framebuffer
 * current, and reconnects on its own when the connection drops — QEMU restarting its VNC
 * server, a network blip, or rfb2's parser dying on a message it does not know. Nothing here
 * throws into a build: failures become state changes ('reconnecting') and log lines.
 *
 * Why the request loop looks the way it does: QEMU sends a FramebufferUpdate only while a
 * request is pending, and a pending request is a flag, not a queue. So we ask for a full frame
 * after connecting (and after every resolution switch, which QEMU announces as its own
 * DesktopSize-only update), then an incremental one after every update end — no sooner than
 * 1/maxFps after the previous request, so a busy screen costs a bounded amount of CPU.
 */
import {noLog, type LogFn} from '../engine/events.js';
import {Coverage, Framebuffer} from './framebuffer.js';
import type {KeySender} from './key-sender.js';
import {connectVnc, type PixelFormat, type VncRect, type VncSession, type VncTarget} from './vnc-client.js';

/** Connection state: 'connecting' until first live, 'reconnecting' after a drop, 'stopped' after stop(). */
export type FrameSourceState = 'connecting' | 'live' | 'reconnecting' | 'stopped';

export interface FrameSourceOptions {
  /** Most incremental update requests per second (default 30). */
  maxFps?: number;
  /** State changes go here at info/warn; protocol chatter at debug. */
  log?: LogFn;
  /** VNC password, when QEMU runs with `password=on`. */
  password?: string;
  /** First and largest pause between connection attempts (default 100 ms → 2 s, doubling). */
  backoffMs?: {initial?: number; max?: number};
  /** How long one attempt may take, handshake included (default 3 s). */
  attemptTimeoutMs?: number;
}

/** Figures for benchmarks and reports. */
export interface FrameSourceStats {
  /** Sessions established so far (1 + reconnects). */
  connects: number;
  /** FramebufferUpdates received. */
  updates: number;
  /** Time from the latest full-update request to the complete frame, in ms. */
  fullFrameMs?: number;
}

export interface WaitForFrameOptions {
  /** Reject after this long (default 10 s). */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/**
 * Keeps `framebuffer` showing a VM's screen over VNC, whatever happens to the connection.
 * Create, subscribe (onState/onFrame), then start(); stop() ends it for good.
 */
export class FrameSource {
  /** The current screen. The same object for the source's whole life (resized in place). */
  readonly framebuffer = new Framebuffer(0, 0);
  /** Key events for the VM; throws a clear error while not connected, so a typer can retry. */
  readonly keys: KeySender;

  private currentState: FrameSourceState = 'connecting';
  private session: VncSession | undefined;
  private pf: PixelFormat | undefined;
  private coverage: Coverage | undefined;
  /** A complete frame has arrived since the last (re)connect or resize. */
  private complete = false;
  private fullRequestedAt = 0;
  private lastRequestAt = 0;
  private needFull = true;
  private throttle: NodeJS.Timeout | undefined;
  private lastDrop = '';
  private running: Promise<void> | undefined;
  private readonly stopper = new AbortController();
  private readonly stateListeners = new Set<(s: FrameSourceState, reason?: string) => void>();
  private readonly frameListeners = new Set<(fb: Framebuffer) => void>();
  private readonly counters: FrameSourceStats = {connects: 0, updates: 0};
  private readonly log: LogFn;
  private readonly minIntervalMs: number;

  constructor(
    readonly target: VncTarget,
    private readonly opts: FrameSourceOptions = {},
  ) {
    this.log = opts.log ?? noLog;
    this.minIntervalMs = 1000 / Math.max(0.1, opts.maxFps ?? 30);
    this.keys = {
      keyEvent: (keysym, down) => {
        const s = this.session;
        if (!s || this.currentState !== 'live') throw new Error(`VNC ${describe(target)} is not connected (${this.currentState}${this.lastDrop ? `: ${this.lastDrop}` : ''}); key not sent`);
        s.keyEvent(keysym, down);
      },
    };
  }

  /** Begin connecting (idempotent); returns this, for `new FrameSource(t).start()`. */
  start(): this {
    this.running ??= this.loop().catch((err: unknown) => {
      // The loop handles its own failures; reaching here is a bug, still never a crash.
      this.log('error', `VNC frame source failed: ${err instanceof Error ? err.stack : String(err)}`);
      this.setState('stopped');
    });
    return this;
  }

  get state(): FrameSourceState {
    return this.currentState;
  }

  /** Counters and timings (copies). */
  get stats(): FrameSourceStats {
    return {...this.counters};
  }

  /** Listen to state changes (with the reason for 'reconnecting'); returns an unsubscribe function. */
  onState(cb: (state: FrameSourceState, reason?: string) => void): () => void {
    this.stateListeners.add(cb);
    return () => this.stateListeners.delete(cb);
  }

  /** Called after every FramebufferUpdate (a consistent screen); returns an unsubscribe function. */
  onFrame(cb: (fb: Framebuffer) => void): () => void {
    this.frameListeners.add(cb);
    return () => this.frameListeners.delete(cb);
  }

  /**
   * Resolves with the framebuffer once a complete frame has arrived since the last
   * (re)connect or resolution switch and `predicate` (checked after every update) holds.
   * Rejects on timeout, abort, or stop().
   */
  waitForFrame(predicate: (fb: Framebuffer) => boolean = () => true, opts: WaitForFrameOptions = {}): Promise<Framebuffer> {
    const {timeoutMs = 10_000, signal} = opts;
    return new Promise<Framebuffer>((resolve, reject) => {
      const ok = (): boolean => this.complete && predicate(this.framebuffer);
      if (ok()) return resolve(this.framebuffer);
      if (this.currentState === 'stopped') return reject(new Error('VNC frame source stopped'));
      const done = (err?: unknown) => {
        clearTimeout(timer);
        offFrame();
        offState();
        signal?.removeEventListener('abort', onAbort);
        if (err === undefined) resolve(this.framebuffer);
        else reject(err);
      };
      const onAbort = () => done(signal?.reason);
      const timer = setTimeout(
        () => done(new Error(`no matching VNC frame from ${describe(this.target)} within ${timeoutMs} ms (state ${this.currentState}${this.lastDrop ? `, last drop: ${this.lastDrop}` : ''})`)),
        timeoutMs,
      );
      const offFrame = this.onFrame(() => {
        try {
          if (ok()) done();
        } catch (err) {
          done(err);
        }
      });
      const offState = this.onState((s) => s === 'stopped' && done(new Error('VNC frame source stopped')));
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, {once: true});
    });
  }

  /** Close the connection and stop reconnecting. Resolves once the socket is gone. Idempotent. */
  async stop(): Promise<void> {
    this.stopper.abort(new Error('frame source stopped'));
    clearTimeout(this.throttle);
    const s = this.session;
    s?.close();
    await s?.closed;
    await this.running;
    this.setState('stopped');
  }

  private async loop(): Promise<void> {
    const initial = this.opts.backoffMs?.initial ?? 100;
    const max = this.opts.backoffMs?.max ?? 2000;
    const signal = this.stopper.signal;
    let delay = initial;
    let lastError = '';
    while (!signal.aborted) {
      let session: VncSession;
      try {
        session = await connectVnc(this.target, {signal, timeoutMs: this.opts.attemptTimeoutMs ?? 3000, log: this.log, password: this.opts.password});
      } catch (err) {
        if (signal.aborted) break;
        const msg = err instanceof Error ? err.message : String(err);
        if (msg !== lastError) this.log('debug', `VNC connect failed (${msg}); next attempt in ${delay} ms`);
        lastError = msg;
        await pause(delay, signal);
        delay = Math.min(delay * 2, max);
        continue;
      }
      if (signal.aborted) {
        session.close();
        break;
      }
      const since = Date.now();
      await this.serve(session);
      if (signal.aborted) break;
      // A session that lasted a while earns a fresh backoff; one that dies at once keeps growing
      // it, so a server that accepts and immediately drops us (or a message that kills rfb2's
      // parser every time) is not hammered.
      delay = Date.now() - since > 5000 ? initial : Math.min(delay * 2, max);
      lastError = '';
      await pause(delay, signal);
    }
  }

  /** Run one session until it closes. */
  private async serve(s: VncSession): Promise<void> {
    this.session = s;
    this.pf = s.pixelFormat;
    this.counters.connects++;
    this.resetFrame(s.width, s.height);
    const offRect = s.onRect((r) => this.onRect(r));
    const offEnd = s.onUpdateEnd(() => this.onUpdateEnd());
    // rfb2 already asked for a full update while connecting, but rects that arrived before we
    // subscribed would be lost: ask again now that we listen.
    this.request();
    const wasReconnect = this.counters.connects > 1;
    this.log(wasReconnect ? 'info' : 'debug', `VNC ${describe(this.target)} live${wasReconnect ? ' again' : ''}: ${s.width}x${s.height}`);
    this.setState('live');
    await s.closed;
    offRect();
    offEnd();
    clearTimeout(this.throttle);
    this.throttle = undefined;
    this.session = undefined;
    if (this.stopper.signal.aborted) return;
    this.lastDrop = s.closeReason ?? 'connection closed';
    this.log('warn', `VNC ${describe(this.target)} dropped (${this.lastDrop}); reconnecting`);
    this.setState('reconnecting', this.lastDrop);
  }

  private resetFrame(width: number, height: number): void {
    this.framebuffer.resize(width, height);
    this.coverage = new Coverage(width, height);
    this.complete = false;
    this.needFull = true;
  }

  private onRect(r: VncRect): void {
    if (r.kind === 'resize') {
      this.log('debug', `VNC resolution ${r.width}x${r.height}`);
      this.resetFrame(r.width, r.height);
      return;
    }
    this.framebuffer.applyRect(r, this.pf!);
    if (r.kind === 'raw') this.coverage?.add(r.x, r.y, r.width, r.height);
  }

  private onUpdateEnd(): void {
    this.counters.updates++;
    if (!this.complete && this.coverage?.complete) {
      this.complete = true;
      this.coverage = undefined; // tracking costs a byte per pixel: only until the first frame
      this.counters.fullFrameMs = Date.now() - this.fullRequestedAt;
    }
    for (const cb of this.frameListeners) this.safely(() => cb(this.framebuffer));
    this.scheduleRequest();
  }

  private scheduleRequest(): void {
    if (this.throttle || !this.session) return;
    const wait = this.lastRequestAt + this.minIntervalMs - Date.now();
    if (this.needFull || wait <= 0) return this.request();
    this.throttle = setTimeout(() => {
      this.throttle = undefined;
      this.request();
    }, wait);
  }

  private request(): void {
    const s = this.session;
    if (!s) return;
    try {
      const full = this.needFull;
      s.requestUpdate(!full);
      this.needFull = false;
      this.lastRequestAt = Date.now();
      if (full) this.fullRequestedAt = this.lastRequestAt;
    } catch {
      // The session is closing; serve() notices through `closed` and reconnects.
    }
  }

  private setState(state: FrameSourceState, reason?: string): void {
    if (state === this.currentState) return;
    this.currentState = state;
    for (const cb of this.stateListeners) this.safely(() => cb(state, reason));
  }

  /** A subscriber's exception must not kill the session (it would run inside rfb2's parser). */
  private safely(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.log('warn', `VNC frame listener threw: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}

function describe(t: VncTarget): string {
  return 'path' in t ? `unix:${t.path}` : `${t.host}:${t.port}`;
}

/** Sleep that ends early (resolving) when the signal fires: the loop then sees `aborted`. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, {once: true});
  });
}
