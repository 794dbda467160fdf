/**
 * A small read-only ISO 9660 reader: lists directories and reads files of an ISO image through
 * positional reads on one file handle, so a 600 MB netinst ISO is never loaded whole; only the
 * directories walked and the files asked for are read.
 *
 * Names: Rock Ridge (NM, with PX modes and SL link targets) when the image has it, else the
 * Joliet supplementary volume (UCS-2 names), else the plain ISO names with their ";1" version and
 * a trailing "." stripped. Lookups try the exact name first, then case-insensitively (plain ISO
 * names are upper case). Multi-extent files (flag 0x80) are read as the concatenation of their
 * extents; Rock Ridge deep-directory relocation (CL/RE) is followed.
 *
 * Hand-written: the npm readers found (BrowserFS/ZenFS IsoFS) take the whole image as one
 * in-memory buffer and bring a virtual file system with them.
 */
import {open, type FileHandle} from 'node:fs/promises';
import path from 'node:path';

/** One contiguous run of bytes of a file, in logical blocks. */
export interface IsoExtent {
  lba: number;
  size: number;
}

export interface IsoEntry {
  /** The entry's name as the image's best naming scheme gives it. */
  name: string;
  /** Absolute path inside the image ("/install.amd/initrd.gz"). */
  path: string;
  type: 'file' | 'dir' | 'symlink';
  /** Bytes (sum of the extents). */
  size: number;
  mtime?: Date;
  /** Rock Ridge PX mode bits (type and permissions), when present. */
  mode?: number;
  /** Rock Ridge SL symlink target, when present. */
  linkTarget?: string;
  extents: IsoExtent[];
}

/** Which directory tree and naming the reader uses. */
export type IsoNaming = 'rock-ridge' | 'joliet' | 'iso9660';

export interface IsoImage {
  /** The file the image was opened from. */
  readonly file: string;
  /** The primary volume descriptor's volume identifier, trailing spaces removed. */
  readonly volumeId: string;
  readonly naming: IsoNaming;
  /** The image file's size in bytes. */
  readonly bytes: number;
  /** Entries of a directory (without "." and ".."). Throws when `dir` is missing or not a directory. */
  list(dir?: string): Promise<IsoEntry[]>;
  /** The entry at `path`, or undefined when there is none. */
  stat(path: string): Promise<IsoEntry | undefined>;
  /** A whole file. Throws when it is missing, a directory, or larger than `maxBytes`. */
  read(file: string | IsoEntry, opts?: {maxBytes?: number}): Promise<Buffer>;
  /** `length` bytes of a file from `offset` (fewer at its end). */
  readRange(file: string | IsoEntry, offset: number, length: number): Promise<Buffer>;
  /**
   * Every entry under `dir`, depth first, in directory order. `descend(dir)` returning false
   * keeps the walk out of a directory (it is still yielded); the walk stops after `maxEntries`.
   */
  walk(dir?: string, opts?: {descend?: (dir: IsoEntry) => boolean; maxEntries?: number; maxDepth?: number}): AsyncGenerator<IsoEntry>;
  close(): Promise<void>;
}

const FIRST_DESCRIPTOR = 16;
const MAX_DESCRIPTORS = 64;
/** A directory this large is a corrupt record, not a real directory. */
const MAX_DIR_BYTES = 64 << 20;

/** Open an ISO 9660 image. Throws a message naming the file when it is not one. */
export async function openIso(file: string): Promise<IsoImage> {
  const handle = await open(file, 'r');
  try {
    return await IsoReader.create(file, handle);
  } catch (err) {
    await handle.close().catch(() => undefined);
    throw err;
  }
}

interface Volume {
  root: IsoExtent;
  naming: IsoNaming;
  suspSkip: number;
}

class IsoReader implements IsoImage {
  private readonly dirs = new Map<string, Promise<IsoEntry[]>>();

  private constructor(
    readonly file: string,
    private readonly handle: FileHandle,
    readonly bytes: number,
    readonly volumeId: string,
    private readonly block: number,
    private readonly volume: Volume,
  ) {}

  get naming(): IsoNaming {
    return this.volume.naming;
  }

