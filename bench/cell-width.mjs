#!/usr/bin/env node
// Benchmark: what terminal cell widths cost the panes. The Log pane measures and cuts every row
// it shows (displayWidth, truncate/fit) and the VM screen's text painter asks codePointWidth per
// cell, so src/util/cell-width.ts — now string-width / get-east-asian-width behind an ASCII fast
// path — runs per visible line per frame.
// Anchor, measured in the same run over the same lines: the hand-written range table it replaced
// (copied below), so the ratio shows what the library's grapheme rules cost on this machine.
// Not a test: figures only.
//
//   npx tsc -p tsconfig.json && node bench/cell-width.mjs [--lines N]
//
// Budget: a 200×60 workbench repaints ~60 log rows per frame; at 60 fps that is 3,600 rows/s,
// so a row should cost well under 1 µs of the 16 ms frame for the ASCII case, a few µs otherwise.
import {existsSync} from 'node:fs';
import path from 'node:path';
import {fileURLToPath, pathToFileURL} from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const MOD = path.join(ROOT, 'dist/util/cell-width.js');
const FORMAT = path.join(ROOT, 'dist/tui/format.js');
let lines = 20_000;
const argv = process.argv.slice(2);
if (argv[0] === '--lines' && Number(argv[1]) > 0) lines = Number(argv[1]);
else if (argv.length) {
  console.error('usage: node bench/cell-width.mjs [--lines N]');
  process.exit(2);
}
if (!existsSync(MOD) || !existsSync(FORMAT)) {
  console.error('cell-width: dist/ missing — run `npx tsc -p tsconfig.json` first');
  process.exit(1);
}
const {displayWidth, codePointWidth} = await import(pathToFileURL(MOD).href);
const {truncate} = await import(pathToFileURL(FORMAT).href);

// The replaced implementation (util/cell-width.ts before string-width), as the anchor.
const ASCII = /^[\x20-\x7e]*$/;
function oldCodePointWidth(cp) {
  if (cp < 0x300) return cp < 0x20 || (cp >= 0x7f && cp < 0xa0) ? 0 : 1;
  if ((cp >= 0x300 && cp <= 0x36f) || (cp >= 0x200b && cp <= 0x200f) || (cp >= 0xfe00 && cp <= 0xfe0f) || cp === 0xfeff) return 0;
  if ((cp >= 0x1100 && cp <= 0x115f) || (cp >= 0x2e80 && cp <= 0xa4cf && cp !== 0x303f) || (cp >= 0xac00 && cp <= 0xd7a3) || (cp >= 0xf900 && cp <= 0xfaff) || (cp >= 0xfe30 && cp <= 0xfe4f) || (cp >= 0xff00 && cp <= 0xff60) || (cp >= 0xffe0 && cp <= 0xffe6) || (cp >= 0x1f300 && cp <= 0x1f64f) || (cp >= 0x1f900 && cp <= 0x1f9ff) || (cp >= 0x20000 && cp <= 0x3fffd)) return 2;
  return 1;
}
function oldDisplayWidth(s) {
  if (ASCII.test(s)) return s.length;
  let w = 0;
  for (const ch of s) w += oldCodePointWidth(ch.codePointAt(0));
  return w;
}
function oldTruncate(s, width) {
  if (ASCII.test(s)) return s.length <= width ? s : s.slice(0, width - 1) + '…';
  if (oldDisplayWidth(s) <= width) return s;
  let w = 0;
  let out = '';
  for (const ch of s) {
    const cw = oldCodePointWidth(ch.codePointAt(0));
    if (w + cw > width - 1) break;
    out += ch;
    w += cw;
  }
  return out + '…';
}

const kinds = {
  ascii: (i) => `[   ${i}.123456] systemd[1]: Started Journal Service on eth0 (pid ${i}) ${'-'.repeat(i % 60)}`,
  'latin-1': (i) => `Paquets installés : ${i} — café crème, naïve façade ${'é'.repeat(i % 20)}`,
  cjk: (i) => `インストール中 ${i}: 日本語のパッケージを設定しています 한국어 ${'漢'.repeat(i % 30)}`,
  emoji: (i) => `cloud-init ${i} 🚀 done ✅ 👨‍👩‍👧 🇩🇪 1️⃣ ${'🔥'.repeat(i % 15)}`,
};
const RUNS = 5;

/** Median ns per call of fn over the lines, RUNS timed runs after one warm-up. */
function time(fn, input) {
  const per = [];
  for (let r = -1; r < RUNS; r++) {
    const t0 = process.hrtime.bigint();
    let sink = 0;
    for (const s of input) {
      const v = fn(s);
      sink += typeof v === 'number' ? v : v.length;
    }
    const ns = Number(process.hrtime.bigint() - t0) / input.length;
    if (sink < 0) console.log(sink);
    if (r >= 0) per.push(ns);
  }
  return per.sort((a, b) => a - b)[Math.floor(RUNS / 2)];
}

console.log(`cell-width: ${lines} lines of each kind, median of ${RUNS} runs, ns per line (anchor: the replaced range table)`);
console.log('kind       displayWidth (anchor)  ratio   truncate 60 (anchor)  ratio');
for (const [kind, make] of Object.entries(kinds)) {
  const input = Array.from({length: lines}, (_, i) => make(i));
  const dw = time(displayWidth, input);
  const odw = time(oldDisplayWidth, input);
  const tr = time((s) => truncate(s, 60), input);
  const otr = time((s) => oldTruncate(s, 60), input);
  console.log(`${kind.padEnd(10)} ${dw.toFixed(0).padStart(8)} (${odw.toFixed(0).padStart(6)})      ${(dw / odw).toFixed(1).padStart(5)}×  ${tr.toFixed(0).padStart(8)} (${otr.toFixed(0).padStart(6)})     ${(tr / otr).toFixed(1).padStart(5)}×`);
}
// The screen painter: one code point per cell, a 160×50 installer screen of mixed text.
const cells = [...'Configuring the package manager — 日本語 한국어 ✔ ─│┌┐ ☔ 🚀 abcdefghij'].map((c) => c.codePointAt(0));
const grid = Array.from({length: 160 * 50}, (_, i) => cells[i % cells.length]);
const cp = time((c) => codePointWidth(c), grid);
const ocp = time((c) => oldCodePointWidth(c), grid);
console.log(`codePointWidth per cell (160×50 mixed screen): ${cp.toFixed(1)} ns (anchor ${ocp.toFixed(1)} ns, ${(cp / ocp).toFixed(1)}×); a full screen ${((cp * grid.length) / 1e6).toFixed(3)} ms`);
