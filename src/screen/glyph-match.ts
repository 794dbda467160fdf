/**
 * Reads text off a frame drawn with a known bitmap console font: QEMU's VGA text mode (9×16
 * cells at 720×400: an 8-pixel glyph plus a 9th column) and the Linux framebuffer console
 * (8×16 cells) draw every character as a two-colour glyph on a fixed grid, so each cell can be
 * split into foreground and background, turned into a 1-bit mask and looked up.
 *
 * Steps: find the grid (cell pitch and origin) by trying every origin on a sample of inked
 * cells and keeping the one whose cells are most often exact glyphs; then read every cell —
 * exact hash lookup first (either way round, for reverse video), then without an underline
 * cursor, then the nearest glyph by Hamming distance (fonts differ by a pixel here and there).
 */
import type {PixelSource} from '../vnc/framebuffer.js';
import {dominantColour, exact, fullRow, readCell, stripCursor} from './glyph-cell.js';
import {nearestEntry, type GlyphTable} from './glyph-table.js';

/** What an unrecognised cell reads as. */
export const UNKNOWN_CHAR = '\uFFFD';

/** Where the character grid lies on the frame. */
export interface GlyphLayout {
  glyphWidth: number;
  glyphHeight: number;
  /** Horizontal cell pitch: the glyph width, or one more for VGA text mode's 9-dot cells. */
  cellWidth: number;
  /** Top-left pixel of the first whole cell. */
  originX: number;
  originY: number;
}

export interface GlyphMatchOptions {
  /**
   * Most pixels a cell may differ from its nearest glyph, as a fraction of the glyph. Default
   * 0.03 (3 of 128): on real frames, glyphs of another font 4–20 pixels away were mostly the
   * wrong character, and an unknown cell is better than a wrong one.
   */
  maxDistance?: number;
  /** Try this grid first (e.g. the previous frame's); it is kept when its cells still match. */
  layout?: GlyphLayout;
  /** Inked cells sampled per candidate grid origin. Default 48. */
  samples?: number;
}

export interface GlyphScreen {
  cols: number;
  rows: number;
  /** One string per row, trailing spaces removed; unrecognised cells are {@link UNKNOWN_CHAR}. */
  lines: string[];
  /** Per cell (row-major, cols × rows) foreground and background colours, 0xRRGGBB. */
  fg: Uint32Array;
  bg: Uint32Array;
  layout: GlyphLayout;
  /** Cells: all, blank (one colour), exact, near (within maxDistance), unknown. */
  stats: {cells: number; blank: number; exact: number; near: number; unknown: number};
  /** Recognised share of the non-blank cells (0 for a blank screen: no text to be sure of). */
  confidence: number;
  /** A cell whose glyph was only recognised after removing an underline cursor. */
  cursor?: {row: number; col: number};
  /** Cells recognised per font. */
  fontHits: Record<string, number>;
}

/** Pixels where the frame has ink: one per 16×16 block that is not a single colour, spread evenly. */
function findAnchors(frame: PixelSource, count: number): Array<[number, number]> {
  const {pixels, width, height} = frame;
  const found: Array<[number, number]> = [];
  for (let by = 0; by < height; by += 16) {
    for (let bx = 0; bx < width; bx += 16) {
      const first = pixels[by * width + bx]!;
      search: for (let y = by; y < Math.min(by + 16, height); y++) {
        for (let x = bx; x < Math.min(bx + 16, width); x++) {
          if (pixels[y * width + x] !== first) {
            found.push([x, y]);
            break search;
          }
        }
      }
    }
  }
  if (found.length <= count) return found;
  const step = found.length / count;
  return Array.from({length: count}, (_, i) => found[Math.floor(i * step)]!);
}

/** How many sampled cells under `layout` are exact glyphs (hits) or inked non-glyphs (misses). */
function scoreLayout(frame: PixelSource, table: GlyphTable, layout: GlyphLayout, anchors: Array<[number, number]>, screenBg: number): {hits: number; misses: number} {
  const {cellWidth: cw, glyphHeight: gh, glyphWidth: gw, originX: ox, originY: oy} = layout;
  const mask = new Uint32Array(gh);
  const scratch = new Uint32Array(gh);
  const seen = new Set<number>();
  let hits = 0;
  let misses = 0;
  for (const [ax, ay] of anchors) {
    if (ax < ox || ay < oy) continue;
    const col = Math.floor((ax - ox) / cw);
    const row = Math.floor((ay - oy) / gh);
    const x0 = ox + col * cw;
    const y0 = oy + row * gh;
    if (x0 + gw > frame.width || y0 + gh > frame.height || seen.has(row * 65536 + col)) continue;
    seen.add(row * 65536 + col);
    const cell = readCell(frame, x0, y0, gw, gh, screenBg, mask);
    if (cell.uniform) continue;
    if (exact(table, mask, scratch)) hits++;
    else misses++;
  }
  return {hits, misses};
}

/** Enough sampled cells are glyphs, and almost none are not (a cursor cell may miss). */
function clearlyRight(s: {hits: number; misses: number}): boolean {
  return s.hits >= 12 && s.misses * 20 <= s.hits;
}

