/**
 * Keeps a Framebuffer current from QEMU's VNC server for as long as the VM runs: asks for a full
 * frame on connect, then an incremental one after every update (QEMU sends only while a request
 * is pending), at most maxFps times a second. A dropped connection is re-established with backoff
 * and never fails the build: the screen is a view, not a dependency.
 */
import {setTimeout as sleep} from 'node:timers/promises';
import {noLog, type LogFn} from '../engine/events.js';
import {Framebuffer} from './framebuffer.js';
import type {KeySender} from './key-sender.js';
import {connectVnc, type VncSession} from './vnc-client.js';

export type LiveFramesState = 'connecting' | 'live' | 'reconnecting' | 'stopped';

export interface LiveFramesOptions {
  log?: LogFn;
  maxFps?: number;
}

export class LiveFrames {
  readonly framebuffer = new Framebuffer(0, 0);
  state: LiveFramesState = 'connecting';
  private session: VncSession | undefined;
  private readonly stopper = new AbortController();
  private readonly log: LogFn;
  private readonly minGapMs: number;
  private frames = 0;
  private waiters: Array<() => void> = [];

  /** Key events go to the current session; while reconnecting they fail loudly. */
  readonly keys: KeySender = {
    keyEvent: (keysym, down) => {
      if (!this.session) throw new Error(`the VNC connection is ${this.state}`);
      this.session.keyEvent(keysym, down);
    },
  };

  constructor(
    private readonly target: {host: string; port: number} | {path: string},
    opts: LiveFramesOptions = {},
  ) {
    this.log = opts.log ?? noLog;
    this.minGapMs = 1000 / (opts.maxFps ?? 30);
    void this.loop();
  }

  /** Resolves after the next complete update (or at once if one arrived already and `fresh` is false). */
  nextFrame(fresh = true): Promise<void> {
    if (!fresh && this.frames > 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  stop(): void {
    this.state = 'stopped';
    this.stopper.abort();
    this.session?.close();
    this.session = undefined;
    for (const w of this.waiters.splice(0)) w();
  }

  private async loop(): Promise<void> {
    let backoff = 100;
    while (!this.stopper.signal.aborted) {
      try {
        const s = await connectVnc(this.target, {signal: this.stopper.signal, timeoutMs: 30_000, log: this.log});
        this.session = s;
        this.state = 'live';
        backoff = 100;
        this.framebuffer.resize(s.width, s.height);
        let last = 0;
        let rects = 0;
        s.onRect((r) => {
          rects++;
          this.framebuffer.applyRect(r, s.pixelFormat);
          // A resolution switch arrives as its own update: ask for the new screen in full.
          if (r.kind === 'resize') s.requestUpdate(false);
        });
        s.onUpdateEnd(() => {
          // rfb2 asks for a frame while connecting whose rects reach nobody: only updates whose
          // rects we applied count as frames.
          if (rects > 0) {
            rects = 0;
            this.frames++;
            for (const w of this.waiters.splice(0)) w();
          }
          const wait = Math.max(0, last + this.minGapMs - Date.now());
          setTimeout(() => {
            last = Date.now();
            if (this.session === s) {
              try {
                s.requestUpdate(true);
              } catch {
                // closed meanwhile: the loop reconnects
              }
            }
          }, wait).unref();
        });
        s.requestUpdate(false);
        await s.closed;
        this.session = undefined;
        if (this.stopper.signal.aborted) break;
        this.log('debug', `VNC connection closed (${s.closeReason ?? 'no reason'}); reconnecting`);
      } catch (err) {
        if (this.stopper.signal.aborted) break;
        this.log('debug', `VNC connect failed: ${(err as Error).message}`);
      }
      this.state = 'reconnecting';
      await sleep(backoff, undefined, {signal: this.stopper.signal}).catch(() => undefined);
      backoff = Math.min(backoff * 2, 2000);
    }
    this.state = 'stopped';
  }
}
