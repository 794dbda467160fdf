import {describe, expect, it} from 'vitest';
import {Coverage, Framebuffer, type Rect} from '../../src/vnc/framebuffer.js';
import type {PixelFormat} from '../../src/vnc/vnc-client.js';

/** QEMU's usual format: 32 bpp little-endian, R16 G8 B0 → bytes B, G, R, X. */
const QEMU: PixelFormat = {bitsPerPixel: 32, depth: 24, bigEndian: false, trueColor: true, redMax: 255, greenMax: 255, blueMax: 255, redShift: 16, greenShift: 8, blueShift: 0};
/** RGB565, little- and big-endian. */
const RGB565: PixelFormat = {bitsPerPixel: 16, depth: 16, bigEndian: false, trueColor: true, redMax: 31, greenMax: 63, blueMax: 31, redShift: 11, greenShift: 5, blueShift: 0};
/** 32 bpp big-endian with another channel order (X, B, G, R in memory): takes the general path. */
const BGR_BE: PixelFormat = {...QEMU, bigEndian: true, redShift: 0, greenShift: 8, blueShift: 16};

function fill(fb: Framebuffer, f: (x: number, y: number) => number): void {
  for (let y = 0; y < fb.height; y++) for (let x = 0; x < fb.width; x++) fb.pixels[y * fb.width + x] = f(x, y);
}
const at = (fb: Framebuffer, x: number, y: number): number => fb.pixels[y * fb.width + x]!;
/** A distinct value per pixel, so any misplaced copy shows. */
const id = (x: number, y: number): number => (y << 8) | x;

describe('Framebuffer.applyRect: raw pixels', () => {
  it('converts QEMU BGRX bytes to 0x00RRGGBB at the right place', () => {
    const fb = new Framebuffer(8, 4);
    const data = Buffer.from([0x01, 0x02, 0x03, 0xee, 0x10, 0x20, 0x30, 0xff, 0xaa, 0xbb, 0xcc, 0, 0, 0, 0xff, 0]);
    fb.applyRect({kind: 'raw', x: 3, y: 1, width: 2, height: 2, data}, QEMU);
    expect([at(fb, 3, 1), at(fb, 4, 1), at(fb, 3, 2), at(fb, 4, 2)]).toEqual([0x030201, 0x302010, 0xccbbaa, 0xff0000]);
    expect(at(fb, 2, 1)).toBe(0);
    expect(at(fb, 5, 2)).toBe(0);
  });

  it('scales 16-bit RGB565 channels to 8 bits, in both byte orders', () => {
    // white, pure red, pure green, pure blue, and a mid grey-ish value
    const values = [0xffff, 0xf800, 0x07e0, 0x001f, (16 << 11) | (32 << 5) | 16];
    const want = [0xffffff, 0xff0000, 0x00ff00, 0x0000ff, (Math.round((16 * 255) / 31) << 16) | (Math.round((32 * 255) / 63) << 8) | Math.round((16 * 255) / 31)];
    for (const bigEndian of [false, true]) {
      const data = Buffer.alloc(values.length * 2);
      values.forEach((v, i) => (bigEndian ? data.writeUInt16BE(v, i * 2) : data.writeUInt16LE(v, i * 2)));
      const fb = new Framebuffer(5, 1);
      fb.applyRect({kind: 'raw', x: 0, y: 0, width: 5, height: 1, data}, {...RGB565, bigEndian});
      expect(Array.from(fb.pixels)).toEqual(want);
    }
  });

  it('handles a 32-bit big-endian format with other shifts', () => {
    const fb = new Framebuffer(1, 1);
    const data = Buffer.alloc(4);
    data.writeUInt32BE((0x11 << 16) | (0x22 << 8) | 0x33); // blue 0x11, green 0x22, red 0x33
    fb.applyRect({kind: 'raw', x: 0, y: 0, width: 1, height: 1, data}, BGR_BE);
    expect(at(fb, 0, 0)).toBe(0x332211);
  });

  it('ignores rects that do not fit the screen (a stale update racing a resize)', () => {
    const fb = new Framebuffer(4, 4);
    const v = fb.version;
    fb.applyRect({kind: 'raw', x: 2, y: 2, width: 3, height: 1, data: Buffer.alloc(12, 0xff)}, QEMU);
    fb.applyRect({kind: 'copy', x: 0, y: 0, width: 2, height: 2, srcX: 3, srcY: 0}, QEMU);
    expect(fb.version).toBe(v);
    expect(fb.pixels.every((p) => p === 0)).toBe(true);
  });
});

