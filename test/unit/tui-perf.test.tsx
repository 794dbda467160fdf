/**
 * The responsiveness promise, as outcomes that do not depend on the machine's load:
 * a frame reads only the visible rows of the log ring (the same number of line reads with
 * 1,000 or 10,000 lines in it, counted), and key presses take effect while 10,000 lines a
 * second arrive. How fast that is — key to frame in ms, frame cost — is measured in
 * bench/workbench.mjs, never asserted here.
 */
import {render} from 'ink-testing-library';
import {afterEach, describe, expect, it, vi} from 'vitest';
import {BuildScreen} from '../../src/tui/BuildScreen.js';
import {LogRing} from '../../src/tui/log-ring.js';
import {initialState, reduceBatch} from '../../src/tui/reducer.js';
import type {BuildViewState, WorkbenchEvent} from '../../src/tui/types.js';
import {ControlledScreen, FakeController, renderSized, T0, wholeBuild} from '../fakes/fake-controller.js';

const tick = (ms = 0): Promise<void> => new Promise((r) => setTimeout(r, ms));
const SOURCES = ['qemu', 'serial', 'http', 'ssh', 'provisioner'] as const;
let n = 0;
const batch = (count: number): WorkbenchEvent[] =>
  Array.from({length: count}, () => {
    n++;
    return {type: 'log', time: T0, source: SOURCES[n % 5]!, stream: n % 11 ? 'stdout' : 'stderr', line: `[${n}] \x1b[32mOK\x1b[0m eth0: link is up ${'.'.repeat(n % 150)}`};
  });

afterEach(() => vi.restoreAllMocks());

describe('performance', () => {
  it('a frame reads the same number of log lines with 1,000 or 10,000 lines in the ring (only visible rows are read)', {timeout: 240_000}, () => {
    const at = vi.spyOn(LogRing.prototype, 'at');
    const bySeq = vi.spyOn(LogRing.prototype, 'bySeq');
    const reads = (): number => at.mock.calls.length + bySeq.mock.calls.length;
    for (const [w, h] of [
      [80, 24],
      [200, 60],
    ] as const) {
      for (const mode of ['follow', 'filter+search'] as const) {
        const perFrame: number[] = [];
        for (const fill of [1_000, 20_000]) {
          let state: BuildViewState = reduceBatch(initialState('tiny', {logCapacity: fill === 1_000 ? 1_000 : 10_000}), [...wholeBuild(), ...batch(fill)]);
          const initial = mode === 'follow' ? undefined : {pane: 'log' as const, focus: 'pane' as const, log: {follow: true, top: 0, source: 'serial' as const, query: 'link', current: undefined}};
          const el = (st: BuildViewState) => <BuildScreen state={st} width={w} height={h} onCommand={() => {}} clock={() => T0} initialView={initial} />;
          const r = w === 80 ? render(el(state)) : renderSized(el(state), w, h);
          // Warm: the first frame may build a filter over what the ring holds (once, ≤ capacity).
          state = reduceBatch(state, batch(333));
          r.rerender(el(state));
          const before = reads();
          for (let i = 0; i < 10; i++) {
            // One frame's worth of a 10,000 lines/s flood at 30 fps.
            state = reduceBatch(state, batch(333));
            r.rerender(el(state));
          }
          expect(r.lastFrame()).toContain('link is up');
          r.unmount();
          perFrame.push((reads() - before) / 10);
        }
        // O(visible rows + new lines), not O(ring): a full ring reads what a nearly empty one does.
        expect(perFrame[1], `${w}×${h} ${mode}: ${perFrame.join(' vs ')} reads per frame`).toBeLessThanOrEqual(perFrame[0]! * 1.5 + h);
        expect(perFrame[1]).toBeLessThan(2_000);
      }
    }
  });

  it('key presses take effect while 10,000 lines a second arrive', {timeout: 60_000}, async () => {
    const controller = new FakeController(wholeBuild());
    // Events applied once per 33 ms, as the App does.
    const r = renderSized(<ControlledScreen controller={controller} width={120} height={40} clock={() => T0} flushMs={33} />, 120, 40);
    await tick(20);
    // 10,000 lines/s, as the engine side would deliver them: 100 lines every 10 ms.
    const flood = setInterval(() => controller.emit(...batch(100)), 10);
    try {
      await tick(300);
      for (const [key, shows] of [
        ['3', 'sections'],
        ['1', '▼ follow'],
        ['l', '▼ follow'],
        ['k', '⏸ paused'],
        ['G', '▼ follow'],
        ['F', 'only qemu'],
        ['?', 'Keys — '],
      ] as const) {
        r.stdin.write(key);
        // A hang guard only (how fast is bench/workbench.mjs's business).
        const t0 = Date.now();
        while (!(r.lastFrame() ?? '').includes(shows)) {
          if (Date.now() - t0 > 10_000) throw new Error(`key ${key} never showed ${shows}`);
          await new Promise((res) => setImmediate(res));
        }
        await tick(50);
        if (key === '?') r.stdin.write('\x1b');
      }
    } finally {
      clearInterval(flood);
      r.unmount();
    }
  });
});
