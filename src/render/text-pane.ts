/**
 * The VM's screen as real terminal text: when the screen can be read as text (VGA text memory,
 * or console-font glyphs recognised on a frame, see src/screen), each of the guest's character
 * cells becomes one terminal cell with its own colours — crisp at any terminal size, where a
 * half-block picture of a 720×400 text screen in 100×30 cells is a blur.
 *
 * One guest cell is one terminal cell (zoom 1:1). A screen larger than the pane (d-i at
 * 1280×800 is 160×50) shows a window of it that pans. Until the user pans, the window goes where
 * it shows the most of the screen's content (cells with a character, or a background other
 * than the screen's): d-i's centred dialog whole, a console's prompt at column 0 rather than
 * the empty right-hand side; ties go to the middle, and the window stays put while it is
 * nearly as good as the best (no jitter as text is typed). A screen smaller than the pane is
 * centred in it.
 *
 * Painting is diffed like the half-block painter's (bytes for changed cells only), into a box
 * another renderer keeps free, wrapped in synchronized output and cursor save/restore. Wide
 * characters (CJK: two guest cells, one character in the line) are drawn whole or not at all;
 * a row holding one is repainted whole when anything in it changes, because overwriting half of
 * a wide character makes terminals erase the other half too.
 */
import {codePointWidth} from '../util/cell-width.js';
import {ByteWriter} from './bytes.js';
import {SYNC_BEGIN, SYNC_END, type ColorMode} from './halfblock.js';
import {luma, rgbTo256} from './palette.js';
import type {PaneGeometry} from './pane.js';

/** A screen read as text: what src/screen's ScreenText carries (lines, size, per-cell colours). */
export interface TextScreen {
  /** One string per row; a wide character takes two cells of the row but one place in the string. */
  readonly lines: readonly string[];
  readonly cols: number;
  readonly rows: number;
  /** Per cell (row-major, cols × rows) colours, 0xRRGGBB; without them the terminal's defaults. */
  readonly fg?: Uint32Array;
  readonly bg?: Uint32Array;
  /** The guest's text cursor: drawn in reverse colours (where an answer is being typed). */
  readonly cursor?: {row: number; col: number};
}

/** Which part of the screen the pane shows, and where in the pane. */
export interface TextView {
  /** First screen column and row shown. */
  x: number;
  y: number;
  /** Screen cells shown. */
  cols: number;
  rows: number;
  /** Pane cell (0-based) where screen cell (x, y) is drawn: > 0 when a small screen is centred. */
  left: number;
  top: number;
  /** The screen is larger than the pane in that direction (so panning moves something). */
  pansX: boolean;
  pansY: boolean;
}

export interface TextPaneOptions extends PaneGeometry {
  mode: ColorMode;
  /** Wrap frames in `CSI ?2026h/l`. Default true. */
  synchronized?: boolean;
}

const EMPTY = Buffer.alloc(0);
const SAVE = '\x1b7';
const RESTORE = '\x1b8';
const RESET = '\x1b[0m';
/** Colour "the terminal's default" (no SGR colour). */
const DEFAULT = -1;
/** Mono mode: reverse video (the cell's background is brighter than its text). */
const INVERSE = 1;
/** Nothing known about a cell: it is repainted. */
const UNKNOWN = -2;
/** Second half of a wide character in a decoded row. */
const CONT = '';

const clamp = (v: number, lo: number, hi: number): number => Math.max(lo, Math.min(hi, v));

/**
 * A row of text as `cols` cells: a wide character's second cell is '' (and a wide character
 * that would stick out of the row is dropped), zero-width marks join the cell before them,
 * control characters become spaces, missing cells are spaces.
 */
export function rowCells(line: string, cols: number): string[] {
  const out: string[] = new Array(cols);
  let c = 0;
  for (const ch of line) {
    if (c >= cols) break;
    const cp = ch.codePointAt(0)!;
    const w = codePointWidth(cp);
    if (w === 0) {
      if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) out[c++] = ' ';
      else if (c > 0 && out[c - 1] !== CONT) out[c - 1] += ch;
      continue;
    }
    if (w === 2) {
      if (c + 1 >= cols) break;
      out[c++] = ch;
      out[c++] = CONT;
    } else out[c++] = ch;
  }
  for (; c < cols; c++) out[c] = ' ';
  return out;
}

/**
 * Content per column and per row: cells holding a character, or painted in another background
 * than the screen's (the top-left cell's, d-i's blue) — a dialog's blank inside counts.
 */
