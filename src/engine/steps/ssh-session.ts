/**
 * The provisioners' SSH session, reconnecting when it is gone.
 *
 * After an `expect_disconnect` script (a reboot) the session is dropped; the next provisioner
 * that needs SSH waits for the guest's sshd again, within its `start_retry_timeout` (Packer's
 * name and default), giving up at once if QEMU dies meanwhile.
 */
import {waitForSsh, type SshSession} from '../../ssh/index.js';
import {need, StepError, type StepContext} from '../step.js';
import type {BuildState} from '../state.js';
import {sshTarget} from './wait-ssh.js';

/** Marks the current session as gone (closing it); the next {@link sshSession} reconnects. */
export function dropSession(ctx: StepContext<BuildState>): void {
  ctx.state.ssh?.close();
  ctx.state.ssh = undefined;
}

/** The live session, or a new one once the guest's sshd answers again. */
export async function sshSession(ctx: StepContext<BuildState>, retryTimeoutMs: number): Promise<SshSession> {
  if (ctx.state.ssh) return ctx.state.ssh;
  const qemu = need(ctx.state.qemu, 'QEMU');
  const target = await sshTarget(ctx);
  ctx.log('ssh', 'info', `reconnecting to ${target.host}:${target.port} (up to ${Math.round(retryTimeoutMs / 1000)}s)`);
  const stop = new AbortController();
  const onAbort = (): void => stop.abort(ctx.signal.reason);
  ctx.signal.addEventListener('abort', onAbort, {once: true});
  const died = qemu.exited.then((e) => {
    stop.abort(new Error('QEMU exited'));
    throw new StepError(`the VM stopped while reconnecting over SSH (${e.signal ?? `exit code ${e.code}`})`, 'the guest powered off instead of rebooting? see serial.log');
  });
  died.catch(() => {});
  try {
    const session = await Promise.race([
      waitForSsh(target, {
        timeoutMs: retryTimeoutMs,
        handshakeAttempts: ctx.state.profile.ssh_handshake_attempts,
        attemptTimeoutMs: 2000,
        signal: stop.signal,
        log: (s, l) => ctx.log('ssh', s, l),
      }),
      died,
    ]);
    ctx.state.ssh = session;
    return session;
  } catch (err) {
    if (err instanceof StepError || ctx.signal.aborted) throw err;
    throw new StepError(`could not reconnect over SSH after the guest disconnected: ${(err as Error).message}`, 'raise start_retry_timeout if the guest takes longer to come back');
  } finally {
    stop.abort();
    ctx.signal.removeEventListener('abort', onAbort);
  }
}
