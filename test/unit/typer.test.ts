import {afterEach, beforeEach, describe, expect, it, vi} from 'vitest';
import type {BootAction} from '../../src/vnc/boot-command.js';
import type {KeySender} from '../../src/vnc/key-sender.js';
import {typeBootCommand} from '../../src/vnc/typer.js';

const SHIFT_L = 0xffe1;
const CTRL_L = 0xffe3;
const ENTER = 0xff0d;

/** Records every event with the (fake) time it was sent. */
class RecordingKeys implements KeySender {
  events: {keysym: number; down: boolean; at: number}[] = [];
  /** Throw on the event with this index; `dead` keeps throwing from then on. */
  failAt = -1;
  dead = false;
  private calls = 0;
  keyEvent(keysym: number, down: boolean): void {
    const call = this.calls++;
    if (call === this.failAt || (this.dead && this.failAt >= 0 && call > this.failAt)) throw new Error('VNC connection closed');
    this.events.push({keysym, down, at: Date.now()});
  }
  get seq(): [string, number][] {
    return this.events.map((e) => [e.down ? 'down' : 'up', e.keysym]);
  }
}

const press = (ch: string, shift = false): BootAction => ({kind: 'press', keysym: ch.codePointAt(0)!, shift, text: ch, offset: 0});
const key = (keysym: number, text = '<key>'): BootAction => ({kind: 'press', keysym, shift: false, text, offset: 0});
const down = (keysym: number): BootAction => ({kind: 'down', keysym, text: '<on>', offset: 0});
const up = (keysym: number): BootAction => ({kind: 'up', keysym, text: '<off>', offset: 0});
const wait = (ms: number): BootAction => ({kind: 'wait', ms, text: '<wait>', offset: 0});

beforeEach(() => {
  vi.useFakeTimers({now: 0});
});
afterEach(() => {
  vi.useRealTimers();
});

async function run(keys: KeySender, actions: BootAction[], opts: Parameters<typeof typeBootCommand>[2]): Promise<void> {
  const p = typeBootCommand(keys, actions, opts);
  await vi.runAllTimersAsync();
  await p;
}

