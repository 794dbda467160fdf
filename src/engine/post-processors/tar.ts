/**
 * A tar stream of regular files, as Go's archive/tar writes one for Packer's compress: each entry
 * named by its base name, with its mode, owner, size and mtime; ustar headers, with a PAX
 * extended header for what ustar cannot hold (names over 100 bytes, files of 8 GiB and more);
 * two zero blocks at the end. Pure header building plus a streaming generator.
 */
import {createReadStream} from 'node:fs';
import {stat} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

const BLOCK = 512;
const USTAR_MAX_SIZE = 0o77777777777; // 11 octal digits

function octal(n: number, width: number): string {
  return `${n.toString(8).padStart(width - 1, '0')}\0`;
}

/** One 512-byte header block. */
export function tarHeader(h: {name: string; mode: number; uid: number; gid: number; size: number; mtime: number; type: '0' | 'x'; uname?: string; gname?: string}): Buffer {
  const b = Buffer.alloc(BLOCK);
  b.write(h.name, 0, 100, 'utf8');
  b.write(octal(h.mode & 0o7777, 8), 100, 'ascii');
  b.write(octal(h.uid, 8), 108, 'ascii');
  b.write(octal(h.gid, 8), 116, 'ascii');
  b.write(octal(Math.min(h.size, USTAR_MAX_SIZE), 12), 124, 'ascii');
  b.write(octal(Math.floor(h.mtime), 12), 136, 'ascii');
  b.write('        ', 148, 'ascii'); // checksum field counts as spaces while summing
  b.write(h.type, 156, 'ascii');
  b.write('ustar\0' + '00', 257, 'ascii');
  b.write(h.uname ?? '', 265, 32, 'utf8');
  b.write(h.gname ?? '', 297, 32, 'utf8');
  let sum = 0;
  for (const byte of b) sum += byte;
  b.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return b;
}

/** A PAX record: "<len> <key>=<value>\n", where len counts itself. */
export function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let len = Buffer.byteLength(body) + 1;
  while (String(len).length + Buffer.byteLength(body) !== len) len = String(len).length + Buffer.byteLength(body);
  return `${len}${body}`;
}

const pad = (n: number): Buffer => Buffer.alloc((BLOCK - (n % BLOCK)) % BLOCK);

/** The header block(s) for one file: a PAX header first when ustar cannot hold its name or size. */
export function entryHeaders(name: string, st: {mode: number; uid: number; gid: number; size: number; mtimeMs: number}, names: {uname?: string; gname?: string} = {}): Buffer[] {
  const records: string[] = [];
  if (Buffer.byteLength(name) > 100) records.push(paxRecord('path', name));
  if (st.size > USTAR_MAX_SIZE) records.push(paxRecord('size', String(st.size)));
  const mtime = st.mtimeMs / 1000;
  const out: Buffer[] = [];
  if (records.length) {
    const data = Buffer.from(records.join(''));
    out.push(tarHeader({name: `PaxHeaders.0/${name}`.slice(0, 100), mode: 0o644, uid: 0, gid: 0, size: data.length, mtime, type: 'x'}), data, pad(data.length));
  }
  out.push(tarHeader({name: Buffer.byteLength(name) > 100 ? name.slice(0, 100) : name, mode: st.mode, uid: st.uid, gid: st.gid, size: st.size, mtime, type: '0', ...names}));
  return out;
}

let me: {uid: number; username: string} | undefined;
function ownerName(uid: number): string | undefined {
  me ??= (() => {
    try {
      const u = os.userInfo();
      return {uid: u.uid, username: u.username};
    } catch {
      return {uid: -1, username: ''};
    }
  })();
  return uid === me.uid ? me.username : undefined;
}

/** The tar stream of `files` (absolute paths), each entry named by its base name, as Packer's compress does. */
export async function* tarStream(files: readonly string[], signal?: AbortSignal): AsyncGenerator<Buffer> {
  for (const file of files) {
    const st = await stat(file);
    if (!st.isFile()) continue;
    for (const b of entryHeaders(path.basename(file), st, {uname: ownerName(st.uid)})) yield b;
    let n = 0;
    for await (const chunk of createReadStream(file, {signal, highWaterMark: 1 << 20})) {
      n += (chunk as Buffer).length;
      yield chunk as Buffer;
    }
    if (n !== st.size) throw new Error(`${file} changed size while being archived (${st.size} → ${n} bytes)`);
    yield pad(n);
  }
  yield Buffer.alloc(BLOCK * 2);
}
