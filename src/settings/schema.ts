/**
 * The user's settings: one table of field specs (the single source of truth) from which come the
 * defaults, the JSON schema conf validates the file with, `--set key=value` parsing, the setup
 * form's labels and its inline validation. Pure: no file access here.
 */
import os from 'node:os';
import path from 'node:path';
import {closest} from '../util/suggest.js';
import {cacheDir} from '../util/xdg.js';

/** Bump when setup learns something new the user should see once (first-run screen shows again). */
export const SETUP_VERSION = 1;

export interface Settings {
  /** ISO cache; '' = the default, $XDG_CACHE_HOME/vmbench. */
  cacheDir: string;
  /** Base directory for build outputs; '' = each profile's own output_directory (relative to the cwd). */
  outputDir: string;
  /** Guest memory in MiB for profiles that do not set `memory`. */
  memory: number;
  /** vCPUs for profiles that do not set `cpus`. */
  cpus: number;
  vncPortMin: number;
  vncPortMax: number;
  httpPortMin: number;
  httpPortMax: number;
  /** The user's own ed25519 key made by setup ('' = none). Builds still use a temporary key. */
  sshKeyFile: string;
  /** The SETUP_VERSION the user last completed setup for; 0 = never. */
  setupVersion: number;
}

export type SettingKey = keyof Settings;

export interface SettingSpec {
  key: SettingKey;
  kind: 'path' | 'int' | 'mib';
  /** Short label for the setup form (fits the 80-column layout). */
  label: string;
  doc: string;
  min?: number;
  max?: number;
  /** Shown in the form and in `vmbench setup` output when the value is ''. */
  emptyMeans?: () => string;
  /** Not shown in the form or accepted by --set (bookkeeping). */
  internal?: boolean;
}

/** Where ISOs are cached when cacheDir is '' ($XDG_CACHE_HOME/vmbench). */
export const defaultCacheDir = cacheDir;

/** The default for ~/.ssh/vmbench_ed25519, offered when the user asks for a key. */
export const defaultSshKeyFile = (): string => path.join(os.homedir(), '.ssh', 'vmbench_ed25519');

/** In form order. Ranges mirror the profile schema (src/profiles/schema.ts) so a setting never makes a profile invalid by itself. */
export const SETTING_SPECS: readonly SettingSpec[] = [
  {key: 'cacheDir', kind: 'path', label: 'Cache directory', doc: 'where downloaded and built ISOs are cached', emptyMeans: () => `default: ${defaultCacheDir()}`},
  {key: 'outputDir', kind: 'path', label: 'Output base directory', doc: 'base directory for build outputs (each build in output-<profile>/ under it)', emptyMeans: () => "each profile's output_directory"},
  {key: 'memory', kind: 'mib', label: 'Default memory (MiB)', doc: 'guest memory for profiles that do not set memory (MiB, or e.g. 2G)', min: 16, max: 1024 * 1024},
  {key: 'cpus', kind: 'int', label: 'Default vCPUs', doc: 'vCPUs for profiles that do not set cpus', min: 1, max: 64},
  {key: 'vncPortMin', kind: 'int', label: 'VNC port min', doc: 'lowest VNC port (127.0.0.1)', min: 5900, max: 65535},
  {key: 'vncPortMax', kind: 'int', label: 'VNC port max', doc: 'highest VNC port', min: 5900, max: 65535},
  {key: 'httpPortMin', kind: 'int', label: 'HTTP port min', doc: 'lowest port of the HTTP server that serves the guest its files', min: 1, max: 65535},
  {key: 'httpPortMax', kind: 'int', label: 'HTTP port max', doc: 'highest HTTP port', min: 1, max: 65535},
  {key: 'sshKeyFile', kind: 'path', label: 'SSH key file', doc: 'your ed25519 key made by setup (not used by builds, which make a temporary key)', emptyMeans: () => 'none'},
  {key: 'setupVersion', kind: 'int', label: 'Setup version', doc: 'setup version last completed (0 = never)', min: 0, max: 1_000_000, internal: true},
];

/** What a fresh install uses: the same values a profile gets without settings, so defaults change no build. */
export function defaultSettings(): Settings {
  return {
    cacheDir: '',
    outputDir: '',
    memory: 512,
    cpus: 1,
    vncPortMin: 5900,
    vncPortMax: 6000,
    httpPortMin: 8000,
    httpPortMax: 9000,
    sshKeyFile: '',
    setupVersion: 0,
  };
}

export const specOf = (key: string): SettingSpec | undefined => SETTING_SPECS.find((s) => s.key === key);

/** The JSON schema (draft 2020-12 `properties`) conf validates the file against. No `default`s: see store.ts. */
export function jsonSchema(): Record<string, Record<string, unknown>> {
  const props: Record<string, Record<string, unknown>> = {};
  for (const s of SETTING_SPECS) {
    props[s.key] = s.kind === 'path' ? {type: 'string'} : {type: 'integer', minimum: s.min, maximum: s.max};
  }
  return props;
}

export interface SettingIssue {
  /** The setting's key ('' for the file as a whole). */
  key: string;
  message: string;
}

/** Type and range of one stored value; undefined when fine. */
export function checkValue(key: SettingKey, value: unknown): string | undefined {
  const spec = specOf(key);
  if (!spec) return 'unknown setting';
  if (spec.kind === 'path') {
    if (typeof value !== 'string') return `expected a path as a string, got ${describe(value)}`;
    if (value !== '' && !path.isAbsolute(value)) return `must be an absolute path (got "${value}")`;
    return undefined;
  }
  if (typeof value !== 'number' || !Number.isInteger(value)) return `expected a whole number, got ${describe(value)}`;
  if (spec.min !== undefined && value < spec.min) return `must be at least ${spec.min} (got ${value})`;
  if (spec.max !== undefined && value > spec.max) return `must be at most ${spec.max} (got ${value})`;
  return undefined;
}

