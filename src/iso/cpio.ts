/**
 * Reads files out of an initramfs: "newc" cpio archives (magic 070701/070702), possibly several
 * concatenated, each optionally gzip-compressed, with zero padding between them — the shape of
 * the Debian installer's initrd.gz and of most Linux initrds. Pure; the caller chooses which
 * files it wants, so a 40 MB installer initrd is never held as a tree of every file.
 */
import {gunzipSync} from 'node:zlib';

export interface CpioFile {
  /** Path inside the archive, without a leading "./" or "/". */
  path: string;
  mode: number;
  data: Buffer;
}

const HEADER = 110;
const align4 = (n: number): number => (n + 3) & ~3;

/** Is this a regular file (S_IFREG)? */
export const isRegular = (mode: number): boolean => (mode & 0o170000) === 0o100000;

/**
 * The regular files of `archive` whose path `want` accepts. Gzip members are inflated as they
 * come; a compression this reader does not know (xz, zstd, lz4) ends the walk with what was read
 * so far and is reported in `unread`.
 */
export function readCpio(archive: Uint8Array, want: (path: string) => boolean): {files: CpioFile[]; unread?: string} {
  const files: CpioFile[] = [];
  let buf = Buffer.from(archive.buffer, archive.byteOffset, archive.byteLength);
  let pos = 0;
  for (;;) {
    while (pos < buf.length && buf[pos] === 0) pos++;
    if (pos >= buf.length) return {files};
    if (buf[pos] === 0x1f && buf[pos + 1] === 0x8b) {
      // gunzipSync inflates every concatenated gzip member that follows, which is what we want.
      buf = gunzipSync(buf.subarray(pos));
      pos = 0;
      continue;
    }
    const magic = buf.toString('latin1', pos, pos + 6);
    if (magic !== '070701' && magic !== '070702') return {files, unread: describe(buf, pos)};
    if (pos + HEADER > buf.length) throw new Error('truncated cpio header');
    const field = (i: number): number => parseInt(buf.toString('latin1', pos + 6 + i * 8, pos + 14 + i * 8), 16);
    const mode = field(1);
    const size = field(6);
    const nameSize = field(11);
    const nameAt = pos + HEADER;
    const name = buf.toString('utf8', nameAt, nameAt + nameSize - 1);
    const dataAt = align4(nameAt + nameSize);
    if (dataAt + size > buf.length) throw new Error(`truncated cpio member ${name}`);
    pos = align4(dataAt + size);
    if (name === 'TRAILER!!!') continue; // the next archive, if any, follows
    const path = name.replace(/^\.?\/+/, '');
    if (isRegular(mode) && want(path)) files.push({path, mode, data: Buffer.from(buf.subarray(dataAt, dataAt + size))});
  }
}

function describe(buf: Buffer, pos: number): string {
  const head = buf.subarray(pos, pos + 6);
  if (head[0] === 0xfd && head.toString('latin1', 1, 6) === '7zXZ\0') return 'xz-compressed data';
  if (head.readUInt32LE(0) === 0xfd2fb528) return 'zstd-compressed data';
  if (head.readUInt32LE(0) === 0x184c2102) return 'lz4-compressed data';
  return `unknown data (${head.toString('hex')})`;
}
