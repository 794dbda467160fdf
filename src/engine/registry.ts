/**
 * Running builds announce themselves here so other vmbench processes (`vmbench screenshot`, a
 * second terminal's viewer) can find their VNC address and log directory: one small owner-only
 * JSON file (0600) per build in the same run directory (0700) as the QEMU reaper's records.
 *
 * A build that dies without unregistering leaves its file behind; readers treat a file whose
 * process is gone — or whose PID now belongs to another process (start times differ) — as
 * stale and delete it.
 *
 * On-disk format:
 * `{id, profile, pid, logDir, started, vnc?, qmpSocket?, pidStart?}`.
 */
import {chmodSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {runDir} from '../qemu/reaper.js';

/** What a build tells others about itself. */
export interface BuildInfo {
  /** The build's id (BuildState.id). */
  id: string;
  /** Profile name. */
  profile: string;
  /** The vmbench process running the build. */
  pid: number;
  /**
   * QEMU's VNC server (shared mode: viewers may attach any time); absent until the VM runs.
   * `password` with vnc_use_password (the record is then readable by its owner only).
   */
  vnc?: {host: string; port: number; password?: string};
  /** Where build.log etc. go; screenshots default to `<logDir>/screenshots/`. */
  logDir: string;
  /** QEMU's QMP socket — informational: QEMU serves one QMP client, and the build holds it. */
  qmpSocket?: string;
  /** When the build started (ms since the epoch); default: now. */
  started?: number;
}

/** A registry entry as read back. */
export interface RegisteredBuild extends BuildInfo {
  started: number;
  /** The process's start time from /proc (clock ticks since boot), to detect PID reuse. */
  pidStart?: string;
}

const FILE = /^build-(.+)\.json$/;

function fileFor(id: string): string {
  if (!/^[\w.-]+$/.test(id)) throw new Error(`invalid build id "${id}"`);
  return path.join(runDir(), `build-${id}.json`);
}

/**
 * Make `dir` (and any missing parents) owner-only: 0700, whatever the umask, also when an older
 * vmbench made it 0755. The run directory holds VNC passwords and the PIDs of running QEMUs.
 */
export function privateDir(dir: string): void {
  mkdirSync(dir, {recursive: true, mode: 0o700});
  if ((statSync(dir).mode & 0o777) !== 0o700) chmodSync(dir, 0o700);
}

/** Field 22 of /proc/<pid>/stat; undefined where there is no /proc or the process is gone. */
function processStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses: count from the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function alive(rec: RegisteredBuild): boolean {
  try {
    process.kill(rec.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  return rec.pidStart === undefined || processStart(rec.pid) === undefined || processStart(rec.pid) === rec.pidStart;
}

/**
 * Record a running build (call again to update it, e.g. once the VM's VNC port is known);
 * returns the file written. Written atomically (temp file + rename), so a concurrent
 * listBuilds never reads half a record. Throws if the run directory is unwritable — callers
 * in a build should log that and carry on.
 */
export function registerBuild(info: BuildInfo): string {
  const file = fileFor(info.id);
  privateDir(path.dirname(file));
  const rec: RegisteredBuild = {...info, started: info.started ?? Date.now(), pidStart: processStart(info.pid)};
  const tmp = `${file}.${process.pid}.partial`;
  writeFileSync(tmp, `${JSON.stringify(rec, null, 2)}\n`, {mode: 0o600});
  renameSync(tmp, file);
  return file;
}

/** Remove a build's record. Idempotent; never throws. */
export function unregisterBuild(id: string): void {
  try {
    rmSync(fileFor(id), {force: true});
  } catch {
    // An invalid id was never registered.
  }
}

/** Builds whose process is still alive, oldest first; stale or unreadable records are deleted. */
export function listBuilds(): RegisteredBuild[] {
  let names: string[];
  try {
    names = readdirSync(runDir());
  } catch {
    return [];
  }
  const builds: RegisteredBuild[] = [];
  for (const name of names) {
    if (!FILE.test(name)) continue;
    const file = path.join(runDir(), name);
    let rec: RegisteredBuild;
    try {
      rec = JSON.parse(readFileSync(file, 'utf8')) as RegisteredBuild;
      if (typeof rec.id !== 'string' || typeof rec.pid !== 'number') throw new Error('malformed');
    } catch {
      rmSync(file, {force: true});
      continue;
    }
    if (alive(rec)) builds.push(rec);
    else rmSync(file, {force: true});
  }
  return builds.sort((a, b) => (a.started ?? 0) - (b.started ?? 0));
}
