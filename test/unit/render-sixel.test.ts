import {describe, expect, it} from 'vitest';
import {rgbTo256, xterm256ToRgb} from '../../src/render/palette.js';
import {SixelPane, encodeSixel} from '../../src/render/sixel.js';
import type {PixelSource} from '../../src/vnc/framebuffer.js';

function image(width: number, height: number, at: (x: number, y: number) => number): PixelSource {
  const pixels = new Uint32Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) pixels[y * width + x] = at(x, y);
  return {width, height, pixels};
}

/** A small sixel decoder, independent of the encoder: registers and the pixels each one painted. */
function decodeSixel(s: string): {width: number; height: number; palette: Map<number, [number, number, number]>; pixels: Map<string, number>} {
  const m = /^\x1bP([\d;]*)q(.*)\x1b\\$/s.exec(s);
  if (!m) throw new Error('not a sixel DCS');
  const body = m[2]!;
  const palette = new Map<number, [number, number, number]>();
  const pixels = new Map<string, number>();
  let width = 0;
  let height = 0;
  let x = 0;
  let band = 0;
  let colour = 0;
  let i = 0;
  const num = (): number => {
    const d = /^\d+/.exec(body.slice(i))![0];
    i += d.length;
    return Number(d);
  };
  const paint = (ch: string, count: number): void => {
    const bits = ch.charCodeAt(0) - 63;
    if (bits < 0 || bits > 63) throw new Error(`bad sixel character ${JSON.stringify(ch)} at ${i}`);
    for (let k = 0; k < count; k++, x++) {
      for (let b = 0; b < 6; b++) {
        if (!(bits & (1 << b))) continue;
        const key = `${x},${band * 6 + b}`;
        if (pixels.has(key)) throw new Error(`pixel ${key} painted twice`);
        pixels.set(key, colour);
      }
    }
  };
  while (i < body.length) {
    const c = body[i]!;
    if (c === '"') {
      i++;
      num(); i++; num(); i++;
      width = num(); i++;
      height = num();
    } else if (c === '#') {
      i++;
      colour = num();
      if (body[i] === ';') {
        i++;
        expect(num()).toBe(2); // RGB colour space
        i++; const r = num(); i++; const g = num(); i++; const b = num();
        palette.set(colour, [r, g, b]);
      }
    } else if (c === '!') {
      i++;
      const n = num();
      paint(body[i++]!, n);
    } else if (c === '$') {
      i++;
      x = 0;
    } else if (c === '-') {
      i++;
      x = 0;
      band++;
    } else {
      paint(c, 1);
      i++;
    }
  }
  return {width, height, palette, pixels};
}

const pct = (rgb: number): [number, number, number] => [rgb >>> 16, (rgb >>> 8) & 255, rgb & 255].map((v) => Math.round((v * 100) / 255)) as [number, number, number];

describe('encodeSixel', () => {
  it.each([
    {
      name: '3x2, three colours in one band',
      img: image(3, 2, (x, y) => [[0xff0000, 0xff0000, 0x0000ff], [0xff0000, 0x000000, 0x0000ff]][y]![x]!),
      want: '\x1bP0;1;0q"1;1;3;2#0;2;100;0;0#1;2;0;0;100#2;2;0;0;0#0B@$#1??B$#2?A\x1b\\',
    },
    {
      name: '10x7, two bands with run-length encoding',
      img: image(10, 7, (x, y) => (x === 9 && y === 6 ? 0 : 0xffffff)),
      want: '\x1bP0;1;0q"1;1;10;7#0;2;100;100;100#1;2;0;0;0#0!10~-#0!9@$#1!9?@\x1b\\',
    },
  ])('$name matches the hand-checked string', ({img, want}) => {
    expect(encodeSixel(img)).toBe(want);
  });

  it.each([
    {name: 'few colours', img: image(23, 17, (x, y) => [0x0000aa, 0xaaaaaa, 0xffff55, 0][(x * 3 + y * 5) % 4]!)},
    {name: 'noise (many colours)', img: image(64, 40, (x, y) => ((x * 2654435761) ^ (y * 40503)) & 0xffffff)},
  ])('decodes back to every pixel in its quantised colour: $name', ({img}) => {
    const d = decodeSixel(encodeSixel(img));
    expect([d.width, d.height]).toEqual([img.width, img.height]);
    expect(d.palette.size).toBeLessThanOrEqual(256);
    expect(d.pixels.size).toBe(img.width * img.height);
    for (let y = 0; y < img.height; y++) {
      for (let x = 0; x < img.width; x++) {
        const reg = d.pixels.get(`${x},${y}`)!;
        expect(d.palette.get(reg)).toEqual(pct(xterm256ToRgb(rgbTo256(img.pixels[y * img.width + x]!))));
      }
    }
  });

  it('encodes a sub-rectangle', () => {
    const img = image(20, 20, (x, y) => (x >= 5 && y >= 6 ? 0xffffff : 0));
    expect(encodeSixel(img, {x: 5, y: 6, width: 3, height: 1})).toBe('\x1bP0;1;0q"1;1;3;1#0;2;100;100;100#0@@@\x1b\\');
  });
});

describe('SixelPane', () => {
  it('draws the whole pane first, then only the cell rows that changed', () => {
    const screen = image(720, 400, (x, y) => ((x >> 4) + (y >> 4)) % 2 ? 0xaaaaaa : 0x0000aa);
    const pane = new SixelPane({cols: 10, rows: 5, originRow: 2, originCol: 3, cellWidth: 8, cellHeight: 12});
    const first = pane.render(screen).toString();
    expect(first.startsWith('\x1b[?2026h\x1b7\x1b[2;3H\x1bP')).toBe(true);
    expect(first.match(/\x1bP/g)).toHaveLength(1);
    expect(first).toContain('"1;1;80;60');
    expect(pane.render(screen).toString()).toBe('');
    // A change in the middle of the screen: cell row 2 of 5 (pixel rows 24–35 of 60).
    for (let y = 190; y < 210; y++) screen.pixels.fill(0xff0000, y * 720 + 300, y * 720 + 420);
    const second = pane.render(screen, [{x: 300, y: 190, width: 120, height: 20}]).toString();
    expect(second.match(/\x1bP/g)).toHaveLength(1);
    expect(second).toContain('\x1b[4;3H\x1bP0;1;0q"1;1;80;12');
    expect(decodeSixel(second.slice(second.indexOf('\x1bP'), second.indexOf('\x1b\\') + 2)).pixels.size).toBe(80 * 12);
  });
});
