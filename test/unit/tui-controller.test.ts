/**
 * The workbench controller over a real BuildSession with scripted steps: pauses, breakpoints,
 * step/continue/skip, abort-keep vs clean up, the error question, Ctrl-C, and bounded replay.
 */
import {mkdtempSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import type {Step} from '../../src/engine/step.js';
import type {BuildState} from '../../src/engine/state.js';
import {parseProfile} from '../../src/profiles/loader.js';
import {startBuildController, type ControllerOptions} from '../../src/tui/controller.js';
import type {UiCommand, WorkbenchEvent} from '../../src/tui/types.js';
import {scratchDirs} from '../support/scratch.js';

const scratch = scratchDirs('vmbench-unit-');

interface Trace {
  calls: string[];
}

function steps(trace: Trace, failFirst?: string, logs = 0): Step<BuildState>[] {
  let failed = false;
  return ['a', 'b', 'c'].map((id) => ({
    id,
    title: `Step ${id}`,
    async run(ctx) {
      trace.calls.push(`run:${id}`);
      for (let i = 0; i < logs; i++) ctx.log('provisioner', 'stdout', `${id} line ${i}`);
      if (id === failFirst && !failed) {
        failed = true;
        throw new Error(`${id} broke`);
      }
    },
    cleanup: async () => void trace.calls.push(`cleanup:${id}`),
  }));
}

/** A controller whose pauses and questions are answered by `answer` (called on every event). */
function run(opts: Partial<ControllerOptions>, answer: (e: WorkbenchEvent, send: (c: UiCommand) => void) => void, trace: Trace, failFirst?: string, logs = 0) {
  const dir = scratch('t');
  const loaded = {profile: parseProfile('iso_url: x.iso\nssh_username: root\n', 'p.yaml', 'p'), dir, file: path.join(dir, 'p.yaml')};
  const c = startBuildController({loaded: loaded as never, logDir: path.join(dir, 'logs'), outputDir: path.join(dir, 'out'), cacheDir: dir, steps: steps(trace, failFirst, logs), ...opts});
  const events: WorkbenchEvent[] = [];
  c.subscribe((e) => {
    events.push(e);
    // Answer on the next tick, like a person (and so the gate's promise is in place).
    setImmediate(() => answer(e, (cmd) => c.command(cmd)));
  });
  return {c, events};
}

const pauses = (events: WorkbenchEvent[]) => events.flatMap((e) => (e.type === 'pause' ? [`${e.phase}:${e.stepId}`] : []));

describe('WorkbenchController', () => {
  it('debug mode pauses before every step; continue runs on', async () => {
    const trace: Trace = {calls: []};
    const {c, events} = run({debug: true}, (e, send) => e.type === 'pause' && send({type: 'continue'}), trace);
    expect(await c.done).toEqual({status: 'done', kept: false});
    expect(pauses(events)).toEqual(['before:a', 'before:b', 'before:c']);
    expect(events.filter((e) => e.type === 'resumed')).toHaveLength(3);
  });

  it('a breakpoint pauses only there; step then pauses at the very next gate (after that step)', async () => {
    const trace: Trace = {calls: []};
    let first = true;
    const {c, events} = run(
      {},
      (e, send) => {
        if (e.type !== 'pause') return;
        send(first ? {type: 'step'} : {type: 'continue'});
        first = false;
      },
      trace,
    );
    c.command({type: 'toggle-breakpoint', stepId: 'b'});
    expect(await c.done).toMatchObject({status: 'done'});
    expect(pauses(events)).toEqual(['before:b', 'after:b']);
    expect(events.some((e) => e.type === 'debug-mode' && e.breakpoints.includes('b'))).toBe(true);
  });

  it('skip at a pause before a step skips it', async () => {
    const trace: Trace = {calls: []};
    const {c} = run({debug: true}, (e, send) => e.type === 'pause' && send(e.stepId === 'b' ? {type: 'skip'} : {type: 'continue'}), trace);
    await c.done;
    expect(trace.calls).toEqual(['run:a', 'run:c', 'cleanup:c', 'cleanup:a']);
  });

  it('abort-keep at a pause keeps everything; clean-up-quit cleans up', async () => {
    const keepTrace: Trace = {calls: []};
    const kept = run({debug: true}, (e, send) => e.type === 'pause' && send(e.stepId === 'b' ? {type: 'abort-keep'} : {type: 'continue'}), keepTrace);
    expect(await kept.c.done).toEqual({status: 'cancelled', kept: true});
    expect(keepTrace.calls).toEqual(['run:a']);

    const quitTrace: Trace = {calls: []};
    const quit = run({debug: true}, (e, send) => e.type === 'pause' && send(e.stepId === 'b' ? {type: 'cleanup-quit'} : {type: 'continue'}), quitTrace);
    expect(await quit.c.done).toEqual({status: 'cancelled', kept: false});
    expect(quitTrace.calls).toEqual(['run:a', 'cleanup:a']);
  });

  it('asks on a failed step; retry runs it again', async () => {
    const trace: Trace = {calls: []};
    const {c, events} = run({}, (e, send) => e.type === 'ask-error' && send({type: 'answer-error', decision: 'retry'}), trace, 'b');
    expect(await c.done).toMatchObject({status: 'done'});
    expect(events.find((e) => e.type === 'ask-error')).toMatchObject({stepId: 'b', message: 'b broke'});
    expect(trace.calls).toEqual(['run:a', 'run:b', 'cleanup:b', 'run:b', 'run:c', 'cleanup:c', 'cleanup:b', 'cleanup:a']);
  });

  it('abort-keep at the error question keeps the VM and files', async () => {
    const trace: Trace = {calls: []};
    const {c} = run({}, (e, send) => e.type === 'ask-error' && send({type: 'abort-keep'}), trace, 'b');
    expect(await c.done).toEqual({status: 'failed', kept: true});
    expect(trace.calls).toEqual(['run:a', 'run:b']);
  });

  it('Ctrl-C while paused cancels and cleans up', async () => {
    const trace: Trace = {calls: []};
    const {c, events} = run({debug: true}, (e, send) => e.type === 'pause' && (e.stepId === 'b' ? send({type: 'interrupt'}) : send({type: 'continue'})), trace);
    expect(await c.done).toEqual({status: 'cancelled', kept: false});
    expect(trace.calls).toEqual(['run:a', 'cleanup:a']);
    expect(events.some((e) => e.type === 'log' && /cancelling and cleaning up/.test(e.line))).toBe(true);
  });

  it('replays history to a late subscriber, with only the newest 10,000 log lines', async () => {
    const trace: Trace = {calls: []};
    const {c} = run({}, () => {}, trace, undefined, 8000);
    await c.done;
    const late: WorkbenchEvent[] = [];
    c.subscribe((e) => late.push(e));
    const logs = late.filter((e) => e.type === 'log' && e.source === 'provisioner');
    expect(logs).toHaveLength(10_000);
    expect(logs.at(-1)).toMatchObject({line: 'c line 7999'});
    expect(late.filter((e) => e.type === 'step' && e.status === 'done').map((e) => (e as {id: string}).id)).toEqual(['a', 'b', 'c']);
    expect(late.some((e) => e.type === 'build' && e.status === 'done')).toBe(true);
  });
});
