/**
 * The Console pane's keys, shared by the build view and a kept VM's screen: each reaches the
 * pane, and typing starts only with a pane and a VM screen, saying why not otherwise.
 */
import {describe, expect, it} from 'vitest';
import type {ConsolePane} from '../../src/tui/console-pane.js';
import {consoleKey} from '../../src/tui/console-keys.js';

function fakePane() {
  const calls: string[] = [];
  let release: (() => void) | undefined;
  const pane = {
    cycleMode: () => void calls.push('mode'),
    toggleZoom: () => void calls.push('zoom'),
    pan: (dx: number, dy: number) => void calls.push(`pan ${dx},${dy}`),
    capture: (onRelease?: () => void) => {
      calls.push('capture');
      release = onRelease;
    },
  } as unknown as ConsolePane;
  return {pane, calls, release: () => release?.()};
}

describe('consoleKey', () => {
  it('mode, zoom and pan reach the pane from either screen', () => {
    const {pane, calls} = fakePane();
    const c = {pane, notYet: () => undefined, say: () => {}, setCaptured: () => {}};
    consoleKey({type: 'console-mode'}, c);
    consoleKey({type: 'vm-zoom'}, c);
    consoleKey({type: 'console-pan', dx: -1, dy: 2}, c);
    consoleKey({type: 'vm-pan', dx: 3, dy: 0}, c);
    expect(calls).toEqual(['mode', 'zoom', 'pan -1,2', 'pan 3,0']);
  });

  it('typing captures the keyboard, and Ctrl-] (the release) gives it back', () => {
    const {pane, calls, release} = fakePane();
    const captured: boolean[] = [];
    consoleKey({type: 'vm-type'}, {pane, notYet: () => undefined, say: () => {}, setCaptured: (on) => captured.push(on)});
    expect(calls).toEqual(['capture']);
    expect(captured).toEqual([true]);
    release();
    expect(captured).toEqual([true, false]);
  });

  it('typing without a pane or before the VM screen says why, and captures nothing', () => {
    const said: string[] = [];
    const captured: boolean[] = [];
    consoleKey({type: 'console-interactive'}, {pane: undefined, notYet: () => undefined, say: (m) => said.push(m), setCaptured: (on) => captured.push(on)});
    const {pane, calls} = fakePane();
    consoleKey({type: 'console-interactive'}, {pane, notYet: () => 'no VM screen yet', say: (m) => said.push(m), setCaptured: (on) => captured.push(on)});
    expect(said).toEqual(['no console in this terminal: keys cannot be passed to the VM', 'no VM screen yet']);
    expect(calls).toEqual([]);
    expect(captured).toEqual([]);
  });
});
