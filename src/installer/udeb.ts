/**
 * The debconf templates of one .udeb (a Debian package for the installer): an `ar` archive whose
 * control member (control.tar, .gz, .xz or .zst) holds `./templates`. Only the archive's first
 * members are read, through a positional read function, so the package's data is never loaded.
 * gzip is inflated here; xz and zstd go through the host's `xz`/`zstd` (Node 20's zlib has
 * neither), and a missing tool is reported, not fatal.
 */
import {gunzipSync} from 'node:zlib';
import {execa} from 'execa';

/** Reads `length` bytes from `offset` of the package file (fewer at its end). */
export type RangeReader = (offset: number, length: number) => Promise<Buffer>;

/** A host decompressor that is not installed. */
export class MissingToolError extends Error {
  constructor(readonly tool: string) {
    super(`the host has no \`${tool}\``);
  }
}

const AR_MAGIC = '!<arch>\n';
const AR_HEADER = 60;
/** A control archive larger than this is not a udeb's. */
const MAX_CONTROL = 8 << 20;

/**
 * The control member of an ar archive: its name (`control.tar.xz`) and bytes. Throws when the
 * file is not an ar archive or has no control member among its first four.
 */
export async function readControlMember(read: RangeReader, what: string): Promise<{name: string; data: Buffer}> {
  if ((await read(0, 8)).toString('latin1') !== AR_MAGIC) throw new Error(`${what}: not an ar archive`);
  let off = 8;
  for (let i = 0; i < 4; i++) {
    const h = await read(off, AR_HEADER);
    if (h.length < AR_HEADER) break;
    const name = h.toString('latin1', 0, 16).trim().replace(/\/$/, '');
    const size = parseInt(h.toString('latin1', 48, 58).trim(), 10);
    if (!Number.isFinite(size) || size < 0) throw new Error(`${what}: bad ar member header at byte ${off}`);
    if (name.startsWith('control.tar')) {
      if (size > MAX_CONTROL) throw new Error(`${what}: ${name} is ${size} bytes`);
      return {name, data: await read(off + AR_HEADER, size)};
    }
    off += AR_HEADER + size + (size & 1); // members are 2-byte aligned
  }
  throw new Error(`${what}: no control.tar member`);
}

/** Decompress with the host's `xz` or `zstd` (`-dc`, data on stdin). */
export async function hostDecompress(tool: 'xz' | 'zstd', data: Uint8Array, signal?: AbortSignal): Promise<Buffer> {
  try {
    const r = await execa(tool, ['-dc'], {input: data, encoding: 'buffer', stripFinalNewline: false, cancelSignal: signal, maxBuffer: 64 << 20});
    return Buffer.from(r.stdout);
  } catch (err) {
    if ((err as {code?: string}).code === 'ENOENT') throw new MissingToolError(tool);
    throw err;
  }
}

/** The tar inside a control member, whatever its compression. */
export async function controlTar(member: {name: string; data: Buffer}, what: string, signal?: AbortSignal): Promise<Buffer> {
  const ext = member.name.slice('control.tar'.length);
  if (ext === '') return member.data;
  if (ext === '.gz') return gunzipSync(member.data);
  if (ext === '.xz') return hostDecompress('xz', member.data, signal);
  if (ext === '.zst') return hostDecompress('zstd', member.data, signal);
  throw new Error(`${what}: ${member.name}: unknown compression`);
}

/**
 * Regular files of a tar archive whose name (without "./") `want` accepts. Understands ustar
 * prefixes and GNU long names; stops at the end-of-archive blocks.
 */
export function tarFiles(tar: Buffer, want: (name: string) => boolean): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  let longName: string | undefined;
  for (let p = 0; p + 512 <= tar.length; ) {
    const h = tar.subarray(p, p + 512);
    if (h.every((b) => b === 0)) break;
    const str = (at: number, len: number): string => {
      const s = h.subarray(at, at + len);
      const nul = s.indexOf(0);
      return s.toString('utf8', 0, nul < 0 ? len : nul);
    };
    const size = parseInt(str(124, 12).trim() || '0', 8);
    if (!Number.isFinite(size)) throw new Error(`bad tar header at byte ${p}`);
    const type = h[156]!;
    const data = tar.subarray(p + 512, p + 512 + size);
    p += 512 + Math.ceil(size / 512) * 512;
    if (type === 0x4c /* 'L': GNU long name of the next entry */) {
      longName = data.toString('utf8').replace(/\0.*$/s, '');
      continue;
    }
    const prefix = str(257, 6).startsWith('ustar') ? str(345, 155) : '';
    const name = (longName ?? (prefix ? `${prefix}/${str(0, 100)}` : str(0, 100))).replace(/^\.?\/+/, '');
    longName = undefined;
    if ((type === 0x30 || type === 0) && want(name)) out.set(name, Buffer.from(data));
  }
  return out;
}

/** The udeb's package name: `Package:` of its control file, else the file name's first field. */
export function udebPackage(fileName: string, control?: Buffer): string {
  const m = control && /^Package:\s*(\S+)/m.exec(control.toString('utf8'));
  return m?.[1] ?? fileName.replace(/\.udeb$/, '').split('_')[0]!;
}

/** The templates text of one udeb, or undefined when it has none. */
export async function udebTemplates(read: RangeReader, fileName: string, signal?: AbortSignal): Promise<{pkg: string; text: string} | undefined> {
  const member = await readControlMember(read, fileName);
  const files = tarFiles(await controlTar(member, fileName, signal), (n) => n === 'templates' || n === 'control');
  const templates = files.get('templates');
  if (!templates) return undefined;
  return {pkg: udebPackage(fileName, files.get('control')), text: templates.toString('utf8')};
}
