/**
 * create-disk — uses: state.workDir, profile.format/disk_size. Produces: state.diskPath
 * (`qemu-img create`). Cleanup: none of its own (the work directory goes as a whole).
 */
import path from 'node:path';
import {execa} from 'execa';
import {need, StepError} from '../step.js';
import type {BuildState} from '../state.js';
import type {Step} from '../step.js';

export const createDisk: Step<BuildState> = {
  id: 'create-disk',
  title: 'Create disk',
  async run(ctx) {
    const {profile} = ctx.state;
    const disk = path.join(need(ctx.state.workDir, 'work directory'), `disk.${profile.format}`);
    const args = ['create', '-f', profile.format, disk, `${profile.disk_size}M`];
    ctx.log('vmbench', 'debug', `qemu-img ${args.join(' ')}`);
    const r = await execa('qemu-img', args, {cancelSignal: ctx.signal, reject: false});
    if (r.isCanceled) throw ctx.signal.reason;
    if (r.exitCode !== 0) throw new StepError(`qemu-img create failed: ${String(r.stderr || r.stdout).trim()}`);
    ctx.state.diskPath = disk;
    ctx.log('vmbench', 'info', `created ${profile.format} disk of ${profile.disk_size} MiB`);
  },
};
