/**
 * Which of several builds may start now (`vmbench build a b c --jobs N`): a pure function of
 * what is queued, what runs and the host's budget, fed events — no clock, no processes.
 *
 * A build may start only while the running builds' CPUs plus its own stay within the host's
 * CPUs, and their memory plus its own, each with a headroom for QEMU's and vmbench's own use,
 * stays within the memory that was available; `--jobs N` caps the count on top. Builds start in
 * the order given (a big one is not overtaken by small ones behind it forever). A build larger
 * than the whole budget still runs — alone, once nothing else runs.
 */

/** What one build asks of the host (its profile's cpus and memory). */
export interface Demand {
  name: string;
  cpus: number;
  memoryMiB: number;
}

export interface Budget {
  /** Host CPUs (os.availableParallelism()). */
  cpus: number;
  /** Memory available to builds, MiB (MemAvailable when the builds began). */
  memoryMiB: number;
  /** Added to every build's memory: QEMU's own use beyond the guest's RAM, and vmbench's. */
  headroomMiB: number;
  /** At most this many side by side (--jobs N); undefined or 0: what the budget allows. */
  jobs?: number;
}

export type Decision =
  /** Start it; `alone` says why it runs by itself (larger than the budget). */
  | {action: 'start'; name: string; alone?: string}
  /** The next build waits for room, and why (said once per reason). */
  | {action: 'wait'; name: string; reason: string};

export interface SchedulerState {
  readonly queue: readonly Demand[];
  readonly running: readonly Demand[];
  /** No more starts (Ctrl-C): the queue is dropped. */
  readonly stopped: boolean;
  /** The wait reason last said, so it is said once. */
  readonly said?: string;
}

export type SchedulerEvent =
  /** Look for room now (at the beginning). */
  | {type: 'begin'}
  /** A build ended (whatever its result): its room is free. */
  | {type: 'finished'; name: string}
  /** Start nothing more. */
  | {type: 'stop'};

export function initialState(builds: readonly Demand[]): SchedulerState {
  return {queue: [...builds], running: [], stopped: false};
}

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

/** Why `d` does not fit beside `running`, or undefined when it does. */
export function lackOfRoom(d: Demand, running: readonly Demand[], budget: Budget): string | undefined {
  const cpus = running.reduce((s, r) => s + r.cpus, 0);
  const mem = running.reduce((s, r) => s + r.memoryMiB + budget.headroomMiB, 0);
  const why: string[] = [];
  if (cpus + d.cpus > budget.cpus) why.push(`needs ${plural(d.cpus, 'CPU')}, ${Math.max(0, budget.cpus - cpus)} of ${budget.cpus} free`);
  const need = d.memoryMiB + budget.headroomMiB;
  if (mem + need > budget.memoryMiB) why.push(`needs ${need} MiB (${d.memoryMiB} + ${budget.headroomMiB} headroom), ${Math.max(0, budget.memoryMiB - mem)} of ${budget.memoryMiB} MiB free`);
  return why.length ? why.join('; ') : undefined;
}

/** Why `d` could never fit, even alone, or undefined. */
function tooLarge(d: Demand, budget: Budget): string | undefined {
  const r = lackOfRoom(d, [], budget);
  return r && `larger than the host's budget (${r}): it runs alone`;
}

/** The state after `event`, and what to do now: builds to start, or why the next one waits. */
export function schedule(state: SchedulerState, event: SchedulerEvent, budget: Budget): {state: SchedulerState; decisions: Decision[]} {
  let {queue, running, said} = state;
  let stopped = state.stopped;
  if (event.type === 'finished') running = running.filter((r) => r.name !== event.name);
  if (event.type === 'stop') {
    stopped = true;
    queue = [];
  }
  const decisions: Decision[] = [];
  while (!stopped && queue.length) {
    const next = queue[0]!;
    let reason: string | undefined;
    if (budget.jobs && running.length >= budget.jobs) reason = `--jobs ${budget.jobs}: ${plural(running.length, 'build')} running`;
    else if (running.length) reason = lackOfRoom(next, running, budget);
    if (reason) {
      const text = `waits for room: ${reason}`;
      if (text !== said) decisions.push({action: 'wait', name: next.name, reason: text});
      said = text;
      break;
    }
    // Nothing runs, or it fits beside what runs.
    const alone = tooLarge(next, budget);
    decisions.push(alone ? {action: 'start', name: next.name, alone} : {action: 'start', name: next.name});
    running = [...running, next];
    queue = queue.slice(1);
    said = undefined;
  }
  return {state: {queue, running, stopped, said}, decisions};
}
