#!/usr/bin/env node
// Benchmark: painting the VM's screen into a 100×30-cell terminal pane (src/render). For a
// 720×400 (VGA text), a 1024×768 and a 1280×800 screen, three workloads:
//   noise  — every pixel changes every frame (worst case: every cell repainted);
//   cursor — a blinking text cursor (one small damaged rectangle per frame);
//   scroll — a text log scrolling one line per frame (a large damaged area, few colours).
// Each is measured for the half-block pane (downscale + diffing painter) and, as the anchor in
// the same run, the naive approach: the same downscale, then a full string of CUP+SGR+▀ for
// every cell every frame, no diffing. Output goes to /dev/null with writeSync, so the cost of the
// write call is in, the terminal's parsing is not. Also kitty and sixel figures, for reference.
// Not a test: figures only. Needs the compiled code: `npx tsc -p tsconfig.json` first.
//
//   node bench/render.mjs [--seconds S]     (default 1 s of frames per case, after 20 warm-up frames)
//
// Target (issue 3): ≥ 30 fps with under 25 % of one core, i.e. < 8.3 ms CPU per frame.
//
// Then the text view (TextPane, issue 9): real Debian installer screens read as text — 160×50 at
// 1280×800, 128×48 at 1024×768 with CJK — painted cell for cell into the same pane: every cell
// repainted (invalidated each frame), one cell changing (a cursor), a progress bar row, and a
// pan by one column per frame; anchor: every visible cell written with CUP+SGR each frame.
import {closeSync, existsSync, openSync, readFileSync, writeSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DIST = path.join(ROOT, 'dist/render/index.js');
if (!existsSync(DIST)) {
  console.error('render: dist/render/index.js is missing — run `npx tsc -p tsconfig.json` first');
  process.exit(1);
}
const {HalfBlockPane, KittyPane, SixelPane, TextPane, computeView, downscale} = await import(DIST);

let seconds = 1;
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const v = argv[i] === '--seconds' ? argv[++i] : argv[i].startsWith('--seconds=') ? argv[i].slice(10) : undefined;
  seconds = Number(v);
  if (v === undefined || !(seconds > 0)) {
    console.error('usage: node bench/render.mjs [--seconds S]');
    process.exit(2);
  }
}

const COLS = 100;
const ROWS = 30;
const TARGET_FPS = 30;
const TARGET_CORE = 0.25;
const nul = openSync('/dev/null', 'w');

/** A framebuffer-like screen with damage tracking, like src/vnc/framebuffer.ts. */
function screen(width, height, bg) {
  return {width, height, pixels: new Uint32Array(width * height).fill(bg)};
}

/** Glyph-like 8×16 (or 9×16) strokes for a character, grey on the background: VGA text without a font. */
function drawText(s, col, row, text, fg, cw = 9) {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 32) continue;
    for (let y = 2; y < 14; y++) {
      const o = (row * 16 + y) * s.width + (col + i) * cw;
      for (let x = 1; x < cw - 1; x++) if (((code * 31 + x * 7 + y * 13) ^ (x * y)) % 9 < 4) s.pixels[o + x] = fg;
    }
  }
}

const LOG = 'Unpacking linux-image-6.1.0-13-amd64 (6.1.55-1) ... Setting up openssh-server (1:9.2p1-2) ... done.';
const logLine = (n) => `[${String(n).padStart(5)}] ${LOG.slice(0, 40 + (n % 37))}`;

/** The workloads: `init` draws the first screen, `step(i)` changes it and returns the damage. */
function workloads(width, height) {
  const cw = width === 720 ? 9 : 8;
  const textCols = Math.floor(width / cw);
  const textRows = Math.floor(height / 16);
  const bg = width === 720 ? 0x000000 : 0x0000aa;
  const fg = width === 720 ? 0xaaaaaa : 0xffffff;
  const noiseFrames = Array.from({length: 4}, (_, k) => {
    const p = new Uint32Array(width * height);
    let x = 0x9e3779b9 ^ (k * 7919);
    for (let i = 0; i < p.length; i++) {
      x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
      p[i] = x & 0xffffff;
    }
    return p;
  });
  return [
    {name: 'noise', init: () => screen(width, height, 0), step: (s, i) => (s.pixels = noiseFrames[i % 4], undefined)},
    {
      name: 'cursor',
      init: () => {
        const s = screen(width, height, bg);
        for (let r = 0; r < textRows - 1; r++) drawText(s, 0, r, logLine(r).slice(0, textCols), fg, cw);
        return s;
      },
      step: (s, i) => {
        const x = 20 * cw;
        const y = (textRows - 1) * 16 + 14;
        for (let r = y; r < y + 2; r++) s.pixels.fill(i % 2 ? fg : bg, r * width + x, r * width + x + cw);
        return [{x, y, width: cw, height: 2}];
      },
    },
    {
      name: 'scroll',
      init: () => {
        const s = screen(width, height, bg);
        for (let r = 0; r < textRows; r++) drawText(s, 0, r, logLine(r).slice(0, textCols), fg, cw);
        return s;
      },
      step: (s, i) => {
        const rowPx = 16 * width;
        s.pixels.copyWithin(0, rowPx, textRows * rowPx);
        s.pixels.fill(bg, (textRows - 1) * rowPx, textRows * rowPx);
        drawText(s, 0, textRows - 1, logLine(textRows + i).slice(0, textCols), fg, cw);
        return [{x: 0, y: 0, width, height: textRows * 16}];
      },
    },
  ];
}

