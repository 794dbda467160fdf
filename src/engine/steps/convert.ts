/**
 * convert — uses: state.diskPath, state.workDir, profile.format/vm_name/disk_compression.
 * `qemu-img convert` into the final image, then renames the work directory into place so an
 * output directory only ever appears complete. Produces: state.artifacts.
 * Cleanup: removes a half-written image (the work directory's cleanup covers the rest).
 */
import {existsSync} from 'node:fs';
import {rename, rm, stat} from 'node:fs/promises';
import path from 'node:path';
import {execa} from 'execa';
import {need, StepError, type Step} from '../step.js';
import type {BuildState} from '../state.js';

export const convert: Step<BuildState> = {
  id: 'convert',
  title: 'Convert disk',
  async run(ctx) {
    const {profile, outputDir} = ctx.state;
    if (!ctx.state.poweredOff) throw new StepError('the VM is still running: refusing to convert a disk in use');
    const work = need(ctx.state.workDir, 'work directory');
    const disk = need(ctx.state.diskPath, 'disk');
    const tmp = path.join(work, `${profile.vm_name}.partial`);
    const args = ['convert', '-p', '-O', profile.format, ...(profile.disk_compression && profile.format === 'qcow2' ? ['-c'] : []), disk, tmp];
    ctx.log('vmbench', 'debug', `qemu-img ${args.join(' ')}`);
    const proc = execa('qemu-img', args, {cancelSignal: ctx.signal, reject: false, buffer: {stdout: false}});
    // -p writes "    (12.34/100%)" separated by \r.
    proc.stdout?.on('data', (d: Buffer) => {
      const m = /\(([\d.]+)\/100%\)[^(]*$/.exec(d.toString());
      if (m) ctx.progress('convert', Number(m[1]), 100);
    });
    const r = await proc;
    if (r.isCanceled) throw ctx.signal.reason;
    if (r.exitCode !== 0) throw new StepError(`qemu-img convert failed: ${String(r.stderr).trim()}`);
    await rm(disk, {force: true});
    const image = path.join(work, profile.vm_name);
    await rename(tmp, image);
    if (existsSync(outputDir)) await rm(outputDir, {recursive: true, force: true}); // --force was checked up front
    await rename(work, outputDir);
    ctx.state.workDir = undefined;
    const final = path.join(outputDir, profile.vm_name);
    const bytes = (await stat(final)).size;
    ctx.state.artifacts.push({path: final, format: profile.format, bytes});
    ctx.emit({type: 'artifact', time: Date.now(), path: final, format: profile.format, bytes});
    ctx.log('vmbench', 'info', `image: ${final} (${profile.format}, ${(bytes / 1048576).toFixed(1)} MiB on disk)`);
  },
};
