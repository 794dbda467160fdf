/**
 * The Console tab's live VM screen, painted with the hand-written painters of src/render into a
 * box ink keeps empty — never through <Text> (a framebuffer through React costs ~1 s a frame).
 *
 * How ink and the painter share the terminal without fighting (the mechanism, exactly):
 *
 * 1. BuildScreen renders blank cells where the console goes and reports that box (absolute
 *    terminal row/col/size) through its consoleSlot prop; {@link ConsolePane.setRect} takes it.
 * 2. ink gets a proxy stdout ({@link InkStdout}) instead of the terminal. Every byte ink writes
 *    goes through a small cursor tracker ({@link TerminalRowTracker}) that follows ink's
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
 * Keyboard passthrough: while captured, raw terminal bytes go through src/vnc/term-keys.ts to
 * the VM (sequentially, so modifiers and keys arrive in order) until Ctrl-].
 */
import {EventEmitter} from 'node:events';
import type {ScreenPainter} from '../render/pane.js';
import type {PixelSource, Rect} from '../vnc/framebuffer.js';
import type {KeySender} from '../vnc/key-sender.js';
import {OrderedKeys} from '../vnc/key-sender.js';
import {keyEventsFor, TermKeyParser} from '../vnc/term-keys.js';

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

/** After a feed stopped, how long before the controller is asked for a new one. */
const REACQUIRE_MS = 3000;

const ESC = '\x1b';
export const BSU = '\x1b[?2026h';
export const ESU = '\x1b[?2026l';

// ---------------------------------------------------------------------------------------------
// Tracking what ink writes

/**
 * Follows a stream of terminal output well enough to know which rows it wrote and what it put
 * there: printable text, SGR, erase in line/display, cursor moves (absolute and relative), CR,
 * LF with scrolling at the bottom, save/restore cursor. Other sequences (modes, OSC, DCS) are
 * skipped. Anything it misreads errs on the side of "row touched" (a needless repaint, never a
 * missing one).
 */
export class TerminalRowTracker {
  row = 1;
  col = 1;
  /** Raw bytes (text + SGR) ink last wrote on each row, from column 1. */
  private lines = new Map<number, string>();
  /** The row's text is being rewritten from column 1: the next text replaces what was recorded. */
  private fresh = true;
  private saved = {row: 1, col: 1};
  private touchedRows = new Set<number>();
  private touchedAll = false;
  /** An escape sequence cut between two writes. */
  private pending = '';

  constructor(private readonly termRows: () => number) {}

  /** Rows written since the last call (`all` after a clear or scroll). */
  takeTouched(): {rows: Set<number>; all: boolean} {
    const r = {rows: this.touchedRows, all: this.touchedAll};
    this.touchedRows = new Set();
    this.touchedAll = false;
    return r;
  }

  /** True when rows [from, to] were touched (per a takeTouched result). */
  static hits(t: {rows: Set<number>; all: boolean}, from: number, to: number): boolean {
    if (t.all) return true;
    for (const r of t.rows) if (r >= from && r <= to) return true;
    return false;
  }

  /** The bytes that put ink's last content of rows [from, to] back (cursor saved and restored). */
  replay(from: number, to: number): string {
    let out = `${ESC}7`;
    for (let r = from; r <= to; r++) out += `${ESC}[${r};1H${ESC}[0m${this.lines.get(r) ?? ''}${ESC}[0m${ESC}[K`;
    return `${out}${ESC}8`;
  }

  /** What the tracker holds for a row (tests). */
  lineAt(row: number): string | undefined {
    return this.lines.get(row);
  }

  feed(data: string): void {
    const s = this.pending + data;
    this.pending = '';
    let i = 0;
    let textStart = -1;
    const flushText = (end: number): void => {
      if (textStart < 0) return;
      this.text(s.slice(textStart, end));
      textStart = -1;
    };
    while (i < s.length) {
      const c = s.charCodeAt(i);
      if (c === 0x1b) {
        flushText(i);
        const n = this.escape(s, i);
        if (n === 0) {
          this.pending = s.slice(i);
          return;
        }
        i += n;
        continue;
      }
      if (c === 0x0a || c === 0x0d || c === 0x08 || c === 0x07 || c < 0x20) {
        flushText(i);
        if (c === 0x0a) this.lineFeed();
        else if (c === 0x0d) this.toCol(1);
        else if (c === 0x08) this.col = Math.max(1, this.col - 1);
        i++;
        continue;
      }
      if (textStart < 0) textStart = i;
      i++;
    }
    flushText(i);
  }

