/**
 * create-disk — uses: state.workDir, state.isoPath (with disk_image), profile.format/disk_size/
 * disk_image/use_backing_file/skip_resize_disk/disk_additional_size/qemu_img_args.
 * Produces: state.diskPath, state.additionalDisks. Runs the qemu-img work of
 * src/qemu/disk-plan.ts (Packer's create, copy and resize steps, in their order).
 * Cleanup: none of its own (the work directory goes as a whole).
 */
import {constants} from 'node:fs';
import {copyFile} from 'node:fs/promises';
import path from 'node:path';
import {execa} from 'execa';
import {diskPlan, type DiskOp} from '../../qemu/disk-plan.js';
import {need, StepError} from '../step.js';
import type {BuildState} from '../state.js';
import type {Step, StepContext} from '../step.js';

async function run(ctx: StepContext<BuildState>, op: DiskOp): Promise<void> {
  if (op.kind === 'copy') {
    ctx.log('vmbench', 'debug', `copy ${op.from} → ${op.file}`);
    // A reflink where the filesystem has them (instant), else a plain copy.
    await copyFile(op.from, op.file, constants.COPYFILE_FICLONE);
    return;
  }
  ctx.log('vmbench', 'debug', `qemu-img ${op.args.join(' ')}`);
  const r = await execa('qemu-img', op.args, {cancelSignal: ctx.signal, reject: false});
  if (r.isCanceled) throw ctx.signal.reason;
  if (r.exitCode === 0) return;
  const why = String(r.stderr || r.stdout).trim();
  const hint = /shrink/i.test(why)
    ? 'the disk image is larger than disk_size: raise disk_size, or set skip_resize_disk: true to keep the image’s size'
    : 'the qemu-img command line is in the log (source vmbench, debug); check qemu_img_args and the image';
  throw new StepError(`qemu-img ${op.args[0]} failed (${op.what}): ${why}`, hint);
}

export const createDisk: Step<BuildState> = {
  id: 'create-disk',
  title: 'Create disk',
  async run(ctx) {
    const {profile} = ctx.state;
    const plan = diskPlan({
      workDir: need(ctx.state.workDir, 'work directory'),
      diskName: `disk.${profile.format}`,
      vmName: profile.vm_name,
      format: profile.format,
      diskSizeMiB: profile.disk_size,
      image: profile.disk_image ? need(ctx.state.isoPath, 'disk image') : undefined,
      useBackingFile: profile.use_backing_file,
      skipResize: profile.skip_resize_disk,
      additional: profile.disk_additional_size,
      qemuImgArgs: profile.qemu_img_args,
    });
    for (const op of plan.ops) {
      await run(ctx, op);
      ctx.log('vmbench', 'info', `${path.basename(op.file)}: ${op.what}`);
    }
    ctx.state.diskPath = plan.disk;
    ctx.state.additionalDisks = plan.additional;
  },
};
