/**
 * The input both image writers share (src/media/iso-writer.ts, src/media/fat-writer.ts): a flat
 * list of entries — each a path inside the image with bytes, a host file, or an empty directory —
 * checked and turned into a tree. Parent directories are implied by the paths.
 *
 * `resolveEntries` stats host files (sizes, default modes); `buildTree` is pure. A host file is
 * only opened when the image is written, and read in chunks, so a large file is never held in
 * memory; its size is checked again then, so an image never silently carries a file that changed.
 */
import {stat} from 'node:fs/promises';

/** One thing to put in an image. Exactly one of `content`, `file`, `directory`. */
export interface MediaEntry {
  /** Path inside the image, "/"-separated ("user-data", "scripts/setup.sh"); a leading "/" or "./" is ignored. */
  path: string;
  /** The file's bytes; a string is written as UTF-8. */
  content?: Uint8Array | string;
  /** A host file to copy (symlinks followed, as Packer copies a link's target). */
  file?: string;
  /** An (empty) directory; parents of other entries need not be listed. */
  directory?: boolean;
  /** Permission bits (0o7777 mask). Default: a host file's own, else 0o644 (files), 0o755 (directories). */
  mode?: number;
  /** Modification time. Default: a host file's own, else the image's date. */
  mtime?: Date;
}

/** Where a file's bytes come from. */
export type MediaSource = {kind: 'bytes'; bytes: Buffer} | {kind: 'file'; file: string};

export interface MediaFile {
  kind: 'file';
  name: string;
  /** Path inside the image, without a leading "/". */
  path: string;
  size: number;
  mode: number;
  mtime: Date;
  source: MediaSource;
}

export interface MediaDir {
  kind: 'dir';
  name: string;
  /** Path inside the image without a leading "/" ("" for the root). */
  path: string;
  mode: number;
  mtime: Date;
  /** Children sorted by name (UTF-16 code unit order), so images are reproducible. */
  children: MediaNode[];
}

export type MediaNode = MediaFile | MediaDir;

/** An entry whose host file has been looked at: size, mode and mtime are known. */
export interface ResolvedEntry {
  path: string;
  kind: 'file' | 'dir';
  size: number;
  mode?: number;
  mtime?: Date;
  source?: MediaSource;
}

/** Longest name component in bytes (Linux NAME_MAX; also Rock Ridge's practical limit). */
export const MAX_NAME_BYTES = 255;

/** The error both writers throw for bad input: names the writer, the entry and its path. */
export class MediaError extends Error {
  override name = 'MediaError';
}

