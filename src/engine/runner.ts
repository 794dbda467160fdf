/**
 * Runs steps in order, pauses through one `gate` hook, and always unwinds cleanups
 * last-in-first-out — unless the user explicitly chose to keep the VM and files.
 */
import type {BuildEvent, StepStatus} from './events.js';
import type {CheckpointKind, Step, StepContext} from './step.js';

export type GatePhase = 'before' | 'after' | 'checkpoint';
/**
 * `abort` stops and cleans up; `keep` stops and keeps the VM and files (like on-error=abort);
 * `pass` goes on without having paused (the front end does not stop at this point).
 */
export type GateDecision = 'continue' | 'pass' | 'skip' | 'abort' | 'keep';
/** Debug stepping: called before and after every step; resolves when the user decides. */
export type Gate = (phase: GatePhase, step: {id: string; title: string; index: number; label?: string; kind?: CheckpointKind}) => Promise<GateDecision>;
export type ErrorPolicy = 'cleanup' | 'abort' | 'ask';
/** What to do after a step failed: run it again, clean up, or stop and keep everything. */
export type ErrorDecision = 'retry' | 'cleanup' | 'abort';

export interface RunnerOptions {
  emit: (event: BuildEvent) => void;
  signal: AbortSignal;
  /** Aborted on a second Ctrl-C: cleanups should stop waiting politely. */
  cleanupSignal?: AbortSignal;
  gate?: Gate;
  onError?: ErrorPolicy;
  ask?: (step: {id: string; title: string}, error: Error) => Promise<ErrorDecision>;
  /** Called when a step fails, before anything is cleaned up (e.g. to screenshot the VM). */
  onFailure?: (step: {id: string; title: string}, error: Error) => Promise<void>;
}

export interface RunResult {
  status: 'done' | 'failed' | 'cancelled';
  failedStep?: string;
  error?: Error;
  /** True when cleanups were skipped on purpose (abort keeping the VM and files). */
  kept: boolean;
}

const now = (): number => Date.now();

function toError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

/** Resolve with the promise, or reject as soon as the signal aborts (a stuck step can't hang us). */
function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, {once: true});
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

