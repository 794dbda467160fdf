/**
 * What the profile picker lists: every profile in the search dirs (user dir first, so a user's
 * profile shadows a built-in one of the same name, as `vmbench build <name>` resolves it), then
 * the Packer templates in the working directory (one entry per build when a template defines
 * several), each loaded and validated, with the result of its newest build read back from its
 * events.jsonl, and where its ISO or disk image stands (cached and where, part-downloaded, to
 * download and how big, built by a script), read from the cache without touching the network.
 *
 * Never throws for a bad profile: a profile that fails validation is listed with its
 * ProfileError lines (file:line:col: field: message), so the picker shows what to fix.
 * No react/ink here (plain data, unit-tested without a terminal).
 */
import {closeSync, existsSync, openSync, readdirSync, readSync, statSync} from 'node:fs';
import path from 'node:path';
import {loadProfile, loadProfiles, ProfileError} from '../profiles/loader.js';
import {mediaStatus, type MediaFields, type MediaStatus} from '../iso/media-status.js';
import {BUILTIN_PROFILES, cacheDir as defaultCacheDir, profileSearchDirs, stateDir, userProfilesDir} from '../session/paths.js';
import {findTemplates, type FoundTemplate} from '../session/templates.js';

/** The newest build of a profile, as its events.jsonl tells it. */
export interface LastBuild {
  /** 'unfinished': the log has no end event (the build runs now, or vmbench was killed). */
  status: 'done' | 'failed' | 'cancelled' | 'unfinished';
  /** When it ended (ms since epoch); for 'unfinished', when the log was last written. */
  time: number;
  durationMs?: number;
  /** First line of the failure reason, if any. */
  reason?: string;
  logDir: string;
}

export interface ProfileEntry {
  /** The profile's name (its `name:` or its directory name). */
  name: string;
  /** Directory holding profile.yaml, or a template's file or folder: what `startBuild` receives. */
  dir: string;
  /** Where it was found ('template': a Packer template in the working directory). */
  origin: 'user' | 'builtin' | 'other' | 'template';
  /** A Packer template's format. */
  template?: FoundTemplate['kind'];
  /** One build of a template that defines several: the `-only` that picks it. */
  only?: string;
  distro?: string;
  installMethod?: string;
  description?: string;
  /** Validation problems, one line each (`file:line:col: field: message`); set = not buildable. */
  errors?: string[];
  lastBuild?: LastBuild;
  /** Its ISO or disk image: cached (where), partial, to download (size if known), local, built by a script. */
  media?: MediaStatus;
}

/** What tells two entries apart: a template's builds share its `dir`. */
export const entryKey = (e: Pick<ProfileEntry, 'dir' | 'only'>): string => (e.only !== undefined ? `${e.dir}#${e.only}` : e.dir);

export interface ListProfilesOptions {
  /** Directories holding `<name>/profile.yaml` (default: paths.ts profileSearchDirs()). */
  dirs?: string[];
  /**
   * Where Packer templates are looked for (default: the working directory when `dirs` is not
   * given; null: none).
   */
  templatesDir?: string | null;
  /** How a template is loaded (tests; default: the loader's loadProfiles). */
  loadTemplate?: typeof loadProfiles;
  /** Where `builds/<profile>-<stamp>-<id>/events.jsonl` live (default: paths.ts stateDir()). */
  stateDir?: string;
  /** The ISO cache (default: paths.ts cacheDir(); the workbench passes the settings' one). */
  cacheDir?: string;
}

/** The media status of a loaded profile; never throws (a row without it is still a row). */
function mediaOf(p: MediaFields, dir: string, cacheDir: string): {media?: MediaStatus} {
  try {
    return {media: mediaStatus(p, dir, cacheDir)};
  } catch {
    return {};
  }
}

