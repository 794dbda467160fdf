/**
 * One connection attempt: a fresh ssh2 Client, settled exactly once.
 *
 * ssh2 can report one failed attempt several times: a `readyTimeout` emits 'Timed out while
 * waiting for handshake' and destroys the socket, whose close then emits 'Connection lost
 * before handshake' (client.js onDone); ECONNRESET is followed by the same. So the first report
 * wins, later ones are swallowed by an 'error' listener that stays attached for the client's
 * whole life (an EventEmitter without one would throw them at the process).
 *
 * Not every 'error' ends an attempt: ssh2 reports an unreachable ssh-agent (or one that refuses
 * to sign) as an error with `level: 'agent'` and then goes on to the next auth method itself.
 */
import {createHash} from 'node:crypto';
import ssh2 from 'ssh2';
import type {Client, ConnectConfig, ParsedKey} from 'ssh2';
import {makeAuthHandler, type AuthProgress} from './auth.js';
import {classifyClose, classifyError, timedOut, type AttemptStage, type ClassifiedFailure} from './classify.js';
import type {SshTarget} from './types.js';

export interface AttemptOptions {
  /** ssh2 `readyTimeout`: from connect until authenticated. */
  readyTimeoutMs: number;
  /** Keepalive once connected (0 = off): see {@link ssh2Keepalive}. */
  keepaliveIntervalMs: number;
  keepaliveCountMax: number;
  key: ParsedKey | undefined;
  signal?: AbortSignal;
}

export type AttemptOutcome = {ok: true; client: Client} | {ok: false; failure: ClassifiedFailure};

/** `SHA256:<base64 without padding>` of a host key blob, as `ssh-keygen -l` prints it. */
export function hostKeyFingerprint(keyBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`;
}

/**
 * Map "lost within interval × countMax" onto ssh2's keepalive settings.
 *
 * ssh2 (client.js sendKA) counts timer ticks since the last keepalive reply and gives up on the
 * tick where the count *exceeds* keepaliveCountMax: a silent peer is dropped (countMax + 1) ×
 * interval after its last answer — 20 s, not the 15 s OpenSSH documents, for 5 s × 3. So ssh2
 * gets countMax − 1. With countMax 0 ssh2 would drop the connection on its first tick without
 * ever having asked, so a count of 1 becomes half the interval × 1 (one ping, then give up).
 */
export function ssh2Keepalive(intervalMs: number, countMax: number): {keepaliveInterval: number; keepaliveCountMax: number} {
  if (!(intervalMs > 0)) return {keepaliveInterval: 0, keepaliveCountMax: 0};
  if (countMax <= 1) return {keepaliveInterval: Math.max(1, Math.round(intervalMs / 2)), keepaliveCountMax: 1};
  return {keepaliveInterval: intervalMs, keepaliveCountMax: countMax - 1};
}

function normalizeFingerprint(fp: string): string {
  return `SHA256:${fp.replace(/^SHA256:/i, '').replace(/=+$/, '')}`;
}

/** Try once; never rejects. Aborting resolves at once with kind `aborted` and destroys the client. */
export function connectOnce(target: SshTarget, opts: AttemptOptions): Promise<AttemptOutcome> {
  return new Promise((resolve) => {
    const client = new ssh2.Client();
    const progress: AuthProgress = {tried: []};
    let stage: AttemptStage = 'connecting';
    let settled = false;
    let seenHostKey: string | undefined;
    // ssh2 has no event for the server's identification line; its parser stores the version
    // (client.js onHeader → _remoteVer), which tells a silent peer from a slow key exchange.
    const banner = (): boolean => Boolean((client as unknown as {_remoteVer?: string})._remoteVer);
    const ctx = () => ({host: target.host, port: target.port, stage, banner: banner(), readyTimeoutMs: opts.readyTimeoutMs, ...progress});

    // Belt and braces: ssh2 clears its readyTimeout on socket 'error'/'end'/'close' but some odd
    // paths (e.g. a hung crypto init) could leave an attempt open forever.
    const guard = setTimeout(() => settle({ok: false, failure: timedOut(ctx())}), opts.readyTimeoutMs + 1000);

    const settle = (outcome: AttemptOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(guard);
      opts.signal?.removeEventListener('abort', onAbort);
      client.removeListener('close', onClose);
      if (!outcome.ok) client.destroy();
      resolve(outcome);
    };
    const onAbort = () => settle({ok: false, failure: {kind: 'aborted', message: 'aborted', fatal: true}});
    const onClose = () => settle({ok: false, failure: classifyClose(ctx())});

    client.on('error', (err: Error & {level?: string}) => {
      if (settled) return;
      if (err.level === 'agent') {
        // ssh2 skips the agent (or this agent key) and tries the next method by itself. Its
        // "Failed to connect to agent" drops the socket error, so name the socket path.
        progress.agentError ??= `${err.message} (${target.agent ?? 'no agent'})`;
        return;
      }
      const failure = classifyError(err, ctx());
      if (failure.kind === 'host-key' && seenHostKey && target.hostKeyFingerprint) {
        failure.message = `host key changed: ${target.host}:${target.port} presented ${seenHostKey}, expected ${normalizeFingerprint(target.hostKeyFingerprint)} (another VM may own this port)`;
      }
      settle({ok: false, failure});
    });
    client.on('connect', () => {
      stage = 'tcp';
      // Without TCP_NODELAY, Nagle plus the peer's delayed ACK adds ~40 ms to many of the small
      // request/reply exchanges (kex, auth, channel open, exec). Measured against the loopback
      // fake server: connect 225 → 137 ms and exec of `true` 177 → 89 ms from this side alone
      // (→ 5 ms / 1 ms when the server sets it as well).
      client.setNoDelay(true);
    });
    client.on('handshake', () => {
      stage = 'kex';
    });
    client.on('ready', () => settle({ok: true, client}));
    client.on('close', onClose);

    if (opts.signal?.aborted) {
      onAbort();
      return;
    }
    opts.signal?.addEventListener('abort', onAbort, {once: true});

    const config: ConnectConfig = {
      host: target.host,
      port: target.port,
      username: target.username,
      readyTimeout: opts.readyTimeoutMs,
      // ssh2 starts the keepalive timer on USERAUTH_SUCCESS, so it only runs on a live session.
      ...ssh2Keepalive(opts.keepaliveIntervalMs, opts.keepaliveCountMax),
      authHandler: makeAuthHandler(target, opts.key, progress),
    };
    if (target.hostKeyFingerprint) {
      const expected = normalizeFingerprint(target.hostKeyFingerprint);
      // Without hostHash, ssh2 hands the verifier the raw key blob (client.js hostVerifier wrapper).
      config.hostVerifier = (key: Buffer) => {
        seenHostKey = hostKeyFingerprint(key);
        return seenHostKey === expected;
      };
    }
    try {
      client.connect(config);
    } catch (err) {
      // connect() throws synchronously only for bad config (e.g. an unusable algorithm list).
      settle({ok: false, failure: {kind: 'other', message: err instanceof Error ? err.message : String(err), fatal: true}});
    }
  });
}
