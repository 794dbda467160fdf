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
 *
 * Each message is one sentence that starts with the phrase a user scans for in the progress
 * events: "port forwarded but guest not listening yet" (reset), "handshake failed",
 * "auth rejected: methods offered X" (X = the server's list), "host key changed".
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
  /** Why the ssh-agent was skipped, when it was. */
  agentError?: string;
}

/** A failed attempt, with `fatal` when retrying cannot help (wrong host key, no common algorithm). */
export interface ClassifiedFailure extends SshAttemptFailure {
  fatal: boolean;
  /** The attempt used up its whole readyTimeout (as opposed to failing fast). */
  stalled?: boolean;
}

/** The phrase for kind `reset`: QEMU's SLIRP accepts the forwarded port, then drops the connection. */
export const RESET_PHRASE = 'port forwarded but guest not listening yet';
export const HANDSHAKE_PHRASE = 'handshake failed';
export const AUTH_PHRASE = 'auth rejected: methods offered';
export const HOST_KEY_PHRASE = 'host key changed';

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
    return fail('reset', `${RESET_PHRASE} (connection ${code === undefined ? 'closed' : 'reset'} before the SSH banner)`);
  }
  if (message === 'Timed out while waiting for handshake') return timedOut(ctx);
  if (level === 'client-authentication') return authFailure(ctx);
  if (message.startsWith('Host denied')) {
    // connect-once rewrites this with both fingerprints when it has them.
    return {kind: 'host-key', message: `${HOST_KEY_PHRASE}: ${where} presented a host key that does not match the pinned fingerprint`, fatal: true};
  }
  if (typeof code === 'number') {
    // A DISCONNECT from the server, e.g. OpenSSH's MaxAuthTries "Too many authentication failures".
    if (/auth/i.test(message)) return authFailure(ctx, `server disconnected: ${message}`);
    return fail('other', `server disconnected: ${message}`);
  }
  if (level === 'handshake' || level === 'protocol') {
    // "Handshake failed: no matching …" is deterministic: no retry will find a common algorithm.
    const detail = message.replace(/^handshake failed:\s*/i, '');
    return {kind: 'handshake', message: `${HANDSHAKE_PHRASE}: ${detail}`, fatal: message.includes('no matching')};
  }
  if (typeof code === 'string') return fail('other', `${message} (${code})`);
  return fail('other', message);
}

/** The connection closed before 'ready' without ssh2 emitting an error (only after the ident line). */
export function classifyClose(ctx: AttemptContext): ClassifiedFailure {
  if (ctx.stage === 'kex') return fail('other', `connection closed by ${ctx.host}:${ctx.port} during authentication`);
  if (ctx.stage === 'tcp') return fail('handshake', `${HANDSHAKE_PHRASE}: connection closed by ${ctx.host}:${ctx.port} during the key exchange`);
  return fail('reset', `${RESET_PHRASE} (connection closed before the SSH banner)`);
}

/** ssh2's readyTimeout fired; say which stage stalled. */
export function timedOut(ctx: AttemptContext): ClassifiedFailure {
  const within = formatDuration(ctx.readyTimeoutMs);
  const detail = {
    connecting: `TCP connect to ${ctx.host}:${ctx.port} did not complete within ${within}`,
    tcp: ctx.banner
      ? `sshd sent its banner but the key exchange did not finish within ${within} (guest slow or sshd busy)`
      : `connected but no SSH banner within ${within} (guest still booting, network not up, or sshd busy)`,
    kex: `key exchange done but authentication did not finish within ${within}`,
  }[ctx.stage];
  const message = `${HANDSHAKE_PHRASE}: ${detail}`;
  // Only a server that already sent its banner is worth waiting longer for: before the guest's
  // sshd listens, QEMU's SLIRP holds a silent connection open, and a fresh attempt finds a newly
  // started sshd sooner than a long one still waiting on the old connection.
  return {kind: 'handshake', message, fatal: false, stalled: ctx.stage === 'kex' || ctx.banner === true};
}

/** "auth rejected: methods offered publickey,password (we tried: agent,password)". */
function authFailure(ctx: AttemptContext, disconnect?: string): ClassifiedFailure {
  const tried = ctx.tried.filter((m) => m !== 'none');
  const parts = [`we tried: ${tried.length ? tried.join(',') : 'nothing usable'}`];
  if (ctx.agentError) parts.push(`agent unusable: ${ctx.agentError}`);
  if (disconnect) parts.push(disconnect);
  // We always ask `none` first, so the list is unknown only if the server hung up before answering.
  const offered = ctx.offered ? ctx.offered.join(',') || '(none)' : 'unknown';
  return {kind: 'auth', message: `${AUTH_PHRASE} ${offered} (${parts.join('; ')})`, fatal: false};
}

function fail(kind: ClassifiedFailure['kind'], message: string): ClassifiedFailure {
  return {kind, message, fatal: false};
}
