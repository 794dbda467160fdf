/**
 * `vmbench stop <id|pid>`: end a kept VM or a running build, by build id (or a unique prefix),
 * QEMU PID or vmbench PID, as `vmbench ps` lists them.
 * - A kept (or orphaned) VM: QMP `quit` (its owner is gone, so QEMU's single QMP client slot is
 *   free), then SIGTERM, then SIGKILL, each after a grace; then its record and its socket folder
 *   go. Its files (the disk in the work folder) stay: the user kept them; the command says where.
 * - A running build: SIGINT to its vmbench, which cancels and cleans up as on Ctrl-C; the command
 *   waits for it to end.
 * Exit status: 0 stopped, 1 no such build or it would not stop, 2 bad usage or ambiguous id.
 */
import {existsSync, rmSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {connectQmp} from '../qemu/qmp.js';
import {forgetQemu, isRecordedQemu, readRecord} from '../qemu/reaper.js';
import {processAlive} from '../util/process.js';
import {formatPs, psEntries, type PsEntry} from './ps-command.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** `p`, or undefined after `ms`; the timer is cleared either way (a grace not needed must not keep us waiting). */
async function within<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls until `gone()` holds or `ms` passed; true when gone. */
async function waitGone(gone: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (gone()) return true;
    await sleep(100);
  }
  return gone();
}

export interface StopOptions {
  /** Grace for each polite step (QMP quit, SIGTERM) before the next; default 10 s. */
  graceMs?: number;
  /** How long a running build may take to clean up after SIGINT; default 120 s. */
  buildGraceMs?: number;
  log?: (line: string) => void;
}

/** The entry `what` names: a build id (or unique prefix), or a PID of vmbench or QEMU. */
export function findEntry(what: string, entries: readonly PsEntry[]): PsEntry | {error: string; code: number} {
  const byPid = /^\d+$/.test(what) ? entries.filter((e) => e.pid === Number(what) || e.qemuPid === Number(what)) : [];
  const exact = entries.filter((e) => e.id === what);
  const matches = byPid.length ? byPid : exact.length ? exact : entries.filter((e) => e.id.startsWith(what));
  if (matches.length === 1) return matches[0]!;
  if (!matches.length) return {error: `no running build or kept VM "${what}"\n${formatPs(entries)}`, code: 1};
  return {error: `"${what}" is ambiguous:\n${formatPs(matches)}`, code: 2};
}

/** Stop a kept or orphaned VM: QMP quit → SIGTERM → SIGKILL. Returns how it went, or throws. */
export async function stopVm(e: PsEntry, opts: StopOptions = {}): Promise<'quit' | 'SIGTERM' | 'SIGKILL'> {
  const {graceMs = 10_000, log = () => {}} = opts;
  const rec = readRecord(e.pid);
  if (!rec || !isRecordedQemu(rec)) {
    if (rec) forgetQemu(rec.pid);
    throw new Error(`QEMU ${e.pid} is not running any more`);
  }
  const gone = (): boolean => !isRecordedQemu(rec);
  const finish = (): void => {
    forgetQemu(rec.pid);
    // Only a socket folder vmbench made (mkdtemp vmbench-… in the temp folder) is removed.
    const dir = rec.socketDir;
    if (dir && path.dirname(dir) === os.tmpdir() && path.basename(dir).startsWith('vmbench-')) rmSync(dir, {recursive: true, force: true});
  };
  try {
    if (!existsSync(rec.marker)) throw new Error(`no QMP socket at ${rec.marker}`);
    const qmp = await connectQmp(rec.marker, {timeoutMs: Math.min(graceMs, 5000)});
    try {
      await within(qmp.execute('quit').catch(() => undefined), graceMs);
    } finally {
      qmp.close();
    }
    if (await waitGone(gone, graceMs)) {
      finish();
      return 'quit';
    }
  } catch (err) {
    log(`QMP quit did not work (${(err as Error).message}): sending SIGTERM`);
  }
  const signal = (sig: NodeJS.Signals): void => {
    try {
      process.kill(-rec.pid, sig);
    } catch {
      try {
        process.kill(rec.pid, sig);
      } catch {
        // gone
      }
    }
  };
  signal('SIGTERM');
  if (await waitGone(gone, graceMs)) {
    finish();
    return 'SIGTERM';
  }
  signal('SIGKILL');
  if (await waitGone(gone, 5000)) {
    finish();
    return 'SIGKILL';
  }
  throw new Error(`QEMU ${rec.pid} is still running 5 s after SIGKILL`);
}

/** What a stopped VM leaves said (the workbench's kept-VM screen says the same). */
export function stoppedLine(e: PsEntry, how: Awaited<ReturnType<typeof stopVm>>): string {
  return `stopped ${e.state} VM ${e.id} (${e.profile}, QEMU pid ${e.pid}, by ${how === 'quit' ? 'QMP quit' : how})${e.workDir ? `; its files stay in ${e.workDir}` : ''}`;
}

export async function stopCommand(args: string[], _values: unknown, opts: StopOptions = {}): Promise<number> {
  if (args.length !== 1) {
    process.stderr.write('usage: vmbench stop <build-id|pid> (see vmbench ps)\n');
    return 2;
  }
  const found = findEntry(args[0]!, psEntries());
  if ('error' in found) {
    process.stderr.write(`vmbench: ${found.error}`);
    return found.code;
  }
  const log = opts.log ?? ((l: string) => process.stderr.write(`vmbench: ${l}\n`));
  if (found.state === 'running') {
    // Its own vmbench cleans up (QEMU, ports, temporary folders) as on Ctrl-C.
    try {
      process.kill(found.pid, 'SIGINT');
    } catch (err) {
      log(`cannot signal vmbench ${found.pid}: ${(err as Error).message}`);
      return 1;
    }
    log(`asked build ${found.id} (vmbench pid ${found.pid}) to cancel and clean up…`);
    if (!(await waitGone(() => !processAlive(found.pid), opts.buildGraceMs ?? 120_000))) {
      log(`build ${found.id} is still cleaning up; vmbench stop ${found.id} again stops it at once`);
      return 1;
    }
    process.stdout.write(`stopped build ${found.id} (${found.profile})\n`);
    return 0;
  }
  try {
    const how = await stopVm(found, {...opts, log});
    process.stdout.write(`${stoppedLine(found, how)}\n`);
    return 0;
  } catch (err) {
    log(`could not stop ${found.id}: ${(err as Error).message}`);
    return 1;
  }
}
