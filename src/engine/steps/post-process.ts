/**
 * post-process — uses: the output directory (convert), profile.post_processors. Runs Packer's
 * post-processors (../post-processors/): each sequence starts from the build's artifact (every
 * file in the output directory) and hands each post-processor's artifact to the next. Packer's
 * keep rules: an artifact is removed after the next post-processor used it unless that one keeps
 * its input (keep_input_artifact, or the type's default: compress does not keep, the others
 * always do); the build's own output is removed only when no sequence's first post-processor
 * kept it. A failed sequence stops, the others still run, and the step fails at the end; unlike
 * Packer, nothing is removed after a failure. Produces: state.artifacts (new files added,
 * removed ones dropped), `artifact` events. Cleanup: none (files are written whole, see atomic.ts).
 */
import {stat} from 'node:fs/promises';
import path from 'node:path';
import type {PostProcessor} from '../../profiles/post-processor-schema.js';
import {buildArtifact, destroyArtifact, type Artifact} from '../post-processors/artifact.js';
import {runChecksum} from '../post-processors/checksum.js';
import {runCompress} from '../post-processors/compress.js';
import {runContainerDisk} from '../post-processors/containerdisk.js';
import {runConvert} from '../post-processors/convert.js';
import {runManifest} from '../post-processors/manifest.js';
import {runShellLocalPostProcessor} from '../post-processors/shell-local.js';
import {runVagrant} from '../post-processors/vagrant.js';
import type {PostProcessorResult, PostProcessorRun} from '../post-processors/types.js';
import {StepError, type Step, type StepContext} from '../step.js';
import type {BuildState} from '../state.js';
import {generatedData} from './provisioners/generated-data.js';

function runOne(run: PostProcessorRun, pp: PostProcessor, input: Artifact): Promise<PostProcessorResult> {
  switch (pp.type) {
    case 'checksum':
      return runChecksum(run, pp, input);
    case 'manifest':
      return runManifest(run, pp, input);
    case 'compress':
      return runCompress(run, pp, input);
    case 'shell-local':
      return runShellLocalPostProcessor(run, pp, input);
    case 'convert':
      return runConvert(run, pp, input);
    case 'containerdisk':
      return runContainerDisk(run, pp, input);
    case 'vagrant':
      return runVagrant(run, pp, input);
  }
}

/** Packer's decision (packer/build.go): keep the input artifact? */
export function keepInput(pp: Pick<PostProcessor, 'keep_input_artifact'>, r: Pick<PostProcessorResult, 'keep' | 'forceKeep'>): {keep: boolean; overridden: boolean} {
  if (pp.keep_input_artifact === undefined) return {keep: r.keep, overridden: false};
  if (r.keep && !pp.keep_input_artifact && r.forceKeep) return {keep: true, overridden: true};
  return {keep: pp.keep_input_artifact, overridden: false};
}

async function removeArtifact(ctx: StepContext<BuildState>, a: Artifact, why: string, cwd: string): Promise<void> {
  ctx.log('vmbench', 'info', `removing ${a.removes.join(', ')}: ${why}`);
  await destroyArtifact(a, cwd);
  const gone = a.removes.map((r) => path.resolve(cwd, r));
  const {state} = ctx;
  const kept = state.artifacts.filter((x) => !gone.some((g) => x.path === g || x.path.startsWith(`${g}${path.sep}`)));
  state.artifacts.splice(0, state.artifacts.length, ...kept);
}

export const postProcess: Step<BuildState> = {
  id: 'post-process',
  title: 'Post-process',
  // Only in builds that have post-processors, as Packer shows none otherwise.
  applies: (state) => state.profile.post_processors.length > 0,
  async run(ctx) {
    const {state} = ctx;
    const sequences = state.profile.post_processors;
    if (!sequences.length) return ctx.log('vmbench', 'info', 'no post-processors');
    const cwd = state.options.cwd ?? process.cwd();
    const fields = {BuildName: state.profile.name, BuilderType: 'qemu', ...generatedData(state)};
    const original = await buildArtifact(state, cwd);
    let keepOriginal = false;
    const errors: Error[] = [];
    for (const [s, seq] of sequences.entries()) {
      let prior = original;
      for (const [i, pp] of seq.entries()) {
        const label = pp.name ?? pp.type;
        const where = [sequences.length > 1 ? `sequence ${s + 1}` : '', seq.length > 1 ? `${i + 1} of ${seq.length}` : ''].filter(Boolean).join(', ');
        ctx.log('vmbench', 'info', `running post-processor ${label}${pp.name ? ` (type ${pp.type})` : ''}${where ? ` [${where}]` : ''}`);
        const run: PostProcessorRun = {
          ctx,
          cwd,
          fields,
          label,
          async produced(file, format) {
            const {size} = await stat(file);
            state.artifacts.push({path: file, format, bytes: size});
            ctx.emit({type: 'artifact', time: Date.now(), path: file, format, bytes: size});
          },
        };
        let r: PostProcessorResult;
        try {
          r = await runOne(run, pp, prior);
        } catch (err) {
          if (ctx.signal.aborted) throw err;
          ctx.log('vmbench', 'error', `post-processor ${label} failed: ${(err as Error).message}${i + 1 < seq.length ? '; the rest of its sequence is skipped' : ''}`);
          errors.push(err as Error);
          break;
        }
        const {keep, overridden} = keepInput(pp, r);
        if (overridden) ctx.log('vmbench', 'info', `${label}: keeps its input whatever keep_input_artifact says (as in Packer)`);
        if (i === 0) keepOriginal ||= keep;
        else if (!keep) await removeArtifact(ctx, prior, `${label} does not keep its input (keep_input_artifact: true keeps it)`, cwd);
        prior = r.artifact;
      }
    }
    if (errors.length) {
      if (!keepOriginal) ctx.log('vmbench', 'info', `keeping ${original.removes.join(', ')} because a post-processor failed (Packer would remove it)`);
      const [first] = errors;
      throw new StepError(errors.length === 1 ? first!.message : `${errors.length} post-processors failed: ${errors.map((e) => e.message).join('; ')}`, (first as StepError).hint);
    }
    if (!keepOriginal) await removeArtifact(ctx, original, 'no post-processor keeps the build’s own output (keep_input_artifact: true on the first one keeps it)', cwd);
  },
};
