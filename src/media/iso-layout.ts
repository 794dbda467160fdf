/**
 * Where everything goes in an ISO 9660 image (pure): the primary tree (level-1 names, Rock
 * Ridge entries, directories deeper than ISO 9660's eight levels relocated under RR_MOVED with
 * CL/PL/RE entries as genisoimage does), the Joliet tree, path tables, and the blocks of every
 * file. Returns the metadata blocks as bytes and the files' block addresses; writing the file
 * data is the caller's (src/media/iso-writer.ts), so contents never pass through here.
 *
 * Block order: system area (0–15), primary descriptor (16), Joliet descriptor, terminator, path
 * tables, primary directories, Rock Ridge continuation blocks, Joliet directories, file data,
 * then 150 blocks of padding (genisoimage's default: Linux's read-ahead on a CD must not run
 * off the end of the image).
 *
 * Records carry block numbers (CE, CL, PL, extents) whose values do not change their lengths,
 * so the directories are built twice: once to measure, once with the final numbers.
 */
import {filesOf, type MediaDir, type MediaFile} from './media-tree.js';
import {compareBytes, compareIsoIds, isoNames, jolietId, jolietNames, ucs2be} from './iso-names.js';
import {
  CE_LENGTH,
  DOT,
  DOTDOT,
  FLAG_DIR,
  FLAG_MORE,
  SECTOR,
  directoryRecord,
  pathTableRecord,
  recordLength,
  rrCL,
  rrNM,
  rrPL,
  rrPX,
  rrRE,
  rrTF,
  suspCE,
  suspER,
  suspSP,
  terminatorDescriptor,
  volumeDescriptor,
} from './iso-records.js';

export interface IsoLayoutOptions {
  /** Volume label, already checked (src/media/iso-names.ts checkVolumeLabel). */
  label: string;
  joliet: boolean;
  rockRidge: boolean;
  /** The volume's creation date. */
  date: Date;
  /** Largest extent of one file; larger files are recorded in several (ISO 9660 level 3). */
  maxExtentBytes: number;
  application: string;
}

export interface IsoPlan {
  totalSectors: number;
  /** Metadata blocks (descriptors, path tables, directories) in block order. */
  metadata: {lba: number; data: Buffer}[];
  /** Each non-empty file's first block, in block order; its blocks follow contiguously. */
  files: {lba: number; file: MediaFile}[];
}

/** ISO 9660 allows eight directory levels, the root being the first. */
export const MAX_LEVEL = 8;
/** Padding blocks after the data. */
export const PAD_SECTORS = 150;
const SYSTEM_AREA = 16;
const MAX_EXTENT = 0xffff_f800; // the largest multiple of 2048 below 4 GiB

interface PDir {
  node: MediaDir;
  id: string;
  parent: PDir;
  realParent: PDir;
  relocated: boolean;
  level: number;
  entries: PEntry[];
  number: number;
  lba: number;
  size: number;
}
type PEntry = {id: string; kind: 'file'; file: MediaFile} | {id: string; kind: 'dir' | 'placeholder'; dir: PDir};

interface JDir {
  node: MediaDir;
  id: Buffer;
  parent: JDir;
  entries: ({id: Buffer; kind: 'file'; file: MediaFile} | {id: Buffer; kind: 'dir'; dir: JDir})[];
  number: number;
  lba: number;
  size: number;
}

