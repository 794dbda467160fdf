/**
 * shutdown — uses: state.ssh, state.qemu, state.qmp, profile.shutdown_command/timeout.
 * Runs shutdown_command over SSH and waits for QEMU to exit; without one, asks QEMU to quit
 * (Packer kills it). Produces: state.poweredOff. Cleanup: none (start-vm's cleanup stops QEMU).
 */
import {need, StepError, type Step} from '../step.js';
import type {BuildState} from '../state.js';
import {sshSession} from './ssh-session.js';
import {formatDuration} from '../../util/duration.js';

export const shutdown: Step<BuildState> = {
  id: 'shutdown',
  title: 'Shut down',
  async run(ctx) {
    const {profile} = ctx.state;
    const qemu = need(ctx.state.qemu, 'QEMU');
    // The screen feed would only reconnect in vain once the VM is off.
    ctx.state.vmStopping = true;
    await ctx.state.frames?.stop();
    ctx.state.frames = undefined;
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
