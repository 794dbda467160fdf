/**
 * wait-ssh — uses: state.sshHostPort, state.sshKey, profile.ssh_*, and for the watcher state.http,
 * state.frames/vncPort, profile.boot_command/boot_steps. Produces: state.ssh.
 * Waits for the guest's sshd, saying what each failure was; gives up at once if QEMU dies or
 * the VM watcher (engine/vm-watch.ts) sees it stuck: an error on screen, a still screen, or no
 * request for the answer file. The first of {SSH, watcher, QEMU exit, abort} wins; the others
 * are stopped before the step returns (no watcher timer, no late SSH session is left behind).
 * With pause_before_connecting (Packer's StepConnect), once SSH first answers it disconnects,
 * waits that long and connects again (an installer's sshd may answer just before the reboot).
 * Cleanup: closes the SSH session.
 */
import type {Step} from '../step.js';
import type {BuildState} from '../state.js';
import {SshWaitError} from '../../ssh/wait-error.js';
import {explainFailure, verdictMessage} from '../diagnosis.js';
import {StepError} from '../step.js';
import {diagnosisInput, startVmWatch} from '../watch-build.js';
import {sleep} from '../../util/sleep.js';
import {formatDuration} from '../../util/duration.js';
import {connectGuest} from './ssh-session.js';

export {sshTarget} from './ssh-session.js';

export const waitSsh: Step<BuildState> = {
  id: 'wait-ssh',
  title: 'Wait for SSH',
  applies: (state) => state.profile.communicator !== 'none',
  async run(ctx) {
    try {
      ctx.state.ssh = await connectGuest(ctx, {
        timeoutMs: ctx.state.profile.ssh_timeout,
        while: 'waiting for SSH',
        diedHint: 'look at the serial console lines above, or rerun with --debug and watch the console',
        watch: (signal) => startVmWatch(ctx, signal),
      });
      const pause = ctx.state.profile.pause_before_connecting;
      if (pause > 0) {
        ctx.log('vmbench', 'info', `SSH answered; pausing ${formatDuration(pause)} before connecting again (pause_before_connecting)`);
        ctx.state.ssh.close();
        ctx.state.ssh = undefined;
        await sleep(pause, ctx.signal);
        ctx.state.ssh = await connectGuest(ctx, {
          timeoutMs: ctx.state.profile.ssh_timeout,
          while: 'connecting again after pause_before_connecting',
          diedHint: 'the VM stopped during pause_before_connecting: look at the serial console lines above',
        });
      }
    } catch (err) {
      // SSH gave up (timeout, auth): the evidence may know the real cause, e.g. the answer file 404'd.
      if (!(err instanceof SshWaitError) || err.kind === 'aborted') throw err;
      const verdict = explainFailure(err, diagnosisInput(ctx.state));
      if (!verdict) throw err;
      ctx.emit({type: 'diagnosis', time: Date.now(), cause: verdict.cause, evidence: verdict.evidence, hint: verdict.hint});
      throw new StepError(verdictMessage(verdict), verdict.hint, {cause: err});
    }
  },
  async cleanup(ctx) {
    ctx.state.ssh?.close();
    ctx.state.ssh = undefined;
  },
};
