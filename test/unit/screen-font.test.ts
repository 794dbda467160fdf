import {mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {gzipSync} from 'node:zlib';
import {afterAll, describe, expect, it} from 'vitest';
import {CP437, decodeCp437} from '../../src/screen/cp437.js';
import {charRank, findConsoleFont, glyphChar, loadConsoleFonts, loadPsfFile, parsePsf} from '../../src/screen/font.js';

/** A PSF1 font: 256 or 512 glyphs of `height` bytes; glyph g's row r = (g + r) & 0xff. */
function psf1(height: number, opts: {glyphs512?: boolean; table?: number[][]} = {}): Buffer {
  const n = opts.glyphs512 ? 512 : 256;
  const mode = (opts.glyphs512 ? 1 : 0) | (opts.table ? 2 : 0);
  const bytes = [0x36, 0x04, mode, height];
  for (let g = 0; g < n; g++) for (let r = 0; r < height; r++) bytes.push((g + r) & 0xff);
  if (opts.table) {
    for (let g = 0; g < n; g++) {
      for (const u of opts.table[g] ?? []) bytes.push(u & 0xff, u >> 8);
      bytes.push(0xff, 0xff);
    }
  }
  return Buffer.from(bytes);
}

/** A PSF2 font of `count` glyphs, width×height, each row filled with `rowBits(g, r)`, and an optional UTF-8 table. */
function psf2(width: number, height: number, count: number, rowBits: (g: number, r: number) => number, table?: string[][]): Buffer {
  const bpr = Math.ceil(width / 8);
  const header = Buffer.alloc(32);
  header.writeUInt32LE(0x864ab572, 0);
  header.writeUInt32LE(0, 4);
  header.writeUInt32LE(32, 8);
  header.writeUInt32LE(table ? 1 : 0, 12);
  header.writeUInt32LE(count, 16);
  header.writeUInt32LE(bpr * height, 20);
  header.writeUInt32LE(height, 24);
  header.writeUInt32LE(width, 28);
  const glyphs = Buffer.alloc(count * bpr * height);
  for (let g = 0; g < count; g++) {
    for (let r = 0; r < height; r++) {
      // Left-aligned in whole bytes, as PSF2 stores rows.
      const v = rowBits(g, r) * 2 ** (bpr * 8 - width);
      for (let b = 0; b < bpr; b++) glyphs[(g * height + r) * bpr + b] = Math.floor(v / 2 ** (8 * (bpr - 1 - b))) & 0xff;
    }
  }
  const parts = [header, glyphs];
  if (table) {
    for (let g = 0; g < count; g++) {
      const entry = table[g] ?? [];
      const singles = entry.filter((s) => [...s].length === 1);
      const seqs = entry.filter((s) => [...s].length > 1);
      parts.push(Buffer.from(singles.join(''), 'utf8'));
      for (const s of seqs) parts.push(Buffer.from([0xfe]), Buffer.from(s, 'utf8'));
      parts.push(Buffer.from([0xff]));
    }
  }
  return Buffer.concat(parts);
}

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, {recursive: true, force: true})));

describe('CP437', () => {
  it.each([
    [0x00, ' '], [0x01, '☺'], [0x1f, '▼'], [0x20, ' '], [0x41, 'A'], [0x7e, '~'], [0x7f, '⌂'], [0x80, 'Ç'],
    [0xb3, '│'], [0xc4, '─'], [0xc9, '╔'], [0xdb, '█'], [0xe1, 'ß'], [0xfe, '■'], [0xff, '\u00a0'],
  ])('byte 0x%s reads as %s', (byte, ch) => {
    expect(CP437[byte]).toBe(ch);
  });

  it('has 256 single characters, each printable ASCII byte as itself', () => {
    expect(CP437).toHaveLength(256);
    for (const ch of CP437) expect([...ch]).toHaveLength(1);
    for (let b = 0x20; b < 0x7f; b++) expect(CP437[b]).toBe(String.fromCharCode(b));
    expect(new Set(CP437.slice(1)).size).toBe(255);
  });

  it('decodes a row of bytes', () => {
    expect(decodeCp437([0xc9, 0xcd, 0xbb, 0x20, 0x62, 0x6f, 0x6f, 0x74, 0x3a])).toBe('╔═╗ boot:');
  });
});

