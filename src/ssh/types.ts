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
  /** Close the connection (idempotent). */
  close(): void;
  /** Resolves once the connection has ended, closed or failed, whoever ended it. */
  readonly closed: Promise<void>;
}
