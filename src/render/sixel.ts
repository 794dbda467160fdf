/**
 * Sixel (xterm -ti vt340, foot, mlterm, WezTerm, Konsole, contour, tmux ≥ 3.4 with sixel): the
 * screen at the pane's pixel size as DEC sixel graphics.
 *
 * Format: `DCS P1;P2;P3 q`, raster attributes `"1;1;W;H`, colour registers `#n;2;r;g;b` (percent),
 * then bands of six pixel rows: per colour `#n` and one character per column (63 + a 6-bit mask,
 * bit 0 = top row), `!count` repeating a character, `$` back to the band's start for the next
 * colour, `-` down to the next band; `ESC \` ends it. P2=1 leaves zero bits untouched, so a
 * strip whose last band is partial does not paint over the row below it.
 *
 * Quantisation uses the fixed xterm 6×6×6 cube + 24 greys (240 colours, registers assigned in
 * order of first use, only used ones defined): stable from frame to frame, no per-frame palette
 * search, and console screens use few colours anyway.
 */
import type {PixelSource, Rect} from '../vnc/framebuffer.js';
import {downscale} from './downscale.js';
import {SYNC_BEGIN, SYNC_END} from './halfblock.js';
import {PixelPane, sameView, type PixelPaneOptions, type ScreenPainter} from './pane.js';
import {rgbTo256, xterm256ToRgb} from './palette.js';
import {ByteWriter} from './bytes.js';

const pct = (v: number): number => Math.round((v * 100) / 255);

/** `n` copies of the sixel byte `c`, run-length encoded (`!n c`) where that is shorter. */
function run(w: ByteWriter, c: number, n: number): void {
  if (n >= 4) {
    w.byte(0x21);
    w.num(n);
    w.byte(c);
  } else for (let i = 0; i < n; i++) w.byte(c);
}

/**
 * Appends the sixel image of `area` of `src` to `w` (bytes, like the half-block painter, for speed).
 * Quantised to the xterm cube and greys; deterministic: same pixels, same bytes.
 */
export function writeSixel(w: ByteWriter, src: PixelSource, area: Rect = {x: 0, y: 0, width: src.width, height: src.height}): void {
  const {width: wd, height: h} = area;
  if (wd <= 0 || h <= 0) return;
  // Palette index (16–255) → register, in order of first use.
  const reg = new Int16Array(256).fill(-1);
  const regRgb: number[] = [];
  const idx = new Uint8Array(wd * h);
  let memoRgb = -1;
  let memoReg = 0;
  for (let y = 0, o = 0; y < h; y++) {
    for (let i = (area.y + y) * src.width + area.x, end = i + wd; i < end; i++, o++) {
      const v = src.pixels[i]! & 0xffffff;
      if (v !== memoRgb) {
        const p = rgbTo256(v);
        if (reg[p] === -1) {
          reg[p] = regRgb.length;
          regRgb.push(xterm256ToRgb(p));
        }
        memoRgb = v;
        memoReg = reg[p]!;
      }
      idx[o] = memoReg;
    }
  }
  w.ascii(`\x1bP0;1;0q"1;1;${wd};${h}`);
  regRgb.forEach((rgb, n) => w.ascii(`#${n};2;${pct(rgb >>> 16)};${pct((rgb >>> 8) & 255)};${pct(rgb & 255)}`));
  const n = regRgb.length;
  const bits = new Uint8Array(n * wd);
  const minX = new Int32Array(n);
  const maxX = new Int32Array(n);
  const order: number[] = [];
  const seen = new Int32Array(n).fill(-1);
  for (let y0 = 0, band = 0; y0 < h; y0 += 6, band++) {
    order.length = 0;
    for (let y = y0; y < y0 + 6 && y < h; y++) {
      const bit = 1 << (y - y0);
      for (let x = 0, o = y * wd; x < wd; x++, o++) {
        const r = idx[o]!;
        if (seen[r] !== band) {
          seen[r] = band;
          order.push(r);
          minX[r] = x;
          maxX[r] = x;
        } else {
          if (x < minX[r]!) minX[r] = x;
          if (x > maxX[r]!) maxX[r] = x;
        }
        bits[r * wd + x]! |= bit;
      }
    }
    // Worst case per colour: "#nnn" + a byte per column; "-" and "$" separators.
    w.ensure(order.length * (wd + 8) + 2);
    if (band > 0) w.byte(0x2d); // '-'
    for (let k = 0; k < order.length; k++) {
      const r = order[k]!;
      if (k > 0) w.byte(0x24); // '$'
      w.byte(0x23); // '#'
      w.num(r);
      run(w, 0x3f, minX[r]!);
      const row = r * wd;
      let prev = -1;
      let count = 0;
      for (let x = minX[r]!, end = maxX[r]!; x <= end; x++) {
        const b = bits[row + x]!;
        bits[row + x] = 0;
        if (b === prev) count++;
        else {
          if (count) run(w, 63 + prev, count);
          prev = b;
          count = 1;
        }
      }
      run(w, 63 + prev, count);
    }
  }
  w.ascii('\x1b\\');
}

