/**
 * create-disk — uses: state.workDir, state.isoPath (with disk_image), profile.format/disk_size/
 * disk_image/use_backing_file/skip_resize_disk/disk_additional_size/qemu_img_args.
 * Produces: state.diskPath, state.additionalDisks. Runs the qemu-img work of
 * src/qemu/disk-plan.ts (Packer's create, copy and resize steps, in their order), after checking
 * that a disk_image is an image qemu-img reads (a clear error naming the file when it is not).
 * Cleanup: none of its own (the work directory goes as a whole).
 */
import {constants} from 'node:fs';
import {copyFile} from 'node:fs/promises';
import path from 'node:path';
import {execa} from 'execa';
import {diskInfo} from '../../artifacts/disk-formats.js';
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

/** Formats a disk image's file name may promise (qemu-img's names). */
const IMAGE_EXTENSIONS: Readonly<Record<string, string>> = {qcow2: 'qcow2', vmdk: 'vmdk', vdi: 'vdi', vhdx: 'vhdx', vhd: 'vpc', qed: 'qed'};

/**
 * disk_image's file must be an image qemu-img reads (a download that saved an error page, a
 * truncated image): one clear line naming the file instead of a guest that never boots.
 */
async function checkDiskImage(ctx: StepContext<BuildState>, image: string): Promise<void> {
  const hint = 'disk_image: true needs iso_url to be a disk image (qcow2, raw…): check the file, or fetch it again';
  let info;
  try {
    info = await diskInfo(image, ctx.signal);
  } catch (err) {
    if (ctx.signal.aborted) throw ctx.signal.reason;
    const why = (err as Error).message.split('\n')[0]!.replace(/^qemu-img info [^:]*: (qemu-img: )?/, '');
    throw new StepError(`${image} is not a disk image qemu-img can read: ${why}`, hint, {cause: err});
  }
  const promised = IMAGE_EXTENSIONS[path.extname(image).slice(1).toLowerCase()];
  if (promised && info.format !== promised) throw new StepError(`${image} is not a ${promised} image: qemu-img reads it as ${info.format}`, hint);
  if (info.format === 'raw' && (info.virtualSize === 0 || info.virtualSize % 512 !== 0)) {
    throw new StepError(`${image} is not a disk image: ${info.virtualSize} bytes of raw data, not whole 512-byte sectors`, hint);
  }
  ctx.log('vmbench', 'debug', `${image}: ${info.format}, ${info.virtualSize} bytes virtual`);
}

export const createDisk: Step<BuildState> = {
  id: 'create-disk',
  title: 'Create disk',
  async run(ctx) {
    const {profile} = ctx.state;
    if (profile.disk_image) await checkDiskImage(ctx, need(ctx.state.isoPath, 'disk image'));
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
