/** Plain text for `vmbench setup` without a terminal: one line per check, the fix under it. Pure. */
import {displayValue, SETTING_SPECS, type Settings} from '../settings/schema.js';
import type {CheckResult, CheckStatus} from './types.js';

export const STATUS_LABEL: Record<CheckStatus, string> = {ok: 'ok', warn: 'warn', fail: 'FAIL', skip: 'skip'};

/** `[ ok ] qemu-img: qemu-img version 7.2.22 …` and, when there is one, `       fix: <command>`. */
export function formatCheck(r: CheckResult): string[] {
  const lines = [`[${STATUS_LABEL[r.status].padStart(4)}] ${r.title}: ${r.detail}`];
  if (r.fix) lines.push(`       fix: ${r.fix}`);
  return lines;
}

export function summarize(results: CheckResult[]): string {
  const n = (s: CheckStatus): number => results.filter((r) => r.status === s).length;
  return `${n('ok')} ok, ${n('warn')} warning${n('warn') === 1 ? '' : 's'}, ${n('fail')} failed, ${n('skip')} skipped`;
}

/** Every visible setting as `  key  value  (doc)`. */
export function formatSettings(s: Settings): string[] {
  const specs = SETTING_SPECS.filter((x) => !x.internal);
  const w = Math.max(...specs.map((x) => x.key.length));
  return specs.map((x) => `  ${x.key.padEnd(w)}  ${displayValue(x, s[x.key])}`);
}

/** `memory: 512 → 1024` for each changed visible setting. */
export function diffSettings(before: Settings, after: Settings): string[] {
  return SETTING_SPECS.filter((x) => !x.internal && before[x.key] !== after[x.key]).map(
    (x) => `${x.key}: ${displayValue(x, before[x.key])} → ${displayValue(x, after[x.key])}`,
  );
}
