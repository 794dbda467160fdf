import {describe, expect, it} from 'vitest';
import {Framebuffer} from '../../src/vnc/framebuffer.js';
import type {PixelFormat} from '../../src/vnc/vnc-client.js';

const QEMU: PixelFormat = {bitsPerPixel: 32, depth: 24, bigEndian: false, trueColor: true, redMax: 255, greenMax: 255, blueMax: 255, redShift: 16, greenShift: 8, blueShift: 0};
const RGB565: PixelFormat = {bitsPerPixel: 16, depth: 16, bigEndian: false, trueColor: true, redMax: 31, greenMax: 63, blueMax: 31, redShift: 11, greenShift: 5, blueShift: 0};

/** A framebuffer whose pixel value is its index, for checking copies. */
function numbered(w: number, h: number): Framebuffer {
  const fb = new Framebuffer(w, h);
  fb.pixels.forEach((_, i) => (fb.pixels[i] = i));
  return fb;
}

describe('Framebuffer', () => {
  it('applies raw rects in QEMU byte order (B, G, R, X)', () => {
    const fb = new Framebuffer(4, 2);
    fb.applyRect({kind: 'raw', x: 1, y: 1, width: 2, height: 1, data: Buffer.from([0x33, 0x22, 0x11, 0, 0xcc, 0xbb, 0xaa, 0])}, QEMU);
    expect([...fb.pixels]).toEqual([0, 0, 0, 0, 0, 0x112233, 0xaabbcc, 0]);
    expect(fb.takeDamage()).toEqual([{x: 1, y: 1, width: 2, height: 1}]);
    expect(fb.takeDamage()).toEqual([]);
  });

  it('scales other pixel formats to 8 bits per channel', () => {
    const fb = new Framebuffer(2, 1);
    const data = Buffer.alloc(4);
    data.writeUInt16LE((31 << 11) | (0 << 5) | 31, 0); // magenta
    data.writeUInt16LE((0 << 11) | (63 << 5) | 0, 2); // green
    fb.applyRect({kind: 'raw', x: 0, y: 0, width: 2, height: 1, data}, RGB565);
    expect([...fb.pixels]).toEqual([0xff00ff, 0x00ff00]);
  });

  it.each([
    ['downwards (scrolling back)', {x: 0, y: 1, srcX: 0, srcY: 0}, [0, 1, 2, 0, 1, 2, 3, 4, 5]],
    ['upwards (scrolling forward)', {x: 0, y: 0, srcX: 0, srcY: 1}, [3, 4, 5, 6, 7, 8, 6, 7, 8]],
  ])('copies overlapping regions %s as they were before', (_name, pos, expected) => {
    const fb = numbered(3, 3);
    fb.applyRect({kind: 'copy', width: 3, height: 2, ...pos}, QEMU);
    expect([...fb.pixels]).toEqual(expected);
  });

  it('ignores rects outside the screen instead of corrupting memory', () => {
    const fb = numbered(2, 2);
    const before = fb.version;
    fb.applyRect({kind: 'raw', x: 1, y: 1, width: 2, height: 2, data: Buffer.alloc(16, 0xff)}, QEMU);
    expect([...fb.pixels]).toEqual([0, 1, 2, 3]);
    expect(fb.version).toBe(before);
  });

  it('resizes on DesktopSize, marking everything damaged', () => {
    const fb = numbered(2, 2);
    fb.takeDamage();
    fb.applyRect({kind: 'resize', width: 3, height: 1}, QEMU);
    expect([fb.width, fb.height, fb.pixels.length]).toEqual([3, 1, 3]);
    expect(fb.takeDamage()).toEqual([{x: 0, y: 0, width: 3, height: 1}]);
  });

  it('merges many damaged regions into one bounding box', () => {
    const fb = new Framebuffer(100, 100);
    for (let i = 0; i < 20; i++) fb.applyRect({kind: 'raw', x: i * 2, y: i, width: 1, height: 1, data: Buffer.alloc(4)}, QEMU);
    expect(fb.takeDamage()).toEqual([{x: 0, y: 0, width: 39, height: 20}]);
  });

  it('round-trips RGBA', () => {
    const rgba = Uint8Array.from([1, 2, 3, 255, 4, 5, 6, 255]);
    expect([...Framebuffer.fromRgba(2, 1, rgba).toRgba()]).toEqual([...rgba]);
  });
});
