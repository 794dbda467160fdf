/**
 * The VM's current screen: 0x00RRGGBB pixels, updated from VNC rects, with damage tracking so
 * renderers repaint only what changed. Pure (no sockets), so renderers and text recognition can
 * be tested on frames decoded from PNG files.
 */
import type {PixelFormat, VncRect} from './vnc-client.js';

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** What renderers and text recognition read: the smallest view of a screen. */
export interface PixelSource {
  readonly width: number;
  readonly height: number;
  /** Row-major, 0x00RRGGBB. */
  readonly pixels: Uint32Array;
}

export class Framebuffer implements PixelSource {
  width: number;
  height: number;
  pixels: Uint32Array;
  /** Increments on every change: a cheap "anything new?" check for painters. */
  version = 0;
  private damage: Rect[] = [];
  private listeners = new Set<(damage: Rect) => void>();

  constructor(width: number, height: number) {
    this.width = width;
    this.height = height;
    this.pixels = new Uint32Array(width * height);
  }

  /** From RGBA bytes (e.g. a PNG decoded by pngjs). */
  static fromRgba(width: number, height: number, rgba: Uint8Array): Framebuffer {
    const fb = new Framebuffer(width, height);
    for (let i = 0, p = 0; i < fb.pixels.length; i++, p += 4) fb.pixels[i] = (rgba[p]! << 16) | (rgba[p + 1]! << 8) | rgba[p + 2]!;
    return fb;
  }

  /** RGBA bytes, e.g. for a PNG. */
  toRgba(): Uint8Array {
    const out = new Uint8Array(this.pixels.length * 4);
    for (let i = 0, p = 0; i < this.pixels.length; i++, p += 4) {
      const v = this.pixels[i]!;
      out[p] = (v >> 16) & 255;
      out[p + 1] = (v >> 8) & 255;
      out[p + 2] = v & 255;
      out[p + 3] = 255;
    }
    return out;
  }

  resize(width: number, height: number): void {
    if (width === this.width && height === this.height) return;
    this.width = width;
    this.height = height;
    this.pixels = new Uint32Array(width * height);
    this.damage = [];
    this.mark({x: 0, y: 0, width, height});
  }

  /** Apply one VNC rect. Raw pixels are converted from the server's pixel format. */
  applyRect(rect: VncRect, pf: PixelFormat): void {
    if (rect.kind === 'resize') return this.resize(rect.width, rect.height);
    const {x, y, width, height} = rect;
    if (width <= 0 || height <= 0 || x + width > this.width || y + height > this.height) return;
    if (rect.kind === 'copy') {
      // A source outside the screen (a stale CopyRect racing a resize) would copy wrapped rows.
      if (rect.srcX < 0 || rect.srcY < 0 || rect.srcX + width > this.width || rect.srcY + height > this.height) return;
      // Overlapping copies (scrolling) must read the source as it was: copy rows in a safe order.
      const rows = Array.from({length: height}, (_, i) => i);
      if (rect.srcY < y) rows.reverse();
      for (const r of rows) {
        const from = (rect.srcY + r) * this.width + rect.srcX;
        this.pixels.copyWithin((y + r) * this.width + x, from, from + width);
      }
    } else {
      const bpp = pf.bitsPerPixel / 8;
      const d = rect.data;
      const fast = bpp === 4 && !pf.bigEndian && pf.redShift === 16 && pf.greenShift === 8 && pf.blueShift === 0 && pf.redMax === 255;
      for (let r = 0; r < height; r++) {
        let o = r * width * bpp;
        let p = (y + r) * this.width + x;
        for (let c = 0; c < width; c++, o += bpp, p++) {
          if (fast) {
            // QEMU's usual format: bytes B, G, R, X.
            this.pixels[p] = (d[o + 2]! << 16) | (d[o + 1]! << 8) | d[o]!;
          } else {
            const v = bpp === 4 ? (pf.bigEndian ? d.readUInt32BE(o) : d.readUInt32LE(o)) : bpp === 2 ? (pf.bigEndian ? d.readUInt16BE(o) : d.readUInt16LE(o)) : d[o]!;
            const ch = (shift: number, max: number): number => Math.round((((v >> shift) & max) * 255) / max);
            this.pixels[p] = (ch(pf.redShift, pf.redMax) << 16) | (ch(pf.greenShift, pf.greenMax) << 8) | ch(pf.blueShift, pf.blueMax);
          }
        }
      }
    }
    this.mark({x, y, width, height});
  }

  /** Regions changed since the last call (merged into one bounding box when they are many). */
  takeDamage(): Rect[] {
    const d = this.damage;
    this.damage = [];
    return d.length <= 16 ? d : [boundingBox(d)];
  }

  onChange(cb: (damage: Rect) => void): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }

  private mark(r: Rect): void {
    this.version++;
    this.damage.push(r);
    // Nobody may be taking damage (a frame source feeding only screenshots): stay bounded.
    if (this.damage.length > 64) this.damage = [boundingBox(this.damage)];
    for (const cb of this.listeners) cb(r);
  }
}

/**
 * Which pixels of a width×height screen a sequence of rects has painted: a frame source uses it
 * to know when the first complete frame after a (re)connect or resize has arrived, whatever
 * way the server split it into rects. A byte per pixel, so keep it only until complete.
 */
export class Coverage {
  private readonly seen: Uint8Array;
  private left: number;

  constructor(
    private readonly width: number,
    private readonly height: number,
  ) {
    this.seen = new Uint8Array(width * height);
    this.left = width * height;
  }

  /** Mark a rect as painted; rects outside the screen are ignored, as Framebuffer.applyRect does. */
  add(x: number, y: number, w: number, h: number): void {
    if (x < 0 || y < 0 || w <= 0 || h <= 0 || x + w > this.width || y + h > this.height) return;
    for (let r = y; r < y + h; r++) {
      const row = r * this.width;
      for (let i = row + x; i < row + x + w; i++) if (!this.seen[i]) (this.seen[i] = 1), this.left--;
    }
  }

  /** Every pixel has been painted at least once. */
  get complete(): boolean {
    return this.left === 0;
  }
}

function boundingBox(d: Rect[]): Rect {
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (const r of d) {
    x0 = Math.min(x0, r.x);
    y0 = Math.min(y0, r.y);
    x1 = Math.max(x1, r.x + r.width);
    y1 = Math.max(y1, r.y + r.height);
  }
  return {x: x0, y: y0, width: x1 - x0, height: y1 - y0};
}
