/**
 * Packer's shell-local post-processor: shell-local's run (steps/provisioners/shell-local.ts) after
 * the build, with PACKER_BUILD_NAME and PACKER_BUILDER_TYPE (and the build's PACKER_HTTP_*) in
 * {{ .Vars }}. As in Packer, the artifact's files are not passed to the command: it finds them in
 * the output directory. It hands its input on and always keeps it.
 */
import type {ShellLocalPostProcessor} from '../../profiles/post-processor-schema.js';
import {runShellLocal} from '../steps/provisioners/shell-local.js';
import type {Artifact} from './artifact.js';
import type {PostProcessorResult, PostProcessorRun} from './types.js';

export async function runShellLocalPostProcessor(run: PostProcessorRun, pp: ShellLocalPostProcessor, input: Artifact): Promise<PostProcessorResult> {
  const {profile} = run.ctx.state;
  await runShellLocal(run.ctx, pp, {
    label: run.label,
    packerVars: {PACKER_BUILD_NAME: run.fields.BuildName ?? profile.name, PACKER_BUILDER_TYPE: run.fields.BuilderType ?? 'qemu'},
    where: pp.source,
  });
  return {artifact: input, keep: true, forceKeep: true};
}
