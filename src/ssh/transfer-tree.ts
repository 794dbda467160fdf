/**
 * What both ways of copying (SFTP in transfer.ts, exec cat/tar in transfer-exec.ts) share: the
 * tree being copied, its plan, path rules (Packer's trailing slash) and the errors.
 */
import {readdir, realpath, stat} from 'node:fs/promises';
import path from 'node:path';
import {shellQuote} from './upload.js';
import type {TransferPlan} from './types.js';

export const posix = path.posix;

/** A transfer that cannot be done as asked (missing destination, no SFTP nor tar, …). */
export class TransferError extends Error {
  override name = 'TransferError';
}

export interface TreeEntry {
  /** POSIX path relative to the root; '' is the root itself. */
  rel: string;
  kind: 'file' | 'dir';
  /** Permission bits (0o7777). */
  mode: number;
  size: number;
}

export interface Tree {
  entries: TreeEntry[];
  skipped: string[];
}

export function planOf(tree: Tree): TransferPlan {
  let files = 0;
  let dirs = 0;
  let bytes = 0;
  for (const e of tree.entries) {
    if (e.kind === 'dir') dirs++;
    else (files++, (bytes += e.size));
  }
  return {files, dirs, bytes};
}

export const hasTrailingSlash = (p: string): boolean => /[\\/]$/.test(p) && p.replace(/[\\/]+$/, '') !== '';
export const trimRemote = (p: string): string => p.replace(/\/+$/, '') || '/';
export const joinRel = (rel: string, name: string): string => (rel ? `${rel}/${name}` : name);

/** Lists a local file or tree, following symbolic links (like Packer's SFTP walk), pre-order. */
export async function scanLocal(root: string): Promise<Tree> {
  const tree: Tree = {entries: [], skipped: []};
  const walk = async (abs: string, rel: string, ancestors: ReadonlySet<string>): Promise<void> => {
    const st = await stat(abs);
    if (st.isDirectory()) {
      const real = await realpath(abs);
      if (ancestors.has(real)) throw new TransferError(`${abs}: symbolic link loop`);
      tree.entries.push({rel, kind: 'dir', mode: st.mode & 0o7777, size: 0});
      const next = new Set(ancestors).add(real);
      for (const name of (await readdir(abs)).sort()) await walk(path.join(abs, name), joinRel(rel, name), next);
    } else if (st.isFile()) {
      tree.entries.push({rel, kind: 'file', mode: st.mode & 0o7777, size: st.size});
    } else tree.skipped.push(rel || abs);
  };
  await walk(root, '', new Set());
  return tree;
}

/** A directory upload into a destination that is missing or not a directory. */
export function mustExist(dest: string, why: string): TransferError {
  return new TransferError(
    `destination ${dest} ${why} on the guest: for a directory upload it must already exist (Packer's rule); create it first, e.g. with a shell provisioner running mkdir -p ${shellQuote(dest)}`,
  );
}
