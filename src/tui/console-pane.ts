/**
 * The Console tab's live VM screen, painted with the hand-written painters of src/render into a
 * box ink keeps empty — never through <Text> (a framebuffer through React costs ~1 s a frame).
 *
 * How ink and the painter share the terminal without fighting (the mechanism, exactly):
 *
 * 1. BuildScreen renders blank cells where the console goes and reports that box (absolute
 *    terminal row/col/size) through its consoleSlot prop; {@link ConsolePane.setRect} takes it.
 * 2. ink gets a proxy stdout (InkStdout, in ink-stdout.ts) instead of the terminal. Every byte ink writes
 *    goes through a small cursor tracker (TerminalRowTracker) that follows ink's
 *    relative moves (CSI A/B/E/F/G/H/K/J, CR, LF) and records which terminal rows ink wrote and
 *    the exact bytes it put on each row.
 * 3. When an ink frame is complete (at ink's end-synchronized-update `CSI ?2026l`, or right after
 *    a write outside such a block) and it wrote any row of the console box, the painter is
 *    invalidated and its full repaint is written *before* ink's `?2026l`: the terminal swaps
 *    ink's frame and the restored pixels in as one update (no blank flash). ink writes a frame
 *    only when its output string changed, so a log flood in another tab — or on the Console
 *    tab, where no text changes — costs the painter nothing; a clock tick costs one repaint.
 *    ink runs with its standard renderer (erase the frame's lines, write them again). Its
 *    `incrementalRendering` is not usable in ink 6.8: log-update's createIncremental starts each
 *    frame with cursorUp(previousVisible − 1), one row short whenever the previous frame ended
 *    with a newline (every frame below full height), so every frame lands one row low; and an
 *    incremental frame trusts the screen to still hold its previous lines, which a resize
 *    breaks. The standard renderer erases upwards from the cursor and rewrites everything, so
 *    it heals itself after a resize.
 * 4. Between ink frames a timer (≤ 30 fps) paints only when the framebuffer changed (its damage
 *    rectangles), straight to the terminal (not through the proxy); the painter wraps each
 *    frame in `CSI ?2026h/l` and cursor save/restore, so ink's idea of cursor and colours holds.
 * 5. When the box moves or goes away (another tab, an overlay, a resize), the painter clears its
 *    cells and the tracker replays ink's own last bytes for those rows, so ink's picture is
 *    back without ink knowing anything happened (ink would not redraw rows it thinks unchanged).
 *
 * What goes in the box — the screen as terminal text when it reads as text, pixels otherwise,
 * zoom and pan — is src/render/screen-view.ts's ScreenView, shared with `vmbench build --console`.
 *
 * Keyboard passthrough: while captured, raw terminal bytes go through src/vnc/term-keys.ts to
 * the VM (sequentially, so modifiers and keys arrive in order) until Ctrl-].
 */
import type {ColorMode} from '../render/halfblock.js';
import type {ScreenPainter} from '../render/pane.js';
import {ScreenView, type ScreenTextRead, type ScreenViewStatus, type TextMode} from '../render/screen-view.js';
import type {PixelSource, Rect} from '../vnc/framebuffer.js';
import type {KeySender} from '../vnc/key-sender.js';
import {OrderedKeys} from '../vnc/key-sender.js';
import {keyEventsFor, TermKeyParser} from '../vnc/term-keys.js';
import {BSU, ESU, TerminalRowTracker} from './ink-stdout.js';

/** A box of terminal cells; `row`/`col` are 1-based terminal coordinates of its top-left cell. */
export interface CellRect {
  row: number;
  col: number;
  width: number;
  height: number;
}

/** What the pane needs from the VM: a screen with change tracking, and its keyboard. FrameSource fits. */
export interface ConsoleFrames {
  framebuffer: PixelSource & {readonly version: number; takeDamage(): Rect[]};
  keys: KeySender;
  /** FrameSource's connection state; 'stopped' = this feed is over. */
  readonly state?: string;
}


export {BSU, ESU, InkStdout, TerminalRowTracker} from './ink-stdout.js';

// ---------------------------------------------------------------------------------------------
// The pane

