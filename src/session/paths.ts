/** Where things live: built-in profiles, the user's profiles, cache and log directories. */
import {existsSync, readdirSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';

/** The package root (dist/session/ or src/session/ → ../..). */
export const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BUILTIN_PROFILES = path.join(PACKAGE_ROOT, 'profiles');

const xdg = (name: string, fallback: string): string => process.env[name] || path.join(os.homedir(), fallback);
export const cacheDir = (): string => path.join(xdg('XDG_CACHE_HOME', '.cache'), 'vmbench');
export const stateDir = (): string => path.join(xdg('XDG_STATE_HOME', '.local/state'), 'vmbench');
export const userProfilesDir = (): string => path.join(xdg('XDG_CONFIG_HOME', '.config'), 'vmbench', 'profiles');

export function profileSearchDirs(): string[] {
  return [userProfilesDir(), BUILTIN_PROFILES];
}

/** A profile argument is a path (contains / or ends in .yaml) or a name looked up in the search dirs. */
export function resolveProfileArg(arg: string): string {
  if (arg.includes('/') || /\.ya?ml$/.test(arg) || existsSync(path.join(arg, 'profile.yaml'))) return arg;
  for (const dir of profileSearchDirs()) {
    const candidate = path.join(dir, arg);
    if (existsSync(path.join(candidate, 'profile.yaml'))) return candidate;
  }
  const known = listProfileNames().join(', ');
  throw new Error(`no profile named "${arg}" (known: ${known || 'none'}; searched ${profileSearchDirs().join(', ')})`);
}

export function listProfileNames(): string[] {
  const names = new Set<string>();
  for (const dir of profileSearchDirs()) {
    if (!existsSync(dir)) continue;
    for (const d of readdirSync(dir)) if (existsSync(path.join(dir, d, 'profile.yaml'))) names.add(d);
  }
  return [...names].sort();
}
