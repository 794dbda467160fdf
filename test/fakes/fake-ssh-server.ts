/**
 * An in-process SSH server (ssh2's Server) on 127.0.0.1 for protocol tests of src/ssh.
 *
 * - users with a password and/or an authorized public key; rejected attempts are answered with
 *   the offered method list, like OpenSSH;
 * - exec runs a scripted handler (or a built-in `cat > 'f' && chmod 0755 'f'` mini shell that
 *   stores files), which may write stdout/stderr in arbitrary chunks, exit with a code, close
 *   with no exit status, or drop the TCP connection mid-command;
 * - the sftp subsystem can be offered (OPEN/WRITE/CLOSE/SETSTAT/FSETSTAT into memory) or refused;
 * - or SFTP served from a real directory (`sftpRoot`), and exec run by the host's /bin/sh
 *   (`hostShell`), for tests of file and tree transfer;
 * - it can be started late on a port reserved up front, to test retries.
 * We own the TCP listener and hand sockets to ssh2 with injectSocket(), so a test can really
 * drop a connection (socket.destroy), not just end it politely.
 */
import {spawn} from 'node:child_process';
import {createHash} from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import nodePath from 'node:path';
import ssh2 from 'ssh2';
import type {AuthContext, AuthenticationType, Connection, ParsedKey, ServerChannel, SFTPWrapper} from 'ssh2';

export interface FakeUser {
  password?: string;
  /** authorized_keys line (`ssh-ed25519 AAAA… comment`). */
  publicKey?: string;
}

/** What an exec handler gets. */
export interface FakeExec {
  command: string;
  /** Everything the client sent on stdin, once it sent EOF. */
  stdin: Promise<Buffer>;
  stdout(data: string | Buffer): void;
  stderr(data: string | Buffer): void;
  /** Send exit-status, then EOF and CLOSE. */
  exit(code: number): void;
  /** Send exit-signal (`KILL`, `TERM`, …), then EOF and CLOSE. */
  exitSignal(name: string): void;
  /** Send EOF and CLOSE without any exit status. */
  closeWithoutStatus(): void;
  /**
   * Destroy the TCP connection under the session (after flushing what was written). The kernel
   * sends a FIN, or an RST when the client's last bytes are still unread: either may reach it.
   */
  drop(): void;
  /** Close the TCP connection politely (FIN after what was written, nothing unread lost): a clean hang-up. */
  hangUp(): void;
  /** Resolves when the channel has closed (either side). */
  closed: Promise<void>;
}

export type FakeExecHandler = (exec: FakeExec, server: FakeSshServer) => void | Promise<void>;

export interface FakeSshServerOptions {
  users: Record<string, FakeUser>;
  /** Offer the sftp subsystem (default true). */
  sftp?: boolean;
  /** Handler for exec requests; default: {@link builtinShell}. */
  exec?: FakeExecHandler;
  /**
   * Serve SFTP from this real directory instead of the in-memory store: guest path `/x` is
   * `<sftpRoot>/x` on disk (`'/'` serves the host's own paths). See {@link serveSftpFs}.
   */
  sftpRoot?: string;
}

export interface StoredFile {
  data: Buffer;
  mode?: number;
}

/** Ask the OS for a free port, then release it: for servers started later on a known port. */
export async function reservePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

export class FakeSshServer {
  /** Files written through SFTP or the built-in shell, by path. */
  readonly files = new Map<string, StoredFile>();
  readonly commands: string[] = [];
  readonly authLog: {username: string; method: string; ok: boolean}[] = [];
  readonly hostKeyFingerprint: string;
  /** Resolves each time a listener goes up (for "started late" tests). */
  listening: Promise<void>;
  port = 0;

  private readonly ssh: InstanceType<typeof ssh2.Server>;
  private readonly tcp: net.Server;
  private readonly sockets = new Map<number, net.Socket>();
  private readonly userKeys = new Map<string, ParsedKey>();
  private markListening!: () => void;

