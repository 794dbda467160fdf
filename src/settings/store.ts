/**
 * Settings on disk, through conf: `$XDG_CONFIG_HOME/vmbench-nodejs/config.json`, mode 0600,
 * validated against the JSON schema made from SETTING_SPECS.
 *
 * conf traps this file works around (conf 15.1, read from its source):
 * - Constructing a Conf whose file is missing creates the directory, and writes the file at once
 *   when `defaults` or schema `default`s exist. Reading settings (every build does) must not
 *   write, so no defaults are given to conf: they are applied here, and a missing file is read
 *   without constructing a Conf at all.
 * - An invalid file (bad JSON, schema violation) makes the constructor throw; with
 *   `clearInvalidConfig` it is silently emptied and the next write loses the user's file. So
 *   invalid files are caught here: every problem is reported with its key, valid fields are
 *   kept, a copy of the file is kept beside it (named by content hash, so repeated reads do not
 *   pile up copies), and only then may a save replace it.
 * - conf writes through `atomically` with `mode`, which chmods the temp file before the rename:
 *   the file is 0600 whatever the umask and whatever mode an older file had.
 */
import {createHash} from 'node:crypto';
import {copyFileSync, existsSync, mkdirSync, readFileSync, rmSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type Conf from 'conf';
import {defaultSettings, jsonSchema, sanitize, type SettingIssue, type Settings} from './schema.js';

export const SETTINGS_FILE_MODE = 0o600;

export interface SettingsLocation {
  /** Directory holding config.json. Default: $XDG_CONFIG_HOME/vmbench-nodejs (conf's own naming). */
  cwd?: string;
}

/** Where the settings live (conf's env-paths naming, but XDG on every platform like the rest of vmbench). */
export function settingsDir(opts: SettingsLocation = {}): string {
  return opts.cwd ?? path.join(process.env.XDG_CONFIG_HOME || path.join(os.homedir(), '.config'), 'vmbench-nodejs');
}

export const settingsFile = (opts: SettingsLocation = {}): string => path.join(settingsDir(opts), 'config.json');

export interface ReadSettings {
  settings: Settings;
  file: string;
  /** False on first run (no file yet). */
  exists: boolean;
  /** Problems found in the file; the affected fields use their defaults. */
  issues: SettingIssue[];
  /** Where a copy of an invalid file was kept. */
  backup?: string;
}

/**
 * conf is imported only to write. Importing it loads atomically → when-exit, which hooks
 * SIGINT/SIGTERM/SIGHUP at import time and re-raises the signal to this process after the
 * first one: a single Ctrl-C then looked like two, and the build stopped at once instead of
 * cleaning up. Reading needs no conf (plain JSON, validated by our own schema code); writing
 * (setup, also inside the workbench before a build) removes the handlers the import added —
 * vmbench's own signal handling decides what a signal means.
 */
async function openConf(opts: SettingsLocation): Promise<Conf<Settings>> {
  const signals = Object.keys(os.constants.signals) as NodeJS.Signals[];
  const before = new Map(signals.map((s) => [s, new Set(process.listeners(s))]));
  const {default: Conf} = await import('conf');
  for (const s of signals) for (const l of process.listeners(s)) if (!before.get(s)!.has(l)) process.off(s, l as (...a: unknown[]) => void);
  return new Conf<Settings>({
    projectName: 'vmbench',
    cwd: settingsDir(opts),
    schema: jsonSchema() as never,
    rootSchema: {additionalProperties: false},
    configFileMode: SETTINGS_FILE_MODE,
    clearInvalidConfig: false,
    // Keys are flat; a dot in a key must not become a nested path.
    accessPropertiesByDotNotation: false,
  });
}

/**
 * Read the settings. Never throws for a bad file and never writes the settings file: a
 * missing file gives the defaults, an invalid one gives the valid fields plus defaults, with
 * each problem in `issues` and a copy of the file in `backup`.
 */
export function readSettings(opts: SettingsLocation = {}): ReadSettings {
  const file = settingsFile(opts);
  if (!existsSync(file)) return {settings: defaultSettings(), file, exists: false, issues: []};
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    return {settings: defaultSettings(), file, exists: true, issues: [{key: '', message: `cannot read: ${(err as Error).message}`}]};
  }
  let raw: unknown;
  let issues: SettingIssue[];
  let settings: Settings;
  try {
    raw = JSON.parse(text);
    ({settings, issues} = sanitize(raw));
  } catch (err) {
    settings = defaultSettings();
    issues = [{key: '', message: `not valid JSON: ${(err as Error).message}`}];
  }
  if (!issues.length) return {settings, file, exists: true, issues: []};
  return {settings, file, exists: true, issues, backup: keepBackup(file, text)};
}

/** A copy of an invalid file, named by its content so the same file is copied only once. */
function keepBackup(file: string, text: string): string | undefined {
  const hash = createHash('sha256').update(text).digest('hex').slice(0, 12);
  const backup = `${file}.invalid-${hash}`;
  try {
    if (!existsSync(backup)) copyFileSync(file, backup);
    return backup;
  } catch {
    return undefined;
  }
}

/**
 * Write the settings (0600). Throws if they are invalid. An existing file conf cannot read is
 * copied aside first (see readSettings), never lost.
 */
export async function saveSettings(settings: Settings, opts: SettingsLocation = {}): Promise<{file: string; backup?: string}> {
  const {settings: clean, issues} = sanitize(settings);
  if (issues.length) throw new Error(`invalid settings: ${issues.map((i) => `${i.key}: ${i.message}`).join('; ')}`);
  const file = settingsFile(opts);
  let backup: string | undefined;
  if (existsSync(file)) {
    const before = readSettings(opts);
    if (before.issues.length) {
      if (!before.backup) throw new Error(`${file} is invalid and could not be copied aside; not overwriting it`);
      backup = before.backup;
      rmSync(file);
    }
  }
  // Settings may name paths; keep the directory private like the file.
  mkdirSync(settingsDir(opts), {recursive: true, mode: 0o700});
  const conf = await openConf(opts);
  conf.store = clean;
  return {file: conf.path, backup};
}

/** One line per problem, naming the file and the key, for stderr or the setup screen. */
export function describeIssues(read: ReadSettings): string[] {
  if (!read.issues.length) return [];
  return [
    ...read.issues.map((i) => `${read.file}: ${i.key ? `${i.key}: ` : ''}${i.message}`),
    `  using the defaults for ${read.issues.some((i) => !i.key) ? 'every setting' : 'those settings'}${read.backup ? `; the file is kept as ${read.backup}` : ''}; fix with: vmbench setup`,
  ];
}
