/**
 * Screenshots next to the build log: QMP screendump writes a PNG itself (QEMU >= 7.1), taken at
 * every debug pause and on failure so a headless run still shows what the VM showed.
 */
import {mkdir} from 'node:fs/promises';
import {screendumpPng} from '../vnc/screenshot.js';
import path from 'node:path';
import type {BuildState} from './state.js';

let counter = 0;

/** Save the VM's screen as <logDir>/screenshots/<n>-<label>.png; undefined when no VM runs. */
export async function takeScreenshot(state: BuildState, label: string): Promise<string | undefined> {
  const qmp = state.qmp;
  if (!qmp || !state.qemu || state.qemu.hasExited()) return undefined;
  const dir = path.join(state.options.logDir, 'screenshots');
  await mkdir(dir, {recursive: true});
  const name = `${String(++counter).padStart(3, '0')}-${label.replace(/[^\w.-]+/g, '_')}.png`;
  const file = path.join(dir, name);
  await screendumpPng(qmp, file);
  return file;
}
