/**
 * Screenshots next to the build log: QMP screendump writes a PNG itself (QEMU >= 7.1), taken at
 * every debug pause and on failure so a headless run still shows what the VM showed. They are
 * the owner's only (a 0700 folder, 0600 files): a screen may show a password being typed.
 */
import {chmod, mkdir} from 'node:fs/promises';
import {redact} from '../profiles/sensitive.js';
import {screendumpPng} from '../vnc/screenshot.js';
import path from 'node:path';
import type {BuildState} from './state.js';

let counter = 0;

/** A screenshot's file name: a number, then the label with secrets and odd characters taken out. */
export function screenshotName(n: number, label: string, secrets: readonly string[] = []): string {
  const clean = redact(label, secrets).replace(/<sensitive>/g, 'sensitive');
  return `${String(n).padStart(3, '0')}-${clean.replace(/[^\w.-]+/g, '_')}.png`;
}

/** Save the VM's screen as <logDir>/screenshots/<n>-<label>.png; undefined when no VM runs. Throws when it cannot be written. */
export async function takeScreenshot(state: BuildState, label: string): Promise<string | undefined> {
  const qmp = state.qmp;
  if (!qmp || !state.qemu || state.qemu.hasExited()) return undefined;
  const dir = path.join(state.options.logDir, 'screenshots');
  await mkdir(dir, {recursive: true, mode: 0o700});
  const file = path.join(dir, screenshotName(++counter, label, state.secrets ?? []));
  await screendumpPng(qmp, file);
  // QEMU creates the file with its own umask.
  await chmod(file, 0o600);
  return file;
}
