/**
 * The pure read-back logic: which text each <enter> expects, where the echo is on a real
 * isolinux screen (its odd wrapping included), what arrived, how much to erase, and the screens
 * that say keys went nowhere. Screens come from the real-installer fixture and from real runs
 * of the tiny ISO (copied below as text).
 */
import {readFileSync} from 'node:fs';
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import {parseBootCommand, type KeyAction} from '../../src/vnc/boot-command.js';
import {
  bootloaderFailure,
  bootloaderFailureCount,
  compareEcho,
  describeMismatch,
  echoLines,
  sameScreen,
  screenSummary,
  type EchoScreen,
} from '../../src/engine/typed-readback.js';

const FIXTURES = path.resolve('test/fixtures/installer-screens');
const keys = (src: string) => parseBootCommand(src) as KeyAction[];

/** An 80x25 text screen from rows (missing rows blank). */
function screen(rows: string[], cursor?: {row: number; col: number}, exact = true): EchoScreen {
  const lines = Array.from({length: 25}, (_, i) => rows[i] ?? '');
  return {lines, cols: 80, cursor, exact};
}

/** The real Debian installer's boot: prompt after a long typed line (isolinux wraps it oddly). */
const typedFixture = readFileSync(path.join(FIXTURES, 'isolinux-boot-typed-720x400.txt'), 'utf8').split('\n');
const TYPED = 'install auto=true priority=critical url=http://10.0.2.2:8088/preseed.cfg mirror/http/directory=/debian';

/** The tiny ISO's screen at boot:, as read from VGA memory in a real run. */
const TINY_HEAD = [
  'SeaBIOS (version 1.16.2-debian-1.16.2-1)',
  '',
  '',
  'iPXE (http://ipxe.org) 00:03.0 CA00 PCI2.10 PnP PMM+0EFCF250+0EF0F250 CA00',
  '',
  '',
  '',
  'Booting from DVD/CD...',
  '',
  'ISOLINUX 6.04 20200816 ETCD Copyright (C) 1994-2015 H. Peter Anvin et al',
  'vmbench tiny ISO - type: tiny url=http://HOST:PORT/tiny.cfg',
];
const TINY = 'tiny url=http://10.0.2.2:8123/tiny.cfg';
const tiny = (typed: string) => screen([...TINY_HEAD, `boot: ${typed}`], {row: 11, col: 6 + typed.length});

describe('echoLines', () => {
  const cases: [src: string, expected: [string, number][]][] = [
    ['tiny url=http://x/<enter>', [['tiny url=http://x/', 18]]],
    // <esc>, <tab>, arrows, F-keys reset the line; waits do not.
    ['<esc><wait>install a=1<wait5> b=2<enter>', [['install a=1 b=2', 15]]],
    ['menu<tab> extra<enter>', [[' extra', 6]]],
    ['ab<down>cd<f2>ef<enter>', [['ef', 2]]],
    // <bs> removes one character but the typed count keeps it (the cap on backspaces).
    ['abc<bs><bs>d<enter>', [['ad', 4]]],
    ['<bs>x<enter>', [['x', 1]]],
    ['a<spacebar>b<enter>', [['a b', 3]]],
    // Modifiers held reset: what follows is not known to be plain text on one line.
    ['ab<leftCtrlOn>c<leftCtrlOff>de<enter>', [['de', 2]]],
    ['<enter>root<enter><wait>ls -l<return>', [['', 0], ['root', 4], ['ls -l', 5]]],
    ['no enter', []],
  ];
  it.each(cases)('%j', (src, expected) => {
    expect(echoLines(keys(src)).map((l) => [l.expected, l.typedKeys])).toEqual(expected);
  });

  it('points at the <enter> and the first action after the reset point', () => {
    const acts = keys('<esc>ab<enter>');
    expect(echoLines(acts)).toEqual([{enter: 3, start: 1, expected: 'ab', typedKeys: 2}]);
  });
});