export interface ConsolePaneOptions {
  /** Writes to the terminal directly (not through InkStdout: the painter's bytes are not ink's). */
  write: (data: Buffer | string) => void;
  /** Makes the painter for a box (createScreenPainter with the probed graphics mode, usually). */
  createPainter: (geometry: {cols: number; rows: number; originRow: number; originCol: number}) => ScreenPainter;
  /** Colours of the text view (detectColorMode). Default 'truecolor'. */
  colorMode?: ColorMode;
  /** ink's row tracker, to put ink's rows back when the box moves or goes away. */
  tracker?: TerminalRowTracker;
  /** Most frames per second the timer paints (default 30). */
  fps?: number;
  /** Problems sending keys, etc., for a status line. */
  onNotice?: (message: string) => void;
  /** Text read between two text reads at least (default 300 ms). */
  readIntervalMs?: number;
}

/**
 * Draws the VM's screen into a box and forwards keys to it. Geometry comes from BuildScreen
 * (setRect), the screen from the controller (setFrames), repaint requests from InkStdout
 * (afterInkFrame). Safe to drive with no VM yet, and to call in any order.
 */
export class ConsolePane {
  private rect: CellRect | undefined;
  private view: ScreenView | undefined;
  private frames: () => ConsoleFrames | undefined = () => undefined;
  private readText: (() => Promise<ScreenTextRead | undefined>) | undefined;
  private mode: TextMode = 'auto';
  private statusKey = '';
  private onStatus: ((status: ScreenViewStatus) => void) | undefined;
  private feed: ConsoleFrames | undefined;
  private timer: NodeJS.Timeout | undefined;
  private parser: TermKeyParser | undefined;
  private armed = false;
  private onRelease: (() => void) | undefined;
  private readonly keys = new OrderedKeys((err) => this.notice?.(`key not sent: ${err.message}`));
  /** Figures for tests and benchmarks. */
  readonly stats = {paints: 0, bytes: 0, keys: 0};

  private notice: ((message: string) => void) | undefined;

  constructor(private readonly o: ConsolePaneOptions) {
    this.notice = o.onNotice;
  }

  /** Where the box is now; undefined hides it (tab switched, overlay on top). */
  setRect(rect: CellRect | undefined): void {
    const r = rect && rect.width > 0 && rect.height > 0 ? {...rect} : undefined;
    const old = this.rect;
    if (old && r && old.row === r.row && old.col === r.col && old.width === r.width && old.height === r.height) return;
    if (old) this.vacate(old);
    this.rect = r;
    if (r) {
      if (!this.view) {
        const geometry = {cols: r.width, rows: r.height, originRow: r.row, originCol: r.col};
        this.view = new ScreenView({...geometry, pixels: this.o.createPainter(geometry), colorMode: this.o.colorMode ?? 'truecolor', readText: this.readText, mode: this.mode, readIntervalMs: this.o.readIntervalMs});
      } else {
        this.view.resize(r.width, r.height);
        this.view.moveTo(r.row, r.col);
      }
      this.start();
      this.tick();
    } else this.stopTimer();
  }

  get visibleRect(): CellRect | undefined {
    return this.rect;
  }

  /** Where the screen comes from (the controller's frames()); re-read on every tick. */
  setFrames(frames: () => ConsoleFrames | undefined): void {
    this.frames = frames;
    this.feed = undefined;
    this.view?.invalidate();
  }

  /** Where the screen's text comes from (the controller's readText()), for the text view. */
  setTextSource(readText: (() => Promise<ScreenTextRead | undefined>) | undefined): void {
    this.readText = readText;
    this.view?.setTextSource(readText);
  }

  /** Told whenever what the box shows changes (text or pixels, zoom, the window of the text). */
  setStatusListener(onStatus: ((status: ScreenViewStatus) => void) | undefined): void {
    this.onStatus = onStatus;
    this.statusKey = '';
  }

  /** Text / pixels / automatic, in turn; returns the new mode. */
  cycleMode(): TextMode {
    this.mode = this.view ? this.view.cycleMode() : this.mode === 'auto' ? 'text' : this.mode === 'text' ? 'pixels' : 'auto';
    this.tick();
    return this.mode;
  }

  /** Pixels fit ↔ 1:1 (text is always 1:1: this puts its window back on the content). */
  toggleZoom(): void {
    this.view?.toggleZoom();
    this.tick();
  }

  /** One pan step (−1, 0, 1 each way). */
  pan(dx: number, dy: number): void {
    this.view?.pan(dx, dy);
    this.tick();
  }

  /** What the box shows now. */
  get status(): ScreenViewStatus | undefined {
    return this.view?.status();
  }

  /** Where problems sending keys are reported (replaces the constructor's onNotice). */
  setNotice(onNotice: (message: string) => void): void {
    this.notice = onNotice;
  }

  /** Something else drew over the box: the next paint repaints all of it. */
  invalidate(): void {
    this.view?.invalidate();
  }

