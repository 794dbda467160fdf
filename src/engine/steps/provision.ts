/**
 * provision — uses: state.ssh, profile.provisioners. Runs each provisioner in order, by type
 * (see ./provisioners/), then saves the output's BEGIN/END sections as sections.json in the log dir.
 * Cleanup: none (each provisioner removes what it put on the guest).
 */
import type {Provisioner} from '../../profiles/schema.js';
import type {Step, StepContext} from '../step.js';
import type {BuildState} from '../state.js';
import {runAnsible} from './provisioners/ansible.js';
import {runFile} from './provisioners/file.js';
import {runShell} from './provisioners/shell.js';

/** Runs one provisioner of any type. */
export async function runProvisioner(ctx: StepContext<BuildState>, p: Provisioner): Promise<void> {
  switch (p.type) {
    case 'shell':
      return runShell(ctx, p);
    case 'file':
      return runFile(ctx, p);
    case 'ansible':
      return runAnsible(ctx, p);
  }
}

export const provision: Step<BuildState> = {
  id: 'provision',
  title: 'Provision',
  async run(ctx) {
    const {profile} = ctx.state;
    if (profile.provisioners.length === 0) ctx.log('vmbench', 'info', 'no provisioners');
    try {
      for (const p of profile.provisioners) await runProvisioner(ctx, p);
    } finally {
      // Saved whether provisioning worked or not: a failed build is when the tree matters most.
      const {sections, options} = ctx.state;
      if (sections && options.logDir) {
        const file = await sections.save(options.logDir).catch((err: Error) => {
          ctx.log('vmbench', 'warn', `could not save the sections: ${err.message}`);
          return undefined;
        });
        if (file) ctx.log('vmbench', 'info', `sections saved to ${file}`);
      }
    }
  },
};
