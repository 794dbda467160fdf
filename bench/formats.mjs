#!/usr/bin/env node
// Conversion of a 1 GiB disk image to every format vmbench writes (raw, compressed qcow2,
// streamOptimized vmdk, vdi, dynamic vhd, vhdx):
//   anchor:  `qemu-img convert` once per format, one after another (what seed 001's playbook does)
//   vmbench: the convert post-processor's convertAll (dist/artifacts/disk-formats.js), side by side
// with the same qemu-img arguments. Prints each run's wall time, the ratio, each format's size
// against the virtual size, the host's CPUs and load. The image: 1 GiB virtual, ~360 MiB of data
// (random, text from /usr/share, and explicit zeros), the rest never written.
//
//   node bench/formats.mjs [--runs N]      default 1 run of each (a run is ~1-3 min on 2 cores)
import {execFileSync} from 'node:child_process';
import {mkdtempSync, readdirSync, rmSync, statSync, openSync, writeSync, closeSync, readFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {runsOption} from './lib/runs.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const {convertAll, formatArgs, DEFAULT_FORMAT_OPTIONS, EXTENSION, diskInfo} = await import(path.join(ROOT, 'dist/artifacts/disk-formats.js'));
const runs = runsOption('formats', 1);
const FORMATS = ['raw', 'qcow2', 'vmdk', 'vdi', 'vhd', 'vhdx'];
const MiB = 1024 * 1024;

const work = mkdtempSync(path.join(os.tmpdir(), 'vmbench-bench-formats-'));
let cleaned = false;
const cleanup = () => {
  if (!cleaned) rmSync(work, {recursive: true, force: true});
  cleaned = true;
};
process.on('exit', cleanup);
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130));

// The source image: a sparse raw file with data at spread-out places, converted to qcow2.
const rawSrc = path.join(work, 'src.raw');
const fd = openSync(rawSrc, 'w');
const random = Buffer.alloc(MiB);
const text = Buffer.alloc(MiB);
const corpus = Buffer.concat(readdirSync('/usr/share/common-licenses').slice(0, 20).map((f) => {
  try {
    return readFileSync(path.join('/usr/share/common-licenses', f));
  } catch {
    return Buffer.alloc(0);
  }
}));
for (let i = 0; i < MiB; i++) text[i] = corpus.length ? corpus[i % corpus.length] : 97;
for (let mib = 0; mib < 1024; mib++) {
  // 0-199: random (binaries), 400-559: text (compressible), 700-719 zeros written, rest unwritten.
  if (mib < 200) {
    for (let i = 0; i < MiB; i += 4) random.writeUInt32LE((Math.random() * 2 ** 32) >>> 0, i);
    writeSync(fd, random, 0, MiB, mib * MiB);
  } else if (mib >= 400 && mib < 560) writeSync(fd, text, 0, MiB, mib * MiB);
  else if (mib >= 700 && mib < 720) writeSync(fd, Buffer.alloc(MiB), 0, MiB, mib * MiB);
}
closeSync(fd);
execFileSync('truncate', ['-s', '1G', rawSrc]);
const src = path.join(work, 'src.qcow2');
execFileSync('qemu-img', ['convert', '-O', 'qcow2', rawSrc, src]);
rmSync(rawSrc);
const info = await diskInfo(src);
console.log(`source: ${(info.virtualSize / MiB).toFixed(0)} MiB virtual, ${(statSync(src).size / MiB).toFixed(1)} MiB qcow2; host: ${os.availableParallelism()} CPUs, ${os.cpus()[0]?.model ?? ''}`);

const targets = (dir) => FORMATS.map((f) => ({format: f, file: path.join(dir, `disk.${EXTENSION[f]}`)}));
const load = () => os.loadavg()[0].toFixed(2);

async function sequential(dir) {
  const t0 = performance.now();
  for (const t of targets(dir)) execFileSync('qemu-img', ['convert', '-f', 'qcow2', ...formatArgs(t.format, DEFAULT_FORMAT_OPTIONS), src, t.file]);
  return (performance.now() - t0) / 1000;
}
async function parallel(dir) {
  const t0 = performance.now();
  await convertAll({source: src, sourceFormat: 'qcow2', targets: targets(dir)});
  return (performance.now() - t0) / 1000;
}

const results = {anchor: [], vmbench: []};
for (let r = 1; r <= runs; r++) {
  for (const [name, fn] of [['anchor', sequential], ['vmbench', parallel]]) {
    const dir = path.join(work, `${name}-${r}`);
    execFileSync('mkdir', ['-p', dir]);
    const before = load();
    const s = await fn(dir);
    results[name].push(s);
    console.log(`run ${r}: ${name === 'anchor' ? 'qemu-img one format after another' : 'vmbench convertAll, side by side'}: ${s.toFixed(1)} s (load ${before} → ${load()})`);
    if (name === 'vmbench' && r === runs) {
      console.log('sizes (vmbench run; same as the anchor\'s, same arguments):');
      for (const t of targets(dir)) {
        const bytes = statSync(t.file).size;
        const alloc = statSync(t.file).blocks * 512;
        console.log(`  ${t.format.padEnd(6)} ${(bytes / MiB).toFixed(1).padStart(7)} MiB (${((bytes / info.virtualSize) * 100).toFixed(1).padStart(5)}% of virtual; ${(alloc / MiB).toFixed(1)} MiB allocated)`);
      }
    }
    rmSync(dir, {recursive: true, force: true});
  }
}
const median = (a) => [...a].sort((x, y) => x - y)[Math.floor((a.length - 1) / 2)];
const a = median(results.anchor);
const v = median(results.vmbench);
console.log(`\nmedian over ${runs} run(s): anchor ${a.toFixed(1)} s, vmbench ${v.toFixed(1)} s — ratio vmbench/anchor ${(v / a).toFixed(2)} (below 1: faster)`);
console.log(`target: below 1 on a host with more than one CPU (conversions side by side); ${os.availableParallelism()} CPUs here`);
cleanup();
