import {describe, expect, it} from 'vitest';
import {
  BootCommandError,
  locateInParts,
  parseBootCommand,
  type BootAction,
} from '../../src/vnc/boot-command.js';
import {Keysym, keysymForChar, keysymName} from '../../src/vnc/keysyms.js';

/** Parse and expect exactly one action. */
const one = (src: string): BootAction => {
  const actions = parseBootCommand(src);
  expect(actions).toHaveLength(1);
  return actions[0]!;
};

/** The BootCommandError a source throws (fails the test if it does not throw one). */
const errorOf = (src: string): BootCommandError => {
  try {
    parseBootCommand(src);
  } catch (err) {
    expect(err).toBeInstanceOf(BootCommandError);
    return err as BootCommandError;
  }
  throw new Error(`expected ${JSON.stringify(src)} to be rejected`);
};

// Every special key Packer knows, with the keysym its vnc_driver.go sends.
const SPECIALS: [name: string, keysym: number][] = [
  ['bs', 0xff08],
  ['del', 0xffff],
  ['enter', 0xff0d],
  ['return', 0xff0d],
  ['esc', 0xff1b],
  ['tab', 0xff09],
  ['f1', 0xffbe],
  ['f2', 0xffbf],
  ['f3', 0xffc0],
  ['f4', 0xffc1],
  ['f5', 0xffc2],
  ['f6', 0xffc3],
  ['f7', 0xffc4],
  ['f8', 0xffc5],
  ['f9', 0xffc6],
  ['f10', 0xffc7],
  ['f11', 0xffc8],
  ['f12', 0xffc9],
  ['up', 0xff52],
  ['down', 0xff54],
  ['left', 0xff51],
  ['right', 0xff53],
  ['spacebar', 0x20],
  ['insert', 0xff63],
  ['home', 0xff50],
  ['end', 0xff57],
  ['pageUp', 0xff55],
  ['pageDown', 0xff56],
  ['menu', 0xff67],
  ['leftAlt', 0xffe9],
  ['rightAlt', 0xffea],
  ['leftCtrl', 0xffe3],
  ['rightCtrl', 0xffe4],
  ['leftShift', 0xffe1],
  ['rightShift', 0xffe2],
  ['leftSuper', 0xffeb],
  ['rightSuper', 0xffec],
  // Packer's values: Command → Alt_L/Alt_R, Option → Meta_L/Meta_R.
  ['leftCommand', 0xffe9],
  ['rightCommand', 0xffea],
  ['leftOption', 0xffe7],
  ['rightOption', 0xffe8],
];

describe('special keys', () => {
  it.each(SPECIALS)('<%s> presses keysym %i', (name, keysym) => {
    const text = `<${name}>`;
    expect(one(text)).toEqual({kind: 'press', keysym, shift: false, text, offset: 0});
  });

  it.each(SPECIALS)('<%sOn> holds and <%sOff> releases', (name, keysym) => {
    expect(parseBootCommand(`x<${name}On><${name}Off>`)).toEqual([
      {kind: 'press', keysym: 0x78, shift: false, text: 'x', offset: 0},
      {kind: 'down', keysym, text: `<${name}On>`, offset: 1},
      {kind: 'up', keysym, text: `<${name}Off>`, offset: 1 + name.length + 4},
    ]);
  });

  it.each(['<ENTER>', '<Enter>', '<eNtEr>', '<RETURN>'])('%s is case-insensitive', (text) => {
    expect(one(text)).toMatchObject({kind: 'press', keysym: Keysym.Return});
  });

  it.each([
    ['<LEFTCTRLON>', 'down', Keysym.Control_L],
    ['<leftctrlon>', 'down', Keysym.Control_L],
    ['<PageDownOFF>', 'up', Keysym.Next],
    ['<leftOptionOn>', 'down', Keysym.Meta_L],
    ['<leftOn>', 'down', Keysym.Left],
    ['<f10Off>', 'up', Keysym.F10],
    ['<f1on>', 'down', Keysym.F1],
  ])('%s → %s', (text, kind, keysym) => {
    expect(one(text)).toEqual({kind, keysym, text, offset: 0});
  });

  it('types ctrl+c as hold ctrl, tap c, release ctrl', () => {
    expect(parseBootCommand('<leftCtrlOn>c<leftCtrlOff>')).toEqual([
      {kind: 'down', keysym: Keysym.Control_L, text: '<leftCtrlOn>', offset: 0},
      {kind: 'press', keysym: 0x63, shift: false, text: 'c', offset: 12},
      {kind: 'up', keysym: Keysym.Control_L, text: '<leftCtrlOff>', offset: 13},
    ]);
  });
});

