/**
 * Packer's sensitive-variables: the values a build must never print. A template marks variables
 * sensitive (JSON `sensitive-variables`, HCL2 `sensitive = true`); their values — the default,
 * a -var, a var file's — are replaced by `<sensitive>` wherever vmbench writes text (logs,
 * events, inspect). Pure.
 */
import type {LoadedProfile} from './loader.js';

export const REDACTED = '<sensitive>';

/** The values to hide for a loaded build: its sensitive variables' final values, longest first. */
export function sensitiveValues(loaded: Pick<LoadedProfile, 'profile' | 'document'>): string[] {
  const doc = loaded.document;
  const values = new Set<string>(doc?.sensitiveValues ?? []);
  for (const name of doc?.sensitiveVariables ?? []) {
    const v = loaded.profile.variables[name];
    if (v !== undefined) values.add(v);
  }
  // An empty or one-letter secret would blank out every line: those are left alone.
  return [...values].filter((v) => v.length > 1).sort((a, b) => b.length - a.length);
}

/** `text` with every one of `secrets` replaced by <sensitive>. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s && out.includes(s)) out = out.split(s).join(REDACTED);
  return out;
}

/**
 * A key whose value is a password whatever the template says: `ansible_become_pass`,
 * `ansible_ssh_pass`, `ansible_password`, `db_passwd`, `--vault-password`, `passphrase`…
 */
const SECRET_KEY = String.raw`[\w.-]*(?:_pass|password|passwd|passphrase)`;
/** `key=value` (the value bare or quoted), and `"key": "value"` as JSON writes it. */
const ASSIGNMENT = new RegExp(String.raw`(^|[^\w.-])(${SECRET_KEY}=)("[^"]*"|'[^']*'|[^\s"',;]+)|("${SECRET_KEY}"\s*:\s*)"(?:[^"\\]|\\.)*"`, 'gi');
/** Switch values (QEMU's `-vnc …,password=on`) say that there is a password, not what it is. */
const SWITCH = /^(?:on|off|true|false|yes|no)$/i;

/**
 * `text` with the values of password-like assignments replaced by <sensitive>: `x_pass=…`,
 * `x_password=…`, `--vault-password=…`, and JSON's `"x_pass": "…"` — what ansible's extra
 * vars and inventories carry, whether or not the template marked them sensitive.
 */
export function redactAssignments(text: string): string {
  if (!/pass/i.test(text)) return text;
  return text.replace(ASSIGNMENT, (all, lead: string | undefined, key: string | undefined, value: string | undefined, jsonKey: string | undefined) => {
    if (jsonKey !== undefined) return `${jsonKey}"${REDACTED}"`;
    if (SWITCH.test(value!) || value === REDACTED) return all;
    return `${lead}${key}${REDACTED}`;
  });
}

/** Both: the template's sensitive values, then password-like assignments. */
export function redactText(text: string, secrets: readonly string[]): string {
  return redactAssignments(redact(text, secrets));
}

/**
 * A copy of `value` with every string in it (object fields, list items) redacted — the
 * template's sensitive values and password-like assignments; the same object when nothing matched.
 */
export function redactDeep<T>(value: T, secrets: readonly string[]): T {
  if (typeof value === 'string') return redactText(value, secrets) as T;
  if (Array.isArray(value)) {
    const out = value.map((v) => redactDeep(v, secrets));
    return (out.some((v, i) => v !== value[i]) ? out : value) as T;
  }
  if (value && typeof value === 'object') {
    let changed = false;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const r = redactDeep(v, secrets);
      changed ||= r !== v;
      out[k] = r;
    }
    return (changed ? out : value) as T;
  }
  return value;
}