  constructor(private readonly opts: FakeSshServerOptions) {
    // ssh2's generator makes a malformed ed25519 pair 1 time in 256 (see src/ssh/keys.ts): retry.
    let host: {private: string; public: string};
    let hostPub: ParsedKey | Error;
    do {
      host = ssh2.utils.generateKeyPairSync('ed25519');
      hostPub = ssh2.utils.parseKey(host.public) as ParsedKey | Error;
    } while (hostPub instanceof Error || ssh2.utils.parseKey(host.private) instanceof Error);
    this.hostKeyFingerprint = fingerprint(hostPub.getPublicSSH());
    for (const [name, user] of Object.entries(opts.users)) {
      if (user.publicKey) this.userKeys.set(name, ssh2.utils.parseKey(user.publicKey) as ParsedKey);
    }
    this.ssh = new ssh2.Server({hostKeys: [host.private]}, (conn, info) => this.onConnection(conn, info.port));
    this.tcp = net.createServer((socket) => {
      socket.setNoDelay(true); // else Nagle + delayed ACK add ~40 ms per exchange and slow every test
      const port = socket.remotePort;
      if (port !== undefined) {
        this.sockets.set(port, socket);
        socket.once('close', () => this.sockets.delete(port));
      }
      this.ssh.injectSocket(socket);
    });
    this.listening = new Promise((resolve) => (this.markListening = resolve));
  }

  /** Start on a free port (0) or a reserved one. */
  async listen(port = 0): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.tcp.once('error', reject);
      this.tcp.listen(port, '127.0.0.1', () => {
        this.tcp.removeListener('error', reject);
        resolve();
      });
    });
    this.port = (this.tcp.address() as net.AddressInfo).port;
    this.markListening();
    return this.port;
  }

  /** Stop listening and destroy every connection. */
  async close(): Promise<void> {
    for (const socket of this.sockets.values()) socket.destroy();
    if (!this.tcp.listening) return;
    await new Promise<void>((resolve) => this.tcp.close(() => resolve()));
  }

  /** Methods announced in USERAUTH_FAILURE, like OpenSSH's "publickey,password". */
  private offeredMethods(): AuthenticationType[] {
    const users = Object.values(this.opts.users);
    const methods: AuthenticationType[] = [];
    if (users.some((u) => u.publicKey)) methods.push('publickey');
    if (users.some((u) => u.password !== undefined)) methods.push('password');
    return methods;
  }

  private onConnection(conn: Connection, remotePort: number): void {
    conn.on('error', () => {}); // a client vanishing mid-handshake is routine here
    conn.on('authentication', (ctx) => this.authenticate(ctx));
    conn.on('ready', () => {
      conn.on('session', (accept) => {
        const session = accept();
        session.on('exec', (acceptExec, _reject, info) => {
          this.commands.push(info.command);
          this.runExec(acceptExec(), info.command, remotePort);
        });
        session.on('sftp', (acceptSftp, rejectSftp) => {
          if (this.opts.sftp === false) return rejectSftp();
          if (this.opts.sftpRoot !== undefined) return serveSftpFs(acceptSftp(), this.opts.sftpRoot);
          serveSftp(acceptSftp(), this.files);
        });
      });
    });
  }

  private authenticate(ctx: AuthContext): void {
    const user = this.opts.users[ctx.username];
    let ok = false;
    if (user && ctx.method === 'password') ok = user.password !== undefined && ctx.password === user.password;
    if (user && ctx.method === 'publickey') {
      const key = this.userKeys.get(ctx.username);
      const sameKey = !!key && ctx.key.algo === key.type && ctx.key.data.equals(key.getPublicSSH());
      if (sameKey && !ctx.signature) return ctx.accept(); // "would this key do?" → PK_OK
      ok = sameKey && !!ctx.signature && !!ctx.blob && key.verify(ctx.blob, ctx.signature, ctx.hashAlgo) === true;
    }
    if (ctx.method !== 'none') this.authLog.push({username: ctx.username, method: ctx.method, ok});
    if (ok) ctx.accept();
    else ctx.reject(this.offeredMethods());
  }

  private runExec(channel: ServerChannel, command: string, remotePort: number): void {
    const chunks: Buffer[] = [];
    const stdin = new Promise<Buffer>((resolve) => {
      channel.on('data', (chunk: Buffer) => chunks.push(chunk));
      channel.on('end', () => resolve(Buffer.concat(chunks)));
    });
    const exec: FakeExec = {
      command,
      stdin,
      stdout: (data) => channel.write(data),
      stderr: (data) => channel.stderr.write(data),
      exit: (code) => {
        channel.exit(code);
        channel.end();
      },
      exitSignal: (name) => {
        channel.exit(name, false, '');
        channel.end();
      },
      closeWithoutStatus: () => channel.end(),
      drop: () => {
        // An empty write completes only after everything written before it reached the kernel,
        // so output sent just before the drop still arrives; then cut the TCP connection.
        const socket = this.sockets.get(remotePort);
        socket?.write('', () => socket.destroy());
      },
      hangUp: () => {
        const socket = this.sockets.get(remotePort);
        socket?.end();
      },
      closed: new Promise((resolve) => channel.once('close', () => resolve())),
    };
    void Promise.resolve((this.opts.exec ?? builtinShell)(exec, this)).catch((err: unknown) => {
      exec.stderr(`fake server handler failed: ${String(err)}\n`);
      exec.exit(99);
    });
  }
}

