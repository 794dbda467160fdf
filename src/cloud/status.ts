/**
 * Reading cloud-init's verdict: `cloud-init status --long` (22.x prints status/time/detail,
 * 23.4+ adds extended_status, errors and recoverable_errors lists) and the lines of its logs that
 * name a failure. Pure, so the guest's real output and older/newer formats are unit-tested.
 */

export interface CloudInitStatus {
  /** done, error, degraded done, running, disabled, not started… as printed (lower case). */
  status: string;
  /** The detail line(s): the datasource when done, the failure when not. */
  detail: string[];
  /** Errors cloud-init lists (23.4+), or the detail when it names a module failure. */
  errors: string[];
  /** Recoverable errors / warnings it lists (23.4+: degraded done). */
  warnings: string[];
}

/** Parse `cloud-init status --long` output. */
export function parseCloudInitStatus(text: string): CloudInitStatus {
  const out: CloudInitStatus = {status: 'unknown', detail: [], errors: [], warnings: []};
  let list: string[] | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (!line.trim() || /^\.+$/.test(line.trim())) continue;
    const m = /^([a-z_]+):\s*(.*)$/.exec(line);
    if (m) {
      const [, key, value] = m as unknown as [string, string, string];
      list = undefined;
      if (key === 'status') out.status = value.trim().toLowerCase();
      else if (key === 'detail') {
        list = out.detail;
        if (value.trim()) out.detail.push(value.trim());
      } else if (key === 'errors') {
        list = out.errors;
        if (value.trim() && value.trim() !== '[]') out.errors.push(value.trim());
      } else if (key === 'recoverable_errors') list = out.warnings;
      continue;
    }
    // Continuation lines: "\t- text", "  - text", or the detail's own line; "WARNING:" headers inside recoverable_errors.
    const item = line.replace(/^\s*-\s*/, '').trim();
    if (/^[A-Z]+:$/.test(item)) continue;
    if (list) list.push(item);
  }
  if (out.status.startsWith('error') && out.errors.length === 0) {
    // 22.x: the detail is the failure, e.g. "('scripts_user', RuntimeError('Runparts: 1 failures …'))".
    out.errors.push(...out.detail.filter((d) => !/^DataSource/i.test(d)));
  }
  return out;
}

/** Is this the status of a finished, successful run (done, or degraded done with warnings only)? */
export const cloudInitSucceeded = (s: CloudInitStatus): boolean => s.status === 'done' || (s.status.startsWith('degraded') && s.errors.length === 0);

/** Lines of /var/log/cloud-init.log (or -output.log) that say what went wrong, at most `max`, last first kept. */
export function failureLines(log: string, max = 12): string[] {
  const hits = log
    .split('\n')
    .filter((l) => /\b(ERROR|CRITICAL|Traceback|failed|Failed|FAIL|cannot|Cannot|Invalid|invalid cloud-config|not valid)\b/.test(l))
    .map((l) => l.replace(/\r$/, '').trim())
    .filter(Boolean);
  return hits.slice(-max);
}

/**
 * Serial/screen lines cloud-init prints at boot that mean it failed before SSH could work (the
 * user-data was unreadable, a stage crashed): a reason for an SSH wait that gets nowhere.
 */
export const CLOUD_INIT_CONSOLE_FAILURE =
  /(Failed to start cloud-init[^\n]*|Failed to start [^\n]*[Cc]loud-init[^\n]*|cloud-init\[\d+\]: [^\n]*(?:ERROR|CRITICAL|Traceback)[^\n]*|Invalid cloud-config provided[^\n]*|Failed loading yaml blob[^\n]*|Unhandled non-multipart \(text\/x-not-multipart\) userdata[^\n]*)/;
