/**
 * Byte encoders for ISO 9660 structures (pure): volume descriptors, directory records, path
 * table records, dates, and the SUSP / Rock Ridge (RRIP 1.10, "RRIP_1991A" as genisoimage and
 * xorriso write it) system-use entries. Offsets follow ECMA-119; "both-endian" fields hold the
 * number little-endian then big-endian.
 */

export const SECTOR = 2048;

export function both16(buf: Buffer, at: number, n: number): void {
  buf.writeUInt16LE(n, at);
  buf.writeUInt16BE(n, at + 2);
}

export function both32(buf: Buffer, at: number, n: number): void {
  buf.writeUInt32LE(n, at);
  buf.writeUInt32BE(n, at + 4);
}

/** A directory record's 7-byte date: years since 1900 … seconds, GMT offset 0 (written in UTC). */
export function recordDate(d: Date): Buffer {
  return Buffer.from([d.getUTCFullYear() - 1900, d.getUTCMonth() + 1, d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds(), 0]);
}

/** A volume descriptor's 17-byte date: "YYYYMMDDHHMMSScc" then the GMT offset; `undefined` is "not specified". */
export function descriptorDate(d: Date | undefined): Buffer {
  if (!d) return Buffer.concat([Buffer.from('0000000000000000', 'latin1'), Buffer.from([0])]);
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  const s = `${p(d.getUTCFullYear(), 4)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}${p(Math.floor(d.getUTCMilliseconds() / 10))}`;
  return Buffer.concat([Buffer.from(s, 'latin1'), Buffer.from([0])]);
}

/** Bytes a directory record takes: 33 + identifier (+ 1 pad when its length is even) + system use. */
export function recordLength(idLength: number, suLength: number): number {
  return 33 + idLength + (idLength % 2 === 0 ? 1 : 0) + suLength;
}

export const FLAG_DIR = 0x02;
/** Set on every record of a multi-extent file but the last. */
export const FLAG_MORE = 0x80;

export interface RecordFields {
  lba: number;
  size: number;
  flags: number;
  date: Date;
  /** The identifier: 0x00 for ".", 0x01 for "..". */
  id: Buffer;
  su?: Buffer;
}

export function directoryRecord(r: RecordFields): Buffer {
  const su = r.su ?? Buffer.alloc(0);
  const len = recordLength(r.id.length, su.length);
  if (len > 255) throw new Error(`directory record of ${len} bytes (limit 255)`);
  const b = Buffer.alloc(len);
  b[0] = len;
  both32(b, 2, r.lba);
  both32(b, 10, r.size);
  recordDate(r.date).copy(b, 18);
  b[25] = r.flags;
  both16(b, 28, 1); // volume sequence number
  b[32] = r.id.length;
  r.id.copy(b, 33);
  su.copy(b, len - su.length);
  return b;
}

export const DOT = Buffer.from([0]);
export const DOTDOT = Buffer.from([1]);

/** One path table record; `le` picks the L (little-endian) or M (big-endian) table. */
export function pathTableRecord(id: Buffer, lba: number, parent: number, le: boolean): Buffer {
  const b = Buffer.alloc(8 + id.length + (id.length % 2));
  b[0] = id.length;
  if (le) {
    b.writeUInt32LE(lba, 2);
    b.writeUInt16LE(parent, 6);
  } else {
    b.writeUInt32BE(lba, 2);
    b.writeUInt16BE(parent, 6);
  }
  id.copy(b, 8);
  return b;
}

export interface DescriptorFields {
  type: 1 | 2;
  /** The volume identifier's bytes (ASCII for the primary, UCS-2 BE for Joliet). */
  volumeId: Buffer;
  totalSectors: number;
  pathTableSize: number;
  lPathLba: number;
  mPathLba: number;
  root: Buffer;
  date: Date;
  /** The application identifier (ASCII; the Joliet descriptor writes it as UCS-2). */
  application: string;
}

/** A primary (type 1) or Joliet supplementary (type 2, UCS-2 level 3) volume descriptor. */
export function volumeDescriptor(d: DescriptorFields): Buffer {
  const b = Buffer.alloc(SECTOR);
  const joliet = d.type === 2;
  b[0] = d.type;
  b.write('CD001', 1, 'latin1');
  b[6] = 1;
  // Identifier fields are space padded: ASCII spaces, or UCS-2 spaces (00 20) in Joliet's.
  const blank = (at: number, len: number): void => {
    if (!joliet) b.fill(0x20, at, at + len);
    else for (let i = 0; i + 1 < len; i += 2) b[at + i + 1] = 0x20;
  };
  for (const [at, len] of [[8, 32], [40, 32], [190, 128], [318, 128], [446, 128], [574, 128], [702, 37], [739, 37], [776, 37]] as const) blank(at, len);
  d.volumeId.copy(b, 40, 0, 32);
  both32(b, 80, d.totalSectors);
  if (joliet) b.write('%/E', 88, 'latin1'); // UCS-2 level 3
  both16(b, 120, 1); // volume set size
  both16(b, 124, 1); // volume sequence number
  both16(b, 128, SECTOR);
  both32(b, 132, d.pathTableSize);
  b.writeUInt32LE(d.lPathLba, 140);
  b.writeUInt32BE(d.mPathLba, 148);
  d.root.copy(b, 156);
  const app = joliet ? Buffer.from(d.application, 'utf16le').swap16() : Buffer.from(d.application, 'latin1');
  app.copy(b, 574, 0, 128);
  const made = descriptorDate(d.date);
  made.copy(b, 813); // creation
  made.copy(b, 830); // modification
  descriptorDate(undefined).copy(b, 847); // expiration
  descriptorDate(undefined).copy(b, 864); // effective
  b[881] = 1; // file structure version
  return b;
}

