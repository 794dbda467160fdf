/**
 * execa's `cleanup` cannot run when vmbench itself is SIGKILLed, and our QEMUs live in their own
 * process groups — so each running QEMU is recorded in a small file, and the next vmbench start
 * kills QEMUs whose owner died (checking the command line, so a reused PID is never hit). The
 * build's watchdog (watchdog.ts) does the same within a second of the owner's death.
 *
 * A VM kept on purpose (`--on-error=abort`, the workbench's "keep") has `kept: true` in its
 * record, with what a user needs to reach it: the reaper and the watchdog leave it alone,
 * `vmbench ps` lists it and `vmbench stop` ends it.
 *
 * On-disk format, `<runDir>/qemu-<pid>.json`:
 * `{owner, pid, marker, started?, build?, profile?, kept?, keptAt?, vnc?, ssh?, logDir?, workDir?, socketDir?}`.
 */
import {mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {processAlive} from '../util/process.js';
import {currentWatchdog} from './watchdog.js';

export function runDir(): string {
  const base = process.env.XDG_STATE_HOME || path.join(os.homedir(), '.local', 'state');
  return path.join(base, 'vmbench', 'run');
}

/** What the run directory says about one QEMU. */
export interface QemuRecord {
  /** The vmbench process that started it. */
  owner: number;
  pid: number;
  /** A string unique to this VM in its command line (its QMP socket's path). */
  marker: string;
  /** When it started (ms since the epoch). */
  started?: number;
  /** The build it belongs to (BuildState.id), its profile. */
  build?: string;
  profile?: string;
  /** Kept on purpose: nothing may kill it but the user (`vmbench stop`). */
  kept?: boolean;
  keptAt?: number;
  vnc?: {host: string; port: number; password?: string};
  ssh?: {host: string; port: number};
  logDir?: string;
  /** The build's files (kept with the VM). */
  workDir?: string;
  /** The private folder of its sockets (the QMP socket is the marker). */
  socketDir?: string;
}

export function recordFile(pid: number): string {
  return path.join(runDir(), `qemu-${pid}.json`);
}

// Atomic (temp + rename) so `vmbench ps` and the watchdog never read half a record; owner-only,
// as a kept VM's record holds its VNC password.
function writeRecord(rec: QemuRecord): void {
  mkdirSync(runDir(), {recursive: true, mode: 0o700});
  const file = recordFile(rec.pid);
  const tmp = `${file}.${process.pid}.partial`;
  try {
    writeFileSync(tmp, `${JSON.stringify(rec, null, 1)}\n`, {mode: 0o600});
    renameSync(tmp, file);
  } catch (err) {
    rmSync(tmp, {force: true});
    throw err;
  }
}

export function readRecord(pid: number): QemuRecord | undefined {
  try {
    const rec = JSON.parse(readFileSync(recordFile(pid), 'utf8')) as QemuRecord;
    return typeof rec.pid === 'number' && typeof rec.owner === 'number' && typeof rec.marker === 'string' ? rec : undefined;
  } catch {
    return undefined;
  }
}

export function rememberQemu(pid: number, marker: string): void {
  // The running build's watchdog kills it should this process die without stopping it.
  currentWatchdog()?.watchQemu(pid, marker);
  try {
    writeRecord({owner: process.pid, pid, marker, started: Date.now()});
  } catch {
    // Best effort: a read-only home must not stop a build.
  }
}

/** Add what others need to know (build, ports, folders) to a running QEMU's record. */
export function describeQemu(pid: number, info: Partial<Omit<QemuRecord, 'pid' | 'owner' | 'marker'>>): void {
  const rec = readRecord(pid);
  if (!rec) return;
  try {
    writeRecord({...rec, ...info});
  } catch {
    // as rememberQemu
  }
}

/** Mark a QEMU as kept on purpose; throws when the record cannot be written (the caller says so). */
export function keepQemu(pid: number, info: Partial<Omit<QemuRecord, 'pid' | 'owner' | 'marker' | 'kept'>>): void {
  const rec = readRecord(pid);
  if (!rec) throw new Error(`no record of QEMU ${pid} in ${runDir()}`);
  writeRecord({...rec, ...info, kept: true, keptAt: Date.now()});
}

export function forgetQemu(pid: number): void {
  rmSync(recordFile(pid), {force: true});
}

/** Whether the process `pid` is the QEMU the record describes (not a reused PID). */
export function isRecordedQemu(rec: Pick<QemuRecord, 'pid' | 'marker'>): boolean {
  try {
    return readFileSync(`/proc/${rec.pid}/cmdline`, 'utf8').includes(rec.marker);
  } catch {
    return false; // process gone
  }
}

/** Every record whose QEMU still runs; records of QEMUs that are gone are deleted. */
export function listQemus(): QemuRecord[] {
  let files: string[] = [];
  try {
    files = readdirSync(runDir()).filter((f) => /^qemu-\d+\.json$/.test(f));
  } catch {
    return [];
  }
  const out: QemuRecord[] = [];
  for (const f of files) {
    const rec = readRecord(Number(/\d+/.exec(f)![0]));
    if (rec && isRecordedQemu(rec)) out.push(rec);
    else rmSync(path.join(runDir(), f), {force: true});
  }
  return out.sort((a, b) => (a.started ?? 0) - (b.started ?? 0));
}

/** VMs kept on purpose that still run, oldest first. */
export function keptQemus(): QemuRecord[] {
  return listQemus().filter((r) => r.kept);
}

/** Kill QEMUs left behind by a vmbench that died — never a kept one; returns the PIDs killed. */
export function reapStaleQemus(): number[] {
  const killed: number[] = [];
  for (const rec of listQemus()) {
    if (rec.kept || processAlive(rec.owner)) continue;
    try {
      process.kill(-rec.pid, 'SIGKILL');
      killed.push(rec.pid);
    } catch {
      // gone meanwhile
    }
    forgetQemu(rec.pid);
  }
  return killed;
}