describe('character toggles (<cOn>/<cOff>)', () => {
  it('holds and releases a plain character', () => {
    expect(parseBootCommand('<cOn><cOff>')).toEqual([
      {kind: 'down', keysym: 0x63, text: '<cOn>', offset: 0},
      {kind: 'up', keysym: 0x63, text: '<cOff>', offset: 5},
    ]);
  });

  it('wraps a shifted character in Shift_L, shift first down and last up (as Packer)', () => {
    expect(parseBootCommand('<AOn><AOFF>').map((a) => [a.kind, 'keysym' in a ? a.keysym : 0])).toEqual([
      ['down', Keysym.Shift_L],
      ['down', 0x41],
      ['up', 0x41],
      ['up', Keysym.Shift_L],
    ]);
  });

  it('accepts any single character, including <', () => {
    expect(parseBootCommand('<<on>')).toEqual([
      {kind: 'down', keysym: Keysym.Shift_L, text: '<<on>', offset: 0},
      {kind: 'down', keysym: 0x3c, text: '<<on>', offset: 0},
    ]);
  });
});

describe('waits', () => {
  it.each([
    ['<wait>', 1000],
    ['<wait1>', 1000],
    ['<wait5>', 5000],
    ['<wait10>', 10_000],
    ['<wait300ms>', 300],
    ['<wait1m20s>', 80_000],
    ['<wait1.5s>', 1500],
    ['<wait2h>', 7_200_000],
    ['<wait1h2m3s>', 3_723_000],
    ['<wait1500us>', 2],
    ['<wait1500µs>', 2],
    ['<wait10us>', 1], // positive in Packer, so never rounded down to a no-op
    ['<wait5000000ns>', 5],
  ])('%s waits %i ms', (text, ms) => {
    expect(one(text)).toEqual({kind: 'wait', ms, text, offset: 0});
  });

  it.each([
    ['<wait0>', 'longer than zero'],
    ['<wait0s>', 'longer than zero'],
    ['<wait-1s>', 'longer than zero'],
    ['<wait05>', 'expected <wait>'], // Packer's Integer has no leading zeros: it would type it
    ['<wait1.5>', 'expected <wait>'],
    ['<wait5sec>', 'expected <wait>'],
    ['<wait1s-1ms>', 'unknown unit "s-"'], // Go reads every non-digit as the unit
    ['<WAIT>', 'lower-case'],
    ['<Wait5>', 'lower-case'],
  ])('%s is rejected (%s)', (text, why) => {
    const err = errorOf(`ab${text}`);
    expect(err.message).toContain(why);
    expect([err.offset, err.length, err.token]).toEqual([2, text.length, text]);
  });
});