/** The anchor: no diffing, every cell's colours and glyph written every frame. */
function naivePainter(cols, rows) {
  const grid = new Uint32Array(cols * rows * 2);
  return {
    render(s) {
      downscale(s, computeView(s.width, s.height, cols, rows * 2), grid);
      let out = '\x1b[?2026h\x1b7';
      for (let r = 0; r < rows; r++) {
        out += `\x1b[${r + 1};1H`;
        for (let c = 0; c < cols; c++) {
          const t = grid[2 * r * cols + c];
          const b = grid[(2 * r + 1) * cols + c];
          out += `\x1b[38;2;${t >>> 16};${(t >>> 8) & 255};${t & 255};48;2;${b >>> 16};${(b >>> 8) & 255};${b & 255}m\u2580`;
        }
      }
      return out + '\x1b[0m\x1b8\x1b[?2026l';
    },
  };
}

function measure(makePainter, work) {
  const s = work.init();
  const painter = makePainter();
  writeSync(nul, painter.render(s));
  for (let i = 0; i < 20; i++) writeSync(nul, painter.render(s, work.step(s, i)));
  let frames = 0;
  let bytes = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  while (frames < 30 || performance.now() - t0 < seconds * 1000) {
    const damage = work.step(s, 20 + frames);
    const out = painter.render(s, damage);
    if (out) {
      const buf = Buffer.from(out);
      bytes += buf.length;
      writeSync(nul, buf);
    }
    frames++;
  }
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000 / frames;
  return {fps: (frames * 1000) / wall, cpuMs, core30: (cpuMs * TARGET_FPS) / 1000, kb: bytes / frames / 1024};
}

const f = (v, d = 1) => v.toFixed(d);
const row = (cells) => console.log(cells.map((c, i) => String(c)[i < 3 ? 'padEnd' : 'padStart']([13, 8, 18, 9, 12, 14, 11][i])).join(''));

console.log(`render: ${COLS}x${ROWS}-cell pane, node ${process.version}, ${os.cpus()[0]?.model ?? 'cpu?'} x${os.cpus().length}, ${seconds} s per case`);
console.log(`target: >= ${TARGET_FPS} fps at < ${TARGET_CORE * 100} % of one core (< ${f(1000 * TARGET_CORE / TARGET_FPS)} ms CPU/frame)\n`);
row(['screen', 'load', 'painter', 'max fps', 'CPU ms/fr', 'core @30fps', 'KB/frame']);
const verdicts = [];
// 1280×800 too: the Debian installer's graphical mode (vga=788), the largest screen we expect.
for (const [w, h] of [[720, 400], [1024, 768], [1280, 800]]) {
  for (const work of workloads(w, h)) {
    const ours = measure(() => new HalfBlockPane({cols: COLS, rows: ROWS, mode: 'truecolor', originRow: 1, originCol: 1}), work);
    const naive = measure(() => naivePainter(COLS, ROWS), work);
    const c256 = work.name === 'noise' ? measure(() => new HalfBlockPane({cols: COLS, rows: ROWS, mode: '256'}), work) : undefined;
    for (const [name, m] of [['half-block 24bit', ours], ...(c256 ? [['half-block 256', c256]] : []), ['naive (anchor)', naive]]) {
      row([`${w}x${h}`, work.name, name, f(m.fps, 0), f(m.cpuMs, 2), `${f(m.core30 * 100)} %`, f(m.kb)]);
    }
    const ok = ours.fps >= TARGET_FPS && ours.core30 < TARGET_CORE;
    verdicts.push(`${w}x${h} ${work.name}: ${ok ? 'meets' : 'MISSES'} the target; vs naive: ${f(naive.cpuMs / ours.cpuMs)}x less CPU, ` +
      `${ours.kb > 0 ? f(naive.kb / ours.kb) + 'x' : 'infinitely'} fewer bytes`);
  }
}
console.log('\n' + verdicts.join('\n'));

