#!/usr/bin/env node
// Benchmark: the Debian 12 cloud-image build — vmbench's debian-12-cloud profile against Debian's
// packer 1.6.6 (the anchor) doing the same work on the same image: the same cloud-init user-data
// (the profile's, with the host's apt mirrors filled in, the build's public key for `debian`),
// the same wait for cloud-init, the same provisioning script (environment and execute_command
// taken from the profile), the same ansible playbook, the same clean-up before shutdown (vmbench's
// own script and key removal), the same disk size, memory, CPUs and output format. Prints wall
// time per stage and the ratios. Not a test: figures only (exit 0 unless a build fails or
// something is left running).
//
//   node bench/cloud-vs-packer.mjs [--runs N] [--show-output] [--packages "LIST"] [--image FILE] [--keep]
//
//   --runs N           N builds with each tool (alternating which goes first); medians are printed
//   --show-output      also print every output line of the first run of each tool, timestamped
//   --packages LIST    what provision.sh installs, given to both (default: the profile's, jq;
//                      "" installs nothing and skips apt entirely)
//   --image FILE       a Debian 12 cloud qcow2 of your own instead of the fixture image
//   --keep             keep the temporary directory (templates, seeds, images, logs) and say where
//
// The image: scripts/fixtures/debian-cloud-image.sh (a Debian 12 cloud-style qcow2 built from
// Debian packages, cached by content) in $VMBENCH_TEST_CACHE/fixtures — the end-to-end test's
// cache (default $TMPDIR/vmbench-test-cache), so one image serves both.
//
// How stages are measured:
//   Packer   each stage runs from the UI line that starts it ("==> qemu: Starting VM, …") to the
//            line that starts the next stage; the last one ends at "Build 'qemu' finished".
//            Provisioners are told apart by their order ("Provisioning with shell script" ×3,
//            "Provisioning with Ansible..." between the 2nd and 3rd). The seed (key pair,
//            user-data, cloud-localds) is work a Packer user does by hand before `packer build`:
//            the benchmark times it and adds it to Packer's whole.
//            A stage whose start line is missing is n/a (never guessed).
//   vmbench  the durationMs of the steps' "done" events in its --json output; its one provision
//            step is split at the event that says provision.sh exited (event times).
//   other    whole wall time minus the stages: process start-up and exit, gaps between steps.
//   whole    wall time, spawn to exit (Packer: plus the seed made before it).
import {execFile, execFileSync} from 'node:child_process';
import {existsSync, linkSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs';
import {readdir, readFile} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {run as proc, timed} from './lib/timed.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PROFILE = 'debian-12-cloud';
const PROFILE_DIR = path.join(ROOT, 'profiles', PROFILE);
const NAME = 'cloud-vs-packer';
const USAGE = `usage: node bench/${NAME}.mjs [--runs N] [--show-output] [--packages "LIST"] [--image FILE] [--keep]`;

function parseArgs(argv) {
  const opts = {runs: 1, showOutput: false, packages: undefined, image: undefined, keep: false};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => (a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i]);
    if (a === '--runs' || a.startsWith('--runs=')) {
      const v = value();
      opts.runs = Number(v);
      if (!Number.isInteger(opts.runs) || opts.runs < 1) {
        console.error(`${NAME}: --runs needs a whole number ≥ 1, got ${v ?? '(nothing)'}\n${USAGE}`);
        process.exit(2);
      }
    } else if (a === '--packages' || a.startsWith('--packages=')) {
      const v = value();
      if (v === undefined || !/^[\w.+:\- ]*$/.test(v)) {
        console.error(`${NAME}: --packages needs a space-separated list of package names, got ${v ?? '(nothing)'}\n${USAGE}`);
        process.exit(2);
      }
      opts.packages = v.trim();
    } else if (a === '--image' || a.startsWith('--image=')) {
      const v = value();
      if (!v || !existsSync(v)) {
        console.error(`${NAME}: --image needs an existing qcow2 file, got ${v ?? '(nothing)'}\n${USAGE}`);
        process.exit(2);
      }
      opts.image = path.resolve(v);
    } else if (a === '--keep') {
      opts.keep = true;
    } else if (a === '--show-output') {
      opts.showOutput = true;
    } else {
      console.error(`${NAME}: unknown option ${a}\n${USAGE}`);
      process.exit(2);
    }
  }
  return opts;
}
const opts = parseArgs(process.argv.slice(2));

