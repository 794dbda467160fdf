/**
 * The workbench reducer: every event kind, pauses and questions, breakpoints announced before
 * the steps are known, sections with their log ranges, and batches of log lines that cost a
 * ring push each and leave the other slices untouched (same objects).
 */
import {describe, expect, it} from 'vitest';
import {initialState, reduce, reduceBatch} from '../../src/tui/reducer.js';
import type {BuildViewState, WorkbenchEvent} from '../../src/tui/types.js';
import {failedBuild, pausedBuild, STEPS, wholeBuild} from '../fakes/fake-controller.js';

const t = 1000;
const started: WorkbenchEvent = {type: 'build', status: 'started', time: t, profile: 'tiny', steps: [{id: 'a', title: 'Step A'}, {id: 'b', title: 'Step B'}]};
const run = (...events: WorkbenchEvent[]): BuildViewState => reduceBatch(initialState('p'), [started, ...events]);

describe('reduce: one event of each kind', () => {
  const cases: [string, WorkbenchEvent[], (s: BuildViewState) => unknown, unknown][] = [
    ['build started lists the steps as pending', [], (s) => [s.status, s.startedAt, s.profile, s.steps.map((x) => `${x.id}:${x.status}`)], ['running', t, 'tiny', ['a:pending', 'b:pending']]],
    ['build done', [{type: 'build', status: 'done', time: t + 50, durationMs: 50}], (s) => [s.status, s.endedAt], ['done', t + 50]],
    ['build failed keeps the reason', [{type: 'build', status: 'failed', time: t + 5, durationMs: 5, reason: 'boom'}], (s) => [s.status, s.reason], ['failed', 'boom']],
    ['step running becomes current, with its start time', [{type: 'step', time: t + 1, id: 'a', title: 'Step A', status: 'running'}], (s) => [s.currentStep, s.steps[0]!.status, s.steps[0]!.startedAt], ['a', 'running', t + 1]],
    [
      'step done keeps its duration',
      [{type: 'step', time: t + 1, id: 'a', title: 'Step A', status: 'running'}, {type: 'step', time: t + 9, id: 'a', title: 'Step A', status: 'done', durationMs: 8}],
      (s) => [s.steps[0]!.status, s.steps[0]!.durationMs],
      ['done', 8],
    ],
    ['step failed keeps its error', [{type: 'step', time: t, id: 'b', title: 'Step B', status: 'failed', durationMs: 3, error: 'no route'}], (s) => [s.currentStep, s.steps[1]!.error], ['b', 'no route']],
    ['an unknown step is added', [{type: 'step', time: t, id: 'z', title: 'Zed', status: 'running'}], (s) => s.steps.map((x) => x.id), ['a', 'b', 'z']],
    ['log line goes into the ring', [{type: 'log', time: t, source: 'serial', stream: 'stdout', line: 'login:'}], (s) => [s.logTotal, s.logs.length, s.logs.bySeq(1)?.line, s.logs.bySeq(1)?.source], [1, 1, 'login:', 'serial']],
    ['progress of the running step', [{type: 'progress', time: t, step: 'a', label: 'download', current: 5, total: 10}], (s) => s.progress, {step: 'a', label: 'download', current: 5, total: 10}],
    ['artifact', [{type: 'artifact', time: t, path: '/o/x.qcow2', format: 'qcow2', bytes: 7}], (s) => s.artifacts, [{path: '/o/x.qcow2', format: 'qcow2', bytes: 7}]],
    ['info becomes a fact', [{type: 'info', time: t, key: 'vnc', value: 'vnc://127.0.0.1:5901'}], (s) => s.facts, {vnc: 'vnc://127.0.0.1:5901'}],
    [
      'facts merge, the later value wins',
      [{type: 'info', time: t, key: 'ssh', value: '127.0.0.1:2222'}, {type: 'facts', time: t, facts: {ssh: 'ssh -p 2222 root@127.0.0.1', 'QEMU pid': '42'}}],
      (s) => s.facts,
      {ssh: 'ssh -p 2222 root@127.0.0.1', 'QEMU pid': '42'},
    ],
    ['pause', [{type: 'pause', time: t, phase: 'before', stepId: 'b', title: 'Step B'}], (s) => [s.pause, s.currentStep], [{phase: 'before', stepId: 'b', title: 'Step B'}, 'b']],
    ['pause at a boot_steps point keeps its label', [{type: 'pause', time: t, phase: 'checkpoint', stepId: 'a', title: 'Step A', label: 'installer menu'}], (s) => s.pause?.label, 'installer menu'],
    ['resumed clears the pause', [{type: 'pause', time: t, phase: 'after', stepId: 'a', title: 'Step A'}, {type: 'resumed', time: t}], (s) => s.pause, undefined],
    [
      'ask-error opens the question',
      [{type: 'ask-error', time: t, stepId: 'a', title: 'Step A', message: 'exit 1', hint: 'see section x'}],
      (s) => s.errorPrompt,
      {stepId: 'a', title: 'Step A', message: 'exit 1', hint: 'see section x'},
    ],
    ['answered closes it', [{type: 'ask-error', time: t, stepId: 'a', title: 'Step A', message: 'exit 1'}, {type: 'answered', time: t}], (s) => s.errorPrompt, undefined],
    [
      'debug-mode sets the toggles and the breakpoint markers',
      [{type: 'debug-mode', time: t, pauseBefore: true, pauseAfter: false, breakpoints: ['b']}],
      (s) => [s.debug.pauseBefore, s.debug.pauseAfter, s.steps.map((x) => x.breakpoint)],
      [true, false, [false, true]],
    ],
  ];
  it.each(cases)('%s', (_name, events, pick, want) => {
    expect(pick(run(...events))).toEqual(want);
  });

  it('breakpoints announced before the build started mark the steps once they are listed', () => {
    const s = reduceBatch(initialState('p'), [{type: 'debug-mode', time: t, pauseBefore: false, pauseAfter: false, breakpoints: ['b']}, started]);
    expect(s.steps.map((x) => x.breakpoint)).toEqual([false, true]);
  });

  it('initialState takes the debug mode chosen on the command line', () => {
    const s = reduce(initialState('p', {debug: {pauseBefore: true, breakpoints: ['a']}}), started);
    expect(s.debug.pauseBefore).toBe(true);
    expect(s.steps[0]!.breakpoint).toBe(true);
  });

  it('a pause after a finished step keeps it done (the runner never says done again)', () => {
    const s = run(
      {type: 'step', time: t, id: 'a', title: 'Step A', status: 'running'},
      {type: 'step', time: t + 5, id: 'a', title: 'Step A', status: 'done', durationMs: 5},
      {type: 'step', time: t + 5, id: 'a', title: 'Step A', status: 'paused'},
      {type: 'pause', time: t + 5, phase: 'after', stepId: 'a', title: 'Step A'},
    );
    expect(s.steps[0]).toMatchObject({status: 'done', durationMs: 5});
    expect(s.pause?.phase).toBe('after');
  });

  it('a retry starts the clock again and forgets the failure', () => {
    const s = run(
      {type: 'step', time: t, id: 'a', title: 'Step A', status: 'running'},
      {type: 'step', time: t + 5, id: 'a', title: 'Step A', status: 'failed', durationMs: 5, error: 'x'},
      {type: 'step', time: t + 9, id: 'a', title: 'Step A', status: 'running'},
    );
    expect(s.steps[0]).toMatchObject({status: 'running', startedAt: t + 9, durationMs: undefined, error: undefined});
  });

  it('a pause at a checkpoint inside a running step keeps its start time', () => {
    const s = run(
      {type: 'step', time: t, id: 'a', title: 'Step A', status: 'running'},
      {type: 'step', time: t + 5, id: 'a', title: 'Step A', status: 'paused'},
      {type: 'step', time: t + 9, id: 'a', title: 'Step A', status: 'running'},
    );
    expect(s.steps[0]!.startedAt).toBe(t);
  });

  it('progress is cleared when its step ends', () => {
    const s = run(
      {type: 'step', time: t, id: 'a', title: 'Step A', status: 'running'},
      {type: 'progress', time: t, step: 'a', label: 'dl', current: 1},
      {type: 'step', time: t + 5, id: 'a', title: 'Step A', status: 'done', durationMs: 5},
    );
    expect(s.progress).toBeUndefined();
  });

  it('the end of the build closes pauses and questions', () => {
    const s = run({type: 'ask-error', time: t, stepId: 'a', title: 'A', message: 'm'}, {type: 'build', status: 'cancelled', time: t + 1, durationMs: 1});
    expect([s.status, s.errorPrompt, s.pause]).toEqual(['cancelled', undefined, undefined]);
  });
});

