/**
 * `vmbench ps [--json]`: the builds running on this host (the registry, src/engine/registry.ts)
 * and the VMs kept on purpose (the QEMU records of src/qemu/reaper.ts): id, profile, state, PID,
 * age, VNC and SSH addresses, log folder. A QEMU whose vmbench died without keeping it shows as
 * `orphaned` (the next build's reaper kills it; `vmbench stop` does it now).
 * `--json` adds the VNC password (the records are the user's own, mode 0600).
 */
import {runDir} from '../qemu/reaper.js';
import {psEntries, type PsEntry} from '../session/vm-list.js';
import {formatDuration} from '../util/duration.js';

export {psEntries, type PsEntry};

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