function which(cmd) {
  try {
    return execFileSync('sh', ['-c', 'command -v "$1"', 'sh', cmd]).toString().trim();
  } catch {
    return '';
  }
}

/** `pgrep -a qemu-system` as [{pid, cmd}] (empty when none or pgrep is missing). */
function qemuProcesses() {
  try {
    return execFileSync('pgrep', ['-a', 'qemu-system'])
      .toString()
      .split('\n')
      .filter(Boolean)
      .map((l) => ({pid: Number(l.slice(0, l.indexOf(' '))), cmd: l.slice(l.indexOf(' ') + 1)}));
  } catch {
    return [];
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/** A POSIX shell single-quoted word. */
const quote = (s) => `'${s.replace(/'/g, `'\\''`)}'`;

// ------------------------------------------------------------------ stages
// Rows of the table, in build order. `packer`: how the stage is cut from Packer's output (see
// packerStages); `steps`: vmbench step ids whose durations add up to the stage (`optional` ones
// count when they ran; a stage is n/a when a required one reported no duration).
const STAGES = [
  {name: 'prepare (image, copy + resize disk)', steps: ['create-disk'], optional: ['fetch-iso', 'prepare-output', 'create-media', 'serve-http', 'prepare-efivars']},
  {name: 'seed (key, user-data, ISO)', steps: ['ssh-key', 'cloud-seed']},
  {name: 'boot to SSH', steps: ['start-vm', 'wait-ssh'], optional: ['type-boot-command']},
  {name: 'cloud-init wait', steps: ['cloud-init']},
  {name: 'provision: shell (provision.sh)', split: 'shell'},
  {name: 'provision: ansible (playbook.yml)', split: 'ansible'},
  {name: 'clean (cloud-init state, key)', steps: ['cloud-clean', 'clear-keys']},
  {name: 'shutdown', steps: ['shutdown']},
  {name: 'convert / compact', steps: ['convert'], optional: ['post-process']},
];
const SEED = 1; // the row Packer's seed (made by hand, before packer build) goes in

const UI = (re) => new RegExp(`^==> [\\w-]+: ${re}`);
const P_PREPARE = UI('Retrieving ISO');
const P_START = UI('Starting VM');
const P_PROVISIONER = UI('Provisioning with (shell script|Ansible)');
const P_HALT = UI('Gracefully halting');
const P_CONVERT = UI('Converting hard drive');
const P_END = /^Build '[\w-]+' finished/;

/**
 * Per-stage ms from Packer's timestamped lines: each stage from its start line to the next
 * stage's. The four provisioners are told apart by order: shell (cloud-init wait), shell
 * (provision.sh), ansible, shell (clean-up).
 */
function packerStages(lines, seedMs) {
  const first = (re) => lines.find((x) => re.test(x.l))?.t;
  const prov = lines.filter((x) => P_PROVISIONER.test(x.l));
  const kinds = prov.map((x) => (/Ansible/.test(x.l) ? 'ansible' : 'shell')).join(',');
  const provAt = kinds === 'shell,shell,ansible,shell' ? prov.map((x) => x.t) : [undefined, undefined, undefined, undefined];
  // Boundaries: start of each stage (the seed is not in Packer's output), then the end.
  const starts = [first(P_PREPARE), undefined, first(P_START), ...provAt, first(P_HALT), first(P_CONVERT)];
  const end = first(P_END);
  const stages = starts.map((t, k) => {
    if (k === SEED) return seedMs;
    if (t === undefined) return NaN;
    const n = k + 1 === SEED ? k + 2 : k + 1;
    const next = n < starts.length ? starts[n] : end;
    return next === undefined ? NaN : next - t; // the next boundary is missing: n/a, not a guess
  });
  return {stages, provisioners: kinds};
}

// ------------------------------------------------------------------ set-up
const missing = ['packer', 'cloud-localds', 'ssh-keygen', 'qemu-img'].filter((c) => !which(c));
if (missing.length) {
  console.log(`${NAME}: ${missing.join(', ')} not installed (packer is the anchor: apt-get install -y packer cloud-image-utils) — skipped.`);
  process.exit(0);
}
for (const f of ['dist/profiles/loader.js', 'dist/cloud/nocloud.js', 'dist/engine/steps/cloud-init.js', 'dist/engine/steps/clear-keys.js']) {
  if (!existsSync(path.join(ROOT, f))) {
    console.error(`${NAME}: ${f} is missing: build vmbench first (npx tsc -p tsconfig.json)`);
    process.exit(1);
  }
}
// vmbench's own code for what Packer must be given the same: the profile as vmbench loads it
// (variables filled the way vmbench fills them: the host's apt mirrors), its NoCloud user-data
// with a key merged in, its clean-up script and its key-removal command.
const {loadProfile} = await import(path.join(ROOT, 'dist/profiles/loader.js'));
const {nocloudSeed, seedHostname} = await import(path.join(ROOT, 'dist/cloud/nocloud.js'));
const {CLOUD_CLEAN_SCRIPT} = await import(path.join(ROOT, 'dist/engine/steps/cloud-init.js'));
const {clearKeyCommand} = await import(path.join(ROOT, 'dist/engine/steps/clear-keys.js'));

const work = mkdtempSync(path.join(os.tmpdir(), 'vmbench-bench-cloud-'));
const cache = path.join(os.tmpdir(), 'vmbench-bench-cache'); // vmbench's --cache-dir, kept
const fixtureCache = path.join(process.env.VMBENCH_TEST_CACHE ?? path.join(os.tmpdir(), 'vmbench-test-cache'), 'fixtures');
const state = path.join(work, 'state'); // vmbench's XDG_STATE_HOME for this benchmark

/** Our QEMUs are the ones whose command line names a path under `work` (their disk, the seed). */
const ours = () => qemuProcesses().filter((p) => p.cmd.includes(work));

/** After a build: wait up to 5 s for its QEMUs to go; report (and stop) any that stay. */
const leftovers = [];
async function checkNoQemuLeft(tool, i) {
  for (let k = 0; k < 50 && ours().length; k++) await sleep(100);
  for (const p of ours()) {
    leftovers.push(`${tool} run ${i + 1} left QEMU pid ${p.pid} running: ${p.cmd.slice(0, 160)}`);
    try {
      process.kill(p.pid, 'SIGKILL'); // started by this benchmark (its path is ours): never left behind
    } catch {
      // already gone
    }
  }
}

const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  } catch {
    return 100;
  }
})();

/** Every process as pid → {ppid, comm, cpuMs (its own user + system time)}, read from /proc. */
async function processTable() {
  const table = new Map();
  const pids = (await readdir('/proc').catch(() => [])).filter((d) => /^\d+$/.test(d));
  await Promise.all(
    pids.map(async (d) => {
      const st = await readFile(`/proc/${d}/stat`, 'utf8').catch(() => '');
      const close = st.lastIndexOf(')');
      if (close < 0) return;
      const f = st.slice(close + 2).split(' '); // from field 3 (state): ppid is f[1], utime f[11], stime f[12]
      table.set(Number(d), {ppid: Number(f[1]), comm: st.slice(st.indexOf('(') + 1, close), cpuMs: ((Number(f[11]) + Number(f[12])) * 1000) / CLK_TCK});
    }),
  );
  return table;
}

/**
 * Load on the machine during a build, sampled every second: the highest 1-min load average, the
 * most QEMUs of other people (not started by this benchmark) running at the same time, and the
 * CPU time of the build's own processes: its QEMU (the guest's work) and the tool (the processes
 * under the build named like the one started — node for vmbench, packer and its plugins for
 * Packer; not ansible, ssh or qemu-img). Each process's last sample counts (up to 1 s of its
 * CPU time may be missed at its exit). Call the returned function when the build ends.
 */
function watchLoad() {
  const seen = {load1: 0, otherQemus: 0, qemuCpuMs: 0, toolCpuMs: 0};
  const cpu = new Map(); // pid → {kind, cpuMs}
  let busy = false;
  const sample = () => {
    seen.load1 = Math.max(seen.load1, os.loadavg()[0]);
    // asynchronous, so the sampling never delays the timestamping of the build's output lines
    execFile('pgrep', ['-a', 'qemu-system'], (_err, stdout) => {
      const others = String(stdout ?? '').split('\n').filter((l) => l && !l.includes(work)).length;
      seen.otherQemus = Math.max(seen.otherQemus, others);
    });
    const root = proc.current?.pid;
    if (root === undefined || busy) return;
    busy = true;
    processTable()
      .then((table) => {
        const rootComm = table.get(root)?.comm;
        const children = new Map();
        for (const [pid, p] of table) children.set(p.ppid, [...(children.get(p.ppid) ?? []), pid]);
        const queue = [root];
        while (queue.length) {
          const pid = queue.shift();
          const p = table.get(pid);
          if (!p) continue;
          const kind = p.comm.startsWith('qemu-system') ? 'qemu' : p.comm === rootComm ? 'tool' : undefined;
          if (kind) cpu.set(pid, {kind, cpuMs: Math.max(cpu.get(pid)?.cpuMs ?? 0, p.cpuMs)});
          queue.push(...(children.get(pid) ?? []));
        }
      })
      .finally(() => (busy = false));
  };
  sample();
  const timer = setInterval(sample, 1000);
  return () => {
    clearInterval(timer);
    for (const {kind, cpuMs} of cpu.values()) seen[kind === 'qemu' ? 'qemuCpuMs' : 'toolCpuMs'] += cpuMs;
    return seen;
  };
}

/** Bytes a file takes on disk (allocated blocks) and its apparent size. */
function sizes(file) {
  const s = statSync(file);
  return {apparent: s.size, allocated: s.blocks * 512};
}

// ------------------------------------------------------------------ Packer
/** The Packer JSON template for run `dir`: the profile's build, spelled for Packer 1.6.6. */
function packerTemplate(profile, image, dir, seedIso, keyFile) {
  const [shell, ansible] = profile.provisioners;
  const ansibleDir = path.join(dir, 'ansible');
  return {
    builders: [
      {
        type: 'qemu',
        vm_name: profile.vm_name,
        output_directory: path.join(dir, 'output'),
        disk_image: true,
        iso_url: image,
        iso_checksum: 'none',
        iso_target_extension: profile.iso_target_extension,
        format: profile.format,
        disk_size: `${profile.disk_size}M`,
        // The profile's disk and machine settings, spelled the same in Packer 1.6.6.
        disk_interface: profile.disk_interface,
        disk_cache: profile.disk_cache,
        disk_discard: profile.disk_discard,
        disk_detect_zeroes: profile.disk_detect_zeroes,
        disk_compression: profile.disk_compression,
        skip_compaction: profile.skip_compaction,
        skip_resize_disk: profile.skip_resize_disk,
        use_backing_file: profile.use_backing_file,
        net_device: profile.net_device,
        machine_type: profile.machine_type,
        accelerator: 'tcg', // Packer's own choice here is kvm (/dev/kvm opens), whose guest never boots
        memory: profile.memory,
        cpus: profile.cpus,
        headless: true,
        // The seed as a CD. Not -drive: in Packer 1.6.6 a -drive in qemuargs replaces all of
        // Packer's own -drive arguments (the disk too); -cdrom is a key of its own.
        qemuargs: [['-cdrom', seedIso]],
        communicator: 'ssh',
        ssh_username: profile.ssh_username,
        ssh_private_key_file: keyFile,
        ssh_timeout: '20m',
        // Default 10: an sshd restarted while cloud-init writes its config should not end the build.
        ssh_handshake_attempts: 50,
        shutdown_command: profile.shutdown_command,
      },
    ],
    provisioners: [
      // vmbench's cloud-init step.
      {type: 'shell', inline: ['cloud-init status --wait --long']},
      // The profile's shell provisioner, as it is.
      {type: 'shell', script: path.resolve(PROFILE_DIR, shell.script), environment_vars: shell.environment_vars, execute_command: shell.execute_command},
      // The profile's playbook, straight to the guest's forwarded port with the build key (no
      // proxy adapter), with the ansible settings vmbench gives it (nothing written to ~/.ssh
      // or ~/.ansible).
      {
        type: 'ansible',
        playbook_file: path.resolve(PROFILE_DIR, ansible.playbook_file),
        user: profile.ssh_username,
        use_proxy: false,
        ansible_env_vars: [
          'ANSIBLE_HOST_KEY_CHECKING=False',
          'ANSIBLE_NOCOLOR=1',
          'ANSIBLE_FORCE_COLOR=0',
          'ANSIBLE_RETRY_FILES_ENABLED=False',
          `ANSIBLE_LOCAL_TEMP=${path.join(ansibleDir, 'tmp')}`,
          `ANSIBLE_SSH_CONTROL_PATH_DIR=${path.join(ansibleDir, 'cp')}`,
          'ANSIBLE_SSH_COMMON_ARGS=-o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o IdentitiesOnly=yes',
          'PYTHONUNBUFFERED=1',
        ],
      },
      // vmbench's cloud-clean and clear-keys steps: its clean-up script as root, then the build
      // key out of authorized_keys (seed 000 does the latter in its shutdown_command).
      {type: 'shell', inline: [`sudo -n sh -c ${quote(CLOUD_CLEAN_SCRIPT)}`, `sh -c ${quote(clearKeyCommand(readFileSync(`${keyFile}.pub`, 'utf8')))}`]},
    ],
  };
}

async function packerRun(profile, image, i) {
  const dir = path.join(work, `packer-${i}`);
  const tmp = path.join(dir, 'tmp');
  mkdirSync(tmp, {recursive: true});
  for (const d of ['tmp', 'cp']) mkdirSync(path.join(dir, 'ansible', d), {recursive: true, mode: 0o700});
  const log = path.join(dir, 'packer.log');

  // The seed, by hand, as seed 000 does it: a key pair, user-data with its public key, meta-data,
  // cloud-localds. The user-data is what vmbench would write (the profile's, keys merged in).
  const t0 = performance.now();
  const keyFile = path.join(dir, 'id_ed25519');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `packer-bench-${i}`, '-f', keyFile]);
  const files = nocloudSeed({
    options: profile.cloud_init,
    username: profile.ssh_username,
    publicKeys: [readFileSync(`${keyFile}.pub`, 'utf8')],
    instanceId: `packer-bench-${i}`,
    hostname: seedHostname(profile.vm_name),
  });
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  const seedIso = path.join(dir, 'seed.iso');
  execFileSync('cloud-localds', [seedIso, path.join(dir, 'user-data'), path.join(dir, 'meta-data')], {stdio: ['ignore', 'ignore', 'pipe']});
  const seedMs = performance.now() - t0;

  const template = path.join(dir, 'debian-12-cloud.json');
  writeFileSync(template, `${JSON.stringify(packerTemplate(profile, image, dir, seedIso, keyFile), null, 2)}\n`);
  const stopWatch = watchLoad();
  const r = await timed('packer', ['build', '-color=false', template], {
    cwd: dir,
    env: {
      ...process.env,
      CHECKPOINT_DISABLE: '1', // no update check over the network
      PACKER_CACHE_DIR: path.join(dir, 'cache'),
      PACKER_CONFIG_DIR: path.join(dir, 'config'), // nothing written to ~/.packer.d
      PACKER_TMP_DIR: tmp,
      TMPDIR: tmp, // plugin sockets and any temp files land in our work dir
      PACKER_LOG: '1', // the detailed log goes to a file (stdout stays the UI): SSH attempts
      PACKER_LOG_PATH: log,
      PACKER_NO_COLOR: '1',
    },
  });
  const load = stopWatch();
  await checkNoQemuLeft('packer', i);
  if (r.code !== 0) {
    console.error(r.lines.slice(-25).map((x) => x.l).join('\n'));
    throw new Error(`packer failed (${r.signal ?? `exit ${r.code}`}); its log: ${log}${opts.keep ? '' : ' (removed on exit; --keep keeps it)'}`);
  }
  const {stages, provisioners} = packerStages(r.lines, seedMs);
  const detail = existsSync(log) ? readFileSync(log, 'utf8') : '';
  const sshAttempts = (detail.match(/\[DEBUG\] TCP connection to SSH ip\/port failed|Attempting SSH connection/g) ?? []).length;
  const image2 = path.join(dir, 'output', profile.vm_name);
  return {tool: 'packer', total: r.ms + seedMs, processMs: r.ms, stages, lines: r.lines, load, image: existsSync(image2) ? sizes(image2) : undefined, notes: {sshAttempts, provisioners}};
}

// ------------------------------------------------------------------ vmbench
async function vmbenchRun(image, i) {
  const dir = path.join(work, `vmbench-${i}`);
  const tmp = path.join(dir, 'tmp');
  mkdirSync(tmp, {recursive: true});
  const out = path.join(dir, 'out');
  const stopWatch = watchLoad();
  const vars = ['--var', `image_url=${image}`, '--var', 'image_checksum=none'];
  if (opts.packages !== undefined) vars.push('--var', `packages=${opts.packages}`);
  const r = await timed('node', [path.join(ROOT, 'bin/vmbench'), 'build', PROFILE, ...vars, '--output', out, '--json', '--cache-dir', cache], {
    cwd: dir,
    env: {...process.env, XDG_STATE_HOME: state, TMPDIR: tmp},
  });
  const load = stopWatch();
  await checkNoQemuLeft('vmbench', i);
  if (r.code !== 0) {
    console.error(r.lines.slice(-25).map((x) => x.l).join('\n'));
    throw new Error(`vmbench failed (${r.signal ?? `exit ${r.code}`})`);
  }
  const events = [];
  for (const {l} of r.lines) {
    if (!l.startsWith('{')) continue;
    try {
      events.push(JSON.parse(l));
    } catch {
      // not an event
    }
  }
  const dur = {};
  const at = {};
  for (const e of events) {
    if (e.type !== 'step') continue;
    if (e.status === 'done') dur[e.id] = e.durationMs;
    if (e.status === 'running' && at[e.id] === undefined) at[e.id] = e.time;
  }
  // The provision step holds both provisioners: cut it where provision.sh said it exited.
  const logAt = (re) => events.find((e) => e.type === 'log' && re.test(e.line))?.time;
  const shellEnd = logAt(/^provision\.sh: exit \d+ after/);
  const shellMs = shellEnd !== undefined && at.provision !== undefined ? shellEnd - at.provision : NaN;
  const stages = STAGES.map((s) => {
    if (s.split === 'shell') return shellMs;
    if (s.split === 'ansible') return typeof dur.provision === 'number' ? dur.provision - shellMs : NaN;
    if (!s.steps.every((id) => typeof dur[id] === 'number')) return NaN; // n/a, as for Packer
    return [...s.steps, ...(s.optional ?? [])].reduce((sum, id) => sum + (typeof dur[id] === 'number' ? dur[id] : 0), 0);
  });
  const ranSteps = Object.keys(dur);
  const counted = new Set(STAGES.flatMap((s) => [...(s.steps ?? []), ...(s.optional ?? []), ...(s.split ? ['provision'] : [])]));
  const uncounted = ranSteps.filter((id) => !counted.has(id));
  const sshLine = events.find((e) => e.type === 'log' && /SSH connected .* after (\d+) attempt/.test(e.line))?.line;
  const kvmAt = logAt(/^(KVM unusable|accelerator: kvm)/);
  const probeCached = events.some((e) => e.type === 'log' && /probed earlier this boot/.test(e.line));
  const artifact = events.find((e) => e.type === 'artifact');
  return {
    tool: 'vmbench',
    total: r.ms,
    processMs: r.ms,
    stages,
    lines: r.lines,
    load,
    image: artifact && existsSync(artifact.path) ? sizes(artifact.path) : undefined,
    notes: {
      sshAttempts: Number(sshLine?.match(/after (\d+) attempt/)?.[1] ?? NaN),
      probe: kvmAt === undefined ? 'none' : probeCached ? 'cached' : `ran (${((kvmAt - at['start-vm']) / 1000).toFixed(1)}s into start-vm)`,
      uncounted,
    },
  };
}

// ------------------------------------------------------------------ printing
const fmt = (ms) => (Number.isFinite(ms) ? `${(ms / 1000).toFixed(1)}s` : 'n/a').padStart(8);
const ratio = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && a > 0 ? (b / a).toFixed(2) : 'n/a').padStart(6);
const mib = (b) => `${(b / 1048576).toFixed(1)} MiB`;
/** Median; NaN if any value is NaN (a stage that could not be measured in some run). */
function median(xs) {
  if (xs.some((x) => !Number.isFinite(x))) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
/** Whole minus the stages (NaN if a stage is n/a). */
const other = (x) => x.total - x.stages.reduce((s, v) => s + v, 0);

function showOutput(run) {
  console.log(`\n--- ${run.tool}: every output line of run 1 (seconds since spawn) ---`);
  for (const {t, l} of run.lines) {
    let text = l;
    if (run.tool === 'vmbench' && l.startsWith('{')) {
      try {
        const e = JSON.parse(l);
        if (e.type === 'step' && e.status === 'pending') continue;
        if (e.type === 'progress') continue;
        text = e.type === 'step' ? `[step] ${e.id} ${e.status}${e.durationMs !== undefined ? ` ${e.durationMs} ms` : ''}` : e.type === 'log' ? `[${e.source}/${e.stream}] ${e.line}` : `[${e.type}] ${e.key ?? e.status ?? e.path ?? e.name ?? ''} ${e.value ?? e.event ?? ''}`;
      } catch {
        // print as is
      }
    }
    console.log(`${(t / 1000).toFixed(3).padStart(8)}  ${text.slice(0, 200)}`);
  }
}

// ------------------------------------------------------------------ main
let failed = false;
try {
  const packerVersion = execFileSync('packer', ['version'], {env: {...process.env, CHECKPOINT_DISABLE: '1'}}).toString().split('\n')[0].trim();
  const qemuBefore = qemuProcesses();
  const loadBefore = os.loadavg();
  if (!opts.image) process.stderr.write(`${NAME}: the Debian cloud image (scripts/fixtures/debian-cloud-image.sh ${fixtureCache})…\n`);
  const source = opts.image ?? execFileSync('bash', [path.join(ROOT, 'scripts/fixtures/debian-cloud-image.sh'), fixtureCache], {stdio: ['ignore', 'pipe', 'inherit']}).toString().trim().split('\n').pop();
  // A hard link in our own directory, so the image stays for every run even if the fixture
  // script replaces it in its cache meanwhile (it removes earlier versions' images); the
  // original path when the link cannot be made (another file system).
  let image = path.join(work, path.basename(source));
  try {
    linkSync(source, image);
  } catch {
    image = source;
  }
  const vars = {image_url: image, image_checksum: 'none'};
  if (opts.packages !== undefined) vars.packages = opts.packages;
  const {profile} = loadProfile(PROFILE_DIR, {vars});
  const [shell, ansible] = profile.provisioners;
  if (profile.provisioners.length !== 2 || shell.type !== 'shell' || !shell.script || ansible.type !== 'ansible' || !profile.cloud_init?.wait || !profile.cloud_init?.clean) {
    throw new Error(`${PROFILE} no longer is cloud-init wait + one shell script + one ansible playbook + clean-up: update this benchmark's Packer template`);
  }
  const packages = profile.provisioners[0].environment_vars.find((v) => v.startsWith('PACKAGES='))?.slice('PACKAGES='.length) ?? '';

  const p = [];
  const v = [];
  for (let i = 0; i < opts.runs && !proc.interrupted; i++) {
    // Alternate the order so a change in machine load doesn't always hit the same tool.
    const order = i % 2 === 0 ? ['packer', 'vmbench'] : ['vmbench', 'packer'];
    for (const tool of order) {
      if (proc.interrupted) break;
      process.stderr.write(`${NAME}: run ${i + 1}/${opts.runs}: ${tool}… (load ${os.loadavg()[0].toFixed(2)})\n`);
      if (tool === 'packer') p.push(await packerRun(profile, image, i));
      else v.push(await vmbenchRun(image, i));
      const last = tool === 'packer' ? p.at(-1) : v.at(-1);
      process.stderr.write(`${NAME}: run ${i + 1}/${opts.runs}: ${tool} done in ${fmt(last.total).trim()}\n`);
    }
  }
  if (proc.interrupted) throw new Error('interrupted');

  if (opts.showOutput) {
    showOutput(p[0]);
    showOutput(v[0]);
    console.log('');
  }

  const cores = os.cpus().length;
  console.log(`${NAME}: ${PROFILE} from ${path.basename(image)} (${mib(statSync(image).size)}), packages "${packages}", ${opts.runs} run(s) per tool, TCG, ${cores} core(s); ${packerVersion} vs vmbench`);
  console.log('median wall time per stage (Packer: from the stage\'s start line to the next one; vmbench: step durations)');
  console.log(`${'stage'.padEnd(38)} ${'packer'.padStart(8)} ${'vmbench'.padStart(8)} ${'ratio'.padStart(6)}`);
  const row = (name, a, b, extra = '') => console.log(`${name.padEnd(38)} ${fmt(a)} ${fmt(b)} ${ratio(a, b)}${extra}`);
  STAGES.forEach((s, k) => row(s.name, median(p.map((x) => x.stages[k])), median(v.map((x) => x.stages[k])), k === SEED ? '  (Packer: by hand before packer build)' : ''));
  row('other (start-up, exit, gaps)', median(p.map(other)), median(v.map(other)));
  row('whole build (wall)', median(p.map((x) => x.total)), median(v.map((x) => x.total)), '  (Packer: seed + packer build)');

  console.log('\noutput image (allocated on disk / apparent size):');
  for (const [tool, runs] of [['packer', p], ['vmbench', v]]) {
    const img = runs.map((x) => x.image);
    console.log(`  ${tool.padEnd(7)} ${img.map((s) => (s ? `${mib(s.allocated)} / ${mib(s.apparent)}` : 'missing')).join(', ')}`);
  }

  console.log('\nper run (whole build, wall):');
  const runLine = (x, i) =>
    `  ${x.tool.padEnd(7)} run ${i + 1}: ${fmt(x.total).trim().padStart(7)}  (max load ${x.load.load1.toFixed(2)}, up to ${x.load.otherQemus} other QEMU(s) running)  CPU: QEMU ${fmt(x.load.qemuCpuMs).trim()}, ${x.tool === 'packer' ? 'packer processes' : 'vmbench (node)'} ${fmt(x.load.toolCpuMs).trim()}`;
  p.forEach((x, i) => console.log(`${runLine(x, i)}  seed ${fmt(x.stages[SEED]).trim()} + packer build ${fmt(x.processMs).trim()}, ssh attempts ${x.notes.sshAttempts}`));
  v.forEach((x, i) => console.log(`${runLine(x, i)}  ssh attempts ${x.notes.sshAttempts}, KVM probe ${x.notes.probe}${x.notes.uncounted.length ? `, steps in "other": ${x.notes.uncounted.join(' ')}` : ''}`));

  const qemuAfter = qemuProcesses();
  const fmtPids = (xs) => (xs.length ? xs.map((x) => x.pid).join(' ') : 'none');
  console.log(`\nload average before: ${loadBefore.map((l) => l.toFixed(2)).join(' ')}; after: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log(`qemu-system processes before: ${fmtPids(qemuBefore)}; after: ${fmtPids(qemuAfter)} (other people's are only reported)`);
  if (leftovers.length) {
    failed = true;
    for (const l of leftovers) console.log(`LEFT RUNNING (stopped by the benchmark): ${l}`);
  } else {
    console.log('no QEMU started by this benchmark was left running');
  }
} catch (err) {
  failed = true;
  console.error(proc.interrupted ? `${NAME}: interrupted — temporary files removed, no figures` : `${NAME}: ${err.message}`);
} finally {
  if (opts.keep) console.error(`${NAME}: kept ${work} (templates, seeds, output images; vmbench's logs under state/)`);
  else rmSync(work, {recursive: true, force: true});
}
process.exitCode = proc.interrupted ? 130 : failed ? 1 : 0;
