/**
 * execa's `cleanup` cannot run when vmbench itself is SIGKILLed, and our QEMUs live in their own
 * process groups — so each running QEMU is recorded in a small file, and the next vmbench start
 * kills QEMUs whose owner died (checking the command line, so a reused PID is never hit).
 */
import {mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {processAlive} from '../util/process.js';

export function runDir(): string {
  const base = process.env.XDG_STATE_HOME || path.join(os.homedir(), '.local', 'state');
  return path.join(base, 'vmbench', 'run');
}

interface Record {
  owner: number;
  pid: number;
  marker: string;
}

export function rememberQemu(pid: number, marker: string): void {
  try {
    mkdirSync(runDir(), {recursive: true});
    const rec: Record = {owner: process.pid, pid, marker};
    writeFileSync(path.join(runDir(), `qemu-${pid}.json`), JSON.stringify(rec));
  } catch {
    // Best effort: a read-only home must not stop a build.
  }
}

export function forgetQemu(pid: number): void {
  rmSync(path.join(runDir(), `qemu-${pid}.json`), {force: true});
}


/** Kill QEMUs left behind by a vmbench that died; returns the PIDs killed. */
export function reapStaleQemus(): number[] {
  const killed: number[] = [];
  let files: string[] = [];
  try {
    files = readdirSync(runDir()).filter((f) => /^qemu-\d+\.json$/.test(f));
  } catch {
    return killed;
  }
  for (const f of files) {
    const file = path.join(runDir(), f);
    try {
      const rec = JSON.parse(readFileSync(file, 'utf8')) as Record;
      if (processAlive(rec.owner)) continue;
      let cmdline = '';
      try {
        cmdline = readFileSync(`/proc/${rec.pid}/cmdline`, 'utf8');
      } catch {
        // process gone
      }
      if (cmdline.includes(rec.marker)) {
        process.kill(-rec.pid, 'SIGKILL');
        killed.push(rec.pid);
      }
      rmSync(file, {force: true});
    } catch {
      rmSync(file, {force: true});
    }
  }
  return killed;
}
