import {describe, expect, it} from 'vitest';
import type {BuildEvent} from '../../src/engine/events.js';
import {runSteps, type RunnerOptions} from '../../src/engine/runner.js';
import type {Step} from '../../src/engine/step.js';

interface Trace {
  calls: string[];
}

function step(id: string, behaviour: {fail?: number; hang?: boolean; noCleanup?: boolean} = {}): Step<Trace> {
  let failures = behaviour.fail ?? 0;
  return {
    id,
    title: `Step ${id}`,
    async run(ctx) {
      ctx.state.calls.push(`run:${id}`);
      if (behaviour.hang) await new Promise(() => {});
      if (failures > 0) {
        failures--;
        throw new Error(`${id} broke`);
      }
    },
    cleanup: behaviour.noCleanup
      ? undefined
      : async (ctx) => {
          ctx.state.calls.push(`cleanup:${id}`);
        },
  };
}

function harness(extra: Partial<RunnerOptions> = {}) {
  const events: BuildEvent[] = [];
  const controller = new AbortController();
  const opts: RunnerOptions = {emit: (e) => events.push(e), signal: controller.signal, ...extra};
  const statuses = () => events.flatMap((e) => (e.type === 'step' ? [`${e.id}:${e.status}`] : []));
  return {events, controller, opts, statuses};
}

describe('runSteps', () => {
  it('runs steps in order and unwinds cleanups last-in-first-out on success', async () => {
    const state: Trace = {calls: []};
    const h = harness();
    const r = await runSteps([step('a'), step('b', {noCleanup: true}), step('c')], state, h.opts);
    expect(r.status).toBe('done');
    expect(state.calls).toEqual(['run:a', 'run:b', 'run:c', 'cleanup:c', 'cleanup:a']);
    expect(h.statuses()).toEqual(['a:running', 'a:done', 'b:running', 'b:done', 'c:running', 'c:done']);
    const done = h.events.find((e) => e.type === 'step' && e.status === 'done');
    expect(done && 'durationMs' in done && typeof done.durationMs).toBe('number');
  });

  it('cleans up the failed step too (its cleanup was registered before run) and stops', async () => {
    const state: Trace = {calls: []};
    const h = harness();
    const r = await runSteps([step('a'), step('b', {fail: 1}), step('c')], state, h.opts);
    expect(r).toMatchObject({status: 'failed', failedStep: 'b', kept: false});
    expect(r.error?.message).toBe('b broke');
    expect(state.calls).toEqual(['run:a', 'run:b', 'cleanup:b', 'cleanup:a']);
    expect(h.statuses()).toContain('b:failed');
    expect(h.statuses()).not.toContain('c:running');
  });

  it('on-error=abort keeps everything: no cleanup runs', async () => {
    const state: Trace = {calls: []};
    const r = await runSteps([step('a'), step('b', {fail: 1})], state, harness({onError: 'abort'}).opts);
    expect(r).toMatchObject({status: 'failed', kept: true});
    expect(state.calls).toEqual(['run:a', 'run:b']);
  });

  it('on-error=ask can retry a failed step after undoing its half-done attempt', async () => {
    const state: Trace = {calls: []};
    const asked: string[] = [];
    const h = harness({onError: 'ask', ask: async (s) => (asked.push(s.id), 'retry')});
    const r = await runSteps([step('a'), step('b', {fail: 2})], state, h.opts);
    expect(r.status).toBe('done');
    expect(asked).toEqual(['b', 'b']);
    expect(state.calls).toEqual(['run:a', 'run:b', 'cleanup:b', 'run:b', 'cleanup:b', 'run:b', 'cleanup:b', 'cleanup:a']);
  });

  it('abort while a step hangs cancels it, marks the rest cancelled and still cleans up', async () => {
    const state: Trace = {calls: []};
    const h = harness();
    const running = runSteps([step('a'), step('b', {hang: true}), step('c')], state, h.opts);
    await new Promise((r) => setTimeout(r, 20));
    h.controller.abort(new Error('SIGINT'));
    const r = await running;
    expect(r.status).toBe('cancelled');
    expect(state.calls).toEqual(['run:a', 'run:b', 'cleanup:b', 'cleanup:a']);
    expect(h.statuses()).toEqual(['a:running', 'a:done', 'b:running', 'b:cancelled', 'c:cancelled']);
  });

  it('a step that finishes starting something after the abort is cleaned up after it, not before', async () => {
    const state: Trace = {calls: []};
    const h = harness();
    // Like start-vm: the abort arrives while it waits, and what it starts appears a little later.
    const late: Step<Trace> = {
      id: 'vm',
      title: 'Start VM',
      async run(ctx) {
        await new Promise((r) => setTimeout(r, 100));
        ctx.state.calls.push('vm started');
      },
      cleanup: async (ctx) => void ctx.state.calls.push('cleanup:vm'),
    };
    const running = runSteps([step('a'), late], state, h.opts);
    await new Promise((r) => setTimeout(r, 20));
    h.controller.abort(new Error('SIGINT'));
    const r = await running;
    expect(r.status).toBe('cancelled');
    expect(state.calls).toEqual(['run:a', 'vm started', 'cleanup:vm', 'cleanup:a']);
  });

  it('gate pauses before and after each step, can skip, and abort at a pause cleans up', async () => {
    const state: Trace = {calls: []};
    const seen: string[] = [];
    const h = harness({
      gate: async (phase, s) => {
        seen.push(`${phase}:${s.id}`);
        if (phase === 'before' && s.id === 'b') return 'skip';
        if (phase === 'after' && s.id === 'c') return 'abort';
        return 'continue';
      },
    });
    const r = await runSteps([step('a'), step('b'), step('c'), step('d')], state, h.opts);
    expect(r.status).toBe('cancelled');
    expect(seen).toEqual(['before:a', 'after:a', 'before:b', 'before:c', 'after:c']);
    expect(state.calls).toEqual(['run:a', 'run:c', 'cleanup:c', 'cleanup:a']);
    expect(h.statuses()).toContain('b:skipped');
    expect(h.statuses()).toContain('d:cancelled');
  });

  it.each(['before', 'after'] as const)('keep at a pause %s a step stops without cleaning up anything', async (when) => {
    const state: Trace = {calls: []};
    const h = harness({gate: async (phase, s) => (phase === when && s.id === 'b' ? 'keep' : 'continue')});
    const r = await runSteps([step('a'), step('b'), step('c')], state, h.opts);
    expect(r).toMatchObject({status: 'cancelled', kept: true});
    expect(state.calls).toEqual(when === 'before' ? ['run:a'] : ['run:a', 'run:b']);
    expect(h.statuses()).toContain('c:cancelled');
  });

  it('a cleanup that throws is logged and the others still run', async () => {
    const state: Trace = {calls: []};
    const h = harness();
    const bad: Step<Trace> = {id: 'x', title: 'x', run: async () => {}, cleanup: async () => Promise.reject(new Error('boom'))};
    await runSteps([step('a'), bad], state, h.opts);
    expect(state.calls).toEqual(['run:a', 'cleanup:a']);
    expect(h.events.some((e) => e.type === 'log' && e.line.includes('cleanup of x failed: boom'))).toBe(true);
  });
});