/** Lay out the image of `root`. Pure. */
export function planIso(root: MediaDir, opts: IsoLayoutOptions): IsoPlan {
  const maxExtent = opts.maxExtentBytes;
  if (maxExtent <= 0 || maxExtent % SECTOR !== 0 || maxExtent > MAX_EXTENT) throw new Error(`maxExtentBytes must be a positive multiple of ${SECTOR} up to ${MAX_EXTENT}`);
  const primary = primaryTree(root, opts.rockRidge);
  const pDirs = numbered(primary, (d) => d.entries.flatMap((e) => (e.kind === 'dir' ? [e.dir] : [])));
  const jRoot = opts.joliet ? jolietTree(root) : undefined;
  const jDirs = jRoot ? numbered(jRoot, (d) => d.entries.flatMap((e) => (e.kind === 'dir' ? [e.dir] : []))) : [];
  const fileLba = new Map<MediaFile, number>();
  const ctx: EncodeContext = {opts, fileLba, maxExtent, ce: new CeAllocator(0)};

  // Pass 1: sizes (every block number still 0).
  for (const d of pDirs) d.size = packed(primaryRecords(d, ctx)).length;
  const ceSectors = ctx.ce.sectors;
  for (const d of jDirs) d.size = packed(jolietRecords(d, ctx)).length;
  const pTable = pathTable(pDirs, (d) => (d.id ? Buffer.from(d.id, 'latin1') : DOT), true);
  const jTable = jRoot ? pathTable(jDirs, (d) => (d.number === 1 ? DOT : d.id), true) : Buffer.alloc(0);

  // Block numbers.
  let lba = SYSTEM_AREA + (opts.joliet ? 3 : 2);
  const take = (bytes: number): number => {
    const at = lba;
    lba += Math.ceil(bytes / SECTOR);
    return at;
  };
  const pL = take(pTable.length);
  const pM = take(pTable.length);
  const jL = jRoot ? take(jTable.length) : 0;
  const jM = jRoot ? take(jTable.length) : 0;
  for (const d of pDirs) d.lba = take(d.size);
  const ceBase = take(ceSectors * SECTOR);
  for (const d of jDirs) d.lba = take(d.size);
  const files: IsoPlan['files'] = [];
  for (const f of filesOf(root)) {
    if (f.size === 0) continue; // empty files point at block 0 and take no blocks
    const at = take(f.size);
    fileLba.set(f, at);
    files.push({lba: at, file: f});
  }
  const totalSectors = lba + PAD_SECTORS;

  // Pass 2: the bytes, with every number in place.
  ctx.ce = new CeAllocator(ceBase);
  const metadata: IsoPlan['metadata'] = [];
  const rootRecord = (lbaOf: number, size: number): Buffer => directoryRecord({lba: lbaOf, size, flags: FLAG_DIR, date: root.mtime, id: DOT});
  metadata.push({
    lba: SYSTEM_AREA,
    data: volumeDescriptor({
      type: 1,
      volumeId: Buffer.from(opts.label, 'latin1'),
      totalSectors,
      pathTableSize: pTable.length,
      lPathLba: pL,
      mPathLba: pM,
      root: rootRecord(primary.lba, primary.size),
      date: opts.date,
      application: opts.application,
    }),
  });
  if (jRoot) {
    metadata.push({
      lba: SYSTEM_AREA + 1,
      data: volumeDescriptor({
        type: 2,
        volumeId: ucs2be([...opts.label].slice(0, 16).join('')),
        totalSectors,
        pathTableSize: jTable.length,
        lPathLba: jL,
        mPathLba: jM,
        root: rootRecord(jRoot.lba, jRoot.size),
        date: opts.date,
        application: opts.application,
      }),
    });
  }
  metadata.push({lba: SYSTEM_AREA + (jRoot ? 2 : 1), data: terminatorDescriptor()});
  metadata.push({lba: pL, data: pathTable(pDirs, (d) => (d.id ? Buffer.from(d.id, 'latin1') : DOT), true)});
  metadata.push({lba: pM, data: pathTable(pDirs, (d) => (d.id ? Buffer.from(d.id, 'latin1') : DOT), false)});
  if (jRoot) {
    metadata.push({lba: jL, data: pathTable(jDirs, (d) => (d.number === 1 ? DOT : d.id), true)});
    metadata.push({lba: jM, data: pathTable(jDirs, (d) => (d.number === 1 ? DOT : d.id), false)});
  }
  for (const d of pDirs) metadata.push({lba: d.lba, data: packed(primaryRecords(d, ctx))});
  if (ctx.ce.sectors !== ceSectors) throw new Error('internal: continuation areas differ between passes');
  if (ceSectors > 0) metadata.push({lba: ceBase, data: ctx.ce.bytes()});
  for (const d of jDirs) metadata.push({lba: d.lba, data: packed(jolietRecords(d, ctx))});
  return {totalSectors, metadata, files};
}

