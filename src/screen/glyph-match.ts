/**
 * Reads text off a frame drawn with a known bitmap font: QEMU's VGA text mode (9×16 cells at
 * 720×400: an 8-pixel glyph plus a 9th column), the Linux framebuffer console and the Debian
 * installer's bterm (8×16 cells; bterm also draws 16×16 CJK glyphs over two cells) draw every
 * character as a two-colour glyph on a fixed grid, so each cell can be split into foreground and
 * background, turned into a 1-bit mask and looked up. isolinux's vesamenu draws the same kind of
 * glyphs over a splash picture: there one of the cell's colours must be drawn exactly as a glyph.
 *
 * Steps: find the grid (glyph-layout.ts; a hint from the previous frame is kept while it still
 * reads cleanly); read every cell (glyph-read.ts); read a pair of cells that are no glyph as one
 * wide glyph; give letters drawn alike in several scripts the script of their word
 * (script-words.ts).
 */
import type {PixelSource} from '../vnc/framebuffer.js';
import {dominantColour} from './glyph-cell.js';
import {findLayout, type GlyphLayout, type TableReaders} from './glyph-layout.js';
import {CellReader, WideReader, type CellRead} from './glyph-read.js';
import type {GlyphTable} from './glyph-table.js';
import {resolveScripts} from './script-words.js';

export type {GlyphLayout} from './glyph-layout.js';

/** What an unrecognised cell reads as. */
export const UNKNOWN_CHAR = '\uFFFD';

export interface GlyphMatchOptions {
  /**
   * Most pixels a cell may differ from its nearest glyph, as a fraction of the glyph. Default
   * 0.03 (3 of 128): on real frames, glyphs of another font 4–20 pixels away were mostly the
   * wrong character, and an unknown cell is better than a wrong one.
   */
  maxDistance?: number;
  /** Try this grid first (e.g. the previous frame's); it is kept when its cells still match. */
  layout?: GlyphLayout;
  /** Cells sampled per candidate grid origin. Default 48. */
  samples?: number;
}

export interface GlyphScreen {
  cols: number;
  rows: number;
  /**
   * One string per row, trailing spaces removed; unrecognised cells are {@link UNKNOWN_CHAR}.
   * A wide glyph covers two cells but is one character, so a row may be shorter than its cells.
   */
  lines: string[];
  /** Per cell (row-major, cols × rows) foreground and background colours, 0xRRGGBB. */
  fg: Uint32Array;
  bg: Uint32Array;
  layout: GlyphLayout;
  /**
   * Cells: all, blank (one colour), picture (no glyph, and too many colours or too little
   * contrast to be text, or a piece of a rule or shadow: read as spaces), shapes (the picture
   * cells of many colours and strong contrast, which could be text we cannot read), exact, near
   * (within maxDistance), unknown.
   */
  stats: {cells: number; blank: number; picture: number; shapes: number; exact: number; near: number; unknown: number};
  /**
   * Recognised share of the cells that could hold text: those neither blank nor picture, and
   * the picture's shapes (so a screen of anti-aliased text does not pass for a blank one, and a
   * logo lowers it); 0 when none.
   */
  confidence: number;
  /** A cell whose glyph was only recognised after removing an underline cursor. */
  cursor?: {row: number; col: number};
  /** Cells recognised per font. */
  fontHits: Record<string, number>;
}

/**
 * Recognise the text on `frame` with the glyphs of `tables` (see buildGlyphTables). Returns
 * undefined when no grid fits: no ink, or nothing that looks like these fonts.
 */
export function matchGlyphs(frame: PixelSource, tables: readonly GlyphTable[], opts: GlyphMatchOptions = {}): GlyphScreen | undefined {
  const screenBg = dominantColour(frame);
  const maxDistance = opts.maxDistance ?? 0.03;
  const readers: TableReaders[] = tables.map((table) => ({
    table,
    reader: new CellReader(table, screenBg, Math.floor(maxDistance * table.width * table.height)),
    wide: table.wide && new WideReader(table.wide, screenBg),
  }));
  const hint = opts.layout;
  const hinted = hint && readers.find((r) => r.table.width === hint.glyphWidth && r.table.height === hint.glyphHeight);
  if (hint && hinted && hint.originX + hint.glyphWidth <= frame.width && hint.originY + hint.glyphHeight <= frame.height) {
    // The whole read is the check: kept when almost every cell of clear colours is a glyph.
    const read = readGrid(frame, hinted, hint);
    if (read.misses * 20 <= read.hits) return read.screen;
  }
  const found = findLayout(frame, readers, opts.samples ?? 48);
  return found && readGrid(frame, found.readers, found.layout).screen;
}

