/**
 * Which archive and compression the compress post-processor writes, read from the output's
 * extensions as Packer's compress does (detectFromFilename): the last `.ext` picks the
 * compression (or is `tar`/`zip`), `.tar` just before it adds a tar; no extension, or one Packer
 * does not know, means a gzip'd tar. vmbench also knows `.zst` and `.bz2`, where Packer would
 * write a gzip'd tar under that name — said in a note. Pure.
 */

export type Compression = 'gzip' | 'bzip2' | 'xz' | 'lz4' | 'zstd';

export interface CompressFormat {
  /** An archive holding every file of the artifact; without one, the artifact must be one file. */
  archive?: 'tar' | 'zip';
  compression?: Compression;
  /** Where vmbench differs from Packer for this name (a warning). */
  note?: string;
  /** A format vmbench cannot write. */
  error?: string;
}

/** Packer's extensions (gz is Packer's pgzip: plain gzip output). */
const PACKER: Record<string, Compression | 'bgzf'> = {gz: 'gzip', lz4: 'lz4', bgzf: 'bgzf', xz: 'xz', bzip2: 'bzip2'};
/** Extensions vmbench adds. */
const VMBENCH: Record<string, Compression> = {zst: 'zstd', bz2: 'bzip2'};

/** The format for an output path (its `{{ }}` fields unrendered, as Packer reads it) and an optional `format`. */
export function compressFormat(output: string, format?: string): CompressFormat {
  const name = format ? `${output}.${format}` : output;
  const exts = [...name.matchAll(/\.([a-z0-9]+)/g)].map((m) => m[1]!);
  const last = exts.at(-1);
  if (last === undefined) return {archive: 'tar', compression: 'gzip'};
  if (last === 'tar' || last === 'zip') return {archive: last};
  const archive = exts.at(-2) === 'tar' ? ('tar' as const) : undefined;
  const packer = PACKER[last];
  if (packer === 'bgzf') return {error: 'bgzf (blocked gzip) is not supported by vmbench: use .gz, or .tar.gz for several files'};
  if (packer) return {archive, compression: packer};
  const extra = VMBENCH[last];
  if (extra) {
    return {archive, compression: extra, note: `Packer's compress does not know .${last} and would write a gzip'd tar under this name; vmbench writes ${extra}${archive ? ' (a tar)' : ''}`};
  }
  return {archive: 'tar', compression: 'gzip', note: `.${last} is not a compression Packer's compress knows, so this is a gzip'd tar (as in Packer); known: .tar .zip .gz .bzip2 .xz .lz4 (and .zst .bz2 in vmbench)`};
}
