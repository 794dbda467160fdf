/**
 * Lookup tables from glyph bitmaps to characters, one per glyph size. Fonts of the same size are
 * merged: QEMU's VGA text mode (SeaBIOS's font), the Linux kernel's built-in 8×16 font, the
 * installer's unifont and the packaged console fonts differ in a handful of glyphs each, so a
 * union recognises all of them exactly. Where two fonts give one bitmap different characters,
 * the earlier font wins.
 *
 * A table of glyphs twice as wide as another of the same height (unifont's 16×16 CJK glyphs
 * beside its 8×16 ones) is not a grid of its own: it becomes that table's `wide` companion, each
 * glyph covering two cells, as bterm draws them.
 */
import {charRank, glyphChar, type ConsoleFont} from './font.js';

/** All glyphs of one size, ready for exact (hash) and nearest (Hamming) lookups. */
export interface GlyphTable {
  readonly width: number;
  readonly height: number;
  /** Names of the fonts merged into this table, in precedence order. */
  readonly fonts: readonly string[];
  /** Distinct bitmaps: entryCount × height rows. */
  readonly rows: Uint32Array;
  readonly entryCount: number;
  /** The character each entry reads as. */
  readonly chars: readonly string[];
  /** Index of the font each entry came from (into `fonts`). */
  readonly fontOf: Uint16Array;
  /** Exact lookup: bitmap key → entry index. */
  readonly byKey: ReadonlyMap<string, number>;
  /**
   * Every character the entry's font draws with the entry's bitmap, best-ranked first (Latin
   * `a`, Cyrillic `а`), or undefined when there is only one: the word around it decides.
   */
  readonly alts: readonly (readonly string[] | undefined)[];
  /**
   * 1 for a bitmap that cannot tell where the grid lies (see {@link weakForGrid}): ─ │ ═ ▒ _ ▗
   * - . and the like match at many origins, along borders and at the corners of filled areas.
   */
  readonly weak: Uint8Array;
  /** Glyphs of twice this width and the same height, each drawn over two cells of this grid. */
  readonly wide?: GlyphTable;
}

/** Hash key of a bitmap (rows of up to 32 bits): two UTF-16 units per row. */
export function bitmapKey(rows: ArrayLike<number>, start = 0, height = rows.length): string {
  let key = '';
  for (let r = start; r < start + height; r++) {
    const v = rows[r]!;
    key += String.fromCharCode(v & 0xffff, v >>> 16);
  }
  return key;
}

/**
 * Build one table per glyph size found in `fonts` (order of first appearance); a size twice as
 * wide as another of the same height becomes that one's `wide` companion instead.
 */
export function buildGlyphTables(fonts: readonly ConsoleFont[]): GlyphTable[] {
  const bySize = new Map<string, ConsoleFont[]>();
  for (const f of fonts) {
    const k = `${f.width}x${f.height}`;
    const list = bySize.get(k) ?? [];
    list.push(f);
    bySize.set(k, list);
  }
  const tables = [...bySize.values()].map(buildTable);
  const wide = new Set<GlyphTable>();
  for (const t of tables) {
    const w = tables.find((o) => o.width === t.width * 2 && o.height === t.height);
    if (w) (t as {wide?: GlyphTable}).wide = w;
    if (w) wide.add(w);
  }
  return tables.filter((t) => !wide.has(t));
}

