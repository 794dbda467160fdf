/**
 * What the rest of vmbench needs from the settings: `loadSettings()` gives the effective values
 * (defaults filled in, paths resolved), and two helpers turn them into what `vmbench build`
 * passes on. Reading settings constructs no Conf (and so writes nothing) when there is no file.
 *
 * How a build applies them (command-line options still win over settings, and the profile's own
 * fields win over settings):
 *   const s = loadSettings();                       // never throws; s.warnings → stderr
 *   loadProfile(p, {vars, defaults: profileDefaults(s)});
 *   cacheDir:  values['cache-dir'] ?? s.cacheDir
 *   outputDir: values.output ?? outputDirFor(s, loaded.profile)
 */
import path from 'node:path';
import type {Profile} from '../profiles/schema.js';
import {defaultCacheDir, SETUP_VERSION, type Settings} from './schema.js';
import {describeIssues, readSettings, type SettingsLocation} from './store.js';

export * from './schema.js';
export {readSettings, saveSettings, settingsDir, settingsFile, describeIssues, SETTINGS_FILE_MODE, type ReadSettings, type SettingsLocation} from './store.js';

export interface EffectiveSettings {
  /** Absolute ISO cache directory (settings.cacheDir, or $XDG_CACHE_HOME/vmbench). */
  cacheDir: string;
  /** Absolute base for outputs, or undefined: use the profile's output_directory as it is. */
  outputBase?: string;
  memory: number;
  cpus: number;
  vncPorts: {min: number; max: number};
  httpPorts: {min: number; max: number};
  /** The user's own key from setup, if any (builds do not use it). */
  sshKeyFile?: string;
  /** True until the user has completed (this version of) setup: the workbench offers it. */
  needsSetup: boolean;
  /** The stored settings as read (defaults filled in). */
  stored: Settings;
  file: string;
  /** Problems with the settings file, one line each (file, key, what, where the backup is). Empty when fine. */
  warnings: string[];
}

/** The effective settings. Never throws and never writes the settings file (an invalid one is copied aside). */
export function loadSettings(opts: SettingsLocation = {}): EffectiveSettings {
  const read = readSettings(opts);
  const s = read.settings;
  return {
    cacheDir: s.cacheDir || defaultCacheDir(),
    outputBase: s.outputDir || undefined,
    memory: s.memory,
    cpus: s.cpus,
    vncPorts: {min: s.vncPortMin, max: s.vncPortMax},
    httpPorts: {min: s.httpPortMin, max: s.httpPortMax},
    sshKeyFile: s.sshKeyFile || undefined,
    needsSetup: s.setupVersion < SETUP_VERSION,
    stored: s,
    file: read.file,
    warnings: describeIssues(read),
  };
}

/** `LoadOptions.defaults` for loadProfile: used only for fields the profile does not set. */
export function profileDefaults(s: EffectiveSettings): Partial<Profile> {
  return {
    memory: s.memory,
    cpus: s.cpus,
    vnc_port_min: s.vncPorts.min,
    vnc_port_max: s.vncPorts.max,
    http_port_min: s.httpPorts.min,
    http_port_max: s.httpPorts.max,
  };
}

/**
 * The output directory under the settings' base: `<base>/<output_directory>` for a relative
 * output_directory (default `output-<name>`), an absolute one unchanged; undefined without a base
 * (the engine then uses output_directory relative to the working directory, as before).
 */
export function outputDirFor(s: EffectiveSettings, profile: Pick<Profile, 'output_directory'>): string | undefined {
  if (!s.outputBase) return undefined;
  return path.isAbsolute(profile.output_directory) ? profile.output_directory : path.join(s.outputBase, profile.output_directory);
}
