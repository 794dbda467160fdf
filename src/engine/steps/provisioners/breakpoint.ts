/**
 * Packer's breakpoint provisioner: the build pauses here, the VM running, until the user goes
 * on — a `breakpoint` checkpoint, at which the workbench and `--debug` always stop. With
 * `disable: true` it only says so. Packer waits for Enter on its terminal, and fails the build
 * ("no available tty") when it has none; vmbench's plain runs without --debug have nobody
 * stepping them, so the breakpoint says why it did not stop and the build goes on.
 */
import type {BreakpointProvisioner} from '../../../profiles/provisioner-schema.js';
import type {StepContext} from '../../step.js';
import type {BuildState} from '../../state.js';

export async function runBreakpoint(ctx: StepContext<BuildState>, p: BreakpointProvisioner): Promise<void> {
  const note = p.note ? ` with note "${p.note}"` : '';
  if (p.disable) {
    ctx.log('vmbench', 'info', `breakpoint${note} disabled; continuing`);
    return;
  }
  ctx.log('vmbench', 'info', `pausing at breakpoint${note}`);
  const paused = await ctx.checkpoint(p.note ? `breakpoint: ${p.note}` : `breakpoint at ${p.source}`, {kind: 'breakpoint'});
  if (!paused) ctx.log('vmbench', 'warn', `breakpoint${note} (${p.source}) did not pause: nobody is stepping this build; run it with --debug, or in the workbench, to stop here`);
  else ctx.log('vmbench', 'info', `breakpoint${note}: continuing`);
}
