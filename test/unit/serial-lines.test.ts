import {describe, expect, it} from 'vitest';
import {serialLineCleaner} from '../../src/qemu/serial-lines.js';

describe('serial console lines', () => {
  it('keeps what a terminal shows: no escapes, the text after the last carriage return', () => {
    const clean = serialLineCleaner();
    expect(clean('[\x1b[0;32m  OK  \x1b[0m] Reached target \x1b[0;1;39mnetwork.target\x1b[0m - Network.')).toBe('[  OK  ] Reached target network.target - Network.');
    expect(clean('Loading 10%\rLoading 55%\rLoading 100%')).toBe('Loading 100%');
    expect(clean('\r\x1b[K')).toBeUndefined();
  });

  it("says a redrawn status line once while only its numbers and spinner change, then the next line", () => {
    const clean = serialLineCleaner();
    const spin = (stars: string, t: string) => `\r\x1b[K[${stars}] Job networking.service/start running (${t} / 6min 21s)`;
    const out = [spin('   *** ', '1min 26s'), spin('  ***  ', '1min 27s'), spin(' ***   ', '1min 28s'), '\r\x1b[K[  OK  ] Finished networking.service - Raise network interfaces.', spin('***    ', '0s')]
      .map(clean)
      .filter((l) => l !== undefined);
    expect(out).toEqual([
      '[   *** ] Job networking.service/start running (1min 26s / 6min 21s)',
      '[  OK  ] Finished networking.service - Raise network interfaces.',
      '[***    ] Job networking.service/start running (0s / 6min 21s)',
    ]);
  });

  it('keeps ordinary lines that look alike (a counter printed line by line)', () => {
    const clean = serialLineCleaner();
    expect(['tick 1', 'tick 2', 'tick 3'].map(clean)).toEqual(['tick 1', 'tick 2', 'tick 3']);
  });
});