  private text(t: string): void {
    if (!t) return;
    this.append(t);
    this.touchedRows.add(this.row);
    this.col += [...t].length;
  }

  private append(t: string): void {
    if (this.fresh || !this.lines.has(this.row)) this.lines.set(this.row, '');
    this.fresh = false;
    this.lines.set(this.row, this.lines.get(this.row)! + t);
  }

  private toCol(c: number): void {
    this.col = Math.max(1, c);
    if (this.col === 1) this.fresh = true;
  }

  private moveTo(row: number, col: number): void {
    const max = Math.max(1, this.termRows());
    this.row = Math.min(max, Math.max(1, row));
    this.fresh = false;
    this.toCol(col);
  }

  private lineFeed(): void {
    const max = Math.max(1, this.termRows());
    if (this.row >= max) {
      // Scrolling moves every row: whatever was on screen is somewhere else now.
      const next = new Map<number, string>();
      for (const [r, l] of this.lines) if (r > 1) next.set(r - 1, l);
      this.lines = next;
      this.touchedAll = true;
    } else this.row++;
    // The terminal translates LF to CR LF (ONLCR stays on in raw mode).
    this.fresh = false;
    this.toCol(1);
  }

  private eraseRows(from: number, to: number): void {
    for (let r = from; r <= to; r++) {
      this.lines.delete(r);
      this.touchedRows.add(r);
    }
  }

  /** Consume one escape sequence at s[i]; returns its length, 0 when it is cut off. */
  private escape(s: string, i: number): number {
    if (i + 1 >= s.length) return 0;
    const kind = s[i + 1]!;
    if (kind === '[') {
      const m = /^\x1b\[([?>=!<]?)([0-9;:]*)([ -\/]*)([@-~])/.exec(s.slice(i, i + 64));
      if (!m) return s.length - i < 64 ? 0 : 2;
      this.csi(m[1]!, m[2]!, m[4]!, m[0]);
      return m[0].length;
    }
    if (kind === ']' || kind === 'P' || kind === '_' || kind === '^') {
      // OSC / DCS / APC / PM: up to BEL or ST.
      const rest = s.slice(i + 2);
      const bel = kind === ']' ? rest.indexOf('\x07') : -1;
      const st = rest.indexOf('\x1b\\');
      const end = bel >= 0 && (st < 0 || bel < st) ? bel + 1 : st >= 0 ? st + 2 : -1;
      return end < 0 ? 0 : 2 + end;
    }
    if (kind === '7') {
      this.saved = {row: this.row, col: this.col};
      return 2;
    }
    if (kind === '8') {
      this.moveTo(this.saved.row, this.saved.col);
      return 2;
    }
    if (kind === 'c') {
      // RIS: the terminal is reset and blank.
      this.lines.clear();
      this.touchedAll = true;
      this.moveTo(1, 1);
      return 2;
    }
    if (kind === '(' || kind === ')' || kind === '#') return i + 2 < s.length ? 3 : 0;
    return 2;
  }

  private csi(priv: string, params: string, final: string, raw: string): void {
    if (priv) return; // modes (?25l, ?2026h, …), kitty keyboard, DA: no cells change
    const nums = params.split(/[;:]/).map((p) => (p === '' ? undefined : Number(p)));
    const n = (k: number, d = 1): number => nums[k] ?? d;
    const max = Math.max(1, this.termRows());
    switch (final) {
      case 'm':
        this.append(raw);
        return;
      case 'A':
        return this.moveTo(this.row - Math.max(1, n(0)), this.col);
      case 'B':
        return this.moveTo(this.row + Math.max(1, n(0)), this.col);
      case 'C':
        this.col += Math.max(1, n(0));
        this.fresh = false;
        return;
      case 'D':
        return this.toCol(this.col - Math.max(1, n(0)));
      case 'E':
        return this.moveTo(this.row + Math.max(1, n(0)), 1);
      case 'F':
        return this.moveTo(this.row - Math.max(1, n(0)), 1);
      case 'G':
      case '`':
        this.fresh = false;
        return this.toCol(n(0));
      case 'd':
        return this.moveTo(n(0), this.col);
      case 'H':
      case 'f':
        return this.moveTo(n(0), n(1));
      case 'K': {
        const mode = n(0, 0);
        // Whole line, or to the end from column 1: nothing of the old line is left. (A partial
        // erase keeps what was recorded: ink's `line + CSI K` leaves exactly that.)
        if (mode === 2 || (mode === 0 && this.col <= 1)) {
          this.lines.set(this.row, '');
          this.fresh = false;
        }
        this.touchedRows.add(this.row);
        return;
      }
      case 'J': {
        const mode = n(0, 0);
        if (mode === 2 || mode === 3) {
          this.lines.clear();
          this.touchedAll = true;
        } else if (mode === 0) this.eraseRows(this.row, max);
        else this.eraseRows(1, this.row);
        return;
      }
      case 'X':
      case 'P':
      case '@':
        this.touchedRows.add(this.row);
        return;
      case 'L':
      case 'M':
      case 'S':
      case 'T':
        // Insert/delete lines and scrolls shift rows around: assume everything moved.
        this.touchedAll = true;
        return;
      default:
        return;
    }
  }
}

/**
 * The stdout ink renders to: forwards everything to the terminal, tracks which rows ink wrote
 * ({@link TerminalRowTracker}) and, once an ink frame is complete, lets `afterFrame` append bytes
 * (the console's repaint) inside the same synchronized update.
 *
 * ink 6 needs from its stdout: write(data, cb?), columns, rows, isTTY, 'resize' events, and the
 * writable-state fields it reads on unmount; everything else is forwarded to the real stream.
 */
export class InkStdout extends EventEmitter {
  readonly tracker: TerminalRowTracker;
  private inSync = false;
  private readonly onResize = (): void => {
    this.emit('resize');
  };