describe('PSF1', () => {
  it('reads 256 glyphs of 8×N without a table in CP437 order', () => {
    const f = parsePsf(psf1(14), 'tiny');
    expect(f).toMatchObject({name: 'tiny', width: 8, height: 14, glyphCount: 256, hasUnicodeTable: false});
    expect(f.rows[0x41 * 14 + 3]).toBe((0x41 + 3) & 0xff);
    expect(f.chars[0x41]).toEqual(['A']);
    expect(f.chars[0xdb]).toEqual(['█']);
  });

  it('reads 512 glyphs and the UCS-2 table, ignoring combining sequences', () => {
    const table: number[][] = [];
    table[0x41] = [0x41, 0x391, 0x410]; // A, Greek Alpha, Cyrillic A
    table[0x42] = [0x42, 0xfffe, 0x42, 0x301]; // B, then a sequence B + combining acute
    const f = parsePsf(psf1(16, {glyphs512: true, table}));
    expect(f.glyphCount).toBe(512);
    expect(f.hasUnicodeTable).toBe(true);
    expect(f.chars[0x41]).toEqual(['A', 'Α', 'А']);
    expect(f.chars[0x42]).toEqual(['B']);
    expect(f.chars[0x43]).toEqual([]);
    expect(glyphChar(f, 0x41)).toBe('A');
  });

  it('reads gzip-compressed fonts, and ASCII only when asked to', () => {
    const f = parsePsf(gzipSync(psf1(16)), 'gz', 'ascii');
    expect(f.chars[0x41]).toEqual(['A']);
    expect(f.chars[0xc9]).toEqual([]);
    expect(f.chars[0x01]).toEqual([]);
  });

  it('rejects what is not a font, and truncated fonts', () => {
    expect(() => parsePsf(Buffer.from('hello world'), 'x')).toThrow(/not a PSF1\/PSF2/);
    expect(() => parsePsf(psf1(16).subarray(0, 100), 'cut')).toThrow(/truncated PSF1/);
  });
});

describe('PSF2', () => {
  it('reads glyph rows of any width, leftmost pixel in the highest bit', () => {
    // 12 pixels wide: two bytes per row, 4 padding bits.
    const f = parsePsf(psf2(12, 3, 4, (g, r) => (g === 1 && r === 0 ? 0b100000000001 : g)));
    expect(f).toMatchObject({width: 12, height: 3, glyphCount: 4, hasUnicodeTable: false});
    expect(f.rows[1 * 3 + 0]).toBe(0b100000000001);
    expect(f.rows[2 * 3 + 2]).toBe(2);
  });

  it('reads the UTF-8 table (several characters per glyph, sequences ignored)', () => {
    const f = parsePsf(psf2(8, 2, 3, (g) => g, [['a'], ['─', '━', 'e\u0301'], []]));
    expect(f.hasUnicodeTable).toBe(true);
    expect(f.chars).toEqual([['a'], ['─', '━'], []]);
  });

  it('reads 32-pixel-wide rows without losing the top bit', () => {
    const f = parsePsf(psf2(32, 1, 1, () => 0xffffffff));
    expect(f.rows[0]).toBe(0xffffffff);
  });

  it('rejects inconsistent geometry', () => {
    const bad = psf2(8, 16, 1, () => 0);
    bad.writeUInt32LE(17, 20);
    expect(() => parsePsf(bad, 'bad')).toThrow(/unsupported PSF2 geometry/);
  });
});

describe('choosing a glyph character', () => {
  it('prefers ASCII, then Latin-1, then other characters; control characters last', () => {
    const sorted = ['\u0001', 'Ω', 'é', 'A'].sort((a, b) => charRank(a) - charRank(b));
    expect(sorted).toEqual(['A', 'é', 'Ω', '\u0001']);
  });
});

describe('finding and loading installed fonts', () => {
  it('finds fonts by name in the given directories (.psf.gz, .psfu, ...) and by path', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vmbench-fonts-'));
    dirs.push(dir);
    writeFileSync(path.join(dir, 'One.psf.gz'), gzipSync(psf1(16)));
    writeFileSync(path.join(dir, 'two.psfu'), psf2(8, 8, 256, (g) => g));
    expect(findConsoleFont('One', [dir])).toBe(path.join(dir, 'One.psf.gz'));
    expect(findConsoleFont('two', ['/nonexistent', dir])).toBe(path.join(dir, 'two.psfu'));
    expect(findConsoleFont('three', [dir])).toBeUndefined();
    expect(findConsoleFont(path.join(dir, 'two.psfu'))).toBe(path.join(dir, 'two.psfu'));
    expect((await loadPsfFile(path.join(dir, 'One.psf.gz'))).name).toBe('One');
    // Missing fonts are skipped, not fatal: recognition degrades instead of failing a build.
    const fonts = await loadConsoleFonts(['three', 'One', {name: 'two', tableless: 'ascii'}], [dir]);
    expect(fonts.map((f) => [f.name, f.height])).toEqual([['One', 16], ['two', 8]]);
    expect(fonts[1]!.chars[0xc4]).toEqual([]);
  });

  it('loads the default fonts from the installed console-data package', async () => {
    const fonts = await loadConsoleFonts();
    expect(fonts.map((f) => f.name), 'install the Debian package console-data').toEqual(['default8x16', 'iso01.f16', 'iso01a-8x16']);
    for (const f of fonts) expect([f.width, f.height]).toEqual([8, 16]);
  });
});
