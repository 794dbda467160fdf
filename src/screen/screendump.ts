/**
 * The VM's screen as pixels without a VNC connection: QMP `screendump` writes the display
 * surface (what VNC would send) to a file. PPM, QEMU's default format, needs no decoder library
 * and no compression, which makes it the cheapest to produce and read.
 */
import {mkdtemp, readFile, rm} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type {QmpClient} from '../qemu/qmp.js';
import type {PixelSource} from '../vnc/framebuffer.js';

/** Decode a binary PPM (P6, maxval 255) into 0x00RRGGBB pixels. */
export function decodePpm(data: Uint8Array): PixelSource {
  // Header: "P6", width, height, maxval, separated by whitespace (and comments), then one byte.
  const fields: number[] = [];
  let i = 2;
  if (data[0] !== 0x50 || data[1] !== 0x36) throw new Error('not a binary PPM (P6) image');
  while (fields.length < 3) {
    while (i < data.length && (data[i] === 0x20 || data[i] === 0x0a || data[i] === 0x0d || data[i] === 0x09)) i++;
    if (data[i] === 0x23) {
      while (i < data.length && data[i] !== 0x0a) i++;
      continue;
    }
    let v = 0;
    const from = i;
    while (i < data.length && data[i]! >= 0x30 && data[i]! <= 0x39) v = v * 10 + data[i++]! - 0x30;
    if (i === from) throw new Error('malformed PPM header');
    fields.push(v);
  }
  i++; // the single whitespace byte after maxval
  const [width, height, maxval] = fields as [number, number, number];
  if (maxval !== 255) throw new Error(`unsupported PPM maxval ${maxval}`);
  if (data.length < i + width * height * 3) throw new Error('truncated PPM image');
  const pixels = new Uint32Array(width * height);
  for (let p = 0, o = i; p < pixels.length; p++, o += 3) pixels[p] = (data[o]! << 16) | (data[o + 1]! << 8) | data[o + 2]!;
  return {width, height, pixels};
}

/** Take a screenshot of the VM's display through QMP (`screendump`, PPM). */
export async function screendump(qmp: QmpClient, tmpDir = os.tmpdir()): Promise<PixelSource> {
  const dir = await mkdtemp(path.join(tmpDir, 'vmbench-screendump-'));
  try {
    const file = path.join(dir, 'screen.ppm');
    await qmp.execute('screendump', {filename: file});
    return decodePpm(await readFile(file));
  } finally {
    await rm(dir, {recursive: true, force: true});
  }
}
