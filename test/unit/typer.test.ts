import {afterEach, beforeEach, describe, expect, it, vi} from 'vitest';
import type {BootAction} from '../../src/vnc/boot-command.js';
import type {KeySender} from '../../src/vnc/key-sender.js';
import {SHIFTED_SYMBOLS, SPECIAL_KEYS} from '../../src/vnc/keysyms.js';
import {QmpKeySender, qcodeForKeysym} from '../../src/vnc/qmp-keys.js';
import {backspaceActions, KEY_INTERVAL_MS, textActions, typeBootCommand} from '../../src/vnc/typer.js';
import {parseBootCommand} from '../../src/vnc/boot-command.js';

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

  it('with burst sends that many events back to back, then pauses', async () => {
    const keys = new RecordingKeys();
    const t0 = Date.now();
    await run(keys, [press('a'), press('B', true), press('c')], {keyIntervalMs: 10, burst: 3});
    // a↓ a↑ ⇧↓ | B↓ B↑ ⇧↑ | c↓ c↑ (+ final pause)
    expect(keys.events.map((e) => e.at - t0)).toEqual([0, 0, 0, 10, 10, 10, 20, 20]);
    expect(Date.now() - t0).toBe(30); // the unfinished last burst still gets its pause
  });

  it('a wait restarts the burst count', async () => {
    const keys = new RecordingKeys();
    const t0 = Date.now();
    await run(keys, [press('a'), wait(100), press('b')], {keyIntervalMs: 10, burst: 3});
    expect(keys.events.map((e) => e.at - t0)).toEqual([0, 0, 100, 100]);
    expect(Date.now() - t0).toBe(110);
  });

  it('rejects bad pacing before sending anything', async () => {
    const keys = new RecordingKeys();
    await expect(typeBootCommand(keys, [press('a')], {keyIntervalMs: -1})).rejects.toThrow(RangeError);
    await expect(typeBootCommand(keys, [press('a')], {keyIntervalMs: Number.NaN})).rejects.toThrow(RangeError);
    await expect(typeBootCommand(keys, [press('a')], {keyIntervalMs: 1, burst: 0})).rejects.toThrow(RangeError);
    await expect(typeBootCommand(keys, [press('a')], {keyIntervalMs: 1, burst: 1.5})).rejects.toThrow(RangeError);
    expect(keys.events).toEqual([]);
  });

  it('awaits an asynchronous sender before pausing, and reports its rejection', async () => {
    const sent: string[] = [];
    let resolveFirst!: () => void;
    let calls = 0;
    const keys: KeySender = {
      keyEvent(keysym, down) {
        sent.push(`${down ? 'down' : 'up'} ${keysym.toString(16)}`);
        calls++;
        if (calls === 1) return new Promise<void>((r) => (resolveFirst = r));
        if (calls === 3) return Promise.reject(new Error('QMP connection closed'));
        return Promise.resolve();
      },
    };
    const p = typeBootCommand(keys, [down(CTRL_L), press('x')], {keyIntervalMs: 5});
    const done = expect(p).rejects.toThrow('QMP connection closed');
    await vi.advanceTimersByTimeAsync(50);
    expect(sent).toEqual(['down ffe3']); // nothing more until QEMU acknowledged the first event
    resolveFirst();
    await vi.runAllTimersAsync();
    await done;
    // x↓ was sent, x↑ failed: Ctrl is released; x was acknowledged down, so it is released too
    expect(sent).toEqual(['down ffe3', 'down 78', 'up 78', 'up 78', 'up ffe3']);
  });

  it('defaults: QMP paces faster than VNC, VNC stays above QEMU\'s 10 ms key-delay', () => {
    expect(KEY_INTERVAL_MS.vnc).toBeGreaterThan(10);
    expect(KEY_INTERVAL_MS.qmp).toBeLessThan(KEY_INTERVAL_MS.vnc);
    // ≥ 10× Packer (100 ms after every event) even with a 1 ms QMP round trip per event
    expect(KEY_INTERVAL_MS.qmp + 1).toBeLessThanOrEqual(10);
  });
});

describe('qcodeForKeysym (US layout, QEMU QKeyCode names)', () => {
  it.each([
    ['a', 'a'], ['A', 'a'], ['z', 'z'], ['Z', 'z'], ['0', '0'], ['9', '9'], [' ', 'spc'],
    ['!', '1'], ['@', '2'], ['#', '3'], ['$', '4'], ['%', '5'], ['^', '6'], ['&', '7'], ['*', '8'], ['(', '9'], [')', '0'],
    ['-', 'minus'], ['_', 'minus'], ['=', 'equal'], ['+', 'equal'], ['[', 'bracket_left'], ['{', 'bracket_left'],
    [']', 'bracket_right'], ['}', 'bracket_right'], ['\\', 'backslash'], ['|', 'backslash'], [';', 'semicolon'], [':', 'semicolon'],
    ["'", 'apostrophe'], ['"', 'apostrophe'], [',', 'comma'], ['<', 'comma'], ['.', 'dot'], ['>', 'dot'], ['/', 'slash'], ['?', 'slash'],
    ['`', 'grave_accent'], ['~', 'grave_accent'],
  ])('%j is the %s key', (ch, qcode) => {
    expect(qcodeForKeysym(ch.codePointAt(0)!)).toBe(qcode);
  });

  it.each([
    ['enter', 'ret'], ['bs', 'backspace'], ['del', 'delete'], ['esc', 'esc'], ['tab', 'tab'], ['f1', 'f1'], ['f12', 'f12'],
    ['up', 'up'], ['pageup', 'pgup'], ['pagedown', 'pgdn'], ['insert', 'insert'], ['menu', 'menu'],
    ['leftshift', 'shift'], ['rightshift', 'shift_r'], ['leftctrl', 'ctrl'], ['rightctrl', 'ctrl_r'], ['leftalt', 'alt'], ['rightalt', 'alt_r'],
    ['leftsuper', 'meta_l'], ['rightsuper', 'meta_r'], ['leftoption', 'alt'], ['rightcommand', 'alt_r'],
  ])('<%s> is the %s key', (name, qcode) => {
    expect(qcodeForKeysym(SPECIAL_KEYS.get(name)!)).toBe(qcode);
  });

  it('covers every key the boot-command grammar can produce from US-layout text', () => {
    for (const keysym of SPECIAL_KEYS.values()) expect(qcodeForKeysym(keysym), keysym.toString(16)).toBeDefined();
    for (let cp = 0x20; cp < 0x7f; cp++) expect(qcodeForKeysym(cp), String.fromCharCode(cp)).toBeDefined();
    // a shifted symbol is the same key as its unshifted partner: the typer adds Shift
    for (const ch of SHIFTED_SYMBOLS) expect(qcodeForKeysym(ch.codePointAt(0)!)).not.toMatch(/shift/);
  });

  it('has no key for characters a US keyboard cannot type', () => {
    expect(qcodeForKeysym(0xe9)).toBeUndefined(); // é
    expect(qcodeForKeysym(0x010020ac)).toBeUndefined(); // €
  });
});

