#!/usr/bin/env node
// Benchmark: typing speed with zero loss vs Packer. Boots the tiny VM (TCG), starts
// `cat > /tmp/typed` in the shell on tty1, types a line of mixed-case letters, digits, shifted
// symbols and spaces with vmbench's DEFAULT pacing over each backend (QMP, VNC), reads the file
// back over SSH and compares it byte for byte. Prints characters per second, the time Packer's
// rule gives for the same actions (100 ms after every key event: 200 ms a plain character,
// 400 ms a shifted one) and the ratio. Not a test: figures only (exit 1 if a line came back wrong).
//
//   node bench/typing.mjs [--chars N] [--load N] [--sweep] [--readback] [--packer]
//
//   --chars N   line length (default 1000)
//   --load N    run N busy-loop processes (started and killed by PID here) while typing
//   --sweep     also type the line at other paces per backend and report what got lost
//   --readback  also type the line the way builds do — read back from the screen (VGA text
//               memory) before <enter>, retyped when keys were lost — at the default paces and
//               at 0 and 1 ms/event over QMP (where keys do get lost under load), and report the
//               keys lost on the first pass, the retypes, and what cat finally got
//   --packer    also time Debian's packer 1.6.6 typing a short string into the same ISO's boot:
//               prompt (over VNC), to check Packer's rule against the real thing
//
// Needs dist/ (npx tsc -p tsconfig.json) and the host packages build-iso.sh asks for.
import {execFileSync, spawn} from 'node:child_process';
import {existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath, pathToFileURL} from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = async (p) => import(pathToFileURL(path.join(ROOT, 'dist', p)).href);
if (!existsSync(path.join(ROOT, 'dist/vnc/typer.js'))) {
  console.error('typing: dist/ is missing — run `npx tsc -p tsconfig.json` first');
  process.exit(2);
}
const {connectVnc} = await dist('vnc/vnc-client.js');
const {connectQmp} = await dist('qemu/qmp.js');
const {waitForSsh} = await dist('ssh/index.js');
const {parseBootCommand} = await dist('vnc/boot-command.js');
const {QmpKeySender} = await dist('vnc/qmp-keys.js');
const {KEY_INTERVAL_MS, typeBootCommand} = await dist('vnc/typer.js');
const {typeVerified} = await dist('engine/verified-typing.js');
const {readVgaText} = await dist('screen/vga-text.js');

const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = argv.indexOf(name);
  return i < 0 ? dflt : Number(argv[i + 1]);
};
const CHARS = opt('--chars', 1000);
const LOAD = opt('--load', 0);
const SWEEP = {qmp: [0, 1, 2, 3], vnc: [5, 8, 10]};
const READBACK = {qmp: [0, 1], vnc: []};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Same generator as test/e2e/typing-real.test.ts: `<` is always followed by a space. */
function makeLine(length, seed) {
  const lower = 'abcdefghijklmnopqrstuvwxyz';
  const pools = [lower, lower.toUpperCase(), '0123456789', '~!@#$%^&*()_+{}|:"<>?', ' '];
  let x = seed;
  const next = (n) => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0) >>> 8) % n;
  let s = '';
  while (s.length < length) {
    let c = pools[next(pools.length)][next(26)] ?? ' ';
    if (s.endsWith('<')) c = ' ';
    if (c === '<' && s.length >= length - 2) continue;
    if (c === ' ' && (s.length === 0 || s.endsWith(' ') || s.length === length - 1)) continue;
    s += c;
  }
  return s;
}

/** Packer's time for the same actions: 100 ms after every key event (bootcommand/vnc_driver.go). */
const packerMs = (actions) => actions.reduce((ms, a) => ms + (a.kind === 'press' ? (a.shift ? 4 : 2) : a.kind === 'wait' ? a.ms / 100 : 1) * 100, 0);
const eventCount = (actions) => actions.reduce((n, a) => n + (a.kind === 'press' ? (a.shift ? 4 : 2) : a.kind === 'wait' ? 0 : 1), 0);

function levenshtein(a, b) {
  let prev = Array.from({length: b.length + 1}, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length];
}

