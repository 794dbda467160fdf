/**
 * vmbench's convert post-processor: the build's image in more formats (raw, qcow2, vmdk, vdi,
 * vhd, vhdx — src/artifacts/disk-formats.ts), written beside it (or into output_directory),
 * converted side by side up to `jobs` at a time, each with its progress. With `sparsify`,
 * `virt-sparsify --in-place` runs on the image first when it is installed (libguestfs); either
 * way qemu-img leaves zero clusters out of the copies, so the guest's zeroed free space
 * (zero_free_space) costs nothing. Each copy's size and its share of the virtual size is
 * logged. Hands on the input's files plus the copies; always keeps its input.
 */
import {execa} from 'execa';
import {existsSync} from 'node:fs';
import path from 'node:path';
import type {ConvertPostProcessor, DiskFormat} from '../../profiles/post-processor-schema.js';
import {convertAll, diskInfo, EXTENSION, sizeRatio, type ConversionTarget} from '../../artifacts/disk-formats.js';
import {StepError} from '../step.js';
import type {Artifact} from './artifact.js';
import {renderField, type PostProcessorResult, type PostProcessorRun} from './types.js';
import {watchProcess} from '../../qemu/watchdog.js';

/** The build's disk image among an artifact's files: vm_name, else the one disk-looking file. */
export function findImage(files: readonly string[], vmName: string): string | undefined {
  const byName = files.find((f) => path.basename(f) === vmName);
  if (byName) return byName;
  const disks = files.filter((f) => /\.(qcow2|raw|img)$/i.test(f));
  return disks.length === 1 ? disks[0] : undefined;
}

/** The copies to write for `formats` of the image `image` (format `sourceFormat`), in `dir`; the same format uncompressed is no copy. */
export function conversionTargets(image: string, sourceFormat: string, formats: readonly DiskFormat[], dir: string, qcow2Compressed: boolean): {targets: ConversionTarget[]; skipped: DiskFormat[]} {
  const stem = path.basename(image).replace(/\.(qcow2|raw|img)$/i, '');
  const targets: ConversionTarget[] = [];
  const skipped: DiskFormat[] = [];
  for (const format of formats) {
    if (format === sourceFormat && !(format === 'qcow2' && qcow2Compressed)) {
      skipped.push(format);
      continue;
    }
    let file = path.join(dir, `${stem}.${EXTENSION[format]}`);
    if (path.resolve(file) === path.resolve(image)) file = path.join(dir, `${stem}.compressed.${EXTENSION[format]}`);
    targets.push({format, file});
  }
  return {targets, skipped};
}

async function sparsify(run: PostProcessorRun, image: string): Promise<void> {
  const {ctx} = run;
  const r = await execa('virt-sparsify', ['--version'], {reject: false, cancelSignal: ctx.signal});
  if (r.failed && (r as {code?: string}).code === 'ENOENT') {
    ctx.log('vmbench', 'info', `${run.label}: virt-sparsify is not installed (apt-get install guestfs-tools): zeroed free space is left out by qemu-img convert alone`);
    return;
  }
  ctx.log('vmbench', 'info', `${run.label}: virt-sparsify --in-place ${image}`);
  // libguestfs boots its own appliance with KVM when /dev/kvm exists; where the build itself fell
  // back to TCG, KVM does not work (QEMU aborts in it), so the appliance must not try it either.
  const env: Record<string, string> = {LIBGUESTFS_BACKEND: 'direct'};
  if (ctx.state.accel === 'tcg') env.LIBGUESTFS_BACKEND_SETTINGS = 'force_tcg';
  const s = execa('virt-sparsify', ['--machine-readable', '--in-place', image], {reject: false, cancelSignal: ctx.signal, env, buffer: {stdout: false}});
  watchProcess(s.pid, false);
  s.stdout?.on('data', (d: Buffer) => {
    for (const l of d.toString().split('\n')) {
      const m = /^(\d+)\/(\d+)$/.exec(l.trim());
      if (m) ctx.progress('sparsify', Number(m[1]), Number(m[2]));
    }
  });
  const done = await s;
  if (done.isCanceled) throw ctx.signal.reason;
  if (done.exitCode !== 0) throw new StepError(`${run.label}: virt-sparsify failed: ${String(done.stderr).trim().split('\n').slice(-3).join(' / ')}`, 'set sparsify: false to convert without it');
}

export async function runConvert(run: PostProcessorRun, pp: ConvertPostProcessor, input: Artifact): Promise<PostProcessorResult> {
  const {ctx, cwd} = run;
  const {profile} = ctx.state;
  const shown = findImage(input.files, profile.vm_name);
  if (!shown) throw new StepError(`${pp.source}: no disk image to convert among ${input.files.join(', ') || 'no files'} (looked for ${profile.vm_name})`);
  const image = path.resolve(cwd, shown);
  const outShown = pp.output_directory ? renderField(run, pp.output_directory, 'output_directory', pp.source) : path.dirname(shown);
  const outDir = path.resolve(cwd, outShown);
  if (!existsSync(outDir)) throw new StepError(`${pp.source}: output_directory ${outShown} does not exist`);
  if (pp.sparsify) await sparsify(run, image);
  const info = await diskInfo(image, ctx.signal);
  const {targets, skipped} = conversionTargets(image, info.format, pp.formats, outDir, pp.qcow2_compressed);
  for (const f of skipped) ctx.log('vmbench', 'info', `${run.label}: the image is already ${f}: no copy needed`);
  const jobs = pp.jobs || undefined;
  ctx.log('vmbench', 'info', `${run.label}: ${shown} (${info.format}, ${sizeRatio(info.actualSize, info.virtualSize)}) → ${targets.map((t) => t.format).join(', ') || 'nothing'}`);
  const results = await convertAll({
    source: image,
    sourceFormat: info.format,
    targets,
    jobs,
    options: {qcow2Compressed: pp.qcow2_compressed, vmdkSubformat: pp.vmdk_subformat, vhdSubformat: pp.vhd_subformat, vhdxSubformat: pp.vhdx_subformat},
    signal: ctx.signal,
    onStart: (t, args) => ctx.log('vmbench', 'debug', `qemu-img ${args.join(' ')}`),
    onProgress: (format, pct) => ctx.progress(`convert ${format}`, pct, 100),
    onDone: (r) => ctx.log('vmbench', 'info', `${run.label}: ${path.basename(r.file)} (${r.format}): ${sizeRatio(r.bytes, r.virtualSize)}, ${r.seconds.toFixed(1)} s`),
  });
  const files: string[] = [];
  for (const r of results) {
    await run.produced(r.file, r.format);
    files.push(path.isAbsolute(outShown) ? r.file : path.join(outShown, path.basename(r.file)));
  }
  return {artifact: {builderId: 'vmbench.post-processor.convert', files: [...input.files, ...files], id: input.id, removes: files}, keep: true, forceKeep: true};
}