/** Every profile in the search dirs, sorted by name; broken ones carry `errors`. */
export function listProfiles(opts: ListProfilesOptions = {}): ProfileEntry[] {
  const dirs = opts.dirs ?? profileSearchDirs();
  const buildsDir = path.join(opts.stateDir ?? stateDir(), 'builds');
  const builds = listBuildDirs(buildsDir);
  const seen = new Set<string>();
  const out: ProfileEntry[] = [];
  for (const root of dirs) {
    let names: string[];
    try {
      names = readdirSync(root).sort();
    } catch {
      continue; // a search dir that does not exist (no user profiles yet)
    }
    const abs = path.resolve(root);
    const origin: ProfileEntry['origin'] = abs === path.resolve(BUILTIN_PROFILES) ? 'builtin' : abs === path.resolve(userProfilesDir()) ? 'user' : 'other';
    for (const d of names) {
      const dir = path.join(root, d);
      if (seen.has(d) || !['profile.yaml', 'profile.yml'].some((f) => existsSync(path.join(dir, f)))) continue;
      seen.add(d);
      out.push(describeProfile(dir, origin, builds, undefined, opts.cacheDir));
    }
  }
  out.sort((a, b) => a.name.localeCompare(b.name));
  // Templates after the profiles, in path order: they are this folder's, not the library's.
  const templatesDir = opts.templatesDir === undefined ? (opts.dirs ? null : '.') : opts.templatesDir;
  if (templatesDir !== null) for (const t of findTemplates(templatesDir)) out.push(...describeTemplate(t, builds, opts.loadTemplate, opts.cacheDir));
  return out;
}

/**
 * A Packer template as the picker lists it: one entry per build it defines (each with the
 * `-only` that picks it), or one entry with its errors. Never throws.
 */
export function describeTemplate(t: FoundTemplate, builds?: BuildDirIndex, load: typeof loadProfiles = loadProfiles, cacheDir = defaultCacheDir()): ProfileEntry[] {
  const index = builds ?? listBuildDirs(path.join(stateDir(), 'builds'));
  const label = t.name;
  const base = {dir: t.path, origin: 'template' as const, template: t.kind};
  let entries: ProfileEntry[];
  try {
    const all = load(t.path);
    entries = all.map((l) => {
      // Builds are logged under the build's own name (`<name>-<stamp>-<id>`).
      const last = lastBuildResult(index, l.profile.name);
      return {
        ...base,
        name: all.length > 1 ? `${label}: ${l.profile.name}` : label,
        ...(all.length > 1 ? {only: l.profile.name} : {}),
        distro: l.profile.distro,
        installMethod: l.profile.install_method,
        description: l.profile.description || `${l.profile.name} from ${t.path}`,
        ...(last ? {lastBuild: last} : {}),
        ...mediaOf(l.profile, l.dir, cacheDir),
      };
    });
    if (!entries.length) entries = [{...base, name: label, errors: [`${t.path}: no qemu build in this template`]}];
  } catch (err) {
    const lines = err instanceof ProfileError ? err.issues.filter((i) => !i.warning).map((i) => `${i.file}:${i.line}:${i.col}: ${i.field ? `${i.field}: ` : ''}${i.message}`) : [`${t.path}: ${err instanceof Error ? err.message : String(err)}`];
    entries = [{...base, name: label, errors: lines}];
  }
  return entries;
}

/** One profile directory as the picker shows it (loads and validates it; never throws). */
export function describeProfile(dir: string, origin: ProfileEntry['origin'] = 'other', builds?: BuildDirIndex, buildsDir?: string, cacheDir = defaultCacheDir()): ProfileEntry {
  const index = builds ?? listBuildDirs(buildsDir ?? path.join(stateDir(), 'builds'));
  let entry: ProfileEntry;
  try {
    const loaded = loadProfile(dir);
    const {profile} = loaded;
    entry = {name: profile.name, dir, origin, distro: profile.distro, installMethod: profile.install_method, description: profile.description, ...mediaOf(profile, loaded.dir, cacheDir)};
  } catch (err) {
    const lines = err instanceof ProfileError ? err.message.split('\n') : [`${dir}: ${err instanceof Error ? err.message : String(err)}`];
    entry = {name: path.basename(dir), dir, origin, errors: lines};
  }
  const last = lastBuildResult(index, entry.name);
  if (last) entry.lastBuild = last;
  return entry;
}

