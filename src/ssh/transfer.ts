/**
 * Copy files and directory trees between the host and the guest, with Packer's file provisioner
 * rules (see {@link SshSession.uploadPath}): SFTP when the server has the subsystem, else `cat`
 * for files and `tar` for trees over exec (a busybox guest without sftp-server still has both).
 *
 * Why by hand rather than ssh2's fastPut/fastGet or its streams: fastXfer never applies the mode
 * to an empty file and cannot be aborted, and the SFTP streams close their handle without
 * waiting for the server's reply. Here a file is OPEN, WRITEs (several in flight) or READs
 * (one at a time: a short read is legal mid-file, and /proc files report size 0), CLOSE, then
 * SETSTAT for the mode (the OPEN mode only applies to a new file, through the server's umask).
 *
 * Directory modes are set after their contents are written (like tar), so a read-only source
 * directory still receives its files. The destination directory of a "contents" copy is never
 * chmod-ed: it exists already and may be shared (/tmp's 1777 must survive an upload into it).
 */
import {createReadStream, createWriteStream} from 'node:fs';
import {chmod, mkdir, open, readdir, realpath, rm, stat} from 'node:fs/promises';
import path from 'node:path';
import {PassThrough, type Readable, type Writable} from 'node:stream';
import {finished} from 'node:stream/promises';
import {execa} from 'execa';
import type {ClientChannel, SFTPWrapper, Stats} from 'ssh2';
import type {LogFn} from '../engine/events.js';
import {abortError, type Connection} from './exec.js';
import {shellQuote, type UploadState} from './upload.js';
import {endAndWaitClosed, markClosedOnClose} from './sftp-close.js';
import type {TransferOptions, TransferPlan, TransferResult} from './types.js';

const posix = path.posix;
const CHUNK = 32 * 1024;
const WRITES_IN_FLIGHT = 16;
/** SFTP status NO_SUCH_FILE, as ssh2 puts it in `err.code`. */
const NO_SUCH_FILE = 2;

/** A transfer that cannot be done as asked (missing destination, no SFTP nor tar, …). */
export class TransferError extends Error {
  override name = 'TransferError';
}

interface TreeEntry {
  /** POSIX path relative to the root; '' is the root itself. */
  rel: string;
  kind: 'file' | 'dir';
  /** Permission bits (0o7777). */
  mode: number;
  size: number;
}

interface Tree {
  entries: TreeEntry[];
  skipped: string[];
}

function planOf(tree: Tree): TransferPlan {
  let files = 0;
  let dirs = 0;
  let bytes = 0;
  for (const e of tree.entries) {
    if (e.kind === 'dir') dirs++;
    else (files++, (bytes += e.size));
  }
  return {files, dirs, bytes};
}

const hasTrailingSlash = (p: string): boolean => /[\\/]$/.test(p) && p.replace(/[\\/]+$/, '') !== '';
const trimRemote = (p: string): string => p.replace(/\/+$/, '') || '/';
const joinRel = (rel: string, name: string): string => (rel ? `${rel}/${name}` : name);

/** Lists a local file or tree, following symbolic links (like Packer's SFTP walk), pre-order. */
export async function scanLocal(root: string): Promise<Tree> {
  const tree: Tree = {entries: [], skipped: []};
  const walk = async (abs: string, rel: string, ancestors: ReadonlySet<string>): Promise<void> => {
    const st = await stat(abs);
    if (st.isDirectory()) {
      const real = await realpath(abs);
      if (ancestors.has(real)) throw new TransferError(`${abs}: symbolic link loop`);
      tree.entries.push({rel, kind: 'dir', mode: st.mode & 0o7777, size: 0});
      const next = new Set(ancestors).add(real);
      for (const name of (await readdir(abs)).sort()) await walk(path.join(abs, name), joinRel(rel, name), next);
    } else if (st.isFile()) {
      tree.entries.push({rel, kind: 'file', mode: st.mode & 0o7777, size: st.size});
    } else tree.skipped.push(rel || abs);
  };
  await walk(root, '', new Set());
  return tree;
}

// ---------------------------------------------------------------- SFTP

