/**
 * One character cell of a frame: its two colours, its 1-bit mask, and exact lookups of that
 * mask in a glyph table. The building blocks of glyph-match.ts, kept apart to stay small.
 */
import type {PixelSource} from '../vnc/framebuffer.js';
import {bitmapKey, type GlyphTable} from './glyph-table.js';

/** One cell's colours after {@link readCell}: background, foreground, and pixels of neither. */
export interface CellColours {
  uniform: boolean;
  bg: number;
  fg: number;
  stray: number;
}

/**
 * Split the cell at (x0, y0) into its two most frequent colours and write its mask (1 =
 * foreground) into `mask`. The background is the more frequent colour, unless the other one is
 * the screen's dominant colour: then that one is (so `▀` and `▄` are told apart).
 */
export function readCell(frame: PixelSource, x0: number, y0: number, gw: number, gh: number, screenBg: number, mask: Uint32Array): CellColours {
  const {pixels, width} = frame;
  let c0 = pixels[y0 * width + x0]!;
  let c1 = -1;
  let c2 = -1;
  let n0 = 0;
  let n1 = 0;
  let n2 = 0;
  for (let r = 0; r < gh; r++) {
    for (let i = (y0 + r) * width + x0, end = i + gw; i < end; i++) {
      const p = pixels[i]!;
      if (p === c0) n0++;
      else if (p === c1) n1++;
      else if (c1 < 0) (c1 = p), (n1 = 1);
      else if (p === c2) n2++;
      else if (c2 < 0) (c2 = p), (n2 = 1);
    }
  }
  if (c1 < 0) return {uniform: true, bg: c0, fg: c0, stray: 0};
  // Order by count: c0 is the most frequent, c1 the second.
  if (n1 > n0) [c0, n0, c1, n1] = [c1, n1, c0, n0];
  if (n2 > n1) {
    [c1, n1] = [c2, n2];
    if (n1 > n0) [c0, n0, c1, n1] = [c1, n1, c0, n0];
  }
  let bg = c0;
  let fg = c1;
  if (fg === screenBg) [bg, fg] = [fg, bg];
  const stray = gw * gh - n0 - n1;
  for (let r = 0; r < gh; r++) {
    let v = 0;
    for (let i = (y0 + r) * width + x0, end = i + gw; i < end; i++) {
      const p = pixels[i]!;
      const on = p === fg ? 1 : p === bg ? 0 : distance2(p, fg) < distance2(p, bg) ? 1 : 0;
      v = v * 2 + on;
    }
    mask[r] = v;
  }
  return {uniform: false, bg, fg, stray};
}

function distance2(a: number, b: number): number {
  const dr = ((a >> 16) & 255) - ((b >> 16) & 255);
  const dg = ((a >> 8) & 255) - ((b >> 8) & 255);
  const db = (a & 255) - (b & 255);
  return dr * dr + dg * dg + db * db;
}

/** A cell's colours, most frequent first (at most the number asked for), and how many it has. */
export interface CellPalette {
  colours: number[];
  counts: number[];
  distinct: number;
}

let sortBuf = new Uint32Array(256);

/** Count the colours of the cell at (x0, y0): its `max` most frequent ones, and how many there are. */
export function cellPalette(frame: PixelSource, x0: number, y0: number, gw: number, gh: number, max = 8): CellPalette {
  const {pixels, width} = frame;
  const n = gw * gh;
  if (sortBuf.length < n) sortBuf = new Uint32Array(n);
  const buf = sortBuf.subarray(0, n);
  for (let r = 0, k = 0; r < gh; r++) for (let i = (y0 + r) * width + x0, end = i + gw; i < end; i++) buf[k++] = pixels[i]!;
  buf.sort();
  // Runs of equal colours, kept as the `max` longest (insertion into a short sorted list).
  const colours: number[] = [];
  const counts: number[] = [];
  let distinct = 0;
  for (let i = 0; i < n; ) {
    let j = i + 1;
    while (j < n && buf[j] === buf[i]) j++;
    distinct++;
    const len = j - i;
    let k = counts.length;
    while (k > 0 && counts[k - 1]! < len) k--;
    if (k < max) {
      colours.splice(k, 0, buf[i]!);
      counts.splice(k, 0, len);
      if (colours.length > max) colours.pop(), counts.pop();
    }
    i = j;
  }
  return {colours, counts, distinct};
}

/** Write the cell's mask of the pixels that are exactly `colour`. */
export function colourMask(frame: PixelSource, x0: number, y0: number, gw: number, gh: number, colour: number, mask: Uint32Array): void {
  const {pixels, width} = frame;
  for (let r = 0; r < gh; r++) {
    let v = 0;
    for (let i = (y0 + r) * width + x0, end = i + gw; i < end; i++) v = v * 2 + (pixels[i] === colour ? 1 : 0);
    mask[r] = v;
  }
}

