/**
 * Wait for the guest's sshd and return a session: the engine's wait-ssh step.
 *
 * Packer polls every ~7 s and, on timeout, says only "Timeout waiting for SSH". We poll with a
 * short backoff (150 ms growing ×1.5 to a 1 s cap) so a freshly listening sshd is found within
 * about a second, and we keep why each attempt failed so the final error names the last cause.
 */
import {noLog} from '../engine/events.js';
import {parsePrivateKey} from './auth.js';
import type {ClassifiedFailure} from './classify.js';
import {connectOnce} from './connect-once.js';
import {createSession} from './session.js';
import type {SshSession, SshTarget, WaitForSshOptions} from './types.js';
import {SshWaitError} from './wait-error.js';
import {formatDuration} from '../util/duration.js';

const BACKOFF_START_MS = 150;
const BACKOFF_FACTOR = 1.5;
const BACKOFF_CAP_MS = 1000;
const DEFAULT_ATTEMPT_TIMEOUT_MS = 5000;
const DEFAULT_KEEPALIVE_INTERVAL_MS = 5000;
const DEFAULT_KEEPALIVE_COUNT_MAX = 3;
/** Below this much time left, another attempt could not even finish a TCP connect + handshake. */
const MIN_ATTEMPT_MS = 50;

/**
 * Keep trying to connect until it works, the deadline passes, auth is definitively rejected,
 * or the signal aborts.
 *
 * @throws {SshWaitError} kind `timeout` (message names the attempt count and the last failure),
 *   `auth` (after `handshakeAttempts` consecutive rejections, without waiting out the timeout),
 *   `host-key`, `handshake` (no common algorithm), `aborted`, or `other` (unusable key, bad options).
 */
export async function waitForSsh(target: SshTarget, opts: WaitForSshOptions): Promise<SshSession> {
  const log = opts.log ?? noLog;
  const handshakeAttempts = opts.handshakeAttempts ?? 10;
  const baseAttemptTimeout = opts.attemptTimeoutMs ?? DEFAULT_ATTEMPT_TIMEOUT_MS;
  const keepaliveIntervalMs = opts.keepaliveIntervalMs ?? DEFAULT_KEEPALIVE_INTERVAL_MS;
  const keepaliveCountMax = opts.keepaliveCountMax ?? DEFAULT_KEEPALIVE_COUNT_MAX;
  const label = `${target.username}@${target.host}:${target.port}`;
  const started = Date.now();
  const deadline = started + opts.timeoutMs;

  if (!(opts.timeoutMs > 0) || !(handshakeAttempts >= 1) || !(baseAttemptTimeout > 0)) {
    throw new SshWaitError('other', `Invalid SSH wait options for ${label}: timeoutMs, handshakeAttempts and attemptTimeoutMs must be positive`, 0);
  }
  if (!(keepaliveIntervalMs >= 0) || !Number.isInteger(keepaliveCountMax) || !(keepaliveCountMax >= 1)) {
    throw new SshWaitError('other', `Invalid SSH wait options for ${label}: keepaliveIntervalMs must be ≥ 0 and keepaliveCountMax a whole number ≥ 1`, 0);
  }
  let key;
  try {
    key = parsePrivateKey(target);
  } catch (err) {
    throw new SshWaitError('other', `Cannot connect to ${label}: ${(err as Error).message}`, 0);
  }

  let attempts = 0;
  let authFailures = 0;
  let last: ClassifiedFailure | undefined;
  /** How many attempts in a row ended like `last` (same kind). */
  let lastCount = 0;
  let backoff = BACKOFF_START_MS;
  let attemptTimeout = baseAttemptTimeout;
  const lastInfo = () => (last ? {kind: last.kind, message: last.message, count: lastCount} : undefined);
  const aborted = () => new SshWaitError('aborted', `Waiting for SSH on ${label} aborted after ${attempts} attempt${attempts === 1 ? '' : 's'}`, attempts, lastInfo());

  log('debug', `waiting for SSH on ${label} (timeout ${formatDuration(opts.timeoutMs)})`);
  for (;;) {
    if (opts.signal?.aborted) throw aborted();
    const remaining = deadline - Date.now();
    if (remaining < MIN_ATTEMPT_MS) {
      // "41 attempts, last (38 in a row): port forwarded but guest not listening yet (…)"
      const lastPart = last ? `last (${lastCount} in a row): ${last.message}` : 'none finished';
      throw new SshWaitError('timeout', `Timed out after ${formatDuration(opts.timeoutMs)} waiting for SSH on ${label}: ${attempts} attempt${attempts === 1 ? '' : 's'}, ${lastPart}`, attempts, lastInfo());
    }

    attempts++;
    const readyTimeoutMs = Math.min(attemptTimeout, remaining);
    const outcome = await connectOnce(target, {readyTimeoutMs, keepaliveIntervalMs, keepaliveCountMax, key, signal: opts.signal});
    if (outcome.ok) {
      log('info', `SSH connected to ${label} after ${attempts} attempt${attempts === 1 ? '' : 's'} in ${formatDuration(Date.now() - started)}`);
      return createSession(outcome.client, label, log, {keepaliveBudgetMs: keepaliveIntervalMs * keepaliveCountMax, pty: opts.pty});
    }

    const failure = outcome.failure;
    if (failure.kind === 'aborted') throw aborted();
    opts.onAttempt?.(attempts, {kind: failure.kind, message: failure.message});
    const attemptLine = `SSH attempt ${attempts} to ${label} failed (${failure.kind}): ${failure.message}`;
    if (failure.kind !== last?.kind) {
      // A new kind of failure is progress (refused → reset: QEMU's forward is up; reset →
      // handshake: sshd answers): say so, and retry quickly again. The message leads with the
      // phrase for its kind ("port forwarded but guest not listening yet", "handshake failed",
      // "auth rejected: methods offered …", "host key changed").
      log('info', `SSH ${label}: ${failure.message}`);
      backoff = BACKOFF_START_MS;
      lastCount = 0;
    }
    last = failure;
    lastCount++;

    authFailures = failure.kind === 'auth' ? authFailures + 1 : 0;
    if (authFailures >= handshakeAttempts) {
      log('debug', `${attemptLine}; giving up`);
      throw new SshWaitError('auth', `Gave up on SSH to ${label} after ${authFailures === 1 ? '1 attempt' : `${authFailures} attempts in a row`}, last: ${failure.message}`, attempts, lastInfo());
    }
    if (failure.fatal) {
      log('debug', `${attemptLine}; giving up`);
      throw new SshWaitError(failure.kind, `Cannot connect to ${label}: ${failure.message}`, attempts, lastInfo());
    }
    if (failure.stalled) {
      // Something accepted and then stalled for a whole attempt: maybe a guest too slow
      // (TCG, cloud-init busy) to finish key exchange in time. Give the next one longer.
      attemptTimeout = Math.min(attemptTimeout * 2, baseAttemptTimeout * 4);
    }

    const delay = Math.min(backoff, Math.max(0, deadline - Date.now()));
    log('debug', `${attemptLine}; retrying in ${delay}ms`);
    backoff = Math.min(Math.round(backoff * BACKOFF_FACTOR), BACKOFF_CAP_MS);
    if (!(await sleep(delay, opts.signal))) throw aborted();
  }
}

/** Resolves true after `ms`, or false as soon as the signal aborts. */
function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(false);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener('abort', onAbort, {once: true});
  });
}
