#!/usr/bin/env node
// Benchmark: the tiny profile built by Debian's packer 1.6.6 (the anchor) and by vmbench, same
// ISO, same boot command, same provisioning script, same disk — in one run. Prints wall time per
// stage and the ratios. Not a test: figures only.
//
//   node bench/build-vs-packer.mjs [--runs N]
import {execFileSync, spawn} from 'node:child_process';
import {cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const runs = Number(process.argv[process.argv.indexOf('--runs') + 1]) || 1;
const work = mkdtempSync(path.join(os.tmpdir(), 'vmbench-bench-'));
const cache = path.join(os.tmpdir(), 'vmbench-bench-cache');
const PASSWORD = 'vmbench';

function which(cmd) {
  try {
    return execFileSync('sh', ['-c', `command -v ${cmd}`]).toString().trim();
  } catch {
    return '';
  }
}

/** Run a command, timestamping each output line as it arrives. */
function timed(cmd, args, opts) {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const lines = [];
    const child = spawn(cmd, args, {...opts, stdio: ['ignore', 'pipe', 'pipe']});
    let buf = '';
    const onData = (d) => {
      buf += d.toString();
      const parts = buf.split('\n');
      buf = parts.pop();
      for (const l of parts) lines.push({t: performance.now() - t0, l});
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('close', (code) => resolve({code, ms: performance.now() - t0, lines}));
  });
}

const iso = execFileSync('bash', [path.join(ROOT, 'profiles/tiny/build-iso.sh'), path.join(cache, 'iso-build')]).toString().trim().split('\n').pop();

// Stages both tools go through, keyed by the line that starts each (Packer) / step ids (vmbench).
const STAGES = [
  ['setup (ISO, disk, HTTP)', /Retrieving ISO|Downloading or copying ISO/, ['fetch-iso', 'prepare-output', 'create-disk', 'ssh-key', 'serve-http']],
  ['start VM + boot wait', /Starting VM/, ['start-vm']],
  ['type boot command', /Typing the boot command/, ['type-boot-command']],
  ['wait for SSH', /Waiting for SSH/, ['wait-ssh']],
  ['provision', /Provisioning with shell/, ['provision']],
  ['shutdown', /Gracefully halting/, ['shutdown']],
  ['convert', /Converting hard drive/, ['convert']],
];

async function packerRun(i) {
  const dir = path.join(work, `packer-${i}`);
  cpSync(path.join(ROOT, 'profiles/tiny/http'), path.join(dir, 'http'), {recursive: true});
  // Packer serves http files as they are: render tiny.cfg by hand.
  writeFileSync(path.join(dir, 'http/tiny.cfg'), `hostname=tiny\nroot_password=${PASSWORD}\nauthorized_key=\n`);
  const template = {
    builders: [
      {
        type: 'qemu',
        iso_url: iso,
        iso_checksum: 'none',
        output_directory: path.join(dir, 'output'),
        vm_name: 'tiny.qcow2',
        format: 'qcow2',
        disk_size: 64,
        memory: 256,
        accelerator: 'tcg',
        headless: true,
        vnc_bind_address: '127.0.0.1',
        http_directory: path.join(dir, 'http'),
        boot_wait: '1s',
        boot_command: ['tiny url=http://{{ .HTTPIP }}:{{ .HTTPPort }}/tiny.cfg<enter>'],
        qemuargs: [['-device', 'virtio-net,netdev=user.0'], ['-device', 'virtio-rng-pci']],
        ssh_username: 'root',
        ssh_password: PASSWORD,
        ssh_timeout: '2m',
        shutdown_command: 'sync; poweroff -f',
        shutdown_timeout: '1m',
      },
    ],
    provisioners: [{type: 'shell', script: path.join(ROOT, 'profiles/tiny/scripts/provision.sh'), environment_vars: ['MARKER=bench']}],
  };
  writeFileSync(path.join(dir, 'tiny.json'), JSON.stringify(template, null, 2));
  const r = await timed('packer', ['build', '-color=false', 'tiny.json'], {
    cwd: dir,
    env: {...process.env, CHECKPOINT_DISABLE: '1', PACKER_CACHE_DIR: path.join(dir, 'cache'), PACKER_LOG: ''},
  });
  if (r.code !== 0) {
    console.error(r.lines.slice(-15).map((x) => x.l).join('\n'));
    throw new Error(`packer failed (exit ${r.code})`);
  }
  const starts = STAGES.map(([, re]) => r.lines.find((x) => re.test(x.l))?.t);
  const stages = starts.map((t, k) => (t === undefined ? NaN : (starts.slice(k + 1).find((n) => n !== undefined) ?? r.ms) - t));
  stages[0] = (starts[1] ?? 0); // everything before "Starting VM"
  return {total: r.ms, stages};
}

async function vmbenchRun(i) {
  const out = path.join(work, `vmbench-${i}`);
  const r = await timed('node', [path.join(ROOT, 'bin/vmbench'), 'build', 'tiny', '--json', '--output', out, '--cache-dir', cache, '--var', `ssh_password=${PASSWORD}`, '--var', 'marker=bench'], {
    env: {...process.env, XDG_STATE_HOME: path.join(work, 'state')},
  });
  if (r.code !== 0) {
    console.error(r.lines.slice(-15).map((x) => x.l).join('\n'));
    throw new Error(`vmbench failed (exit ${r.code})`);
  }
  const dur = {};
  for (const {l} of r.lines) {
    if (!l.startsWith('{')) continue;
    const e = JSON.parse(l);
    if (e.type === 'step' && e.status === 'done') dur[e.id] = e.durationMs;
  }
  return {total: r.ms, stages: STAGES.map(([, , ids]) => ids.reduce((s, id) => s + (dur[id] ?? 0), 0))};
}

const fmt = (ms) => (Number.isNaN(ms) ? '   n/a' : `${(ms / 1000).toFixed(2).padStart(6)}s`);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

try {
  if (!which('packer')) {
    console.log('packer is not installed: apt-get install -y packer (the anchor). Skipping.');
    process.exit(0);
  }
  const p = [];
  const v = [];
  for (let i = 0; i < runs; i++) {
    p.push(await packerRun(i));
    v.push(await vmbenchRun(i));
  }
  console.log(`tiny profile, ${runs} run(s) each, TCG, median wall time per stage`);
  console.log(`${'stage'.padEnd(26)} ${'packer'.padStart(7)} ${'vmbench'.padStart(7)}  ratio`);
  STAGES.forEach(([name], k) => {
    const a = median(p.map((x) => x.stages[k]));
    const b = median(v.map((x) => x.stages[k]));
    console.log(`${name.padEnd(26)} ${fmt(a)} ${fmt(b)}  ${Number.isNaN(a) ? '' : (b / a).toFixed(2)}`);
  });
  const a = median(p.map((x) => x.total));
  const b = median(v.map((x) => x.total));
  console.log(`${'whole build (wall)'.padEnd(26)} ${fmt(a)} ${fmt(b)}  ${(b / a).toFixed(2)}  (target < 0.70)`);
} finally {
  rmSync(work, {recursive: true, force: true});
}
