/**
 * Console bitmap fonts in the PC Screen Font formats (PSF1 and PSF2, optionally gzipped), the
 * format of /usr/share/consolefonts. Fonts are read at run time from an installed package
 * (Debian: console-data; console-setup-linux's fonts work too), never copied into this
 * repository: their glyphs let us recognise the text QEMU's VGA and Linux's fbcon draw.
 *
 * A glyph is held as one integer per pixel row, leftmost pixel in the highest of `width` bits,
 * so rows compare, XOR and popcount cheaply during matching.
 */
import {existsSync} from 'node:fs';
import {readFile} from 'node:fs/promises';
import path from 'node:path';
import {gunzipSync} from 'node:zlib';
import {CP437} from './cp437.js';

export interface ConsoleFont {
  /** Where it came from (file name without directory), for reports. */
  readonly name: string;
  /** Glyph width in pixels (1–32). */
  readonly width: number;
  /** Glyph height in pixels. */
  readonly height: number;
  readonly glyphCount: number;
  /** glyphCount × height row bitmaps; bit (width-1) is the leftmost pixel. */
  readonly rows: Uint32Array;
  /**
   * The single characters each glyph stands for, from the font's Unicode table; for a font
   * without one, per its {@link TablelessLayout}.
   */
  readonly chars: readonly (readonly string[])[];
  /** Whether `chars` came from the font's own Unicode table. */
  readonly hasUnicodeTable: boolean;
}

/** Where console-font packages install their fonts: Debian (console-data, console-setup-linux), then kbd upstream. */
export const CONSOLE_FONT_DIRS: readonly string[] = ['/usr/share/consolefonts', '/usr/share/kbd/consolefonts'];

/**
 * How to read the glyphs of a font without a Unicode table: in CP437 order (the PC's and the
 * Linux kernel's built-in order), or only glyphs 0x20–0x7E as ASCII (for fonts in some other
 * 8-bit layout, whose upper half would otherwise be misread).
 */
export type TablelessLayout = 'cp437' | 'ascii';

/** A font to load: a name in the console-font directories or a path, optionally with its layout. */
export type FontSpec = string | {name: string; tableless: TablelessLayout};

/**
 * The fonts tried by default, all from Debian's console-data package, merged per glyph size.
 * Measured on frames of the real tiny VM (test/fixtures/screens/README.md):
 *  - default8x16: QEMU's VGA text mode (SeaBIOS's font) — 251 of 255 CP437 glyphs identical;
 *  - iso01.f16: the Linux kernel's built-in 8×16 font (fbcon) — every glyph seen identical;
 *  - iso01a-8x16 (no Unicode table, so ASCII only): SeaBIOS's `0`, `-` and `@`, which
 *    default8x16 draws differently.
 */
export const DEFAULT_FONTS: readonly FontSpec[] = ['default8x16', 'iso01.f16', {name: 'iso01a-8x16', tableless: 'ascii'}];

const PSF1_MAGIC = 0x0436;
const PSF2_MAGIC = 0x864ab572;

/**
 * Parse a PSF1 or PSF2 font (gzip-compressed or not). Throws on anything else. `tableless`
 * says how to read a font that has no Unicode table (default CP437).
 */
export function parsePsf(data: Uint8Array, name = 'font', tableless: TablelessLayout = 'cp437'): ConsoleFont {
  let buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (buf[0] === 0x1f && buf[1] === 0x8b) buf = gunzipSync(buf);
  if (buf.length >= 4 && buf.readUInt32LE(0) === PSF2_MAGIC) return parsePsf2(buf, name, tableless);
  if (buf.length >= 4 && buf.readUInt16LE(0) === PSF1_MAGIC) return parsePsf1(buf, name, tableless);
  throw new Error(`${name}: not a PSF1/PSF2 console font`);
}

function parsePsf1(buf: Buffer, name: string, tableless: TablelessLayout): ConsoleFont {
  const mode = buf[2]!;
  const height = buf[3]!;
  const glyphCount = mode & 0x01 ? 512 : 256;
  const tableStart = 4 + glyphCount * height;
  if (height === 0 || buf.length < tableStart) throw new Error(`${name}: truncated PSF1 font`);
  const rows = new Uint32Array(glyphCount * height);
  for (let i = 0; i < rows.length; i++) rows[i] = buf[4 + i]!;
  // PSF1 table: per glyph, UCS-2 values; 0xFFFE starts combining sequences (ignored), 0xFFFF ends it.
  let chars: string[][] | undefined;
  if (mode & 0x06) {
    chars = [];
    let p = tableStart;
    for (let g = 0; g < glyphCount && p + 1 < buf.length; g++) {
      const list: string[] = [];
      let inSeq = false;
      for (; p + 1 < buf.length; p += 2) {
        const v = buf.readUInt16LE(p);
        if (v === 0xffff) break;
        if (v === 0xfffe) inSeq = true;
        else if (!inSeq) list.push(String.fromCharCode(v));
      }
      p += 2;
      chars.push(list);
    }
  }
  return finish(name, 8, height, glyphCount, rows, chars, tableless);
}

