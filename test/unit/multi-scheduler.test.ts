/** The multi-build scheduler, fed events by hand: who starts when, and why others wait. */
import {describe, expect, it} from 'vitest';
import {initialState, lackOfRoom, schedule, type Budget, type Decision, type Demand, type SchedulerEvent, type SchedulerState} from '../../src/session/multi-scheduler.js';

const b = (name: string, cpus = 1, memoryMiB = 256): Demand => ({name, cpus, memoryMiB});
const HOST: Budget = {cpus: 2, memoryMiB: 4096, headroomMiB: 256};

/** Feeds events in order; returns every decision, labelled with the event that caused it. */
function run(builds: Demand[], budget: Budget, events: SchedulerEvent[]): {log: string[]; state: SchedulerState} {
  let state = initialState(builds);
  const log: string[] = [];
  for (const e of events) {
    const r = schedule(state, e, budget);
    state = r.state;
    for (const d of r.decisions) log.push(show(d));
  }
  return {log, state};
}
const show = (d: Decision): string => (d.action === 'start' ? `start ${d.name}${d.alone ? ' (alone)' : ''}` : `wait ${d.name}: ${d.reason}`);

describe('schedule', () => {
  it('starts as many as the CPUs allow, in order, and the next when one finishes', () => {
    const {log, state} = run([b('a'), b('b'), b('c'), b('d')], HOST, [{type: 'begin'}, {type: 'finished', name: 'b'}, {type: 'finished', name: 'a'}, {type: 'finished', name: 'c'}, {type: 'finished', name: 'd'}]);
    // d is said to wait too once c took the room b left.
    expect(log).toEqual(['start a', 'start b', 'wait c: waits for room: needs 1 CPU, 0 of 2 free', 'start c', 'wait d: waits for room: needs 1 CPU, 0 of 2 free', 'start d']);
    expect(state.queue).toEqual([]);
    expect(state.running).toEqual([]);
  });

  it('--jobs caps the count even when the budget has room', () => {
    const {log} = run([b('a'), b('b'), b('c')], {...HOST, cpus: 16, jobs: 1}, [{type: 'begin'}, {type: 'finished', name: 'a'}, {type: 'finished', name: 'b'}]);
    expect(log).toEqual(['start a', 'wait b: waits for room: --jobs 1: 1 build running', 'start b', 'wait c: waits for room: --jobs 1: 1 build running', 'start c']);
  });

  it('counts memory with the headroom of every build', () => {
    // 2 × (1024 + 256) = 2560 fits in 3000; a third (3840) does not, although CPUs would allow it.
    const {log} = run([b('a', 1, 1024), b('b', 1, 1024), b('c', 1, 1024)], {...HOST, cpus: 8, memoryMiB: 3000}, [{type: 'begin'}, {type: 'finished', name: 'a'}]);
    expect(log).toEqual(['start a', 'start b', 'wait c: waits for room: needs 1280 MiB (1024 + 256 headroom), 440 of 3000 MiB free', 'start c']);
  });

  it('keeps the order: a big build is not overtaken by small ones behind it', () => {
    const {log} = run([b('small1'), b('big', 2), b('small2')], HOST, [{type: 'begin'}, {type: 'finished', name: 'small1'}]);
    expect(log).toEqual(['start small1', 'wait big: waits for room: needs 2 CPUs, 1 of 2 free', 'start big', 'wait small2: waits for room: needs 1 CPU, 0 of 2 free']);
  });

  it('runs a build larger than the whole budget alone, and nothing beside it', () => {
    const {log} = run([b('a'), b('huge', 4, 8192), b('c')], HOST, [{type: 'begin'}, {type: 'finished', name: 'a'}, {type: 'finished', name: 'huge'}]);
    expect(log[0]).toBe('start a');
    expect(log[1]).toMatch(/^wait huge: waits for room: needs 4 CPUs, 1 of 2 free; needs 8448 MiB/);
    expect(log[2]).toBe('start huge (alone)');
    expect(log[3]).toMatch(/^wait c: /);
    expect(log[4]).toBe('start c');
    const r = schedule(initialState([b('huge', 4, 8192)]), {type: 'begin'}, HOST);
    expect(r.decisions).toEqual([{action: 'start', name: 'huge', alone: expect.stringMatching(/^larger than the host's budget \(needs 4 CPUs, 2 of 2 free; needs 8448 MiB .*\): it runs alone$/)}]);
  });

  it('says a wait once per reason, and again when the reason changes', () => {
    const {log} = run([b('a'), b('b'), b('c'), b('d', 4)], {...HOST, cpus: 4}, [{type: 'begin'}, {type: 'finished', name: 'x'}, {type: 'finished', name: 'a'}, {type: 'finished', name: 'b'}, {type: 'finished', name: 'c'}]);
    expect(log).toEqual([
      'start a',
      'start b',
      'start c',
      'wait d: waits for room: needs 4 CPUs, 1 of 4 free',
      'wait d: waits for room: needs 4 CPUs, 2 of 4 free',
      'wait d: waits for room: needs 4 CPUs, 3 of 4 free',
      'start d',
    ]);
  });

  it('stop drops the queue and starts nothing more', () => {
    const {log, state} = run([b('a'), b('b'), b('c')], {...HOST, cpus: 1}, [{type: 'begin'}, {type: 'stop'}, {type: 'finished', name: 'a'}]);
    expect(log).toEqual(['start a', 'wait b: waits for room: needs 1 CPU, 0 of 1 free']);
    expect(state).toMatchObject({queue: [], running: [], stopped: true});
  });

  it('lackOfRoom is undefined when a build fits', () => {
    expect(lackOfRoom(b('x'), [b('y')], HOST)).toBeUndefined();
    expect(lackOfRoom(b('x', 1, 4096), [], HOST)).toBe('needs 4352 MiB (4096 + 256 headroom), 4096 of 4096 MiB free');
  });
});