/** Start a server on a free port. */
export async function startFakeSshServer(opts: FakeSshServerOptions): Promise<FakeSshServer> {
  const server = new FakeSshServer(opts);
  await server.listen();
  return server;
}

/**
 * Understands exactly what the exec upload fallback sends: `cat > 'path'` optionally followed by
 * `&& chmod MODE 'path'`; anything else exits 127 like a shell.
 */
export const builtinShell: FakeExecHandler = async (exec, server) => {
  const quoted = `'((?:[^']|'\\\\'')*)'`;
  const m = new RegExp(`^cat > ${quoted}(?: && chmod ([0-7]{3,4}) ${quoted})?$`).exec(exec.command);
  if (!m) {
    exec.stderr(`sh: ${exec.command}: not found\n`);
    return exec.exit(127);
  }
  const unquote = (s: string) => s.replace(/'\\''/g, "'");
  const path = unquote(m[1]!);
  const data = await exec.stdin;
  server.files.set(path, m[2] ? {data, mode: parseInt(m[2], 8)} : {data});
  exec.exit(0);
};

function fingerprint(blob: Buffer): string {
  // Same format as ssh-keygen -l; computed independently of src/ssh on purpose.
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** Enough SFTP v3 server for uploads: OPEN, WRITE, CLOSE, SETSTAT, FSETSTAT. */
function serveSftp(sftp: SFTPWrapper, files: Map<string, StoredFile>): void {
  const {STATUS_CODE, OPEN_MODE} = ssh2.utils.sftp;
  const open = new Map<string, {path: string; data: Buffer; mode?: number}>();
  let nextHandle = 0;
  sftp.on('OPEN', (reqId, filename, flags, attrs) => {
    if (!(flags & OPEN_MODE.WRITE)) return sftp.status(reqId, STATUS_CODE.OP_UNSUPPORTED);
    const existing = files.get(filename);
    const data = existing && !(flags & OPEN_MODE.TRUNC) ? existing.data : Buffer.alloc(0);
    const handle = Buffer.from(String(nextHandle++));
    open.set(handle.toString(), {path: filename, data, mode: existing?.mode ?? attrs.mode});
    sftp.handle(reqId, handle);
  });
  sftp.on('WRITE', (reqId, handle, offset, data) => {
    const file = open.get(handle.toString());
    if (!file) return sftp.status(reqId, STATUS_CODE.FAILURE);
    const end = offset + data.length;
    if (end > file.data.length) file.data = Buffer.concat([file.data, Buffer.alloc(end - file.data.length)]);
    data.copy(file.data, offset);
    sftp.status(reqId, STATUS_CODE.OK);
  });
  sftp.on('FSETSTAT', (reqId, handle, attrs) => {
    const file = open.get(handle.toString());
    if (!file) return sftp.status(reqId, STATUS_CODE.FAILURE);
    if (attrs.mode !== undefined) file.mode = attrs.mode;
    sftp.status(reqId, STATUS_CODE.OK);
  });
  sftp.on('CLOSE', (reqId, handle) => {
    const key = handle.toString();
    const file = open.get(key);
    if (!file) return sftp.status(reqId, STATUS_CODE.FAILURE);
    open.delete(key);
    files.set(file.path, file.mode === undefined ? {data: file.data} : {data: file.data, mode: file.mode});
    sftp.status(reqId, STATUS_CODE.OK);
  });
  sftp.on('SETSTAT', (reqId, path, attrs) => {
    const file = files.get(path);
    if (!file) return sftp.status(reqId, STATUS_CODE.NO_SUCH_FILE);
    if (attrs.mode !== undefined) file.mode = attrs.mode;
    sftp.status(reqId, STATUS_CODE.OK);
  });
}

/**
 * An exec handler that really runs the command with the host's /bin/sh (stdin, stdout, stderr
 * and exit status passed through): for tests of code that shells out on the guest (cat, tar).
 * Paths in commands are host paths, so point tests at temporary directories.
 */
export const hostShell: FakeExecHandler = async (exec) => {
  const child = spawn('/bin/sh', ['-c', exec.command], {stdio: ['pipe', 'pipe', 'pipe']});
  child.stdout.on('data', (d: Buffer) => exec.stdout(d));
  child.stderr.on('data', (d: Buffer) => exec.stderr(d));
  child.stdin.on('error', () => {}); // the command may exit without reading its stdin
  void exec.stdin.then((data) => child.stdin.end(data));
  void exec.closed.then(() => child.kill('SIGTERM'));
  const [code, sig] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.once('close', (c, s) => resolve([c, s])));
  if (code === null) exec.exitSignal(String(sig ?? 'KILL').replace(/^SIG/, ''));
  else exec.exit(code);
};

/**
 * SFTP v3 over a real directory (synchronous fs calls; enough for ssh2's client methods):
 * OPEN/READ/WRITE/CLOSE, FSTAT/STAT/LSTAT, SETSTAT/FSETSTAT (mode), OPENDIR/READDIR, MKDIR,
 * RMDIR, REMOVE, RENAME, REALPATH, READLINK. Errors map to NO_SUCH_FILE / PERMISSION_DENIED /
 * FAILURE with the OS message, like OpenSSH's sftp-server.
 */
export function serveSftpFs(sftp: SFTPWrapper, root: string): void {
  const {STATUS_CODE, flagsToString} = ssh2.utils.sftp;
  const real = (p: string): string => nodePath.join(root, nodePath.posix.resolve('/', p));
  const handles = new Map<string, {fd: number} | {dir: string; sent: boolean}>();
  let next = 0;
  const newHandle = (v: {fd: number} | {dir: string; sent: boolean}): Buffer => {
    const h = Buffer.from(`h${next++}`);
    handles.set(h.toString(), v);
    return h;
  };
  const attrsOf = (st: fs.Stats) => ({mode: st.mode, uid: st.uid, gid: st.gid, size: st.size, atime: Math.floor(st.atimeMs / 1000), mtime: Math.floor(st.mtimeMs / 1000)});
  const fail = (reqId: number, err: unknown): void => {
    const e = err as NodeJS.ErrnoException;
    const code = e.code === 'ENOENT' ? STATUS_CODE.NO_SUCH_FILE : e.code === 'EACCES' || e.code === 'EPERM' ? STATUS_CODE.PERMISSION_DENIED : STATUS_CODE.FAILURE;
    sftp.status(reqId, code, e.message);
  };
  const guard = (reqId: number, fn: () => void): void => {
    try {
      fn();
    } catch (err) {
      fail(reqId, err);
    }
  };
  // The client ends SFTP with CHANNEL_CLOSE; ssh2 answers that for exec channels but not for
  // SFTP ones (utils.js onCHANNEL_CLOSE), so close back like sftp-server exiting would.
  sftp.on('end', () => {
    for (const h of handles.values()) if ('fd' in h) fs.closeSync(h.fd);
    handles.clear();
    sftp.end();
  });
  sftp.on('OPEN', (reqId, filename, flags, attrs) =>
    guard(reqId, () => sftp.handle(reqId, newHandle({fd: fs.openSync(real(filename), flagsToString(flags) ?? 'r', attrs.mode ?? 0o666)}))),
  );
  sftp.on('READ', (reqId, handle, offset, length) =>
    guard(reqId, () => {
      const h = handles.get(handle.toString());
      if (!h || !('fd' in h)) return sftp.status(reqId, STATUS_CODE.FAILURE, 'bad handle');
      const buf = Buffer.alloc(length);
      const n = fs.readSync(h.fd, buf, 0, length, offset);
      if (n === 0) return sftp.status(reqId, STATUS_CODE.EOF);
      sftp.data(reqId, buf.subarray(0, n));
    }),
  );
  sftp.on('WRITE', (reqId, handle, offset, data) =>
    guard(reqId, () => {
      const h = handles.get(handle.toString());
      if (!h || !('fd' in h)) return sftp.status(reqId, STATUS_CODE.FAILURE, 'bad handle');
      fs.writeSync(h.fd, data, 0, data.length, offset);
      sftp.status(reqId, STATUS_CODE.OK);
    }),
  );
  sftp.on('CLOSE', (reqId, handle) =>
    guard(reqId, () => {
      const key = handle.toString();
      const h = handles.get(key);
      if (!h) return sftp.status(reqId, STATUS_CODE.FAILURE, 'bad handle');
      handles.delete(key);
      if ('fd' in h) fs.closeSync(h.fd);
      sftp.status(reqId, STATUS_CODE.OK);
    }),
  );
  sftp.on('FSTAT', (reqId, handle) =>
    guard(reqId, () => {
      const h = handles.get(handle.toString());
      if (!h || !('fd' in h)) return sftp.status(reqId, STATUS_CODE.FAILURE, 'bad handle');
      sftp.attrs(reqId, attrsOf(fs.fstatSync(h.fd)));
    }),
  );
  sftp.on('STAT', (reqId, p) => guard(reqId, () => sftp.attrs(reqId, attrsOf(fs.statSync(real(p))))));
  sftp.on('LSTAT', (reqId, p) => guard(reqId, () => sftp.attrs(reqId, attrsOf(fs.lstatSync(real(p))))));
  sftp.on('SETSTAT', (reqId, p, attrs) =>
    guard(reqId, () => {
      if (attrs.mode !== undefined) fs.chmodSync(real(p), attrs.mode & 0o7777);
      sftp.status(reqId, STATUS_CODE.OK);
    }),
  );
  sftp.on('FSETSTAT', (reqId, handle, attrs) =>
    guard(reqId, () => {
      const h = handles.get(handle.toString());
      if (!h || !('fd' in h)) return sftp.status(reqId, STATUS_CODE.FAILURE, 'bad handle');
      if (attrs.mode !== undefined) fs.fchmodSync(h.fd, attrs.mode & 0o7777);
      sftp.status(reqId, STATUS_CODE.OK);
    }),
  );
  sftp.on('OPENDIR', (reqId, p) =>
    guard(reqId, () => {
      if (!fs.statSync(real(p)).isDirectory()) throw Object.assign(new Error(`${p}: not a directory`), {code: 'ENOTDIR'});
      sftp.handle(reqId, newHandle({dir: real(p), sent: false}));
    }),
  );
  sftp.on('READDIR', (reqId, handle) =>
    guard(reqId, () => {
      const h = handles.get(handle.toString());
      if (!h || !('dir' in h)) return sftp.status(reqId, STATUS_CODE.FAILURE, 'bad handle');
      if (h.sent) return sftp.status(reqId, STATUS_CODE.EOF);
      h.sent = true;
      const names = ['.', '..', ...fs.readdirSync(h.dir)].map((filename) => {
        const st = fs.lstatSync(nodePath.join(h.dir, filename));
        return {filename, longname: filename, attrs: attrsOf(st)};
      });
      sftp.name(reqId, names);
    }),
  );
  sftp.on('MKDIR', (reqId, p, attrs) =>
    guard(reqId, () => {
      fs.mkdirSync(real(p), attrs.mode === undefined ? undefined : {mode: attrs.mode});
      sftp.status(reqId, STATUS_CODE.OK);
    }),
  );
  sftp.on('RMDIR', (reqId, p) => guard(reqId, () => (fs.rmdirSync(real(p)), sftp.status(reqId, STATUS_CODE.OK))));
  sftp.on('REMOVE', (reqId, p) => guard(reqId, () => (fs.unlinkSync(real(p)), sftp.status(reqId, STATUS_CODE.OK))));
  sftp.on('RENAME', (reqId, from, to) => guard(reqId, () => (fs.renameSync(real(from), real(to)), sftp.status(reqId, STATUS_CODE.OK))));
  sftp.on('REALPATH', (reqId, p) => guard(reqId, () => sftp.name(reqId, [{filename: nodePath.posix.resolve('/', p), longname: '', attrs: {} as never}])));
  sftp.on('READLINK', (reqId, p) => guard(reqId, () => sftp.name(reqId, [{filename: fs.readlinkSync(real(p)), longname: '', attrs: {} as never}])));
}