console.log('\nfull-resolution backends (same workloads; kitty re-sends the whole image when anything changed):');
row(['screen', 'load', 'painter', 'max fps', 'CPU ms/fr', 'core @30fps', 'KB/frame']);
for (const [w, h] of [[720, 400], [1024, 768]]) {
  for (const work of workloads(w, h).filter((x) => x.name !== 'noise')) {
    for (const [name, make] of [
      ['kitty png', () => new KittyPane({cols: COLS, rows: ROWS, cellWidth: 8, cellHeight: 16, format: 'png'})],
      ['kitty rgb+zlib', () => new KittyPane({cols: COLS, rows: ROWS, cellWidth: 8, cellHeight: 16, format: 'rgb'})],
      ['sixel 800x480', () => new SixelPane({cols: COLS, rows: ROWS, cellWidth: 8, cellHeight: 16})],
    ]) {
      const m = measure(make, work);
      row([`${w}x${h}`, work.name, name, f(m.fps, 0), f(m.cpuMs, 2), `${f(m.core30 * 100)} %`, f(m.kb)]);
    }
  }
}
console.log('\ntext view (TextPane): the screen read as text, one guest cell per terminal cell (128x48: the language list, CJK included):');
row(['screen', 'load', 'painter', 'max fps', 'CPU ms/fr', 'core @30fps', 'KB/frame']);
const fixture = (name) => readFileSync(path.join(ROOT, 'test/fixtures/installer-screens', name), 'utf8').split('\n');
for (const [label, file, cols, rows] of [
  ['d-i 160x50', 'di-q-mirror-hostname-1280x800.txt', 160, 50],
  ['d-i 128x48', 'di-q-language-1024x768.txt', 128, 48],
]) {
  const base = fixture(file).slice(0, rows);
  const fg = new Uint32Array(cols * rows).fill(0xffffff);
  const bg = new Uint32Array(cols * rows).fill(0x0000aa);
  for (let r = 1; r < rows - 2; r++) for (let c = 2; c < cols - 30; c++) [fg[r * cols + c], bg[r * cols + c]] = [0, 0xaaaaaa];
  const textScreen = () => ({lines: base.slice(), cols, rows, fg, bg});
  const bar = (i) => `  Progress: [${'#'.repeat(i % 60).padEnd(60)}] ${i % 100}%`;
  const loads = [
    {name: 'full', step: (t, _i, pane) => (pane.invalidate(), t)},
    {name: 'cursor', step: (t, i) => ((t.lines[24] = `${base[24].slice(0, 50)}${i % 2 ? '_' : ' '}${base[24].slice(51)}`), t)},
    {name: 'bar', step: (t, i) => ((t.lines[25] = bar(i)), t)},
    {name: 'pan', step: (t, i, pane) => (pane.setPan({x: i % (cols - COLS + 1), y: 0}), t)},
  ];
  for (const work of loads) {
    const ours = measureText(() => new TextPane({cols: COLS, rows: ROWS, mode: 'truecolor'}), textScreen, work);
    const naive = measureText(() => naiveText(COLS, ROWS), textScreen, work);
    for (const [name, m] of [['text 24bit', ours], ['naive (anchor)', naive]]) row([label, work.name, name, f(m.fps, 0), f(m.cpuMs, 3), `${f(m.core30 * 100, 2)} %`, f(m.kb)]);
  }
}

/** The anchor for text: every visible cell positioned, coloured and written each frame. */
function naiveText(cols, rows) {
  let pan = {x: 0, y: 0};
  return {
    invalidate() {},
    setPan(p) {
      pan = p;
    },
    render(t) {
      let out = '\x1b[?2026h\x1b7';
      for (let r = 0; r < rows; r++) {
        const chars = [...(t.lines[r + pan.y] ?? '')];
        for (let c = 0; c < cols; c++) {
          const i = (r + pan.y) * t.cols + c + pan.x;
          const a = t.fg[i] ?? 0;
          const b = t.bg[i] ?? 0;
          out += `\x1b[${r + 1};${c + 1}H\x1b[38;2;${a >>> 16};${(a >>> 8) & 255};${a & 255};48;2;${b >>> 16};${(b >>> 8) & 255};${b & 255}m${chars[c + pan.x] ?? ' '}`;
        }
      }
      return out + '\x1b[0m\x1b8\x1b[?2026l';
    },
  };
}

function measureText(makePainter, makeScreen, work) {
  const painter = makePainter();
  let t = makeScreen();
  writeSync(nul, painter.render(t));
  for (let i = 0; i < 20; i++) writeSync(nul, painter.render(work.step(t, i, painter)));
  let frames = 0;
  let bytes = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  while (frames < 30 || performance.now() - t0 < seconds * 1000) {
    t = work.step({...t, lines: t.lines.slice()}, 20 + frames, painter);
    const out = painter.render(t);
    if (out.length) {
      const buf = Buffer.from(out);
      bytes += buf.length;
      writeSync(nul, buf);
    }
    frames++;
  }
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000 / frames;
  return {fps: (frames * 1000) / wall, cpuMs, core30: (cpuMs * TARGET_FPS) / 1000, kb: bytes / frames / 1024};
}
closeSync(nul);