describe('literal text', () => {
  it('types lower-case, upper-case and shifted symbols with the right keysym and shift', () => {
    expect(parseBootCommand('aZ1!~ ').map((a) => (a.kind === 'press' ? [a.keysym, a.shift, a.offset] : a)))
      .toEqual([
        [0x61, false, 0],
        [0x5a, true, 1],
        [0x31, false, 2],
        [0x21, true, 3],
        [0x7e, true, 4],
        [0x20, false, 5],
      ]);
  });

  it.each([
    ['<', ['<']],
    ['a < b', ['a', ' ', '<', ' ', 'b']],
    ['< enter>', ['<', ' ', 'e', 'n', 't', 'e', 'r', '>']],
    ['<1>', ['<', '1', '>']],
    ['<1abc>', ['<', '1', 'a', 'b', 'c', '>']],
    ['<>', ['<', '>']],
    ['<<enter>', ['<', '<enter>']],
    ['<wait 5>', ['<', 'w', 'a', 'i', 't', ' ', '5', '>']],
    ['<enter', ['<', 'e', 'n', 't', 'e', 'r']],
    ['x>', ['x', '>']],
  ])('%j keeps a < that starts no token literal', (src, texts) => {
    expect(parseBootCommand(src).map((a) => a.text)).toEqual(texts);
  });

  it('sends < and > with shift, like Packer', () => {
    expect(parseBootCommand('<>').map((a) => (a.kind === 'press' ? [a.keysym, a.shift] : a))).toEqual([
      [0x3c, true],
      [0x3e, true],
    ]);
  });

  it('drops tab, newline and carriage return (QEMU drops the raw keysyms Packer sends)', () => {
    const actions = parseBootCommand('a\tb\r\nc<enter>\n');
    expect(actions.map((a) => [a.text, a.offset])).toEqual([
      ['a', 0],
      ['b', 2],
      ['c', 5],
      ['<enter>', 6],
    ]);
  });

  it('keeps offsets in UTF-16 units across astral characters', () => {
    const actions = parseBootCommand('é😀x');
    expect(actions.map((a) => (a.kind === 'press' ? [a.text, a.keysym, a.offset] : a))).toEqual([
      ['é', 0xe9, 0],
      ['😀', 0x0101f600, 1],
      ['x', 0x78, 3],
    ]);
  });

  it('parses an empty command to nothing', () => {
    expect(parseBootCommand('')).toEqual([]);
  });
});

describe('unknown tokens', () => {
  it.each([
    ['<enterr>', 'enter'],
    ['<lefctrlOn>', 'leftctrlon'],
    ['<pgup>', undefined],
    ['<foo>', undefined],
    ['<f13>', 'f1'],
    ['<cOnn>', undefined],
  ])('%s is an error with its position', (token, hint) => {
    const src = `linux ${token} quiet`;
    const err = errorOf(src);
    expect(err.offset).toBe(6);
    expect(err.length).toBe(token.length);
    expect(err.token).toBe(token);
    expect(err.message).toContain(`unknown key ${token} at offset 6`);
    if (hint) expect(err.message).toContain(`did you mean <${hint}>?`);
    else expect(err.message).not.toContain('did you mean');
  });

  it('reports the first error only', () => {
    expect(errorOf('<enter><bad1><bad2>').token).toBe('<bad1>');
  });
});

describe('keysymForChar', () => {
  it.each([
    ['a', 0x61, false],
    ['A', 0x41, true],
    ['0', 0x30, false],
    [' ', 0x20, false],
    ['-', 0x2d, false],
    ['_', 0x5f, true],
    ['"', 0x22, true],
    ["'", 0x27, false],
    ['|', 0x7c, true],
    ['\\', 0x5c, false],
    ['É', 0xc9, true],
    ['ß', 0xdf, false],
    ['€', 0x010020ac, false],
    ['\n', Keysym.Return, false],
    ['\t', Keysym.Tab, false],
    ['\x1b', Keysym.Escape, false],
  ])('%j → %i shift=%s', (ch, keysym, shift) => {
    expect(keysymForChar(ch)).toEqual({keysym, shift});
  });

  it.each([...'~!@#$%^&*()_+{}|:"<>?'])('%s needs shift', (ch) => {
    expect(keysymForChar(ch).shift).toBe(true);
  });

  it.each(['', 'ab', '\x01', '\x85'])('%j is rejected', (ch) => {
    expect(() => keysymForChar(ch)).toThrow(RangeError);
  });

  it('names keysyms for logs', () => {
    expect([Keysym.Return, 0x61, 0x20, 0x010020ac, 0x1234].map(keysymName)).toEqual([
      'Return',
      "'a'",
      "' '",
      'U+20AC',
      '0x1234',
    ]);
  });
});

describe('locateInParts', () => {
  const parts = ['<esc>', '', 'linux ', 'quiet<enter>'];
  it.each([
    [0, 0, 1],
    [4, 0, 5],
    [5, 2, 1],
    [10, 2, 6],
    [11, 3, 1],
    [16, 3, 6],
    [23, 3, 13], // the end: just past the last element
  ])('offset %i → boot_command[%i] col %i', (offset, index, column) => {
    expect(locateInParts(parts, offset)).toEqual({index, column});
  });

  it('locates a parse error in the element that holds it', () => {
    const cmd = ['<esc><wait>', 'install ', 'auto <enterr>'];
    const err = errorOf(cmd.join(''));
    expect(locateInParts(cmd, err.offset)).toEqual({index: 2, column: 6});
  });

  it.each([-1, 24, 1.5])('rejects offset %d', (offset) => {
    expect(() => locateInParts(parts, offset)).toThrow(RangeError);
  });
});