/** Check entries and stat host files. `what` names the caller in messages ("writeIso"). */
export async function resolveEntries(entries: readonly MediaEntry[], what: string): Promise<ResolvedEntry[]> {
  return Promise.all(
    entries.map(async (e, i): Promise<ResolvedEntry> => {
      const where = `${what}: files[${i}]${typeof e?.path === 'string' ? ` "${e.path}"` : ''}`;
      if (!e || typeof e.path !== 'string') throw new MediaError(`${where}: path must be a string`);
      const given = [e.content !== undefined, e.file !== undefined, e.directory === true].filter(Boolean).length;
      if (given !== 1) throw new MediaError(`${where}: give exactly one of content, file or directory`);
      if (e.mode !== undefined && (!Number.isInteger(e.mode) || e.mode < 0 || e.mode > 0o7777)) {
        throw new MediaError(`${where}: mode must be permission bits between 0 and 0o7777, not ${e.mode}`);
      }
      if (e.mtime !== undefined && !(e.mtime instanceof Date && !Number.isNaN(e.mtime.getTime()))) {
        throw new MediaError(`${where}: mtime must be a valid Date`);
      }
      const base = {path: e.path, mode: e.mode, mtime: e.mtime};
      if (e.directory) return {...base, kind: 'dir', size: 0};
      if (e.content !== undefined) {
        const bytes = typeof e.content === 'string' ? Buffer.from(e.content, 'utf8') : Buffer.from(e.content.buffer, e.content.byteOffset, e.content.byteLength);
        return {...base, kind: 'file', size: bytes.length, source: {kind: 'bytes', bytes}};
      }
      const file = e.file!;
      let st;
      try {
        st = await stat(file);
      } catch (err) {
        throw new MediaError(`${where}: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      }
      if (!st.isFile()) throw new MediaError(`${where}: ${file} is not a regular file`);
      return {...base, kind: 'file', size: st.size, mode: e.mode ?? st.mode & 0o7777, mtime: e.mtime ?? st.mtime, source: {kind: 'file', file}};
    }),
  );
}

/** Split an image path into checked components. Throws naming `where`. */
export function splitImagePath(p: string, where: string): string[] {
  const parts = p.split('/').filter((s) => s !== '' && s !== '.');
  if (parts.length === 0) throw new MediaError(`${where}: path names no file`);
  for (const part of parts) {
    if (part === '..') throw new MediaError(`${where}: ".." may not appear in an image path`);
    if (part.includes('\0')) throw new MediaError(`${where}: a NUL character may not appear in a name`);
    if (Buffer.byteLength(part, 'utf8') > MAX_NAME_BYTES) throw new MediaError(`${where}: the name "${part.slice(0, 40)}…" is longer than ${MAX_NAME_BYTES} bytes`);
  }
  return parts;
}

/**
 * The tree of `entries`. Throws on a path given twice or a file used as a directory. Pure.
 * `date` is the default mtime of entries without one.
 */
export function buildTree(entries: readonly ResolvedEntry[], date: Date, what: string): MediaDir {
  const root: MediaDir = {kind: 'dir', name: '', path: '', mode: 0o755, mtime: date, children: []};
  const index = new Map<string, {node: MediaNode; at: number; implied: boolean}>([['', {node: root, at: -1, implied: true}]]);
  entries.forEach((e, i) => {
    const where = `${what}: files[${i}] "${e.path}"`;
    const parts = splitImagePath(e.path, where);
    let dir = root;
    for (let d = 0; d < parts.length - 1; d++) {
      const key = parts.slice(0, d + 1).join('/');
      const seen = index.get(key);
      if (seen && seen.node.kind !== 'dir') throw new MediaError(`${where}: ${key} is a file (files[${seen.at}]), not a directory`);
      if (seen) {
        dir = seen.node as MediaDir;
        continue;
      }
      const made: MediaDir = {kind: 'dir', name: parts[d]!, path: key, mode: 0o755, mtime: date, children: []};
      dir.children.push(made);
      index.set(key, {node: made, at: i, implied: true});
      dir = made;
    }
    const key = parts.join('/');
    const name = parts.at(-1)!;
    const seen = index.get(key);
    if (seen) {
      // A directory first implied by a deeper path may still be listed itself (to set its mode).
      if (e.kind === 'dir' && seen.node.kind === 'dir' && seen.implied) {
        seen.implied = false;
        seen.node.mode = e.mode ?? seen.node.mode;
        seen.node.mtime = e.mtime ?? seen.node.mtime;
        return;
      }
      const by = seen.implied ? `a directory (from files[${seen.at}])` : `already given by files[${seen.at}]`;
      throw new MediaError(`${where}: ${key} is ${by}`);
    }
    const node: MediaNode =
      e.kind === 'dir'
        ? {kind: 'dir', name, path: key, mode: e.mode ?? 0o755, mtime: e.mtime ?? date, children: []}
        : {kind: 'file', name, path: key, size: e.size, mode: e.mode ?? 0o644, mtime: e.mtime ?? date, source: e.source!};
    dir.children.push(node);
    index.set(key, {node, at: i, implied: false});
  });
  sortTree(root);
  return root;
}

function sortTree(dir: MediaDir): void {
  dir.children.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const c of dir.children) if (c.kind === 'dir') sortTree(c);
}

/** Every file under `dir`, depth first in name order (the order file data is laid out in). */
export function* filesOf(dir: MediaDir): Generator<MediaFile> {
  for (const c of dir.children) {
    if (c.kind === 'file') yield c;
    else yield* filesOf(c);
  }
}