describe('textActions / backspaceActions (retyping a line)', () => {
  it('types text literally: a `<enter>` in it is eight characters, not Enter', async () => {
    const keys = new RecordingKeys();
    await run(keys, textActions('A<enter>'), {keyIntervalMs: 0});
    const typed = keys.events.filter((e) => e.down && e.keysym !== SHIFT_L).map((e) => String.fromCodePoint(e.keysym));
    expect(typed.join('')).toBe('A<enter>');
    expect(keys.events.filter((e) => e.keysym === ENTER)).toEqual([]);
  });

  it('presses the same keys as the boot-command parser for plain text', () => {
    const text = 'tiny url=http://10.0.2.2:8123/X_y~';
    const strip = (a: BootAction) => (a.kind === 'press' ? [a.keysym, a.shift] : a.kind);
    expect(textActions(text).map(strip)).toEqual(parseBootCommand(text).map(strip));
  });

  it('presses BackSpace n times', async () => {
    const keys = new RecordingKeys();
    await run(keys, backspaceActions(3), {keyIntervalMs: 0});
    expect(keys.seq).toEqual([['down', 0xff08], ['up', 0xff08], ['down', 0xff08], ['up', 0xff08], ['down', 0xff08], ['up', 0xff08]]);
    expect(backspaceActions(0)).toEqual([]);
  });
});

describe('QmpKeySender', () => {
  class FakeQmp {
    calls: {command: string; args?: object}[] = [];
    fail?: Error;
    execute<T>(command: string, args?: object): Promise<T> {
      this.calls.push({command, args});
      return this.fail ? Promise.reject(this.fail) : Promise.resolve({} as T);
    }
  }
  const qk = (qcode: string, down: boolean) => ({command: 'input-send-event', args: {events: [{type: 'key', data: {down, key: {type: 'qcode', data: qcode}}}]}});

  it('types a shifted character as four acknowledged input-send-event commands, paced by the typer', async () => {
    const qmp = new FakeQmp();
    const t0 = Date.now();
    const p = typeBootCommand(new QmpKeySender(qmp), [press('!', true), key(ENTER)], {keyIntervalMs: 5});
    await vi.runAllTimersAsync();
    await p;
    expect(qmp.calls).toEqual([qk('shift', true), qk('1', true), qk('1', false), qk('shift', false), qk('ret', true), qk('ret', false)]);
    expect(Date.now() - t0).toBe(30);
  });

  it('refuses a keysym with no US-layout key before sending anything', () => {
    const qmp = new FakeQmp();
    expect(() => new QmpKeySender(qmp).keyEvent(0xe9, true)).toThrow(RangeError);
    expect(qmp.calls).toEqual([]);
  });

  it('waits out a VM stopped for a moment (vmbench reading VGA registers) and sends the key then', async () => {
    const qmp = new FakeQmp();
    qmp.fail = new Error('VM not running');
    setTimeout(() => (qmp.fail = undefined), 50);
    const p = typeBootCommand(new QmpKeySender(qmp), [press('a')], {keyIntervalMs: 5});
    await vi.runAllTimersAsync();
    await p;
    expect(qmp.calls.length).toBeGreaterThan(3);
    expect(qmp.calls.at(-1)).toEqual(qk('a', false));
  });

  it('passes other QEMU errors on at once', async () => {
    const qmp = new FakeQmp();
    qmp.fail = new Error("Invalid parameter 'key'");
    const p = typeBootCommand(new QmpKeySender(qmp), [press('a')], {keyIntervalMs: 5});
    const done = expect(p).rejects.toThrow('Invalid parameter');
    await vi.runAllTimersAsync();
    await done;
    expect(qmp.calls.filter((c) => c.command === 'input-send-event').length).toBeLessThanOrEqual(2);
  });

  it("passes QEMU's error on, so the typer rejects with it", async () => {
    const qmp = new FakeQmp();
    qmp.fail = new Error('VM not running');
    const p = typeBootCommand(new QmpKeySender(qmp), [press('a')], {keyIntervalMs: 5});
    const done = expect(p).rejects.toThrow('VM not running');
    await vi.runAllTimersAsync();
    await done;
  });
});

