/**
 * Turn what ssh2 reports for a failed attempt into a kind and one sentence naming the usual
 * cause. Pure, so the mapping is table-tested without sockets.
 *
 * What ssh2 1.17 emits (node_modules/ssh2/lib/client.js):
 * - socket errors (ECONNREFUSED, ECONNRESET, …) re-emitted with `level: 'client-socket'`;
 * - 'Connection lost before handshake' (level 'protocol') when the socket ends before the
 *   server's ident line — SLIRP accepting and then dropping because the guest port is closed;
 * - 'Timed out while waiting for handshake' (level 'client-timeout') from `readyTimeout`, which
 *   runs from connect until USERAUTH_SUCCESS, so it also covers a stalled authentication;
 * - 'All configured authentication methods failed' (level 'client-authentication');
 * - 'Host denied (verification failed)' (level 'handshake', protocol/kex.js) on hostVerifier false;
 * - a DISCONNECT from the server as an Error whose `code` is the numeric reason.
 */
import {formatDuration} from '../util/duration.js';
import type {SshAttemptFailure} from './types.js';

/** How far one attempt got: TCP not yet up, TCP up (no key exchange yet), key exchange done. */
export type AttemptStage = 'connecting' | 'tcp' | 'kex';

/** Everything needed to explain one failed attempt. */
export interface AttemptContext {
  host: string;
  port: number;
  stage: AttemptStage;
  /** The server sent its SSH identification line (so it is an sshd, just slow). */
  banner?: boolean;
  readyTimeoutMs: number;
  tried: string[];
  offered?: string[];
}

/** A failed attempt, with `fatal` when retrying cannot help (wrong host key, no common algorithm). */
export interface ClassifiedFailure extends SshAttemptFailure {
  fatal: boolean;
  /** For `auth`: "tried: password; server offers: publickey,password". */
  authDetail?: string;
  /** The attempt used up its whole readyTimeout (as opposed to failing fast). */
  stalled?: boolean;
}

/** Hints appended to messages; shared so the timeout message repeats them. */
export const RESET_HINT = 'port forwarded but guest sshd not listening yet';

interface SshError {
  message?: unknown;
  code?: unknown;
  level?: unknown;
}

/** Classify an 'error' event of ssh2's Client. */
export function classifyError(err: unknown, ctx: AttemptContext): ClassifiedFailure {
  const e = (typeof err === 'object' && err !== null ? err : {message: String(err)}) as SshError;
  const message = typeof e.message === 'string' ? e.message : String(err);
  const code = e.code;
  const level = e.level;
  const where = `${ctx.host}:${ctx.port}`;

  if (code === 'ECONNREFUSED') {
    return fail('refused', `connection refused by ${where} (nothing listening: QEMU not running yet, exited, or wrong port)`);
  }
  if (code === 'ECONNRESET' || code === 'EPIPE' || message === 'Connection lost before handshake') {
    if (ctx.stage === 'kex') return fail('reset', `connection reset during authentication (${String(code ?? message)})`);
    return fail('reset', `connection reset before handshake (${RESET_HINT})`);
  }
  if (message === 'Timed out while waiting for handshake') return timedOut(ctx);
  if (level === 'client-authentication') return authFailure(ctx);
  if (message.startsWith('Host denied')) {
    return {kind: 'host-key', message: `host key of ${where} rejected`, fatal: true};
  }
  if (typeof code === 'number') {
    // A DISCONNECT from the server, e.g. OpenSSH's MaxAuthTries "Too many authentication failures".
    if (/auth/i.test(message)) return authFailure(ctx, `server disconnected: ${message}`);
    return fail('other', `server disconnected: ${message}`);
  }
  if (level === 'handshake' || level === 'protocol') {
    // "Handshake failed: no matching …" is deterministic: no retry will find a common algorithm.
    return {kind: 'handshake', message: `SSH handshake failed: ${message}`, fatal: message.includes('no matching')};
  }
  if (typeof code === 'string') return fail('other', `${message} (${code})`);
  return fail('other', message);
}

/** The connection closed before 'ready' without ssh2 emitting an error (only after the ident line). */
export function classifyClose(ctx: AttemptContext): ClassifiedFailure {
  if (ctx.stage === 'kex') return fail('other', `connection closed by ${ctx.host}:${ctx.port} during authentication`);
  if (ctx.stage === 'tcp') return fail('handshake', `connection closed by ${ctx.host}:${ctx.port} during the SSH handshake`);
  return fail('reset', `connection closed before handshake (${RESET_HINT})`);
}

/** ssh2's readyTimeout fired; say which stage stalled. */
export function timedOut(ctx: AttemptContext): ClassifiedFailure {
  const within = formatDuration(ctx.readyTimeoutMs);
  const message = {
    connecting: `TCP connect to ${ctx.host}:${ctx.port} did not complete within ${within}`,
    tcp: `connected but no SSH handshake within ${within} (guest still booting, network not up, or sshd busy)`,
    kex: `SSH handshake done but authentication did not finish within ${within}`,
  }[ctx.stage];
  // Only a server that already sent its banner is worth waiting longer for: before the guest's
  // sshd listens, QEMU's SLIRP holds a silent connection open, and a fresh attempt finds a newly
  // started sshd sooner than a long one still waiting on the old connection.
  return {kind: 'handshake', message, fatal: false, stalled: ctx.stage === 'kex' || ctx.banner === true};
}

function authFailure(ctx: AttemptContext, prefix = 'authentication rejected'): ClassifiedFailure {
  const tried = ctx.tried.filter((m) => m !== 'none');
  const parts = [`tried: ${tried.length ? tried.join(',') : 'nothing usable'}`];
  if (ctx.offered) parts.push(`server offers: ${ctx.offered.join(',')}`);
  const authDetail = parts.join('; ');
  return {kind: 'auth', message: `${prefix} (${authDetail})`, fatal: false, authDetail};
}

function fail(kind: ClassifiedFailure['kind'], message: string): ClassifiedFailure {
  return {kind, message, fatal: false};
}
