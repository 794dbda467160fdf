import {describe, expect, it} from 'vitest';
import {createScreenWaiter} from '../../src/engine/screen-waiter.js';

const never = new AbortController().signal;

describe('createScreenWaiter', () => {
  it('waitForText resolves once the text shows up', async () => {
    let calls = 0;
    const w = createScreenWaiter({readText: async () => (++calls >= 3 ? ['ISOLINUX 6.04', 'boot: '] : ['ISOLINUX 6.04']), version: () => 1, pollMs: 5});
    await w.waitForText('boot:', {timeoutMs: 2000, signal: never});
    expect(calls).toBe(3);
  });

  it('waitForText times out saying what the screen showed', async () => {
    const w = createScreenWaiter({readText: async () => ['Kernel panic - not syncing', ''], version: () => 1, pollMs: 5});
    await expect(w.waitForText('login:', {timeoutMs: 50, signal: never})).rejects.toThrow(/"login:" did not appear .* the screen shows: Kernel panic - not syncing/);
  });

  it('waitForText stops when aborted', async () => {
    const ac = new AbortController();
    const w = createScreenWaiter({readText: async () => [], version: () => 1, pollMs: 5});
    const p = w.waitForText('x', {timeoutMs: 60_000, signal: ac.signal});
    ac.abort(new Error('cancelled'));
    await expect(p).rejects.toThrow(/aborted/);
  });

  it('waitForStable waits until the version stops changing for the quiet time', async () => {
    let v = 0;
    const changes = setInterval(() => v++, 5);
    setTimeout(() => clearInterval(changes), 100);
    const started = Date.now();
    const w = createScreenWaiter({readText: async () => [], version: () => v, pollMs: 5});
    await w.waitForStable(60, {timeoutMs: 2000, signal: never});
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
    expect(v).toBeGreaterThan(5);
  });

  it('waitForStable gives up when the screen never settles', async () => {
    let v = 0;
    const w = createScreenWaiter({readText: async () => [], version: () => v++, pollMs: 5});
    await expect(w.waitForStable(50, {timeoutMs: 120, signal: never})).rejects.toThrow(/kept changing/);
  });
});
