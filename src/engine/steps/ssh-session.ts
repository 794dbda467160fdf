/**
 * SSH to the guest for the steps that need it: who logs in how (sshTarget), connecting while
 * QEMU may die or a watcher may see the VM stuck (connectGuest, used by wait-ssh), and the
 * provisioners' session that reconnects when it is gone (sshSession).
 *
 * After an `expect_disconnect` script (a reboot) the session is dropped; the next provisioner
 * that needs SSH waits for the guest's sshd again, within its `start_retry_timeout` (Packer's
 * name and default), giving up at once if QEMU dies meanwhile.
 */
import {readFile} from 'node:fs/promises';
import path from 'node:path';
import {waitForSsh, type SshSession, type SshTarget} from '../../ssh/index.js';
import {need, StepError, type StepContext} from '../step.js';
import type {BuildState} from '../state.js';
import type {VmWatch} from '../vm-watch.js';

/**
 * Who and how to log in: a key file (ssh_private_key_file or PACKER_PRIVATE_KEY), else this
 * build's temporary key when there is no password; the ssh-agent too with ssh_agent_auth.
 */
export async function sshTarget(ctx: StepContext<BuildState>): Promise<SshTarget> {
  const {profile, profileDir, options} = ctx.state;
  const keyFile = profile.ssh_private_key_file ?? options.env.PACKER_PRIVATE_KEY;
  let privateKey: string | undefined;
  if (keyFile) {
    const file = path.resolve(profileDir, keyFile);
    try {
      privateKey = await readFile(file, 'utf8');
    } catch (err) {
      throw new StepError(`ssh_private_key_file ${file}: ${(err as Error).message}`);
    }
  } else if (!profile.ssh_password || profile.cloud_init) {
    // cloud_init's seed gives the guest this key (and never a password).
    privateKey = ctx.state.sshKey?.privateKey;
  }
  let agent: string | undefined;
  if (profile.ssh_agent_auth) {
    agent = options.env.SSH_AUTH_SOCK;
    if (!agent) throw new StepError('ssh_agent_auth is set but SSH_AUTH_SOCK is not: no ssh-agent to ask', 'start one (eval "$(ssh-agent)"; ssh-add) or drop ssh_agent_auth');
  }
  return {
    // Packer's ssh_host replaces the host; the forwarded port stays (builder/qemu/ssh.go).
    host: profile.ssh_host ?? '127.0.0.1',
    port: need(ctx.state.sshHostPort, 'SSH host port'),
    username: profile.ssh_username,
    password: profile.ssh_password,
    privateKey,
    agent,
  };
}

export interface ConnectOptions {
  timeoutMs: number;
  /** For messages: "waiting for SSH", "reconnecting over SSH". */
  while: string;
  /** What to do when QEMU exits meanwhile. */
  diedHint: string;
  /** Something else that may end the wait first (wait-ssh's VM watcher); stopped either way. */
  watch?: (signal: AbortSignal) => VmWatch;
}

/**
 * Waits for the guest's sshd. The first of {SSH, QEMU exiting, the watcher, abort} wins; the
 * others are stopped before this returns (no attempt, watcher timer or late session left).
 */
export async function connectGuest(ctx: StepContext<BuildState>, opts: ConnectOptions): Promise<SshSession> {
  const qemu = need(ctx.state.qemu, 'QEMU');
  const target = await sshTarget(ctx);
  ctx.log('ssh', 'info', `${opts.while} on ${target.host}:${target.port} as ${target.username} (timeout ${Math.round(opts.timeoutMs / 1000)}s)`);
  const stop = new AbortController();
  const onAbort = (): void => stop.abort(ctx.signal.reason);
  ctx.signal.addEventListener('abort', onAbort, {once: true});
  const died = qemu.exited.then((e) => {
    stop.abort(new Error('QEMU exited'));
    throw new StepError(`the VM stopped while ${opts.while} (${e.signal ?? `exit code ${e.code}`}); the serial log may say why`, opts.diedHint);
  });
  died.catch(() => {});
  const watch = opts.watch?.(stop.signal);
  const ssh = waitForSsh(target, {
    timeoutMs: opts.timeoutMs,
    handshakeAttempts: ctx.state.profile.ssh_handshake_attempts,
    keepaliveIntervalMs: ctx.state.profile.ssh_keep_alive_interval,
    pty: ctx.state.profile.ssh_pty,
    // Before the guest's network is up SLIRP holds the connection open silently: a short
    // first handshake limit (doubled after each timeout) finds a fresh sshd sooner.
    attemptTimeoutMs: 2000,
    signal: stop.signal,
    log: (s, l) => ctx.log('ssh', s, l),
    onAttempt: (_n, f) => ctx.state.evidence.sshAttempt(f.kind, f.message),
  });
  try {
    return await Promise.race(watch ? [ssh, died, watch.failed] : [ssh, died]);
  } catch (err) {
    // SSH lost the race: stop its attempts, and close a session that connected in the same instant.
    stop.abort(err);
    await ssh.then(
      (session) => session.close(),
      () => undefined,
    );
    throw err;
  } finally {
    await watch?.stop();
    ctx.signal.removeEventListener('abort', onAbort);
  }
}

/** Marks the current session as gone (closing it); the next {@link sshSession} reconnects. */
export function dropSession(ctx: StepContext<BuildState>): void {
  ctx.state.ssh?.close();
  ctx.state.ssh = undefined;
}

/** The live session, or a new one once the guest's sshd answers again. */
export async function sshSession(ctx: StepContext<BuildState>, retryTimeoutMs: number): Promise<SshSession> {
  if (ctx.state.ssh) return ctx.state.ssh;
  try {
    ctx.state.ssh = await connectGuest(ctx, {timeoutMs: retryTimeoutMs, while: 'reconnecting over SSH', diedHint: 'the guest powered off instead of rebooting? see serial.log'});
    return ctx.state.ssh;
  } catch (err) {
    if (err instanceof StepError || ctx.signal.aborted) throw err;
    throw new StepError(`could not reconnect over SSH after the guest disconnected: ${(err as Error).message}`, 'raise start_retry_timeout if the guest takes longer to come back');
  }
}
