/**
 * Text recognition on real frames of the tiny VM (test/fixtures/screens/, captured by
 * scripts/capture-screens.mjs): every character must come back exactly with the default fonts.
 */
import {readFileSync} from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {PNG} from 'pngjs';
import {describe, expect, it} from 'vitest';
import {readScreenText, findText} from '../../src/screen/screen-text.js';
import {Framebuffer} from '../../src/vnc/framebuffer.js';

const DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/screens');

function fixture(name: string): {frame: Framebuffer; expected: string[]} {
  const png = PNG.sync.read(readFileSync(path.join(DIR, `${name}.png`)));
  const expected = readFileSync(path.join(DIR, `${name}.txt`), 'utf8').replace(/\n$/, '').split('\n');
  return {frame: Framebuffer.fromRgba(png.width, png.height, png.data), expected};
}

/** The screen's lines with trailing empty rows dropped, as the .txt files hold them. */
function text(lines: string[]): string[] {
  const out = [...lines];
  while (out.length && !out.at(-1)) out.pop();
  return out;
}

describe.each([
  // [fixture, cell width, grid, expected cursor (undefined: blinked off in the capture)]
  ['isolinux-boot-720x400', 9, [80, 25], {row: 11, col: 6}],
  ['linux-vgacon-720x400', 9, [80, 25], undefined],
  ['linux-fbcon-800x600', 8, [100, 37], {row: 12, col: 8}],
] as const)('%s', (name, cellWidth, [cols, rows], cursor) => {
  it('reads every character exactly with the default fonts', async () => {
    const {frame, expected} = fixture(name);
    const s = await readScreenText({frame});
    expect(s.mode).toBe('glyphs');
    expect(text(s.lines)).toEqual(expected);
    expect(s.confidence).toBe(1);
    expect([s.cols, s.rows]).toEqual([cols, rows]);
    expect(s.layout).toMatchObject({cellWidth, originX: 0, originY: 0});
    expect(s.cursor).toEqual(cursor);
  });
});

describe('colours on real frames', () => {
  it.each([
    // vgacon: QEMU's VGA palette; fbcon: the same colours through a 16-bit framebuffer
    ['linux-vgacon-720x400', 23, {yellow: 0xffff57, blue: 0x0000a8, grey: 0xa8a8a8}],
    ['linux-fbcon-800x600', 11, {yellow: 0xffff52, blue: 0x0000ad, grey: 0xadaaad}],
  ])('%s: bright yellow on blue, then reverse video', async (name, row, c) => {
    const s = await readScreenText({frame: fixture(name).frame});
    expect(s.lines[row]).toBe(' vmbench   reverse');
    const at = (col: number) => [s.fg![row * s.cols + col], s.bg![row * s.cols + col]];
    expect(at(1)).toEqual([c.yellow, c.blue]); // "v"
    expect(at(11)).toEqual([0x000000, c.grey]); // "r" of reverse: black on grey
    expect(at(30)).toEqual([0, 0]); // blank
  });
});

describe('findText on real frames', () => {
  it('finds the isolinux prompt and text the console wrapped at the right margin', async () => {
    const boot = await readScreenText({frame: fixture('isolinux-boot-720x400').frame});
    expect(findText(boot, 'boot:')).toEqual({row: 11, col: 0, text: 'boot:'});
    const vgacon = await readScreenText({frame: fixture('linux-vgacon-720x400').frame});
    // "url=http" ends row 14 at column 80; "://HOST" starts row 15.
    expect(findText(vgacon, 'url=http://HOST:PORT/tiny.cfg)')).toEqual({row: 14, col: 72, text: 'url=http://HOST:PORT/tiny.cfg)'});
    expect(findText(vgacon, /kernel (\d+\.\d+)\S*/)).toEqual({row: 12, col: 28, text: 'kernel 6.1.0-56-amd64'});
  });
});