/** Build log directories by profile name, newest first. */
export type BuildDirIndex = {root: string; names: string[]};

/** The build directories under `buildsDir` (empty when there is none yet). */
export function listBuildDirs(buildsDir: string): BuildDirIndex {
  try {
    return {root: buildsDir, names: readdirSync(buildsDir)};
  } catch {
    return {root: buildsDir, names: []};
  }
}

/** `<profile>-<ISO stamp with : and . as ->-<id>`; the stamp sorts as text. */
const STAMP = /^(\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-\d{3}Z)-[^-]+$/;

/** The newest build of `profile` that left an events.jsonl, and how it ended. */
export function lastBuildResult(index: BuildDirIndex, profile: string): LastBuild | undefined {
  const prefix = `${profile}-`;
  const candidates = index.names
    .filter((n) => n.startsWith(prefix) && STAMP.test(n.slice(prefix.length)))
    .sort((a, b) => (a.slice(prefix.length) < b.slice(prefix.length) ? 1 : -1));
  for (const name of candidates) {
    const logDir = path.join(index.root, name);
    const r = readBuildEnd(path.join(logDir, 'events.jsonl'));
    if (r) return {...r, logDir};
  }
  return undefined;
}

/** How much of the end of events.jsonl is read: the end event is the last line of a finished build. */
const TAIL_BYTES = 64 * 1024;

/**
 * The last `build` event of an events.jsonl, read from its tail (a log of a noisy build is
 * many megabytes; its end event is the last line). Undefined when there is no file.
 */
export function readBuildEnd(file: string): Omit<LastBuild, 'logDir'> | undefined {
  let fd: number | undefined;
  try {
    const st = statSync(file);
    fd = openSync(file, 'r');
    const len = Math.min(st.size, TAIL_BYTES);
    const buf = Buffer.alloc(len);
    readSync(fd, buf, 0, len, st.size - len);
    const lines = buf.toString('utf8').split('\n');
    for (let i = lines.length - 1; i >= 0; i--) {
      const line = lines[i]!;
      if (!line.startsWith('{"type":"build"')) continue;
      try {
        const e = JSON.parse(line) as {status: string; time: number; durationMs?: number; reason?: string};
        if (e.status === 'done' || e.status === 'failed' || e.status === 'cancelled') {
          return {status: e.status, time: e.time, ...(e.durationMs !== undefined ? {durationMs: e.durationMs} : {}), ...(e.reason ? {reason: e.reason.split('\n')[0]} : {})};
        }
        break; // 'started' after any end: this log's build did not finish
      } catch {
        // a line cut by the tail window or a torn write: keep looking
      }
    }
    return {status: 'unfinished', time: st.mtimeMs};
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** "3m ago", "2h ago", "5d ago" — compact, for an 80-column row. */
export function ago(time: number, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - time) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86400)}d ago`;
}

/** Case-insensitive match of a typed filter: substring first, else the letters in order (fuzzy-ish). */
export function matchesFilter(entry: ProfileEntry, filter: string): boolean {
  const f = filter.trim().toLowerCase();
  if (!f) return true;
  const hay = [entry.name, entry.distro ?? '', entry.installMethod ?? '', entry.description ?? ''].join(' ').toLowerCase();
  if (hay.includes(f)) return true;
  // Subsequence on the name only: "dbn" finds "debian-12", not random letters across the description.
  const name = entry.name.toLowerCase();
  let i = 0;
  for (const ch of name) if (ch === f[i]) i++;
  return i === f.length;
}
