/**
 * The text painter: a screen read as text drawn cell for cell with its colours, checked by
 * applying the bytes to a small terminal model (test/support/vt-grid.ts) — centring, panning a
 * screen larger than the pane, diffing, wide characters at the window's edges, colour modes.
 */
import {readFileSync} from 'node:fs';
import {describe, expect, it} from 'vitest';
import {bestStart, rowCells, TextPane, type TextScreen} from '../../src/render/text-pane.js';
import {VtGrid} from '../support/vt-grid.js';

const BLUE = 0x0000aa;
const GREY = 0xaaaaaa;
const RED = 0xaa0000;
const WHITE = 0xffffff;
const BLACK = 0x000000;

/** A screen from lines, every cell white on blue unless `paint` says otherwise. */
function screen(lines: string[], cols: number, rows = lines.length, paint?: (r: number, c: number) => [number, number] | undefined): TextScreen {
  const fg = new Uint32Array(cols * rows).fill(WHITE);
  const bg = new Uint32Array(cols * rows).fill(BLUE);
  if (paint) {
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        const p = paint(r, c);
        if (p) [fg[r * cols + c], bg[r * cols + c]] = p;
      }
    }
  }
  return {lines, cols, rows, fg, bg};
}

describe('rowCells', () => {
  it.each([
    ['ascii padded', 'ab', 4, ['a', 'b', ' ', ' ']],
    ['cut at the width', 'abcdef', 3, ['a', 'b', 'c']],
    ['wide: a second cell ""', '中a', 4, ['中', '', 'a', ' ']],
    ['a wide char that would stick out is dropped', 'ab中', 3, ['a', 'b', ' ']],
    ['combining mark joins its cell', 'e\u0301x', 3, ['e\u0301', 'x', ' ']],
    ['controls become spaces', 'a\tb', 3, ['a', ' ', 'b']],
  ])('%s', (_name, line, cols, cells) => {
    expect(rowCells(line, cols)).toEqual(cells);
  });
});

