#!/usr/bin/env node
// Benchmark: start-up time of the CLI. `node bin/vmbench --help` and `node bin/vmbench validate
// tiny`, against the anchor `node -e 0` (a bare Node start on this machine) measured in the same
// run, interleaved so a change in machine load hits all three alike. Prints median and p90 of
// each and the ratios to the anchor. Not a test: figures only (exit 0 unless a command fails).
//
//   node bench/startup.mjs [--runs N]      (default 20 timed runs each, after 2 warm-up runs)
//
// Target (from the issue): `vmbench --help` under 300 ms (median, wall, spawn to exit).
import {spawnSync} from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {runsOption} from './lib/runs.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const VMBENCH = path.join(ROOT, 'bin/vmbench');
const WARMUP = 2;
const TARGET_HELP_MS = 300;

const runs = runsOption('startup', 20);

const CASES = [
  {name: 'node -e 0 (anchor)', args: ['-e', '0']},
  {name: 'vmbench --help', args: [VMBENCH, '--help']},
  {name: 'vmbench validate tiny', args: [VMBENCH, 'validate', 'tiny']},
];

/** One run: wall time from spawn to exit, in ms. A failing command stops the benchmark. */
function once(c) {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, c.args, {cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 16 << 20});
  const ms = performance.now() - t0;
  if (r.error || r.status !== 0) {
    const out = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim().split('\n').slice(-10).join('\n');
    throw new Error(`\`node ${c.args.map((a) => path.relative(ROOT, a) || a).join(' ')}\` failed (${r.error?.message ?? r.signal ?? `exit ${r.status}`}):\n${out}`);
  }
  return ms;
}

/** Nearest-rank percentile (p in 0..100) of an ascending array. */
const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
const ms = (x) => `${x.toFixed(0)} ms`.padStart(8);

try {
  for (let i = 0; i < WARMUP; i++) for (const c of CASES) once(c); // disk cache, compile cache
  const times = CASES.map(() => []);
  for (let i = 0; i < runs; i++) CASES.forEach((c, k) => times[k].push(once(c)));

  const stats = times.map((t) => {
    const s = [...t].sort((a, b) => a - b);
    return {median: median(t), p90: pct(s, 90), min: s[0], max: s[s.length - 1]};
  });
  const anchor = stats[0];
  console.log(`startup: ${runs} timed runs each (after ${WARMUP} warm-up), interleaved; node ${process.version}, ${os.cpus().length} core(s), load ${os.loadavg()[0].toFixed(2)}`);
  console.log(`${'command'.padEnd(24)} ${'median'.padStart(8)} ${'p90'.padStart(8)} ${'min'.padStart(8)} ${'max'.padStart(8)}  ×anchor (median, p90)`);
  CASES.forEach((c, k) => {
    const s = stats[k];
    const r = k === 0 ? '' : `  ${(s.median / anchor.median).toFixed(2)}, ${(s.p90 / anchor.p90).toFixed(2)}`;
    console.log(`${c.name.padEnd(24)} ${ms(s.median)} ${ms(s.p90)} ${ms(s.min)} ${ms(s.max)}${r}`);
  });
  const help = stats[1];
  console.log(
    `vmbench --help above a bare node start: ${(help.median - anchor.median).toFixed(0)} ms (median); ` +
      `target: median under ${TARGET_HELP_MS} ms — ${help.median < TARGET_HELP_MS ? 'met' : 'NOT met'} (p90 ${help.p90.toFixed(0)} ms)`,
  );
} catch (err) {
  console.error(`startup: ${err.message}`);
  process.exitCode = 1;
}
