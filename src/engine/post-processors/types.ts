/** What a post-processor gets and gives back (Packer's PostProcess signature, in vmbench's terms). */
import {renderTemplate} from '../../profiles/template.js';
import {StepError, type StepContext} from '../step.js';
import type {BuildState} from '../state.js';
import type {Artifact} from './artifact.js';

export interface PostProcessorRun {
  readonly ctx: StepContext<BuildState>;
  /** Where relative paths resolve (Packer's working directory). */
  readonly cwd: string;
  /** `{{ .Field }}` values: BuildName, BuilderType and Packer's generated data. */
  readonly fields: Readonly<Record<string, string>>;
  /** `label` for messages: the post-processor's name or type. */
  readonly label: string;
  /** A file this post-processor wrote (now whole): reported as an artifact. */
  produced(file: string, format: string): Promise<void>;
}

/** Packer's (artifact, keep, forceOverride): `keep` is the default for keep_input_artifact; `forceKeep` overrides a false one. */
export interface PostProcessorResult {
  artifact: Artifact;
  keep: boolean;
  forceKeep: boolean;
}

/** Render a post-processor's template field at run time; a bad template names the field. */
export function renderField(run: PostProcessorRun, src: string, field: string, source: string, extra: Record<string, string> = {}): string {
  try {
    return renderTemplate(src, {fields: {...run.fields, ...extra}});
  } catch (err) {
    throw new StepError(`${source}: ${field}: ${(err as Error).message}`);
  }
}