  constructor(
    readonly real: NodeJS.WriteStream,
    /** Called after each complete ink frame with the rows it wrote; returns bytes to add. */
    private readonly afterFrame: (touched: {rows: Set<number>; all: boolean}) => Buffer | string | undefined = () => undefined,
  ) {
    super();
    this.tracker = new TerminalRowTracker(() => this.rows);
    real.on('resize', this.onResize);
  }

  get columns(): number {
    return this.real.columns || 80;
  }

  get rows(): number {
    return this.real.rows || 24;
  }

  get isTTY(): boolean {
    return !!this.real.isTTY;
  }

  get writable(): boolean {
    return this.real.writable;
  }

  get destroyed(): boolean {
    return this.real.destroyed;
  }

  get writableEnded(): boolean {
    return this.real.writableEnded;
  }

  get writableLength(): number {
    return this.real.writableLength;
  }

  get _writableState(): unknown {
    return (this.real as unknown as {_writableState?: unknown})._writableState;
  }

  /** Stop listening to the terminal. */
  dispose(): void {
    this.real.off('resize', this.onResize);
  }

  write(data: string | Uint8Array, encodingOrCb?: BufferEncoding | ((err?: Error | null) => void), cb?: (err?: Error | null) => void): boolean {
    const callback = typeof encodingOrCb === 'function' ? encodingOrCb : cb;
    const text = typeof data === 'string' ? data : Buffer.from(data).toString('utf8');
    if (text === BSU) {
      this.inSync = true;
      return this.forward(data, callback);
    }
    if (text === ESU) {
      this.inSync = false;
      const extra = this.frameDone();
      if (extra) this.forward(extra);
      return this.forward(data, callback);
    }
    this.tracker.feed(text);
    const ok = this.forward(data, callback);
    if (!this.inSync) {
      const extra = this.frameDone();
      if (extra) this.forward(extra);
    }
    return ok;
  }

  private frameDone(): Buffer | string | undefined {
    const touched = this.tracker.takeTouched();
    if (!touched.all && touched.rows.size === 0) return undefined;
    try {
      const extra = this.afterFrame(touched);
      return extra && extra.length ? extra : undefined;
    } catch {
      return undefined; // a painter bug must never break ink's output
    }
  }

