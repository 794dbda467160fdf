/** Where things live: built-in profiles, the user's profiles, cache and log directories. */
import {existsSync, readdirSync} from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {closest} from '../util/suggest.js';
import {configDir} from '../util/xdg.js';

/** The package root (dist/session/ or src/session/ → ../..). */
export const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BUILTIN_PROFILES = path.join(PACKAGE_ROOT, 'profiles');

export {cacheDir, stateDir} from '../util/xdg.js';
export const userProfilesDir = (): string => path.join(configDir(), 'profiles');

export function profileSearchDirs(): string[] {
  return [userProfilesDir(), BUILTIN_PROFILES];
}

/**
 * A profile argument is a path — anything with a `/`, a profile.yaml, a Packer template
 * (`*.json`, `*.pkr.hcl`), or a file or folder that exists here — or else a profile name looked
 * up in the search dirs (the user's first).
 */
export function resolveProfileArg(arg: string): string {
  if (arg.includes('/') || /\.(ya?ml|json|pkr\.hcl)$/.test(arg) || existsSync(path.join(arg, 'profile.yaml'))) return arg;
  for (const dir of profileSearchDirs()) {
    const candidate = path.join(dir, arg);
    if (existsSync(path.join(candidate, 'profile.yaml'))) return candidate;
  }
  // A folder of *.pkr.hcl in the working directory, named without ./
  if (existsSync(arg)) return arg;
  const names = listProfileNames();
  const guess = closest(arg, names);
  throw new Error(`no profile named "${arg}"${guess ? ` — did you mean "${guess}"?` : ''} (known: ${names.join(', ') || 'none'}; searched ${profileSearchDirs().join(', ')})`);
}

export function listProfileNames(): string[] {
  const names = new Set<string>();
  for (const dir of profileSearchDirs()) {
    if (!existsSync(dir)) continue;
    for (const d of readdirSync(dir)) if (existsSync(path.join(dir, d, 'profile.yaml'))) names.add(d);
  }
  return [...names].sort();
}
