/**
 * What goes on the CD and the floppy, with Packer's rules (packer-plugin-sdk commonsteps
 * step_create_cdrom.go and step_create_floppy.go), as entries for the writers in src/media/:
 *
 * - cd_files: a file goes to the root under its name; a directory keeps its name (`dir`) or,
 *   written with a trailing slash (`dir/`), puts its contents in the root; cd_content adds files
 *   by content at their paths.
 * - floppy_files: files go to the root under their names — the files found in a directory too,
 *   flattened; floppy_dirs: directories copied with their name and tree; floppy_content by content.
 * - Globs (`*`, `?`, `[…]` in any part of the path, as Go's filepath.Glob) are expanded; a pattern
 *   that matches nothing is reported back (Packer would silently leave it out).
 *
 * Relative paths are relative to the profile's directory.
 */
import {readdir, stat} from 'node:fs/promises';
import path from 'node:path';
import type {MediaEntry} from '../media/media-tree.js';
import type {Profile} from '../profiles/schema.js';

export interface MediaList {
  entries: MediaEntry[];
  /** Patterns that matched nothing, and paths that do not exist (for a warning or an error). */
  unmatched: string[];
}

const hasGlob = (p: string): boolean => /[*?[]/.test(p);

/** A Go filepath.Match pattern for one path component as a RegExp. Pure. */
export function globPart(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '\\' && i + 1 < pattern.length) re += escape(pattern[++i]!);
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) {
        re += '\\[';
        continue;
      }
      let body = pattern.slice(i + 1, end);
      if (body.startsWith('^')) body = `!${body.slice(1)}`;
      re += body.startsWith('!') ? `[^${body.slice(1).replaceAll('\\', '\\\\')}]` : `[${body.replaceAll('\\', '\\\\')}]`;
      i = end;
    } else re += escape(c);
  }
  return new RegExp(`^${re}$`, 'u');
}

function escape(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** Expand a glob pattern (absolute) into existing paths, sorted; a plain path is returned if it exists. */
export async function glob(pattern: string): Promise<string[]> {
  if (!hasGlob(pattern)) return (await exists(pattern)) ? [pattern] : [];
  const {root} = path.parse(pattern);
  const parts = pattern.slice(root.length).split(path.sep).filter(Boolean);
  let found = [root];
  for (const part of parts) {
    const next: string[] = [];
    for (const dir of found) {
      if (!hasGlob(part)) {
        const p = path.join(dir, part);
        if (await exists(p)) next.push(p);
        continue;
      }
      const re = globPart(part);
      let names: string[] = [];
      try {
        names = await readdir(dir);
      } catch {
        continue;
      }
      // Like Go (and the shell), a leading dot is matched only by a pattern that starts with one.
      for (const n of names.sort()) if (re.test(n) && (!n.startsWith('.') || part.startsWith('.'))) next.push(path.join(dir, n));
    }
    found = next;
  }
  return found;
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}

/** Every file under `dir` (depth first, sorted), and every directory, as paths relative to it. */
async function walk(dir: string): Promise<{files: string[]; dirs: string[]}> {
  const out = {files: [] as string[], dirs: [] as string[]};
  const visit = async (rel: string): Promise<void> => {
    for (const name of (await readdir(path.join(dir, rel))).sort()) {
      const r = rel ? `${rel}/${name}` : name;
      if ((await stat(path.join(dir, r))).isDirectory()) {
        out.dirs.push(r);
        await visit(r);
      } else out.files.push(r);
    }
  };
  await visit('');
  return out;
}

async function expand(patterns: readonly string[], base: string, unmatched: string[]): Promise<{given: string; path: string}[]> {
  const out: {given: string; path: string}[] = [];
  for (const given of patterns) {
    const found = await glob(path.resolve(base, given));
    if (!found.length) unmatched.push(given);
    for (const p of found) out.push({given, path: p});
  }
  return out;
}

/** A directory's tree under `prefix` in the image ("" = the root). */
async function tree(dir: string, prefix: string): Promise<MediaEntry[]> {
  const {files, dirs} = await walk(dir);
  const at = (rel: string): string => (prefix ? `${prefix}/${rel}` : rel);
  return [
    ...(prefix ? [{path: prefix, directory: true}] : []),
    ...dirs.map((d) => ({path: at(d), directory: true})),
    ...files.map((f) => ({path: at(f), file: path.join(dir, f)})),
  ];
}

const byContent = (content: Record<string, string>): MediaEntry[] => Object.entries(content).map(([p, text]) => ({path: p, content: text}));

/** The CD's entries: cd_files then cd_content. */
export async function cdEntries(profile: Pick<Profile, 'cd_files' | 'cd_content'>, base: string): Promise<MediaList> {
  const unmatched: string[] = [];
  const entries: MediaEntry[] = [];
  for (const {given, path: p} of await expand(profile.cd_files, base, unmatched)) {
    if (!(await stat(p)).isDirectory()) entries.push({path: path.basename(p), file: p});
    else entries.push(...(await tree(p, /[/\\]$/.test(given) && !hasGlob(given) ? '' : path.basename(p))));
  }
  entries.push(...byContent(profile.cd_content));
  return {entries, unmatched};
}

/** The floppy's entries: floppy_files (flattened), floppy_dirs (with their trees), floppy_content. */
export async function floppyEntries(profile: Pick<Profile, 'floppy_files' | 'floppy_dirs' | 'floppy_content'>, base: string): Promise<MediaList> {
  const unmatched: string[] = [];
  const entries: MediaEntry[] = [];
  for (const {path: p} of await expand(profile.floppy_files, base, unmatched)) {
    if (!(await stat(p)).isDirectory()) entries.push({path: path.basename(p), file: p});
    else for (const f of (await walk(p)).files) entries.push({path: path.basename(f), file: path.join(p, f)});
  }
  for (const {path: p} of await expand(profile.floppy_dirs, base, unmatched)) {
    if (!(await stat(p)).isDirectory()) entries.push({path: path.basename(p), file: p});
    else entries.push(...(await tree(p, path.basename(p))));
  }
  entries.push(...byContent(profile.floppy_content));
  return {entries, unmatched};
}
