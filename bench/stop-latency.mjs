#!/usr/bin/env node
// Benchmark: how long after the real Debian installer stops on screen (a [!!] dialog: here the
// mirror 404s its components) each tool tells the user. An independent VNC viewer (QEMU's VNC
// server is shared) notes when the dialog first shows; vmbench's time is its 'diagnosis' event,
// the anchor is Debian's packer 1.6.6 on the same ISO, preseed and boot command, which says
// nothing until ssh_timeout runs out ("Timeout waiting for SSH") — here 10m (it must outlast the
// installer's way to the stop, ~4-5 min under TCG, or Packer gives up first), in real templates
// often 20m-60m. Target for vmbench: < 10 s. Figures only; not a test.
//
//   node bench/stop-latency.mjs [--no-packer] [--ssh-timeout 10m]
import {spawn} from 'node:child_process';
import {cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {parseArgs} from 'node:util';
import {ROOT, installerIso, readerFonts, vmbenchBuild, watchScreenFor} from '../scripts/lib/installer-run.mjs';

const {values: opt} = parseArgs({options: {'no-packer': {type: 'boolean'}, 'ssh-timeout': {type: 'string', default: '10m'}}});
const STOP = /\[!!\]/;
const work = mkdtempSync(path.join(os.tmpdir(), 'vmbench-bench-stop-'));
const s = (ms) => (ms === undefined ? 'n/a' : `${(ms / 1000).toFixed(1)} s`);
const {iso, cache} = await installerIso();
const fonts = await readerFonts(iso, cache);
const {hostAptMirror} = await import(path.join(ROOT, 'dist/profiles/host-apt.js'));
const mirrorHost = hostAptMirror('hostname');
const mirrorDir = hostAptMirror('directory');

async function vmbench() {
  const r = await vmbenchBuild(path.join(ROOT, 'profiles/debian-12'), ['--force', '--var', `iso_url=${iso}`, '--var', 'iso_checksum=none', '--cache-dir', cache, '--output', path.join(work, 'out'), '--log-dir', path.join(work, 'log')], {fonts, watch: STOP});
  const named = r.events.find((e) => e.type === 'diagnosis')?.time;
  return {seen: r.seenAt, told: named, wall: r.wallMs, said: r.events.find((e) => e.type === 'diagnosis')?.cause, started: r.started};
}

async function packer() {
  const dir = path.join(work, 'packer');
  mkdirSync(path.join(dir, 'tmp'), {recursive: true});
  // Packer serves files as they are: the preseed with the profile's variables filled in by hand.
  cpSync(path.join(ROOT, 'profiles/debian-12/http'), path.join(dir, 'http'), {recursive: true});
  const p = path.join(dir, 'http/preseed.cfg');
  writeFileSync(p, readFileSync(p, 'utf8').replaceAll('{{ user `mirror_host` }}', mirrorHost).replaceAll('{{ user `mirror_dir` }}', mirrorDir).replaceAll('{{ user `root_password` }}', 'vmbench'));
  const template = {
    builders: [
      {
        type: 'qemu', iso_url: iso, iso_checksum: 'none', output_directory: path.join(dir, 'output'), vm_name: 'debian-12.qcow2',
        format: 'qcow2', disk_size: 4096, memory: 1024, cpus: 2, accelerator: 'tcg', headless: true, vnc_bind_address: '127.0.0.1',
        http_directory: path.join(dir, 'http'), boot_wait: '5s',
        boot_command: ['<esc><wait>', 'install auto=true priority=critical ', 'url=http://{{ .HTTPIP }}:{{ .HTTPPort }}/preseed.cfg ', 'netcfg/get_hostname=debian-12 netcfg/get_domain=localdomain ', '<enter>'],
        qemuargs: [['-device', 'virtio-net,netdev=user.0']],
        ssh_username: 'root', ssh_password: 'vmbench', ssh_timeout: opt['ssh-timeout'], shutdown_command: 'shutdown -P now',
      },
    ],
  };
  writeFileSync(path.join(dir, 'debian.json'), JSON.stringify(template, null, 2));
  const started = Date.now();
  const child = spawn('packer', ['build', '-color=false', 'debian.json'], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {...process.env, CHECKPOINT_DISABLE: '1', PACKER_CACHE_DIR: path.join(dir, 'cache'), PACKER_CONFIG_DIR: path.join(dir, 'config'), PACKER_TMP_DIR: path.join(dir, 'tmp'), TMPDIR: path.join(dir, 'tmp'), PACKER_NO_COLOR: '1'},
  });
  let out = '';
  let observer;
  let told;
  child.stdout.on('data', (d) => {
    out += d;
    const vnc = /Connecting to VM via VNC \(127\.0\.0\.1:(\d+)\)/.exec(out);
    if (vnc && !observer) observer = watchScreenFor(Number(vnc[1]), fonts, STOP);
    if (told === undefined && /Timeout waiting for SSH|Build 'qemu' errored/.test(out)) told = Date.now();
  });
  child.stderr.on('data', (d) => (out += d));
  await new Promise((r) => child.on('exit', r));
  const obs = observer && (await observer);
  obs?.stop();
  const seen = obs ? await Promise.race([obs.seen, new Promise((r) => setTimeout(() => r(undefined), 100))]) : undefined;
  const said = /(Build 'qemu' errored[^\n]*|Timeout waiting for SSH[^\n]*)/.exec(out)?.[1];
  return {seen, told, wall: Date.now() - started, said, started};
}

try {
  const v = await vmbench();
  const rows = [['vmbench', v]];
  if (!opt['no-packer']) rows.push([`packer 1.6.6 (ssh_timeout ${opt['ssh-timeout']})`, await packer()]);
  console.log('\nstop on screen → named (the real Debian installer, TCG)');
  console.log('tool                              stop seen   told      seen→told   what it said');
  for (const [name, r] of rows) {
    const lat = r.seen !== undefined && r.told !== undefined ? r.told - r.seen : undefined;
    r.latency = lat;
    console.log(`${name.padEnd(33)} ${s(r.seen && r.seen - r.started).padStart(9)} ${s(r.told && r.told - r.started).padStart(9)} ${s(lat).padStart(10)}   ${(r.said ?? '').slice(0, 90)}`);
  }
  const [[, a], b] = rows;
  if (b && a.latency !== undefined && b[1].latency !== undefined) console.log(`\nratio vmbench / packer: ${(a.latency / b[1].latency).toFixed(3)} (target for vmbench: < 10 s)`);
} finally {
  rmSync(work, {recursive: true, force: true});
}