// ------------------------------------------------------------------ the VM
const work = mkdtempSync(path.join(os.tmpdir(), 'vmbench-typing-'));
const cleanups = [];
const cleanup = async () => {
  for (const c of cleanups.splice(0).reverse()) {
    try {
      await c();
    } catch {
      // best effort: everything here is ours and about to go anyway
    }
  }
  rmSync(work, {recursive: true, force: true});
};
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => void cleanup().then(() => process.exit(130)));

async function until(what, timeoutMs, check) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** Builds' screen reader for the read-back: tty1 is VGA text mode, read exactly from VGA memory. */
const vgaReader = (qmp) => ({
  async read() {
    const v = await readVgaText(qmp).catch(() => undefined);
    return v?.kind === 'text' ? {lines: v.lines, cols: v.cols, cursor: v.cursor, exact: true} : undefined;
  },
});

async function bootVm(iso) {
  const srv = http.createServer((req, res) => (req.url === '/tiny.cfg' ? res.end('hostname=tiny\nroot_password=secret\nauthorized_key=\n') : res.writeHead(404).end()));
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  cleanups.push(() => srv.close());
  const sshPort = await new Promise((r) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const {port} = s.address();
      s.close(() => r(port));
    });
  });
  const serial = path.join(work, 'serial.log');
  const qemu = spawn('qemu-system-x86_64', ['-accel', 'tcg', '-m', '256', '-display', 'none', '-vnc', `unix:${work}/vnc.sock,share=force-shared`,
    '-qmp', `unix:${work}/qmp.sock,server=on,wait=off`, '-cdrom', iso, '-boot', 'd', '-netdev', `user,id=n0,hostfwd=tcp:127.0.0.1:${sshPort}-:22`,
    '-device', 'virtio-net,netdev=n0', '-device', 'virtio-rng-pci', '-serial', `file:${serial}`], {detached: true, stdio: 'ignore'});
  cleanups.push(() => process.kill(-qemu.pid, 'SIGKILL')); // started here, in its own process group
  await until('isolinux boot: prompt', 30_000, () => existsSync(serial) && readFileSync(serial, 'latin1').includes('boot:'));
  const vnc = await connectVnc({path: `${work}/vnc.sock`}, {timeoutMs: 15_000});
  cleanups.push(() => vnc.close());
  const qmp = await connectQmp(`${work}/qmp.sock`, {timeoutMs: 15_000});
  cleanups.push(() => qmp.close());
  const port = srv.address().port;
  // As builds do: read back before <enter> (a loaded host loses keys here too).
  await typeVerified(vnc, parseBootCommand(`tiny url=http://10.0.2.2:${port}/tiny.cfg<enter>`), vgaReader(qmp), {
    keyIntervalMs: KEY_INTERVAL_MS.vnc,
    log: (stream, l) => stream === 'warn' && console.log(`boot command: ${l}`),
  });
  const ssh = await waitForSsh({host: '127.0.0.1', port: sshPort, username: 'root', password: 'secret'}, {timeoutMs: 90_000});
  cleanups.push(() => ssh.close());
  const run = async (cmd) => {
    let out = '';
    await ssh.exec(cmd, {onStdout: (l) => (out += `${l}\n`), onStderr: (l) => (out += `${l}\n`)});
    return out;
  };
  await until('a shell on tty1', 20_000, async () => (await run('for p in /proc/[0-9]*; do [ "$(readlink $p/fd/0 2>/dev/null)" = /dev/tty1 ] && cat $p/comm; done')).includes('sh'));
  return {vnc, qmp, run, senders: {vnc, qmp: new QmpKeySender(qmp)}};
}

/**
 * Type `line` into `cat > /tmp/typed` on tty1; what arrived, and how long the line took. With
 * `readback`, line and Enter go through typeVerified as in a build (the time then includes the
 * read-back and any retyping), and `typed` says what happened to the line.
 */
