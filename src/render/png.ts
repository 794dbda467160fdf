/**
 * A minimal PNG encoder for live frames: 8-bit RGB, filter type 0 (None) on every row, one IDAT
 * compressed by zlib at level 1. pngjs filters rows in JavaScript and measured ~35 ms for a
 * 1024×768 frame; this takes a few ms (zlib's native deflate does all the work) — the files
 * are bigger than an optimised PNG, which does not matter on a local pty.
 * (pngjs stays the tool for screenshots and for reading PNGs.)
 */
import {crc32, deflateSync} from 'node:zlib';
import type {PixelSource, Rect} from '../vnc/framebuffer.js';

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function chunk(type: string, data: Buffer): Buffer {
  const out = Buffer.allocUnsafe(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

/** PNG bytes of `area` (default all) of a 0x00RRGGBB pixel source. */
export function encodePng(src: PixelSource, area: Rect = {x: 0, y: 0, width: src.width, height: src.height}, level = 1): Buffer {
  const {width, height} = area;
  const stride = width * 3 + 1;
  const raw = Buffer.allocUnsafe(stride * height);
  for (let y = 0, o = 0; y < height; y++) {
    raw[o++] = 0; // filter: None
    for (let i = (area.y + y) * src.width + area.x, end = i + width; i < end; i++) {
      const v = src.pixels[i]!;
      raw[o++] = (v >>> 16) & 255;
      raw[o++] = (v >>> 8) & 255;
      raw[o++] = v & 255;
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type: RGB
  return Buffer.concat([SIGNATURE, chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw, {level})), chunk('IEND', Buffer.alloc(0))]);
}
