/**
 * The terminal around the workbench (src/tui/terminal.ts): the alternate screen goes on, and
 * comes off exactly once on every way out — restore(), process exit, an uncaught exception.
 */
import {EventEmitter} from 'node:events';
import {describe, expect, it} from 'vitest';
import {ENTER, enterFullscreen, installCrashGuard, LEAVE, signalExitCode} from '../../src/tui/terminal.js';

function streams(raw = false) {
  const written: string[] = [];
  const modes: boolean[] = [];
  return {
    written,
    modes,
    stdin: {isTTY: true, isRaw: raw, setRawMode: (m: boolean) => void modes.push(m)},
    stdout: {isTTY: true, write: (d: string) => void written.push(d)},
  };
}

describe('enterFullscreen', () => {
  it('enters the alternate screen and leaves it once, putting raw mode back as it was', () => {
    const s = streams(false);
    const proc = new EventEmitter();
    const t = enterFullscreen(s, {proc: proc as never, beforeLeave: () => '<clear painter>'});
    expect(s.written).toEqual([ENTER]);
    expect(proc.listenerCount('exit')).toBe(1);
    t.restore();
    t.restore();
    expect(s.written).toEqual([ENTER, '<clear painter>', LEAVE]);
    expect(s.modes).toEqual([false]);
    expect(proc.listenerCount('exit')).toBe(0);
    expect(t.active).toBe(false);
    expect(LEAVE).toContain('\x1b[?1049l');
    expect(LEAVE).toContain('\x1b[?25h');
    expect(LEAVE.startsWith('\x1b[?2026l')).toBe(true); // a crash mid-frame must not leave output frozen
  });

  it('restores on process exit, and survives a terminal that is gone', () => {
    const s = streams(true);
    const proc = new EventEmitter();
    enterFullscreen(
      {
        stdin: s.stdin,
        stdout: {
          isTTY: true,
          write: (d: string) => {
            if (d === LEAVE) throw new Error('EIO');
            s.written.push(d);
          },
        },
      },
      {proc: proc as never, beforeLeave: () => {
        throw new Error('painter broke');
      }},
    );
    expect(() => proc.emit('exit')).not.toThrow();
    expect(s.modes).toEqual([true]);
  });
});

describe('installCrashGuard', () => {
  it('on an uncaught exception: cleans up first, then reports on the normal screen, then exits 1', () => {
    const proc = new EventEmitter();
    const order: string[] = [];
    const codes: number[] = [];
    const remove = installCrashGuard({
      proc,
      onCrash: () => order.push('cleanup'),
      stderr: {write: (d: string) => void order.push(d.split('\n')[0]!)},
      exit: (c) => void codes.push(c),
    });
    proc.emit('uncaughtException', new Error('boom'));
    proc.emit('unhandledRejection', new Error('again'));
    expect(order).toEqual(['cleanup', 'vmbench: internal error: Error: boom']);
    expect(codes).toEqual([1]);
    remove();
    expect(proc.listenerCount('uncaughtException')).toBe(0);
    expect(proc.listenerCount('unhandledRejection')).toBe(0);
  });

  it('maps signals to the usual exit statuses', () => {
    expect([signalExitCode('SIGHUP'), signalExitCode('SIGINT'), signalExitCode('SIGTERM')]).toEqual([129, 130, 143]);
  });
});
