/**
 * ScreenView, what both consoles draw: text when the screen reads as text with confidence,
 * pixels otherwise or when asked; reads only after the frame changed and not too often; the
 * switch between the two repaints the whole box; zoom and pan; a status for the chrome.
 */
import {describe, expect, it} from 'vitest';
import {HalfBlockPane} from '../../src/render/pane.js';
import {nextTextMode, ScreenView, type LiveScreen, type ScreenTextRead} from '../../src/render/screen-view.js';
import {VtGrid} from '../support/vt-grid.js';

function live(width = 720, height = 400): LiveScreen & {bump(): void} {
  const pixels = new Uint32Array(width * height);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 2654435761) & 0xffffff;
  const s = {
    width,
    height,
    pixels,
    version: 1,
    takeDamage: () => [{x: 0, y: 0, width, height}],
    bump() {
      s.version++;
    },
  };
  return s;
}

function text(lines: string[], confidence = 1, cols = 40): ScreenTextRead {
  return {lines, cols, rows: lines.length, confidence};
}

function setup(read: () => ScreenTextRead | undefined, opts: {cols?: number; rows?: number} = {}) {
  let now = 0;
  const reads: number[] = [];
  const cols = opts.cols ?? 40;
  const rows = opts.rows ?? 10;
  const view = new ScreenView({
    cols,
    rows,
    pixels: new HalfBlockPane({cols, rows, mode: 'truecolor'}),
    colorMode: 'truecolor',
    readText: async () => {
      reads.push(now);
      return read();
    },
    now: () => now,
  });
  const vt = new VtGrid(cols, rows);
  return {view, vt, reads, advance: (ms: number) => (now += ms), settle: () => new Promise((r) => setImmediate(r))};
}

describe('ScreenView', () => {
  it('cycles auto → text → pixels → auto', () => {
    expect(['auto', 'text', 'pixels'].map((m) => nextTextMode(m as never))).toEqual(['text', 'pixels', 'auto']);
  });

  it('auto: pixels until a confident read arrives, then the text, with the whole box repainted', async () => {
    const s = live();
    const t = setup(() => text(['boot: install auto=true']));
    t.vt.apply(t.view.render(s));
    expect(t.view.status().showing).toBe('pixels');
    expect(t.vt.text(1)).toContain('▀');
    await t.settle();
    t.vt.apply(t.view.render(s));
    expect(t.view.status()).toMatchObject({showing: 'text', mode: 'auto', pannable: false});
    expect(t.vt.written.size).toBe(40 * 10);
    expect(t.vt.text(1)).not.toContain('▀');
    // 40×1 centred in 40×10: row 5 of the pane.
    expect(t.vt.text(5)).toBe('boot: install auto=true'.padEnd(40));
    expect(t.view.render(s).length).toBe(0); // nothing changed
  });

  it('auto falls back to pixels when the read is unsure; "text" shows it anyway; "pixels" never reads', async () => {
    const s = live();
    const t = setup(() => text(['maybe text'], 0.6));
    t.view.render(s);
    await t.settle();
    t.vt.apply(t.view.render(s));
    expect(t.view.status().showing).toBe('pixels');
    t.view.setMode('text');
    t.vt.apply(t.view.render(s)); // a new read starts (mode changed); the old unsure one shows meanwhile
    expect(t.view.status().showing).toBe('text');
    expect(t.vt.text(5)).toContain('maybe text');
    await t.settle();
    t.view.setMode('pixels');
    const before = t.reads.length;
    s.bump();
    t.advance(1000);
    t.vt.apply(t.view.render(s));
    expect(t.view.status().showing).toBe('pixels');
    expect(t.vt.written.size).toBe(40 * 10); // the text is gone: the whole box was repainted
    expect(t.reads.length).toBe(before);
  });

  it('reads again only when the frame changed, and at most every 300 ms', async () => {
    const s = live();
    const t = setup(() => text(['x']));
    t.view.render(s);
    await t.settle();
    t.view.render(s);
    t.view.render(s);
    expect(t.reads).toEqual([0]); // same frame: no new read
    s.bump();
    t.advance(100);
    t.view.render(s);
    expect(t.reads).toEqual([0]); // too soon
    t.advance(250);
    t.view.render(s);
    expect(t.reads).toEqual([0, 350]);
  });

  it('pans a text screen larger than the box, and says so in its status', async () => {
    const lines = Array.from({length: 50}, (_, r) => `row ${r}`.padEnd(160, '.'));
    const t = setup(() => text(lines, 1, 160), {cols: 100, rows: 30});
    const s = live(1280, 800);
    t.view.render(s);
    await t.settle();
    t.vt.apply(t.view.render(s));
    expect(t.view.status().text).toMatchObject({cols: 160, rows: 50, view: {x: 30, y: 10}});
    expect(t.vt.text(1).startsWith('.')).toBe(true);
    t.view.pan(-1, 0);
    t.view.pan(-1, 0);
    t.vt.apply(t.view.render(s));
    expect(t.view.status().text?.view).toMatchObject({x: 0, y: 10});
    expect(t.vt.text(1).startsWith('row 10')).toBe(true);
    t.view.toggleZoom(); // text: back to the middle
    t.view.render(s);
    expect(t.view.status().text?.view).toMatchObject({x: 30, y: 10});
  });

  it('pixels: pannable only at 1:1 on a screen larger than the box', () => {
    const t = setup(() => undefined);
    const s = live();
    t.view.render(s);
    expect(t.view.status()).toMatchObject({showing: 'pixels', zoom: 'fit', pannable: false});
    t.view.toggleZoom();
    t.view.render(s);
    expect(t.view.status()).toMatchObject({zoom: 1, pannable: true});
    t.view.pan(1, 1);
    t.view.render(s);
    expect(t.view.status().pannable).toBe(true);
  });
});