describe('checkpoints inside a step', () => {
  const typing: Step<Trace> = {
    id: 'type',
    title: 'Type',
    async run(ctx) {
      for (const label of ['menu', 'kernel line']) {
        ctx.state.calls.push(`typed:${label}`);
        await ctx.checkpoint(label);
      }
    },
    cleanup: async (ctx) => void ctx.state.calls.push('cleanup:type'),
  };

  it('resolve at once without a gate', async () => {
    const state: Trace = {calls: []};
    expect((await runSteps([typing], state, harness().opts)).status).toBe('done');
    expect(state.calls).toEqual(['typed:menu', 'typed:kernel line', 'cleanup:type']);
  });

  it('pause through the gate with their label, and abort there cancels the build', async () => {
    const state: Trace = {calls: []};
    const seen: string[] = [];
    const h = harness({
      gate: async (phase, s) => {
        seen.push(`${phase}:${s.id}${s.label ? `:${s.label}` : ''}`);
        return s.label === 'kernel line' ? 'abort' : 'continue';
      },
    });
    const r = await runSteps([typing, step('after')], state, h.opts);
    expect(r.status).toBe('cancelled');
    expect(seen).toEqual(['before:type', 'checkpoint:type:menu', 'checkpoint:type:kernel line']);
    expect(state.calls).toEqual(['typed:menu', 'typed:kernel line', 'cleanup:type']);
    expect(h.statuses()).toEqual(['type:paused', 'type:running', 'type:paused', 'type:running', 'type:paused', 'type:cancelled', 'after:cancelled']);
  });
});

describe('keep at a checkpoint', () => {
  it('stops the step and keeps everything', async () => {
    const state: Trace = {calls: []};
    const typing: Step<Trace> = {
      id: 'type',
      title: 'Type',
      run: async (ctx) => ctx.checkpoint('menu'),
      cleanup: async (ctx) => void ctx.state.calls.push('cleanup:type'),
    };
    const r = await runSteps([step('a'), typing], state, harness({gate: async (phase) => (phase === 'checkpoint' ? 'keep' : 'continue')}).opts);
    expect(r).toMatchObject({status: 'cancelled', kept: true});
    expect(state.calls).toEqual(['run:a']);
  });
});

describe('onFailure', () => {
  it('runs before any cleanup, while what failed is still there', async () => {
    const state: Trace = {calls: []};
    const h = harness({onFailure: async (s, e) => void state.calls.push(`evidence:${s.id}:${e.message}`)});
    await runSteps([step('a'), step('b', {fail: 1})], state, h.opts);
    expect(state.calls).toEqual(['run:a', 'run:b', 'evidence:b:b broke', 'cleanup:b', 'cleanup:a']);
  });
});
