/**
 * Packer's rules for what goes on its CD and floppy, turned into writer entries
 * (src/media/iso-writer.ts, fat-writer.ts), so a template's media come out as Packer makes them:
 *
 * - `cd_files`: each path or glob (`*`, `?`, `[…]`, one directory level each, as Go's
 *   filepath.Glob); a file goes to the CD's root under its own name; a directory is copied with
 *   its structure under its own name — or, written with a trailing "/", its contents go to the
 *   root. `cd_content`: path → text, written last (it wins over a file at the same path).
 * - `floppy_files`: files (and every file found under a directory) go to the floppy's root
 *   under their own names — flat, "broken on purpose" as Packer's code says. `floppy_dirs`:
 *   directories copied with their structure under their own names. `floppy_content` wins.
 *
 * Relative paths are resolved against `baseDir` (Packer resolves them against the directory it
 * runs in). Where Packer silently lets a later file replace an earlier one, or a glob match
 * nothing, the result carries a warning naming it. A path that does not exist is an error
 * naming the field and index (`cd_files[2]`).
 */
import {readdir, stat} from 'node:fs/promises';
import path from 'node:path';
import {MediaError, type MediaEntry} from './media-tree.js';

export interface MediaSources {
  entries: MediaEntry[];
  /** Things Packer would do silently that the user should hear about. */
  warnings: string[];
}

/** The CD's entries from `cd_files` and `cd_content`. */
export async function cdEntries(opts: {cd_files?: readonly string[]; cd_content?: Readonly<Record<string, string>>}, baseDir: string): Promise<MediaSources> {
  const out = new Collector();
  for (const [i, pattern] of (opts.cd_files ?? []).entries()) {
    const field = `cd_files[${i}]`;
    for (const src of await expand(pattern, baseDir, field, out)) {
      const abs = path.resolve(baseDir, src);
      const st = await statOrThrow(abs, field, src);
      if (!st.isDirectory()) out.add(path.basename(abs), {file: abs}, `${field} ${src}`);
      else {
        // Packer keeps the directory's own name unless the path ends in "/" (then only its contents).
        const prefix = /[/\\]$/.test(src) ? '' : path.basename(abs);
        if (prefix) out.add(prefix, {directory: true}, `${field} ${src}`);
        for (const f of await walk(abs, field)) out.add(path.posix.join(prefix, f.rel), f.dir ? {directory: true} : {file: f.abs}, `${field} ${src}`);
      }
    }
  }
  for (const [p, text] of Object.entries(opts.cd_content ?? {})) out.add(p, {content: text}, `cd_content["${p}"]`, true);
  return out.result();
}

/** The floppy's entries from `floppy_files`, `floppy_dirs` and `floppy_content`. */
export async function floppyEntries(
  opts: {floppy_files?: readonly string[]; floppy_dirs?: readonly string[]; floppy_content?: Readonly<Record<string, string>>},
  baseDir: string,
): Promise<MediaSources> {
  const out = new Collector();
  for (const [i, pattern] of (opts.floppy_files ?? []).entries()) {
    const field = `floppy_files[${i}]`;
    for (const src of await expand(pattern, baseDir, field, out)) {
      const abs = path.resolve(baseDir, src);
      const st = await statOrThrow(abs, field, src);
      if (!st.isDirectory()) out.add(path.basename(abs), {file: abs}, `${field} ${src}`);
      else for (const f of await walk(abs, field)) if (!f.dir) out.add(path.basename(f.abs), {file: f.abs}, `${field} ${src}`);
    }
  }
  for (const [i, pattern] of (opts.floppy_dirs ?? []).entries()) {
    const field = `floppy_dirs[${i}]`;
    for (const src of await expand(pattern, baseDir, field, out)) {
      const abs = path.resolve(baseDir, src);
      const st = await statOrThrow(abs, field, src);
      if (!st.isDirectory()) out.add(path.basename(abs), {file: abs}, `${field} ${src}`);
      else {
        out.add(path.basename(abs), {directory: true}, `${field} ${src}`);
        for (const f of await walk(abs, field)) out.add(path.posix.join(path.basename(abs), f.rel), f.dir ? {directory: true} : {file: f.abs}, `${field} ${src}`);
      }
    }
  }
  for (const [p, text] of Object.entries(opts.floppy_content ?? {})) out.add(p, {content: text}, `floppy_content["${p}"]`, true);
  return out.result();
}

