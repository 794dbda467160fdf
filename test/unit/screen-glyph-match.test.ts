import {beforeAll, describe, expect, it} from 'vitest';
import {loadConsoleFonts, parsePsf, type ConsoleFont} from '../../src/screen/font.js';
import {matchGlyphs, UNKNOWN_CHAR, type GlyphLayout} from '../../src/screen/glyph-match.js';
import {bitmapKey, buildGlyphTables, nearestEntry, popcount, type GlyphTable} from '../../src/screen/glyph-table.js';
import type {PixelSource} from '../../src/vnc/framebuffer.js';

type Cell = {ch: string; fg?: number; bg?: number};

/** Draw `lines` with `font` on a width×height frame filled with `screenBg`, as a console would. */
function draw(font: ConsoleFont, width: number, height: number, lines: Array<string | Cell[]>, opts: {cellWidth?: number; originX?: number; originY?: number; fg?: number; screenBg?: number} = {}): PixelSource & {pixels: Uint32Array} {
  const {cellWidth = font.width, originX = 0, originY = 0, fg = 0xaaaaaa, screenBg = 0} = opts;
  const pixels = new Uint32Array(width * height).fill(screenBg);
  lines.forEach((line, row) => {
    const cells: Cell[] = typeof line === 'string' ? [...line].map((ch) => ({ch})) : line;
    cells.forEach((cell, col) => {
      const g = font.chars.findIndex((cs) => cs.includes(cell.ch));
      if (g < 0) throw new Error(`no glyph for ${cell.ch} in ${font.name}`);
      const x0 = originX + col * cellWidth;
      const y0 = originY + row * font.height;
      for (let r = 0; r < font.height; r++) {
        for (let c = 0; c < cellWidth; c++) {
          const on = c < font.width && (font.rows[g * font.height + r]! >>> (font.width - 1 - c)) & 1;
          pixels[(y0 + r) * width + x0 + c] = on ? (cell.fg ?? fg) : (cell.bg ?? screenBg);
        }
      }
    });
  });
  return {width, height, pixels};
}

let fonts: ConsoleFont[];
let tables: GlyphTable[];
let vga: ConsoleFont;
beforeAll(async () => {
  fonts = await loadConsoleFonts();
  if (fonts.length === 0) throw new Error('no console fonts: install the Debian package console-data');
  tables = buildGlyphTables(fonts);
  vga = fonts[0]!;
});

const TEXT = ['vmbench: Hello, World! 0123456789', "~`@#$%^&*()_+-=[]{};':\",./<>?|\\", 'boot: install auto=true url=http://10.0.2.2:8123/preseed.cfg'];

describe('glyph tables', () => {
  it('merge fonts of one size, keep one entry per distinct bitmap, and look bitmaps up exactly', () => {
    expect(tables).toHaveLength(1);
    const t = tables[0]!;
    expect([t.width, t.height, t.fonts]).toEqual([8, 16, ['default8x16', 'iso01.f16', 'iso01a-8x16']]);
    expect(t.byKey.size).toBe(t.entryCount);
    const g = vga.chars.findIndex((cs) => cs.includes('A'));
    const hit = t.byKey.get(bitmapKey(vga.rows, g * 16, 16));
    expect(t.chars[hit!]).toBe('A');
  });

  it('find the nearest bitmap by Hamming distance, within a limit', () => {
    const t = tables[0]!;
    const g = vga.chars.findIndex((cs) => cs.includes('k'));
    const mask = vga.rows.slice(g * 16, g * 16 + 16);
    mask[0] = (mask[0]! ^ 0b10000001) >>> 0;
    expect(t.chars[nearestEntry(t, mask, 0, 4)!.entry]).toBe('k');
    expect(nearestEntry(t, mask, 0, 4)!.distance).toBe(2);
    expect(nearestEntry(t, mask, 0, 1)).toBeUndefined();
    expect(popcount(0xffffffff)).toBe(32);
  });
});