describe('sections', () => {
  it('begin adds an open section, end updates status, duration, lines and the log range', () => {
    const s = reduceBatch(initialState('p'), failedBuild());
    expect(s.sections.map((x) => [x.key, x.depth, x.status, x.durationMs])).toEqual([
      ['install', 0, 'ok', 1200],
      ['install/configure', 1, 'ok', 300],
      ['run_tests', 0, 'failed', 700],
    ]);
    const runTests = s.sections[2]!;
    expect(runTests.lines).toEqual({stdout: 2, stderr: 1});
    const lines = [];
    for (let q = runTests.firstSeq!; q <= runTests.lastSeq!; q++) lines.push(s.logs.bySeq(q)!.line);
    expect(lines).toEqual(['BEGIN{run_tests}', 'test_boot ... ok', 'test_network ... FAILED: no route to 10.0.2.2']);
  });

  it('two sections with the same path: the end closes the newest open one', () => {
    const sec = (event: 'begin' | 'end', status: 'open' | 'ok' = 'open'): WorkbenchEvent => ({type: 'section', time: t, event, name: 'x', path: ['x'], status, lines: {stdout: 1, stderr: 0}});
    const s = run(sec('begin'), sec('end', 'ok'), sec('begin'));
    expect(s.sections.map((x) => x.status)).toEqual(['ok', 'open']);
    const s2 = reduce(s, sec('end', 'ok'));
    expect(s2.sections.map((x) => x.status)).toEqual(['ok', 'ok']);
  });

  it('an end without a begin (a late subscriber) still shows the section', () => {
    const s = run({type: 'section', time: t, event: 'end', name: 'y', path: ['y'], status: 'failed', lines: {stdout: 0, stderr: 2}, durationMs: 4});
    expect(s.sections).toMatchObject([{key: 'y', status: 'failed', durationMs: 4, startedAt: t - 4}]);
  });
});

