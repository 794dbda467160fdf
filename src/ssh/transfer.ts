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
import {chmod, mkdir, open, rm, stat} from 'node:fs/promises';
import path from 'node:path';
import type {SFTPWrapper, Stats} from 'ssh2';
import type {LogFn} from '../engine/events.js';
import {abortError, type Connection} from './exec.js';
import type {UploadState} from './upload.js';
import {endAndWaitClosed, markClosedOnClose} from './sftp-close.js';
import {downloadViaExec, uploadViaExec} from './transfer-exec.js';
import {hasTrailingSlash, joinRel, mustExist, planOf, posix, scanLocal, trimRemote, TransferError, type Tree} from './transfer-tree.js';
import type {TransferOptions, TransferResult} from './types.js';

export {TransferError} from './transfer-tree.js';
export {parseLsMode} from './transfer-exec.js';

const CHUNK = 32 * 1024;
const WRITES_IN_FLIGHT = 16;
/** SFTP status NO_SUCH_FILE, as ssh2 puts it in `err.code`. */
const NO_SUCH_FILE = 2;

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
