/**
 * Lookup tables from glyph bitmaps to characters, one per glyph size. Fonts of the same size are
 * merged: QEMU's VGA text mode (SeaBIOS's font), the Linux kernel's built-in 8×16 font and the
 * packaged console fonts differ in a handful of glyphs each, so a union recognises all of them
 * exactly. Where two fonts give one bitmap different characters, the earlier font wins.
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

/** Build one table per glyph size found in `fonts` (order of first appearance). */
export function buildGlyphTables(fonts: readonly ConsoleFont[]): GlyphTable[] {
  const bySize = new Map<string, ConsoleFont[]>();
  for (const f of fonts) {
    const k = `${f.width}x${f.height}`;
    const list = bySize.get(k) ?? [];
    list.push(f);
    bySize.set(k, list);
  }
  return [...bySize.values()].map(buildTable);
}

function buildTable(fonts: ConsoleFont[]): GlyphTable {
  const {width, height} = fonts[0]!;
  const byKey = new Map<string, number>();
  const chars: string[] = [];
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
        fontOf.push(fi);
        for (let r = 0; r < height; r++) rows.push(font.rows[g * height + r]!);
      } else if (fontOf[seen] === fi && charRank(ch) < charRank(chars[seen]!)) {
        // Within one font, a bitmap drawn twice (Latin A, Cyrillic А) reads as the better-ranked character.
        chars[seen] = ch;
      }
    }
  });
  return {
    width,
    height,
    fonts: fonts.map((f) => f.name),
    rows: Uint32Array.from(rows),
    entryCount: chars.length,
    chars,
    fontOf: Uint16Array.from(fontOf),
    byKey,
  };
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
