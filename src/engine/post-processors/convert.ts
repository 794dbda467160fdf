/** vmbench's convert post-processor: being written (issue #12). */
import type {ConvertPostProcessor} from '../../profiles/post-processor-schema.js';
import {StepError} from '../step.js';
import type {Artifact} from './artifact.js';
import type {PostProcessorResult, PostProcessorRun} from './types.js';

export async function runConvert(_run: PostProcessorRun, pp: ConvertPostProcessor, _input: Artifact): Promise<PostProcessorResult> {
  throw new StepError(`${pp.source}: convert is not written yet`);
}