/**
 * Colours this close (per channel) cannot carry text anyone could read: a gradient or
 * dithering in a picture, not a glyph on its background.
 */
export const LOW_CONTRAST = 24;

/** Whether all `colours` lie within {@link LOW_CONTRAST} of each other in every channel. */
export function lowContrast(colours: readonly number[]): boolean {
  return colourSpread(colours) <= LOW_CONTRAST;
}

/** The widest range of one channel (red, green or blue) over `colours`, 0–255. */
export function colourSpread(colours: readonly number[]): number {
  let spread = 0;
  for (const shift of [16, 8, 0]) {
    let lo = 255;
    let hi = 0;
    for (const c of colours) {
      const v = (c >> shift) & 255;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    if (hi - lo > spread) spread = hi - lo;
  }
  return spread;
}

/**
 * Is `colour` set apart in the cell: no other pixel within {@link LOW_CONTRAST} of it? Text is
 * drawn in one solid colour; a picture's shapes shade off into colours next to their own.
 */
export function isolatedColour(frame: PixelSource, x0: number, y0: number, gw: number, gh: number, colour: number): boolean {
  const {pixels, width} = frame;
  const r = (colour >> 16) & 255;
  const g = (colour >> 8) & 255;
  const b = colour & 255;
  for (let y = 0; y < gh; y++) {
    for (let i = (y0 + y) * width + x0, end = i + gw; i < end; i++) {
      const p = pixels[i]!;
      if (p === colour) continue;
      if (Math.abs(((p >> 16) & 255) - r) <= LOW_CONTRAST && Math.abs(((p >> 8) & 255) - g) <= LOW_CONTRAST && Math.abs((p & 255) - b) <= LOW_CONTRAST) return false;
    }
  }
  return true;
}

/**
 * Is the mask's ink a plain rectangle (at most two distinct rows and two distinct columns) that
 * reaches the cell's edge: part of a rule, a box or a drop shadow running on into the next cell,
 * not a character?
 */
export function edgeRectangle(mask: ArrayLike<number>, width: number): boolean {
  const rows = new Set<number>();
  for (let r = 0; r < mask.length; r++) if (rows.add(mask[r]!).size > 2) return false;
  const cols = new Set<number>();
  for (let c = 0; c < width; c++) {
    let v = 0;
    for (let r = 0; r < mask.length; r++) v = v * 2 + ((mask[r]! >>> (width - 1 - c)) & 1);
    if (cols.add(v).size > 2) return false;
  }
  const first = mask[0]!;
  const last = mask[mask.length - 1]!;
  const edges = (2 ** (width - 1)) | 1;
  let sides = 0;
  for (let r = 0; r < mask.length; r++) sides |= mask[r]!;
  return first !== 0 || last !== 0 || (sides & edges) !== 0;
}

/** A glyph row with all `width` pixels set (XOR with it inverts a row). */
export function fullRow(width: number): number {
  return width >= 32 ? 0xffffffff : 2 ** width - 1;
}

/** Exact lookup of the mask, then of its inverse (reverse video). */
export function exact(table: GlyphTable, mask: Uint32Array, scratch: Uint32Array): {entry: number; inverted: boolean} | undefined {
  const hit = table.byKey.get(bitmapKey(mask));
  if (hit !== undefined) return {entry: hit, inverted: false};
  const full = fullRow(table.width);
  for (let r = 0; r < mask.length; r++) scratch[r] = (mask[r]! ^ full) >>> 0;
  const inv = table.byKey.get(bitmapKey(scratch));
  return inv === undefined ? undefined : {entry: inv, inverted: true};
}

/** Most common colour on a sparse sample of the frame: the screen's background. */
export function dominantColour(frame: PixelSource): number {
  const counts = new Map<number, number>();
  const {pixels} = frame;
  // Every 29th pixel (a prime: no beat with 8- or 9-pixel cells); samples come in runs of one
  // colour on a console, so a run is counted first and the map updated once.
  let run = pixels[0] ?? 0;
  let n = 0;
  for (let i = 0; i < pixels.length; i += 29) {
    const p = pixels[i]!;
    if (p === run) {
      n++;
      continue;
    }
    counts.set(run, (counts.get(run) ?? 0) + n);
    run = p;
    n = 1;
  }
  counts.set(run, (counts.get(run) ?? 0) + n);
  let best = 0;
  let bestN = -1;
  for (const [c, k] of counts) if (k > bestN) (best = c), (bestN = k);
  return best;
}

/**
 * Remove an underline cursor: solid rows in the bottom quarter of the cell. Returns whether
 * anything was removed.
 */
export function stripCursor(mask: Uint32Array, full: number): boolean {
  let changed = false;
  for (let r = Math.floor((mask.length * 3) / 4); r < mask.length; r++) {
    if (mask[r] === full) (mask[r] = 0), (changed = true);
  }
  return changed;
}
