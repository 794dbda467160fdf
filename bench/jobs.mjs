#!/usr/bin/env node
// Benchmark: N tiny builds side by side (`vmbench build --list … [--jobs J]`, the CPU/memory
// budget deciding how many at once) against the same N builds one after another (N runs of
// `vmbench build tiny`). Prints the wall time of each build and of each way, their ratio, and the
// host's load: the 1-min load average sampled every second (max and mean) and the CPU time
// (user + system) of all the processes each way started (vmbench, QEMU, qemu-img…), read from
// /proc/self/stat's cutime/cstime. Not a test: figures only (exit 0 unless a build fails or a
// QEMU it started is left running).
//
//   node bench/jobs.mjs [--builds N] [--jobs J]     default 3 builds; --jobs: as vmbench build
//
// One untimed build first builds the tiny ISO into the benchmark's cache (kept between runs in
// $TMPDIR/vmbench-bench-cache) and warms the page cache, so neither way pays for it.
import {execFileSync} from 'node:child_process';
import {mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {parseArgs} from 'node:util';
import {run as proc, timed} from './lib/timed.mjs';

const NAME = 'jobs';
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(ROOT, 'bin', 'vmbench');

let opts;
try {
  ({values: opts} = parseArgs({options: {builds: {type: 'string', default: '3'}, jobs: {type: 'string'}}, strict: true}));
} catch (err) {
  console.error(`${NAME}: ${err.message}\nusage: node bench/jobs.mjs [--builds N] [--jobs J]`);
  process.exit(2);
}
const N = Number(opts.builds);
if (!Number.isInteger(N) || N < 2) {
  console.error(`${NAME}: --builds needs a whole number ≥ 2, got ${opts.builds}`);
  process.exit(2);
}

const work = mkdtempSync(path.join(os.tmpdir(), 'vmbench-bench-jobs-'));
const cache = path.join(os.tmpdir(), 'vmbench-bench-cache');
const env = {...process.env, CI: 'true', XDG_STATE_HOME: path.join(work, 'state')};
const TICK = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

/** CPU seconds (user + system) of this process's children that have been waited for, and theirs. */
function childCpuS() {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 16 and 17 (cutime, cstime) are at 13 and 14 once pid and comm are cut off.
  return (Number(f[13]) + Number(f[14])) / TICK;
}

/** The 1-min load average every second while `fn` runs: max and mean. */
async function withLoad(fn) {
  const samples = [os.loadavg()[0]];
  const timer = setInterval(() => samples.push(os.loadavg()[0]), 1000);
  const cpu0 = childCpuS();
  try {
    const result = await fn();
    return {result, cpuS: childCpuS() - cpu0, loadMax: Math.max(...samples), loadMean: samples.reduce((a, b) => a + b, 0) / samples.length};
  } finally {
    clearInterval(timer);
  }
}

/** QEMUs whose command line names a path of this benchmark (their disk): ours. */
function ourQemus() {
  const found = [];
  for (const d of readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    try {
      const cmd = readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0').join(' ');
      if (cmd.includes('qemu-system') && cmd.includes(work)) found.push({pid: Number(d), cmd});
    } catch {
      // gone
    }
  }
  return found;
}

function fail(what, r) {
  console.error(`${NAME}: ${what} failed (exit ${r.code}${r.signal ? `, ${r.signal}` : ''}):`);
  for (const l of r.lines.slice(-15)) console.error(`  ${l.l}`);
  cleanup();
  process.exit(1);
}

function cleanup() {
  const left = ourQemus();
  for (const q of left) {
    console.error(`${NAME}: a QEMU it started was left running (pid ${q.pid}): stopping it`);
    try {
      process.kill(q.pid, 'SIGKILL'); // ours: its disk is under this benchmark's folder
    } catch {
      // gone
    }
  }
  rmSync(work, {recursive: true, force: true});
  return left.length;
}

const s = (ms) => `${(ms / 1000).toFixed(1)} s`;
const build = (out, extra = []) => ['build', 'tiny', '--json', '--cache-dir', cache, '--output', out, ...extra];

console.log(`${NAME}: ${N} tiny builds, one after another vs side by side; node ${process.version}, ${os.availableParallelism()} CPUs, ${Math.round(os.freemem() / 2 ** 20)} MiB free, load ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);

// Warm-up (untimed): the tiny ISO into the cache.
const warm = await timed(process.execPath, [BIN, ...build(path.join(work, 'warm'))], {env});
if (warm.code !== 0) fail('the warm-up build', warm);
rmSync(path.join(work, 'warm'), {recursive: true, force: true});
if (proc.interrupted) process.exit(cleanup() ? 1 : 130);

// One after another.
const seq = await withLoad(async () => {
  const each = [];
  for (let i = 0; i < N && !proc.interrupted; i++) {
    const r = await timed(process.execPath, [BIN, ...build(path.join(work, 'seq', `b${i}`))], {env});
    if (r.code !== 0) fail(`sequential build ${i + 1}`, r);
    each.push(r.ms);
  }
  return each;
});
if (proc.interrupted) process.exit(cleanup() ? 1 : 130);
const seqWall = seq.result.reduce((a, b) => a + b, 0);

// Side by side: one vmbench, N builds.
const list = path.join(work, 'builds.txt');
writeFileSync(list, Array.from({length: N}, (_, i) => `tiny --output ${path.join(work, 'par', `b${i}`)}`).join('\n') + '\n');
const par = await withLoad(() => timed(process.execPath, [BIN, 'build', '--list', list, '--json', '--cache-dir', cache, ...(opts.jobs ? ['--jobs', opts.jobs] : [])], {env}));
if (par.result.code !== 0) fail('the side-by-side builds', par.result);
const events = par.result.lines.filter((l) => l.stream === 'stdout' && l.l.startsWith('{')).map((l) => JSON.parse(l.l));
const summary = events.find((e) => e.type === 'summary');
const waits = events.filter((e) => e.type === 'queue' && e.status === 'waiting').length;
const most = (() => {
  // The most builds running at once, from the queue's own start/exit events.
  let n = 0;
  let max = 0;
  for (const e of events.filter((x) => x.type === 'queue')) {
    if (e.status === 'started') max = Math.max(max, ++n);
    if (e.status === 'exited') n--;
  }
  return max;
})();

const left = cleanup();
console.log('');
console.log(`one after another: ${seq.result.map(s).join(', ')}; wall ${s(seqWall)}; CPU ${seq.cpuS.toFixed(1)} s; load max ${seq.loadMax.toFixed(2)}, mean ${seq.loadMean.toFixed(2)}`);
console.log(`side by side${opts.jobs ? ` (--jobs ${opts.jobs})` : ' (budget)'}: ${summary.builds.map((b) => s(b.durationMs)).join(', ')}; wall ${s(par.result.ms)}; CPU ${par.cpuS.toFixed(1)} s; load max ${par.loadMax.toFixed(2)}, mean ${par.loadMean.toFixed(2)}; at most ${most} at once, ${waits} wait(s) for room`);
console.log(`ratio side by side / one after another: wall ${(par.result.ms / seqWall).toFixed(2)} (${(seqWall / par.result.ms).toFixed(2)}× as fast), CPU ${(par.cpuS / seq.cpuS).toFixed(2)}`);
if (left) process.exit(1);