/** The sixel image of `area` of `src` (default all of it) as a string; see {@link writeSixel}. */
export function encodeSixel(src: PixelSource, area?: Rect): string {
  const w = new ByteWriter();
  writeSixel(w, src, area);
  return w.take().toString('latin1');
}

/** Options for {@link SixelPane}. */
/** Sixels are drawn in real pixels: the cell size says how many per cell. */
export interface SixelPaneOptions extends PixelPaneOptions {
  background?: number;
}

/**
 * Sixel backend: scales the screen to the pane's pixel size and repaints only the cell rows
 * whose pixels changed, each run of them as one sixel strip starting at the strip's first row.
 */
export class SixelPane extends PixelPane implements ScreenPainter {
  private readonly background: number;
  private grid = {width: 0, height: 0, pixels: new Uint32Array(0)};
  private readonly w = new ByteWriter();

  constructor(opts: SixelPaneOptions) {
    super(opts);
    this.background = opts.background ?? 0;
    this.resize(opts.cols, opts.rows);
  }

  protected override resized(): void {
    const width = this.cols * this.cw;
    const height = this.rows * this.ch;
    this.grid = {width, height, pixels: new Uint32Array(width * height)};
  }

  /** Sixels are ordinary cell contents: erasing the pane's cells (ECH) removes them. */
  clear(): Buffer {
    this.invalidate();
    let out = '\x1b7\x1b[0m';
    for (let r = 0; r < this.rows; r++) out += `\x1b[${this.originRow + r};${this.originCol}H\x1b[${this.cols}X`;
    return Buffer.from(out + '\x1b8', 'latin1');
  }

  render(screen: PixelSource, damage?: readonly Rect[]): Buffer {
    const {grid, cw, ch} = this;
    if (grid.width === 0 || grid.height === 0) return Buffer.alloc(0);
    const view = this.views.compute(screen, grid.width, grid.height);
    const fresh = !sameView(this.views.last, view) || !this.prev || !damage;
    downscale(screen, view, grid.pixels, fresh ? {background: this.background} : {damage});
    this.views.last = view;
    const rowPx = grid.width * ch;
    const {prev, w} = this;
    const changed = Array.from({length: this.rows}, (_, r) => !prev || !same(grid.pixels, prev, r * rowPx, rowPx));
    w.reset();
    if (this.sync) w.ascii(SYNC_BEGIN);
    w.ascii('\x1b7');
    const body = w.len;
    for (let r = 0; r < this.rows; ) {
      if (!changed[r]) {
        r++;
        continue;
      }
      let end = r + 1;
      while (end < this.rows && changed[end]) end++;
      w.ascii(`\x1b[${this.originRow + r};${this.originCol}H`);
      writeSixel(w, grid, {x: 0, y: r * ch, width: cw * this.cols, height: (end - r) * ch});
      r = end;
    }
    if (prev) prev.set(grid.pixels);
    else this.prev = grid.pixels.slice();
    if (w.len === body) return Buffer.alloc(0);
    w.ascii('\x1b8');
    if (this.sync) w.ascii(SYNC_END);
    return w.take();
  }
}

function same(a: Uint32Array, b: Uint32Array, from: number, len: number): boolean {
  for (let i = from, end = from + len; i < end; i++) if (a[i] !== b[i]) return false;
  return true;
}
