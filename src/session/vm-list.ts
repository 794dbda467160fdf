/**
 * What runs on this host, for `vmbench ps`, `vmbench stop` and the workbench's list of kept VMs:
 * the builds running now (the registry, src/engine/registry.ts) and the VMs kept on purpose or
 * orphaned (the QEMU records of src/qemu/reaper.ts). Shared by both front ends, so it lives here.
 */
import {listBuilds} from '../engine/registry.js';
import {listQemus} from '../qemu/reaper.js';
import {processAlive} from '../util/process.js';

export interface PsEntry {
  /** The build's id (what `vmbench stop` takes). */
  id: string;
  profile: string;
  state: 'running' | 'kept' | 'orphaned';
  /** running: the vmbench process; kept/orphaned: QEMU. */
  pid: number;
  /** The build's QEMU, when one runs. */
  qemuPid?: number;
  /** When the build started (kept: when its VM was kept), ms since the epoch. */
  since: number;
  vnc?: {host: string; port: number; password?: string};
  ssh?: {host: string; port: number};
  logDir?: string;
  /** The build's files (a kept VM's disk is there). */
  workDir?: string;
}

/** Everything `vmbench ps` lists, oldest first. */
export function psEntries(): PsEntry[] {
  const qemus = listQemus();
  const entries: PsEntry[] = [];
  for (const b of listBuilds()) {
    const q = qemus.find((r) => r.owner === b.pid && !r.kept && (r.build === undefined || r.build === b.id));
    entries.push({id: b.id, profile: b.profile, state: 'running', pid: b.pid, qemuPid: q?.pid, since: b.started, vnc: b.vnc ?? q?.vnc, ssh: q?.ssh, logDir: b.logDir, workDir: q?.workDir});
  }
  for (const q of qemus) {
    if (!q.kept && processAlive(q.owner)) continue; // part of a running build (listed above)
    entries.push({
      id: q.build ?? `pid-${q.pid}`,
      profile: q.profile ?? '?',
      state: q.kept ? 'kept' : 'orphaned',
      pid: q.pid,
      qemuPid: q.pid,
      since: q.keptAt ?? q.started ?? 0,
      vnc: q.vnc,
      ssh: q.ssh,
      logDir: q.logDir,
      workDir: q.workDir,
    });
  }
  return entries.sort((a, b) => a.since - b.since);
}