function contentWeights(screen: TextScreen, cell: (r: number, c: number) => string): {cols: Uint32Array; rows: Uint32Array} {
  const cols = new Uint32Array(screen.cols);
  const rows = new Uint32Array(screen.rows);
  const bg = screen.bg;
  const base = bg?.[0];
  for (let r = 0; r < screen.rows; r++) {
    const o = r * screen.cols;
    for (let c = 0; c < screen.cols; c++) {
      const ch = cell(r, c);
      if ((ch !== ' ' && ch !== '') || (bg && bg[o + c] !== base)) {
        cols[c]!++;
        rows[r]!++;
      }
    }
  }
  return {cols, rows};
}

/**
 * Where a window of `room` cells over `weights` shows the most: the best start, the middle one
 * among equals; `keep` (the last start) stays while it shows at least 98 % of the best.
 */
export function bestStart(weights: ArrayLike<number>, room: number, keep?: number): number {
  const n = weights.length;
  const max = n - room;
  if (max <= 0) return 0;
  let sum = 0;
  for (let i = 0; i < room; i++) sum += weights[i]!;
  const sums = new Float64Array(max + 1);
  sums[0] = sum;
  for (let s = 1; s <= max; s++) {
    sum += weights[s + room - 1]! - weights[s - 1]!;
    sums[s] = sum;
  }
  let best = 0;
  for (let s = 1; s <= max; s++) if (sums[s]! > sums[best]!) best = s;
  // Among the equally good starts, the one nearest the middle.
  const mid = max / 2;
  for (let s = 0; s <= max; s++) if (sums[s] === sums[best] && Math.abs(s - mid) < Math.abs(best - mid)) best = s;
  if (keep !== undefined && keep >= 0 && keep <= max && sums[keep]! >= sums[best]! * 0.98) return keep;
  return best;
}

/**
 * Characters whose width terminals agree on. After any other non-ASCII character the painter
 * positions the cursor again, so a terminal that disagrees about a width misplaces nothing.
 */
function safeWidth(cp: number): boolean {
  return cp < 0x1100 || (cp >= 0x2190 && cp <= 0x21ff) || (cp >= 0x2500 && cp <= 0x25ff);
}

/**
 * Paints a {@link TextScreen} into a box of terminal cells, writing only what changed since its
 * last frame. Output is bytes ready for `stdout.write`; an empty Buffer means nothing to write.
 */
export class TextPane {
  readonly mode: ColorMode;
  private cols = 0;
  private rows = 0;
  private originRow: number;
  private originCol: number;
  private readonly sync: boolean;
  private pan: {x: number; y: number} | undefined;
  /** Where the automatic placement put the window last (it stays while nearly as good). */
  private autoAt: {x: number; y: number} | undefined;
  private last: TextView | undefined;
  private prevCh: string[] = [];
  private prevFg = new Int32Array(0);
  private prevBg = new Int32Array(0);
  /** Rows that held a wide character when last painted. */
  private prevWide = new Uint8Array(0);
  private readonly w = new ByteWriter();
  private readonly utf8 = new Map<string, Uint8Array>();
  /** Decoded rows of the last screen, reused while a line is the same string. */
  private decoded: {line: string; cols: number; cells: string[]}[] = [];

  constructor(opts: TextPaneOptions) {
    this.mode = opts.mode;
    this.originRow = opts.originRow ?? 1;
    this.originCol = opts.originCol ?? 1;
    this.sync = opts.synchronized ?? true;
    this.resize(opts.cols, opts.rows);
  }

  get size(): {cols: number; rows: number} {
    return {cols: this.cols, rows: this.rows};
  }

  /** The view of the last render, if any. */
  get view(): TextView | undefined {
    return this.last;
  }

  resize(cols: number, rows: number): void {
    this.cols = Math.max(0, cols | 0);
    this.rows = Math.max(0, rows | 0);
    const n = this.cols * this.rows;
    this.prevCh = new Array<string>(n).fill('');
    this.prevFg = new Int32Array(n);
    this.prevBg = new Int32Array(n);
    this.prevWide = new Uint8Array(this.rows);
    this.invalidate();
  }

  moveTo(originRow: number, originCol: number): void {
    this.originRow = originRow;
    this.originCol = originCol;
    this.invalidate();
  }

  /** Something else drew over the pane: the next render repaints every cell. */
  invalidate(): void {
    this.prevFg.fill(UNKNOWN);
    this.prevBg.fill(UNKNOWN);
    this.prevWide.fill(1);
    this.last = undefined;
  }

  /** Bytes that blank the pane with the default background; invalidates. */
  clear(): Buffer {
    this.invalidate();
    if (this.cols === 0 || this.rows === 0) return EMPTY;
    const {w} = this;
    this.open();
    for (let r = 0; r < this.rows; r++) w.ascii(`\x1b[${this.originRow + r};${this.originCol}H\x1b[${this.cols}X`);
    return this.close();
  }