/** Rules across fields (ranges must not be upside down). */
export function crossCheck(s: Settings): SettingIssue[] {
  const issues: SettingIssue[] = [];
  if (s.vncPortMin > s.vncPortMax) issues.push({key: 'vncPortMin', message: `must not be above vncPortMax (${s.vncPortMin} > ${s.vncPortMax})`});
  if (s.httpPortMin > s.httpPortMax) issues.push({key: 'httpPortMin', message: `must not be above httpPortMax (${s.httpPortMin} > ${s.httpPortMax})`});
  return issues;
}

/**
 * Read whatever a config file held: keep every valid field, default the rest, and name each
 * problem (unknown key, wrong type, out of range, min above max).
 */
export function sanitize(raw: unknown): {settings: Settings; issues: SettingIssue[]} {
  const settings = defaultSettings();
  const issues: SettingIssue[] = [];
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
    return {settings, issues: [{key: '', message: `expected a JSON object of settings, got ${describe(raw)}`}]};
  }
  for (const [key, value] of Object.entries(raw)) {
    const spec = specOf(key);
    if (!spec) {
      const near = closest(key, SETTING_SPECS.map((s) => s.key));
      issues.push({key, message: `unknown setting${near ? ` (did you mean "${near}"?)` : ''}`});
      continue;
    }
    const problem = checkValue(spec.key, value);
    if (problem) issues.push({key, message: problem});
    else (settings as unknown as Record<string, unknown>)[key] = value;
  }
  for (const issue of crossCheck(settings)) {
    issues.push(issue);
    // An upside-down range cannot be used: both ends go back to their defaults.
    const d = defaultSettings();
    if (issue.key === 'vncPortMin') [settings.vncPortMin, settings.vncPortMax] = [d.vncPortMin, d.vncPortMax];
    if (issue.key === 'httpPortMin') [settings.httpPortMin, settings.httpPortMax] = [d.httpPortMin, d.httpPortMax];
  }
  return {settings, issues};
}

/** Settings keys accepted by --set and the form: camelCase, or written as cache-dir / cache_dir. */
export function resolveKey(name: string): SettingSpec | undefined {
  const norm = name.replace(/[-_]([a-z])/g, (_, c: string) => c.toUpperCase());
  const spec = specOf(norm);
  return spec && !spec.internal ? spec : undefined;
}

export const editableKeys = (): SettingKey[] => SETTING_SPECS.filter((s) => !s.internal).map((s) => s.key);

/**
 * Parse text typed by the user (form field or `--set key=value`) into a stored value.
 * '' resets to the default. Paths get `~` expanded and are made absolute against `cwd`.
 * Throws an Error whose message names the problem (the caller adds the key).
 */
export function parseValue(spec: SettingSpec, text: string, cwd = process.cwd()): Settings[SettingKey] {
  const t = text.trim();
  if (t === '') return defaultSettings()[spec.key];
  if (spec.kind === 'path') {
    const expanded = t === '~' ? os.homedir() : t.startsWith('~/') ? path.join(os.homedir(), t.slice(2)) : t;
    return path.resolve(cwd, expanded);
  }
  let n: number;
  const size = spec.kind === 'mib' ? /^(\d+)\s*([MGT])i?B?$/i.exec(t) : null;
  if (size) n = Number(size[1]) * ({M: 1, G: 1024, T: 1024 * 1024} as Record<string, number>)[size[2]!.toUpperCase()]!;
  else if (/^\d+$/.test(t)) n = Number(t);
  else throw new Error(spec.kind === 'mib' ? `expected MiB as a whole number or a size like 2G, got "${t}"` : `expected a whole number, got "${t}"`);
  const problem = checkValue(spec.key, n);
  if (problem) throw new Error(problem);
  return n;
}

/**
 * Apply `key=value` assignments (from repeated --set) to settings. All problems are collected,
 * each naming its key; nothing is applied when any is wrong.
 */
export function applyAssignments(base: Settings, assignments: string[], cwd = process.cwd()): {settings: Settings; errors: string[]} {
  const next: Settings = {...base};
  const errors: string[] = [];
  for (const a of assignments) {
    const eq = a.indexOf('=');
    if (eq <= 0) {
      errors.push(`--set ${a}: expected key=value (keys: ${editableKeys().join(', ')})`);
      continue;
    }
    const name = a.slice(0, eq).trim();
    const spec = resolveKey(name);
    if (!spec) {
      const near = closest(name, editableKeys());
      errors.push(`--set ${name}: unknown setting${near ? ` (did you mean "${near}"?)` : ''}; settings: ${editableKeys().join(', ')}`);
      continue;
    }
    try {
      (next as unknown as Record<string, unknown>)[spec.key] = parseValue(spec, a.slice(eq + 1), cwd);
    } catch (err) {
      errors.push(`--set ${spec.key}: ${(err as Error).message}`);
    }
  }
  if (!errors.length) for (const i of crossCheck(next)) errors.push(`--set ${i.key}: ${i.message}`);
  return errors.length ? {settings: base, errors} : {settings: next, errors};
}

/** How a value reads in the form and in plain output ('' shows what it means). */
export function displayValue(spec: SettingSpec, value: Settings[SettingKey]): string {
  if (value === '' && spec.emptyMeans) return `(${spec.emptyMeans()})`;
  return String(value);
}

function describe(v: unknown): string {
  if (v === null || v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${JSON.stringify(v)}`;
}
