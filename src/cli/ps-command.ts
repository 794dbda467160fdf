/**
 * `vmbench ps [--json]`: the builds running on this host (the registry, src/engine/registry.ts)
 * and the VMs kept on purpose (the QEMU records of src/qemu/reaper.ts): id, profile, state, PID,
 * age, VNC and SSH addresses, log folder. A QEMU whose vmbench died without keeping it shows as
 * `orphaned` (the next build's reaper kills it; `vmbench stop` does it now).
 * `--json` adds the VNC password (the records are the user's own, mode 0600).
 */
import {listBuilds} from '../engine/registry.js';
import {listQemus, runDir} from '../qemu/reaper.js';
import {processAlive} from '../util/process.js';
import {formatDuration} from '../util/duration.js';

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

const addr = (a?: {host: string; port: number}): string => (a ? `${a.host}:${a.port}` : '-');

/** The table `vmbench ps` prints (no passwords on screen: --json has them). */
export function formatPs(entries: readonly PsEntry[], now = Date.now()): string {
  if (!entries.length) return `no running builds and no kept VMs (records in ${runDir()})\n`;
  const rows = [
    ['ID', 'PROFILE', 'STATE', 'PID', 'AGE', 'VNC', 'SSH', 'LOGS'],
    ...entries.map((e) => [e.id, e.profile, e.state, String(e.pid), formatDuration(Math.max(0, now - e.since)), addr(e.vnc), addr(e.ssh), e.logDir ?? '-']),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n') + '\n';
}

export async function psCommand(args: string[], values: {json?: boolean}): Promise<number> {
  if (args.length) {
    process.stderr.write('usage: vmbench ps [--json]\n');
    return 2;
  }
  const entries = psEntries();
  process.stdout.write(values.json ? `${JSON.stringify(entries, null, 2)}\n` : formatPs(entries));
  return 0;
}
