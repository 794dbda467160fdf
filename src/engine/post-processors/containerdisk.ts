/**
 * vmbench's containerdisk post-processor: the build's disk image as a KubeVirt containerDisk
 * (src/artifacts/containerdisk.ts), an OCI image archive or a docker-archive, by default beside
 * the image as `<vm_name stem>.containerdisk.tar` (`.containerdisk.docker.tar`), and optionally
 * pushed with skopeo (src/artifacts/registry-push.ts; credentials from VMBENCH_REGISTRY_USER /
 * VMBENCH_REGISTRY_PASSWORD or credentials_file, never logged). The disk is the input artifact's
 * file named vm_name, else its only .qcow2/.raw/.img file. The artifact it hands on is the input's
 * files plus the archive; it always keeps its input (the archive sits in the output directory,
 * which removing the input would remove).
 */
import path from 'node:path';
import {ContainerDiskError, imageNameProblem, imageTagProblem, writeContainerDisk} from '../../artifacts/containerdisk.js';
import {pushContainerDisk} from '../../artifacts/registry-push.js';
import type {ContainerDiskPostProcessor} from '../../profiles/post-processor-schema.js';
import {StepError} from '../step.js';
import type {Artifact} from './artifact.js';
import {renderField, type PostProcessorResult, type PostProcessorRun} from './types.js';

/** The disk image in the artifact (as the artifact names it): vm_name, else the only disk-like file. */
export function pickDisk(files: readonly string[], vmName: string, source: string): string {
  const named = files.filter((f) => path.basename(f) === vmName);
  if (named.length === 1) return named[0]!;
  const disks = files.filter((f) => /\.(qcow2|raw|img)$/i.test(f));
  if (disks.length === 1) return disks[0]!;
  const listed = files.length ? files.join(', ') : 'none';
  throw new StepError(
    `${source}: cannot tell which file is the disk image: no file is named ${vmName}${disks.length ? ` and ${disks.length} look like disks` : ' and none ends in .qcow2, .raw or .img'} (files: ${listed})`,
    'containerdisk takes the build’s image (vm_name); put it first in its own post-processor sequence',
  );
}

/** OCI's name for the guest architecture the profile's QEMU runs (amd64 unless it says otherwise). */
export function ociArchitecture(qemuBinary: string): string {
  const arch = /qemu-system-([\w]+)/.exec(qemuBinary)?.[1] ?? 'x86_64';
  return ({x86_64: 'amd64', aarch64: 'arm64', i386: '386', ppc64: 'ppc64le', riscv64: 'riscv64', s390x: 's390x', arm: 'arm'} as Record<string, string>)[arch] ?? 'amd64';
}

const mib = (n: number): string => `${(n / 1048576).toFixed(1)} MiB`;

export async function runContainerDisk(run: PostProcessorRun, pp: ContainerDiskPostProcessor, input: Artifact): Promise<PostProcessorResult> {
  const {ctx, cwd} = run;
  const {state} = ctx;
  const disk = pickDisk(input.files, state.profile.vm_name, pp.source);
  const stem = path.parse(state.profile.vm_name).name;
  const output = pp.output
    ? renderField(run, pp.output, 'output', pp.source)
    : path.join(path.dirname(disk), `${stem}.containerdisk${pp.archive === 'docker' ? '.docker' : ''}.tar`);
  const imageName = renderField(run, pp.image_name, 'image_name', pp.source);
  const imageTag = renderField(run, pp.image_tag, 'image_tag', pp.source);
  const nameProblem = imageNameProblem(imageName);
  if (nameProblem) throw new StepError(`${pp.source}: image_name: ${nameProblem}`);
  const tagProblem = imageTagProblem(imageTag);
  if (tagProblem) throw new StepError(`${pp.source}: image_tag: ${tagProblem}`);
  const push = pp.push ? renderField(run, pp.push, 'push', pp.source) : undefined;
  const abs = path.resolve(cwd, output);
  const kind = pp.archive === 'docker' ? 'docker-archive' : 'oci-archive';
  ctx.log('vmbench', 'info', `${run.label}: ${disk} => ${output} (${kind}, ${imageName}:${imageTag}, layer ${pp.layer_compression === 'gzip' ? 'gzip' : 'uncompressed'})`);

  const fail = (err: unknown, what: string): never => {
    if (ctx.signal.aborted) throw ctx.signal.reason;
    if (err instanceof ContainerDiskError) throw new StepError(`${run.label}: ${err.message}`, err.hint);
    if (err instanceof StepError) throw err;
    throw new StepError(`${run.label}: ${what}: ${(err as Error).message}`);
  };
  const started = Date.now();
  const label = `${run.label}: ${path.basename(output)}`;
  const written = await writeContainerDisk({
    disk: path.resolve(cwd, disk),
    output: abs,
    archive: pp.archive,
    imageName,
    imageTag,
    layerCompression: pp.layer_compression,
    architecture: ociArchitecture(state.profile.qemu_binary),
    env: state.options.env,
    signal: ctx.signal,
    onProgress: (done, total) => ctx.progress(label, done, total),
  }).catch((err: unknown) => fail(err, `writing ${output} failed`));
  const digest = written.manifestDigest ? `manifest ${written.manifestDigest}` : `image id ${written.configDigest}`;
  ctx.log(
    'vmbench',
    'info',
    `${run.label}: ${output} written in ${((Date.now() - started) / 1000).toFixed(1)}s: ${mib(written.bytes)} (disk ${mib(written.diskBytes)}, layer ${mib(written.layerBytes)}), ${digest}`,
  );
  await run.produced(abs, kind);

  if (push) {
    ctx.log('vmbench', 'info', `${run.label}: pushing ${output} to ${push}${pp.tls_verify ? '' : ' (TLS not verified)'}`);
    const pushed = await pushContainerDisk({
      archive: abs,
      format: pp.archive,
      ref: push,
      tlsVerify: pp.tls_verify,
      ...(pp.credentials_file ? {credentialsFile: path.resolve(cwd, pp.credentials_file)} : {}),
      env: state.options.env,
      signal: ctx.signal,
      log: (line) => ctx.log('vmbench', 'info', `${run.label}: ${line}`),
    }).catch((err: unknown) => fail(err, `pushing to ${push} failed`));
    const how = {environment: 'credentials from the environment', file: `credentials from ${pp.credentials_file}`, none: 'no credentials given'}[pushed.credentials];
    ctx.log('vmbench', 'info', `${run.label}: pushed ${pushed.destination} (${how}): digest ${pushed.digest}`);
  }

  // The archive is new unless the input already listed it (output pointed into the input's files).
  const shown = input.files.some((f) => path.resolve(cwd, f) === abs) ? [] : [output];
  const files = [...input.files, ...shown];
  return {artifact: {builderId: 'vmbench.post-processor.containerdisk', files, id: '', removes: files}, keep: true, forceKeep: true};
}