  /** InkStdout's afterFrame: if ink wrote any row of the box, the full repaint to append. */
  afterInkFrame(touched: {rows: Set<number>; all: boolean}): Buffer | string | undefined {
    const r = this.rect;
    if (!r || !TerminalRowTracker.hits(touched, r.row, r.row + r.height - 1)) return undefined;
    this.invalidate();
    return this.paintBytes();
  }

  /** One timer tick: paint if the screen changed (or the box was invalidated). */
  tick(): void {
    const out = this.paintBytes();
    if (out.length) this.o.write(out);
  }

  /** Bytes bringing the box up to date (empty when nothing changed). */
  paintBytes(): Buffer | string {
    const r = this.rect;
    if (!r || !this.view) return '';
    const feed = this.safeFrames();
    const fb = feed && feed.framebuffer.width > 0 && feed.framebuffer.height > 0 ? feed.framebuffer : undefined;
    // No screen yet: the box is ink's (BuildScreen shows its own note there) until one exists.
    if (!fb) return '';
    const buf = this.view.render(fb);
    if (buf.length) {
      this.stats.paints++;
      this.stats.bytes += buf.length;
    }
    this.report();
    return buf;
  }

    /** Stop painting and give the box back (leaving the build screen). */
  stop(): void {
    this.release();
    this.setRect(undefined);
    this.stopTimer();
  }

  // --- keyboard passthrough --------------------------------------------------------------

  get captured(): boolean {
    return !!this.parser;
  }

  /**
   * Keys go to the VM from now until Ctrl-] (then `onRelease` runs). Input arriving in the
   * current turn of the event loop is the key that asked for capture and is not forwarded.
   */
  capture(onRelease?: () => void): void {
    if (this.parser) return;
    this.onRelease = onRelease;
    this.armed = false;
    this.parser = new TermKeyParser(
      (k) => this.send(keyEventsFor(k)),
      () => this.release(),
    );
    setImmediate(() => {
      if (this.parser) this.armed = true;
    });
  }

  /** Leave passthrough (Ctrl-] does this itself). */
  release(): void {
    if (!this.parser) return;
    this.parser = undefined;
    this.armed = false;
    const cb = this.onRelease;
    this.onRelease = undefined;
    cb?.();
  }

  /** Raw terminal input (stdin 'data'); used only while captured. Returns true when consumed. */
  input(data: Buffer | string): boolean {
    if (!this.parser || !this.armed) return false;
    this.parser.push(data);
    return true;
  }

  /** Resolves once every key sent so far went out (tests, and before leaving). */
  flushKeys(): Promise<void> {
    return this.keys.flushed();
  }

  private send(events: Array<[number, boolean]>): void {
    const feed = this.safeFrames();
    if (!feed) {
      this.notice?.('no VM to type into yet');
      return;
    }
    this.stats.keys++;
    this.keys.send(feed.keys, events);
  }

  // --- internals -----------------------------------------------------------------------

  /**
   * The feed: kept while it lives; once it stopped, the controller is asked again (it gives
   * none while the VM goes down — engine/screen.ts liveFrames — and a new one when a VM runs
   * again, e.g. after a retried step).
   */
  private safeFrames(): ConsoleFrames | undefined {
    const cached = this.feed;
    if (cached && cached.state !== 'stopped') return cached;
    try {
      this.feed = this.frames();
    } catch {
      this.feed = undefined;
    }
    return this.feed;
  }

  private report(): void {
    const st = this.view?.status();
    if (!st || !this.onStatus) return;
    const t = st.text;
    const key = `${st.showing} ${st.mode} ${st.zoom} ${st.pannable} ${t ? `${t.cols}x${t.rows}@${t.view.x},${t.view.y}` : ''}`;
    if (key === this.statusKey) return;
    this.statusKey = key;
    this.onStatus(st);
  }

  /** Give a box back: erase what the painter drew there and put ink's rows back. */
  private vacate(r: CellRect): void {
    const parts: Buffer[] = [];
    if (this.view) parts.push(this.view.clear());
    if (this.o.tracker) parts.push(Buffer.from(this.o.tracker.replay(r.row, r.row + r.height - 1), 'utf8'));
    if (parts.some((p) => p.length)) this.o.write(Buffer.concat([Buffer.from(BSU), ...parts, Buffer.from(ESU)]));
  }

  private start(): void {
    if (this.timer) return;
    const every = Math.max(1, Math.round(1000 / (this.o.fps ?? 30)));
    this.timer = setInterval(() => this.tick(), every);
    this.timer.unref?.();
  }

  private stopTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
