#!/usr/bin/env node
// Runs every benchmark in bench/ in sequence — startup.mjs first (a build running next to it
// would skew start-up times), then the others in name order — passing their output through.
// One benchmark failing does not stop the others; the exit status is 1 if any failed.
//
//   node bench/run.mjs [name ...]     e.g. `node bench/run.mjs startup` runs only startup.mjs
import {spawn} from 'node:child_process';
import {readdirSync} from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const self = path.basename(fileURLToPath(import.meta.url));

const all = readdirSync(HERE)
  .filter((f) => f.endsWith('.mjs') && f !== self)
  .sort((a, b) => (a === 'startup.mjs' ? -1 : b === 'startup.mjs' ? 1 : a.localeCompare(b)));
const wanted = process.argv.slice(2).map((n) => n.replace(/\.mjs$/, ''));
const unknown = wanted.filter((n) => !all.includes(`${n}.mjs`));
if (unknown.length) {
  console.error(`bench: no benchmark named ${unknown.join(', ')} (have: ${all.map((f) => f.replace(/\.mjs$/, '')).join(', ')})`);
  process.exit(2);
}
const list = wanted.length ? all.filter((f) => wanted.includes(f.replace(/\.mjs$/, ''))) : all;

let interrupted = false;
let child = null;
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    interrupted = true; // Ctrl-C reaches the running benchmark too; it cleans up and exits
    if (sig === 'SIGTERM') child?.kill('SIGTERM');
  });
}

const failed = [];
for (const f of list) {
  if (interrupted) break;
  console.log(`\n=== bench/${f} (${new Date().toISOString()}) ===`);
  const t0 = performance.now();
  const code = await new Promise((resolve) => {
    child = spawn(process.execPath, [path.join(HERE, f)], {stdio: 'inherit'});
    child.on('error', (err) => {
      console.error(`bench: ${f}: ${err.message}`);
      resolve(1);
    });
    child.on('close', (c, s) => resolve(s ? 128 : c));
  });
  child = null;
  console.log(`=== bench/${f}: ${code === 0 ? 'done' : `FAILED (exit ${code})`} in ${((performance.now() - t0) / 1000).toFixed(1)} s ===`);
  if (code !== 0) failed.push(f);
}
if (interrupted) process.exitCode = 130;
else if (failed.length) {
  console.log(`\nbench: failed: ${failed.join(', ')}`);
  process.exitCode = 1;
}
