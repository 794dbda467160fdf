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
import {parsePpm} from '../vnc/screenshot.js';

/** Take a screenshot of the VM's display through QMP (`screendump`, PPM). */
export async function screendump(qmp: QmpClient, tmpDir = os.tmpdir()): Promise<PixelSource> {
  const dir = await mkdtemp(path.join(tmpDir, 'vmbench-screendump-'));
  try {
    const file = path.join(dir, 'screen.ppm');
    await qmp.execute('screendump', {filename: file});
    return parsePpm(await readFile(file));
  } finally {
    await rm(dir, {recursive: true, force: true});
  }
}
