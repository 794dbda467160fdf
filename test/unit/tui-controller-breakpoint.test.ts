/**
 * The breakpoint provisioner in the workbench: its checkpoint pauses even when the user is not
 * stepping (Packer's breakpoint always stops), while an ordinary pause point inside a step does
 * not; continue goes on.
 */
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import type {BuildState} from '../../src/engine/state.js';
import type {Step} from '../../src/engine/step.js';
import {parseProfile} from '../../src/profiles/loader.js';
import {startBuildController} from '../../src/tui/controller.js';
import type {WorkbenchEvent} from '../../src/tui/types.js';
import {scratchDirs} from '../support/scratch.js';

const fresh = scratchDirs('vmbench-ctl-bp-');

describe('WorkbenchController at a breakpoint provisioner', () => {
  it('pauses at it without debug mode, and not at an ordinary pause point', async () => {
    const dir = fresh('build');
    const loaded = {profile: parseProfile('iso_url: x.iso\nssh_username: root\n', 'p.yaml', 'p'), dir, file: path.join(dir, 'p.yaml')};
    const answered: boolean[] = [];
    const steps: Step<BuildState>[] = [
      {
        id: 'provision',
        title: 'Provision',
        async run(ctx) {
          answered.push(await ctx.checkpoint('boot step 1'));
          answered.push(await ctx.checkpoint('breakpoint: look at the disk', {kind: 'breakpoint'}));
        },
      },
    ];
    const c = startBuildController({loaded: loaded as never, logDir: path.join(dir, 'logs'), outputDir: path.join(dir, 'out'), cacheDir: dir, steps});
    const events: WorkbenchEvent[] = [];
    c.subscribe((e) => {
      events.push(e);
      if (e.type === 'pause') setImmediate(() => c.command({type: 'continue'}));
    });
    expect(await c.done).toMatchObject({status: 'done'});
    expect(events.filter((e) => e.type === 'pause')).toEqual([expect.objectContaining({phase: 'checkpoint', stepId: 'provision', label: 'breakpoint: look at the disk', kind: 'breakpoint'})]);
    expect(answered).toEqual([false, true]);
  });
});
