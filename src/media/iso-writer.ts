/**
 * Writes an ISO 9660 image — what Packer's `cd_files` / `cd_content` / `cd_label` make with
 * `xorriso -as genisoimage -rock -joliet -volid LABEL` — without any external tool.
 *
 * API (for the engine's CD step):
 *
 * ```ts
 * import {writeIso} from '../media/iso-writer.js';
 * const summary = await writeIso(
 *   {
 *     files: [
 *       {path: 'user-data', file: '/path/to/http/user-data'},   // a host file, streamed
 *       {path: 'meta-data', content: 'instance-id: x\n'},         // bytes or UTF-8 text
 *       {path: 'empty-dir', directory: true},
 *     ],
 *     label: 'cidata',          // cd_label; default "packer" as Packer's
 *   },
 *   '/out/dir/packer-cd.iso',
 *   {signal},
 * );
 * // summary: {file, bytes, files, directories, label}
 * ```
 *
 * What the image holds: level-1 primary names (8.3, read by anything), Rock Ridge (real names up
 * to 255 bytes, modes, times; on by default) and Joliet (names up to 64 UCS-2 characters, what
 * Windows reads; on by default); directories of any depth (deeper than eight levels are
 * relocated as genisoimage does); files of any size (over 4 GiB in several extents). The volume
 * label is written as given ("cidata" stays lower case, as genisoimage writes it and cloud-init's
 * NoCloud and blkid read it); Joliet's copy holds its first 16 characters.
 *
 * The image is written to a temporary file beside `outFile` and renamed when complete; file
 * contents are copied in 1 MiB chunks, never held whole. Identical input (with `date` fixed)
 * gives an identical image. Bad input throws a `MediaError` naming the entry (`files[3]
 * "a/b"`) and the problem.
 */
import {checkVolumeLabel} from './iso-names.js';
import {planIso} from './iso-layout.js';
import {SECTOR} from './iso-records.js';
import {COPY_CHUNK, copySource, writeAll, writeAtomically} from './image-file.js';
import {buildTree, filesOf, resolveEntries, type MediaDir, type MediaEntry} from './media-tree.js';

export type {MediaEntry} from './media-tree.js';
export {MediaError} from './media-tree.js';

export interface IsoSpec {
  files: readonly MediaEntry[];
  /** Volume label (cd_label). Default "packer", as Packer's. Printable ASCII, at most 32 characters. */
  label?: string;
  /** Joliet names (default true, as Packer's `-joliet`). */
  joliet?: boolean;
  /** Rock Ridge names, modes and times (default true, as Packer's `-rock`). */
  rockRidge?: boolean;
  /** The volume's date and the default mtime of entries without one (default: now). */
  date?: Date;
}

export interface IsoWriteOptions {
  signal?: AbortSignal;
  /** Largest extent per file (a multiple of 2048); only tests lower it, to exercise multi-extent files. */
  maxExtentBytes?: number;
}

export interface IsoSummary {
  file: string;
  /** The image's size in bytes. */
  bytes: number;
  files: number;
  directories: number;
  label: string;
}

const WHAT = 'writeIso';

/** Write the ISO image described by `spec` to `outFile` (replacing it when complete). */
export async function writeIso(spec: IsoSpec, outFile: string, opts: IsoWriteOptions = {}): Promise<IsoSummary> {
  const label = checkVolumeLabel(spec.label ?? 'packer', WHAT);
  const date = spec.date ?? new Date();
  const root = buildTree(await resolveEntries(spec.files, WHAT), date, WHAT);
  return writeIsoTree(root, outFile, {label, date, joliet: spec.joliet ?? true, rockRidge: spec.rockRidge ?? true}, opts);
}

/** Write an already built tree (src/media/media-tree.ts buildTree) as an ISO image. */
export async function writeIsoTree(
  root: MediaDir,
  outFile: string,
  spec: {label: string; date: Date; joliet: boolean; rockRidge: boolean},
  opts: IsoWriteOptions = {},
): Promise<IsoSummary> {
  const plan = planIso(root, {...spec, maxExtentBytes: opts.maxExtentBytes ?? 0xffff_f800, application: 'VMBENCH'});
  const bytes = plan.totalSectors * SECTOR;
  await writeAtomically(
    outFile,
    async (out) => {
      // Metadata first (small), then file data in block order; unwritten blocks read as zeros.
      for (const m of plan.metadata) await writeAll(out, m.data, m.lba * SECTOR);
      const buf = Buffer.allocUnsafe(COPY_CHUNK);
      for (const {lba, file} of plan.files) {
        opts.signal?.throwIfAborted();
        await copySource(out, lba * SECTOR, file.source, file.size, `${WHAT}: "${file.path}"`, buf, opts.signal);
      }
      await out.truncate(bytes);
    },
    opts.signal,
  );
  let files = 0;
  for (const _ of filesOf(root)) files++;
  return {file: outFile, bytes, files, directories: countDirs(root), label: spec.label};
}

function countDirs(dir: MediaDir): number {
  return dir.children.reduce((n, c) => n + (c.kind === 'dir' ? 1 + countDirs(c) : 0), 0);
}