describe('reduceBatch', () => {
  it('gives the same state as reducing one event at a time', () => {
    for (const script of [wholeBuild(), failedBuild(), pausedBuild()]) {
      const one = script.reduce(reduce, initialState('p'));
      const batch = reduceBatch(initialState('p'), script);
      const plain = (s: BuildViewState) => ({...s, logs: Array.from({length: s.logs.length}, (_, i) => s.logs.at(i))});
      expect(plain(batch)).toEqual(plain(one));
    }
  });

  it('log lines leave every other slice the same object (panes can skip re-rendering)', () => {
    const s0 = reduceBatch(initialState('p'), wholeBuild());
    const lines: WorkbenchEvent[] = Array.from({length: 1000}, (_, i) => ({type: 'log', time: t, source: 'serial', stream: 'stdout', line: `l${i}`}));
    const s1 = reduceBatch(s0, lines);
    expect(s1).not.toBe(s0);
    expect(s1.logTotal).toBe(s0.logTotal + 1000);
    for (const k of ['steps', 'sections', 'facts', 'artifacts', 'debug', 'logs'] as const) expect(s1[k]).toBe(s0[k]);
  });

  it('an empty batch returns the same state', () => {
    const s = initialState('p');
    expect(reduceBatch(s, [])).toBe(s);
  });

  it('1,000,000 log lines keep the ring at its capacity and count them all', () => {
    let s = reduceBatch(initialState('p'), [started]);
    const batch: WorkbenchEvent[] = Array.from({length: 10_000}, (_, i) => ({type: 'log', time: t, source: 'qemu', stream: 'stdout', line: `line ${i}`}));
    const t0 = performance.now();
    for (let i = 0; i < 100; i++) s = reduceBatch(s, batch);
    const ms = performance.now() - t0;
    expect(s.logTotal).toBe(1_000_000);
    expect(s.logs.length).toBe(10_000);
    expect(s.logCapacity).toBe(10_000);
    expect(s.logs.dropped).toBe(990_000);
    // 10,000 lines a second must cost the UI thread little: here 1M lines in well under 10 s.
    expect(ms).toBeLessThan(10_000);
  });

  it('the real steps come out in order with their final statuses', () => {
    const s = reduceBatch(initialState('p'), wholeBuild());
    expect(s.steps.map((x) => x.id)).toEqual(STEPS.map((x) => x.id));
    expect(new Set(s.steps.map((x) => x.status))).toEqual(new Set(['done']));
    expect(s.status).toBe('done');
  });
});
