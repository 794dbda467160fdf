/**
 * <waitFor "text"> and <waitStable> for boot commands: polls the screen as text (VGA memory or
 * recognised glyphs) and watches the framebuffer's change counter. The readers are passed in,
 * so this file stays free of VNC/QMP details and is unit-tested with fakes.
 */
import {setTimeout as sleep} from 'node:timers/promises';
import {formatDuration} from '../util/duration.js';
import {StepError} from './step.js';
import type {ScreenWaiter} from './steps/type-boot-command.js';

export interface ScreenReaders {
  /** The screen's text lines now, or undefined when it cannot be read yet. */
  readText(): Promise<string[] | undefined>;
  /** A counter that changes whenever the screen changes (Framebuffer.version). */
  version(): number | undefined;
  /** Poll interval; the default suits TCG guests. */
  pollMs?: number;
}

export function createScreenWaiter(r: ScreenReaders): ScreenWaiter {
  const poll = r.pollMs ?? 200;
  return {
    async waitForText(pattern, {timeoutMs, signal}) {
      const deadline = Date.now() + timeoutMs;
      let last: string[] | undefined;
      for (;;) {
        last = (await r.readText().catch(() => undefined)) ?? last;
        if (last?.some((l) => l.includes(pattern))) return;
        if (Date.now() >= deadline) {
          const shown = last ? last.map((l) => l.trimEnd()).filter(Boolean).slice(-6).join(' | ') : '(the screen could not be read as text)';
          throw new StepError(`"${pattern}" did not appear on screen within ${formatDuration(timeoutMs)}; the screen shows: ${shown}`);
        }
        await sleep(poll, undefined, {signal});
      }
    },
    async waitForStable(quietMs, {timeoutMs, signal}) {
      const deadline = Date.now() + timeoutMs;
      let seen = r.version();
      let since = Date.now();
      for (;;) {
        const v = r.version();
        if (v !== seen) {
          seen = v;
          since = Date.now();
        } else if (v !== undefined && Date.now() - since >= quietMs) return;
        if (Date.now() >= deadline) throw new StepError(`the screen kept changing for ${formatDuration(timeoutMs)} (waited for ${formatDuration(quietMs)} of stillness)`);
        await sleep(Math.min(poll, quietMs / 4), undefined, {signal});
      }
    },
  };
}
