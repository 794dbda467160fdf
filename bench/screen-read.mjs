#!/usr/bin/env node
// Benchmark: reading the VM's screen as text off a frame (src/screen/, through readScreenText with
// the fonts the engine passes: the installer's unifont.bgf from the installed
// debian-installer-12-netboot-amd64 initrd, then the default console fonts). Real frames from
// test/fixtures/installer-screens/:
//   cold   no layout hint: the grid search, then the read (a new screen mode);
//   warm   the previous frame's layout passed back, as the engine's watcher does on every change;
//   worst  cold on the same frame moved 3 px right and 5 px down, so no early stop at (0, 0).
// Anchors, measured in the same run on the same frame: one plain pass over its pixels (a sum:
// the least work any reader of the frame must do) and decoding its PNG (what a screenshot costs).
// Not a test: figures only.
//
//   npx tsc -p tsconfig.json && node bench/screen-read.mjs [--runs N]
//
// Target (issue 9): a 1280x800 frame read warm in well under the 100 ms between two screen
// checks; cold in under 100 ms.
import {existsSync, readFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath, pathToFileURL} from 'node:url';
import {PNG} from 'pngjs';
import {runsOption} from './lib/runs.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DIST = path.join(ROOT, 'dist');
const FIXTURES = path.join(ROOT, 'test/fixtures/installer-screens');
const INITRD = '/usr/lib/debian-installer/images/12/amd64/text/debian-installer/amd64/initrd.gz';
const runs = runsOption('screen-read', 30);

for (const f of ['screen/screen-text.js', 'screen/bgf.js', 'iso/cpio.js']) {
  if (!existsSync(path.join(DIST, f))) {
    console.error(`screen-read: dist/${f} missing — run \`npx tsc -p tsconfig.json\` first`);
    process.exit(1);
  }
}
if (!existsSync(INITRD)) {
  // Like a missing packer for build-vs-packer: nothing to measure here, not a failure.
  console.log(`screen-read: skipped — ${INITRD} missing (Debian package debian-installer-12-netboot-amd64)`);
  process.exit(0);
}
const load = (f) => import(pathToFileURL(path.join(DIST, f)).href);
const {readScreenText, defaultFonts} = await load('screen/screen-text.js');
const {parseBgf} = await load('screen/bgf.js');
const {readCpio} = await load('iso/cpio.js');
const {buildGlyphTables} = await load('screen/glyph-table.js');

let t0 = performance.now();
const {files} = readCpio(readFileSync(INITRD), (p) => p === 'lib/unifont.bgf');
const fonts = [...parseBgf(files[0].data, 'unifont.bgf'), ...(await defaultFonts())];
const fontMs = performance.now() - t0;
t0 = performance.now();
buildGlyphTables(fonts);
const tableMs = performance.now() - t0;

const FRAMES = [
  ['di-err-download-components-1280x800', 'd-i dialog (bterm, unifont)'],
  ['di-vc4-udeb-404-1280x800', 'd-i syslog on VT4 (fbcon, full of text)'],
  ['di-main-menu-1024x768', 'd-i main menu'],
  ['di-q-hostname-800x600', 'd-i question'],
  ['isolinux-boot-typed-720x400', 'VGA text mode (9-dot cells)'],
  ['isolinux-menu-640x480', 'vesamenu over its splash picture'],
];

function decode(name) {
  const png = PNG.sync.read(readFileSync(path.join(FIXTURES, `${name}.png`)));
  const pixels = new Uint32Array(png.width * png.height);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (png.data[i * 4] << 16) | (png.data[i * 4 + 1] << 8) | png.data[i * 4 + 2];
  return {width: png.width, height: png.height, pixels};
}

/** The frame moved right and down by (dx, dy), the gap filled with its top-left colour. */
function shifted(frame, dx, dy) {
  const {width: w, height: h} = frame;
  const pixels = new Uint32Array(w * h).fill(frame.pixels[0]);
  for (let y = dy; y < h; y++) pixels.set(frame.pixels.subarray((y - dy) * w, (y - dy) * w + w - dx), y * w + dx);
  return {width: w, height: h, pixels};
}

let sink = 0;
function plainPass(frame) {
  let s = 0;
  const p = frame.pixels;
  for (let i = 0; i < p.length; i++) s = (s + p[i]) | 0;
  sink ^= s;
}

/** Median and p90 of `runs` timings of `fn` (ms), after two untimed warm-up calls. */
async function time(fn) {
  await fn();
  await fn();
  const t = [];
  for (let i = 0; i < runs; i++) {
    const a = performance.now();
    await fn();
    t.push(performance.now() - a);
  }
  t.sort((a, b) => a - b);
  return {median: t[Math.floor(t.length / 2)], p90: t[Math.min(t.length - 1, Math.ceil(t.length * 0.9) - 1)]};
}

const ms = (v) => (v < 10 ? v.toFixed(2) : v.toFixed(1)).padStart(7);
const ratio = (v, a) => `${(v / a).toFixed(1)}x`.padStart(7);

console.log(`fonts: ${fonts.map((f) => f.name).join(', ')} — unifont read from the initrd in ${fontMs.toFixed(0)} ms, glyph tables built in ${tableMs.toFixed(0)} ms (once per process)`);
console.log(`${runs} timed runs per figure, median (p90) in ms; ratios against the plain pass over the same frame; ${os.cpus().length} core(s), load ${os.loadavg()[0].toFixed(2)}\n`);
console.log(`${'frame'.padEnd(36)} ${'pass'.padStart(7)} ${'decode'.padStart(7)} ${'cold'.padStart(7)} ${'p90'.padStart(7)} ${'warm'.padStart(7)} ${'p90'.padStart(7)} ${'worst'.padStart(7)} | ${'cold/'.padStart(7)} ${'warm/'.padStart(7)} ${'worst/'.padStart(7)}  read`);
for (const [name, what] of FRAMES) {
  const frame = decode(name);
  const moved = shifted(frame, 3, 5);
  const first = await readScreenText({frame, fonts});
  const pass = await time(() => plainPass(frame));
  const dec = await time(() => decode(name));
  const cold = await time(() => readScreenText({frame, fonts}));
  const warm = await time(() => readScreenText({frame, fonts, layout: first.layout}));
  const worst = await time(() => readScreenText({frame: moved, fonts}));
  const check = await readScreenText({frame: moved, fonts});
  const movedOk = check.layout && check.layout.originX === (first.layout.originX + 3) % first.layout.cellWidth && check.layout.originY === (first.layout.originY + 5) % 16;
  const label = `${name.replace(/^.*-(\d+x\d+)$/, '$1')} ${what}`.slice(0, 36);
  console.log(
    `${label.padEnd(36)} ${ms(pass.median)} ${ms(dec.median)} ${ms(cold.median)} ${ms(cold.p90)} ${ms(warm.median)} ${ms(warm.p90)} ${ms(worst.median)} | ${ratio(cold.median, pass.median)} ${ratio(warm.median, pass.median)} ${ratio(worst.median, pass.median)}  ${first.mode} ${Math.round(first.confidence * 100)}%${movedOk ? '' : ' (moved: grid NOT found)'}`,
  );
}
console.log(`load at the end ${os.loadavg()[0].toFixed(2)}`);
console.log('target: warm 1280x800 well under 100 ms (the watcher reads each changed frame); cold under 100 ms');
if (sink === 42) console.log(''); // keep the plain pass from being optimised away
