/**
 * Public types of the SSH adapter. The engine's wait-ssh and provision steps only see these,
 * never ssh2's own classes, so the library stays swappable and its quirks stay in src/ssh.
 */
import type {LogFn} from '../engine/events.js';

/** Where and as whom to connect. Secrets in here are never logged. */
export interface SshTarget {
  host: string;
  port: number;
  username: string;
  password?: string;
  /** OpenSSH or PEM private key text. */
  privateKey?: string | Buffer;
  /** Passphrase for an encrypted `privateKey`. */
  passphrase?: string;
  /**
   * Path of an ssh-agent socket (usually `process.env.SSH_AUTH_SOCK`), like Packer's
   * `ssh_agent_auth`. Its keys are offered after `privateKey` and before `password`; an agent
   * that cannot be reached is skipped (the reason shows in an auth failure), not fatal.
   */
  agent?: string;
  /**
   * Optional pin of the server's host key as `ssh-keygen -l` prints it (`SHA256:<base64>`).
   * Packer accepts any host key; pinning catches the port race where another build's guest
   * answers on our forwarded port. A mismatch fails at once with kind `host-key`.
   */
  hostKeyFingerprint?: string;
}

/**
 * Why one connection attempt failed.
 * - `refused`: nothing listens on the host port (QEMU not running, wrong port).
 * - `reset`: accepted, then dropped before the SSH banner — what QEMU's SLIRP forward does
 *   while the guest's sshd is not listening yet.
 * - `handshake`: accepted, but no SSH handshake in time (guest booting, network not up, sshd busy).
 * - `auth`: the server rejected every credential we offered.
 * - `host-key`: the host key did not match `hostKeyFingerprint`.
 * - `timeout`: the overall deadline passed (only on {@link SshWaitError}).
 * - `aborted`: the caller's AbortSignal fired (only on {@link SshWaitError}).
 */
export type SshFailureKind = 'refused' | 'reset' | 'handshake' | 'auth' | 'host-key' | 'timeout' | 'aborted' | 'other';

/** One failed attempt as reported to `onAttempt` and in logs. */
export interface SshAttemptFailure {
  kind: SshFailureKind;
  /** One human sentence: what happened and its usual cause. Never contains secrets. */
  message: string;
}

/** Options of {@link waitForSsh}. */
export interface WaitForSshOptions {
  /** Overall deadline for the whole wait (Packer's `ssh_timeout`). */
  timeoutMs: number;
  /**
   * Packer's `ssh_handshake_attempts`: consecutive authentication rejections tolerated before
   * giving up (auth can fail briefly while cloud-init or an installer still sets the password).
   * Default 10.
   */
  handshakeAttempts?: number;
  /**
   * Longest a single attempt may take from TCP connect to authenticated (ssh2's `readyTimeout`).
   * Default 5000; doubled after each handshake timeout (up to 4×) so a very slow guest still gets in.
   */
  attemptTimeoutMs?: number;
  /**
   * Once connected, send an SSH keepalive when the server has been quiet this long
   * (OpenSSH's ServerAliveInterval). Default 5000; 0 turns keepalives off.
   */
  keepaliveIntervalMs?: number;
  /**
   * Keepalives that may go unanswered (OpenSSH's ServerAliveCountMax): a peer that stops
   * answering is declared lost within `keepaliveIntervalMs × keepaliveCountMax` (default 3, so
   * 15 s) — the session's `lostReason` then says so and a running exec ends `disconnected`.
   */
  keepaliveCountMax?: number;
  /** Run the session's commands in a pseudo-terminal (Packer's ssh_pty). */
  pty?: boolean;
  signal?: AbortSignal;
  log?: LogFn;
  /** Called after every failed attempt, numbered from 1. */
  onAttempt?: (n: number, failure: SshAttemptFailure) => void;
}

/** Options of {@link SshSession.exec}. */
export interface ExecOptions {
  onStdout?: (line: string) => void;
  onStderr?: (line: string) => void;
  /** Aborting sends SIGTERM to the remote command, closes the channel and rejects with an AbortError. */
  signal?: AbortSignal;
  /** Bytes for the command's stdin; stdin is closed (EOF) after them, or at once when absent. */
  stdin?: string | Buffer;
}

/** Outcome of {@link SshSession.exec}. */
export interface ExecResult {
  /** The remote exit status; null when the server reported none, the command died by a signal, or the connection dropped. */
  exitCode: number | null;
  /** Signal name (`SIGKILL`, …) when the server reported the command was killed by one. */
  signal?: string;
  /** True when the SSH connection was lost before the command's channel closed normally. */
  disconnected: boolean;
  /** With `disconnected`: why the connection was lost (the session's `lostReason`), when it was lost rather than closed by us. */
  lostReason?: string;
}

/** Options of {@link SshSession.uploadPath} and {@link SshSession.downloadPath}. */
export interface TransferOptions {
  /** Aborting stops between (or inside) files and rejects with an AbortError. */
  signal?: AbortSignal;
  /**
   * Called once the source is listed, before the first byte moves (for a directory download
   * without SFTP, where tar does the listing, right after it finished).
   */
  onPlan?: (plan: TransferPlan) => void;
  /** Called after each file, with its path relative to the transfer's root ('' for a lone file). */
  onFile?: (relPath: string, bytes: number) => void;
}

/** How much a transfer moves. */
export interface TransferPlan {
  files: number;
  /** Directories created or filled (the root of a tree counts). */
  dirs: number;
  bytes: number;
}

/** Outcome of a transfer. */
export interface TransferResult extends TransferPlan {
  method: 'sftp' | 'exec';
  /** Where the file or tree ended up: a remote path for uploads, a local one for downloads. */
  target: string;
  /** Entries that are neither files nor directories (sockets, fifos, devices): not copied. */
  skipped: string[];
}

/** An authenticated SSH connection. */
export interface SshSession {
  /**
   * Run a command; stream stdout/stderr as complete lines (split on \n, strip a trailing \r,
   * flush a final partial line at exit). Exit code null when the server reports none or the
   * connection drops.
   */
  exec(command: string, opts?: ExecOptions): Promise<ExecResult>;
  /**
   * Upload bytes to a remote path: SFTP first; if the server has no sftp subsystem, fall back
   * to `exec('cat > path')` (then chmod).
   */
  upload(content: string | Buffer, remotePath: string, opts?: {mode?: number}): Promise<{method: 'sftp' | 'exec'}>;
  /**
   * Copy a local file or directory tree to the guest, keeping permission bits (Packer's file
   * provisioner rules): a directory source ending in `/` fills `remotePath` with its contents,
   * without it the directory itself is created inside `remotePath`, which must already exist;
   * a file goes to `remotePath`, or inside it when that ends in `/` or is a directory.
   * SFTP first; without an sftp subsystem files go through `cat` and trees through `tar` over exec.
   */
  uploadPath(localPath: string, remotePath: string, opts?: TransferOptions): Promise<TransferResult>;
  /**
   * Copy a guest file or directory tree to the host, the mirror image of {@link uploadPath};
   * missing local directories are created.
   */
  downloadPath(remotePath: string, localPath: string, opts?: TransferOptions): Promise<TransferResult>;
  /** Close the connection (idempotent). */
  close(): void;
  /** Resolves once the connection has ended, closed or failed, whoever ended it. */
  readonly closed: Promise<void>;
  /**
   * Why the connection was lost, e.g. "keepalive: no answer for 15s", "connection reset",
   * "server closed the connection". Undefined while the connection is alive, and when it
   * ended because of our own `close()`.
   */
  readonly lostReason: string | undefined;
}
