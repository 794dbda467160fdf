/**
 * `vmbench build --console`: the VM's live screen full-screen in the terminal while a headless
 * build runs, with key passthrough. A stand-in for the workbench's Console pane until the TUI
 * exists; it paints directly (no ink) with the pane painters from src/render.
 *
 * Layout: a title row, the screen pane, two log rows, a key-hint row.
 */
import type {BuildEvent} from '../engine/events.js';
import {createScreenPainter, detectColorMode, detectGraphics, type ScreenPainter} from '../render/index.js';
import type {Framebuffer} from '../vnc/framebuffer.js';
import type {KeySender} from '../vnc/key-sender.js';
import {OrderedKeys} from '../vnc/key-sender.js';
import {keyEventsFor, TermKeyParser} from '../vnc/term-keys.js';
import {formatDuration} from '../util/duration.js';

/** What the view needs from a running VM. */
export interface ConsoleFeed {
  framebuffer: Framebuffer;
  keys: KeySender;
}

/** Text read from the screen (VGA memory or recognised glyphs), when available. */
export interface ScreenTextRead {
  lines: string[];
  confidence: number;
}

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

export class ConsoleView {
  private painter: ScreenPainter | undefined;
  private timer: NodeJS.Timeout | undefined;
  private interact = false;
  /** 'auto' shows text when the screen reads as text with confidence, else pixels. */
  private textMode: 'auto' | 'text' | 'pixels' = 'auto';
  private lastText: ScreenTextRead | undefined;
  private lastTextAt = 0;
  private readingText = false;
  private zoom: 'fit' | 1 = 'fit';
  private pan = {x: 0, y: 0};
  private step = '';
  private stepStarted = Date.now();
  private readonly logTail: string[] = [];
  private notice = '';
  private lastFbVersion = -1;
  private lastChrome = '';
  private readonly parser: TermKeyParser;
  private readonly onData = (d: Buffer): void => this.input(d);
  private readonly onResize = (): void => this.layout();

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
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.o.stdin.off('data', this.onData);
    this.o.stdin.setRawMode?.(false);
    this.o.stdin.pause();
    this.o.stdout.off('resize', this.onResize);
    // The terminal may already be gone (SIGHUP): restoring it is best effort.
    try {
      if (this.painter) this.o.stdout.write(this.painter.clear());
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
    const mode = detectGraphics(process.env);
    this.painter ??= createScreenPainter(mode, {cols, rows: paneRows, originRow: HEADER_ROWS + 1, originCol: 1, colorMode: detectColorMode(process.env, !!this.o.stdout.isTTY)});
    this.painter.resize(cols, paneRows);
    this.painter.moveTo(HEADER_ROWS + 1, 1);
    this.painter.setView({zoom: this.zoom, panX: this.pan.x, panY: this.pan.y});
    this.o.stdout.write(`${ESC}[2J`);
    this.lastChrome = '';
    this.lastFbVersion = -1;
  }

  private input(d: Buffer): void {
    if (this.interact) return this.parser.push(d);
    const s = d.toString('utf8');
    const step = 64;
    for (const key of s.match(/\x1b\[[A-D]|[\s\S]/g) ?? []) {
      if (key === '\x03') this.o.onInterrupt();
      else if (key === 'i') this.interact = true;
      else if (key === 't') this.textMode = this.textMode === 'text' ? 'pixels' : this.textMode === 'pixels' ? 'auto' : 'text';
      else if (key === 'z') this.zoom = this.zoom === 'fit' ? 1 : 'fit';
      else if (key === 's' && this.o.screenshot) void this.o.screenshot().then((p) => (this.notice = p ? `screenshot: ${p}` : 'no screen yet'));
      else if (key.startsWith('\x1b[')) {
        const moves: Record<string, [number, number]> = {A: [0, -step], B: [0, step], C: [step, 0], D: [-step, 0]};
        const [dx, dy] = moves[key[2]!] ?? [0, 0];
        const src = this.painter?.view?.src;
        this.pan = {x: Math.max(0, (src?.x ?? this.pan.x) + dx), y: Math.max(0, (src?.y ?? this.pan.y) + dy)};
      } else continue;
      this.painter?.setView({zoom: this.zoom, panX: this.pan.x, panY: this.pan.y});
      this.lastChrome = '';
      this.lastFbVersion = -1;
    }
  }

  private showText(): boolean {
    if (this.textMode === 'pixels') return false;
    if (this.textMode === 'text') return !!this.lastText;
    return !!this.lastText && this.lastText.confidence >= 0.9;
  }

  private refreshText(): void {
    if (!this.o.readText || this.readingText || this.textMode === 'pixels' || Date.now() - this.lastTextAt < 300) return;
    this.readingText = true;
    this.lastTextAt = Date.now();
    void this.o
      .readText()
      .then((t) => (this.lastText = t))
      .catch(() => (this.lastText = undefined))
      .finally(() => (this.readingText = false));
  }

  private paint(): void {
    const {cols, rows} = this.size();
    const feed = this.o.feed();
    const chunks: string[] = [];
    if (feed) this.refreshText();
    const text = feed && this.showText() ? this.lastText : undefined;
    const paneRows = Math.max(1, rows - HEADER_ROWS - FOOTER_ROWS);
    if (text) {
      // Real terminal text: crisp at any size, searchable, copyable.
      const body = text.lines.slice(0, paneRows).map((l) => l.slice(0, cols).padEnd(cols));
      while (body.length < paneRows) body.push(''.padEnd(cols));
      const key = body.join('\n');
      if (key !== this.lastTextPainted) {
        this.lastTextPainted = key;
        body.forEach((l, i) => chunks.push(`${ESC}[${HEADER_ROWS + 1 + i};1H${l}`));
      }
      this.lastFbVersion = -1;
    } else if (feed && this.painter) {
      this.lastTextPainted = '';
      const fb = feed.framebuffer;
      if (fb.version !== this.lastFbVersion) {
        const damage = this.lastFbVersion < 0 ? undefined : fb.takeDamage();
        if (this.lastFbVersion < 0) fb.takeDamage();
        this.lastFbVersion = fb.version;
        const buf = this.painter.render(fb, damage);
        if (buf.length) this.o.stdout.write(buf);
      }
    }
    const elapsed = this.step ? ` ${this.step} ${formatDuration(Date.now() - this.stepStarted)}` : '';
    const screenSize = feed ? ` ${feed.framebuffer.width}x${feed.framebuffer.height}` : ' (no VM yet)';
    const view = text ? 'text' : 'pixels';
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

  private lastTextPainted = '';
  private readonly keys = new OrderedKeys((err) => {
    this.notice = `key not sent: ${err.message}`;
  });
  private stopped = false;
}
