/**
 * Writes a 1.44 MB FAT12 floppy image — what Packer's `floppy_files` / `floppy_dirs` /
 * `floppy_label` make (Packer formats it with go-fs: FAT12, label default "packer") — without
 * any external tool.
 *
 * API (for the engine's floppy step):
 *
 * ```ts
 * import {writeFloppy} from '../media/fat-writer.js';
 * const summary = await writeFloppy(
 *   {
 *     files: [
 *       {path: 'ks.cfg', file: '/path/to/http/ks.cfg'},           // a host file
 *       {path: 'scripts/setup.ps1', content: 'Write-Host hi\r\n'}, // bytes or UTF-8 text
 *     ],
 *     label: 'packer',   // floppy_label; default "packer" as Packer's
 *   },
 *   '/out/dir/packer-floppy.img',
 *   {signal},
 * );
 * // summary: {file, bytes, files, directories, label, freeBytes}
 * ```
 *
 * Names: every name keeps its case and length through VFAT long-name entries; the 8.3 short
 * name beside it is derived as Windows does ("user-data" → USER-D~1). Names that already are
 * upper-case 8.3 ("KS.CFG") get no long-name entries. A file whose mode has no owner write bit
 * gets the read-only attribute. Times are written from their UTC fields.
 *
 * Limits, each an error naming what does not fit: 1,457,664 bytes of data (2847 clusters of 512
 * bytes, directories included), 224 root directory entries (a long name takes one more entry per
 * 13 characters; put many files in a subdirectory). Written to a temporary file and renamed.
 */
import {COPY_CHUNK, copySource, writeAll, writeAtomically} from './image-file.js';
import {
  ATTR_ARCHIVE,
  ATTR_DIR,
  ATTR_READ_ONLY,
  ATTR_VOLUME,
  CLUSTERS,
  END_OF_CHAIN,
  FATS,
  FAT_SECTORS,
  FIRST_DATA_SECTOR,
  MEDIA,
  RESERVED,
  ROOT_ENTRIES,
  SECTOR,
  TOTAL_SECTORS,
  bootSector,
  dirEntry,
  setFat12,
} from './fat-format.js';
import {checkFatLabel, checkLongName, longNameEntries, shortNameChecksum, shortNames, type ShortName} from './fat-names.js';
import {buildTree, MediaError, resolveEntries, type MediaDir, type MediaEntry, type MediaFile} from './media-tree.js';

export type {MediaEntry} from './media-tree.js';
export {MediaError} from './media-tree.js';

export interface FloppySpec {
  files: readonly MediaEntry[];
  /** Volume label (floppy_label). Default "packer", as Packer's. At most 11 characters. */
  label?: string;
  /** Default mtime of entries without one, and the source of the volume serial (default: now). */
  date?: Date;
  /** Volume serial number (default: derived from `date`). */
  serial?: number;
}

export interface FloppySummary {
  file: string;
  bytes: number;
  files: number;
  directories: number;
  label: string;
  /** Data bytes left free (whole clusters). */
  freeBytes: number;
}

export interface FloppyPlan {
  /** The whole image except file contents (which belong at `files[i].offset`). */
  image: Buffer;
  files: {offset: number; file: MediaFile}[];
  fileCount: number;
  directories: number;
  freeClusters: number;
}

const WHAT = 'writeFloppy';
export const FLOPPY_BYTES = TOTAL_SECTORS * SECTOR;

/** Write the floppy image described by `spec` to `outFile` (replacing it when complete). */
export async function writeFloppy(spec: FloppySpec, outFile: string, opts: {signal?: AbortSignal} = {}): Promise<FloppySummary> {
  const label = spec.label ?? 'packer';
  const labelBytes = checkFatLabel(label, WHAT);
  const date = spec.date ?? new Date();
  const root = buildTree(await resolveEntries(spec.files, WHAT), date, WHAT);
  const plan = planFloppy(root, {label: labelBytes, date, serial: spec.serial ?? Math.floor(date.getTime() / 1000)});
  await writeAtomically(
    outFile,
    async (out) => {
      await writeAll(out, plan.image, 0);
      const buf = Buffer.allocUnsafe(Math.min(COPY_CHUNK, FLOPPY_BYTES));
      for (const {offset, file} of plan.files) {
        await copySource(out, offset, file.source, file.size, `${WHAT}: "${file.path}"`, buf, opts.signal);
      }
    },
    opts.signal,
  );
  return {file: outFile, bytes: FLOPPY_BYTES, files: plan.fileCount, directories: plan.directories, label, freeBytes: plan.freeClusters * SECTOR};
}

interface Slot {
  node: MediaDir | MediaFile;
  short: ShortName;
  long: boolean;
}

interface FDir {
  node: MediaDir;
  slots: Slot[];
  entries: number;
  parent?: FDir;
  cluster: number;
  clusters: number;
}