describe('TextPane', () => {
  it('centres a small screen in the pane, with each cell in its own colours, and writes only inside the box', () => {
    const s = screen(['Hello', ' [OK] '], 8, 2, (r, c) => (r === 1 && c >= 1 && c <= 4 ? [WHITE, RED] : undefined));
    const pane = new TextPane({cols: 12, rows: 6, originRow: 3, originCol: 5, mode: 'truecolor'});
    const vt = new VtGrid(20, 10).apply(pane.render(s));
    // 8×2 in 12×6: two columns and two rows of margin; screen (0,0) at terminal (3+2, 5+2).
    expect(vt.text(5, 7, 14)).toBe('Hello   ');
    expect(vt.text(6, 7, 14)).toBe(' [OK]   ');
    expect(vt.cell(5, 7)).toMatchObject({ch: 'H', fg: WHITE, bg: BLUE});
    expect(vt.cell(6, 8)).toMatchObject({ch: '[', fg: WHITE, bg: RED});
    expect(vt.cell(3, 5).ch).toBe(' '); // margin: terminal defaults
    expect([vt.cell(3, 5).fg, vt.cell(3, 5).bg]).toEqual([undefined, undefined]);
    for (const k of vt.written) {
      const [r, c] = k.split(',').map(Number) as [number, number];
      expect(r >= 3 && r < 9 && c >= 5 && c < 17, `cell ${k}`).toBe(true);
    }
    expect(vt.written.size).toBe(12 * 6);
    expect(pane.view).toMatchObject({x: 0, y: 0, cols: 8, rows: 2, left: 2, top: 2, pansX: false, pansY: false});
  });

  it('writes nothing when nothing changed, one cell when one changed, everything after invalidate()', () => {
    const pane = new TextPane({cols: 10, rows: 3, mode: 'truecolor'});
    const vt = new VtGrid(10, 3);
    vt.apply(pane.render(screen(['abc', 'def', 'ghi'], 10)));
    expect(pane.render(screen(['abc', 'def', 'ghi'], 10)).length).toBe(0);
    vt.apply(pane.render(screen(['abc', 'dXf', 'ghi'], 10)));
    expect([...vt.written]).toEqual(['2,2']);
    expect(vt.text(2)).toBe('dXf       ');
    vt.apply(pane.render(screen(['abc', 'dXf', 'ghi'], 10, 3, (r, c) => (r === 0 && c === 0 ? [BLACK, GREY] : undefined))));
    expect([...vt.written]).toEqual(['1,1']);
    expect(vt.cell(1, 1)).toMatchObject({ch: 'a', fg: BLACK, bg: GREY});
    pane.invalidate();
    vt.apply(pane.render(screen(['abc', 'dXf', 'ghi'], 10)));
    expect(vt.written.size).toBe(30);
  });

  it('places the window where the content is: a console prompt at column 0 rather than the empty right side', () => {
    // isolinux at 80×25 in a 70-column pane: text from column 0, nothing past column 75.
    const lines = ['SYSLINUX 6.04 EDD 20200816 Copyright (C) 1994-2015 H. Peter Anvin et al', 'Launch tiny ISO - type: tiny url=http://HOST:PORT/tiny.cfg', 'boot: tiny'];
    const pane = new TextPane({cols: 70, rows: 25, mode: 'truecolor'});
    const vt = new VtGrid(70, 25).apply(pane.render({lines, cols: 80, rows: 25}));
    expect(pane.view).toMatchObject({x: 0, pansX: true});
    expect(vt.text(3).startsWith('boot: tiny')).toBe(true);
    // Typing at the prompt does not move the window (it stays while nearly as good).
    pane.render({lines: [...lines.slice(0, 2), 'boot: tiny url=http://10.0.2.2:8000/x'], cols: 80, rows: 25});
    expect(pane.view?.x).toBe(0);
  });

  it('bestStart: the most content, the middle among equals, the last start while nearly as good', () => {
    expect(bestStart([5, 5, 0, 0, 0, 0], 3)).toBe(0);
    expect(bestStart([0, 0, 0, 1, 9, 9], 3)).toBe(3);
    expect(bestStart([1, 1, 1, 1, 1, 1, 1], 3)).toBe(2);
    expect(bestStart([50, 50, 50, 49], 3, 1)).toBe(1);
    expect(bestStart([10, 0, 0, 0, 99], 3, 0)).toBe(2);
    expect(bestStart([1, 2], 5)).toBe(0);
  });

  it('shows a window of a screen larger than the pane: centred when the content is even, then where the user pans (clamped)', () => {
    const lines = Array.from({length: 50}, (_, r) => Array.from({length: 160}, (_, c) => String.fromCharCode(65 + ((r + c) % 26))).join(''));
    const s = screen(lines, 160, 50);
    const pane = new TextPane({cols: 100, rows: 30, mode: 'truecolor'});
    let vt = new VtGrid(100, 30).apply(pane.render(s));
    expect(pane.view).toMatchObject({x: 30, y: 10, cols: 100, rows: 30, left: 0, top: 0, pansX: true, pansY: true});
    expect(vt.text(1)).toBe(lines[10]!.slice(30, 130));
    expect(pane.panned).toBe(false);
    pane.panBy(-100, -3);
    vt = new VtGrid(100, 30).apply(pane.render(s));
    expect(pane.view).toMatchObject({x: 0, y: 7});
    expect(vt.text(30)).toBe(lines[36]!.slice(0, 100));
    pane.panBy(1000, 1000);
    pane.render(s);
    expect(pane.view).toMatchObject({x: 60, y: 20});
    pane.panBy(-8, 0); // back from past the edge: moves at once
    pane.render(s);
    expect(pane.view).toMatchObject({x: 52, y: 20});
    pane.setPan(undefined);
    pane.render(s);
    expect(pane.view).toMatchObject({x: 30, y: 10});
  });

  it('draws wide characters whole, and leaves a cell blank where the window cuts one in half', () => {
    const line = 'Chinese -  中文(简体)  x';
    const s = screen([line], 24, 1);
    const full = new TextPane({cols: 24, rows: 1, mode: 'truecolor'});
    const vt = new VtGrid(24, 1).apply(full.render(s));
    expect(vt.text(1)).toBe(line);
    expect(vt.cell(1, 12)).toMatchObject({ch: '中', bg: BLUE});
    // A 10-cell window starting on the second half of 文 (文 is screen cells 13–14).
    const pane = new TextPane({cols: 10, rows: 1, mode: 'truecolor'});
    pane.setPan({x: 14, y: 0});
    const cut = new VtGrid(10, 1).apply(pane.render(s));
    expect(cut.text(1)).toBe(' (简体)  x');
    // And ending on the first half of 文: its cell blank too.
    pane.setPan({x: 4, y: 0});
    const end = new VtGrid(10, 1).apply(pane.render(s));
    expect(end.text(1)).toBe('ese -  中 ');
  });

  it('repaints a row with a wide character whole when it changes (half a wide char overwritten erases it)', () => {
    const pane = new TextPane({cols: 12, rows: 2, mode: 'truecolor'});
    const vt = new VtGrid(12, 2);
    vt.apply(pane.render(screen(['日本語 abc', 'plain'], 12)));
    vt.apply(pane.render(screen(['日本語 abd', 'plain'], 12)));
    expect([...vt.written].filter((k) => k.startsWith('1,')).length).toBe(12);
    expect(vt.text(1)).toBe('日本語 abd  ');
    vt.apply(pane.render(screen(['日本語 abd', 'plaiN'], 12)));
    expect([...vt.written]).toEqual(['2,5']);
  });

  it('256 colours map through the xterm cube; mono keeps highlighted cells visible as reverse video', () => {
    const s = screen(['ab'], 2, 1, (_r, c) => (c === 1 ? [BLACK, GREY] : undefined));
    const c256 = new VtGrid(2, 1).apply(new TextPane({cols: 2, rows: 1, mode: '256'}).render(s));
    expect(c256.cell(1, 1)).toMatchObject({fg: 'p231', bg: 'p19'});
    const mono = new VtGrid(2, 1).apply(new TextPane({cols: 2, rows: 1, mode: 'mono'}).render(s));
    expect(mono.cell(1, 1).ch).toBe('a');
    expect(mono.cell(1, 1).inverse).toBeFalsy();
    expect(mono.cell(1, 2)).toMatchObject({ch: 'b', inverse: true});
  });

  it('a real d-i screen (1280×800, 160×50 cells) in a 100×30 pane shows its dialog whole', () => {
    const text = readFileSync(new URL('../fixtures/installer-screens/di-q-mirror-hostname-1280x800.txt', import.meta.url), 'utf8');
    const lines = text.split('\n').slice(0, 50);
    const pane = new TextPane({cols: 100, rows: 30, mode: 'truecolor'});
    const vt = new VtGrid(100, 30).apply(pane.render({lines, cols: 160, rows: 50}));
    const shown = Array.from({length: 30}, (_, i) => vt.text(i + 1));
    expect(shown.some((l) => l.includes('Debian archive mirror hostname:'))).toBe(true);
    expect(shown.some((l) => l.includes('<Go Back>') && l.includes('<Continue>'))).toBe(true);
    // The whole dialog is in the window: both its top corners on one row.
    expect(shown.some((l) => /┌.*\[!!\].*┐/u.test(l))).toBe(true);
    expect(pane.view).toMatchObject({y: 10});
  });

  it("draws the guest's cursor in reverse colours", () => {
    const s = {...screen(['ab'], 2, 1), cursor: {row: 0, col: 1}};
    const vt = new VtGrid(2, 1).apply(new TextPane({cols: 2, rows: 1, mode: 'truecolor'}).render(s));
    expect(vt.cell(1, 1)).toMatchObject({fg: WHITE, bg: BLUE});
    expect(vt.cell(1, 2)).toMatchObject({ch: 'b', fg: BLUE, bg: WHITE});
    const mono = new VtGrid(2, 1).apply(new TextPane({cols: 2, rows: 1, mode: 'mono'}).render(s));
    expect(mono.cell(1, 2).inverse).toBe(true);
  });

  it('clear() blanks exactly the box', () => {
    const pane = new TextPane({cols: 4, rows: 2, originRow: 2, originCol: 3, mode: 'truecolor'});
    const vt = new VtGrid(10, 5).apply(pane.render(screen(['abcd', 'efgh'], 4)));
    vt.apply(pane.clear());
    expect(vt.text(2)).toBe('          ');
    expect([...vt.written].sort()).toEqual(['2,3', '2,4', '2,5', '2,6', '3,3', '3,4', '3,5', '3,6']);
  });
});