  static async create(file: string, handle: FileHandle): Promise<IsoReader> {
    const bytes = (await handle.stat()).size;
    const notIso = `${file}: not an ISO 9660 image (no CD001 volume descriptor at sector ${FIRST_DESCRIPTOR})`;
    if (bytes < (FIRST_DESCRIPTOR + 1) * 2048) throw new Error(notIso);
    let primary: Buffer | undefined;
    let joliet: Buffer | undefined;
    for (let i = 0; i < MAX_DESCRIPTORS && (FIRST_DESCRIPTOR + i + 1) * 2048 <= bytes; i++) {
      const d = await readExactly(handle, file, (FIRST_DESCRIPTOR + i) * 2048, 2048, bytes);
      if (d.toString('latin1', 1, 6) !== 'CD001') {
        if (i === 0) throw new Error(notIso);
        break;
      }
      if (d[0] === 255) break;
      if (d[0] === 1 && !primary) primary = d;
      // Joliet: a supplementary descriptor whose escape sequence names UCS-2 level 1, 2 or 3.
      if (d[0] === 2 && !joliet && d[88] === 0x25 && d[89] === 0x2f && [0x40, 0x43, 0x45].includes(d[90]!)) joliet = d;
    }
    if (!primary) throw new Error(`${file}: ISO 9660 image without a primary volume descriptor`);
    const block = primary.readUInt16LE(128) || 2048;
    if (block < 512 || block > 2048 || (block & (block - 1)) !== 0) throw new Error(`${file}: unsupported logical block size ${block}`);
    const volumeId = primary.toString('latin1', 40, 72).replace(/[\s\0]+$/, '');
    const rootOf = (d: Buffer): IsoExtent => ({lba: d.readUInt32LE(156 + 2), size: d.readUInt32LE(156 + 10)});
    const reader = (v: Volume): IsoReader => new IsoReader(file, handle, bytes, volumeId, block, v);
    // Rock Ridge is announced by an SUSP "SP" entry in the root directory's "." record.
    const probe = reader({root: rootOf(primary), naming: 'iso9660', suspSkip: 0});
    const sp = await probe.rootSuspSkip();
    if (sp !== undefined) return reader({root: rootOf(primary), naming: 'rock-ridge', suspSkip: sp});
    if (joliet) return reader({root: rootOf(joliet), naming: 'joliet', suspSkip: 0});
    return probe;
  }

  /** The SP entry's skip length when the root's "." record carries one (Rock Ridge present). */
  private async rootSuspSkip(): Promise<number | undefined> {
    const {root} = this.volume;
    const rec = await this.readAt(root.lba * this.block, Math.min(255, root.size));
    const len = rec[0]!;
    const nameLen = rec[32]!;
    if (len < 34 || len > rec.length) throw new Error(`${this.file}: bad root directory record`);
    const su = rec.subarray(33 + nameLen + (nameLen % 2 === 0 ? 1 : 0), len);
    if (su.length >= 7 && su.toString('latin1', 0, 2) === 'SP' && su[4] === 0xbe && su[5] === 0xef) return su[6];
    return undefined;
  }

  async close(): Promise<void> {
    await this.handle.close();
  }

  async list(dir = '/'): Promise<IsoEntry[]> {
    const entry = await this.stat(dir);
    if (!entry) throw new Error(`${this.file}: no such directory ${normalize(dir)}`);
    if (entry.type !== 'dir') throw new Error(`${this.file}: ${entry.path} is not a directory`);
    return this.dirEntries(entry);
  }

  async stat(p: string): Promise<IsoEntry | undefined> {
    const parts = normalize(p).split('/').filter(Boolean);
    const {root} = this.volume;
    let cur: IsoEntry = {name: '', path: '/', type: 'dir', size: root.size, extents: [root]};
    for (const part of parts) {
      if (cur.type !== 'dir') return undefined;
      const entries = await this.dirEntries(cur);
      const lower = part.toLowerCase();
      const next = entries.find((e) => e.name === part) ?? entries.find((e) => e.name.toLowerCase() === lower);
      if (!next) return undefined;
      cur = next;
    }
    return cur;
  }

  async read(file: string | IsoEntry, opts: {maxBytes?: number} = {}): Promise<Buffer> {
    const entry = await this.fileEntry(file);
    if (opts.maxBytes !== undefined && entry.size > opts.maxBytes) {
      throw new Error(`${this.file}: ${entry.path} is ${entry.size} bytes, more than the ${opts.maxBytes} allowed`);
    }
    return this.readRange(entry, 0, entry.size);
  }

