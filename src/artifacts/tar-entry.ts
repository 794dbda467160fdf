/**
 * Tar headers for the archives vmbench writes into container images: ustar blocks for regular
 * files and directories with the owner, mode and mtime given (never the host's), no user or group
 * names, as Go's archive/tar writes them for buildah. A name over 100 bytes or a size of 8 GiB and
 * more gets a PAX header first; a header that must stay one block (it is rewritten in place once
 * the size is known: `fixedHeader`) carries a big size in base-256 instead (the GNU/star encoding
 * Go, GNU tar and bsdtar read). Pure.
 */
import {paxRecord} from '../engine/post-processors/tar.js';

export const BLOCK = 512;
/** The largest size ustar's 11 octal digits hold. */
export const USTAR_MAX_SIZE = 0o77777777777;

export interface TarEntry {
  name: string;
  type: 'file' | 'dir';
  mode: number;
  uid: number;
  gid: number;
  size: number;
  /** Seconds since the epoch. */
  mtime: number;
}

const octal = (n: number, width: number): string => `${n.toString(8).padStart(width - 1, '0')}\0`;

/** A 12-byte numeric field in base-256: 0x80, then the number big-endian. */
function base256(n: number): Buffer {
  const b = Buffer.alloc(12);
  b[0] = 0x80;
  b.writeBigUInt64BE(BigInt(n), 4);
  return b;
}

/** One 512-byte header block; the size field in base-256 when it does not fit in octal. */
function headerBlock(e: TarEntry, typeflag: string): Buffer {
  const b = Buffer.alloc(BLOCK);
  if (Buffer.byteLength(e.name) > 100) throw new Error(`internal: tar name over 100 bytes needs a PAX header: ${e.name}`);
  b.write(e.name, 0, 100, 'utf8');
  b.write(octal(e.mode & 0o7777, 8), 100, 'ascii');
  b.write(octal(e.uid, 8), 108, 'ascii');
  b.write(octal(e.gid, 8), 116, 'ascii');
  if (e.size > USTAR_MAX_SIZE) base256(e.size).copy(b, 124);
  else b.write(octal(e.size, 12), 124, 'ascii');
  b.write(octal(Math.floor(e.mtime), 12), 136, 'ascii');
  b.write('        ', 148, 'ascii'); // the checksum counts as spaces while summing
  b.write(typeflag, 156, 'ascii');
  b.write('ustar\0' + '00', 257, 'ascii');
  let sum = 0;
  for (const byte of b) sum += byte;
  b.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return b;
}

/** Zero bytes that pad `n` bytes of data to a whole block. */
export const padding = (n: number): Buffer => Buffer.alloc((BLOCK - (n % BLOCK)) % BLOCK);

/** The two zero blocks that end an archive. */
export const trailer = (): Buffer => Buffer.alloc(2 * BLOCK);

/** The header block(s) for one entry: a PAX header first when ustar cannot hold its name or size. */
export function entryHeader(e: TarEntry): Buffer {
  const records: string[] = [];
  if (Buffer.byteLength(e.name) > 100) records.push(paxRecord('path', e.name));
  if (e.size > USTAR_MAX_SIZE) records.push(paxRecord('size', String(e.size)));
  const typeflag = e.type === 'dir' ? '5' : '0';
  if (!records.length) return headerBlock(e, typeflag);
  const data = Buffer.from(records.join(''));
  // Go's archive/tar names PAX headers this way too; readers use the records, not this name.
  const paxName = `PaxHeaders.0/${e.name.replace(/\/$/, '').split('/').pop()!}`.slice(0, 100);
  const pax = headerBlock({...e, name: paxName, type: 'file', mode: 0o644, size: data.length}, 'x');
  const name = Buffer.byteLength(e.name) > 100 ? Buffer.from(e.name).subarray(0, 100).toString('utf8').replace(/\uFFFD+$/, '') : e.name;
  const ustar = headerBlock({...e, name, size: Math.min(e.size, USTAR_MAX_SIZE)}, typeflag);
  return Buffer.concat([pax, data, padding(data.length), ustar]);
}

/** A file's header as exactly one block (no PAX), so it can be written first and rewritten in place. */
export function fixedHeader(e: Omit<TarEntry, 'type'>): Buffer {
  return headerBlock({...e, type: 'file'}, '0');
}

/** A whole small file entry: header, data, padding. */
export function fileEntry(e: Omit<TarEntry, 'type' | 'size'>, data: Buffer): Buffer {
  return Buffer.concat([entryHeader({...e, type: 'file', size: data.length}), data, padding(data.length)]);
}
