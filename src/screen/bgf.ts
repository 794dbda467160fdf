/**
 * BOGL fonts (`.bgf`), the format of the font the Debian installer's `bterm` draws its text
 * installer with on a framebuffer (`/lib/unifont.bgf` in the installer's initrd, a subset of GNU
 * Unifont). Read at run time from the installer being booted, never copied into this repository.
 *
 * The file is BOGL's `struct bogl_font` written out with its pointers turned into file offsets
 * (bdftobogl): "BGF1", then name (8-byte offset), height (int32), index_mask (int32), offset
 * (8-byte offset to index_mask+1 int32s), index (8-byte offset), content (8-byte offset),
 * default_char (int32). Glyphs are found as BOGL's bogl_font_glyph does: bucket
 * `offset[cp & mask]` of `index` holds pairs (`(cp & ~mask) | width`, content index) up to a 0;
 * a glyph is `height` uint32 rows, leftmost pixel in bit 31.
 */
import type {ConsoleFont} from './font.js';

const MAGIC = 'BGF1';

/**
 * Parse a BOGL font into console fonts, one per glyph width (unifont: 8-pixel glyphs, and
 * 16-pixel ones for wide characters such as CJK). Throws on anything that is not a BGF1 font.
 */
export function parseBgf(data: Uint8Array, name = 'font.bgf'): ConsoleFont[] {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (buf.length < 52 || buf.toString('latin1', 0, 4) !== MAGIC) throw new Error(`${name}: not a BOGL (BGF1) font`);
  const height = buf.readInt32LE(12);
  const mask = buf.readInt32LE(16);
  const offsetAt = Number(buf.readBigUInt64LE(20));
  const indexAt = Number(buf.readBigUInt64LE(28));
  const contentAt = Number(buf.readBigUInt64LE(36));
  const buckets = mask + 1;
  if (height < 1 || height > 64 || buckets < 1 || buckets > 1 << 16 || (buckets & mask) !== 0) {
    throw new Error(`${name}: unsupported BGF geometry (height ${height}, index mask ${mask})`);
  }
  if (offsetAt + buckets * 4 > buf.length || indexAt > buf.length || contentAt > buf.length) throw new Error(`${name}: truncated BGF font`);
  const int = (at: number): number => {
    if (at + 4 > buf.length) throw new Error(`${name}: truncated BGF font`);
    return buf.readInt32LE(at);
  };
  const byWidth = new Map<number, {cps: number[]; rows: number[]}>();
  for (let b = 0; b < buckets; b++) {
    for (let i = int(offsetAt + b * 4); ; i += 2) {
      const key = int(indexAt + i * 4);
      if (key === 0) break;
      const width = key & mask;
      const cp = (key & ~mask) | b;
      const content = int(indexAt + i * 4 + 4);
      if (width < 1 || width > 32) continue;
      let set = byWidth.get(width);
      if (!set) byWidth.set(width, (set = {cps: [], rows: []}));
      set.cps.push(cp);
      // Rows are left-aligned in 32 bits; keep the glyph's own width (bit width-1 = leftmost).
      for (let r = 0; r < height; r++) set.rows.push(Math.floor((int(contentAt + (content + r) * 4) >>> 0) / 2 ** (32 - width)));
    }
  }
  return [...byWidth.entries()]
    .sort(([a], [b]) => a - b)
    .map(([width, {cps, rows}]) => ({
      name: byWidth.size > 1 ? `${name}/${width}px` : name,
      width,
      height,
      glyphCount: cps.length,
      rows: Uint32Array.from(rows),
      chars: cps.map((cp) => [String.fromCodePoint(cp)]),
      hasUnicodeTable: true,
    }));
}
