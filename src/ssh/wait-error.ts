import type {SshFailureKind} from './types.js';

/**
 * Why {@link waitForSsh} gave up. The message is one sentence a user can act on, e.g.
 * "Timed out after 2m waiting for SSH on root@127.0.0.1:2222: 41 attempts, last: connection
 * reset before handshake (port forwarded but guest sshd not listening yet)".
 */
export class SshWaitError extends Error {
  override readonly name = 'SshWaitError';
  /** Why the wait ended: `timeout`, `auth`, `host-key`, `aborted`, or `other` for bad input. */
  readonly kind: SshFailureKind;
  /** Connection attempts made (finished or cut short). */
  readonly attempts: number;
  /** The last attempt's failure, as a sentence (undefined when no attempt failed yet). */
  readonly lastError?: string;
  /** The last attempt's failure kind (e.g. `reset` inside a `timeout`). */
  readonly lastKind?: SshFailureKind;

  constructor(kind: SshFailureKind, message: string, attempts: number, last?: {kind: SshFailureKind; message: string}) {
    super(message);
    this.kind = kind;
    this.attempts = attempts;
    if (last) {
      this.lastError = last.message;
      this.lastKind = last.kind;
    }
  }
}

/** "2m", "1m30s", "45s", "1.5s", "300ms": short, like Packer's durations. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 10_000 && ms % 1000 !== 0) return `${(ms / 1000).toFixed(1).replace(/\.0$/, '')}s`;
  const totalSeconds = Math.round(ms / 1000);
  const minutes = Math.floor(totalSeconds / 60);
  const seconds = totalSeconds % 60;
  if (minutes === 0) return `${seconds}s`;
  return seconds === 0 ? `${minutes}m` : `${minutes}m${seconds}s`;
}