/** Lay out the floppy of `root` (pure): throws a MediaError when it does not fit. */
export function planFloppy(root: MediaDir, opts: {label: Buffer; date: Date; serial: number}): FloppyPlan {
  const dirs: FDir[] = [];
  const prepare = (node: MediaDir, parent: FDir | undefined): void => {
    const isRoot = !parent;
    for (const c of node.children) checkLongName(c.name, `${WHAT}: "${c.path}"`);
    const {short, needsLong} = shortNames(node.children.map((c) => c.name));
    const slots = node.children.map((c, i): Slot => ({node: c, short: short[i]!, long: needsLong[i]!}));
    const entries = (isRoot ? 1 : 2) + slots.reduce((n, s) => n + 1 + (s.long ? Math.ceil(s.node.name.length / 13) : 0), 0);
    const dir: FDir = {node, slots, entries, parent, cluster: 0, clusters: isRoot ? 0 : Math.ceil((entries * 32) / SECTOR)};
    dirs.push(dir);
    for (const c of node.children) if (c.kind === 'dir') prepare(c, dir);
  };
  prepare(root, undefined);
  const rootDir = dirs[0]!;
  if (rootDir.entries > ROOT_ENTRIES) {
    throw new MediaError(
      `${WHAT}: the root directory needs ${rootDir.entries} entries (the label, and one per file plus one per 13 characters of a long name); a 1.44 MB floppy's root holds ${ROOT_ENTRIES}: put files in a subdirectory`,
    );
  }
  const files = dirs.flatMap((d) => d.slots.filter((s) => s.node.kind === 'file').map((s) => s.node as MediaFile));
  const clustersOf = (bytes: number): number => Math.ceil(bytes / SECTOR);
  const need = dirs.reduce((n, d) => n + d.clusters, 0) + files.reduce((n, f) => n + clustersOf(f.size), 0);
  if (need > CLUSTERS) {
    throw new MediaError(
      `${WHAT}: the files need ${(need * SECTOR).toLocaleString('en')} bytes in ${SECTOR}-byte clusters (directories included); a 1.44 MB floppy holds ${(CLUSTERS * SECTOR).toLocaleString('en')}`,
    );
  }

  const image = Buffer.alloc(FLOPPY_BYTES);
  const fat = Buffer.alloc(FAT_SECTORS * SECTOR);
  setFat12(fat, 0, 0xf00 | MEDIA);
  setFat12(fat, 1, END_OF_CHAIN);
  let next = 2;
  const alloc = (count: number): number => {
    if (count === 0) return 0;
    const first = next;
    for (let i = 0; i < count; i++) setFat12(fat, first + i, i === count - 1 ? END_OF_CHAIN : first + i + 1);
    next += count;
    return first;
  };
  const offsetOf = (cluster: number): number => (FIRST_DATA_SECTOR + cluster - 2) * SECTOR;
  for (const d of dirs) d.cluster = alloc(d.clusters);
  const fileCluster = new Map<MediaFile, number>();
  const placed: FloppyPlan['files'] = [];
  for (const f of files) {
    const c = alloc(clustersOf(f.size));
    fileCluster.set(f, c);
    if (f.size > 0) placed.push({offset: offsetOf(c), file: f});
  }

  const byNode = new Map<MediaDir, FDir>(dirs.map((d) => [d.node, d]));
  const dot = (name: string): Buffer => Buffer.from(name.padEnd(11, ' '), 'latin1');
  for (const d of dirs) {
    const isRoot = d === rootDir;
    const out: Buffer[] = [];
    if (isRoot) out.push(dirEntry(opts.label, ATTR_VOLUME, 0, 0, opts.date));
    else {
      const parent = d.parent!;
      out.push(dirEntry(dot('.'), ATTR_DIR, d.cluster, 0, d.node.mtime));
      out.push(dirEntry(dot('..'), ATTR_DIR, parent === rootDir ? 0 : parent.cluster, 0, parent.node.mtime));
    }
    for (const s of d.slots) {
      if (s.long) out.push(...longNameEntries(s.node.name, shortNameChecksum(s.short.raw)));
      if (s.node.kind === 'dir') out.push(dirEntry(s.short.raw, ATTR_DIR, byNode.get(s.node)!.cluster, 0, s.node.mtime));
      else {
        const attr = ATTR_ARCHIVE | (s.node.mode & 0o200 ? 0 : ATTR_READ_ONLY);
        out.push(dirEntry(s.short.raw, attr, fileCluster.get(s.node)!, s.node.size, s.node.mtime));
      }
    }
    const at = isRoot ? (RESERVED + FATS * FAT_SECTORS) * SECTOR : offsetOf(d.cluster);
    Buffer.concat(out).copy(image, at);
  }
  bootSector({label: opts.label, serial: opts.serial}).copy(image, 0);
  for (let i = 0; i < FATS; i++) fat.copy(image, (RESERVED + i * FAT_SECTORS) * SECTOR);
  return {image, files: placed, fileCount: files.length, directories: dirs.length - 1, freeClusters: CLUSTERS - (next - 2)};
}
