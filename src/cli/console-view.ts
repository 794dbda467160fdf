/**
 * `vmbench build --console`: the VM's live screen full-screen in the terminal while a headless
 * build runs, with key passthrough. A stand-in for the workbench's Console pane until the TUI
 * exists; it paints directly (no ink) with the pane painters from src/render.
 *
 * Layout: a title row, the screen pane, two log rows, a key-hint row.
 */
import type {BuildEvent} from '../engine/events.js';
import {createScreenPainter, detectColorMode, detectGraphics, ScreenView, type ScreenTextRead} from '../render/index.js';
import type {Framebuffer} from '../vnc/framebuffer.js';
import type {KeySender} from '../vnc/key-sender.js';
import {OrderedKeys} from '../vnc/key-sender.js';
import {keyEventsFor, TermKeyParser} from '../vnc/term-keys.js';
import {formatDuration} from '../util/duration.js';
import {describeView} from '../render/screen-view.js';

/** What the view needs from a running VM. */
export interface ConsoleFeed {
  framebuffer: Framebuffer;
  keys: KeySender;
}

export type {ScreenTextRead} from '../render/index.js';

export interface ConsoleViewOptions {
  stdin: NodeJS.ReadStream;
  stdout: NodeJS.WriteStream;
  profile: string;
  /** The live screen, once the VM runs (undefined before and after). */
  feed: () => ConsoleFeed | undefined;
  /** Reads the screen as text, for the text view. */
  readText?: () => Promise<ScreenTextRead | undefined>;
  /** Take a screenshot; resolves with its path. */
  screenshot?: () => Promise<string | undefined>;
  /** Ctrl-C in view mode (passthrough sends Ctrl-C to the VM instead). */
  onInterrupt: () => void;
  fps?: number;
}

const ESC = '\x1b';
const HEADER_ROWS = 1;
const FOOTER_ROWS = 3;
/** Signals after which the terminal is restored at once (the build's own handlers still run). */
const GUARDED_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'];

export class ConsoleView {
  /** What the screen box shows: text when the screen reads as text, else pixels (shared with the workbench). */
  private view: ScreenView | undefined;
  private timer: NodeJS.Timeout | undefined;
  private interact = false;
  private step = '';
  private stepStarted = Date.now();
  private readonly logTail: string[] = [];
  private notice = '';
  private lastChrome = '';
  private readonly parser: TermKeyParser;
  private readonly onData = (d: Buffer): void => this.input(d);
  private readonly onResize = (): void => this.layout();
  /**
   * The crash guard: whatever ends this process — an uncaught exception or unhandled rejection,
   * a signal, process.exit anywhere — leaves the terminal as it found it (raw mode off, the
   * alternate screen left, the cursor shown). A signal nobody else handles is raised again once
   * the terminal is back, so it still ends the process as it would have.
   */
  private readonly onCrash = (): void => this.stop();
  private readonly onExit = (): void => this.stop();
  private readonly onSignal = (sig: NodeJS.Signals): void => {
    this.stop();
    if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
  };

  constructor(private readonly o: ConsoleViewOptions) {
    this.parser = new TermKeyParser(
      (k) => {
        const feed = this.o.feed();
        if (!feed) return;
        this.keys.send(feed.keys, keyEventsFor(k));
      },
      () => {
        this.interact = false;
        this.lastChrome = '';
      },
    );
  }

  start(): void {
    const out = this.o.stdout;
    out.write(`${ESC}[?1049h${ESC}[?25l${ESC}[2J`);
    this.o.stdin.setRawMode?.(true);
    this.o.stdin.on('data', this.onData);
    this.o.stdin.resume();
    out.on('resize', this.onResize);
    this.layout();
    this.timer = setInterval(() => this.paint(), Math.round(1000 / (this.o.fps ?? 25)));
    process.on('uncaughtExceptionMonitor', this.onCrash);
    process.on('exit', this.onExit);
    for (const sig of GUARDED_SIGNALS) process.on(sig, this.onSignal);
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    process.off('uncaughtExceptionMonitor', this.onCrash);
    process.off('exit', this.onExit);
    for (const sig of GUARDED_SIGNALS) process.off(sig, this.onSignal);
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.o.stdin.off('data', this.onData);
    this.o.stdin.setRawMode?.(false);
    this.o.stdin.pause();
    this.o.stdout.off('resize', this.onResize);
    // The terminal may already be gone (SIGHUP): restoring it is best effort.
    try {
      if (this.view) this.o.stdout.write(this.view.clear());
      this.o.stdout.write(`${ESC}[?25h${ESC}[?1049l`);
    } catch {
      // nothing to restore
    }
  }