describe('compareEcho', () => {
  it('finds the real installer line across isolinux’s odd wrap (row 0 full, 6 chars on row 1)', () => {
    expect(typedFixture[0]).toHaveLength(80);
    expect(typedFixture[1]).toBe('irror/');
    const s = screen(typedFixture, {row: 2, col: typedFixture[2]!.length});
    expect(compareEcho(s, TYPED, {maxErase: TYPED.length})).toEqual({kind: 'match', shown: TYPED});
    // Without a cursor the last non-blank row ends it.
    expect(compareEcho({...s, cursor: undefined}, TYPED, {maxErase: 200}).kind).toBe('match');
  });

  it('sees two keys lost in the real installer line and erases only what arrived', () => {
    const lost = typedFixture.map((l, i) => (i === 0 ? l.replace('10.0.2.2', '10.0.2') : l));
    const v = compareEcho(screen(lost, {row: 2, col: lost[2]!.length}), TYPED, {maxErase: TYPED.length});
    const shown = TYPED.replace('10.0.2.2', '10.0.2');
    expect(v).toMatchObject({kind: 'mismatch', edits: 2, before: 'boot: ', shown});
    // What arrived right before the loss stays; the rest is erased and typed again.
    const {keep, erase} = v as {keep: number; erase: number};
    expect(TYPED.slice(0, keep)).toBe('install auto=true priority=critical url=http://10.0');
    expect(erase).toBe(shown.length - keep);
  });

  const tinyCases: [what: string, typed: string, verdict: Record<string, unknown>][] = [
    ['whole', TINY, {kind: 'match', shown: TINY}],
    ['two keys lost (seen under load)', TINY.replace('10.0.2.2', '10.0.2'), {kind: 'mismatch', shown: 'tiny url=http://10.0.2:8123/tiny.cfg', keep: 20, erase: 16, before: 'boot: '}],
    ['a key doubled', TINY.replace('tiny.', 'tinyy.'), {kind: 'mismatch', keep: TINY.length - 5, erase: 6}],
    ['a stuck Shift', TINY.replace('url', 'URL'), {kind: 'mismatch', edits: 6, keep: 5, erase: TINY.length - 5}],
    // Typed while isolinux was loading (a real run with boot_wait 0): the first word never arrived.
    ['the first word lost', ' url=http://10.0.2.2:8123/tiny.cfg', {kind: 'mismatch', shown: ' url=http://10.0.2.2:8123/tiny.cfg', keep: 0, erase: 34, before: 'boot: '}],
    // Garbled beyond recognition, but right after isolinux's prompt: still the typed line.
    ['only the tail arrived', 'cfg', {kind: 'mismatch', shown: 'cfg', keep: 0, erase: 3, before: 'boot: '}],
    // (The prompt's trailing space is trimmed: nothing follows it on the row.)
    ['nothing arrived at the prompt', '', {kind: 'mismatch', shown: '', keep: 0, erase: 0, before: 'boot:'}],
  ];
  it.each(tinyCases)('tiny boot: prompt, %s', (_what, typed, verdict) => {
    expect(compareEcho(tiny(typed), TINY, {maxErase: TINY.length + 5})).toMatchObject(verdict);
  });

  it('never erases more than was typed since the reset point', () => {
    // isolinux after <tab>: the label's append line is on the prompt line before what we typed.
    const s = screen(['boot: tiny console=ttyS0 quiet x=11'], {row: 0, col: 35});
    expect(compareEcho(s, ' x=1', {maxErase: 4})).toMatchObject({kind: 'mismatch', keep: 3, erase: 2});
    const lost = screen(['boot: tiny console=ttyS0 x1'], {row: 0, col: 27});
    expect(compareEcho(lost, ' x=1', {maxErase: 4})).toMatchObject({kind: 'mismatch', keep: 2, erase: 1});
    // Too garbled to place by likeness: it counts from the prompt, and only 2 keys were typed.
    expect(compareEcho(screen(['boot: tiny console=ttyS0 y=2'], {row: 0, col: 28}), ' x=1', {maxErase: 2})).toMatchObject({kind: 'mismatch', keep: 0, erase: 2});
  });

  it('matches a typed space that fell at a row end or before the cursor (trimmed away)', () => {
    const first = `boot: ${'a'.repeat(73)}`; // 79 chars + the typed space in column 79, trimmed
    const s = screen([first, 'b c'], {row: 1, col: 4});
    expect(compareEcho(s, `${'a'.repeat(73)} b c `, {maxErase: 99}).kind).toBe('match');
    // A space lost inside the line is still seen.
    expect(compareEcho(screen([`boot: ${'a'.repeat(73)}b c`], {row: 0, col: 82}), `${'a'.repeat(73)} b c`, {maxErase: 99}).kind).toBe('mismatch');
  });

  it('counts a space hidden by a row break when erasing past it', () => {
    // "Z" was lost; the typed space after it fell at the row end (column 78, trimmed away).
    const s = screen([`boot: ${'a'.repeat(72)}`, 'bc'], {row: 1, col: 2});
    const expected = `${'a'.repeat(72)}Z bc`;
    expect(compareEcho(s, expected, {maxErase: 99})).toMatchObject({kind: 'mismatch', keep: 72, erase: 3});
  });

  it('finds the line redrawn lower down after backspaces (real isolinux screen)', () => {
    const b = 'boot: tiny url=http://10.0.2.2:8123/tiny.cfg aaaaaaaaaaaaaaaaaaaaaaaaaaa bbbbbbb';
    const rows = [...TINY_HEAD, b, 'bbbbbb', b, 'b', b, 'b', b, 'b', 'bbbbbbbbbbbbbbbbbbbbbb cccccccccccccccccccccccccccccc d'];
    const typed = 'tiny url=http://10.0.2.2:8123/tiny.cfg aaaaaaaaaaaaaaaaaaaaaaaaaaa bbbbbbbbbbbbbbbbbbbbbbbbbbbbbb cccccccccccccccccccccccccccccc d';
    expect(compareEcho(screen(rows, {row: 19, col: 56}), typed, {maxErase: 200})).toMatchObject({kind: 'match'});
  });

  it('checks the prompt before a retyped line, so leftovers of an erase do not pass', () => {
    const opts = {maxErase: 99, before: 'boot: '};
    expect(compareEcho(tiny(TINY), TINY, opts)).toMatchObject({kind: 'match'});
    // One stray character was left between the prompt and the retyped line.
    expect(compareEcho(tiny(`x${TINY}`), TINY, opts)).toMatchObject({kind: 'mismatch', shown: `x${TINY}`, erase: TINY.length + 1});
    // The prompt's trailing space may be trimmed away on the first read.
    expect(compareEcho(tiny(TINY), TINY, {maxErase: 99, before: 'boot:'})).toMatchObject({kind: 'match'});
    // Without the prompt check the same screen would pass.
    expect(compareEcho(tiny(`x${TINY}`), TINY, {maxErase: 99}).kind).toBe('match');
  });

  const absent: [what: string, s: EchoScreen, typed: string][] = [
    ['a blank screen', screen([], {row: 0, col: 0}), 'abc'],
    ['a password prompt (no echo)', screen(['tiny login: root', 'Password:'], {row: 1, col: 10}), 'secret123'],
    ['unrelated text at the cursor', screen(['Welcome to the installer', 'Choose a language:'], {row: 1, col: 18}), 'install auto=true'],
    ['no cursor and not a match', screen(['boot: tiny url=http://10.0.2:8123/tiny.cfg']), TINY],
    ['a short line that differs, after no prompt', screen(['x: ab'], {row: 0, col: 5}, true), 'cd'],
    ['nothing typed', tiny(''), ''],
    [
      'the real graphical menu read as glyphs (mostly unrecognised)',
      {lines: readFileSync(path.join(FIXTURES, 'isolinux-menu-640x480.txt'), 'utf8').split('\n'), cols: 80, exact: false},
      'install auto=true priority=critical',
    ],
  ];
  it.each(absent)('absent: %s', (_what, s, typed) => {
    expect(compareEcho(s, typed, {maxErase: 99}).kind).toBe('absent');
  });

  it('takes an unrecognised glyph for any character, a few of them only', () => {
    const s = screen([`boot: ${TINY.replace('u', '\uFFFD')}`], {row: 0, col: 6 + TINY.length}, false);
    expect(compareEcho(s, TINY, {maxErase: 99}).kind).toBe('match');
  });
});