class Collector {
  private readonly byPath = new Map<string, {entry: MediaEntry; from: string}>();
  readonly warnings: string[] = [];

  add(imagePath: string, what: {file: string} | {content: string} | {directory: true}, from: string, wins = false): void {
    const key = path.posix.normalize(imagePath.replace(/\\/g, '/')).replace(/^\/+/, '');
    const seen = this.byPath.get(key);
    if (seen?.entry.directory && 'directory' in what) return; // the same directory reached twice
    if (seen && !wins) this.warnings.push(`${from} replaces ${seen.from} at /${key} (Packer keeps the last one)`);
    this.byPath.set(key, {entry: {path: key, ...what}, from});
  }

  result(): MediaSources {
    return {entries: [...this.byPath.values()].map((v) => v.entry), warnings: this.warnings};
  }
}

const GLOB_META = /[*?[]/;

/** A pattern's matches (sorted, as Go's filepath.Glob), or the path itself when it has no glob characters. */
async function expand(pattern: string, baseDir: string, field: string, out: Collector): Promise<string[]> {
  if (!GLOB_META.test(pattern)) return [pattern];
  const matches = await glob(pattern, baseDir, field);
  if (matches.length === 0) out.warnings.push(`${field}: "${pattern}" matches no file`);
  return matches;
}

/** Go's filepath.Glob: each path component may hold `*`, `?` and `[…]`; no `**`. */
export async function glob(pattern: string, baseDir: string, field = 'glob'): Promise<string[]> {
  const absolute = path.isAbsolute(pattern);
  const parts = pattern.split('/').filter((p, i) => p !== '' || i === 0);
  let found = [absolute ? '/' : ''];
  for (const [i, part] of parts.entries()) {
    if (i === 0 && absolute) continue;
    const next: string[] = [];
    for (const dir of found) {
      if (!GLOB_META.test(part)) {
        const p = dir ? path.join(dir, part) : part;
        if (i === parts.length - 1 || (await isDir(path.resolve(baseDir, p)))) next.push(p);
        continue;
      }
      const re = globRegex(part, field, pattern);
      let names: string[];
      try {
        names = (await readdir(path.resolve(baseDir, dir || '.'))).sort();
      } catch {
        continue;
      }
      for (const n of names) if (re.test(n)) next.push(dir ? path.join(dir, n) : n);
    }
    found = next;
  }
  const exists = await Promise.all(found.map(async (p) => (await stat(path.resolve(baseDir, p)).catch(() => undefined)) !== undefined));
  return found.filter((_, i) => exists[i]);
}

/** A regular expression for one glob component (Go's filepath.Match syntax). */
export function globRegex(part: string, field: string, pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < part.length; i++) {
    const c = part[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '\\' && i + 1 < part.length) re += escape(part[++i]!);
    else if (c === '[') {
      const end = part.indexOf(']', i + 2);
      if (end < 0) throw new MediaError(`${field}: "${pattern}" has a "[" without its "]"`);
      let cls = part.slice(i + 1, end);
      if (cls.startsWith('^')) cls = '^' + cls.slice(1).replace(/[\\\]]/g, '\\$&');
      else cls = cls.replace(/[\\\]^]/g, '\\$&');
      re += `[${cls}]`;
      i = end;
    } else re += escape(c);
  }
  return new RegExp(`^${re}$`, 'u');
}

function escape(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

async function isDir(p: string): Promise<boolean> {
  return (await stat(p).catch(() => undefined))?.isDirectory() ?? false;
}

async function statOrThrow(abs: string, field: string, given: string): Promise<import('node:fs').Stats> {
  try {
    return await stat(abs);
  } catch (err) {
    throw new MediaError(`${field}: ${given}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (err as Error).message}`);
  }
}

/** Every file and directory under `dir` (symlinks followed), relative to `dir`, depth first in name order. */
async function walk(dir: string, field: string, rel = '', depth = 0): Promise<{abs: string; rel: string; dir: boolean}[]> {
  if (depth > 64) throw new MediaError(`${field}: ${dir} is nested more than 64 levels deep (a symlink loop?)`);
  const out: {abs: string; rel: string; dir: boolean}[] = [];
  for (const name of (await readdir(dir)).sort()) {
    const abs = path.join(dir, name);
    const r = rel ? `${rel}/${name}` : name;
    if (await isDir(abs)) {
      out.push({abs, rel: r, dir: true});
      out.push(...(await walk(abs, field, r, depth + 1)));
    } else out.push({abs, rel: r, dir: false});
  }
  return out;
}