async function typeLine(vm, backend, line, keyIntervalMs, readback = false) {
  const send = vm.senders[backend];
  const slow = {keyIntervalMs: KEY_INTERVAL_MS[backend]};
  await vm.run('for p in $(pidof cat); do kill $p; done; rm -f /tmp/typed');
  // A lossy run before may have left a modifier down in the guest (a dropped key-up). Release
  // them over QMP: QEMU drops a VNC key-up for a key it believes is up (ui/kbd-state.c), and it
  // saw the VNC key-up that the guest never got.
  await typeBootCommand(vm.senders.qmp, parseBootCommand('<leftShiftOff><rightShiftOff><leftCtrlOff><leftAltOff>'), {keyIntervalMs: 5});
  await typeBootCommand(send, parseBootCommand('<leftCtrlOn>c<leftCtrlOff>cat > /tmp/typed<enter>'), slow);
  await until('cat on tty1', 10_000, async () => (await vm.run('pidof cat')).trim() !== '');
  const actions = parseBootCommand(line);
  const t0 = performance.now();
  let typed;
  if (readback) {
    const warns = [];
    [typed] = await typeVerified(send, [...actions, ...parseBootCommand('<enter>')], vgaReader(vm.qmp), {keyIntervalMs, log: (stream, l) => stream === 'warn' && warns.push(l)});
    typed = {...typed, warns};
  } else await typeBootCommand(send, actions, {keyIntervalMs});
  const ms = performance.now() - t0;
  // Faster than QEMU's 10 ms VNC key-delay, up to 341 events still wait in QEMU (and that queue
  // may be full): let it drain, so Enter and Ctrl-D are not dropped too.
  if (backend === 'vnc' && keyIntervalMs < 10) await sleep(4000);
  await typeBootCommand(send, parseBootCommand(`${readback ? '' : '<enter>'}<leftCtrlOn>d<leftCtrlOff>`), slow);
  // A lost Enter or Ctrl-D leaves cat running: stop it and read what it got.
  await until('cat to exit', 15_000, async () => (await vm.run('pidof cat')).trim() === '').catch(() => vm.run('for p in $(pidof cat); do kill $p; done'));
  const got = Buffer.from((await vm.run('base64 /tmp/typed 2>/dev/null')).replace(/\s+/g, ''), 'base64').toString('latin1');
  return {got, ms, actions, typed};
}

// ------------------------------------------------------------------ Packer, for real (optional)
async function packerRealTyping(iso) {
  const text = 'Packer types THIS line: 0123!@#';
  const dir = path.join(work, 'packer');
  mkdirSync(path.join(dir, 'tmp'), {recursive: true});
  writeFileSync(path.join(dir, 't.json'), JSON.stringify({builders: [{type: 'qemu', iso_url: iso, iso_checksum: 'none', output_directory: path.join(dir, 'out'),
    disk_size: 64, memory: 256, accelerator: 'tcg', headless: true, vnc_bind_address: '127.0.0.1', communicator: 'none', boot_wait: '1s',
    boot_command: [text], shutdown_timeout: '5s'}]}));
  const lines = [];
  const t0 = performance.now();
  const child = spawn('packer', ['build', '-color=false', 't.json'], {cwd: dir, stdio: ['ignore', 'pipe', 'pipe'],
    env: {...process.env, CHECKPOINT_DISABLE: '1', PACKER_CACHE_DIR: path.join(dir, 'cache'), PACKER_CONFIG_DIR: path.join(dir, 'cfg'), TMPDIR: path.join(dir, 'tmp'), PACKER_TMP_DIR: path.join(dir, 'tmp')}});
  cleanups.push(() => child.exitCode === null && child.kill('SIGTERM'));
  let buf = '';
  child.stdout.on('data', (d) => {
    buf += d;
    const parts = buf.split('\n');
    buf = parts.pop();
    for (const l of parts) lines.push({t: performance.now() - t0, l});
  });
  await new Promise((r) => child.on('close', r));
  const i = lines.findIndex((x) => /Typing the boot command/.test(x.l));
  if (i < 0 || !lines[i + 1]) return {text, error: lines.slice(-5).map((x) => x.l).join(' | ')};
  return {text, ms: lines[i + 1].t - lines[i].t, ruleMs: packerMs(parseBootCommand(text))};
}

