/**
 * shutdown — uses: state.ssh, state.qemu, state.qmp, profile.shutdown_command/timeout/communicator.
 * Runs shutdown_command over SSH and waits for QEMU to exit; without one, asks QEMU to quit
 * (Packer kills it). With communicator none there is no SSH: as Packer does, it waits up to
 * shutdown_timeout for the guest to power off by itself — watching the VM meanwhile, so an
 * installer that stopped is named instead of waited out. Produces: state.poweredOff.
 * Cleanup: none (start-vm's cleanup stops QEMU).
 */
import type {QemuProcess} from '../../qemu/driver.js';
import {need, StepError, type Step, type StepContext} from '../step.js';
import type {BuildState} from '../state.js';
import {startVmWatch} from '../watch-build.js';
import {sshSession} from './ssh-session.js';
import {formatDuration} from '../../util/duration.js';

/** communicator none: the guest powers off by itself, within shutdown_timeout. */
async function waitForPowerOff(ctx: StepContext<BuildState>, qemu: QemuProcess): Promise<void> {
  const {profile} = ctx.state;
  ctx.log('vmbench', 'info', `communicator none: waiting up to ${formatDuration(profile.shutdown_timeout)} for the guest to power off by itself`);
  const stop = new AbortController();
  const onAbort = (): void => stop.abort(ctx.signal.reason);
  ctx.signal.addEventListener('abort', onAbort, {once: true});
  const watch = startVmWatch(ctx, stop.signal);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), profile.shutdown_timeout)));
  const aborted = new Promise<never>((_, reject) => stop.signal.addEventListener('abort', () => reject(stop.signal.reason), {once: true}));
  aborted.catch(() => {}); // it also fires when the wait is over (finally below)
  try {
    const res = await Promise.race([qemu.exited, timeout, aborted, watch.failed]);
    if (res === 'timeout') {
      throw new StepError(
        `the guest did not power off by itself within ${formatDuration(profile.shutdown_timeout)} (communicator none: there is no SSH to tell it to)`,
        'with communicator: none the guest must power off at the end of its install (e.g. d-i finish-install/poweroff); raise shutdown_timeout if it needs longer',
      );
    }
    ctx.log('vmbench', 'info', `the guest powered off (${res.signal ?? `exit code ${res.code}`})`);
    ctx.state.poweredOff = true;
  } finally {
    clearTimeout(timer);
    stop.abort(new Error('shutdown wait over'));
    await watch.stop();
    ctx.signal.removeEventListener('abort', onAbort);
  }
}

export const shutdown: Step<BuildState> = {
  id: 'shutdown',
  title: 'Shut down',
  async run(ctx) {
    const {profile} = ctx.state;
    const qemu = need(ctx.state.qemu, 'QEMU');
    if (profile.communicator === 'none') await waitForPowerOff(ctx, qemu);
    // The screen feed would only reconnect in vain once the VM is off.
    ctx.state.vmStopping = true;
    await ctx.state.frames?.stop();
    ctx.state.frames = undefined;
    if (ctx.state.poweredOff) return;
    if (!profile.shutdown_command) {
      ctx.log('vmbench', 'warn', 'no shutdown_command: stopping QEMU directly (the guest gets no chance to flush its filesystems)');
      await qemu.stop({quit: ctx.state.qmp ? () => ctx.state.qmp!.execute('quit') : undefined});
      ctx.state.poweredOff = true;
      return;
    }
    // After an expect_disconnect script (a reboot) the session is gone: wait for the guest again.
    const ssh = await sshSession(ctx, profile.ssh_timeout);
    ctx.log('vmbench', 'info', `running shutdown_command: ${profile.shutdown_command}`);
    // The connection usually drops as the guest powers off: that is success, not an error.
    const r = await ssh
      .exec(profile.shutdown_command, {signal: ctx.signal, onStdout: (l) => ctx.log('ssh', 'stdout', l), onStderr: (l) => ctx.log('ssh', 'stderr', l)})
      .catch((err: Error) => ({exitCode: null, disconnected: true, error: err}));
    if (r.exitCode !== null && r.exitCode !== 0) ctx.log('vmbench', 'warn', `shutdown_command exited with ${r.exitCode}`);
    ssh.close();
    ctx.state.ssh = undefined;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), profile.shutdown_timeout)));
    const aborted = new Promise<never>((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason), {once: true}));
    try {
      const res = await Promise.race([qemu.exited, timeout, aborted]);
      if (res === 'timeout') {
        throw new StepError(`the guest did not power off within ${formatDuration(profile.shutdown_timeout)} of shutdown_command`, 'check shutdown_command (busybox needs "poweroff -f"), or raise shutdown_timeout');
      }
      ctx.log('vmbench', 'info', `the guest powered off (${res.signal ?? `exit code ${res.code}`})`);
      ctx.state.poweredOff = true;
    } finally {
      clearTimeout(timer);
    }
  },
};