/** The primary tree: level-1 identifiers; with Rock Ridge, deep directories moved under RR_MOVED. */
function primaryTree(root: MediaDir, rockRidge: boolean): PDir {
  const top = {node: root, id: '', relocated: false, level: 1, entries: [], number: 1, lba: 0, size: 0} as unknown as PDir;
  top.parent = top.realParent = top;
  const needsMove = rockRidge && deepest(root, 1) > MAX_LEVEL;
  let moved: PDir | undefined;
  const movedDir = (): PDir => {
    if (moved) return moved;
    const node: MediaDir = {kind: 'dir', name: '.rr_moved', path: '.rr_moved', mode: 0o755, mtime: root.mtime, children: []};
    moved = {node, id: 'RR_MOVED', parent: top, realParent: top, relocated: false, level: 2, entries: [], number: 0, lba: 0, size: 0};
    top.entries.push({id: 'RR_MOVED', kind: 'dir', dir: moved});
    return moved;
  };
  const fill = (dir: PDir): void => {
    const kids = dir.node.children;
    const ids = isoNames(
      kids.map((c) => ({name: c.name, dir: c.kind === 'dir'})),
      dir === top && needsMove ? ['RR_MOVED'] : [],
    );
    kids.forEach((c, i) => {
      const id = ids[i]!;
      if (c.kind === 'file') return dir.entries.push({id, kind: 'file', file: c});
      const sub: PDir = {node: c, id, parent: dir, realParent: dir, relocated: false, level: dir.level + 1, entries: [], number: 0, lba: 0, size: 0};
      if (rockRidge && sub.level > MAX_LEVEL) {
        const into = movedDir();
        const movedId = isoNames([{name: c.name, dir: true}], into.entries.map((e) => e.id))[0]!;
        Object.assign(sub, {id: movedId, parent: into, relocated: true, level: into.level + 1});
        into.entries.push({id: movedId, kind: 'dir', dir: sub});
        dir.entries.push({id, kind: 'placeholder', dir: sub});
      } else dir.entries.push({id, kind: 'dir', dir: sub});
      fill(sub);
    });
    dir.entries.sort((a, b) => compareIsoIds(a.id, b.id));
  };
  fill(top);
  if (moved) moved.entries.sort((a, b) => compareIsoIds(a.id, b.id));
  top.entries.sort((a, b) => compareIsoIds(a.id, b.id));
  return top;
}

function deepest(dir: MediaDir, level: number): number {
  let max = level;
  for (const c of dir.children) if (c.kind === 'dir') max = Math.max(max, deepest(c, level + 1));
  return max;
}

function jolietTree(root: MediaDir): JDir {
  const make = (node: MediaDir, id: Buffer, parent: JDir | undefined): JDir => {
    const dir = {node, id, entries: [], number: 0, lba: 0, size: 0} as unknown as JDir;
    dir.parent = parent ?? dir;
    const names = jolietNames(node.children.map((c) => ({name: c.name, dir: c.kind === 'dir'})));
    node.children.forEach((c, i) => {
      if (c.kind === 'file') dir.entries.push({id: jolietId(names[i]!, false), kind: 'file', file: c});
      else dir.entries.push({id: jolietId(names[i]!, true), kind: 'dir', dir: make(c, jolietId(names[i]!, true), dir)});
    });
    dir.entries.sort((a, b) => compareBytes(a.id, b.id));
    return dir;
  };
  return make(root, DOT, undefined);
}

/** Directories in path-table order (breadth first, children in recorded order), numbered from 1. */
function numbered<D extends {number: number}>(root: D, subdirs: (d: D) => D[]): D[] {
  const out = [root];
  for (let i = 0; i < out.length; i++) {
    out[i]!.number = i + 1;
    out.push(...subdirs(out[i]!));
  }
  return out;
}

function pathTable<D extends {number: number; lba: number; parent: D}>(dirs: D[], idOf: (d: D) => Buffer, le: boolean): Buffer {
  return Buffer.concat(dirs.map((d) => pathTableRecord(idOf(d), d.lba, d.parent.number, le)));
}

/** Records laid into 2048-byte blocks: a record never crosses a block boundary. */
function packed(records: Buffer[]): Buffer {
  const out: Buffer[] = [];
  let used = 0;
  for (const r of records) {
    const room = SECTOR - (used % SECTOR);
    if (r.length > room) {
      out.push(Buffer.alloc(room));
      used += room;
    }
    out.push(r);
    used += r.length;
  }
  const tail = (SECTOR - (used % SECTOR)) % SECTOR;
  out.push(Buffer.alloc(tail));
  return Buffer.concat(out);
}

interface EncodeContext {
  opts: IsoLayoutOptions;
  fileLba: Map<MediaFile, number>;
  maxExtent: number;
  ce: CeAllocator;
}

/** Continuation areas, packed into blocks so that none crosses a block boundary. */
class CeAllocator {
  private readonly areas: Buffer[] = [];
  private used = 0;
  constructor(private readonly base: number) {}
  get sectors(): number {
    return Math.ceil(this.used / SECTOR);
  }
  /** Place `data`; returns the CE entry pointing at it. */
  place(data: Buffer): Buffer {
    if (data.length > SECTOR) throw new Error('internal: continuation area larger than a block');
    const room = SECTOR - (this.used % SECTOR);
    if (data.length > room) {
      this.areas.push(Buffer.alloc(room));
      this.used += room;
    }
    const at = this.used;
    this.areas.push(data);
    this.used += data.length;
    return suspCE(this.base + Math.floor(at / SECTOR), at % SECTOR, data.length);
  }
  bytes(): Buffer {
    return Buffer.concat([...this.areas, Buffer.alloc(this.sectors * SECTOR - this.used)]);
  }
}

