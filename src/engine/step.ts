/**
 * The step contract (Packer's multistep): a build is a list of small steps.
 * A step fails by throwing. Its cleanup is registered before its run is awaited, so a
 * half-finished run is undone too; cleanups must be idempotent and must not rethrow.
 */
import type {BuildEvent, LogSource, LogStream} from './events.js';

/** What every step receives. `S` is the typed build state shared by all steps. */
export interface StepContext<S> {
  readonly state: S;
  /** Aborted on Ctrl-C / cancel. Steps pass it to everything that waits. */
  readonly signal: AbortSignal;
  /** The id of the step this context belongs to. */
  readonly stepId: string;
  log(source: LogSource, stream: LogStream, line: string): void;
  progress(label: string, current: number, total?: number): void;
  emit(event: BuildEvent): void;
  /**
   * A pause point inside a step (after each of `boot_steps`; a question the installer asks): in
   * debug mode the user may continue or abort here. Resolves true when the build paused there
   * and the user chose to go on, false at once when nobody is stepping or the front end does not
   * pause at this kind of point.
   */
  checkpoint(label: string, opts?: {kind?: CheckpointKind}): Promise<boolean>;
}

/** What a pause point inside a step is for; a `breakpoint` (the provisioner) is one the user put there, so debug front ends always stop at it. */
export type CheckpointKind = 'boot-step' | 'installer-question' | 'breakpoint';

export interface Step<S> {
  /** Stable kebab-case id, used for breakpoints and `--skip`. */
  readonly id: string;
  readonly title: string;
  /**
   * Whether the step belongs to this build at all (a CD step only when the profile asks for a
   * CD); one that does not is left out of the build's step list. Default: always.
   */
  applies?(state: S): boolean;
  /**
   * Checks that need no work and change nothing (an output folder vmbench may not replace): run
   * for every step before the first step runs, so a build that cannot end well refuses at once.
   * Throws (a StepError) to refuse; the build then fails at this step without running any.
   */
  preflight?(state: S): void;
  run(ctx: StepContext<S>): Promise<void>;
  /** Undo what run did (or the part of it that happened). Idempotent; logs instead of throwing. */
  cleanup?(ctx: StepContext<S>): Promise<void>;
}

/** Thrown by steps for failures the user can act on; `hint` says what to do. */
export class StepError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
    options?: {cause?: unknown},
  ) {
    super(message, options);
    this.name = 'StepError';
  }
}

/** Require a piece of state that an earlier step produces. */
export function need<T>(value: T | undefined | null, what: string): T {
  if (value === undefined || value === null) throw new Error(`internal: ${what} is not available yet (an earlier step was skipped?)`);
  return value;
}