// ------------------------------------------------------------------ main
let failed = false;
try {
  const cache = path.join(os.tmpdir(), 'vmbench-bench-cache');
  const iso = execFileSync('bash', [path.join(ROOT, 'profiles/tiny/build-iso.sh'), path.join(cache, 'iso-build')], {stdio: ['ignore', 'pipe', 'inherit']}).toString().trim().split('\n').pop();
  const vm = await bootVm(iso);
  const loaders = Array.from({length: LOAD}, () => spawn('sh', ['-c', 'while :; do :; done'], {stdio: 'ignore'}));
  cleanups.push(() => loaders.forEach((p) => p.kill('SIGKILL')));
  const line = makeLine(CHARS, 20261121);
  const actions = parseBootCommand(line);
  const pk = packerMs(actions);
  console.log(`typing: ${CHARS} chars (${actions.filter((a) => a.shift).length} shifted, ${eventCount(actions)} key events), TCG, ${os.cpus().length} cores, ${LOAD} busy loop(s), load avg ${os.loadavg()[0].toFixed(1)}`);
  console.log(`Packer's rule (100 ms/event): ${(pk / 1000).toFixed(1)} s = ${(CHARS / (pk / 1000)).toFixed(2)} chars/s`);
  console.log(`${'backend'.padEnd(8)} ${'ms/event'.padStart(8)} ${'time'.padStart(7)} ${'chars/s'.padStart(8)} ${'vs Packer'.padStart(9)}  result`);
  const rows = [];
  for (const backend of ['qmp', 'vnc']) {
    rows.push([backend, KEY_INTERVAL_MS[backend], true]);
    if (argv.includes('--sweep')) for (const ms of SWEEP[backend]) rows.push([backend, ms, false]);
  }
  if (argv.includes('--readback')) {
    for (const backend of ['qmp', 'vnc']) {
      rows.push([backend, KEY_INTERVAL_MS[backend], true, true]);
      for (const ms of READBACK[backend]) rows.push([backend, ms, false, true]);
    }
  }
  for (const [backend, ms, isDefault, readback] of rows) {
    const label = (backend + (readback ? '+rb' : '')).padEnd(8);
    let res;
    try {
      res = await typeLine(vm, backend, line, ms, readback);
    } catch (err) {
      // Read-back gives up after 2 retypes: at a pace that loses keys on every pass it must.
      if (!readback || err.name !== 'StepError') throw err;
      if (isDefault) failed = true;
      console.log(`${label} ${String(ms).padStart(8)}       —        —         —  read back: FAILED after 2 retypes (${err.message.slice(0, 160)}…)${isDefault ? ' (default)' : ''}`);
      // cat still holds a garbled line: end it, so the next row starts clean.
      await typeBootCommand(vm.senders.qmp, parseBootCommand('<leftCtrlOn>c<leftCtrlOff>'), {keyIntervalMs: 5});
      continue;
    }
    const {got, ms: took, typed} = res;
    const ok = got === `${line}\n`;
    // With read-back every pace must end whole: that is its whole point.
    if ((isDefault || readback) && !ok) failed = true;
    let result = ok ? 'identical' : `LOST: ${levenshtein(got, `${line}\n`)} edits, ${got.length - 1}/${CHARS} chars arrived`;
    if (typed) {
      const lost = typed.firstShown === undefined ? 0 : levenshtein(typed.firstShown, line);
      result += ` — read back: ${typed.outcome}${typed.retypes ? `, ${typed.retypes} retype(s) after ${lost} edit(s) on the first pass` : ''}${typed.why ? ` (${typed.why})` : ''}`;
    }
    console.log(`${label} ${String(ms).padStart(8)} ${`${(took / 1000).toFixed(1)}s`.padStart(7)} ${(CHARS / (took / 1000)).toFixed(0).padStart(8)} ${`${(pk / took).toFixed(1)}×`.padStart(9)}  ${result}${isDefault ? ' (default)' : ''}`);
    for (const w of typed?.warns ?? []) console.log(`         ${w}`);
  }
  if (argv.includes('--packer')) {
    const p = await packerRealTyping(iso);
    console.log(p.error ? `packer 1.6.6: no typing figure (${p.error})` : `packer 1.6.6 typed ${JSON.stringify(p.text)} in ${(p.ms / 1000).toFixed(1)} s (its rule: ${(p.ruleMs / 1000).toFixed(1)} s)`);
  }
} catch (err) {
  console.error(`typing: ${err.message}`);
  failed = true;
} finally {
  await cleanup();
}
process.exit(failed ? 1 : 0);
