/**
 * Loads a profile: a vmbench profile.yaml today, through its front end (yaml-profile.ts), into
 * the one checker (check-profile.ts). Every problem is reported with file:line:col and the
 * field path, all at once, so a user fixes a profile in one pass.
 */
import {existsSync, readFileSync, statSync} from 'node:fs';
import path from 'node:path';
import {checkProfile, type CheckOptions} from './check-profile.js';
import type {Profile} from './schema.js';
import {yamlDocument} from './yaml-profile.js';

export {ProfileError, type ProfileIssue} from './document.js';
export {validateBootCommand} from './boot-check.js';

export type LoadOptions = CheckOptions;

export interface LoadedProfile {
  profile: Profile;
  /** Directory of the profile; relative paths inside it resolve against this. */
  dir: string;
  file: string;
}

/** Find `profile.yaml` for a path that is the file itself or its directory. */
export function profileFile(fileOrDir: string): string {
  if (existsSync(fileOrDir) && statSync(fileOrDir).isDirectory()) {
    for (const n of ['profile.yaml', 'profile.yml']) {
      const f = path.join(fileOrDir, n);
      if (existsSync(f)) return f;
    }
    throw new Error(`${fileOrDir}: no profile.yaml in this directory`);
  }
  return fileOrDir;
}

export function loadProfile(fileOrDir: string, opts: LoadOptions = {}): LoadedProfile {
  const file = profileFile(fileOrDir);
  const text = readFileSync(file, 'utf8');
  const dir = path.dirname(path.resolve(file));
  return {profile: parseProfile(text, file, path.basename(dir), opts), dir, file};
}

/** Parse and check profile YAML text; `file` is only used in messages. */
export function parseProfile(text: string, file: string, defaultName: string, opts: LoadOptions = {}): Profile {
  return checkProfile(yamlDocument(text, file, defaultName), opts);
}