  /** Show the screen from this top-left cell on (clamped when drawn); undefined: automatic. */
  setPan(pan: {x: number; y: number} | undefined): void {
    this.pan = pan ? {x: Math.max(0, Math.round(pan.x)), y: Math.max(0, Math.round(pan.y))} : undefined;
    this.autoAt = undefined;
  }

  /** Move the window by cells from where the last render put it. */
  panBy(dx: number, dy: number): void {
    const from = this.pan ?? this.last ?? {x: 0, y: 0};
    this.setPan({x: from.x + dx, y: from.y + dy});
  }

  /** True when the pan is the user's (not the automatic placement). */
  get panned(): boolean {
    return !!this.pan;
  }

  /** The view of `screen` in the pane, with the current pan (or the automatic placement). */
  computeView(screen: TextScreen | {cols: number; rows: number}): TextView {
    const over = {x: Math.max(0, screen.cols - this.cols), y: Math.max(0, screen.rows - this.rows)};
    let want = this.pan;
    if (!want && (over.x > 0 || over.y > 0)) {
      const w = 'lines' in screen ? contentWeights(screen, (r, c) => this.cellsOf(r, screen)[c]!) : undefined;
      const keep = this.autoAt;
      want = {
        x: w ? bestStart(w.cols, this.cols, keep?.x) : Math.floor(over.x / 2),
        y: w ? bestStart(w.rows, this.rows, keep?.y) : Math.floor(over.y / 2),
      };
      if (w) this.autoAt = want;
    }
    const axis = (size: number, room: number, at: number | undefined) => {
      const shown = Math.min(size, room);
      const max = Math.max(0, size - room);
      return {start: at === undefined ? 0 : clamp(at, 0, max), shown, offset: Math.floor((room - shown) / 2), pans: max > 0};
    };
    const h = axis(screen.cols, this.cols, want?.x);
    const v = axis(screen.rows, this.rows, want?.y);
    return {x: h.start, y: v.start, cols: h.shown, rows: v.shown, left: h.offset, top: v.offset, pansX: h.pans, pansY: v.pans};
  }

  /** Bytes that bring the pane to `screen`; empty when no cell changed. */
  render(screen: TextScreen): Buffer {
    const {cols, rows, w} = this;
    if (cols === 0 || rows === 0) return EMPTY;
    const view = this.computeView(screen);
    this.last = view;
    // Keep the pan clamped, so panning back from past an edge moves at once.
    if (this.pan) this.pan = {x: view.x, y: view.y};
    const colour = this.colourFn();
    const cursor = screen.cursor;
    const rowCh: string[] = new Array(cols);
    const rowFg = new Int32Array(cols);
    const rowBg = new Int32Array(cols);
    this.open();
    const body = w.len;
    const state = {fg: DEFAULT, bg: DEFAULT, row: -1, col: -1};
    for (let r = 0; r < rows; r++) {
      const sr = view.y + r - view.top;
      const onScreen = r >= view.top && r < view.top + view.rows && sr < screen.rows;
      const cells = onScreen ? this.cellsOf(sr, screen) : undefined;
      let wide = false;
      for (let c = 0; c < cols; c++) {
        const sc = view.x + c - view.left;
        if (!cells || c < view.left || c >= view.left + view.cols || sc >= screen.cols) {
          rowCh[c] = ' ';
          rowFg[c] = DEFAULT;
          rowBg[c] = DEFAULT;
          continue;
        }
        let ch = cells[sc]!;
        const i = sr * screen.cols + sc;
        let [f, b] = colour(screen.fg?.[i], screen.bg?.[i]);
        if (cursor && cursor.row === sr && cursor.col === sc) [f, b] = this.mode === 'mono' ? [DEFAULT, b === INVERSE ? DEFAULT : INVERSE] : [b, f];
        // Half a wide character at an edge of the window cannot be drawn: its cell stays blank.
        if (ch === CONT && c === view.left) ch = ' ';
        else if (ch !== CONT && cells[sc + 1] === CONT && c + 1 >= view.left + view.cols) ch = ' ';
        if (ch === CONT) wide = true;
        rowCh[c] = ch;
        rowFg[c] = f;
        rowBg[c] = b;
      }
      this.paintRow(r, rowCh, rowFg, rowBg, wide, state);
    }
    return w.len === body ? EMPTY : this.close();
  }

  // --- internals -----------------------------------------------------------------------

  private cellsOf(sr: number, screen: TextScreen): string[] {
    const line = screen.lines[sr] ?? '';
    const d = this.decoded[sr];
    if (d && d.line === line && d.cols === screen.cols) return d.cells;
    const cells = rowCells(line, screen.cols);
    this.decoded[sr] = {line, cols: screen.cols, cells};
    if (this.decoded.length > screen.rows) this.decoded.length = screen.rows;
    return cells;
  }

