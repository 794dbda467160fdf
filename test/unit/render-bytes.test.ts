import {PNG} from 'pngjs';
import {describe, expect, it} from 'vitest';
import {ByteWriter} from '../../src/render/bytes.js';
import {encodePng} from '../../src/render/png.js';

describe('ByteWriter', () => {
  it('writes decimal numbers of any size', () => {
    const w = new ByteWriter(4);
    const values = [0, 7, 9, 10, 42, 99, 100, 255, 999, 1000, 65535];
    for (const v of values) {
      w.ensure(11);
      w.num(v);
      w.byte(0x2c);
    }
    expect(w.take().toString()).toBe(values.map((v) => `${v},`).join(''));
  });

  it('grows past its capacity and keeps what was written', () => {
    const w = new ByteWriter(2);
    w.ascii('\x1b[?2026h');
    w.bytes(new Uint8Array([0xe2, 0x96, 0x80]));
    w.ascii('x'.repeat(1000));
    expect(w.take().toString()).toBe('\x1b[?2026h\u2580' + 'x'.repeat(1000));
    w.reset();
    expect(w.take().length).toBe(0);
  });
});

describe('encodePng', () => {
  it('makes a PNG that pngjs reads back pixel for pixel, also for a sub-rectangle', () => {
    const src = {width: 5, height: 4, pixels: Uint32Array.from({length: 20}, (_, i) => i * 0x0a0b0c)};
    for (const area of [undefined, {x: 1, y: 2, width: 3, height: 2}]) {
      const a = area ?? {x: 0, y: 0, width: 5, height: 4};
      const png = PNG.sync.read(encodePng(src, area));
      expect([png.width, png.height]).toEqual([a.width, a.height]);
      for (let y = 0; y < a.height; y++) {
        for (let x = 0; x < a.width; x++) {
          const o = (y * a.width + x) * 4;
          expect((png.data[o]! << 16) | (png.data[o + 1]! << 8) | png.data[o + 2]!).toBe(src.pixels[(a.y + y) * 5 + a.x + x]);
        }
      }
    }
  });
});
