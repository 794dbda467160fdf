/**
 * The kitty graphics protocol (kitty, Ghostty, WezTerm, Konsole in part): the screen at full
 * resolution as an image the terminal scales into the pane's cells.
 *
 * Protocol points that shape this file:
 *  - payloads are base64 in APC chunks of ≤ 4096 bytes; only the first chunk carries the keys,
 *    the others only `m=1` (more follows) / `m=0` (last) — plus `q=2` on every chunk, because a
 *    reply (`ESC _G i=…;OK ESC \`) would reach ink's stdin as keypresses;
 *  - re-transmitting under an id that is on screen deletes that image first, so the pane blinks
 *    until the new one is decoded (kitty and Ghostty both): frames alternate between two ids and
 *    the old one is deleted only after the new one is placed, inside one synchronized update;
 *  - `C=1` keeps the cursor where it was (ink owns it).
 */
import {deflateSync} from 'node:zlib';
import type {PixelSource, Rect} from '../vnc/framebuffer.js';
import {SYNC_BEGIN, SYNC_END} from './halfblock.js';
import {PixelPane, sameView, type PixelPaneOptions, type ScreenPainter} from './pane.js';
import {encodePng} from './png.js';

/** How pixels travel: PNG (f=100, what every implementation takes), raw RGBA (f=32) or RGB (f=24), both zlib-compressed. */
export type KittyFormat = 'png' | 'rgba' | 'rgb';

/** Largest base64 payload per chunk the protocol allows. */
export const KITTY_CHUNK = 4096;

/**
 * One transmission as APC escape sequences: `keys` (e.g. `a=T,f=100,i=7`) in the first chunk,
 * `m=1` on every chunk but the last, `m=0` on the last; a payload that fits one chunk gets no `m`.
 * `q=2` is repeated on continuation chunks so no terminal answers any of them.
 */
export function kittyChunks(keys: string, payload: Uint8Array, chunkSize = KITTY_CHUNK): string {
  if (chunkSize <= 0 || chunkSize % 4 !== 0) throw new RangeError(`chunk size must be a positive multiple of 4, got ${chunkSize}`);
  const b64 = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('base64');
  if (b64.length <= chunkSize) return `\x1b_G${keys};${b64}\x1b\\`;
  const quiet = /(^|,)q=2(,|$)/.test(keys) ? ',q=2' : '';
  let out = `\x1b_G${keys},m=1;${b64.slice(0, chunkSize)}\x1b\\`;
  for (let i = chunkSize; i < b64.length; i += chunkSize) {
    const last = i + chunkSize >= b64.length;
    out += `\x1b_Gm=${last ? 0 : 1}${quiet};${b64.slice(i, i + chunkSize)}\x1b\\`;
  }
  return out;
}

/** The pixels of `area` of `src` as tightly packed RGB (3 bytes) or RGBA (4 bytes, opaque). */
export function packPixels(src: PixelSource, area: Rect, channels: 3 | 4): Buffer {
  const out = Buffer.allocUnsafe(area.width * area.height * channels);
  const px = src.pixels;
  let o = 0;
  for (let y = area.y; y < area.y + area.height; y++) {
    for (let i = y * src.width + area.x, end = i + area.width; i < end; i++) {
      const v = px[i]!;
      out[o++] = (v >>> 16) & 255;
      out[o++] = (v >>> 8) & 255;
      out[o++] = v & 255;
      if (channels === 4) out[o++] = 255;
    }
  }
  return out;
}

/** Options for {@link kittyImage}. */
export interface KittyImageOptions {
  /** Image id (1 … 2³²−1). */
  id: number;
  /** Default 'png'. */
  format?: KittyFormat;
  /** Scale the image into this many cell columns / rows (the terminal stretches to fit exactly). */
  cols?: number;
  rows?: number;
  /** Part of `src` to send; default all of it. */
  area?: Rect;
}