export function terminatorDescriptor(): Buffer {
  const b = Buffer.alloc(SECTOR);
  b[0] = 255;
  b.write('CD001', 1, 'latin1');
  b[6] = 1;
  return b;
}

// --- SUSP and Rock Ridge entries -----------------------------------------------------------

function entry(sig: string, body: Buffer | number[]): Buffer {
  const data = Buffer.isBuffer(body) ? body : Buffer.from(body);
  const b = Buffer.alloc(4 + data.length);
  b.write(sig, 0, 'latin1');
  b[2] = b.length;
  b[3] = 1;
  data.copy(b, 4);
  return b;
}

function both32Bytes(n: number): Buffer {
  const b = Buffer.alloc(8);
  both32(b, 0, n);
  return b;
}

/** SUSP "SP": marks SUSP in use; only in the root's "." record, first. */
export function suspSP(): Buffer {
  return entry('SP', [0xbe, 0xef, 0]);
}

const ER_ID = 'RRIP_1991A';
const ER_DESCRIPTOR = 'THE ROCK RIDGE INTERCHANGE PROTOCOL PROVIDES SUPPORT FOR POSIX FILE SYSTEM SEMANTICS';
const ER_SOURCE = 'PLEASE CONTACT DISC PUBLISHER FOR SPECIFICATION SOURCE.  SEE PUBLISHER IDENTIFIER IN PRIMARY VOLUME DESCRIPTOR FOR CONTACT INFORMATION.';

/** SUSP "ER": names the Rock Ridge extension (237 bytes, so it lives in a continuation area). */
export function suspER(): Buffer {
  const head = Buffer.from([ER_ID.length, ER_DESCRIPTOR.length, ER_SOURCE.length, 1]);
  return entry('ER', Buffer.concat([head, Buffer.from(ER_ID + ER_DESCRIPTOR + ER_SOURCE, 'latin1')]));
}

/** SUSP "CE": the rest of this record's entries are `len` bytes at block `lba`, byte `offset`. */
export function suspCE(lba: number, offset: number, len: number): Buffer {
  return entry('CE', Buffer.concat([both32Bytes(lba), both32Bytes(offset), both32Bytes(len)]));
}

export const CE_LENGTH = 28;

/** RRIP "PX": mode (type and permission bits), links, uid 0, gid 0 (the 36-byte RRIP 1.10 form). */
export function rrPX(mode: number, nlink: number): Buffer {
  return entry('PX', Buffer.concat([both32Bytes(mode), both32Bytes(nlink), both32Bytes(0), both32Bytes(0)]));
}

/** RRIP "TF": modification, access and attribute-change times, 7-byte form. */
export function rrTF(d: Date): Buffer {
  const t = recordDate(d);
  return entry('TF', Buffer.concat([Buffer.from([0x0e]), t, t, t]));
}

/** Most name bytes one "NM" entry carries (its length byte counts the 5-byte header). */
export const NM_CHUNK = 250;

/** RRIP "NM": the real name, split over several entries (flag 1 = continues) when long. */
export function rrNM(name: string): Buffer[] {
  const bytes = Buffer.from(name, 'utf8');
  const out: Buffer[] = [];
  for (let at = 0; at < bytes.length || out.length === 0; at += NM_CHUNK) {
    const part = bytes.subarray(at, at + NM_CHUNK);
    const more = at + NM_CHUNK < bytes.length;
    out.push(entry('NM', Buffer.concat([Buffer.from([more ? 1 : 0]), part])));
  }
  return out;
}

/** RRIP "CL": this placeholder stands for the relocated directory at `lba`. */
export function rrCL(lba: number): Buffer {
  return entry('CL', both32Bytes(lba));
}

/** RRIP "PL": in a relocated directory's "..": its real parent is at `lba`. */
export function rrPL(lba: number): Buffer {
  return entry('PL', both32Bytes(lba));
}

/** RRIP "RE": this directory is relocated (readers show it where its CL is instead). */
export function rrRE(): Buffer {
  return entry('RE', []);
}