/** The grid whose sampled cells best match glyphs of one of `tables`. */
function findLayout(frame: PixelSource, tables: readonly GlyphTable[], opts: GlyphMatchOptions, screenBg: number): {table: GlyphTable; layout: GlyphLayout} | undefined {
  const anchors = findAnchors(frame, opts.samples ?? 48);
  if (anchors.length === 0) return undefined;
  const hint = opts.layout;
  if (hint) {
    const table = tables.find((t) => t.width === hint.glyphWidth && t.height === hint.glyphHeight);
    if (table) {
      const s = scoreLayout(frame, table, hint, anchors, screenBg);
      if (clearlyRight(s)) return {table, layout: hint};
    }
  }
  let best: {table: GlyphTable; layout: GlyphLayout; score: number} | undefined;
  for (const table of tables) {
    // 8-pixel fonts also come as VGA text mode's 9-dot cells.
    const pitches = table.width === 8 ? [8, 9] : [table.width];
    for (const cellWidth of pitches) {
      for (let originY = 0; originY < table.height; originY++) {
        for (let originX = 0; originX < cellWidth; originX++) {
          const layout = {glyphWidth: table.width, glyphHeight: table.height, cellWidth, originX, originY};
          const s = scoreLayout(frame, table, layout, anchors, screenBg);
          const score = s.hits - s.misses;
          if (s.hits > 0 && (!best || score > best.score)) best = {table, layout, score};
          // Origin (0, 0) comes first and is the usual answer: stop once a grid is clearly right.
          if (clearlyRight(s)) return best;
        }
      }
    }
  }
  return best;
}

/**
 * Recognise the text on `frame` with the glyphs of `tables` (see buildGlyphTables). Returns
 * undefined when no grid fits: no ink, or nothing that looks like these fonts.
 */
export function matchGlyphs(frame: PixelSource, tables: readonly GlyphTable[], opts: GlyphMatchOptions = {}): GlyphScreen | undefined {
  const screenBg = dominantColour(frame);
  const found = findLayout(frame, tables, opts, screenBg);
  if (!found) return undefined;
  const {table, layout} = found;
  const {cellWidth: cw, glyphWidth: gw, glyphHeight: gh, originX: ox, originY: oy} = layout;
  const cols = Math.floor((frame.width - ox - gw) / cw) + 1;
  const rows = Math.floor((frame.height - oy) / gh);
  const maxBits = Math.floor((opts.maxDistance ?? 0.03) * gw * gh);
  const full = fullRow(gw);
  const mask = new Uint32Array(gh);
  const scratch = new Uint32Array(gh);
  const fg = new Uint32Array(cols * rows);
  const bg = new Uint32Array(cols * rows);
  const stats = {cells: cols * rows, blank: 0, exact: 0, near: 0, unknown: 0};
  const hitsPerFont = new Array<number>(table.fonts.length).fill(0);
  let cursor: {row: number; col: number} | undefined;
  const lines: string[] = [];
  for (let row = 0; row < rows; row++) {
    let line = '';
    for (let col = 0; col < cols; col++) {
      const i = row * cols + col;
      const cell = readCell(frame, ox + col * cw, oy + row * gh, gw, gh, screenBg, mask);
      fg[i] = cell.fg;
      bg[i] = cell.bg;
      if (cell.uniform) {
        stats.blank++;
        line += ' ';
        continue;
      }
      const hit = cell.stray * 4 > gw * gh ? undefined : recognise(table, mask, scratch, full, maxBits);
      if (!hit) {
        stats.unknown++;
        line += UNKNOWN_CHAR;
        continue;
      }
      if (hit.near) stats.near++;
      else stats.exact++;
      if (hit.cursor) cursor = {row, col};
      if (hit.inverted) [fg[i], bg[i]] = [cell.bg, cell.fg];
      hitsPerFont[table.fontOf[hit.entry]!]!++;
      line += table.chars[hit.entry];
    }
    lines.push(line.trimEnd());
  }
  const inked = stats.cells - stats.blank;
  const fontHits: Record<string, number> = {};
  table.fonts.forEach((name, k) => hitsPerFont[k] && (fontHits[name] = hitsPerFont[k]));
  return {cols, rows, lines, fg, bg, layout, stats, confidence: inked === 0 ? 0 : (stats.exact + stats.near) / inked, cursor, fontHits};
}

/**
 * Look a cell's mask up: exactly (either way round), then without an underline cursor (so a
 * cursor on a blank cell reads as a space, not `_`), then the nearest glyph within `maxBits`
 * (either way round).
 */
function recognise(table: GlyphTable, mask: Uint32Array, scratch: Uint32Array, full: number, maxBits: number): {entry: number; inverted: boolean; near: boolean; cursor: boolean} | undefined {
  const hit = exact(table, mask, scratch);
  if (hit) return {...hit, near: false, cursor: false};
  const saved = Uint32Array.from(mask);
  if (stripCursor(mask, full)) {
    const under = exact(table, mask, scratch);
    if (under) return {...under, near: false, cursor: true};
    mask.set(saved);
  }
  const a = nearestEntry(table, mask, 0, maxBits);
  const b = nearestEntry(table, mask, full, maxBits);
  if (a && (!b || a.distance <= b.distance)) return {entry: a.entry, inverted: false, near: true, cursor: false};
  if (b) return {entry: b.entry, inverted: true, near: true, cursor: false};
  return undefined;
}