describe('typeBootCommand', () => {
  it('taps plain characters and wraps shifted ones in Shift_L', async () => {
    const keys = new RecordingKeys();
    await run(keys, [press('a'), press('A', true), key(ENTER)], {keyIntervalMs: 10});
    expect(keys.seq).toEqual([
      ['down', 0x61], ['up', 0x61],
      ['down', SHIFT_L], ['down', 0x41], ['up', 0x41], ['up', SHIFT_L],
      ['down', ENTER], ['up', ENTER],
    ]);
  });

  it('sleeps keyIntervalMs after every key event and honours waits', async () => {
    const keys = new RecordingKeys();
    const t0 = Date.now();
    const p = typeBootCommand(keys, [press('a'), wait(1000), press('B', true)], {keyIntervalMs: 25});
    await vi.runAllTimersAsync();
    await p;
    expect(keys.events.map((e) => e.at - t0)).toEqual([0, 25, 1050, 1075, 1100, 1125]);
    expect(Date.now() - t0).toBe(1150); // the last event's interval passes before resolving
  });

  it('holds and releases modifiers for On/Off', async () => {
    const keys = new RecordingKeys();
    await run(keys, [down(CTRL_L), press('c'), up(CTRL_L)], {keyIntervalMs: 5});
    expect(keys.seq).toEqual([['down', CTRL_L], ['down', 0x63], ['up', 0x63], ['up', CTRL_L]]);
  });

  it('does not let a shifted character release a Shift held by <leftShiftOn>', async () => {
    const keys = new RecordingKeys();
    await run(keys, [down(SHIFT_L), press('A', true), up(SHIFT_L)], {keyIntervalMs: 1});
    expect(keys.seq).toEqual([['down', SHIFT_L], ['down', 0x41], ['up', 0x41], ['up', SHIFT_L]]);
  });

  it('releases keys left down at the end of the command', async () => {
    const keys = new RecordingKeys();
    await run(keys, [down(CTRL_L), press('x')], {keyIntervalMs: 1});
    expect(keys.seq.at(-1)).toEqual(['up', CTRL_L]);
  });

  it('reports each action as it starts', async () => {
    const keys = new RecordingKeys();
    const seen: [string, number][] = [];
    const actions = [press('a'), wait(10), press('b')];
    await run(keys, actions, {keyIntervalMs: 1, onAction: (a, i) => seen.push([a.text, i])});
    expect(seen).toEqual([['a', 0], ['<wait>', 1], ['b', 2]]);
  });

  it('on abort rejects at once with the reason and releases every held key', async () => {
    const keys = new RecordingKeys();
    const ac = new AbortController();
    const actions = [down(CTRL_L), down(0xffe9), press('!', true), wait(60_000), press('z')];
    const p = typeBootCommand(keys, actions, {keyIntervalMs: 10, signal: ac.signal});
    const settled = vi.fn();
    p.then(settled, settled);
    // Stop half-way through the shifted '!': Ctrl, Alt, Shift and '!' are down.
    await vi.advanceTimersByTimeAsync(35);
    expect(keys.seq).toEqual([['down', CTRL_L], ['down', 0xffe9], ['down', SHIFT_L], ['down', 0x21]]);
    const reason = new Error('stop');
    ac.abort(reason);
    await expect(p).rejects.toBe(reason); // no timer advanced: prompt
    expect(keys.seq.slice(4)).toEqual([['up', 0x21], ['up', SHIFT_L], ['up', 0xffe9], ['up', CTRL_L]]);
    expect(settled).toHaveBeenCalled();
  });

  it('aborts during a long wait without waiting it out', async () => {
    const keys = new RecordingKeys();
    const ac = new AbortController();
    const p = typeBootCommand(keys, [press('a'), wait(300_000), press('b')], {keyIntervalMs: 1, signal: ac.signal});
    await vi.advanceTimersByTimeAsync(100);
    ac.abort(new Error('cancelled'));
    await expect(p).rejects.toThrow('cancelled');
    expect(keys.seq).toEqual([['down', 0x61], ['up', 0x61]]);
  });

  it('rejects at once with an already-aborted signal and sends nothing', async () => {
    const keys = new RecordingKeys();
    await expect(typeBootCommand(keys, [press('a')], {keyIntervalMs: 1, signal: AbortSignal.abort(new Error('early'))})).rejects.toThrow('early');
    expect(keys.events).toEqual([]);
  });

  it('on a send error rejects with it and still releases held keys', async () => {
    const keys = new RecordingKeys();
    keys.failAt = 2; // 'c' down fails once
    const p = typeBootCommand(keys, [down(CTRL_L), down(SHIFT_L), press('c')], {keyIntervalMs: 1});
    const done = expect(p).rejects.toThrow('VNC connection closed');
    await vi.runAllTimersAsync();
    await done;
    expect(keys.seq).toEqual([['down', CTRL_L], ['down', SHIFT_L], ['up', SHIFT_L], ['up', CTRL_L]]);
  });

  it('on a dead connection the original error wins over failing releases', async () => {
    const keys = new RecordingKeys();
    keys.failAt = 1;
    keys.dead = true;
    const p = typeBootCommand(keys, [down(CTRL_L), press('c')], {keyIntervalMs: 1});
    const done = expect(p).rejects.toThrow('VNC connection closed');
    await vi.runAllTimersAsync();
    await done;
    expect(keys.seq).toEqual([['down', CTRL_L]]);
  });

  it('with keyIntervalMs 0 sends everything without timers', async () => {
    vi.useRealTimers();
    const keys = new RecordingKeys();
    await typeBootCommand(keys, [press('a'), press('B', true)], {keyIntervalMs: 0});
    expect(keys.events).toHaveLength(6);
  });
});
