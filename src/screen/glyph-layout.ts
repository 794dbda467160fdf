/**
 * Finding the character grid (cell pitch and origin) on a frame: try every origin on a sample
 * of cells and keep the grid with the most distinct glyphs recognised.
 *
 * Distinct, and not shift-invariant: a dialog's long borders (─ │), entry fields (___) and
 * scroll bars (▒) read as the same glyphs at every origin along them, so on a newt dialog they
 * outvote the text and pick a wrong grid (9-pixel cells at x = 3 instead of 8 at x = 0 on a
 * 1280×800 installer frame). Such glyphs count for nothing here; letters, which match at one
 * origin only, decide. Samples come first from small patches of few colours that are not
 * straight lines — where text is — and only then from pictures and rules.
 */
import type {PixelSource} from '../vnc/framebuffer.js';
import {lowContrast} from './glyph-cell.js';
import {CellReader, WideReader} from './glyph-read.js';
import type {GlyphTable} from './glyph-table.js';

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

/** A grid's score on the sampled cells. */
export interface LayoutScore {
  /** Distinct glyphs recognised, shift-invariant ones not counted. */
  distinct: number;
  /** Cells that are such glyphs. */
  hits: number;
  /** Cells of clear colours that are no glyph (pictures and shift-invariant glyphs count for neither). */
  misses: number;
}

/** A grid is abandoned after this many misses when they outnumber its hits four to one. */
const ABANDON = 6;
/** Blocks scanned for samples are this many pixels square. */
const BLOCK = 16;
/** A block with more colours than this is picture rather than text. */
const TEXT_BLOCK_COLOURS = 4;

/**
 * Pixels to sample: one per 16×16 block with ink, spread evenly; blocks of a few clear colours
 * that are not straight lines (rows all alike, or each row one colour) first.
 */
export function findAnchors(frame: PixelSource, count: number): Array<[number, number]> {
  const {pixels, width, height} = frame;
  const texty: Array<[number, number]> = [];
  const rest: Array<[number, number]> = [];
  const colours: number[] = [];
  for (let by = 0; by < height; by += BLOCK) {
    const yEnd = Math.min(by + BLOCK, height);
    for (let bx = 0; bx < width; bx += BLOCK) {
      const xEnd = Math.min(bx + BLOCK, width);
      const first = pixels[by * width + bx]!;
      let ink: [number, number] | undefined;
      let sameRows = true;
      let flatRows = true;
      colours.length = 0;
      colours.push(first);
      for (let y = by; y < yEnd; y++) {
        const row = y * width;
        for (let x = bx; x < xEnd; x++) {
          const p = pixels[row + x]!;
          if (p === first) continue;
          ink ??= [x, y];
          if (colours.length <= TEXT_BLOCK_COLOURS && !colours.includes(p)) colours.push(p);
        }
        // Rows before the first ink are all `first`: flat, and alike.
        if (!ink) continue;
        const left = pixels[row + bx]!;
        for (let x = bx; x < xEnd && sameRows; x++) sameRows = pixels[row + x] === pixels[by * width + x];
        for (let x = bx; x < xEnd && flatRows; x++) flatRows = pixels[row + x] === left;
      }
      if (!ink || lowContrast(colours)) continue;
      (colours.length <= TEXT_BLOCK_COLOURS && !sameRows && !flatRows ? texty : rest).push(ink);
    }
  }
  return [...spread(texty, count), ...spread(rest, count - Math.min(count, texty.length))];
}

function spread<T>(list: T[], count: number): T[] {
  if (list.length <= count) return list;
  const step = list.length / count;
  return Array.from({length: count}, (_, i) => list[Math.floor(i * step)]!);
}

/** Score `layout` on the cells holding the anchors (exact glyphs only, wide ones included). */
export function scoreLayout(frame: PixelSource, reader: CellReader, wide: WideReader | undefined, layout: GlyphLayout, anchors: ReadonlyArray<[number, number]>): LayoutScore {
  const {cellWidth: cw, glyphHeight: gh, glyphWidth: gw, originX: ox, originY: oy} = layout;
  const {table} = reader;
  const seen = new Set<number>();
  const glyphs = new Set<number>();
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
    const cell = reader.read(frame, x0, y0, true);
    if (cell.kind === 'glyph') {
      if (table.weak[cell.entry]) continue;
      hits++;
      glyphs.add(cell.entry);
    } else if (cell.kind === 'unknown') {
      // Maybe half of a wide glyph (CJK): its left half here, or the cell before (not looked for
      // in cells of several colours: on a picture that doubles the search for nothing).
      const w = cell.multi ? undefined : (wide?.read(frame, x0, y0) ?? wide?.read(frame, x0 - cw, y0));
      if (w) {
        hits++;
        glyphs.add(-1 - w.entry);
      } else if (++misses >= ABANDON && misses > hits * 4) break; // clearly not this grid: spare the rest
    }
  }
  return {distinct: glyphs.size, hits, misses};
}

/** Enough distinct glyphs, and almost no cell that is not one (a cursor cell may miss). */
export function clearlyRight(s: LayoutScore): boolean {
  return s.distinct >= 6 && s.misses * 20 <= s.hits;
}

/** Is score `a` better than `b`: more distinct glyphs, then fewer misses? */
function better(a: LayoutScore, b: LayoutScore): boolean {
  return a.distinct > b.distinct || (a.distinct === b.distinct && a.misses < b.misses);
}

/**
 * Every grid to try: each table's glyphs in cells of their own width (8-pixel fonts also in VGA
 * text mode's 9-dot cells) at every origin, those at (0, 0) first — consoles draw there, and the
 * search stops at the first grid that is clearly right.
 */
function* candidates(readers: readonly TableReaders[]): Generator<[TableReaders, number, number, number]> {
  const pitches = (r: TableReaders) => (r.table.width === 8 ? [8, 9] : [r.table.width]);
  for (const r of readers) for (const cw of pitches(r)) yield [r, cw, 0, 0];
  for (const r of readers) {
    for (const cw of pitches(r)) {
      for (let y = 0; y < r.table.height; y++) for (let x = 0; x < cw; x++) if (x || y) yield [r, cw, x, y];
    }
  }
}

/** A reader per table, for the grid search and the read that follows. */
export interface TableReaders {
  table: GlyphTable;
  reader: CellReader;
  wide?: WideReader;
}

/**
 * The grid whose sampled cells hold the most distinct glyphs of one of the tables, or undefined
 * when no grid shows a single glyph that could fix it.
 */
export function findLayout(frame: PixelSource, readers: readonly TableReaders[], samples: number): {readers: TableReaders; layout: GlyphLayout} | undefined {
  const anchors = findAnchors(frame, samples);
  if (anchors.length === 0) return undefined;
  let best: {readers: TableReaders; layout: GlyphLayout; score: LayoutScore} | undefined;
  for (const [r, cellWidth, originX, originY] of candidates(readers)) {
    const {width, height} = r.table;
    const layout = {glyphWidth: width, glyphHeight: height, cellWidth, originX, originY};
    const score = scoreLayout(frame, r.reader, cellWidth === width ? r.wide : undefined, layout, anchors);
    if (score.distinct > 0 && (!best || better(score, best.score))) best = {readers: r, layout, score};
    if (clearlyRight(score)) return best;
  }
  return best;
}
