/**
 * provision — uses: state.ssh, profile.provisioners. Runs each provisioner in order, by type
 * (see ./provisioners/). Cleanup: none (each provisioner removes what it put on the guest).
 */
import type {Provisioner} from '../../profiles/schema.js';
import type {Step, StepContext} from '../step.js';
import type {BuildState} from '../state.js';
import {runShell} from './provisioners/shell.js';

/** Runs one provisioner of any type. */
export async function runProvisioner(ctx: StepContext<BuildState>, p: Provisioner): Promise<void> {
  switch (p.type) {
    case 'shell':
      return runShell(ctx, p);
  }
}

export const provision: Step<BuildState> = {
  id: 'provision',
  title: 'Provision',
  async run(ctx) {
    const {profile} = ctx.state;
    if (profile.provisioners.length === 0) ctx.log('vmbench', 'info', 'no provisioners');
    for (const p of profile.provisioners) await runProvisioner(ctx, p);
  },
};
