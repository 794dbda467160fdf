/**
 * Copying over exec when the guest has no SFTP subsystem (a busybox guest without sftp-server
 * still has both): `cat` for files, `tar` for trees, piped through an exec channel as raw bytes.
 */
import {createReadStream, createWriteStream} from 'node:fs';
import {chmod, mkdir, readdir, rm, stat} from 'node:fs/promises';
import path from 'node:path';
import {PassThrough, type Readable, type Writable} from 'node:stream';
import {finished} from 'node:stream/promises';
import {execa} from 'execa';
import type {ClientChannel} from 'ssh2';
import {abortError, type Connection} from './exec.js';
import {shellQuote} from './upload.js';
import {mustExist, planOf, posix, trimRemote, TransferError, type Tree} from './transfer-tree.js';
import type {TransferOptions, TransferResult} from './types.js';

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

export async function uploadViaExec(conn: Connection, local: string, remotePath: string, tree: Tree, contentsOnly: boolean, opts: TransferOptions): Promise<TransferResult> {
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

export async function downloadViaExec(
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