function buildTable(fonts: ConsoleFont[]): GlyphTable {
  const {width, height} = fonts[0]!;
  const byKey = new Map<string, number>();
  const chars: string[] = [];
  const alts: Array<string[] | undefined> = [];
  const fontOf: number[] = [];
  const rows: number[] = [];
  fonts.forEach((font, fi) => {
    for (let g = 0; g < font.glyphCount; g++) {
      const ch = glyphChar(font, g);
      if (ch === undefined) continue;
      const key = bitmapKey(font.rows, g * height, height);
      const seen = byKey.get(key);
      if (seen === undefined) {
        byKey.set(key, chars.length);
        chars.push(ch);
        alts.push(font.chars[g]!.length > 1 ? [...font.chars[g]!] : undefined);
        fontOf.push(fi);
        for (let r = 0; r < height; r++) rows.push(font.rows[g * height + r]!);
      } else if (fontOf[seen] === fi) {
        // Within one font, a bitmap drawn twice (Latin A, Cyrillic А) reads as the better-ranked
        // character unless its word says otherwise (see script-words.ts).
        alts[seen] = [...new Set([...(alts[seen] ?? [chars[seen]!]), ...font.chars[g]!])];
        if (charRank(ch) < charRank(chars[seen]!)) chars[seen] = ch;
      }
    }
  });
  for (const list of alts) list?.sort((a, b) => charRank(a) - charRank(b));
  const all = Uint32Array.from(rows);
  const weak = new Uint8Array(chars.length);
  for (let e = 0; e < chars.length; e++) weak[e] = weakForGrid(all, e * height, height, width) ? 1 : 0;
  return {
    width,
    height,
    fonts: fonts.map((f) => f.name),
    rows: all,
    entryCount: chars.length,
    chars,
    fontOf: Uint16Array.from(fontOf),
    byKey,
    alts: alts.map((a) => (a && a.length > 1 ? a : undefined)),
    weak,
  };
}

/**
 * Can this glyph be seen where no text is, on a grid in the wrong place? True for:
 *  - shift-invariant glyphs: a run of them reads the same on a shifted grid, because every row
 *    repeats with a period of 1, 2 or 4 pixels (─ ═ ▀ _ ▒) or the rows repeat every 1, 2 or 4
 *    rows (│ ▌ ▒);
 *  - plain rectangles: at most two distinct rows and two distinct columns (▗ ▚ - = . :), which
 *    the corners and edges of filled areas (a dialog and its shadow) draw at other origins.
 */
export function weakForGrid(rows: ArrayLike<number>, start: number, height: number, width: number): boolean {
  return shiftInvariant(rows, start, height, width) || rectangular(rows, start, height, width);
}

function rectangular(rows: ArrayLike<number>, start: number, height: number, width: number): boolean {
  const rowValues = new Set<number>();
  for (let r = 0; r < height; r++) if (rowValues.add(rows[start + r]!).size > 2) return false;
  const colValues = new Set<number>();
  for (let c = 0; c < width; c++) {
    let v = 0;
    for (let r = 0; r < height; r++) v = v * 2 + ((rows[start + r]! >>> (width - 1 - c)) & 1);
    if (colValues.add(v).size > 2) return false;
  }
  return true;
}

/**
 * Does a run of this glyph read the same on a shifted grid? True when every row repeats with a
 * period of 1, 2 or 4 pixels or the rows repeat every 1, 2 or 4 rows.
 */
export function shiftInvariant(rows: ArrayLike<number>, start: number, height: number, width: number): boolean {
  for (const p of [1, 2, 4]) {
    if (p >= width) break;
    const m = fullBits(width - p);
    let all = true;
    for (let r = 0; r < height && all; r++) {
      const v = rows[start + r]!;
      all = (((v >>> p) ^ v) & m) === 0;
    }
    if (all) return true;
  }
  for (const p of [1, 2, 4]) {
    if (p >= height) break;
    let all = true;
    for (let r = 0; r + p < height && all; r++) all = rows[start + r] === rows[start + r + p];
    if (all) return true;
  }
  return false;
}

function fullBits(n: number): number {
  return n >= 32 ? 0xffffffff : 2 ** n - 1;
}

/** 32-bit population count. */
export function popcount(v: number): number {
  v -= (v >>> 1) & 0x55555555;
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (((v + (v >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

/**
 * The entry nearest to `mask` (XORed with `invert` per row) by Hamming distance, if it is at
 * most `maxBits` pixels away. Stops scanning an entry as soon as it is worse than the best so far.
 */
export function nearestEntry(table: GlyphTable, mask: ArrayLike<number>, invert: number, maxBits: number): {entry: number; distance: number} | undefined {
  const {rows, height, entryCount} = table;
  let best = -1;
  let bestD = maxBits + 1;
  for (let e = 0, o = 0; e < entryCount; e++, o += height) {
    let d = 0;
    for (let r = 0; r < height && d < bestD; r++) d += popcount((mask[r]! ^ invert ^ rows[o + r]!) >>> 0);
    if (d < bestD) {
      bestD = d;
      best = e;
    }
  }
  return best < 0 ? undefined : {entry: best, distance: bestD};
}