describe('describeMismatch', () => {
  const cases: [expected: string, shown: string, text: string][] = [
    ['tiny url=http://10.0.2.2:8123/x', 'tiny url=http://10.0.2:8123/x', 'typed "url=http://10.0.2.2:8123/x" but the screen shows "url=http://10.0.2:8123/x"'],
    ['a b c d', 'a b C d', 'typed "c" but the screen shows "C"'],
    ['tiny url=x', ' url=x', 'typed "tiny url=x" but the screen shows " url=x"'],
    ['abc', '', 'typed "abc" but the screen shows ""'],
  ];
  it.each(cases)('%j vs %j', (expected, shown, text) => expect(describeMismatch(expected, shown)).toBe(text));

  it('cuts a very long difference in the middle', () => {
    const text = describeMismatch('x'.repeat(500), 'y'.repeat(500));
    expect(text.length).toBeLessThan(300);
    expect(text).toContain('…');
  });
});

describe('bootloader failures and unchanged screens', () => {
  it('reads isolinux’s failure (real screen) and counts it', () => {
    const lines = [...TINY_HEAD, 'boot:  url=http://10.0.2.2:8123/tiny.cfg', 'Loading ... failed: No such file or directory', 'boot:'];
    expect(bootloaderFailure(lines)).toEqual({file: '', line: 'Loading ... failed: No such file or directory'});
    const x = [...TINY_HEAD, 'boot: x', 'Loading x... failed: No such file or directory', 'boot:'];
    expect(bootloaderFailure(x)?.file).toBe('x');
    expect(bootloaderFailureCount([...x, 'Loading y... failed: No such file or directory'])).toBe(2);
  });

  it.each([
    ['Could not find kernel image: linux', 'linux'],
    ["error: file '/boot/vmlinuz-x' not found.", '/boot/vmlinuz-x'],
  ])('other bootloaders: %s', (line, file) => expect(bootloaderFailure(['', line])?.file).toBe(file));

  it('finds none on a healthy screen', () => {
    expect(bootloaderFailure(tiny(TINY).lines)).toBeUndefined();
  });

  it('compares exact screens with their cursor, recognised ones by text only', () => {
    const a = tiny('');
    expect(sameScreen(a, tiny(''))).toBe(true);
    expect(sameScreen(a, {...a, cursor: {row: 11, col: 7}})).toBe(false); // a typed space moved it
    expect(sameScreen({...a, exact: false}, {...a, exact: false, cursor: undefined})).toBe(true); // a blinking cursor
    expect(sameScreen(a, tiny('x'))).toBe(false);
  });

  it('summarises the last rows', () => {
    expect(screenSummary(['a', '', 'b ', 'c'], 2)).toBe('b | c');
    expect(screenSummary(['', ''])).toBe('(blank)');
  });
});