describe('a real Packer boot command (seed 003: Debian 9 preseed)', () => {
  const bootCommand = [
    '<esc><wait>',
    'install <wait>',
    'preseed/url=http://{{ .HTTPIP }}:{{ .HTTPPort }}/preseed.cfg <wait>',
    'debian-installer=en_US <wait>',
    'locale=en_US <wait>',
    'auto <wait>',
    'kbd-chooser/method=us <wait>',
    'keyboard-configuration/xkb-keymap=fr <wait>',
    'netcfg/get_hostname={{ .Name }} <wait>',
    'netcfg/get_domain=b0rk.in <wait>',
    'fb=false <wait>',
    'debconf/frontend=noninteractive <wait>',
    'console-setup/ask_detect=false <wait>',
    'console-keymaps-at/keymap=fr <wait>',
    '<enter><wait>',
  ];
  const actions = parseBootCommand(bootCommand.join(''));
  const presses = actions.filter((a) => a.kind === 'press');

  it('parses to 330 key presses (328 characters + <esc> + <enter>) and 15 one-second waits', () => {
    expect(presses).toHaveLength(330);
    const waits = actions.filter((a) => a.kind === 'wait');
    expect(waits).toHaveLength(15);
    expect(waits.every((w) => w.ms === 1000)).toBe(true);
    expect(actions).toHaveLength(345);
  });

  it('starts with Escape, ends with Return, and shifts 35 characters ({ } _ : and capitals)', () => {
    expect(presses[0]).toMatchObject({keysym: Keysym.Escape, text: '<esc>'});
    expect(presses.at(-1)).toMatchObject({keysym: Keysym.Return, text: '<enter>'});
    expect(presses.filter((p) => p.kind === 'press' && p.shift)).toHaveLength(35);
  });
});

describe('vmbench screen waits (extension)', () => {
  it.each([
    ['<waitFor "boot:">', {kind: 'waitText', pattern: 'boot:', timeoutMs: 300_000}],
    ['<waitfor "Press [Enter]" 30s>', {kind: 'waitText', pattern: 'Press [Enter]', timeoutMs: 30_000}],
    ['<waitFor "a \\"quoted\\" word" 90>', {kind: 'waitText', pattern: 'a "quoted" word', timeoutMs: 90_000}],
    ['<waitStable>', {kind: 'waitStable', quietMs: 1000, timeoutMs: 300_000}],
    ['<waitStable 2s>', {kind: 'waitStable', quietMs: 2000, timeoutMs: 300_000}],
    ['<WAITSTABLE 500ms 1m>', {kind: 'waitStable', quietMs: 500, timeoutMs: 60_000}],
  ])('%s', (src, expected) => {
    const [a, ...rest] = parseBootCommand(src);
    expect(rest).toEqual([]);
    expect(a).toMatchObject({...expected, text: src, offset: 0});
  });

  it('mixes with keys and keeps offsets', () => {
    const actions = parseBootCommand('<esc><waitFor "boot:">linux<enter>');
    expect(actions.map((a) => a.kind)).toEqual(['press', 'waitText', 'press', 'press', 'press', 'press', 'press', 'press']);
    expect(actions[1]!.offset).toBe(5);
    expect(actions[2]!.offset).toBe(22);
  });

  it.each([
    ['<waitFor "">', /empty text/],
    ['<waitFor boot:>', /write <waitFor "text">/],
    ['<waitFor "x" soon>', /bad timeout "soon"/],
    ['<waitStable 0s>', /bad quiet time "0s"/],
    ['<waitStabel>', /bad wait <waitStabel>/],
  ])('rejects %s with its position', (src, message) => {
    expect(() => parseBootCommand(`ab${src}`)).toThrow(message);
    try {
      parseBootCommand(`ab${src}`);
    } catch (err) {
      expect((err as BootCommandError).offset).toBe(2);
    }
  });
});
