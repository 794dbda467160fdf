/**
 * Running builds announce themselves in $XDG_STATE_HOME/vmbench/run/build-<id>.json so other
 * vmbench processes (`vmbench screenshot`, later the workbench) can find their VM.
 */
import {mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {runDir} from '../qemu/reaper.js';
import {processAlive} from '../util/process.js';

export interface RunningBuild {
  id: string;
  profile: string;
  pid: number;
  logDir: string;
  started: number;
  vnc?: {host: string; port: number};
}

const fileOf = (id: string): string => path.join(runDir(), `build-${id}.json`);

export function registerBuild(b: RunningBuild): void {
  try {
    mkdirSync(runDir(), {recursive: true});
    writeFileSync(fileOf(b.id), JSON.stringify(b));
  } catch {
    // Best effort: only other processes' conveniences depend on it.
  }
}

export function unregisterBuild(id: string): void {
  rmSync(fileOf(id), {force: true});
}


/** Builds whose process still runs; files of dead ones are removed. */
export function listBuilds(): RunningBuild[] {
  let names: string[] = [];
  try {
    names = readdirSync(runDir()).filter((f) => /^build-[\w-]+\.json$/.test(f));
  } catch {
    return [];
  }
  const out: RunningBuild[] = [];
  for (const n of names) {
    const file = path.join(runDir(), n);
    try {
      const b = JSON.parse(readFileSync(file, 'utf8')) as RunningBuild;
      if (processAlive(b.pid)) out.push(b);
      else rmSync(file, {force: true});
    } catch {
      rmSync(file, {force: true});
    }
  }
  return out.sort((a, b) => a.started - b.started);
}
