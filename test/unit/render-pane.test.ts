import {describe, expect, it} from 'vitest';
import {computeView, downscale} from '../../src/render/downscale.js';
import {halfBlockCells} from '../../src/render/halfblock.js';
import {createScreenPainter} from '../../src/render/index.js';
import {HalfBlockPane} from '../../src/render/pane.js';
import {luma} from '../../src/render/palette.js';
import {Framebuffer} from '../../src/vnc/framebuffer.js';

/**
 * A synthetic VGA text screen (720×400, 80×25 cells of 9×16): every character is a glyph-like
 * pattern of strokes in rows 2–13 and columns 1–7 of its cell, grey on black like the BIOS console.
 */
function vgaText(lines: string[], fg = 0xaaaaaa): Framebuffer {
  const fb = new Framebuffer(720, 400);
  lines.forEach((line, row) => {
    for (let col = 0; col < line.length && col < 80; col++) {
      const code = line.charCodeAt(col);
      if (code === 32) continue;
      for (let y = 2; y < 14; y++) {
        for (let x = 1; x < 8; x++) {
          // ~45 % of the glyph box lit, different per character: strokes, not a solid block.
          if (((code * 31 + x * 7 + y * 13) ^ (x * y)) % 9 < 4) fb.pixels[(row * 16 + y) * 720 + col * 9 + x] = fg;
        }
      }
    }
  });
  return fb;
}

const textLine = (n: number): string => 'Debian GNU/Linux installer boot menu: graphical install, expert, rescue, auto'.repeat(2).slice(0, n);

describe('legibility of 80x25 VGA text in a 100x30-cell pane', () => {
  const cols = 100;
  const rows = 30;
  const view = computeView(720, 400, cols, rows * 2);

  function cells(fb: Framebuffer, mode: 'truecolor' | 'mono') {
    const g = {width: cols, height: rows * 2, pixels: new Uint32Array(cols * rows * 2)};
    downscale(fb, view, g.pixels);
    return halfBlockCells(g, mode);
  }

  it('puts each text row on its own cell row', () => {
    const centres = Array.from({length: 25}, (_, k) => {
      const lines = Array<string>(25).fill('');
      lines[k] = textLine(80);
      const brightness = cells(vgaText(lines), 'truecolor').map((row) => row.reduce((s, c) => s + luma(c.fg) + luma(c.bg), 0));
      return brightness.indexOf(Math.max(...brightness));
    });
    for (let k = 1; k < 25; k++) expect(centres[k]!).toBeGreaterThan(centres[k - 1]!);
  });

  it('keeps neighbouring lines apart in monochrome: each cell row shows one line length', () => {
    // Line k is 10 + 2k characters long; if two lines merged into one cell row, it would show the longer.
    const lines = Array.from({length: 25}, (_, k) => textLine(10 + 2 * k));
    const mono = cells(vgaText(lines), 'mono');
    const scale = view.dst.width / 720;
    let matched = 0;
    for (let k = 0; k < 25; k++) {
      const top = Math.floor((view.dst.y + k * 16 * scale) / 2);
      const bottom = Math.floor((view.dst.y + (k + 1) * 16 * scale - 1) / 2);
      const want = (10 + 2 * k) * 9 * scale;
      const extents = [];
      for (let r = top; r <= bottom; r++) extents.push(mono[r]!.map((c) => c.ch !== ' ').lastIndexOf(true) + 1);
      // At least one of the cell rows this line covers shows exactly this line's length.
      if (extents.some((e) => Math.abs(e - want) <= 1.5)) matched++;
    }
    expect(matched).toBe(25);
  });
});

describe('HalfBlockPane', () => {
  it('repaints a blinking cursor as a handful of cells, using damage', () => {
    const fb = vgaText(Array.from({length: 25}, (_, k) => textLine(40 + k)));
    const pane = new HalfBlockPane({cols: 100, rows: 30, mode: 'truecolor', originRow: 2, originCol: 1});
    fb.takeDamage();
    expect(pane.render(fb).toString().length).toBeGreaterThan(3000);
    for (let y = 14; y < 16; y++) fb.pixels.fill(0xaaaaaa, (10 * 16 + y) * 720 + 9 * 30, (10 * 16 + y) * 720 + 9 * 31);
    const out = pane.render(fb, [{x: 270, y: 174, width: 9, height: 2}]).toString();
    const cellsPainted = out.match(/[\u2580\u2584\u2588 ]/g)?.length ?? 0;
    expect(cellsPainted).toBeGreaterThan(0);
    expect(cellsPainted).toBeLessThanOrEqual(4);
    // The damage path left the grid exactly as a full pass would: a full pass finds nothing new.
    expect(pane.render(fb).toString()).toBe('');
    expect(pane.render(fb, []).toString()).toBe('');
  });

  it('zooms to 1:1 with the pan clamped, and repaints on a view change', () => {
    const fb = vgaText([textLine(80)]);
    const pane = new HalfBlockPane({cols: 100, rows: 30, mode: '256'});
    pane.render(fb);
    expect(pane.view?.src).toEqual({x: 0, y: 0, width: 720, height: 400});
    pane.setView({zoom: 1, panX: 10_000, panY: 5});
    expect(pane.render(fb, []).toString()).not.toBe('');
    expect(pane.view?.src).toEqual({x: 620, y: 5, width: 100, height: 60});
  });

  it('follows a screen resolution change (DesktopSize) with a full repaint', () => {
    const fb = new Framebuffer(640, 480);
    const pane = new HalfBlockPane({cols: 20, rows: 10, mode: 'truecolor'});
    fb.pixels.fill(0x00aa00);
    pane.render(fb);
    fb.resize(800, 600);
    fb.pixels.fill(0x00aa00);
    const out = pane.render(fb, fb.takeDamage()).toString();
    expect(pane.view?.src).toEqual({x: 0, y: 0, width: 800, height: 600});
    expect(out).toBe(''); // same picture at the new size: nothing to repaint
    // Damage is a contract: pixels changed behind the framebuffer's back are not looked at…
    fb.pixels.fill(0xaa0000);
    expect(pane.render(fb, fb.takeDamage()).toString()).toBe('');
    // …until a render without damage reconsiders the whole screen.
    expect(pane.render(fb).toString()).toContain('48;2;170;0;0');
  });
});

describe('createScreenPainter', () => {
  it.each([
    ['halfblock', 'HalfBlockPane'],
    ['kitty', 'KittyPane'],
    ['sixel', 'SixelPane'],
  ] as const)('%s → %s', (mode, name) => {
    expect(createScreenPainter(mode, {cols: 10, rows: 5, colorMode: 'truecolor'}).constructor.name).toBe(name);
  });
});
