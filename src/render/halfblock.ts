/**
 * Half-block rendering: one terminal cell shows two vertically stacked pixels (▀ with the upper
 * pixel as foreground, the lower as background), painted by a diffing painter that writes only
 * the bytes for cells that changed since its last frame.
 *
 * It paints into a box another renderer (ink) has reserved: every frame is wrapped in
 * synchronized output (`CSI ?2026h … l`, so terminals that know it swap the frame in at once and
 * the others ignore it) and in cursor save/restore (`ESC 7 … ESC 8`), which also restores ink's
 * SGR state — ink's idea of the cursor and colours is left as it was.
 */
import type {PixelSource} from '../vnc/framebuffer.js';
import {ByteWriter} from './bytes.js';
import {luma, otsuThreshold, rgbTo256} from './palette.js';

/** How cells get their colours: 24-bit SGR, xterm 256-colour SGR, or none (NO_COLOR). */
export type ColorMode = 'truecolor' | '256' | 'mono';

const UPPER = '\u2580'; // ▀
const LOWER = '\u2584'; // ▄
const FULL = '\u2588'; // █
/** Mono glyphs indexed by (upper on ? 2 : 0) | (lower on ? 1 : 0). */
const MONO = [' ', LOWER, UPPER, FULL] as const;

export const SYNC_BEGIN = '\x1b[?2026h';
export const SYNC_END = '\x1b[?2026l';
const SAVE = '\x1b7';
const RESTORE = '\x1b8';
const RESET = '\x1b[0m';

/**
 * Picks the colour mode from the environment. NO_COLOR (any non-empty value, no-color.org) and
 * non-TTY output give 'mono'; FORCE_COLOR 0/1/2/3 is honoured as Node does; COLORTERM
 * truecolor|24bit → 'truecolor'; TERM ending in 256color → '256'; TERM=dumb → 'mono'.
 * Anything else gets '256', which every current terminal (and the Linux console, approximately) shows.
 */
export function detectColorMode(env: Readonly<Record<string, string | undefined>>, isTTY: boolean): ColorMode {
  if (env.NO_COLOR) return 'mono';
  const force = env.FORCE_COLOR;
  if (force !== undefined && force !== '') {
    if (force === '0' || force === 'false') return 'mono';
    if (force === '3') return 'truecolor';
    if (force === '2') return '256';
  }
  if (!isTTY && (force === undefined || force === '')) return 'mono';
  const ct = (env.COLORTERM ?? '').toLowerCase();
  if (ct === 'truecolor' || ct === '24bit') return 'truecolor';
  const term = (env.TERM ?? '').toLowerCase();
  if (term === 'dumb') return 'mono';
  if (term === 'xterm-kitty' || term === 'xterm-ghostty' || term.endsWith('-direct')) return 'truecolor';
  if (term.endsWith('256color')) return '256';
  return '256';
}

/** One cell in canonical form: `ch` is ▀ with fg = upper pixel, bg = lower (mono: ' ▄▀█', colours -1 = default). */
export interface Cell {
  ch: string;
  fg: number;
  bg: number;
}

/**
 * The cells for a grid of `width`×`2·rows` pixels, without any diffing or glyph tricks — for
 * tests, snapshots and consumers that draw cells themselves. Colours are 0x00RRGGBB for
 * truecolor, palette indices for '256', -1 for mono.
 */
export function halfBlockCells(grid: PixelSource, mode: ColorMode, monoThreshold = otsuThreshold(grid.pixels, grid.width * grid.height)): Cell[][] {
  const rows: Cell[][] = [];
  const w = grid.width;
  for (let y = 0; y < grid.height; y += 2) {
    const row: Cell[] = [];
    for (let x = 0; x < w; x++) {
      const t = grid.pixels[y * w + x]! & 0xffffff;
      const b = y + 1 < grid.height ? grid.pixels[(y + 1) * w + x]! & 0xffffff : 0;
      if (mode === 'mono') row.push({ch: MONO[(luma(t) >= monoThreshold ? 2 : 0) | (luma(b) >= monoThreshold ? 1 : 0)]!, fg: -1, bg: -1});
      else if (mode === '256') row.push({ch: UPPER, fg: rgbTo256(t), bg: rgbTo256(b)});
      else row.push({ch: UPPER, fg: t, bg: b});
    }
    rows.push(row);
  }
  return rows;
}

