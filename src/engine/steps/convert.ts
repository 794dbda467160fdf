/**
 * convert — uses: state.diskPath/additionalDisks/efiVarsPath, state.workDir, profile.format/
 * vm_name/disk_compression/skip_compaction/qemu_img_args/efi_drop_efivars.
 * `qemu-img convert` into the final image (compacting it, as Packer's step_convert_disk.go) —
 * or, with skip_compaction (always so for raw and backing-file overlays), the disk as the VM
 * wrote it — then renames the work directory into place so an output directory only ever
 * appears complete, and the previous output is removed only after that (swapIntoPlace). Additional disks are kept as they are, named `<vm_name>-<n>` (Packer's).
 * Produces: state.artifacts. Cleanup: removes a half-written image (the work directory's cleanup
 * covers the rest).
 */
import {existsSync} from 'node:fs';
import {rename, rm, stat} from 'node:fs/promises';
import path from 'node:path';
import {execa} from 'execa';
import {convertArgs} from '../../qemu/disk-plan.js';
import {need, StepError, type Step, type StepContext} from '../step.js';
import type {BuildState} from '../state.js';
import {besideOutput, notReplaceable} from './prepare-output.js';
import {watchProcess} from '../../qemu/watchdog.js';

/** `qemu-img convert` with its progress (-p writes "    (12.34/100%)" separated by \r). */
async function qemuImgConvert(ctx: StepContext<BuildState>, args: string[]): Promise<void> {
  ctx.log('vmbench', 'debug', `qemu-img ${args.join(' ')}`);
  const proc = execa('qemu-img', args, {cancelSignal: ctx.signal, reject: false, buffer: {stdout: false}});
  watchProcess(proc.pid, false);
  proc.stdout?.on('data', (d: Buffer) => {
    const m = /\(([\d.]+)\/100%\)[^(]*$/.exec(d.toString());
    if (m) ctx.progress('convert', Number(m[1]), 100);
  });
  const r = await proc;
  if (r.isCanceled) throw ctx.signal.reason;
  if (r.exitCode !== 0) throw new StepError(`qemu-img convert failed: ${String(r.stderr).trim()}`, 'check qemu_img_args.convert (the command line is in the log, source vmbench, debug)');
}

/**
 * The whole new folder takes the output's place; the previous output (checked replaceable up
 * front, and again now) is removed only once the new one is there. Until then it waits beside it
 * under a hidden name, and is put back if the new one cannot take its place; a crash in between
 * leaves it there, and the next build says where (prepare-output).
 */
async function swapIntoPlace(ctx: StepContext<BuildState>, work: string, outputDir: string): Promise<void> {
  let old: string | undefined;
  if (existsSync(outputDir)) {
    const why = notReplaceable(outputDir);
    if (why) throw new StepError(`refusing to replace the output folder: ${why} (it changed during the build)`, `the finished build is in ${work}`);
    old = besideOutput(outputDir, ctx.state.id, 'old');
    await rename(outputDir, old);
    ctx.log('vmbench', 'debug', `previous output moved aside to ${old}`);
  }
  try {
    await rename(work, outputDir);
  } catch (err) {
    if (old) await rename(old, outputDir).catch(() => ctx.log('vmbench', 'warn', `the previous output is kept in ${old}`));
    throw new StepError(`cannot move the finished build into ${outputDir}: ${(err as Error).message}`, undefined, {cause: err});
  }
  ctx.state.workDir = undefined;
  if (old) {
    await rm(old, {recursive: true, force: true}).catch((err: unknown) => ctx.log('vmbench', 'warn', `could not remove the previous output (moved aside to ${old}): ${(err as Error).message}`));
  }
}

export const convert: Step<BuildState> = {
  id: 'convert',
  title: 'Convert disk',
  async run(ctx) {
    const {profile, outputDir} = ctx.state;
    if (!ctx.state.poweredOff) throw new StepError('the VM is still running: refusing to convert a disk in use');
    const work = need(ctx.state.workDir, 'work directory');
    const disk = need(ctx.state.diskPath, 'disk');
    const image = path.join(work, profile.vm_name);
    const tmp = path.join(work, `${profile.vm_name}.partial`);
    const args = convertArgs({format: profile.format, compress: profile.disk_compression, skipCompaction: profile.skip_compaction, args: profile.qemu_img_args.convert, from: disk, to: tmp});
    if (args) {
      await qemuImgConvert(ctx, args);
      await rm(disk, {force: true});
      await rename(tmp, image);
    } else {
      ctx.log('vmbench', 'info', `skip_compaction: the disk is kept as the VM wrote it${profile.use_backing_file ? ` (an overlay on ${ctx.state.isoPath}, which it needs)` : ''}`);
      await rename(disk, image);
    }
    if (profile.efi_drop_efivars && ctx.state.efiVarsPath) await rm(ctx.state.efiVarsPath, {force: true});
    await swapIntoPlace(ctx, work, outputDir);
    for (const file of [image, ...(ctx.state.additionalDisks ?? [])]) {
      const final = path.join(outputDir, path.basename(file));
      const bytes = (await stat(final)).size;
      ctx.state.artifacts.push({path: final, format: profile.format, bytes});
      ctx.emit({type: 'artifact', time: Date.now(), path: final, format: profile.format, bytes});
      ctx.log('vmbench', 'info', `image: ${final} (${profile.format}, ${(bytes / 1048576).toFixed(1)} MiB on disk)`);
    }
  },
};