  private forward(data: string | Uint8Array, cb?: (err?: Error | null) => void): boolean {
    try {
      return cb ? this.real.write(data, cb) : this.real.write(data);
    } catch {
      // The terminal went away (SIGHUP): nothing to draw on any more.
      cb?.();
      return false;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The pane

export interface ConsolePaneOptions {
  /** Writes to the terminal directly (not through InkStdout: the painter's bytes are not ink's). */
  write: (data: Buffer | string) => void;
  /** Makes the painter for a box (createScreenPainter with the probed graphics mode, usually). */
  createPainter: (geometry: {cols: number; rows: number; originRow: number; originCol: number}) => ScreenPainter;
  /** ink's row tracker, to put ink's rows back when the box moves or goes away. */
  tracker?: TerminalRowTracker;
  /** Most frames per second the timer paints (default 30). */
  fps?: number;
  /** Problems sending keys, etc., for a status line. */
  onNotice?: (message: string) => void;
}

/**
 * Draws the VM's screen into a box and forwards keys to it. Geometry comes from BuildScreen
 * (setRect), the screen from the controller (setFrames), repaint requests from InkStdout
 * (afterInkFrame). Safe to drive with no VM yet, and to call in any order.
 */
export class ConsolePane {
  private rect: CellRect | undefined;
  private painter: ScreenPainter | undefined;
  private frames: () => ConsoleFrames | undefined = () => undefined;
  private feed: ConsoleFrames | undefined;
  /** Do not ask for a new feed before this time (ms since epoch). */
  private feedStoppedAt = 0;
  private lastVersion = -1;
  private lastFb: ConsoleFrames['framebuffer'] | undefined;
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
      if (!this.painter) this.painter = this.o.createPainter({cols: r.width, rows: r.height, originRow: r.row, originCol: r.col});
      else {
        this.painter.resize(r.width, r.height);
        this.painter.moveTo(r.row, r.col);
      }
      this.lastVersion = -1;
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
    this.feedStoppedAt = 0;
    this.lastVersion = -1;
  }

  /** Where problems sending keys are reported (replaces the constructor's onNotice). */
  setNotice(onNotice: (message: string) => void): void {
    this.notice = onNotice;
  }

  /** Something else drew over the box: the next paint repaints all of it. */
  invalidate(): void {
    this.painter?.invalidate();
    this.lastVersion = -1;
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
    if (!r || !this.painter) return '';
    const feed = this.safeFrames();
    const fb = feed && feed.framebuffer.width > 0 && feed.framebuffer.height > 0 ? feed.framebuffer : undefined;
    // No screen yet: the box is ink's (BuildScreen shows its own note there) until one exists.
    if (!fb) return '';
    if (fb !== this.lastFb) {
      this.lastFb = fb;
      this.lastVersion = -1;
    }
    if (fb.version === this.lastVersion) return '';
    const full = this.lastVersion < 0;
    const damage = fb.takeDamage();
    this.lastVersion = fb.version;
    const buf = this.painter.render(fb, full ? undefined : damage);
    if (buf.length) {
      this.stats.paints++;
      this.stats.bytes += buf.length;
    }
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
   * The feed, asked of the controller as rarely as possible: asking opens a VNC connection
   * when none is open (engine/screen.ts liveFrames), and a request in the middle of the VM's
   * cleanup — after the engine stopped the feed, before QEMU is gone — would open a new one
   * nobody stops. So a feed is kept while it lives, and after it stopped the controller is asked
   * again only a while later (a VM started again, e.g. a retried step).
   */
  private safeFrames(): ConsoleFrames | undefined {
    const cached = this.feed;
    if (cached && cached.state !== 'stopped') return cached;
    const now = Date.now();
    if (cached && now - this.feedStoppedAt < 0) return undefined;
    if (cached) {
      // Seen stopped just now: wait before asking for another one.
      this.feed = undefined;
      this.feedStoppedAt = now + REACQUIRE_MS;
      return undefined;
    }
    if (now < this.feedStoppedAt) return undefined;
    try {
      this.feed = this.frames();
    } catch {
      this.feed = undefined;
    }
    return this.feed;
  }

  /** Give a box back: erase what the painter drew there and put ink's rows back. */
  private vacate(r: CellRect): void {
    const parts: Buffer[] = [];
    if (this.painter) parts.push(this.painter.clear());
    if (this.o.tracker) parts.push(Buffer.from(this.o.tracker.replay(r.row, r.row + r.height - 1), 'utf8'));
    this.lastVersion = -1;
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