  async readRange(file: string | IsoEntry, offset: number, length: number): Promise<Buffer> {
    const entry = await this.fileEntry(file);
    const parts: Buffer[] = [];
    let at = 0; // file offset where the current extent starts
    const end = Math.min(entry.size, offset + length);
    for (const ext of entry.extents) {
      const from = Math.max(offset, at);
      const to = Math.min(end, at + ext.size);
      if (from < to) parts.push(await this.readAt(ext.lba * this.block + (from - at), to - from));
      at += ext.size;
    }
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  }

  async *walk(dir = '/', opts: {descend?: (dir: IsoEntry) => boolean; maxEntries?: number; maxDepth?: number} = {}): AsyncGenerator<IsoEntry> {
    let budget = opts.maxEntries ?? 100_000;
    const maxDepth = opts.maxDepth ?? 32;
    const visit = async function* (this: IsoReader, d: string, depth: number): AsyncGenerator<IsoEntry> {
      for (const e of await this.list(d)) {
        if (budget-- <= 0) return;
        yield e;
        if (e.type === 'dir' && depth < maxDepth && (opts.descend?.(e) ?? true)) yield* visit.call(this, e.path, depth + 1);
      }
    };
    yield* visit.call(this, dir, 0);
  }

  private async fileEntry(file: string | IsoEntry): Promise<IsoEntry> {
    const entry = typeof file === 'string' ? await this.stat(file) : file;
    if (!entry) throw new Error(`${this.file}: no such file ${normalize(file as string)}`);
    if (entry.type === 'dir') throw new Error(`${this.file}: ${entry.path} is a directory`);
    return entry;
  }

  private dirEntries(dir: IsoEntry): Promise<IsoEntry[]> {
    let p = this.dirs.get(dir.path);
    if (!p) {
      p = this.parseDir(dir);
      this.dirs.set(dir.path, p);
      p.catch(() => this.dirs.delete(dir.path));
    }
    return p;
  }

  private async parseDir(dir: IsoEntry): Promise<IsoEntry[]> {
    const ext = dir.extents[0]!;
    if (ext.size > MAX_DIR_BYTES) throw new Error(`${this.file}: directory ${dir.path} claims ${ext.size} bytes`);
    const data = await this.readAt(ext.lba * this.block, ext.size);
    const {naming} = this.volume;
    const entries: IsoEntry[] = [];
    let open: IsoEntry | undefined; // a multi-extent file still collecting extents
    for (let pos = 0; pos < data.length; ) {
      const len = data[pos]!;
      // Records never cross a block boundary: a zero length pads to the next block.
      if (len === 0) {
        pos = (Math.floor(pos / this.block) + 1) * this.block;
        continue;
      }
      const nameLen = data[pos + 32] ?? 0;
      if (len < 34 || pos + len > data.length || 33 + nameLen > len) {
        throw new Error(`${this.file}: bad directory record at byte ${pos} of ${dir.path}`);
      }
      const rec = data.subarray(pos, pos + len);
      pos += len;
      const raw = rec.subarray(33, 33 + nameLen);
      if (nameLen === 1 && raw[0]! <= 1) continue; // "." and ".."
      const flags = rec[25]!;
      const extent: IsoExtent = {lba: rec.readUInt32LE(2), size: rec.readUInt32LE(10)};
      const plain = naming === 'joliet' ? ucs2(raw) : raw.toString('latin1');
      if (open && open.extents.length > 0 && plain === (open as OpenEntry).rawName) {
        open.extents.push(extent);
        open.size += extent.size;
        if (!(flags & 0x80)) open = undefined;
        continue;
      }
      let rr: RockRidge | undefined;
      if (naming === 'rock-ridge') {
        rr = await this.rockRidge(rec.subarray(33 + nameLen + (nameLen % 2 === 0 ? 1 : 0) + this.volume.suspSkip));
        if (rr.relocated) continue; // shown where its CL entry points at it
      }
      const name = rr?.name ?? plain.replace(/;\d*$/, '').replace(/\.$/, '');
      let type: IsoEntry['type'] = flags & 0x02 ? 'dir' : 'file';
      if (rr?.childLba !== undefined) {
        type = 'dir';
        extent.lba = rr.childLba;
        extent.size = (await this.readAt(rr.childLba * this.block, 34)).readUInt32LE(10);
      } else if (rr?.mode !== undefined && (rr.mode & 0o170000) === 0o120000) type = 'symlink';
      const entry: OpenEntry = {
        name,
        path: path.posix.join(dir.path, name),
        type,
        size: extent.size,
        mtime: recordDate(rec),
        extents: [extent],
        rawName: plain,
      };
      if (rr?.mode !== undefined) entry.mode = rr.mode;
      if (rr?.linkTarget !== undefined) entry.linkTarget = rr.linkTarget;
      entries.push(entry);
      open = flags & 0x80 ? entry : undefined;
    }
    for (const e of entries) delete (e as Partial<OpenEntry>).rawName;
    return entries;
  }