describe('Framebuffer.applyRect: CopyRect', () => {
  // Each case copies a block onto an overlapping destination; the result must equal a copy
  // made from a snapshot of the source (RFB: "copied from the framebuffer as it was").
  const cases: [string, {x: number; y: number; srcX: number; srcY: number}][] = [
    ['down (scroll content down)', {x: 1, y: 3, srcX: 1, srcY: 1}],
    ['up (scroll content up)', {x: 1, y: 1, srcX: 1, srcY: 3}],
    ['right, same rows', {x: 3, y: 2, srcX: 1, srcY: 2}],
    ['left, same rows', {x: 1, y: 2, srcX: 3, srcY: 2}],
    ['diagonal down-right', {x: 2, y: 2, srcX: 1, srcY: 1}],
    ['diagonal up-left', {x: 1, y: 1, srcX: 2, srcY: 2}],
  ];
  it.each(cases)('copies with overlap: %s', (_name, c) => {
    const fb = new Framebuffer(10, 10);
    fill(fb, id);
    const before = Framebuffer.fromRgba(10, 10, fb.toRgba()); // snapshot
    fill(before, id);
    const [w, h] = [5, 4];
    fb.applyRect({kind: 'copy', width: w, height: h, ...c}, QEMU);
    for (let y = 0; y < 10; y++)
      for (let x = 0; x < 10; x++) {
        const inside = x >= c.x && x < c.x + w && y >= c.y && y < c.y + h;
        const want = inside ? at(before, c.srcX + x - c.x, c.srcY + y - c.y) : at(before, x, y);
        expect(at(fb, x, y), `(${x},${y})`).toBe(want);
      }
  });
});

describe('Framebuffer damage and resize', () => {
  const raw = (x: number, y: number, width: number, height: number) => ({kind: 'raw' as const, x, y, width, height, data: Buffer.alloc(width * height * 4)});

  it('reports each changed region, then nothing until the next change', () => {
    const fb = new Framebuffer(100, 100);
    const seen: Rect[] = [];
    const off = fb.onChange((r) => seen.push(r));
    fb.applyRect(raw(1, 2, 3, 4), QEMU);
    fb.applyRect({kind: 'copy', x: 50, y: 50, width: 10, height: 10, srcX: 0, srcY: 0}, QEMU);
    expect(fb.takeDamage()).toEqual([{x: 1, y: 2, width: 3, height: 4}, {x: 50, y: 50, width: 10, height: 10}]);
    expect(fb.takeDamage()).toEqual([]);
    expect(seen).toHaveLength(2);
    off();
    fb.applyRect(raw(0, 0, 1, 1), QEMU);
    expect(seen).toHaveLength(2);
  });

  it('merges many regions into their bounding box', () => {
    const fb = new Framebuffer(100, 100);
    for (let i = 0; i < 17; i++) fb.applyRect(raw(10 + i, 20 + 2 * i, 2, 1), QEMU);
    expect(fb.takeDamage()).toEqual([{x: 10, y: 20, width: 18, height: 33}]);
    for (let i = 0; i < 16; i++) fb.applyRect(raw(i, i, 1, 1), QEMU);
    expect(fb.takeDamage()).toHaveLength(16); // up to 16 stay separate
  });

  it('keeps pending damage bounded when nobody takes it (a source running without a painter)', () => {
    const fb = new Framebuffer(1000, 10);
    for (let i = 0; i < 100_000; i++) fb.applyRect(raw(i % 999, i % 9, 1, 1), QEMU);
    expect((fb as unknown as {damage: Rect[]}).damage.length).toBeLessThanOrEqual(64);
    expect(fb.takeDamage()).toEqual([{x: 0, y: 0, width: 999, height: 9}]);
  });

  it('resize clears the screen, drops old damage and damages everything', () => {
    const fb = new Framebuffer(720, 400);
    fill(fb, () => 0xffffff);
    fb.applyRect(raw(0, 0, 2, 2), QEMU);
    const v = fb.version;
    fb.resize(1024, 768);
    expect([fb.width, fb.height, fb.pixels.length]).toEqual([1024, 768, 1024 * 768]);
    expect(fb.pixels.every((p) => p === 0)).toBe(true);
    expect(fb.version).toBeGreaterThan(v);
    expect(fb.takeDamage()).toEqual([{x: 0, y: 0, width: 1024, height: 768}]);
    const v2 = fb.version;
    fb.resize(1024, 768); // same size: nothing happens
    fb.applyRect({kind: 'resize', width: 1024, height: 768}, QEMU);
    expect(fb.version).toBe(v2);
    fb.applyRect({kind: 'resize', width: 640, height: 480}, QEMU);
    expect([fb.width, fb.height]).toEqual([640, 480]);
  });

  it('round-trips through RGBA bytes', () => {
    const fb = new Framebuffer(7, 3);
    fill(fb, (x, y) => (x * 37 + y * 91) * 0x010203 & 0xffffff);
    const rgba = fb.toRgba();
    expect(rgba[3]).toBe(255);
    expect(Array.from(Framebuffer.fromRgba(7, 3, rgba).pixels)).toEqual(Array.from(fb.pixels));
  });
});

describe('Coverage', () => {
  it('is complete once every pixel was painted, however the rects overlap, ignoring rects outside', () => {
    const c = new Coverage(10, 4);
    c.add(0, 0, 6, 4);
    c.add(4, 0, 6, 2); // overlaps the first
    c.add(8, 3, 5, 5); // outside: must not count
    expect(c.complete).toBe(false);
    c.add(6, 2, 4, 1);
    expect(c.complete).toBe(false);
    c.add(6, 3, 4, 1);
    expect(c.complete).toBe(true);
  });
});
