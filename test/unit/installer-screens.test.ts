/**
 * Text recognition on real frames of the real Debian 12 installer (test/fixtures/installer-screens/,
 * captured by scripts/capture-installer-screens.mjs): read with the fonts the engine passes —
 * the installer's own unifont.bgf, from the initrd of the installed debian-installer-12-netboot-amd64
 * package, then the default console fonts — every frame must come back exactly as its .txt.
 */
import {existsSync, readdirSync, readFileSync} from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {PNG} from 'pngjs';
import {beforeAll, describe, expect, it} from 'vitest';
import {readCpio} from '../../src/iso/cpio.js';
import {parseBgf} from '../../src/screen/bgf.js';
import type {ConsoleFont} from '../../src/screen/font.js';
import {UNKNOWN_CHAR} from '../../src/screen/glyph-match.js';
import {defaultFonts, findText, readScreenText, type ScreenText} from '../../src/screen/screen-text.js';
import {Framebuffer} from '../../src/vnc/framebuffer.js';

const DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/installer-screens');
const INITRD = '/usr/lib/debian-installer/images/12/amd64/text/debian-installer/amd64/initrd.gz';
const NAMES = readdirSync(DIR)
  .filter((f) => f.endsWith('.png'))
  .map((f) => f.slice(0, -4))
  .sort();

function fixture(name: string): {frame: Framebuffer; expected: string[]} {
  const png = PNG.sync.read(readFileSync(path.join(DIR, `${name}.png`)));
  return {frame: Framebuffer.fromRgba(png.width, png.height, png.data), expected: trimRows(readFileSync(path.join(DIR, `${name}.txt`), 'utf8').replace(/\n$/, '').split('\n'))};
}

/** Lines without trailing empty rows, as the .txt files hold them. */
function trimRows(lines: string[]): string[] {
  const out = [...lines];
  while (out.length && !out.at(-1)) out.pop();
  return out;
}

/** Non-blank expected characters read right, wrong, and unknown (position by position). */
function accuracy(expected: string[], got: string[]): {chars: number; right: number; wrong: number; unknown: number} {
  const n = {chars: 0, right: 0, wrong: 0, unknown: 0};
  for (let r = 0; r < Math.max(expected.length, got.length); r++) {
    const e = [...(expected[r] ?? '')];
    const g = [...(got[r] ?? '')];
    for (let c = 0; c < Math.max(e.length, g.length); c++) {
      const ec = e[c] ?? ' ';
      const gc = g[c] ?? ' ';
      if (ec === ' ') {
        if (gc !== ' ') n.wrong++;
        continue;
      }
      n.chars++;
      if (gc === ec) n.right++;
      else if (gc === UNKNOWN_CHAR) n.unknown++;
      else n.wrong++;
    }
  }
  return n;
}

let fonts: ConsoleFont[];
const read = new Map<string, ScreenText>();

beforeAll(async () => {
  if (!existsSync(INITRD)) throw new Error(`${INITRD} is missing: install the Debian package debian-installer-12-netboot-amd64`);
  const {files} = readCpio(readFileSync(INITRD), (p) => p === 'lib/unifont.bgf');
  if (!files[0]) throw new Error(`${INITRD}: no lib/unifont.bgf in it`);
  fonts = [...parseBgf(files[0].data, 'unifont.bgf'), ...(await defaultFonts())];
});

async function readFixture(name: string): Promise<ScreenText> {
  let s = read.get(name);
  if (!s) read.set(name, (s = await readScreenText({frame: fixture(name).frame, fonts})));
  return s;
}