/** Transmit-and-display (`a=T`) of `src` at the cursor, quietly (`q=2`), cursor not moved (`C=1`). */
export function kittyImage(src: PixelSource, opts: KittyImageOptions): string {
  const area = opts.area ?? {x: 0, y: 0, width: src.width, height: src.height};
  const format = opts.format ?? 'png';
  let keys = `a=T,i=${opts.id},q=2,C=1`;
  if (opts.cols) keys += `,c=${opts.cols}`;
  if (opts.rows) keys += `,r=${opts.rows}`;
  let payload: Uint8Array;
  if (format === 'png') {
    payload = encodePng(src, area);
    keys = `f=100,${keys}`;
  } else {
    const ch = format === 'rgba' ? 4 : 3;
    payload = deflateSync(packPixels(src, area, ch), {level: 1});
    keys = `f=${ch === 4 ? 32 : 24},s=${area.width},v=${area.height},o=z,${keys}`;
  }
  return kittyChunks(keys, payload);
}

/** Delete image `id` and free its data (`d=I`), quietly. */
export function kittyDelete(id: number): string {
  return `\x1b_Ga=d,d=I,i=${id},q=2\x1b\\`;
}

/** Options for {@link KittyPane}. */
/** The cell size sets the aspect ratio and what zoom 1 means. */
export interface KittyPaneOptions extends PixelPaneOptions {
  format?: KittyFormat;
  /** First of the two image ids used alternately. Default 0x766d62 ("vmb"). */
  idBase?: number;
}

/** Kitty backend: sends the viewed part of the screen whenever it changed; the terminal scales it. */
export class KittyPane extends PixelPane implements ScreenPainter {
  private readonly format: KittyFormat;
  private readonly ids: [number, number];
  private shown: number | undefined;
  private flip = 0;

  constructor(opts: KittyPaneOptions) {
    super(opts);
    this.format = opts.format ?? 'png';
    const base = opts.idBase ?? 0x766d62;
    this.ids = [base, base + 1];
    this.resize(opts.cols, opts.rows);
  }

  clear(): Buffer {
    this.invalidate();
    this.shown = undefined;
    return Buffer.from(this.ids.map(kittyDelete).join(''), 'latin1');
  }

  render(screen: PixelSource, damage?: readonly Rect[]): Buffer {
    const none = Buffer.alloc(0);
    if (this.cols === 0 || this.rows === 0) return none;
    const view = this.views.compute(screen, this.cols * this.cw, this.rows * this.ch);
    if (view.src.width === 0) return none;
    const same = sameView(this.views.last, view) && this.prev !== undefined;
    if (same && damage && !damage.some((d) => overlaps(d, view.src))) return none;
    const crop = cropOf(screen, view.src);
    if (same && equal(crop, this.prev!)) return none;
    this.prev = crop;
    this.views.last = view;
    const {dst} = view;
    const col = this.originCol + Math.round(dst.x / this.cw);
    const row = this.originRow + Math.round(dst.y / this.ch);
    const cols = Math.max(1, Math.min(this.cols, Math.round(dst.width / this.cw)));
    const rows = Math.max(1, Math.min(this.rows, Math.round(dst.height / this.ch)));
    const id = this.ids[this.flip]!;
    this.flip ^= 1;
    let body = `\x1b7\x1b[${row};${col}H` + kittyImage({width: view.src.width, height: view.src.height, pixels: crop}, {id, format: this.format, cols, rows});
    if (this.shown !== undefined) body += kittyDelete(this.shown);
    body += '\x1b8';
    this.shown = id;
    // All ASCII (escapes and base64): latin1 is a 1:1 copy, no UTF-8 encoder pass.
    return Buffer.from(this.sync ? SYNC_BEGIN + body + SYNC_END : body, 'latin1');
  }
}

const overlaps = (a: Rect, b: Rect): boolean => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

function cropOf(src: PixelSource, r: Rect): Uint32Array {
  if (r.x === 0 && r.y === 0 && r.width === src.width && r.height === src.height) return src.pixels.slice(0, r.width * r.height);
  const out = new Uint32Array(r.width * r.height);
  for (let y = 0; y < r.height; y++) out.set(src.pixels.subarray((r.y + y) * src.width + r.x, (r.y + y) * src.width + r.x + r.width), y * r.width);
  return out;
}

function equal(a: Uint32Array, b: Uint32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