/** System use bytes for a record: `fixed` stays in the record; `movable` moves to a CE area if it must. */
function systemUse(idLength: number, fixed: Buffer[], movable: Buffer[], ce: CeAllocator): Buffer {
  const room = 255 - recordLength(idLength, 0);
  const f = Buffer.concat(fixed);
  const m = Buffer.concat(movable);
  if (f.length + m.length <= room) return Buffer.concat([f, m]);
  if (f.length + CE_LENGTH > room) throw new Error('internal: Rock Ridge entries do not fit a record');
  return Buffer.concat([f, ce.place(m)]);
}

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;

function dirLinks(d: PDir): number {
  return 2 + d.entries.filter((e) => e.kind !== 'file').length;
}

function primaryRecords(d: PDir, ctx: EncodeContext): Buffer[] {
  const rr = ctx.opts.rockRidge;
  const out: Buffer[] = [];
  const dirPx = (x: PDir): Buffer => rrPX(S_IFDIR | x.node.mode, dirLinks(x));
  const isRoot = d.parent === d;
  const dotSu = rr ? systemUse(1, [...(isRoot ? [suspSP()] : []), dirPx(d), rrTF(d.node.mtime)], isRoot ? [suspER()] : [], ctx.ce) : undefined;
  out.push(directoryRecord({lba: d.lba, size: d.size, flags: FLAG_DIR, date: d.node.mtime, id: DOT, su: dotSu}));
  const up = d.realParent;
  const upSu = rr ? systemUse(1, [dirPx(up), rrTF(up.node.mtime), ...(d.relocated ? [rrPL(up.lba)] : [])], [], ctx.ce) : undefined;
  out.push(directoryRecord({lba: d.parent.lba, size: d.parent.size, flags: FLAG_DIR, date: up.node.mtime, id: DOTDOT, su: upSu}));
  for (const e of d.entries) {
    const id = Buffer.from(e.id, 'latin1');
    if (e.kind === 'file') {
      const f = e.file;
      const su = rr ? systemUse(id.length, [rrPX(S_IFREG | f.mode, 1), rrTF(f.mtime)], rrNM(f.name), ctx.ce) : undefined;
      const first = ctx.fileLba.get(f) ?? 0;
      const parts = Math.max(1, Math.ceil(f.size / ctx.maxExtent));
      for (let i = 0; i < parts; i++) {
        const size = Math.min(ctx.maxExtent, f.size - i * ctx.maxExtent);
        const lba = f.size === 0 ? 0 : first + (i * ctx.maxExtent) / SECTOR;
        out.push(directoryRecord({lba, size, flags: i < parts - 1 ? FLAG_MORE : 0, date: f.mtime, id, su}));
      }
      continue;
    }
    const sub = e.dir;
    if (e.kind === 'placeholder') {
      // A file record standing where the relocated directory belongs; CL says where it went.
      const su = systemUse(id.length, [dirPx(sub), rrTF(sub.node.mtime), rrCL(sub.lba)], rrNM(sub.node.name), ctx.ce);
      out.push(directoryRecord({lba: sub.lba, size: 0, flags: 0, date: sub.node.mtime, id, su}));
      continue;
    }
    const su = rr ? systemUse(id.length, [dirPx(sub), rrTF(sub.node.mtime), ...(sub.relocated ? [rrRE()] : [])], rrNM(sub.node.name), ctx.ce) : undefined;
    out.push(directoryRecord({lba: sub.lba, size: sub.size, flags: FLAG_DIR, date: sub.node.mtime, id, su}));
  }
  return out;
}

function jolietRecords(d: JDir, ctx: EncodeContext): Buffer[] {
  const out: Buffer[] = [
    directoryRecord({lba: d.lba, size: d.size, flags: FLAG_DIR, date: d.node.mtime, id: DOT}),
    directoryRecord({lba: d.parent.lba, size: d.parent.size, flags: FLAG_DIR, date: d.parent.node.mtime, id: DOTDOT}),
  ];
  for (const e of d.entries) {
    if (e.kind === 'dir') {
      out.push(directoryRecord({lba: e.dir.lba, size: e.dir.size, flags: FLAG_DIR, date: e.dir.node.mtime, id: e.id}));
      continue;
    }
    const f = e.file;
    const first = ctx.fileLba.get(f) ?? 0;
    const parts = Math.max(1, Math.ceil(f.size / ctx.maxExtent));
    for (let i = 0; i < parts; i++) {
      const size = Math.min(ctx.maxExtent, f.size - i * ctx.maxExtent);
      const lba = f.size === 0 ? 0 : first + (i * ctx.maxExtent) / SECTOR;
      out.push(directoryRecord({lba, size, flags: i < parts - 1 ? FLAG_MORE : 0, date: f.mtime, id: e.id}));
    }
  }
  return out;
}