  /** The Rock Ridge fields of one record's system use area, following CE continuations. */
  private async rockRidge(area: Buffer): Promise<RockRidge> {
    const rr: RockRidge = {};
    let name = '';
    let hasName = false;
    let link = '';
    let joinNext = false;
    for (let hops = 0, su: Buffer | undefined = area; su && hops < 16; hops++) {
      let next: {at: number; len: number} | undefined;
      for (let p = 0; p + 4 <= su.length; ) {
        const sig = su.toString('latin1', p, p + 2);
        const len = su[p + 2]!;
        if (len < 4 || p + len > su.length || sig === 'ST') break;
        const e = su.subarray(p, p + len);
        p += len;
        if (sig === 'NM' && len >= 5 && !(e[4]! & 0x06)) {
          name += e.toString('utf8', 5);
          hasName = true;
        } else if (sig === 'PX' && len >= 12) rr.mode = e.readUInt32LE(4);
        else if (sig === 'CE' && len >= 28) next = {at: e.readUInt32LE(4) * this.block + e.readUInt32LE(12), len: e.readUInt32LE(20)};
        else if (sig === 'RE') rr.relocated = true;
        else if (sig === 'CL' && len >= 12) rr.childLba = e.readUInt32LE(4);
        else if (sig === 'SL' && len >= 5) {
          // Components: flags (1 continues, 2 ".", 4 "..", 8 root), length, text.
          for (let c = 5; c + 2 <= e.length; c += 2 + e[c + 1]!) {
            const cf = e[c]!;
            const text = cf & 0x02 ? '.' : cf & 0x04 ? '..' : e.toString('utf8', c + 2, c + 2 + e[c + 1]!);
            if (cf & 0x08) link = '/';
            else link += (link && !link.endsWith('/') && !joinNext ? '/' : '') + text;
            joinNext = (cf & 0x01) !== 0;
          }
          rr.linkTarget = link;
        }
      }
      su = next && next.len <= 64 << 10 ? await this.readAt(next.at, next.len) : undefined;
    }
    if (hasName && name && !name.includes('/')) rr.name = name;
    return rr;
  }

  private readAt(pos: number, len: number): Promise<Buffer> {
    return readExactly(this.handle, this.file, pos, len, this.bytes);
  }
}

interface OpenEntry extends IsoEntry {
  rawName: string;
}

interface RockRidge {
  name?: string;
  mode?: number;
  linkTarget?: string;
  relocated?: boolean;
  childLba?: number;
}

async function readExactly(handle: FileHandle, file: string, pos: number, len: number, bytes: number): Promise<Buffer> {
  if (pos + len > bytes) throw new Error(`${file}: truncated ISO image (needs bytes ${pos}–${pos + len}, the file has ${bytes})`);
  const buf = Buffer.allocUnsafe(len);
  for (let got = 0; got < len; ) {
    const {bytesRead} = await handle.read(buf, got, len - got, pos + got);
    if (bytesRead === 0) throw new Error(`${file}: unexpected end of file at byte ${pos + got}`);
    got += bytesRead;
  }
  return buf;
}

/** Joliet names are UCS-2 big-endian. */
function ucs2(raw: Buffer): string {
  const even = Buffer.from(raw.subarray(0, raw.length & ~1));
  return even.swap16().toString('utf16le');
}

/** A directory record's 7-byte recording date (years since 1900 … seconds, GMT offset in 15 min). */
function recordDate(rec: Buffer): Date | undefined {
  const [y, mo, d, h, mi, s] = [rec[18]!, rec[19]!, rec[20]!, rec[21]!, rec[22]!, rec[23]!];
  if (mo < 1 || mo > 12 || d < 1) return undefined;
  const offset = rec.readInt8(24) * 15;
  return new Date(Date.UTC(1900 + y, mo - 1, d, h, mi, s) - offset * 60_000);
}

function normalize(p: string): string {
  return path.posix.normalize('/' + p);
}
