/**
 * provision — uses: state.ssh, profile.provisioners. Runs each provisioner in order, by type
 * (see ./provisioners/), with Packer's common options (run-options.ts), then saves the output's
 * BEGIN/END sections as sections.json in the log dir.
 * Cleanup: none (each provisioner removes what it put on the guest).
 */
import type {Provisioner} from '../../profiles/schema.js';
import type {Step, StepContext} from '../step.js';
import type {BuildState} from '../state.js';
import {runAnsible} from './provisioners/ansible.js';
import {runBreakpoint} from './provisioners/breakpoint.js';
import {runFile} from './provisioners/file.js';
import {runWithOptions} from './provisioners/run-options.js';
import {runShell} from './provisioners/shell.js';
import {runShellLocal} from './provisioners/shell-local.js';

/** Runs one provisioner of any type, once (without its common options). */
export async function runProvisioner(ctx: StepContext<BuildState>, p: Provisioner): Promise<void> {
  switch (p.type) {
    case 'shell':
      return runShell(ctx, p);
    case 'file':
      return runFile(ctx, p);
    case 'ansible':
      return runAnsible(ctx, p);
    case 'shell-local':
      return runShellLocal(ctx, p, {
        label: p.name ?? 'shell-local',
        packerVars: {PACKER_BUILD_NAME: ctx.state.profile.name, PACKER_BUILDER_TYPE: 'qemu'},
        where: p.source,
      });
    case 'breakpoint':
      return runBreakpoint(ctx, p);
  }
}

export const provision: Step<BuildState> = {
  id: 'provision',
  title: 'Provision',
  async run(ctx) {
    const {profile} = ctx.state;
    if (profile.provisioners.length === 0) ctx.log('vmbench', 'info', 'no provisioners');
    try {
      for (const p of profile.provisioners) await runWithOptions(ctx, p, runProvisioner);
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
