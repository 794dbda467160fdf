/**
 * Screenshots as PNG files: from any PixelSource (a live FrameSource's framebuffer — works
 * from another process, over a shared VNC session), or from QEMU itself through QMP
 * `screendump` (no VNC needed; only for whoever holds the build's QMP connection).
 *
 * Files are written to `<file>.partial` and renamed into place, so a reader (or a crash) never
 * sees half a PNG.
 */
import {createWriteStream} from 'node:fs';
import {mkdir, readFile, rename, rm} from 'node:fs/promises';
import path from 'node:path';
import {pipeline} from 'node:stream/promises';
import {PNG} from 'pngjs';
import {QmpError, type QmpClient} from '../qemu/qmp.js';
import type {PixelSource} from './framebuffer.js';

/** What screendumpPng produced, and how: QEMU's own PNG, or its PPM converted here. */
export interface ScreendumpResult {
  width: number;
  height: number;
  via: 'png' | 'ppm';
}

/** Encode `fb` as an RGB PNG at `file` (parent directories created). Never leaves a partial file. */
export async function writePng(fb: PixelSource, file: string): Promise<void> {
  const {width, height, pixels} = fb;
  if (width <= 0 || height <= 0 || pixels.length < width * height) throw new Error(`cannot write a ${width}x${height} screenshot (no frame yet?)`);
  const png = new PNG({width, height, colorType: 2, inputColorType: 6, inputHasAlpha: true, deflateLevel: 6});
  const out = png.data;
  for (let i = 0, p = 0; i < width * height; i++, p += 4) {
    const v = pixels[i]!;
    out[p] = (v >> 16) & 255;
    out[p + 1] = (v >> 8) & 255;
    out[p + 2] = v & 255;
    out[p + 3] = 255;
  }
  // pack() deflates asynchronously: a 1280x800 screen does not block painting for tens of ms.
  await atomically(file, (partial) => pipeline(png.pack(), createWriteStream(partial)));
}

/**
 * Ask QEMU for a screendump of the primary console and save it as a PNG at `file`. Uses
 * `format: 'png'` (QEMU ≥ 7.1 built with libpng); when QEMU rejects that, falls back to its
 * default PPM and converts it here. Works whatever VNC viewers are attached.
 */
export async function screendumpPng(qmp: QmpClient, file: string): Promise<ScreendumpResult> {
  // QEMU opens the file itself, relative to *its* working directory: always pass an absolute path.
  const target = path.resolve(file);
  let pngError: QmpError | undefined;
  try {
    await atomically(target, (partial) => qmp.execute('screendump', {filename: partial, format: 'png'}));
    return {...(await pngSize(target)), via: 'png'};
  } catch (err) {
    // "Parameter 'format' is unexpected" (QEMU < 7.1), or PNG support not compiled in.
    if (!(err instanceof QmpError)) throw err;
    pngError = err;
  }
  const ppm = `${target}.ppm.partial`;
  try {
    try {
      await qmp.execute('screendump', {filename: ppm});
    } catch (err) {
      throw new Error(`QMP screendump failed: ${(err as Error).message} (as PNG: ${pngError.message})`);
    }
    const img = parsePpm(await readFile(ppm));
    await writePng(img, target);
    return {width: img.width, height: img.height, via: 'ppm'};
  } finally {
    await rm(ppm, {force: true});
  }
}

/** Run `write(partial)` and rename the result to `file`; on any failure remove the partial file. */
async function atomically(file: string, write: (partial: string) => Promise<unknown>): Promise<void> {
  await mkdir(path.dirname(file), {recursive: true});
  const partial = `${file}.partial`;
  try {
    await write(partial);
    await rename(partial, file);
  } catch (err) {
    await rm(partial, {force: true, recursive: false}).catch(() => {});
    throw err;
  }
}

/** Width and height from a PNG's IHDR chunk (bytes 16–23). */
async function pngSize(file: string): Promise<{width: number; height: number}> {
  const head = (await readFile(file)).subarray(0, 24);
  if (head.length < 24 || head.toString('latin1', 12, 16) !== 'IHDR') throw new Error(`${file}: QEMU did not write a PNG`);
  return {width: head.readUInt32BE(16), height: head.readUInt32BE(20)};
}

/**
 * Parse a binary PPM (P6, maxval ≤ 255) — what QEMU's screendump writes by default
 * ("P6\n<w> <h>\n255\n" then RGB bytes); comments and any whitespace are accepted too.
 */
export function parsePpm(buf: Buffer): PixelSource {
  let pos = 0;
  const token = (): string => {
    for (;;) {
      while (pos < buf.length && /\s/.test(String.fromCharCode(buf[pos]!))) pos++;
      if (buf[pos] !== 0x23) break; // '#' comment to end of line
      while (pos < buf.length && buf[pos] !== 0x0a) pos++;
    }
    const start = pos;
    while (pos < buf.length && !/\s/.test(String.fromCharCode(buf[pos]!))) pos++;
    return buf.toString('latin1', start, pos);
  };
  const magic = token();
  const width = Number(token());
  const height = Number(token());
  const max = Number(token());
  pos++; // exactly one whitespace byte before the pixels
  if (magic !== 'P6' || !(width > 0) || !(height > 0) || !(max > 0 && max <= 255)) throw new Error(`not a binary PPM QEMU would write (${magic} ${width}x${height} max ${max})`);
  if (buf.length - pos < width * height * 3) throw new Error(`PPM truncated: ${buf.length - pos} pixel bytes for ${width}x${height}`);
  const pixels = new Uint32Array(width * height);
  const scale = (v: number): number => (max === 255 ? v : Math.round((v * 255) / max));
  for (let i = 0, p = pos; i < pixels.length; i++, p += 3) pixels[i] = (scale(buf[p]!) << 16) | (scale(buf[p + 1]!) << 8) | scale(buf[p + 2]!);
  return {width, height, pixels};
}
