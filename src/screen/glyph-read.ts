/**
 * Reads one character cell as a glyph of a table, deciding what the cell is:
 *  - blank: one colour;
 *  - glyph: two colours whose mask is a glyph (exactly, either way round; without an underline
 *    cursor; or within a few pixels of one), or — over a picture, as isolinux's vesamenu draws
 *    its menu over a splash — one of the cell's frequent colours drawn exactly as a glyph;
 *  - picture: no glyph, and too many colours or too little contrast to be text;
 *  - unknown: two or three clear colours that are no glyph we know.
 * Exactness comes first: a cell only reads as a near glyph when it has at most two colours
 * (or a few stray pixels), never from a guess among a picture's colours.
 */
import type {PixelSource} from '../vnc/framebuffer.js';
import {cellPalette, colourMask, colourSpread, edgeRectangle, exact, fullRow, isolatedColour, lowContrast, readCell, stripCursor} from './glyph-cell.js';
import {nearestEntry, type GlyphTable} from './glyph-table.js';

export type CellKind = 'blank' | 'picture' | 'glyph' | 'unknown';

/** What {@link CellReader.read} found in a cell. */
export interface CellRead {
  kind: CellKind;
  fg: number;
  bg: number;
  /** The table entry, when kind is 'glyph' (else -1). */
  entry: number;
  /** Recognised only as the nearest glyph, a few pixels off. */
  near: boolean;
  /** Recognised after removing an underline cursor. */
  cursor: boolean;
  /** The cell has more than two colours (text over a picture, a shadow, or picture). */
  multi: boolean;
  /**
   * A picture cell of many colours and strong contrast: a shaded shape such as a logo's letters,
   * or text in an anti-aliased font we do not have. Read as a space, but it could be text.
   */
  shape: boolean;
}

/**
 * A cell with this many colours or more that is no glyph is picture: text drawn by a console
 * has two (three with a shadow or a cursor), a splash image's gradients have many.
 */
export const PICTURE_COLOURS = 4;

/** A picture cell whose colours span more than this (in one channel) is a shape that could be text. */
export const SHAPE_CONTRAST = 96;

/** How many of a multi-coloured cell's most frequent colours are tried as the glyph's colour. */
const CANDIDATES = 4;

/** Reads cells of one glyph table; holds the scratch buffers so a frame allocates nothing per cell. */
export class CellReader {
  private readonly mask: Uint32Array;
  private readonly scratch: Uint32Array;
  private readonly saved: Uint32Array;
  private readonly full: number;

  /**
   * @param table the glyphs to look cells up in (its `wide` companion for {@link readWide})
   * @param screenBg the frame's dominant colour (tells ▀ from ▄)
   * @param maxBits most pixels a two-coloured cell may differ from its nearest glyph
   */
  constructor(
    readonly table: GlyphTable,
    private readonly screenBg: number,
    private readonly maxBits: number,
  ) {
    this.mask = new Uint32Array(table.height);
    this.scratch = new Uint32Array(table.height);
    this.saved = new Uint32Array(table.height);
    this.full = fullRow(table.width);
  }

  /** Read the cell at (x0, y0). `exactOnly` skips the cursor and nearest-glyph tries (grid search). */
  read(frame: PixelSource, x0: number, y0: number, exactOnly = false): CellRead {
    return readIn(this.table, frame, x0, y0, this.screenBg, exactOnly ? -1 : this.maxBits, this.full, this.mask, this.scratch, this.saved);
  }
}

/** Reads cells twice as wide as a table's grid in its `wide` companion (exact glyphs only). */
export class WideReader {
  private readonly mask: Uint32Array;
  private readonly scratch: Uint32Array;
  private readonly full: number;

  constructor(
    readonly table: GlyphTable,
    private readonly screenBg: number,
  ) {
    this.mask = new Uint32Array(table.height);
    this.scratch = new Uint32Array(table.height);
    this.full = fullRow(table.width);
  }

  /** The wide glyph whose left half lies at (x0, y0), if that is exactly one. */
  read(frame: PixelSource, x0: number, y0: number): CellRead | undefined {
    if (x0 < 0 || x0 + this.table.width > frame.width) return undefined;
    const r = readIn(this.table, frame, x0, y0, this.screenBg, -1, this.full, this.mask, this.scratch, this.scratch);
    return r.kind === 'glyph' ? r : undefined;
  }
}

