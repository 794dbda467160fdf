/**
 * Loads what a user points vmbench at — a vmbench profile (profile.yaml or its folder), a Packer
 * JSON template, a Packer HCL2 file or folder of *.pkr.hcl — through the matching front end into
 * the one checker (check-profile.ts), which gives the engine the same checked Profile whatever
 * the format. Every problem is reported with file:line:col and the field path, all at once, so
 * a user fixes a profile in one pass; what vmbench accepts but does not use comes back as
 * warnings, never silently dropped.
 */
import {existsSync, readdirSync, readFileSync, statSync} from 'node:fs';
import path from 'node:path';
import {checkProfile, type CheckOptions} from './check-profile.js';
import {ProfileError, type ProfileDocument, type ProfileIssue} from './document.js';
import {packerHclDocuments} from './packer-hcl.js';
import {packerJsonDocuments} from './packer-json.js';
import type {Profile} from './schema.js';
import {yamlDocument} from './yaml-profile.js';

export {ProfileError, type ProfileIssue} from './document.js';
export {validateBootCommand} from './boot-check.js';

/** Packer's build selection, in its own words (`-only`, `-except`): builder names or types. */
export interface TemplateSelection {
  only?: string[];
  except?: string[];
  /** Variable files (`-var-file`), in order; later ones win. */
  varFiles?: string[];
}

export type LoadOptions = CheckOptions & TemplateSelection;

export type ProfileFormat = 'vmbench' | 'packer-json' | 'packer-hcl2';

export interface LoadedProfile {
  profile: Profile;
  /** Directory of the profile; relative paths inside it resolve against this. */
  dir: string;
  file: string;
  format?: ProfileFormat;
  /** What loads but is not used (or was translated): for `validate` and the picker. */
  warnings?: ProfileIssue[];
  /** What the front end read (fields and their positions): `validate` points at fields with it. */
  document?: ProfileDocument;
}

/** A front end: the documents (one per build) a file or folder holds. */
export type FrontEnd = (fileOrDir: string, opts: LoadOptions) => {format: ProfileFormat; documents: ProfileDocument[]; dir: string};

/** Which front end reads `fileOrDir`, by its name and contents. */
export function formatOf(fileOrDir: string): ProfileFormat {
  if (existsSync(fileOrDir) && statSync(fileOrDir).isDirectory()) {
    if (['profile.yaml', 'profile.yml'].some((n) => existsSync(path.join(fileOrDir, n)))) return 'vmbench';
    if (readdirSync(fileOrDir).some((n) => n.endsWith('.pkr.hcl') || n.endsWith('.pkr.json'))) return 'packer-hcl2';
    throw new Error(`${fileOrDir}: no profile.yaml and no *.pkr.hcl template in this directory`);
  }
  if (fileOrDir.endsWith('.pkr.hcl') || fileOrDir.endsWith('.pkr.json')) return 'packer-hcl2';
  if (fileOrDir.endsWith('.json')) return 'packer-json';
  return 'vmbench';
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

const yamlFrontEnd: FrontEnd = (fileOrDir) => {
  const file = profileFile(fileOrDir);
  const dir = path.dirname(path.resolve(file));
  return {format: 'vmbench', dir, documents: [yamlDocument(readFileSync(file, 'utf8'), file, path.basename(dir))]};
};

const FRONT_ENDS: Record<ProfileFormat, FrontEnd> = {'vmbench': yamlFrontEnd, 'packer-json': packerJsonDocuments, 'packer-hcl2': packerHclDocuments};

/** What a profile or template holds, as its front end read it (one document per build, not yet checked): for `inspect` and `import`. */
export function readDocuments(fileOrDir: string, opts: LoadOptions = {}): ReturnType<FrontEnd> {
  return FRONT_ENDS[formatOf(fileOrDir)](fileOrDir, opts);
}

/** Every build a profile or template defines (after -only/-except), each checked. */
export function loadProfiles(fileOrDir: string, opts: LoadOptions = {}): LoadedProfile[] {
  const format = formatOf(fileOrDir);
  const {documents, dir} = FRONT_ENDS[format](fileOrDir, opts);
  const errors: ProfileIssue[] = [];
  const loaded: LoadedProfile[] = [];
  // HCL2 templates take -var through their own variables (Packer's precedence, in packer-hcl.ts).
  const checkOpts: LoadOptions = format === 'packer-hcl2' ? {...opts, vars: undefined} : opts;
  for (const doc of documents) {
    const warnings: ProfileIssue[] = [];
    try {
      loaded.push({profile: checkProfile(doc, {...checkOpts, warnings}), dir, file: doc.file, format, warnings, document: doc});
    } catch (err) {
      if (!(err instanceof ProfileError)) throw err;
      // The build's warnings go with its errors: one run of validate names them all.
      errors.push(...err.issues, ...warnings.filter((w) => !err.issues.includes(w)));
    }
  }
  if (errors.length) throw new ProfileError(errors);
  return loaded;
}

/** The one build a profile or template defines; a template with several must be narrowed with -only. */
export function loadProfile(fileOrDir: string, opts: LoadOptions = {}): LoadedProfile {
  const all = loadProfiles(fileOrDir, opts);
  if (all.length === 1) return all[0]!;
  // The names -only matches: Packer's full names for HCL2 builds, builder names for JSON.
  const names = all.map((l) => l.document?.template?.selector ?? l.document?.template?.buildName ?? l.profile.name).join(', ');
  throw new Error(all.length ? `${fileOrDir} defines ${all.length} builds (${names}): pick one with -only=NAME` : `${fileOrDir}: no qemu build left to run (after -only/-except)`);
}

/** Parse and check profile YAML text; `file` is only used in messages. */
export function parseProfile(text: string, file: string, defaultName: string, opts: LoadOptions = {}): Profile {
  return checkProfile(yamlDocument(text, file, defaultName), opts);
}
