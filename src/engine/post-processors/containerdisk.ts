/** vmbench's containerdisk post-processor: being written (issue #12). */
import type {ContainerDiskPostProcessor} from '../../profiles/post-processor-schema.js';
import {StepError} from '../step.js';
import type {Artifact} from './artifact.js';
import type {PostProcessorResult, PostProcessorRun} from './types.js';

export async function runContainerDisk(_run: PostProcessorRun, pp: ContainerDiskPostProcessor, _input: Artifact): Promise<PostProcessorResult> {
  throw new StepError(`${pp.source}: containerdisk is not written yet`);
}
