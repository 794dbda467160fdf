/**
 * wait-ssh — uses: state.sshHostPort, state.sshKey, profile.ssh_*, and for the watcher state.http,
 * state.frames/vncPort, profile.boot_command/boot_steps. Produces: state.ssh.
 * Waits for the guest's sshd, saying what each failure was; gives up at once if QEMU dies or
 * the VM watcher (engine/vm-watch.ts) sees it stuck: an error on screen, a still screen, or no
 * request for the answer file. The first of {SSH, watcher, QEMU exit, abort} wins; the others
 * are stopped before the step returns (no watcher timer, no late SSH session is left behind).
 * Cleanup: closes the SSH session.
 */
import {readFile} from 'node:fs/promises';
import path from 'node:path';
import {waitForSsh, type SshTarget} from '../../ssh/index.js';
import {need, StepError, type Step, type StepContext} from '../step.js';
import type {BuildState} from '../state.js';
import {startVmWatch} from '../vm-watch.js';

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
  } else if (!profile.ssh_password) {
    privateKey = ctx.state.sshKey?.privateKey;
  }
  let agent: string | undefined;
  if (profile.ssh_agent_auth) {
    agent = options.env.SSH_AUTH_SOCK;
    if (!agent) throw new StepError('ssh_agent_auth is set but SSH_AUTH_SOCK is not: no ssh-agent to ask', 'start one (eval "$(ssh-agent)"; ssh-add) or drop ssh_agent_auth');
  }
  return {
    host: '127.0.0.1',
    port: need(ctx.state.sshHostPort, 'SSH host port'),
    username: profile.ssh_username,
    password: profile.ssh_password,
    privateKey,
    agent,
  };
}

export const waitSsh: Step<BuildState> = {
  id: 'wait-ssh',
  title: 'Wait for SSH',
  async run(ctx) {
    const {profile} = ctx.state;
    const qemu = need(ctx.state.qemu, 'QEMU');
    const target = await sshTarget(ctx);
    ctx.log('ssh', 'info', `waiting for SSH on ${target.host}:${target.port} as ${target.username} (timeout ${Math.round(profile.ssh_timeout / 1000)}s)`);
    const stop = new AbortController();
    const onAbort = (): void => stop.abort(ctx.signal.reason);
    ctx.signal.addEventListener('abort', onAbort, {once: true});
    const died = qemu.exited.then((e) => {
      stop.abort(new Error('QEMU exited'));
      throw new StepError(
        `the VM stopped while waiting for SSH (${e.signal ?? `exit code ${e.code}`}); the serial log may say why`,
        'look at the serial console lines above, or rerun with --debug and watch the console',
      );
    });
    died.catch(() => {});
    const watch = startVmWatch(ctx, stop.signal);
    const ssh = waitForSsh(target, {
      timeoutMs: profile.ssh_timeout,
      handshakeAttempts: profile.ssh_handshake_attempts,
      // Before the guest's network is up SLIRP holds the connection open silently: a short
      // first handshake limit (doubled after each timeout) finds a fresh sshd sooner.
      attemptTimeoutMs: 2000,
      signal: stop.signal,
      log: (s, l) => ctx.log('ssh', s, l),
    });
    try {
      ctx.state.ssh = await Promise.race([ssh, died, watch.failed]);
    } catch (err) {
      // SSH lost the race: stop its attempts, and close a session that connected in the same instant.
      stop.abort(err);
      await ssh.then(
        (session) => session.close(),
        () => undefined,
      );
      throw err;
    } finally {
      await watch.stop();
      ctx.signal.removeEventListener('abort', onAbort);
    }
  },
  async cleanup(ctx) {
    ctx.state.ssh?.close();
    ctx.state.ssh = undefined;
  },
};
