#!/usr/bin/env node
// Benchmark: THE SAME Packer JSON template file (profiles/tiny/packer/tiny.json, the tiny profile
// as a template) built by Debian's packer 1.6.6 (the anchor) and by vmbench — same ISO given to
// both with -var, same boot command and boot_wait, same http folder, same provisioning script,
// disk and qemuargs, because it is one file. Prints wall time per stage and the ratios. Not a
// test: figures only (exit 0 unless a build fails or something is left running).
//
//   node bench/build-vs-packer.mjs [--runs N] [--show-output]
//
//   --runs N         N builds with each tool (alternating which goes first); medians are printed
//   --show-output    also print every output line of the first run of each tool, timestamped
//
// How stages are measured:
//   Packer   each stage runs from the UI line that starts it ("==> qemu: Starting VM, …") to the
//            line that starts the next stage; the last one ends at "Build 'qemu' finished".
//            A stage whose start line is missing is n/a (never guessed).
//   vmbench  the durationMs of the steps' "done" events in its --json output.
//   other    whole wall time minus the stages: process start-up and exit, gaps between steps.
//   whole    wall time of the process, spawn to exit, for both.
// Stage boundaries follow vmbench's steps: vmbench's type-boot-command step includes boot_wait
// and the VNC connection, so Packer's "Waiting 1s for boot..." line starts that stage, not
// "Typing the boot command" (that one starts the "of which typing" sub-row).
//
// The template's accelerator is a variable, tcg by default, given to both tools: Packer's own
// choice (kvm when /dev/kvm opens) fails on hosts like these, where /dev/kvm exists but the CPU
// has no virtualisation, so its guest never boots. With tcg said, vmbench runs no KVM probe.
import {execFile, execFileSync} from 'node:child_process';
import {existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {run as proc, timed} from './lib/timed.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** The one template both tools build (its http/tiny.cfg holds the default ssh_password). */
const TEMPLATE = path.join(ROOT, 'profiles/tiny/packer/tiny.json');
const MARKER = 'bench';
/** The template's variables, the same for both tools. */
const templateVars = (iso, dir) => ['-var', `iso_url=${iso}`, '-var', `output_directory=${path.join(dir, 'output')}`, '-var', `marker=${MARKER}`];

function parseArgs(argv) {
  const opts = {runs: 1, showOutput: false};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--runs' || a.startsWith('--runs=')) {
      const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i];
      opts.runs = Number(v);
      if (!Number.isInteger(opts.runs) || opts.runs < 1) {
        console.error(`build-vs-packer: --runs needs a whole number ≥ 1, got ${v ?? '(nothing)'}`);
        process.exit(2);
      }
    } else if (a === '--show-output') {
      opts.showOutput = true;
    } else {
      console.error(`build-vs-packer: unknown option ${a}\nusage: node bench/build-vs-packer.mjs [--runs N] [--show-output]`);
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

// ------------------------------------------------------------------ stages
// [name, Packer start line, vmbench step ids]. The regexes are checked against Packer 1.6.6's
// real output (run with --show-output to see it).
const STAGES = [
  ['setup (ISO, disk, HTTP)', /^==> [\w-]+: Retrieving ISO/, ['fetch-iso', 'prepare-output', 'create-disk', 'ssh-key', 'serve-http']],
  ['start VM', /^==> [\w-]+: Starting VM/, ['start-vm']],
  ['boot wait + VNC + typing', /^==> [\w-]+: Waiting \S+ for boot/, ['type-boot-command']],
  ['wait for SSH', /^==> [\w-]+: (Using ssh communicator|Waiting for SSH)/, ['wait-ssh']],
  ['provision', /^==> [\w-]+: Provisioning with shell/, ['provision']],
  ['shutdown', /^==> [\w-]+: Gracefully halting/, ['shutdown']],
  ['convert', /^==> [\w-]+: Converting hard drive/, ['convert']],
];
const PACKER_END = /^Build '[\w-]+' finished/;
const PACKER_TYPING = /^==> [\w-]+: Typing the boot command/;

/** Per-stage ms from Packer's timestamped lines: start line → next stage's start line. */
function packerStages(lines) {
  const first = (re) => lines.find((x) => re.test(x.l))?.t;
  const starts = STAGES.map(([, re]) => first(re));
  const end = first(PACKER_END);
  const stages = starts.map((t, k) => {
    if (t === undefined) return NaN;
    const next = k + 1 < starts.length ? starts[k + 1] : end;
    return next === undefined ? NaN : next - t; // the next boundary is missing: n/a, not a guess
  });
  const typingStart = first(PACKER_TYPING);
  const typing = typingStart !== undefined && starts[3] !== undefined ? starts[3] - typingStart : NaN;
  return {stages, typing};
}

// ------------------------------------------------------------------ runs
if (!which('packer')) {
  console.log('build-vs-packer: packer is not installed (the anchor): apt-get install -y packer — skipped.');
  process.exit(0);
}
const work = mkdtempSync(path.join(os.tmpdir(), 'vmbench-bench-'));
const cache = path.join(os.tmpdir(), 'vmbench-bench-cache'); // kept: the ISO is cached by content
const state = path.join(work, 'state'); // vmbench's XDG_STATE_HOME for this benchmark

/** Our QEMUs are the ones whose command line names a path under `work` (their disk). */
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

/**
 * Load on the machine during a build, sampled every second: the highest 1-min load average and
 * the most QEMUs of other people (not started by this benchmark) running at the same time.
 * Call the returned function when the build ends.
 */
function watchLoad() {
  const seen = {load1: 0, otherQemus: 0};
  const sample = () => {
    seen.load1 = Math.max(seen.load1, os.loadavg()[0]);
    // asynchronous, so the sampling never delays the timestamping of the build's output lines
    execFile('pgrep', ['-a', 'qemu-system'], (_err, stdout) => {
      const others = String(stdout ?? '').split('\n').filter((l) => l && !l.includes(work)).length;
      seen.otherQemus = Math.max(seen.otherQemus, others);
    });
  };
  sample();
  const timer = setInterval(sample, 1000);
  return () => {
    clearInterval(timer);
    return seen;
  };
}

async function packerRun(iso, i) {
  const dir = path.join(work, `packer-${i}`);
  const tmp = path.join(dir, 'tmp');
  mkdirSync(tmp, {recursive: true});
  const log = path.join(dir, 'packer.log');
  const stopWatch = watchLoad();
  const r = await timed('packer', ['build', '-color=false', ...templateVars(iso, dir), TEMPLATE], {
    cwd: dir,
    env: {
      ...process.env,
      CHECKPOINT_DISABLE: '1', // no update check over the network
      PACKER_CACHE_DIR: path.join(dir, 'cache'),
      PACKER_CONFIG_DIR: path.join(dir, 'config'), // nothing written to ~/.packer.d
      PACKER_TMP_DIR: tmp,
      TMPDIR: tmp, // plugin sockets and any temp files land in our work dir
      PACKER_LOG: '1', // the detailed log goes to a file (stdout stays the UI): SSH attempts, keys
      PACKER_LOG_PATH: log,
      PACKER_NO_COLOR: '1',
    },
  });
  const load = stopWatch();
  await checkNoQemuLeft('packer', i);
  if (r.code !== 0) {
    console.error(r.lines.slice(-15).map((x) => x.l).join('\n'));
    throw new Error(`packer failed (${r.signal ?? `exit ${r.code}`}); its log: ${log} (removed on exit)`);
  }
  const {stages, typing} = packerStages(r.lines);
  // From the detailed log: how often it tried SSH, how many keys it typed.
  const detail = existsSync(log) ? readFileSync(log, 'utf8') : '';
  const sshAttempts = (detail.match(/Attempting SSH connection/g) ?? []).length;
  const keys = (detail.match(/Sending char '|Special code '</g) ?? []).length;
  const t = (re) => r.lines.find((x) => re.test(x.l))?.t;
  const sshHandshake = (t(/^==> [\w-]+: Connected to SSH/) ?? NaN) - (t(/^==> [\w-]+: Waiting for SSH/) ?? NaN);
  return {tool: 'packer', total: r.ms, stages, typing, lines: r.lines, load, notes: {sshAttempts, keys, sshHandshake}};
}

async function vmbenchRun(iso, i) {
  const dir = path.join(work, `vmbench-${i}`);
  const tmp = path.join(dir, 'tmp');
  mkdirSync(tmp, {recursive: true});
  const stopWatch = watchLoad();
  const r = await timed('node', [path.join(ROOT, 'bin/vmbench'), 'build', TEMPLATE, '--json', ...templateVars(iso, dir), '--cache-dir', cache], {
    cwd: dir,
    env: {...process.env, XDG_STATE_HOME: state, TMPDIR: tmp},
  });
  const load = stopWatch();
  await checkNoQemuLeft('vmbench', i);
  if (r.code !== 0) {
    console.error(r.lines.slice(-15).map((x) => x.l).join('\n'));
    throw new Error(`vmbench failed (${r.signal ?? `exit ${r.code}`})`);
  }
  const dur = {};
  const events = [];
  for (const {l} of r.lines) {
    if (!l.startsWith('{')) continue;
    try {
      events.push(JSON.parse(l));
    } catch {
      // not an event
    }
  }
  for (const e of events) if (e.type === 'step' && e.status === 'done') dur[e.id] = e.durationMs;
  // A stage whose steps did not all report a duration is n/a, as for Packer.
  const stages = STAGES.map(([, , ids]) => (ids.every((id) => typeof dur[id] === 'number') ? ids.reduce((s, id) => s + dur[id], 0) : NaN));
  const logTime = (re) => events.find((e) => e.type === 'log' && re.test(e.line))?.time;
  const typing = (logTime(/^typed boot command/) ?? NaN) - (logTime(/typing \d+ actions/) ?? NaN);
  const sshLine = events.find((e) => e.type === 'log' && /SSH connected .* after (\d+) attempt/.test(e.line))?.line;
  const probeCached = events.some((e) => e.type === 'log' && /probed earlier this boot/.test(e.line));
  const probed = events.some((e) => e.type === 'log' && /^(KVM unusable|accelerator: kvm)/.test(e.line));
  return {
    tool: 'vmbench',
    total: r.ms,
    stages,
    typing,
    lines: r.lines,
    load,
    notes: {sshAttempts: Number(sshLine?.match(/after (\d+) attempt/)?.[1] ?? NaN), probe: probed ? (probeCached ? 'cached' : 'ran') : 'none'},
  };
}

// ------------------------------------------------------------------ printing
const fmt = (ms) => (Number.isFinite(ms) ? `${(ms / 1000).toFixed(2)}s` : 'n/a').padStart(8);
const ratio = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && a > 0 ? (b / a).toFixed(2) : 'n/a').padStart(6);
/** Median; NaN if any value is NaN (a stage that could not be measured in some run). */
function median(xs) {
  if (xs.some((x) => !Number.isFinite(x))) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
const other = (x) => x.total - x.stages.reduce((s, v) => s + v, 0); // NaN if a stage is n/a

function showOutput(run) {
  console.log(`\n--- ${run.tool}: every output line of run 1 (seconds since spawn) ---`);
  for (const {t, l} of run.lines) {
    let text = l;
    if (run.tool === 'vmbench' && l.startsWith('{')) {
      try {
        const e = JSON.parse(l);
        if (e.type === 'step' && e.status === 'pending') continue;
        if (e.type === 'progress') continue;
        text = e.type === 'step' ? `[step] ${e.id} ${e.status}${e.durationMs !== undefined ? ` ${e.durationMs} ms` : ''}` : e.type === 'log' ? `[${e.source}/${e.stream}] ${e.line}` : `[${e.type}] ${e.key ?? e.status ?? e.path ?? ''} ${e.value ?? ''}`;
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
  const isoScript = path.join(ROOT, 'profiles/tiny/build-iso.sh');
  const iso = execFileSync('bash', [isoScript, path.join(cache, 'iso-build')], {stdio: ['ignore', 'pipe', 'inherit']}).toString().trim().split('\n').pop();

  const p = [];
  const v = [];
  for (let i = 0; i < opts.runs && !proc.interrupted; i++) {
    // Alternate the order so a change in machine load doesn't always hit the same tool.
    const order = i % 2 === 0 ? ['packer', 'vmbench'] : ['vmbench', 'packer'];
    for (const tool of order) {
      if (proc.interrupted) break;
      process.stderr.write(`build-vs-packer: run ${i + 1}/${opts.runs}: ${tool}…\n`);
      if (tool === 'packer') p.push(await packerRun(iso, i));
      else v.push(await vmbenchRun(iso, i));
    }
  }
  if (proc.interrupted) throw new Error('interrupted');

  if (opts.showOutput) {
    showOutput(p[0]);
    showOutput(v[0]);
    console.log('');
  }

  const cores = os.cpus().length;
  console.log(`build-vs-packer: ${path.relative(ROOT, TEMPLATE)} (one file, both tools), ${opts.runs} run(s) per tool, TCG, ${cores} core(s); ${packerVersion} vs vmbench`);
  console.log('median wall time per stage (Packer: from the stage\'s start line to the next one; vmbench: step durations)');
  console.log(`${'stage'.padEnd(34)} ${'packer'.padStart(8)} ${'vmbench'.padStart(8)} ${'ratio'.padStart(6)}`);
  const row = (name, a, b, extra = '') => console.log(`${name.padEnd(34)} ${fmt(a)} ${fmt(b)} ${ratio(a, b)}${extra}`);
  STAGES.forEach(([name], k) => {
    row(name, median(p.map((x) => x.stages[k])), median(v.map((x) => x.stages[k])));
    if (k === 2) row('  of which typing', median(p.map((x) => x.typing)), median(v.map((x) => x.typing)));
  });
  row('other (start-up, exit, gaps)', median(p.map(other)), median(v.map(other)));
  const a = median(p.map((x) => x.total));
  const b = median(v.map((x) => x.total));
  row('whole build (wall)', a, b, '  (target < 0.70)');

  console.log('\nper run (whole build, wall):');
  const runLine = (x, i) =>
    `  ${x.tool.padEnd(7)} run ${i + 1}: ${fmt(x.total).trim().padStart(7)}  (max load ${x.load.load1.toFixed(2)}, up to ${x.load.otherQemus} other QEMU(s) running)`;
  p.forEach((x, i) => console.log(`${runLine(x, i)}  ssh attempts ${x.notes.sshAttempts}, ${x.notes.keys} keys typed, Waiting for SSH → Connected ${fmt(x.notes.sshHandshake).trim()}`));
  v.forEach((x, i) => console.log(`${runLine(x, i)}  ssh attempts ${x.notes.sshAttempts}, KVM probe ${x.notes.probe}`));

  const qemuAfter = qemuProcesses();
  const fmtPids = (xs) => (xs.length ? xs.map((x) => x.pid).join(' ') : 'none');
  console.log(`\nqemu-system processes before: ${fmtPids(qemuBefore)}; after: ${fmtPids(qemuAfter)} (other people's are only reported)`);
  if (leftovers.length) {
    failed = true;
    for (const l of leftovers) console.log(`LEFT RUNNING (stopped by the benchmark): ${l}`);
  } else {
    console.log('no QEMU started by this benchmark was left running');
  }
} catch (err) {
  failed = true;
  console.error(proc.interrupted ? 'build-vs-packer: interrupted — temporary files removed, no figures' : `build-vs-packer: ${err.message}`);
} finally {
  rmSync(work, {recursive: true, force: true});
}
process.exitCode = proc.interrupted ? 130 : failed ? 1 : 0;