/** Options for {@link CellPainter}. */
export interface CellPainterOptions {
  cols: number;
  rows: number;
  mode: ColorMode;
  /** 1-based terminal row of the pane's top-left cell. Default 1. */
  originRow?: number;
  /** 1-based terminal column of the pane's top-left cell. Default 1. */
  originCol?: number;
  /** Luma (0–255) at or above which a pixel is "on" in mono mode; default 'auto' (per frame, see otsuThreshold). */
  monoThreshold?: number | 'auto';
  /** Wrap frames in `CSI ?2026h/l`. Default true; turn off when the caller wraps a larger update. */
  synchronized?: boolean;
}

/** Nothing to write. */
const EMPTY = Buffer.alloc(0);
/** Most bytes one cell can take: CUP (14) + SGR with two 24-bit colours (38) + a glyph (3). */
const MAX_CELL_BYTES = 56;
/** Last UTF-8 byte of ▀ ▄ █ (all E2 96 xx). */
const B_UPPER = 0x80;
const B_LOWER = 0x84;
const B_FULL = 0x88;
const MONO_BYTES = [0x20, B_LOWER, B_UPPER, B_FULL] as const;

/**
 * Keeps the cell grid it last painted and turns a new pixel grid (cols × rows·2) into the
 * minimum it knows how to write: changed cells only, a run of neighbours without repositioning,
 * gaps skipped with CUF (`CSI n C`), SGR only when a colour changes. Where ▄ or █ reaches the
 * same picture with fewer colour changes than ▀, it is used (visually identical).
 * Output is bytes (see bytes.ts for why), ready for `stdout.write`.
 */
export class CellPainter {
  readonly mode: ColorMode;
  private cols = 0;
  private rows = 0;
  private originRow: number;
  private originCol: number;
  private readonly threshold: number | 'auto';
  private readonly sync: boolean;
  /** Last painted (upper, lower) per cell in mode space (rgb, palette index or on/off); -1 = unknown. */
  private prevTop = new Int32Array(0);
  private prevBot = new Int32Array(0);
  private readonly w = new ByteWriter();

  constructor(opts: CellPainterOptions) {
    this.mode = opts.mode;
    this.originRow = opts.originRow ?? 1;
    this.originCol = opts.originCol ?? 1;
    this.threshold = opts.monoThreshold ?? 'auto';
    this.sync = opts.synchronized ?? true;
    this.resize(opts.cols, opts.rows);
  }

  get size(): {cols: number; rows: number} {
    return {cols: this.cols, rows: this.rows};
  }

  /** New pane size: forgets everything, the next frame repaints all cells. */
  resize(cols: number, rows: number): void {
    this.cols = Math.max(0, cols | 0);
    this.rows = Math.max(0, rows | 0);
    this.prevTop = new Int32Array(this.cols * this.rows);
    this.prevBot = new Int32Array(this.cols * this.rows);
    this.invalidate();
  }

  /** The pane moved (1-based terminal row/column): the next frame repaints all cells there. */
  moveTo(originRow: number, originCol: number): void {
    this.originRow = originRow;
    this.originCol = originCol;
    this.invalidate();
  }

  /** Forget what is on screen (something else drew over the pane): the next frame repaints all cells. */
  invalidate(): void {
    this.prevTop.fill(-1);
    this.prevBot.fill(-1);
  }

  /** Bytes that blank the pane with the default background (ECH per row); invalidates. */
  clear(): Buffer {
    if (this.cols === 0 || this.rows === 0) return EMPTY;
    const {w} = this;
    this.open();
    for (let r = 0; r < this.rows; r++) w.ascii(`\x1b[${this.originRow + r};${this.originCol}H\x1b[${this.cols}X`);
    this.invalidate();
    return this.close();
  }