  /** The colour pair a cell is painted with, in this mode's terms. */
  private colourFn(): (fg: number | undefined, bg: number | undefined) => [number, number] {
    if (this.mode === 'mono') return (fg, bg) => [DEFAULT, fg !== undefined && bg !== undefined && luma(bg) > luma(fg) ? INVERSE : DEFAULT];
    if (this.mode === '256') return (fg, bg) => [fg === undefined ? DEFAULT : rgbTo256(fg), bg === undefined ? DEFAULT : rgbTo256(bg)];
    return (fg, bg) => [fg === undefined ? DEFAULT : fg & 0xffffff, bg === undefined ? DEFAULT : bg & 0xffffff];
  }

  private paintRow(r: number, ch: string[], fg: Int32Array, bg: Int32Array, wide: boolean, s: {fg: number; bg: number; row: number; col: number}): void {
    const {cols, prevCh, prevFg, prevBg, w} = this;
    const base = r * cols;
    // A row with a wide character (now or before) is painted whole once anything changed.
    const whole = wide || this.prevWide[r] === 1;
    if (whole) {
      let same = true;
      for (let c = 0; c < cols && same; c++) same = prevCh[base + c] === ch[c] && prevFg[base + c] === fg[c] && prevBg[base + c] === bg[c];
      if (same) return;
    }
    this.prevWide[r] = wide ? 1 : 0;
    for (let c = 0; c < cols; c++) {
      const i = base + c;
      const text = ch[c]!;
      if (!whole && prevCh[i] === text && prevFg[i] === fg[c] && prevBg[i] === bg[c]) continue;
      prevCh[i] = text;
      prevFg[i] = fg[c]!;
      prevBg[i] = bg[c]!;
      if (text === CONT) continue; // drawn with its first half
      w.ensure(96 + text.length * 4);
      if (s.row !== r || s.col !== c) {
        w.byte(0x1b);
        w.byte(0x5b);
        if (s.row === r && c > s.col) {
          if (c - s.col > 1) w.num(c - s.col);
          w.byte(0x43); // CUF
        } else {
          w.num(this.originRow + r);
          w.byte(0x3b);
          w.num(this.originCol + c);
          w.byte(0x48); // CUP
        }
      }
      this.sgr(fg[c]!, bg[c]!, s);
      const cp = text.codePointAt(0)!;
      if (text.length === 1 && cp < 0x80) w.byte(cp);
      else w.bytes(this.encode(text));
      s.row = r;
      s.col = c + (ch[c + 1] === CONT ? 2 : 1);
      if (!safeWidth(cp)) s.row = -1; // where the terminal put the cursor is its own business
    }
  }

  private sgr(f: number, b: number, s: {fg: number; bg: number}): void {
    if (f === s.fg && b === s.bg) return;
    const {w} = this;
    w.byte(0x1b);
    w.byte(0x5b);
    let first = true;
    const sep = (): void => {
      if (!first) w.byte(0x3b);
      first = false;
    };
    if (this.mode === 'mono') {
      w.ascii(b === INVERSE ? '7' : '27');
    } else {
      if (f !== s.fg) {
        sep();
        this.colour(0x33, f);
      }
      if (b !== s.bg) {
        sep();
        this.colour(0x34, b);
      }
    }
    w.byte(0x6d);
    s.fg = f;
    s.bg = b;
  }

  /** `38;2;r;g;b`, `38;5;n` or `39` (0x33 = '3' foreground, 0x34 = '4' background). */
  private colour(which: number, k: number): void {
    const {w} = this;
    w.byte(which);
    if (k === DEFAULT) return w.byte(0x39);
    w.byte(0x38);
    w.byte(0x3b);
    if (this.mode === '256') {
      w.byte(0x35);
      w.byte(0x3b);
      w.num(k);
      return;
    }
    w.byte(0x32);
    w.byte(0x3b);
    w.num(k >>> 16);
    w.byte(0x3b);
    w.num((k >>> 8) & 255);
    w.byte(0x3b);
    w.num(k & 255);
  }

  private encode(text: string): Uint8Array {
    let b = this.utf8.get(text);
    if (!b) {
      b = Buffer.from(text, 'utf8');
      if (this.utf8.size < 4096) this.utf8.set(text, b);
    }
    return b;
  }

  private open(): void {
    this.w.reset();
    if (this.sync) this.w.ascii(SYNC_BEGIN);
    this.w.ascii(SAVE + RESET);
  }

  private close(): Buffer {
    this.w.ascii(RESET + RESTORE);
    if (this.sync) this.w.ascii(SYNC_END);
    return this.w.take();
  }
}