const BLANK = 0;
const PICTURE = 1;
const EXACT = 2;
const NEAR = 3;
const UNKNOWN = 4;
/** The second cell of a wide glyph. */
const COVERED = 5;

/** Read every cell on `layout`; hits and misses as in the grid search, over all cells. */
function readGrid(frame: PixelSource, {table, reader, wide}: TableReaders, layout: GlyphLayout): {screen: GlyphScreen; hits: number; misses: number} {
  const {cellWidth: cw, glyphWidth: gw, glyphHeight: gh, originX: ox, originY: oy} = layout;
  const cols = Math.floor((frame.width - ox - gw) / cw) + 1;
  const rows = Math.floor((frame.height - oy) / gh);
  const wideReader = cw === gw ? wide : undefined;
  const fg = new Uint32Array(cols * rows);
  const bg = new Uint32Array(cols * rows);
  const stats = {cells: cols * rows, blank: 0, picture: 0, shapes: 0, exact: 0, near: 0, unknown: 0};
  const fontHits: Record<string, number> = {};
  let cursor: {row: number; col: number} | undefined;
  let hits = 0;
  let misses = 0;
  const kind = new Uint8Array(cols);
  const chars: string[] = new Array<string>(cols);
  const alts: Array<readonly string[] | undefined> = new Array(cols);
  const fonts: Array<string | undefined> = new Array(cols);
  const lines: string[] = [];
  for (let row = 0; row < rows; row++) {
    const y0 = oy + row * gh;
    for (let col = 0; col < cols; col++) {
      const i = row * cols + col;
      const cell = reader.read(frame, ox + col * cw, y0);
      fg[i] = cell.fg;
      bg[i] = cell.bg;
      setCell(table, cell, col, kind, chars, alts, fonts);
      if (cell.shape) stats.shapes++;
      if (cell.cursor) cursor = {row, col};
      if (cell.kind === 'glyph' && !cell.near && !table.weak[cell.entry]) hits++;
    }
    if (wideReader) {
      for (let col = 0; col < cols; col++) {
        if (kind[col] !== UNKNOWN && kind[col] !== NEAR) continue;
        // A wide glyph starting here, or at the cell before (its left half read as a narrow glyph or blank).
        let at = col;
        let w = col + 1 < cols ? wideReader.read(frame, ox + col * cw, y0) : undefined;
        if (!w && col > 0 && (kind[col - 1] === BLANK || kind[col - 1] === EXACT)) {
          at = col - 1;
          w = wideReader.read(frame, ox + at * cw, y0);
        }
        if (!w) continue;
        setCell(wideReader.table, w, at, kind, chars, alts, fonts);
        kind[at + 1] = COVERED;
        chars[at + 1] = '';
        alts[at + 1] = undefined;
        fonts[at + 1] = undefined;
        hits++;
        col = at + 1;
      }
    }
    for (let col = 0; col < cols; col++) {
      const k = kind[col];
      if (k === BLANK) stats.blank++;
      else if (k === PICTURE) stats.picture++;
      else if (k === EXACT || k === COVERED) stats.exact++;
      else if (k === NEAR) stats.near++;
      else (stats.unknown++, misses++);
      const font = fonts[col];
      if (font !== undefined) fontHits[font] = (fontHits[font] ?? 0) + 1;
    }
    resolveScripts(chars, alts);
    lines.push(chars.join('').trimEnd());
  }
  const inked = stats.cells - stats.blank - stats.picture + stats.shapes;
  const confidence = inked === 0 ? 0 : (stats.exact + stats.near) / inked;
  return {screen: {cols, rows, lines, fg, bg, layout, stats, confidence, cursor, fontHits}, hits, misses};
}

/** Record what a cell reads as in the row's arrays. */
function setCell(table: GlyphTable, cell: CellRead, col: number, kind: Uint8Array, chars: string[], alts: Array<readonly string[] | undefined>, fonts: Array<string | undefined>): void {
  kind[col] = cell.kind === 'blank' ? BLANK : cell.kind === 'picture' ? PICTURE : cell.kind === 'unknown' ? UNKNOWN : cell.near ? NEAR : EXACT;
  const glyph = cell.kind === 'glyph';
  chars[col] = glyph ? table.chars[cell.entry]! : cell.kind === 'unknown' ? UNKNOWN_CHAR : ' ';
  alts[col] = glyph ? table.alts[cell.entry] : undefined;
  fonts[col] = glyph ? table.fonts[table.fontOf[cell.entry]!] : undefined;
}
