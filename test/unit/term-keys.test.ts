import {describe, expect, it, vi} from 'vitest';
import {Keysym} from '../../src/vnc/keysyms.js';
import {keyEventsFor, TermKeyParser, type KeyStroke} from '../../src/vnc/term-keys.js';

function parse(input: string | Buffer[], final = true): {keys: Array<[number, string]>; leaves: number} {
  vi.useFakeTimers();
  const keys: KeyStroke[] = [];
  let leaves = 0;
  const p = new TermKeyParser((k) => keys.push(k), () => leaves++);
  for (const chunk of typeof input === 'string' ? [input] : input) p.push(chunk);
  if (final) vi.advanceTimersByTime(100);
  vi.useRealTimers();
  const m = (k: KeyStroke): string => `${k.mods.ctrl ? 'C' : ''}${k.mods.alt ? 'A' : ''}${k.mods.shift ? 'S' : ''}`;
  return {keys: keys.map((k) => [k.keysym, m(k)]), leaves};
}

describe('TermKeyParser', () => {
  it.each([
    ['a', [[0x61, '']]],
    ['A', [[0x41, 'S']]],
    ['!', [[0x21, 'S']]],
    ['\r', [[Keysym.Return, '']]],
    ['\x7f', [[Keysym.BackSpace, '']]],
    ['\t', [[Keysym.Tab, '']]],
    ['\x03', [[0x63, 'C']]],
    ['\x00', [[0x20, 'C']]],
    ['\x1b[A\x1b[B\x1b[C\x1b[D', [[Keysym.Up, ''], [Keysym.Down, ''], [Keysym.Right, ''], [Keysym.Left, '']]],
    ['\x1bOA\x1bOP\x1bOS', [[Keysym.Up, ''], [Keysym.F1, ''], [Keysym.F4, '']]],
    ['\x1b[2~\x1b[3~\x1b[5~\x1b[6~\x1b[1~\x1b[4~', [[Keysym.Insert, ''], [Keysym.Delete, ''], [Keysym.Prior, ''], [Keysym.Next, ''], [Keysym.Home, ''], [Keysym.End, '']]],
    ['\x1b[15~\x1b[17~\x1b[21~\x1b[23~\x1b[24~', [[Keysym.F5, ''], [Keysym.F6, ''], [Keysym.F10, ''], [Keysym.F11, ''], [Keysym.F12, '']]],
    ['\x1b[[A\x1b[[E', [[Keysym.F1, ''], [Keysym.F5, '']]],
    ['\x1b[1;5C', [[Keysym.Right, 'C']]],
    ['\x1b[1;3A', [[Keysym.Up, 'A']]],
    ['\x1b[3;2~', [[Keysym.Delete, 'S']]],
    ['\x1b[Z', [[Keysym.Tab, 'S']]],
    ['\x1bx', [[0x78, 'A']]],
    ['\x1b\x7f', [[Keysym.BackSpace, 'A']]],
    ['é', [[0xe9, '']]],
    ['\x1b', [[Keysym.Escape, '']]],
    ['\x1b[99;9X', []],
  ] as Array<[string, Array<[number, string]>]>)('%j', (input, expected) => {
    expect(parse(input).keys).toEqual(expected);
  });

  it('waits for the rest of a sequence split across reads', () => {
    expect(parse([Buffer.from('\x1b'), Buffer.from('[1'), Buffer.from(';5D')]).keys).toEqual([[Keysym.Left, 'C']]);
    expect(parse([Buffer.from([0xc3]), Buffer.from([0xa9])]).keys).toEqual([[0xe9, '']]);
  });

  it('treats Ctrl-] as leave, not a key', () => {
    expect(parse('ab\x1dc')).toEqual({keys: [[0x61, ''], [0x62, ''], [0x63, '']], leaves: 1});
  });
});

describe('keyEventsFor', () => {
  it('wraps modifiers around the key, releasing them in reverse', () => {
    expect(keyEventsFor({keysym: 0x63, mods: {ctrl: true, alt: true, shift: false}, raw: ''})).toEqual([
      [Keysym.Control_L, true],
      [Keysym.Alt_L, true],
      [0x63, true],
      [0x63, false],
      [Keysym.Alt_L, false],
      [Keysym.Control_L, false],
    ]);
  });
});