function readIn(table: GlyphTable, frame: PixelSource, x0: number, y0: number, screenBg: number, maxBits: number, full: number, mask: Uint32Array, scratch: Uint32Array, saved: Uint32Array): CellRead {
  const {width: gw, height: gh} = table;
  const cell = readCell(frame, x0, y0, gw, gh, screenBg, mask);
  if (cell.uniform) return result('blank', cell.fg, cell.bg);
  const {fg, bg} = cell;
  if (cell.stray === 0) {
    if (lowContrast([fg, bg])) return result('picture', fg, bg);
    return twoColour(table, mask, scratch, saved, full, maxBits, fg, bg) ?? noGlyph(mask, gw, fg, bg);
  }
  // More than two colours: is one of them drawn exactly as a glyph?
  const pal = cellPalette(frame, x0, y0, gw, gh);
  const over = overPicture(table, frame, x0, y0, pal.colours, mask, scratch);
  if (over) return multi(over);
  const picture = pal.distinct >= PICTURE_COLOURS || lowContrast(pal.colours);
  if (cell.stray * 4 <= gw * gh) {
    // A few stray pixels, mapped to the nearer of the two main colours by readCell; a picture's
    // cell must be a glyph exactly, never merely near one.
    readCell(frame, x0, y0, gw, gh, screenBg, mask);
    const hit = twoColour(table, mask, scratch, saved, full, picture ? -1 : maxBits, fg, bg);
    if (hit) return multi(hit);
  }
  if (picture) {
    const r = multi(result('picture', fg, bg));
    r.shape = pal.distinct >= PICTURE_COLOURS && colourSpread(pal.colours) > SHAPE_CONTRAST;
    return r;
  }
  readCell(frame, x0, y0, gw, gh, screenBg, mask);
  return multi(noGlyph(mask, gw, fg, bg));
}

/** A cell of clear colours that is no glyph: unknown, unless it is a piece of a line or box. */
function noGlyph(mask: Uint32Array, gw: number, fg: number, bg: number): CellRead {
  return result(edgeRectangle(mask, gw) ? 'picture' : 'unknown', fg, bg);
}

function result(kind: CellKind, fg: number, bg: number, entry = -1, near = false, cursor = false): CellRead {
  return {kind, fg, bg, entry, near, cursor, multi: false, shape: false};
}

function multi(read: CellRead): CellRead {
  read.multi = true;
  return read;
}

/**
 * Look a two-colour mask up: exactly (either way round), then without an underline cursor (so a
 * cursor on a blank cell reads as a space, not `_`), then the nearest glyph within `maxBits`
 * (either way round; maxBits < 0: not at all).
 */
function twoColour(table: GlyphTable, mask: Uint32Array, scratch: Uint32Array, saved: Uint32Array, full: number, maxBits: number, fg: number, bg: number): CellRead | undefined {
  const hit = exact(table, mask, scratch);
  if (hit) return hit.inverted ? result('glyph', bg, fg, hit.entry) : result('glyph', fg, bg, hit.entry);
  if (maxBits < 0) return undefined;
  saved.set(mask);
  if (stripCursor(mask, full)) {
    const under = exact(table, mask, scratch);
    if (under) return under.inverted ? result('glyph', bg, fg, under.entry, false, true) : result('glyph', fg, bg, under.entry, false, true);
    mask.set(saved);
  }
  const a = nearestEntry(table, mask, 0, maxBits);
  const b = nearestEntry(table, mask, full, maxBits);
  if (a && (!b || a.distance <= b.distance)) return result('glyph', fg, bg, a.entry, true);
  if (b) return result('glyph', bg, fg, b.entry, true);
  return undefined;
}

/**
 * Text over a picture (or with a drop shadow): try each frequent colour as the glyph's colour,
 * an exact match only. Reads where exactly the pixels of one colour form a glyph win over reads
 * where all pixels but one colour's do; readings that disagree leave the cell unread.
 */
function overPicture(table: GlyphTable, frame: PixelSource, x0: number, y0: number, colours: readonly number[], mask: Uint32Array, scratch: Uint32Array): CellRead | undefined {
  let ink: CellRead | undefined;
  let paper: CellRead | undefined;
  let conflict = false;
  let paperConflict = false;
  for (let k = 0; k < Math.min(CANDIDATES, colours.length); k++) {
    const c = colours[k]!;
    if (!isolatedColour(frame, x0, y0, table.width, table.height, c)) continue;
    colourMask(frame, x0, y0, table.width, table.height, c, mask);
    const hit = exact(table, mask, scratch);
    if (!hit) continue;
    const other = colours[k === 0 ? 1 : 0]!;
    if (!hit.inverted) {
      if (ink && table.chars[ink.entry] !== table.chars[hit.entry]) conflict = true;
      ink ??= result('glyph', c, other, hit.entry);
    } else {
      if (paper && table.chars[paper.entry] !== table.chars[hit.entry]) paperConflict = true;
      paper ??= result('glyph', other, c, hit.entry);
    }
  }
  if (conflict || (!ink && paperConflict)) return undefined;
  return ink ?? paper;
}
