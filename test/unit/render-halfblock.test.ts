import {describe, expect, it} from 'vitest';
import {CellPainter, detectColorMode, halfBlockCells, type ColorMode} from '../../src/render/halfblock.js';
import {otsuThreshold, rgbTo256, xterm256ToRgb} from '../../src/render/palette.js';
import type {PixelSource} from '../../src/vnc/framebuffer.js';

const SYNC_ON = '\x1b[?2026h';
const SYNC_OFF = '\x1b[?2026l';
const frame = (body: string): string => `${SYNC_ON}\x1b7\x1b[0m${body}\x1b[0m\x1b8${SYNC_OFF}`;

function grid(width: number, height: number, pixels: number[] | ((x: number, y: number) => number)): PixelSource {
  const p = new Uint32Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) p[y * width + x] = typeof pixels === 'function' ? pixels(x, y) : pixels[y * width + x]!;
  }
  return {width, height, pixels: p};
}

// 3 cells in one row: white over black, black over grey, green over green.
const small = grid(3, 2, [0xffffff, 0x000000, 0x00ff00, 0x000000, 0xaaaaaa, 0x00ff00]);

describe('CellPainter colour modes', () => {
  it.each<{mode: ColorMode; body: string}>([
    {
      mode: 'truecolor',
      // ▄ for the second cell keeps the background black: one SGR parameter instead of two.
      body: '\x1b[5;10H\x1b[38;2;255;255;255;48;2;0;0;0m\u2580\x1b[38;2;170;170;170m\u2584\x1b[48;2;0;255;0m ',
    },
    {mode: '256', body: '\x1b[5;10H\x1b[38;5;231;48;5;16m\u2580\x1b[38;5;248m\u2584\x1b[48;5;46m '},
    // Mono: no colours at all; the glyph shows which half is bright.
    {mode: 'mono', body: '\x1b[5;10H\u2580\u2584\u2588'},
  ])('$mode paints the exact escapes', ({mode, body}) => {
    const p = new CellPainter({cols: 3, rows: 1, mode, originRow: 5, originCol: 10, monoThreshold: 128});
    expect(p.paint(small).toString()).toBe(frame(body));
  });

  it('can leave synchronized output to the caller', () => {
    const p = new CellPainter({cols: 3, rows: 1, mode: 'mono', synchronized: false, monoThreshold: 128});
    expect(p.paint(small).toString()).toBe('\x1b7\x1b[0m\x1b[1;1H\u2580\u2584\u2588\x1b[0m\x1b8');
  });
});

