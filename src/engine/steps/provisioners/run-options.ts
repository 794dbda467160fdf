/**
 * Packer's options for every provisioner (packer/provisioner.go, provisioner_timeout.go), in
 * Packer's nesting: max_retries repeats an attempt; an attempt waits pause_before, then runs the
 * provisioner (then waits a shell's pause_after), all within timeout. A timeout stops what the
 * provisioner runs (a host command's process group, an SSH command, a transfer) and fails the
 * attempt; Ctrl-C is never retried.
 */
import type {Provisioner} from '../../../profiles/schema.js';
import {formatDuration} from '../../../util/duration.js';
import {sleep} from '../../../util/sleep.js';
import {StepError, type StepContext} from '../../step.js';
import type {BuildState} from '../../state.js';

/** How long a timed-out attempt may take to stop what it runs before it is given up on. */
const STOP_GRACE_MS = 10_000;

/** The provisioner's name in messages: its name, else its type (and script, for shell). */
export function provisionerLabel(p: Provisioner): string {
  if (p.name) return p.name;
  if (p.type === 'shell' && p.script) return `shell ${p.script}`;
  return p.type;
}

class AttemptTimeout extends Error {}

/** One attempt: pause_before, then `run`, bounded by timeout. */
async function attempt(ctx: StepContext<BuildState>, p: Provisioner, run: (ctx: StepContext<BuildState>, p: Provisioner) => Promise<void>): Promise<void> {
  const label = provisionerLabel(p);
  const pause = async (c: StepContext<BuildState>): Promise<void> => {
    if (!p.pause_before || p.pause_before <= 0) return;
    c.log('vmbench', 'info', `${label}: pausing ${formatDuration(p.pause_before)} before it runs (pause_before)`);
    await sleep(p.pause_before, c.signal);
  };
  // The shell provisioner's pause_after: once its scripts ran well, within the same attempt (as Packer's).
  const runAndPause = async (c: StepContext<BuildState>): Promise<void> => {
    await run(c, p);
    if (p.type !== 'shell' || !p.pause_after || p.pause_after <= 0) return;
    c.log('vmbench', 'info', `${label}: pausing ${formatDuration(p.pause_after)} after it ran (pause_after)`);
    await sleep(p.pause_after, c.signal);
  };
  if (!p.timeout) {
    await pause(ctx);
    return runAndPause(ctx);
  }
  const limit = formatDuration(p.timeout);
  ctx.log('vmbench', 'info', `${label}: timeout ${limit}`);
  const timer = new AbortController();
  const signal = AbortSignal.any([ctx.signal, timer.signal]);
  const sub: StepContext<BuildState> = {...ctx, signal};
  let grace: NodeJS.Timeout | undefined;
  const deadline = setTimeout(() => {
    ctx.log('vmbench', 'warn', `${label}: timed out after ${limit}: stopping it`);
    timer.abort(new AttemptTimeout(`timed out after ${limit}`));
  }, p.timeout);
  // Once stopped, the attempt gets a grace period to wind down; one that ignores its signal is left behind.
  const givenUp = new Promise<never>((_, reject) => {
    timer.signal.addEventListener('abort', () => (grace = setTimeout(() => reject(timer.signal.reason), STOP_GRACE_MS)), {once: true});
  });
  givenUp.catch(() => undefined);
  try {
    await Promise.race([(async () => (await pause(sub), await runAndPause(sub)))(), givenUp]);
  } catch (err) {
    if (timer.signal.aborted && !ctx.signal.aborted) {
      // Sections the stopped script left open are incomplete, not silently carried on.
      if (ctx.state.sections?.parser.openPath.length) ctx.state.sections.scriptEnded(label, -1);
      throw new StepError(`${label} (${p.source}) timed out after ${limit}`, 'its output so far is above; raise timeout if it needs longer', {cause: err});
    }
    throw err;
  } finally {
    clearTimeout(deadline);
    clearTimeout(grace);
  }
}

/** Runs a provisioner with pause_before, timeout and max_retries, as Packer wraps it. */
export async function runWithOptions(
  ctx: StepContext<BuildState>,
  p: Provisioner,
  run: (ctx: StepContext<BuildState>, p: Provisioner) => Promise<void>,
): Promise<void> {
  const retries = p.max_retries ?? 0;
  for (let tries = 0; ; tries++) {
    try {
      return await attempt(ctx, p, run);
    } catch (err) {
      if (ctx.signal.aborted) throw err;
      const label = provisionerLabel(p);
      if (tries >= retries) {
        if (retries > 0) ctx.log('vmbench', 'warn', `${label}: failed ${tries + 1} times: retry limit (max_retries ${retries}) reached`);
        throw err;
      }
      const left = retries - tries;
      ctx.log('vmbench', 'warn', `${label} failed: ${(err as Error).message}; retrying (${left} ${left === 1 ? 'try' : 'tries'} left)`);
    }
  }
}
