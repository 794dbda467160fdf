/**
 * prepare-output — uses: state.outputDir, options.force. Produces: state.workDir, a scratch
 * directory beside the output directory (same filesystem, so the final rename is atomic).
 * Cleanup: removes the scratch directory unless the build finished (then it *is* the output).
 */
import {existsSync} from 'node:fs';
import {mkdir, rm} from 'node:fs/promises';
import path from 'node:path';
import {StepError} from '../step.js';
import type {BuildState} from '../state.js';
import type {Step} from '../step.js';

export const prepareOutput: Step<BuildState> = {
  id: 'prepare-output',
  title: 'Prepare output directory',
  async run(ctx) {
    const {outputDir, options, id} = ctx.state;
    if (existsSync(outputDir) && !options.force) {
      throw new StepError(`output directory ${outputDir} already exists`, 'remove it, choose another with --output, or pass --force to replace it');
    }
    await mkdir(path.dirname(outputDir), {recursive: true});
    const work = path.join(path.dirname(outputDir), `.${path.basename(outputDir)}.vmbench-${id}`);
    await mkdir(work, {recursive: true});
    ctx.state.workDir = work;
    ctx.log('vmbench', 'debug', `working in ${work}`);
  },
  async cleanup(ctx) {
    const work = ctx.state.workDir;
    if (work && existsSync(work)) {
      await rm(work, {recursive: true, force: true});
      ctx.log('vmbench', 'debug', `removed ${work}`);
    }
  },
};