describe('CellPainter diffing', () => {
  const noise = (seed: number) => (x: number, y: number) => ((x * 2654435761 + y * 40503 + seed * 97) >>> 8) & 0xffffff;
  const cellGlyphs = /[\u2580\u2584\u2588 ]/g;

  it('paints every cell first, then nothing for an identical frame', () => {
    const p = new CellPainter({cols: 10, rows: 4, mode: 'truecolor'});
    const g = grid(10, 8, noise(1));
    const first = p.paint(g).toString();
    expect(first.startsWith(SYNC_ON + '\x1b7')).toBe(true);
    expect(first.endsWith('\x1b8' + SYNC_OFF)).toBe(true);
    expect(first.match(cellGlyphs)?.length).toBe(40);
    expect(first.match(/\x1b\[\d+;\d+H/g)?.length).toBe(4); // one CUP per row, runs are not repositioned
    expect(p.paint(grid(10, 8, noise(1))).toString()).toBe('');
  });

  it.each([
    {x: 0, y: 0, at: '\x1b[3;7H'},
    {x: 4, y: 5, at: '\x1b[5;11H'},
    {x: 9, y: 7, at: '\x1b[6;16H'},
  ])('one changed pixel at ($x,$y) repaints exactly one cell at $at', ({x, y, at}) => {
    const p = new CellPainter({cols: 10, rows: 4, mode: 'truecolor', originRow: 3, originCol: 7});
    const g = grid(10, 8, noise(2));
    p.paint(g);
    g.pixels[y * 10 + x] = 0x123456;
    const out = p.paint(g).toString();
    const body = out.slice((SYNC_ON + '\x1b7\x1b[0m').length, -('\x1b[0m\x1b8' + SYNC_OFF).length);
    expect(body.startsWith(at)).toBe(true);
    expect(body.slice(at.length)).toMatch(/^(\x1b\[[\d;]+m)?[\u2580\u2584]$/);
    expect(body).toContain('18;52;86'); // 0x123456
  });

  it('skips unchanged cells in a row with CUF instead of repositioning', () => {
    const p = new CellPainter({cols: 10, rows: 1, mode: 'mono', monoThreshold: 128});
    const g = grid(10, 2, () => 0);
    p.paint(g);
    g.pixels[1] = 0xffffff;
    g.pixels[2] = 0xffffff;
    g.pixels[6] = 0xffffff;
    expect(p.paint(g).toString()).toBe(frame('\x1b[1;2H\u2580\u2580\x1b[3C\u2580'));
  });

  it('repaints everything after invalidate(), resize() and moveTo()', () => {
    const p = new CellPainter({cols: 4, rows: 2, mode: '256'});
    const g = grid(4, 4, noise(3));
    p.paint(g);
    p.invalidate();
    expect(p.paint(g).toString().match(cellGlyphs)?.length).toBe(8);
    p.moveTo(10, 20);
    const moved = p.paint(g).toString();
    expect(moved).toContain('\x1b[10;20H');
    expect(moved.match(cellGlyphs)?.length).toBe(8);
    p.resize(2, 1);
    expect(() => p.paint(g).toString()).toThrow(RangeError);
    expect(p.paint(grid(2, 2, noise(3))).toString().match(cellGlyphs)?.length).toBe(2);
  });

  it('clear() blanks each row of the pane with ECH', () => {
    const p = new CellPainter({cols: 5, rows: 2, mode: 'mono', originRow: 2, originCol: 3});
    expect(p.clear().toString()).toBe(frame('\x1b[2;3H\x1b[5X\x1b[3;3H\x1b[5X'));
  });
});

describe('halfBlockCells', () => {
  it('puts the upper pixel in the foreground of ▀ and the lower in the background', () => {
    expect(halfBlockCells(small, 'truecolor')[0]![0]).toEqual({ch: '\u2580', fg: 0xffffff, bg: 0});
    expect(halfBlockCells(small, '256')[0]![1]).toEqual({ch: '\u2580', fg: 16, bg: 248});
    expect(halfBlockCells(small, 'mono', 128)[0]!.map((c) => c.ch).join('')).toBe('\u2580\u2584\u2588');
  });
});

describe('palette', () => {
  it.each([
    [0x000000, 16], [0xffffff, 231], [0xff0000, 196], [0x00ff00, 46], [0x0000ff, 21],
    [0x5f87af, 67], [0x808080, 244], [0xaaaaaa, 248], [0x0000aa, 19], [0x080808, 232],
    [0xeeeeee, 255], [0x767676, 243], [0xaa5500, 130],
  ])('maps %s to xterm colour %i', (rgb, index) => {
    expect(rgbTo256(rgb)).toBe(index);
  });

  it('maps every cube and grey colour back onto itself', () => {
    for (let i = 16; i < 256; i++) expect(rgbTo256(xterm256ToRgb(i))).toBe(i);
  });

  it('chooses a low mono threshold for dim console text on black, 128 for a blank screen', () => {
    const text = new Uint32Array(1000).fill(0);
    text.fill(0x303030, 0, 150); // averaged-down glyphs: ~19 % bright
    expect(otsuThreshold(text)).toBeLessThanOrEqual(0x30);
    expect(otsuThreshold(text)).toBeGreaterThan(0);
    expect(otsuThreshold(new Uint32Array(100).fill(0x0000aa))).toBe(128);
  });
});

describe('detectColorMode', () => {
  it.each<[Record<string, string>, boolean, ColorMode]>([
    [{COLORTERM: 'truecolor', TERM: 'xterm-256color'}, true, 'truecolor'],
    [{COLORTERM: '24bit'}, true, 'truecolor'],
    [{TERM: 'xterm-256color'}, true, '256'],
    [{TERM: 'tmux-256color'}, true, '256'],
    [{TERM: 'xterm-kitty'}, true, 'truecolor'],
    [{TERM: 'xterm'}, true, '256'],
    [{TERM: 'dumb'}, true, 'mono'],
    [{NO_COLOR: '1', COLORTERM: 'truecolor'}, true, 'mono'],
    [{NO_COLOR: '', TERM: 'xterm-256color'}, true, '256'],
    [{TERM: 'xterm-256color'}, false, 'mono'],
    [{FORCE_COLOR: '3'}, false, 'truecolor'],
    [{FORCE_COLOR: '0', COLORTERM: 'truecolor'}, true, 'mono'],
  ])('%j (tty %s) → %s', (env, tty, mode) => {
    expect(detectColorMode(env, tty)).toBe(mode);
  });
});
