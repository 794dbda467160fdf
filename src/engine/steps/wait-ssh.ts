/**
 * wait-ssh — uses: state.sshHostPort, state.sshKey, profile.ssh_*, and for the watcher state.http,
 * state.frames/vncPort, profile.boot_command/boot_steps. Produces: state.ssh.
 * Waits for the guest's sshd, saying what each failure was; gives up at once if QEMU dies or
 * the VM watcher (engine/vm-watch.ts) sees it stuck: an error on screen, a still screen, or no
 * request for the answer file. The first of {SSH, watcher, QEMU exit, abort} wins; the others
 * are stopped before the step returns (no watcher timer, no late SSH session is left behind).
 * Cleanup: closes the SSH session.
 */
import type {Step} from '../step.js';
import type {BuildState} from '../state.js';
import {startVmWatch} from '../vm-watch.js';
import {connectGuest} from './ssh-session.js';

export {sshTarget} from './ssh-session.js';

export const waitSsh: Step<BuildState> = {
  id: 'wait-ssh',
  title: 'Wait for SSH',
  async run(ctx) {
    ctx.state.ssh = await connectGuest(ctx, {
      timeoutMs: ctx.state.profile.ssh_timeout,
      while: 'waiting for SSH',
      diedHint: 'look at the serial console lines above, or rerun with --debug and watch the console',
      watch: (signal) => startVmWatch(ctx, signal),
    });
  },
  async cleanup(ctx) {
    ctx.state.ssh?.close();
    ctx.state.ssh = undefined;
  },
};
