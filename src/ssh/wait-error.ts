import type {SshFailureKind} from './types.js';

/**
 * Why {@link waitForSsh} gave up. The message is one sentence a user can act on, e.g.
 * "Timed out after 2m waiting for SSH on root@127.0.0.1:2222: 41 attempts, last (38 in a row):
 * port forwarded but guest not listening yet (connection reset before the SSH banner)".
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
  /** How many attempts in a row, up to the last one, failed with `lastKind`. */
  readonly lastCount?: number;

  constructor(kind: SshFailureKind, message: string, attempts: number, last?: {kind: SshFailureKind; message: string; count?: number}) {
    super(message);
    this.kind = kind;
    this.attempts = attempts;
    if (last) {
      this.lastError = last.message;
      this.lastKind = last.kind;
      if (last.count !== undefined) this.lastCount = last.count;
    }
  }
}