  /**
   * Bytes that bring the pane from its last painted state to `grid`, which must be `cols`
   * wide and at least `rows·2` tall (extra rows are ignored). Empty when no cell changed.
   */
  paint(grid: PixelSource): Buffer {
    const {cols, rows, w, prevTop, prevBot} = this;
    if (grid.width !== cols || grid.height < rows * 2) {
      throw new RangeError(`grid is ${grid.width}x${grid.height}, the painter needs ${cols}x${rows * 2}`);
    }
    const px = grid.pixels;
    const mono = this.mode === 'mono';
    const c256 = this.mode === '256';
    const thr = !mono ? 0 : this.threshold === 'auto' ? otsuThreshold(px, cols * rows * 2) : this.threshold;
    // One-entry memo: neighbouring pixels usually share a colour, and rgbTo256 is the hot call.
    let memoRgb = -1;
    let memoIdx = 0;
    const to256 = (v: number): number => (v === memoRgb ? memoIdx : ((memoRgb = v), (memoIdx = rgbTo256(v))));
    // "38;2;r;g;b" / "48;5;n" after the caller wrote ESC [ (or ';'); 0x33 = '3' fg, 0x34 = '4' bg.
    const colour = (which: number, k: number): void => {
      w.byte(which);
      w.byte(0x38);
      w.byte(0x3b);
      if (c256) {
        w.byte(0x35);
        w.byte(0x3b);
        w.num(k);
      } else {
        w.byte(0x32);
        w.byte(0x3b);
        w.num(k >>> 16);
        w.byte(0x3b);
        w.num((k >>> 8) & 255);
        w.byte(0x3b);
        w.num(k & 255);
      }
    };
    const glyph = (last: number): void => {
      if (last === 0x20) return w.byte(0x20);
      w.byte(0xe2);
      w.byte(0x96);
      w.byte(last);
    };
    this.open();
    w.ensure(cols * rows * MAX_CELL_BYTES + 64);
    const body = w.len;
    let curRow = -1;
    let curCol = -1;
    // SGR state after the RESET that opens a frame: default colours, i.e. none of ours.
    let fg = -1;
    let bg = -1;
    for (let r = 0, i = 0; r < rows; r++) {
      const up = 2 * r * cols;
      const lo = up + cols;
      for (let c = 0; c < cols; c++, i++) {
        let t = px[up + c]! & 0xffffff;
        let b = px[lo + c]! & 0xffffff;
        if (mono) {
          t = luma(t) >= thr ? 2 : 0;
          b = luma(b) >= thr ? 1 : 0;
        } else if (c256) {
          t = to256(t);
          b = to256(b);
        }
        if (t === prevTop[i] && b === prevBot[i]) continue;
        prevTop[i] = t;
        prevBot[i] = b;
        if (curRow !== r || curCol !== c) {
          w.byte(0x1b);
          w.byte(0x5b);
          if (curRow === r && c > curCol) {
            if (c - curCol > 1) w.num(c - curCol);
            w.byte(0x43); // CUF
          } else {
            w.num(this.originRow + r);
            w.byte(0x3b);
            w.num(this.originCol + c);
            w.byte(0x48); // CUP
          }
        }
        curRow = r;
        curCol = c + 1;
        if (mono) {
          glyph(MONO_BYTES[t | b]!);
          continue;
        }
        if (t === b) {
          if (bg === t) glyph(0x20);
          else if (fg === t) glyph(B_FULL);
          else {
            w.byte(0x1b);
            w.byte(0x5b);
            colour(0x34, t);
            w.byte(0x6d);
            glyph(0x20);
            bg = t;
          }
          continue;
        }
        // ▀ (fg=t, bg=b) or ▄ (fg=b, bg=t): whichever keeps more of the current colours.
        const costUpper = (fg !== t ? 1 : 0) + (bg !== b ? 1 : 0);
        const costLower = (fg !== b ? 1 : 0) + (bg !== t ? 1 : 0);
        const lower = costLower < costUpper;
        const f = lower ? b : t;
        const k = lower ? t : b;
        if (fg !== f || bg !== k) {
          w.byte(0x1b);
          w.byte(0x5b);
          if (fg !== f) colour(0x33, f);
          if (fg !== f && bg !== k) w.byte(0x3b);
          if (bg !== k) colour(0x34, k);
          w.byte(0x6d);
        }
        glyph(lower ? B_LOWER : B_UPPER);
        fg = f;
        bg = k;
      }
    }
    return w.len === body ? EMPTY : this.close();
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