function parsePsf2(buf: Buffer, name: string, tableless: TablelessLayout): ConsoleFont {
  if (buf.length < 32) throw new Error(`${name}: truncated PSF2 header`);
  const headerSize = buf.readUInt32LE(8);
  const flags = buf.readUInt32LE(12);
  const glyphCount = buf.readUInt32LE(16);
  const charSize = buf.readUInt32LE(20);
  const height = buf.readUInt32LE(24);
  const width = buf.readUInt32LE(28);
  const bytesPerRow = Math.ceil(width / 8);
  if (width < 1 || width > 32 || height < 1 || charSize !== bytesPerRow * height || glyphCount < 1 || glyphCount > 65536) {
    throw new Error(`${name}: unsupported PSF2 geometry ${width}x${height}, ${charSize} bytes per glyph`);
  }
  const tableStart = headerSize + glyphCount * charSize;
  if (buf.length < tableStart) throw new Error(`${name}: truncated PSF2 font`);
  const rows = new Uint32Array(glyphCount * height);
  const pad = bytesPerRow * 8 - width; // rows are stored left-aligned in whole bytes
  for (let g = 0, o = headerSize; g < glyphCount; g++) {
    for (let r = 0; r < height; r++) {
      let v = 0;
      for (let b = 0; b < bytesPerRow; b++, o++) v = v * 256 + buf[o]!;
      rows[g * height + r] = Math.floor(v / 2 ** pad);
    }
  }
  // PSF2 table: per glyph, UTF-8 characters; 0xFE starts combining sequences (ignored), 0xFF ends it.
  let chars: string[][] | undefined;
  if (flags & 0x01) {
    chars = [];
    let p = tableStart;
    for (let g = 0; g < glyphCount && p < buf.length; g++) {
      const end = buf.indexOf(0xff, p);
      const entry = buf.subarray(p, end < 0 ? buf.length : end);
      const seq = entry.indexOf(0xfe);
      chars.push([...(seq < 0 ? entry : entry.subarray(0, seq)).toString('utf8')]);
      p = end < 0 ? buf.length : end + 1;
    }
  }
  return finish(name, width, height, glyphCount, rows, chars, tableless);
}

function finish(name: string, width: number, height: number, glyphCount: number, rows: Uint32Array, table: string[][] | undefined, tableless: TablelessLayout): ConsoleFont {
  const chars: string[][] = [];
  for (let g = 0; g < glyphCount; g++) {
    if (table) chars.push(table[g] ?? []);
    else if (tableless === 'ascii') chars.push(g >= 0x20 && g < 0x7f ? [String.fromCharCode(g)] : []);
    else chars.push(g < 256 ? [CP437[g]!] : []);
  }
  return {name, width, height, glyphCount, rows, chars, hasUnicodeTable: table !== undefined};
}

/** Read and parse a PSF font file (`.psf`, `.psfu`, `.psf.gz`, ...). */
export async function loadPsfFile(file: string, tableless: TablelessLayout = 'cp437'): Promise<ConsoleFont> {
  return parsePsf(await readFile(file), path.basename(file).replace(/\.gz$/, '').replace(/\.psfu?$/, ''), tableless);
}

/**
 * Find a console font by name (`Uni2-VGA16`) or path: tries `<dir>/<name>{.psf.gz,.psfu.gz,.psf,.psfu,}`
 * in each of `dirs`. Returns undefined when no such file is installed.
 */
export function findConsoleFont(name: string, dirs: readonly string[] = CONSOLE_FONT_DIRS): string | undefined {
  if (name.includes('/')) return existsSync(name) ? name : undefined;
  for (const dir of dirs) {
    for (const ext of ['.psf.gz', '.psfu.gz', '.psf', '.psfu', '']) {
      const file = path.join(dir, name + ext);
      if (existsSync(file)) return file;
    }
  }
  return undefined;
}

/**
 * Load console fonts by name or path, skipping those not installed (so a missing font package
 * degrades text recognition instead of failing a build). Defaults to {@link DEFAULT_FONTS}.
 */
export async function loadConsoleFonts(specs: readonly FontSpec[] = DEFAULT_FONTS, dirs: readonly string[] = CONSOLE_FONT_DIRS): Promise<ConsoleFont[]> {
  const fonts: ConsoleFont[] = [];
  for (const spec of specs) {
    const {name, tableless} = typeof spec === 'string' ? {name: spec, tableless: 'cp437' as const} : spec;
    const file = findConsoleFont(name, dirs);
    if (file) fonts.push(await loadPsfFile(file, tableless));
  }
  return fonts;
}

/**
 * Rank of a character as the reading of a glyph several characters share (lower is better):
 * identical bitmaps for `A` and Cyrillic `А` should read as the ASCII letter.
 */
export function charRank(ch: string): number {
  const cp = ch.codePointAt(0) ?? 0;
  if (cp >= 0x20 && cp < 0x7f) return cp;
  if (cp >= 0xa0 && cp < 0x100) return 0x100 + cp;
  if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) return 0x30000000 + cp;
  return 0x200 + cp;
}

/** The one character a glyph reads as: its best-ranked mapping, or undefined when it has none. */
export function glyphChar(font: ConsoleFont, glyph: number): string | undefined {
  let best: string | undefined;
  for (const ch of font.chars[glyph] ?? []) if (best === undefined || charRank(ch) < charRank(best)) best = ch;
  return best;
}
