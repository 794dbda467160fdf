/**
 * NO_COLOR: no colour anywhere, attributes (bold, dim, inverse) kept so selections still show.
 * The SGR filter ink's output goes through, the styling of Line rows, the workbench's stdout
 * proxy and the stream wrapper the setup screen renders to; Packer's -color=false sets it.
 */
import {PassThrough} from 'node:stream';
import {afterEach, describe, expect, it, vi} from 'vitest';
import {detectColorMode} from '../../src/render/halfblock.js';
import {InkStdout} from '../../src/tui/ink-stdout.js';
import {styled, stylingFor} from '../../src/tui/Line.js';
import {noColorRequested, noColorStream, withoutColors} from '../../src/tui/no-color.js';

afterEach(() => vi.unstubAllEnvs());

describe('withoutColors', () => {
  it.each([
    ['\x1b[31mred\x1b[39m', 'red'],
    ['\x1b[1;31mbold red\x1b[0m', '\x1b[1mbold red\x1b[0m'],
    ['\x1b[7;32;44mselected\x1b[27;39;49m', '\x1b[7mselected\x1b[27m'],
    ['\x1b[38;5;196;1mx', '\x1b[1mx'],
    ['\x1b[38;2;1;2;3;48;5;4;7mx', '\x1b[7mx'],
    ['\x1b[4;38:2::1:2:3mx', '\x1b[4mx'],
    ['\x1b[90;100mgrey\x1b[m', 'grey\x1b[m'],
    ['\x1b[2mdim\x1b[22m', '\x1b[2mdim\x1b[22m'],
    // Not SGR: cursor moves, erases, modes stay as they are.
    ['\x1b[2J\x1b[3;1H\x1b[?2026h\x1b[K', '\x1b[2J\x1b[3;1H\x1b[?2026h\x1b[K'],
    ['plain text', 'plain text'],
  ])('%j → %j', (input, out) => {
    expect(withoutColors(input)).toBe(out);
  });
});

describe('NO_COLOR is honoured', () => {
  const tty = {isTTY: true, hasColors: () => true};

  it('only when present and not empty', () => {
    expect(noColorRequested({NO_COLOR: '1'})).toBe(true);
    expect(noColorRequested({NO_COLOR: '0'})).toBe(true); // any value
    expect(noColorRequested({NO_COLOR: ''})).toBe(false);
    expect(noColorRequested({})).toBe(false);
  });

  it('Line rows: attributes without colours on a terminal, nothing off one', () => {
    expect(stylingFor(tty, {NO_COLOR: '1'})).toBe('attributes');
    expect(stylingFor(tty, {})).toBe('colors');
    expect(stylingFor({}, {NO_COLOR: '1'})).toBe('none');
    expect(stylingFor({}, {})).toBe('none');
    const segs = [{text: 'step', color: 'green', inverse: true, bold: true}, {text: ' log', color: 'red'}];
    expect(styled(segs, 'attributes')).toBe('\x1b[1;7mstep\x1b[0m log');
    expect(styled(segs, 'colors')).toBe('\x1b[1;7;32mstep\x1b[0m\x1b[31m log\x1b[0m');
  });

  it("the workbench's stdout takes ink's colours out, also from what it replays", () => {
    const real = new PassThrough() as unknown as NodeJS.WriteStream;
    let written = '';
    (real as unknown as PassThrough).on('data', (d: Buffer) => (written += d.toString()));
    const out = new InkStdout(real, () => undefined, true);
    out.write('\x1b[1;1H\x1b[36m\x1b[7m Tabs \x1b[27m\x1b[39m');
    expect(written).toBe('\x1b[1;1H\x1b[7m Tabs \x1b[27m');
    expect(out.tracker.replay(1, 1)).not.toMatch(/\x1b\[3\dm/);
    const colored = new InkStdout(real, () => undefined, false);
    written = '';
    colored.write('\x1b[36mx\x1b[39m');
    expect(written).toBe('\x1b[36mx\x1b[39m');
  });

  it('reads NO_COLOR from the environment by default', () => {
    vi.stubEnv('NO_COLOR', '1');
    const real = new PassThrough() as unknown as NodeJS.WriteStream;
    let written = '';
    (real as unknown as PassThrough).on('data', (d: Buffer) => (written += d.toString()));
    new InkStdout(real).write('\x1b[31mx');
    expect(written).toBe('x');
  });

  it('the stream the setup screen renders to: writes filtered, the rest is the stream itself', () => {
    const real = Object.assign(new PassThrough(), {columns: 77, rows: 20, isTTY: true});
    let written = '';
    real.on('data', (d: Buffer) => (written += d.toString()));
    const s = noColorStream(real);
    s.write('\x1b[33mwarn\x1b[39m');
    s.write(Buffer.from('\x1b[1;32mok'));
    expect(written).toBe('warn\x1b[1mok');
    expect(s.columns).toBe(77);
    expect(s.isTTY).toBe(true);
    const seen: number[] = [];
    s.on('resize', () => seen.push(1));
    real.emit('resize');
    expect(seen).toEqual([1]);
  });

  it("the VM's screen: text and pixels in mono", () => {
    expect(detectColorMode({NO_COLOR: '1', COLORTERM: 'truecolor'}, true)).toBe('mono');
  });
});

describe("Packer's -color=false", () => {
  it('sets NO_COLOR for everything that runs after it', async () => {
    const {main} = await import('../../src/cli/main.js');
    const saved = process.env.NO_COLOR;
    delete process.env.NO_COLOR;
    const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      await main(['profiles', '--names', '-color=true']);
      expect(process.env.NO_COLOR).toBeUndefined();
      await main(['profiles', '--names', '-color=false']);
      expect(process.env.NO_COLOR).toBe('1');
    } finally {
      write.mockRestore();
      if (saved === undefined) delete process.env.NO_COLOR;
      else process.env.NO_COLOR = saved;
    }
  });
});