  /** Feed build events: the title shows the step, the footer the newest log lines. */
  event(e: BuildEvent): void {
    if (e.type === 'step' && e.status === 'running') {
      this.step = e.id;
      this.stepStarted = e.time;
    } else if (e.type === 'log' && e.stream !== 'debug') {
      this.logTail.push(`${e.source}: ${e.line}`);
      if (this.logTail.length > 2) this.logTail.shift();
    } else if (e.type === 'step' && e.status === 'failed') {
      this.logTail.push(`!!! ${e.id} failed: ${e.error ?? ''}`);
      if (this.logTail.length > 2) this.logTail.shift();
    }
  }

  private size(): {cols: number; rows: number} {
    return {cols: this.o.stdout.columns || 80, rows: this.o.stdout.rows || 24};
  }

  private layout(): void {
    const {cols, rows} = this.size();
    const paneRows = Math.max(1, rows - HEADER_ROWS - FOOTER_ROWS);
    if (!this.view) {
      const geometry = {cols, rows: paneRows, originRow: HEADER_ROWS + 1, originCol: 1};
      const colorMode = detectColorMode(process.env, !!this.o.stdout.isTTY);
      const pixels = createScreenPainter(detectGraphics(process.env), {...geometry, colorMode});
      this.view = new ScreenView({...geometry, pixels, colorMode, readText: this.o.readText});
    }
    this.view.resize(cols, paneRows);
    this.view.moveTo(HEADER_ROWS + 1, 1);
    this.o.stdout.write(`${ESC}[2J`);
    this.lastChrome = '';
  }

  private input(d: Buffer): void {
    if (this.interact) return this.parser.push(d);
    const s = d.toString('utf8');
    const moves: Record<string, [number, number]> = {A: [0, -1], B: [0, 1], C: [1, 0], D: [-1, 0]};
    for (const key of s.match(/\x1b\[[A-D]|[\s\S]/g) ?? []) {
      if (key === '\x03') this.o.onInterrupt();
      else if (key === 'i') this.interact = true;
      else if (key === 't') this.view?.cycleMode();
      else if (key === 'z') this.view?.toggleZoom();
      else if (key === 's' && this.o.screenshot) void this.o.screenshot().then((p) => (this.notice = p ? `screenshot: ${p}` : 'no screen yet'));
      else if (key.startsWith('\x1b[')) this.view?.pan(...moves[key[2]!]!);
      else continue;
      this.lastChrome = '';
    }
  }

  private paint(): void {
    const {cols, rows} = this.size();
    const feed = this.o.feed();
    const chunks: string[] = [];
    const buf = this.view?.render(feed?.framebuffer);
    if (buf?.length) this.o.stdout.write(buf);
    const elapsed = this.step ? ` ${this.step} ${formatDuration(Date.now() - this.stepStarted)}` : '';
    const screenSize = feed ? ` ${feed.framebuffer.width}x${feed.framebuffer.height}` : ' (no VM yet)';
    const view = this.view ? describeView(this.view.status()) : '';
    const title = ` vmbench ${this.o.profile} ·${elapsed} ·${screenSize} · ${view}${this.interact ? ' · INTERACTIVE' : ''}`;
    const hints = this.interact
      ? ' typing goes to the VM — Ctrl-] to leave'
      : ' i type into VM · t text/pixels · z zoom 1:1/fit · arrows pan · s screenshot · Ctrl-C cancel build';
    const footer = [...this.logTail, this.notice].filter(Boolean).slice(-2);
    while (footer.length < 2) footer.unshift('');
    const chrome = [title, ...footer, hints].map((l) => l.replace(/[\x00-\x1f]/g, ' ').slice(0, cols));
    const chromeKey = chrome.join('\n');
    if (chromeKey !== this.lastChrome) {
      this.lastChrome = chromeKey;
      chunks.push(`${ESC}[1;1H${ESC}[7m${chrome[0]!.padEnd(cols)}${ESC}[0m`);
      chunks.push(`${ESC}[${rows - 2};1H${ESC}[2m${chrome[1]!.padEnd(cols)}`, `${ESC}[${rows - 1};1H${chrome[2]!.padEnd(cols)}${ESC}[0m`);
      chunks.push(`${ESC}[${rows};1H${ESC}[7m${chrome[3]!.padEnd(cols)}${ESC}[0m`);
    }
    if (chunks.length) this.o.stdout.write(chunks.join(''));
  }

  private readonly keys = new OrderedKeys((err) => {
    this.notice = `key not sent: ${err.message}`;
  });
  private stopped = false;
}