export async function runSteps<S>(steps: readonly Step<S>[], state: S, opts: RunnerOptions): Promise<RunResult> {
  const {emit} = opts;
  // "Abort" chosen at a pause inside a step cancels the build just like Ctrl-C.
  const userAbort = new AbortController();
  const signal = AbortSignal.any([opts.signal, userAbort.signal]);
  const policy = opts.onError ?? 'cleanup';
  const cleanupSignal = opts.cleanupSignal ?? new AbortController().signal;
  const registered: Step<S>[] = [];
  let current: string | undefined;
  // Set when the user chose to stop at a pause and keep everything: cleanups are skipped.
  let keep = false;
  const status = (step: Step<S>, s: StepStatus, extra: {durationMs?: number; error?: string} = {}): void =>
    emit({type: 'step', time: now(), id: step.id, title: step.title, status: s, ...extra});
  const context = (step: Step<S>, sig: AbortSignal): StepContext<S> => ({
    state,
    signal: sig,
    stepId: step.id,
    // Tag with the step running now: a source set up earlier (serial, HTTP) speaks during later steps.
    log: (source, stream, line) => emit({type: 'log', time: now(), source, stream, line, step: current ?? step.id}),
    progress: (label, current, total) => emit({type: 'progress', time: now(), step: step.id, label, current, total}),
    emit,
    checkpoint: async (label, {kind = 'boot-step'} = {}) => {
      if (!opts.gate) return false;
      status(step, 'paused');
      const decision = await raceAbort(opts.gate('checkpoint', {id: step.id, title: step.title, index: steps.indexOf(step), label, kind}), sig);
      if (decision === 'abort' || decision === 'keep') {
        keep = decision === 'keep';
        userAbort.abort(new DOMException(`Aborted at ${step.id}: ${label}`, 'AbortError'));
        throw userAbort.signal.reason;
      }
      status(step, 'running');
      return decision !== 'pass';
    },
  });
  const gate = async (phase: GatePhase, step: Step<S>, index: number): Promise<GateDecision> => {
    if (!opts.gate) return 'continue';
    status(step, 'paused');
    return raceAbort(opts.gate(phase, {id: step.id, title: step.title, index}), signal);
  };

  // Refusals that need no work come before any step has started (nothing to clean up yet).
  for (const step of steps) {
    try {
      step.preflight?.(state);
    } catch (err) {
      const error = toError(err);
      status(step, 'failed', {durationMs: 0, error: error.message});
      for (const rest of steps) if (rest !== step) status(rest, 'cancelled');
      return {status: 'failed', failedStep: step.id, error, kept: false};
    }
  }
  let result: RunResult = {status: 'done', kept: false};
  let index = 0;
  /** The step run the abort raced past: it may still be finishing (a QEMU starting) when cleanups begin. */
  let inFlight: Promise<unknown> | undefined;
  try {
    for (; index < steps.length; index++) {
      const step = steps[index]!;
      if (signal.aborted) throw signal.reason;
      const before = await gate('before', step, index);
      if (before === 'skip') {
        status(step, 'skipped');
        continue;
      }
      if (before === 'abort' || before === 'keep') {
        keep = before === 'keep';
        throw new DOMException('Aborted at a debug pause', 'AbortError');
      }
      if (step.cleanup) registered.push(step);
      for (;;) {
        const started = now();
        current = step.id;
        status(step, 'running');
        try {
          inFlight = step.run(context(step, signal));
          await raceAbort(inFlight, signal);
          inFlight = undefined;
          status(step, 'done', {durationMs: now() - started});
          break;
        } catch (err) {
          if (signal.aborted) {
            status(step, 'cancelled', {durationMs: now() - started});
            throw err;
          }
          const error = toError(err);
          status(step, 'failed', {durationMs: now() - started, error: error.message});
          // Evidence first, while the VM still runs; bounded so a stuck hook cannot hang the build.
          if (opts.onFailure) {
            await Promise.race([opts.onFailure(step, error).catch(() => undefined), new Promise((r) => setTimeout(r, 5000).unref())]);
          }
          const decision: ErrorDecision =
            policy === 'ask' && opts.ask ? await raceAbort(opts.ask(step, error), signal) : policy === 'abort' ? 'abort' : 'cleanup';
          if (decision === 'retry') {
            // Undo the half-done attempt so the retry starts from the same state as the first try.
            if (step.cleanup) await runCleanup(step, context(step, cleanupSignal));
            continue;
          }
          result = {status: 'failed', failedStep: step.id, error, kept: decision === 'abort'};
          return result;
        }
      }
      const after = await gate('after', step, index);
      if (after === 'abort' || after === 'keep') {
        keep = after === 'keep';
        throw new DOMException('Aborted at a debug pause', 'AbortError');
      }
    }
    return result;
  } catch (err) {
    const current = steps[index];
    if (current && !signal.aborted) status(current, 'cancelled');
    for (const rest of steps.slice(index + 1)) status(rest, 'cancelled');
    result = {status: 'cancelled', error: toError(err), kept: keep};
    return result;
  } finally {
    if (!result.kept) {
      // Let the interrupted step's own work settle first (it sees the aborted signal), so what
      // it was starting is there for its cleanup to undo; bounded: a stuck step cannot hang us.
      if (inFlight) await Promise.race([inFlight.catch(() => undefined), new Promise((r) => setTimeout(r, 5_000).unref())]);
      for (const step of registered.reverse()) await runCleanup(step, context(step, cleanupSignal));
    }
  }
}

async function runCleanup<S>(step: Step<S>, ctx: StepContext<S>): Promise<void> {
  try {
    await step.cleanup?.(ctx);
  } catch (err) {
    ctx.log('vmbench', 'warn', `cleanup of ${step.id} failed: ${toError(err).message}`);
  }
}
