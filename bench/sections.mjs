#!/usr/bin/env node
// Benchmark: throughput of the BEGIN/END section parser (src/sections/parser.ts) on a generated
// 1,000,000-line provisioning log with nested sections, fed in 64 KiB chunks as a stream would be.
// Anchor, measured in the same run over the same chunks: a plain `split('\n')` line count — the
// least work any line-based parser must do — so the ratio survives a slower or busier machine.
// Also reports peak RSS (process-wide max, so it includes the generated log held in memory).
// Not a test: figures only.
//
//   npx tsc -p tsconfig.json && node bench/sections.mjs [--lines N]
//
// Target (from issue 4): ≥ 100 MB/s.
import path from 'node:path';
import {fileURLToPath, pathToFileURL} from 'node:url';
import {existsSync} from 'node:fs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PARSER = path.join(ROOT, 'dist/sections/parser.js');
const TARGET_MBPS = 100;
const CHUNK = 64 * 1024;
const RUNS = 5;

let total = 1_000_000;
const argv = process.argv.slice(2);
if (argv[0] === '--lines' && Number.isInteger(Number(argv[1])) && Number(argv[1]) > 0) total = Number(argv[1]);
else if (argv.length) {
  console.error('usage: node bench/sections.mjs [--lines N]');
  process.exit(2);
}
if (!existsSync(PARSER)) {
  console.error(`sections: ${path.relative(ROOT, PARSER)} missing — run \`npx tsc -p tsconfig.json\` first`);
  process.exit(1);
}
const {SectionParser, PACKER_PREFIX} = await import(pathToFileURL(PARSER).href);

/**
 * A log shaped like seed 002: sections of 20–200 lines, some nested two deep, some coloured.
 * Built straight into 64 KiB chunks (which split lines anywhere) so that the generator itself
 * does not inflate peak RSS with a million separate line strings.
 */
function generate(lines, prefix) {
  const chunks = [];
  let buf = '';
  let bytes = 0;
  let n = 0;
  let id = 0;
  const emit = (s) => {
    if (n >= lines) return;
    buf += prefix + s + '\n';
    n++;
    if (buf.length >= CHUNK) {
      const chunk = buf.slice(0, CHUNK);
      chunks.push(chunk);
      bytes += Buffer.byteLength(chunk);
      buf = buf.slice(CHUNK);
    }
  };
  while (n < lines) {
    const name = `step_${id++}`;
    emit('============================================================================');
    emit(`BEGIN{${name}}`);
    const body = 20 + (id * 37) % 180;
    for (let i = 0; i < body; i++) {
      if (i === 5 && id % 3 === 0) emit(`\x1b[1mBEGIN{${name}_inner}\x1b[0m`);
      else if (i === 15 && id % 3 === 0) emit(`END{${name}_inner}`);
      else emit(`Removing package-${i} (1.2.${id}-${i}) ... done, ${i * 1024} bytes freed`);
    }
    emit(`END{${name}}`);
  }
  if (buf) chunks.push(buf);
  bytes += Buffer.byteLength(buf);
  return {bytes, chunks};
}

function anchor(chunks) {
  let count = 0;
  for (const c of chunks) count += c.split('\n').length - 1;
  return count;
}

function parse(chunks, opts) {
  const p = new SectionParser(opts);
  for (const c of chunks) p.push(c);
  p.end(0);
  return p.stats.lines;
}

/** Median MB/s over RUNS timed runs after one warm-up. */
function measure(fn, bytes) {
  fn();
  const rates = [];
  for (let r = 0; r < RUNS; r++) {
    const t0 = process.hrtime.bigint();
    const lines = fn();
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    if (lines !== total) throw new Error(`lost lines: ${lines} of ${total}`);
    rates.push(bytes / 1e6 / s);
  }
  rates.sort((a, b) => a - b);
  return rates[Math.floor(rates.length / 2)];
}

const mb = (kb) => `${(kb / 1024).toFixed(0)} MiB`;
console.log(`sections: ${total.toLocaleString('en')} lines, ${CHUNK / 1024} KiB chunks, median of ${RUNS}`);
for (const [label, prefix, opts] of [
  ['plain log', '', {}],
  ['Packer log (prefix stripped)', '    qemu: ', {prefix: PACKER_PREFIX}],
]) {
  const {bytes, chunks} = generate(total, prefix);
  const rssBefore = process.resourceUsage().maxRSS;
  const base = measure(() => anchor(chunks), bytes);
  const rate = measure(() => parse(chunks, opts), bytes);
  const rssAfter = process.resourceUsage().maxRSS;
  console.log(`  ${label}: ${(bytes / 1e6).toFixed(1)} MB`);
  console.log(`    anchor split('\\n') count : ${base.toFixed(0)} MB/s`);
  console.log(
    `    SectionParser            : ${rate.toFixed(0)} MB/s  (${(rate / base).toFixed(2)}× anchor; target ≥ ${TARGET_MBPS} MB/s: ${rate >= TARGET_MBPS ? 'met' : 'MISSED'})`,
  );
  console.log(`    peak RSS                 : ${mb(rssAfter)} (was ${mb(rssBefore)} before timing)`);
}