function isMissingSftp(err: Error): boolean {
  return /Unable to start subsystem: sftp|while establishing SFTP session|unexpected SFTP session termination/i.test(err.message);
}

function call<T = void>(fn: (cb: (err: Error | null | undefined, value?: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => fn((err, value) => (err ? reject(err) : resolve(value as T))));
}

/** Opens the session's SFTP channel, or undefined (and remembered) when the server has none. */
async function openSftp(conn: Connection, state: UploadState, log: LogFn): Promise<SFTPWrapper | undefined> {
  if (state.sftpMissing) return undefined;
  try {
    return await new Promise<SFTPWrapper>((resolve, reject) => {
      try {
        conn.client.sftp((err, sftp) => {
          if (err) return reject(err);
          markClosedOnClose(sftp);
          resolve(sftp);
        });
      } catch (err) {
        reject(err instanceof Error ? err : new Error(String(err))); // 'Not connected'
      }
    });
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    if (!isMissingSftp(e)) throw new TransferError(`could not open SFTP: ${e.message}${conn.lostReason() ? ` (${conn.lostReason()})` : ''}`);
    state.sftpMissing = true;
    log('info', `server has no SFTP (${e.message}); copying with exec cat/tar instead`);
    return undefined;
  }
}

async function sftpStat(sftp: SFTPWrapper, p: string): Promise<Stats | undefined> {
  try {
    return await call<Stats>((cb) => sftp.stat(p, cb));
  } catch (err) {
    if ((err as {code?: unknown}).code === NO_SUCH_FILE) return undefined;
    throw err;
  }
}

/** mkdir that accepts an existing directory (Packer's MkdirAll for one level). */
async function sftpMkdir(sftp: SFTPWrapper, p: string): Promise<void> {
  try {
    await call((cb) => sftp.mkdir(p, {}, cb));
  } catch (err) {
    const st = await sftpStat(sftp, p).catch(() => undefined);
    if (st?.isDirectory()) return;
    throw new TransferError(`cannot create directory ${p} on the guest: ${(err as Error).message}`);
  }
}

async function putFile(sftp: SFTPWrapper, local: string, remote: string, mode: number, signal?: AbortSignal): Promise<number> {
  const fh = await open(local, 'r');
  let handle: Buffer | undefined;
  try {
    try {
      handle = await call<Buffer>((cb) => sftp.open(remote, 'w', {mode}, cb));
    } catch (err) {
      const hint = (err as {code?: unknown}).code === NO_SUCH_FILE ? ` (does ${posix.dirname(remote)} exist? like Packer, vmbench does not create parent directories)` : '';
      throw new TransferError(`cannot create ${remote} on the guest: ${(err as Error).message}${hint}`);
    }
    const h = handle;
    let pos = 0;
    const failure: {err?: Error} = {};
    const pending = new Set<Promise<void>>();
    for (;;) {
      if (signal?.aborted) throw abortError('file transfer');
      if (failure.err) break;
      const buf = Buffer.allocUnsafe(CHUNK);
      const {bytesRead} = await fh.read(buf, 0, CHUNK, pos);
      if (bytesRead === 0) break;
      const at = pos;
      pos += bytesRead;
      const write: Promise<void> = call((cb) => sftp.write(h, buf, 0, bytesRead, at, cb))
        .catch((err: Error) => void (failure.err ??= err))
        .finally(() => pending.delete(write));
      pending.add(write);
      if (pending.size >= WRITES_IN_FLIGHT) await Promise.race(pending);
    }
    await Promise.all(pending);
    if (failure.err) throw new TransferError(`writing ${remote} on the guest: ${failure.err.message}`);
    handle = undefined;
    await call((cb) => sftp.close(h, cb)); // a late error (disk full) is reported here
    await call((cb) => sftp.chmod(remote, mode, cb));
    return pos;
  } finally {
    if (handle) await call((cb) => sftp.close(handle!, cb)).catch(() => undefined);
    await fh.close();
  }
}

async function getFile(sftp: SFTPWrapper, remote: string, local: string, mode: number, signal?: AbortSignal): Promise<number> {
  const handle = await call<Buffer>((cb) => sftp.open(remote, 'r', cb));
  let fh;
  try {
    await rm(local, {force: true}); // a read-only copy from an earlier run would refuse 'w'
    fh = await open(local, 'w', mode);
    const buf = Buffer.allocUnsafe(2 * CHUNK);
    let pos = 0;
    for (;;) {
      if (signal?.aborted) throw abortError('file transfer');
      // At EOF ssh2 calls back with 0 bytes (no error) unless asked otherwise.
      const n = await new Promise<number>((resolve, reject) => sftp.read(handle, buf, 0, buf.length, pos, (err, bytes) => (err ? reject(err) : resolve(bytes))));
      if (n === 0) break;
      await fh.write(buf, 0, n, pos);
      pos += n;
    }
    await fh.close();
    fh = undefined;
    await chmod(local, mode);
    return pos;
  } finally {
    await fh?.close();
    await call((cb) => sftp.close(handle, cb)).catch(() => undefined);
  }
}

/** Lists a guest file or tree through SFTP, following symbolic links, pre-order. */
async function scanRemote(sftp: SFTPWrapper, root: string, rootStat: Stats): Promise<Tree> {
  const tree: Tree = {entries: [], skipped: []};
  const walk = async (abs: string, rel: string, st: Stats, depth: number): Promise<void> => {
    if (st.isDirectory()) {
      if (depth > 64) throw new TransferError(`${abs}: too deep (a symbolic link loop?)`);
      tree.entries.push({rel, kind: 'dir', mode: st.mode & 0o7777, size: 0});
      const list = await call<{filename: string; attrs: Stats}[]>((cb) => sftp.readdir(abs, cb));
      list.sort((a, b) => (a.filename < b.filename ? -1 : a.filename > b.filename ? 1 : 0));
      for (const e of list) {
        const child = posix.join(abs, e.filename);
        // readdir's attributes are lstat's: follow links like the local walk does.
        const cst = e.attrs.isSymbolicLink() ? await sftpStat(sftp, child) : e.attrs;
        if (!cst) tree.skipped.push(joinRel(rel, e.filename)); // dangling link
        else await walk(child, joinRel(rel, e.filename), cst, depth + 1);
      }
    } else if (st.isFile()) {
      tree.entries.push({rel, kind: 'file', mode: st.mode & 0o7777, size: st.size});
    } else tree.skipped.push(rel || abs);
  };
  await walk(root, '', rootStat, 0);
  return tree;
}

// ---------------------------------------------------------------- exec

interface RawResult {
  exitCode: number | null;
  out: Buffer;
  stderr: string;
  disconnected: boolean;
}

/**
 * Runs a command with raw bytes in and out (exec.ts deals in lines): stdin from a Buffer or a
 * stream, stdout into a stream or collected.
 */
function execRaw(conn: Connection, command: string, io: {stdin?: Buffer | Readable; stdout?: Writable; signal?: AbortSignal} = {}): Promise<RawResult> {
  const gone = (): RawResult => ({exitCode: null, out: Buffer.alloc(0), stderr: '', disconnected: true});
  return new Promise<RawResult>((resolve, reject) => {
    if (io.signal?.aborted) return reject(abortError('file transfer'));
    if (conn.isClosed()) return resolve(gone());
    let ch: ClientChannel | undefined;
    let done = false;
    const finish = (settle: () => void): void => {
      if (done) return;
      done = true;
      io.signal?.removeEventListener('abort', onAbort);
      settle();
    };
    const onAbort = (): void => {
      ch?.close();
      finish(() => reject(abortError('file transfer')));
    };
    io.signal?.addEventListener('abort', onAbort, {once: true});
    try {
      conn.client.exec(command, (err, channel) => {
        if (err) return finish(() => (conn.isClosed() ? resolve(gone()) : reject(new TransferError(`SSH exec failed to start: ${err.message}`))));
        if (done) return void channel.close();
        ch = channel;
        const out: Buffer[] = [];
        let stderr = '';
        let exitCode: number | null = null;
        let open = 2; // stdout 'close' + stderr 'close', as in exec.ts
        const onClosed = (): void => {
          if (--open > 0) return;
          finish(() => resolve({exitCode, out: Buffer.concat(out), stderr, disconnected: conn.isClosed()}));
        };
        channel.on('error', () => undefined);
        if (io.stdout) forward(channel, io.stdout);
        else channel.on('data', (d: Buffer) => out.push(d));
        channel.stderr.on('data', (d: Buffer) => {
          if (stderr.length < 8192) stderr += d.toString();
        });
        channel.on('exit', (code: number | null) => {
          if (typeof code === 'number') exitCode = code;
        });
        channel.once('close', onClosed);
        channel.stderr.once('close', onClosed);
        if (io.stdin === undefined) channel.end();
        else if (Buffer.isBuffer(io.stdin)) channel.end(io.stdin);
        else io.stdin.pipe(channel);
      });
    } catch {
      finish(() => resolve(gone()));
    }
  });
}

/**
 * Like `from.pipe(to)`, except that a destination that goes away early (tar exits once it has
 * read the end-of-archive blocks, before our EOF) does not leave the channel paused: the rest is
 * drained, or the channel would never end and never close.
 */
function forward(from: ClientChannel, to: Writable): void {
  let gone = false;
  const drop = (): void => {
    gone = true;
    from.resume();
  };
  to.once('error', drop);
  to.once('close', drop);
  from.on('data', (d: Buffer) => {
    if (gone || to.write(d)) return;
    from.pause();
    to.once('drain', () => from.resume());
  });
  from.once('end', () => gone || to.end());
}

function execFailure(what: string, r: RawResult, conn: Connection): TransferError {
  const status = r.disconnected ? `connection lost${conn.lostReason() ? `: ${conn.lostReason()}` : ''}` : r.exitCode === null ? 'no exit status' : `exit ${r.exitCode}`;
  const detail = r.stderr.trim() ? `: ${r.stderr.trim().split('\n').slice(-3).join(' / ')}` : '';
  return new TransferError(`${what} failed (${status})${detail}`);
}

/** One round trip that answers: what is at `p`, its permission bits, and is there a tar. */
async function probe(conn: Connection, p: string, signal?: AbortSignal): Promise<{kind: 'dir' | 'file' | 'other' | 'missing'; mode?: number; tar: boolean}> {
  const q = shellQuote(p);
  const r = await execRaw(
    conn,
    `if [ -d ${q} ]; then echo dir; elif [ -f ${q} ]; then echo file; elif [ -e ${q} ]; then echo other; else echo missing; fi; ls -ldnL ${q} 2>/dev/null; command -v tar >/dev/null 2>&1 && echo tar; true`,
    {signal},
  );
  if (r.exitCode !== 0) throw execFailure(`looking at ${p} on the guest`, r, conn);
  const lines = r.out.toString().split('\n');
  const kind = (lines[0] ?? 'missing') as 'dir' | 'file' | 'other' | 'missing';
  const mode = parseLsMode(lines[1]?.split(/\s+/)[0] ?? '');
  return mode === undefined ? {kind, tar: lines.includes('tar')} : {kind, mode, tar: lines.includes('tar')};
}

/** Permission bits from `ls -l`'s first column (`-rwsr-x--T` → 0o5750); undefined if it is not one. */
export function parseLsMode(s: string): number | undefined {
  if (!/^[-dlbcps][-r][-w][-xsS][-r][-w][-xsS][-r][-w][-xtT]/.test(s)) return undefined;
  let mode = 0;
  const bit = (i: number, set: number): void => void (s[i] !== '-' && s[i] !== 'S' && s[i] !== 'T' && (mode |= set));
  [0o400, 0o200, 0o100, 0o40, 0o20, 0o10, 0o4, 0o2, 0o1].forEach((v, i) => bit(i + 1, v));
  if (/[sS]/.test(s[3]!)) mode |= 0o4000;
  if (/[sS]/.test(s[6]!)) mode |= 0o2000;
  if (/[tT]/.test(s[9]!)) mode |= 0o1000;
  return mode;
}

const noTar = (what: string): TransferError =>
  new TransferError(`the guest has no SFTP server and no tar, so ${what} is not possible; install an sftp-server (or tar) on the guest, or copy a single archive file instead`);

/** Runs host tar and the guest's end of the pipe together; both must succeed. */
async function tarPipe(
  conn: Connection,
  local: {args: string[]},
  remoteCommand: string,
  direction: 'up' | 'down',
  signal?: AbortSignal,
): Promise<string> {
  const proc = execa('tar', local.args, {
    reject: false,
    buffer: {stdout: direction === 'down', stderr: true},
    stdin: direction === 'down' ? 'pipe' : 'ignore',
    cancelSignal: signal,
  });
  proc.catch(() => undefined);
  // Take tar's output at once: execa drains an unbuffered stdout that has no reader yet, and
  // the SSH channel only opens a round trip later (the archive's start would be lost).
  const archive = direction === 'up' ? proc.stdout!.pipe(new PassThrough()) : undefined;
  const remote = await execRaw(conn, remoteCommand, archive ? {stdin: archive, signal} : {stdout: proc.stdin!, signal}).catch((err: unknown) => {
    proc.kill();
    throw err;
  });
  if (direction === 'up' && remote.exitCode !== 0) proc.kill();
  // A guest tar may stop reading at the end-of-archive blocks; let ours write its padding.
  archive?.unpipe().resume();
  const host = await proc;
  if (remote.exitCode !== 0) throw execFailure(`tar on the guest (${remoteCommand})`, remote, conn);
  if (host.failed) {
    if ((host as {code?: string}).code === 'ENOENT') throw new TransferError('tar is not installed on this host (apt-get install tar)');
    throw new TransferError(`tar on this host failed (exit ${host.exitCode ?? host.signal}): ${String(host.stderr).trim().split('\n').slice(-3).join(' / ')}`);
  }
  return String(host.stdout ?? '');
}

/**
 * Runs `fn` with an open SFTP channel: aborting closes the channel (so a pending read or write
 * fails at once and reports the abort), and the channel is closed and waited for afterwards.
 */
async function usingSftp<T>(sftp: SFTPWrapper, signal: AbortSignal | undefined, fn: () => Promise<T>): Promise<T> {
  const closeSftp = (): void => void sftp.end();
  signal?.addEventListener('abort', closeSftp, {once: true});
  try {
    return await fn();
  } catch (err) {
    if (signal?.aborted) throw abortError('file transfer');
    throw err;
  } finally {
    signal?.removeEventListener('abort', closeSftp);
    await endAndWaitClosed(sftp);
  }
}

// ---------------------------------------------------------------- upload

/** See {@link SshSession.uploadPath}. */
export async function uploadPath(conn: Connection, state: UploadState, log: LogFn, localPath: string, remotePath: string, opts: TransferOptions = {}): Promise<TransferResult> {
  const {signal} = opts;
  const contentsOnly = hasTrailingSlash(localPath);
  const local = path.resolve(localPath);
  const tree = await scanLocal(local);
  const root = tree.entries[0];
  if (!root) throw new TransferError(`${local} is neither a file nor a directory`);
  const plan = planOf(tree);
  const sftp = await openSftp(conn, state, log);
  if (!sftp) return uploadViaExec(conn, local, remotePath, tree, contentsOnly, opts);
  return usingSftp(sftp, signal, async () => {
    const destStat = await sftpStat(sftp, trimRemote(remotePath));
    if (root.kind === 'file') {
      const target = remotePath.endsWith('/') || destStat?.isDirectory() ? posix.join(trimRemote(remotePath), path.basename(local)) : remotePath;
      opts.onPlan?.(plan);
      const bytes = await putFile(sftp, local, target, root.mode, signal);
      opts.onFile?.('', bytes);
      return {method: 'sftp', target, ...plan, bytes, skipped: tree.skipped};
    }
    const dest = trimRemote(remotePath);
    if (!destStat?.isDirectory()) throw mustExist(dest, destStat ? 'is not a directory' : 'does not exist');
    const top = contentsOnly ? dest : posix.join(dest, path.basename(local));
    opts.onPlan?.(plan);
    for (const e of tree.entries) {
      if (signal?.aborted) throw abortError('file transfer');
      const target = e.rel ? posix.join(top, e.rel) : top;
      if (e.kind === 'dir') {
        if (!(contentsOnly && e.rel === '')) await sftpMkdir(sftp, target);
      } else {
        // (Not inside `opts.onFile?.(…)`: without a callback its arguments are never evaluated.)
        const bytes = await putFile(sftp, path.join(local, e.rel), target, e.mode, signal);
        opts.onFile?.(e.rel, bytes);
      }
    }
    // Directory modes last, deepest first: a 0555 directory must not refuse its own files.
    for (const e of [...tree.entries].reverse()) {
      if (e.kind === 'dir' && !(contentsOnly && e.rel === '')) await call((cb) => sftp.chmod(e.rel ? posix.join(top, e.rel) : top, e.mode, cb));
    }
    return {method: 'sftp', target: top, ...plan, skipped: tree.skipped};
  });
}

function mustExist(dest: string, why: string): TransferError {
  return new TransferError(
    `destination ${dest} ${why} on the guest: for a directory upload it must already exist (Packer's rule); create it first, e.g. with a shell provisioner running mkdir -p ${shellQuote(dest)}`,
  );
}

async function uploadViaExec(conn: Connection, local: string, remotePath: string, tree: Tree, contentsOnly: boolean, opts: TransferOptions): Promise<TransferResult> {
  const {signal} = opts;
  const root = tree.entries[0]!;
  const plan = planOf(tree);
  const dest = trimRemote(remotePath);
  const at = await probe(conn, dest, signal);
  if (root.kind === 'file') {
    const target = remotePath.endsWith('/') || at.kind === 'dir' ? posix.join(dest, path.basename(local)) : remotePath;
    opts.onPlan?.(plan);
    const q = shellQuote(target);
    const r = await execRaw(conn, `cat > ${q} && chmod ${root.mode.toString(8).padStart(4, '0')} ${q}`, {stdin: createReadStream(local), signal});
    if (r.exitCode !== 0) throw execFailure(`upload to ${target} via exec cat`, r, conn);
    opts.onFile?.('', root.size);
    return {method: 'exec', target, ...plan, skipped: tree.skipped};
  }
  if (at.kind !== 'dir') throw mustExist(dest, at.kind === 'missing' ? 'does not exist' : 'is not a directory');
  if (!at.tar) throw noTar('a directory upload');
  // Never the "." entry: extracting it would re-mode the existing destination (think /tmp).
  const names = contentsOnly ? (await readdir(local)).sort().map((n) => `./${n}`) : [path.basename(local)];
  opts.onPlan?.(plan);
  if (names.length) {
    // Owned by root in the archive: a root extraction then gives root-owned files (as SFTP
    // would); -h follows links like the SFTP walk.
    const args = ['-c', '-h', '-f', '-', '--owner=0', '--group=0', '--numeric-owner', '-C', contentsOnly ? local : path.dirname(local), '--', ...names];
    await tarPipe(conn, {args}, `cd ${shellQuote(dest)} && tar -xf -`, 'up', signal);
  }
  for (const e of tree.entries) if (e.kind === 'file') opts.onFile?.(e.rel, e.size);
  return {method: 'exec', target: contentsOnly ? dest : posix.join(dest, path.basename(local)), ...plan, skipped: tree.skipped};
}

// ---------------------------------------------------------------- download

/** See {@link SshSession.downloadPath}. */
export async function downloadPath(conn: Connection, state: UploadState, log: LogFn, remotePath: string, localPath: string, opts: TransferOptions = {}): Promise<TransferResult> {
  const {signal} = opts;
  const contentsOnly = remotePath.endsWith('/') && trimRemote(remotePath) !== '/';
  const src = trimRemote(remotePath);
  const local = path.resolve(localPath);
  const localIsDir = async (): Promise<boolean> => hasTrailingSlash(localPath) || (await stat(local).then((s) => s.isDirectory(), () => false));
  const sftp = await openSftp(conn, state, log);
  if (!sftp) return downloadViaExec(conn, src, local, contentsOnly, localIsDir, opts);
  return usingSftp(sftp, signal, async () => {
    const st = await sftpStat(sftp, src);
    if (!st) throw new TransferError(`${src} does not exist on the guest`);
    const tree = await scanRemote(sftp, src, st);
    const root = tree.entries[0];
    if (!root) throw new TransferError(`${src} on the guest is neither a file nor a directory`);
    const plan = planOf(tree);
    opts.onPlan?.(plan);
    if (root.kind === 'file') {
      const target = (await localIsDir()) ? path.join(local, posix.basename(src)) : local;
      await mkdir(path.dirname(target), {recursive: true});
      const bytes = await getFile(sftp, src, target, root.mode, signal);
      opts.onFile?.('', bytes);
      return {method: 'sftp', target, ...plan, bytes, skipped: tree.skipped};
    }
    const top = contentsOnly ? local : path.join(local, posix.basename(src));
    let bytes = 0;
    for (const e of tree.entries) {
      if (signal?.aborted) throw abortError('file transfer');
      const target = e.rel ? path.join(top, e.rel) : top;
      if (e.kind === 'dir') await mkdir(target, {recursive: true});
      else {
        const n = await getFile(sftp, posix.join(src, e.rel), target, e.mode, signal);
        bytes += n;
        opts.onFile?.(e.rel, n);
      }
    }
    for (const e of [...tree.entries].reverse()) {
      if (e.kind === 'dir' && !(contentsOnly && e.rel === '')) await chmod(e.rel ? path.join(top, e.rel) : top, e.mode);
    }
    return {method: 'sftp', target: top, ...plan, bytes, skipped: tree.skipped};
  });
}

async function downloadViaExec(
  conn: Connection,
  src: string,
  local: string,
  contentsOnly: boolean,
  localIsDir: () => Promise<boolean>,
  opts: TransferOptions,
): Promise<TransferResult> {
  const {signal} = opts;
  const at = await probe(conn, src, signal);
  if (at.kind === 'missing') throw new TransferError(`${src} does not exist on the guest`);
  if (at.kind === 'other') throw new TransferError(`${src} on the guest is neither a file nor a directory`);
  if (at.kind === 'file') {
    const target = (await localIsDir()) ? path.join(local, posix.basename(src)) : local;
    await mkdir(path.dirname(target), {recursive: true});
    const mode = at.mode ?? 0o644;
    await rm(target, {force: true});
    const out = createWriteStream(target, {mode});
    const r = await execRaw(conn, `cat ${shellQuote(src)}`, {stdout: out, signal});
    await finished(out).catch(() => undefined);
    if (r.exitCode !== 0) throw execFailure(`download of ${src} via exec cat`, r, conn);
    await chmod(target, mode);
    opts.onPlan?.({files: 1, dirs: 0, bytes: out.bytesWritten});
    opts.onFile?.('', out.bytesWritten);
    return {method: 'exec', target, files: 1, dirs: 0, bytes: out.bytesWritten, skipped: []};
  }
  if (!at.tar) throw noTar('a directory download');
  const top = contentsOnly ? local : path.join(local, posix.basename(src));
  const into = contentsOnly ? local : path.dirname(top);
  await mkdir(into, {recursive: true});
  const remote = contentsOnly ? `cd ${shellQuote(src)} && tar -cf - .` : `cd ${shellQuote(posix.dirname(src))} && tar -cf - ${shellQuote(`./${posix.basename(src)}`)}`;
  // -v lists what was extracted: that is the plan. --no-overwrite-dir keeps an existing
  // destination's own mode when the archive carries "./".
  const listed = await tarPipe(conn, {args: ['-x', '-v', '-f', '-', '--no-same-owner', '--no-overwrite-dir', '-C', into]}, remote, 'down', signal);
  const tree: Tree = {entries: [], skipped: []};
  for (const name of listed.split('\n').filter(Boolean)) {
    const abs = path.join(into, name);
    const st = await stat(abs).catch(() => undefined);
    const rel = path.relative(top, abs).split(path.sep).join('/');
    if (st?.isDirectory()) tree.entries.push({rel, kind: 'dir', mode: st.mode & 0o7777, size: 0});
    else if (st?.isFile()) tree.entries.push({rel, kind: 'file', mode: st.mode & 0o7777, size: st.size});
  }
  const plan = planOf(tree);
  opts.onPlan?.(plan);
  for (const e of tree.entries) if (e.kind === 'file') opts.onFile?.(e.rel, e.size);
  return {method: 'exec', target: top, ...plan, skipped: []};
}