describe('real installer frames read exactly with the installer font and the console fonts', () => {
  it('has the frames', () => {
    expect(NAMES.length).toBeGreaterThanOrEqual(26);
  });

  it.each(NAMES)('%s', async (name) => {
    const {expected} = fixture(name);
    const s = await readFixture(name);
    const got = trimRows(s.lines);
    const a = accuracy(expected, got);
    const pct = a.chars ? ((100 * a.right) / a.chars).toFixed(1) : '-';
    console.log(`${name}: ${pct}% of ${a.chars} characters right, ${a.wrong} wrong, ${a.unknown} unknown; ${s.detail}`);
    expect(got).toEqual(expected);
    // A screen with text is read with full confidence — but for the boot menu, whose logo is
    // shaded shapes that could be text; a blank one is not claimed as text.
    if (name === 'isolinux-menu-640x480') expect([s.mode, Math.round(s.confidence * 100)]).toEqual(['glyphs', 71]);
    else if (a.chars > 0) expect([s.mode, s.confidence]).toEqual(['glyphs', 1]);
    else expect(s.mode).toBe('unknown');
  });
});

describe('what each kind of frame is read with', () => {
  it.each([
    // d-i's text frontend: bterm with unifont, 8×16 cells at (0, 0) at every resolution.
    ['di-err-download-components-1280x800', 8, 0, [160, 50], ['unifont.bgf/8px']],
    ['di-main-menu-1024x768', 8, 0, [128, 48], ['unifont.bgf/8px']],
    ['di-q-hostname-800x600', 8, 0, [100, 37], ['unifont.bgf/8px']],
    // CJK names in the language list: unifont's 16-pixel glyphs.
    ['di-q-language-1024x768', 8, 0, [128, 48], ['unifont.bgf/8px', 'unifont.bgf/16px']],
    // The kernel's fbcon on VT4/VT2: console fonts.
    ['di-vc2-activate-1280x800', 8, 0, [160, 50], ['default8x16', 'iso01.f16']],
    // isolinux: VGA text mode (9-dot cells) and vesamenu's 8×16 text half a row down.
    ['isolinux-boot-typed-720x400', 9, 0, [80, 25], ['default8x16', 'iso01a-8x16']],
    ['isolinux-menu-640x480', 8, 8, [80, 29], ['default8x16']],
  ] as const)('%s: %i-pixel cells from y=%i, grid %j, fonts %j', async (name, cellWidth, originY, grid, fontNames) => {
    const s = await readFixture(name);
    expect(s.layout).toMatchObject({cellWidth, originX: 0, originY});
    expect([s.cols, s.rows]).toEqual(grid);
    for (const f of fontNames) expect(s.detail).toContain(f);
  });

  it('reads a wide glyph as one character over two cells, its colours kept per cell', async () => {
    const s = await readFixture('di-q-language-1024x768');
    const at = findText(s, '中文(简体)')!;
    expect(at).toMatchObject({row: 17});
    // Four wide glyphs: the row's string is four characters shorter than its cells.
    const scrollbar = s.lines[17]!.indexOf('▮');
    expect(s.lines[14]!.indexOf('▒')).toBe(scrollbar + 4);
    expect(s.fg!.length).toBe(s.cols * s.rows);
  });

  it('reads letters Latin and Cyrillic or Greek share by the script of their word', async () => {
    const s = await readFixture('di-q-language-1024x768');
    for (const word of ['Беларуская', 'Български', 'Ελληνικά', 'Қазақ', 'Shqip', 'Nederlands', 'English']) expect(findText(s, word), word).toBeDefined();
  });

  it('without the installer font, a d-i dialog is not read at all (its borders once chose a 9×16 grid)', async () => {
    const s = await readScreenText({frame: fixture('di-err-download-components-1280x800').frame, fonts: await defaultFonts()});
    expect(s.mode).toBe('unknown');
    expect(s.lines).toEqual([]);
  });

  it('reads the boot menu over its splash picture, the picture as spaces', async () => {
    const s = await readFixture('isolinux-menu-640x480');
    expect(s.lines.join('\n')).not.toContain(UNKNOWN_CHAR);
    expect(s.lines[2]).toBe(''); // the "debian 12" logo is picture
    expect(s.detail).toMatch(/890 cells of picture read as spaces \(43 of them shapes that could be text\)/);
    expect(findText(s, 'Install')).toEqual({row: 11, col: 17, text: 'Install'});
  });
});