describe('matchGlyphs on synthetic frames', () => {
  it('recovers text drawn on an offset grid in 8-pixel cells, with its colours', () => {
    const frame = draw(vga, 640, 480, TEXT, {originX: 3, originY: 7, fg: 0xffff55, screenBg: 0x0000aa});
    const s = matchGlyphs(frame, tables)!;
    expect(s.layout).toEqual({glyphWidth: 8, glyphHeight: 16, cellWidth: 8, originX: 3, originY: 7});
    expect(s.lines.slice(0, 3)).toEqual(TEXT);
    expect(s.lines.slice(3).every((l) => l === '')).toBe(true);
    expect([s.cols, s.rows]).toEqual([79, 29]);
    expect(s.confidence).toBe(1);
    expect(s.stats.unknown + s.stats.near).toBe(0);
    expect(s.fg[1]!.toString(16)).toBe('ffff55'); // the "m" of vmbench
    expect(s.bg[1]!.toString(16)).toBe('aa');
  });

  it('recovers VGA text mode cells (9 pixels: glyph + blank column) with CP437 box drawing', () => {
    const lines = ['╔══════════╗', '║ boot: _  ║', '╚══════════╝', '░▒▓█ ÇüéΣ'];
    const frame = draw(vga, 720, 400, lines, {cellWidth: 9});
    const s = matchGlyphs(frame, tables)!;
    expect(s.layout.cellWidth).toBe(9);
    expect([s.cols, s.rows]).toEqual([80, 25]);
    // A full block is one colour: it reads as a (coloured) space.
    expect(s.lines.slice(0, 4)).toEqual([...lines.slice(0, 3), '░▒▓  ÇüéΣ']);
  });

  it('reads reverse video and tells ▀ from ▄ by the screen background', () => {
    const rev = [...' reverse '].map((ch) => ({ch, fg: 0x000000, bg: 0xaaaaaa}));
    const frame = draw(vga, 320, 64, [rev, '▀▄▀▄', [{ch: 'x', fg: 0xff0000, bg: 0x00ff00}]]);
    const s = matchGlyphs(frame, tables)!;
    expect(s.lines.slice(0, 3)).toEqual([' reverse', '▀▄▀▄', 'x']);
    expect([s.fg[1], s.bg[1]]).toEqual([0x000000, 0xaaaaaa]);
    const x = 2 * s.cols;
    expect([s.fg[x], s.bg[x]]).toEqual([0xff0000, 0x00ff00]);
  });

  it('accepts a glyph a few pixels off (another font), and marks a damaged one unknown', () => {
    const frame = draw(vga, 320, 64, ['abc', 'xyz']);
    const flip = (x: number, y: number) => (frame.pixels[y * 320 + x] = frame.pixels[y * 320 + x] ? 0 : 0xaaaaaa);
    flip(8 + 1, 2); // "b": 1 pixel
    for (let i = 0; i < 6; i++) for (let y = 18; y < 30; y++) flip(16 + i, y); // "z": 72 pixels
    const s = matchGlyphs(frame, tables)!;
    expect(s.lines.slice(0, 2)).toEqual(['abc', `xy${UNKNOWN_CHAR}`]);
    expect(s.stats).toMatchObject({exact: 4, near: 1, unknown: 1});
    expect(s.confidence).toBeCloseTo(5 / 6);
  });

  it('finds an underline cursor on a blank cell (not an underscore)', () => {
    const frame = draw(vga, 320, 64, ['tiny:/# ']);
    for (let y = 14; y < 16; y++) for (let x = 64; x < 72; x++) frame.pixels[y * 320 + x] = 0xaaaaaa;
    const s = matchGlyphs(frame, tables)!;
    expect(s.lines[0]).toBe('tiny:/#');
    expect(s.cursor).toEqual({row: 0, col: 8});
  });

  it('keeps a layout hint that still fits, and finds the grid again when it does not', () => {
    const frame = draw(vga, 640, 480, TEXT, {originX: 5, originY: 2});
    const first = matchGlyphs(frame, tables)!;
    const again = matchGlyphs(frame, tables, {layout: first.layout})!;
    expect(again.lines).toEqual(first.lines);
    const wrong: GlyphLayout = {...first.layout, originX: 0};
    expect(matchGlyphs(frame, tables, {layout: wrong})!.layout).toEqual(first.layout);
  });

  it('finds no text on a blank frame or on noise', () => {
    expect(matchGlyphs({width: 64, height: 32, pixels: new Uint32Array(64 * 32)}, tables)).toBeUndefined();
    let seed = 1;
    const noise = Uint32Array.from({length: 320 * 200}, () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) & 0xffffff);
    const s = matchGlyphs({width: 320, height: 200, pixels: noise}, tables);
    expect(s === undefined || s.confidence < 0.1).toBe(true);
  });

  it('does not let long borders choose the grid: the letters do', () => {
    // A wide box of ─ │ (which read the same at every origin along them) around one short word.
    const bar = '─'.repeat(76);
    const lines = [`┌${bar}┐`, ...Array.from({length: 20}, (_, i) => `│${(i === 10 ? ' Retry?' : '').padEnd(76)}│`), `└${bar}┘`];
    const frame = draw(vga, 640, 400, lines, {originX: 3, originY: 5, fg: 0x000000, screenBg: 0xaaaaaa});
    const s = matchGlyphs(frame, tables)!;
    expect(s.layout).toMatchObject({cellWidth: 8, originX: 3, originY: 5});
    expect(s.lines.slice(0, 22)).toEqual(lines);
  });

  it('finds no grid where only rules and filled areas are (their edges read as ▗ ─ │ anywhere)', () => {
    const frame = {width: 320, height: 200, pixels: new Uint32Array(320 * 200).fill(0x0000aa)};
    for (let y = 150; y < 170; y++) for (let x = 13; x < 300; x++) frame.pixels[y * 320 + x] = x < 21 ? 0 : 0xaaaaaa;
    expect(matchGlyphs(frame, tables)).toBeUndefined();
  });

  it('reads a wide glyph (two cells) as one character, and its cells keep their colours', () => {
    // A made-up 16×16 font: glyphs no pair of 8×16 glyphs could form.
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xffff;
    const wideFont: ConsoleFont = {name: 'wide', width: 16, height: 16, glyphCount: 2, rows: Uint32Array.from({length: 32}, rnd), chars: [['中'], ['文']], hasUnicodeTable: true};
    const t = buildGlyphTables([...fonts, wideFont]);
    expect(t).toHaveLength(1);
    expect(t[0]!.wide?.width).toBe(16);
    const frame = draw(vga, 320, 64, ['ab     cd', 'abcdefgh']);
    const paste = (g: number, x0: number) => {
      for (let r = 0; r < 16; r++) for (let c = 0; c < 16; c++) frame.pixels[r * 320 + x0 + c] = (wideFont.rows[g * 16 + r]! >>> (15 - c)) & 1 ? 0xaaaaaa : 0;
    };
    paste(0, 16);
    paste(1, 32);
    const s = matchGlyphs(frame, t)!;
    expect(s.lines.slice(0, 2)).toEqual(['ab中文 cd', 'abcdefgh']);
    expect(s.stats.unknown).toBe(0);
    expect([s.fg[2], s.bg[2], s.fg[3], s.bg[3]]).toEqual([0xaaaaaa, 0, 0xaaaaaa, 0]);
  });

  it('reads text drawn over a picture with a shadow, and the picture as spaces', () => {
    const w = 320;
    const frame = draw(vga, w, 96, ['', ' Install', '', ' Help'], {fg: 0xffffff, screenBg: 0x010101});
    // Replace the background by a gradient (many colours per cell); black shadows one pixel down-right.
    const ink = Uint8Array.from(frame.pixels, (p) => (p === 0xffffff ? 1 : 0));
    for (let y = 0; y < 96; y++) {
      for (let x = 0; x < w; x++) {
        const i = y * w + x;
        if (ink[i]) continue;
        frame.pixels[i] = x > 0 && y > 0 && ink[i - w - 1] ? 0x000000 : 0x103050 + ((x * 5 + y * 3) & 0x3f) * 0x010101;
      }
    }
    const s = matchGlyphs(frame, tables)!;
    expect(s.lines.slice(0, 5)).toEqual(['', ' Install', '', ' Help', '']);
    expect(s.stats.unknown).toBe(0);
    expect(s.stats.picture).toBeGreaterThan(100);
    expect(s.confidence).toBe(1);
    expect(s.fg[s.cols + 1]).toBe(0xffffff); // the "I"
  });

  it('does not pass anti-aliased text (a font it lacks) off as a blank screen', () => {
    // Known glyphs, but smoothed: each pixel the mean of its 3×3 neighbourhood, white on black.
    const sharp = draw(vga, 320, 96, ['Installation step failed', '', ' <Continue>', 'Retry?'], {fg: 0xffffff, screenBg: 0});
    const pixels = new Uint32Array(sharp.pixels.length);
    for (let y = 0; y < 96; y++) {
      for (let x = 0; x < 320; x++) {
        let sum = 0;
        for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) sum += (sharp.pixels[Math.min(95, Math.max(0, y + dy)) * 320 + Math.min(319, Math.max(0, x + dx))]! & 255);
        pixels[y * 320 + x] = Math.round(sum / 9) * 0x010101;
      }
    }
    // One short word stays sharp: read, but it must not make the screen look read.
    const word = draw(vga, 320, 96, ['', '', '', '', '', 'Debian'], {fg: 0xffffff, screenBg: 0});
    for (let i = 5 * 16 * 320; i < pixels.length; i++) pixels[i] = word.pixels[i]!;
    const s = matchGlyphs({width: 320, height: 96, pixels}, tables)!;
    expect(s.lines[5]).toBe('Debian');
    expect(s.stats.shapes).toBeGreaterThan(30);
    expect(s.confidence).toBeLessThan(0.5);
  });

  it('works with any glyph size (a made-up 10×12 PSF2 font)', () => {
    // Glyph g: a distinct pattern per row, so every glyph differs from every shift of another.
    const header = Buffer.alloc(32);
    [0x864ab572, 0, 32, 0, 4, 24, 12, 10].forEach((v, i) => header.writeUInt32LE(v, i * 4));
    const rows: number[] = [];
    const pattern = (g: number, r: number) => (r === 0 || r === 11 ? 0 : ((g * 37 + r * 101) % 1023) | 0x100);
    for (let g = 0; g < 4; g++) for (let r = 0; r < 12; r++) rows.push((pattern(g, r) << 6) >> 8, (pattern(g, r) << 6) & 0xff);
    const font = parsePsf(Buffer.concat([header, Buffer.from(rows)]), 'made-up', 'cp437');
    // Glyphs 0..3 read as CP437 0..3: ' ' (but inked), ☺ ☻ ♥.
    const t = buildGlyphTables([font]);
    const frame = draw(font, 200, 60, ['☺☻♥☺', '♥'], {originX: 4, originY: 5, fg: 0xffffff});
    const s = matchGlyphs(frame, t)!;
    expect(s.layout).toMatchObject({glyphWidth: 10, cellWidth: 10, originX: 4, originY: 5});
    expect(s.lines.slice(0, 2)).toEqual(['☺☻♥☺', '♥']);
  });
});
