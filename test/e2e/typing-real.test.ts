/**
 * The typing proof (issue 3): a 1,000-character line of mixed-case letters, digits and shifted
 * symbols, typed with the DEFAULT pacing into the tiny VM's shell on tty1 (`cat > /tmp/typed`),
 * read back over SSH and compared byte for byte. The boot command itself is typed over VNC into
 * isolinux's boot: prompt, so both backends cross a real QEMU input path.
 *
 * One QEMU (TCG) for the whole file, killed by PID (its process group) in afterAll.
 */
import {spawn, execFileSync, type ChildProcess} from 'node:child_process';
import {existsSync, mkdtempSync, readFileSync, rmSync} from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {connectQmp, type QmpClient} from '../../src/qemu/qmp.js';
import {waitForSsh, type SshSession} from '../../src/ssh/index.js';
import {parseBootCommand} from '../../src/vnc/boot-command.js';
import {QmpKeySender} from '../../src/vnc/qmp-keys.js';
import {KEY_INTERVAL_MS, typeBootCommand} from '../../src/vnc/typer.js';
import {connectVnc, type VncSession} from '../../src/vnc/vnc-client.js';
import {CACHE, ROOT} from './helpers.js';

/** Deterministic line: letters of both cases, digits, every shifted symbol, single spaces. */
function makeLine(length: number, seed: number): string {
  const lower = 'abcdefghijklmnopqrstuvwxyz';
  const pools = [lower, lower.toUpperCase(), '0123456789', '~!@#$%^&*()_+{}|:"<>?', ' '];
  let x = seed;
  const next = (n: number) => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0) >>> 8) % n;
  let s = '';
  while (s.length < length) {
    let c = pools[next(pools.length)]![next(26)] ?? ' ';
    // `<` is literal only when no token could start there: follow it with a space.
    if (s.endsWith('<')) c = ' ';
    if (c === '<' && s.length >= length - 2) continue;
    if (c === ' ' && (s.length === 0 || s.endsWith(' ') || s.length === length - 1)) continue;
    s += c;
  }
  return s;
}

const freePort = () =>
  new Promise<number>((resolve) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const {port} = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });

const until = async (what: string, timeoutMs: number, check: () => Promise<boolean> | boolean) => {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
};

const dir = mkdtempSync(path.join(os.tmpdir(), 'vmbench-typing-'));
let qemu: ChildProcess | undefined;
let httpServer: http.Server | undefined;
let vnc: VncSession | undefined;
let qmp: QmpClient | undefined;
let ssh: SshSession | undefined;

async function run(cmd: string): Promise<string> {
  let out = '';
  const r = await ssh!.exec(cmd, {onStdout: (l) => (out += `${l}\n`), onStderr: (l) => (out += `${l}\n`)});
  if (r.exitCode !== 0) throw new Error(`guest: ${cmd} exited ${r.exitCode}: ${out}`);
  return out;
}

/** Start `cat > /tmp/typed` on tty1, type `line` + Enter + Ctrl-D, return what cat wrote. */
async function typeIntoShell(send: Parameters<typeof typeBootCommand>[0], line: string, keyIntervalMs: number): Promise<{typed: Buffer; ms: number}> {
  await run('rm -f /tmp/typed');
  await typeBootCommand(send, parseBootCommand('cat > /tmp/typed<enter>'), {keyIntervalMs});
  await until('cat on tty1', 10_000, async () => (await run('pidof cat || true')).trim() !== '');
  const actions = parseBootCommand(line);
  // The line must type as itself: one key press per character, no <token> eaten by the grammar.
  expect(actions.map((a) => (a.kind === 'press' ? a.text : `<${a.kind}>`)).join('')).toBe(line);
  const t0 = performance.now();
  await typeBootCommand(send, actions, {keyIntervalMs});
  const ms = performance.now() - t0;
  await typeBootCommand(send, parseBootCommand('<enter><leftCtrlOn>d<leftCtrlOff>'), {keyIntervalMs});
  await until('cat to exit', 20_000, async () => (await run('pidof cat || true')).trim() === '');
  return {typed: Buffer.from((await run('base64 /tmp/typed')).replace(/\s+/g, ''), 'base64'), ms};
}

beforeAll(async () => {
  const iso = execFileSync('bash', [path.join(ROOT, 'profiles/tiny/build-iso.sh'), path.join(CACHE, 'iso-build')], {encoding: 'utf8'}).trim().split('\n').at(-1)!;
  httpServer = http.createServer((req, res) => {
    if (req.url !== '/tiny.cfg') return void res.writeHead(404).end();
    res.end('hostname=tiny\nroot_password=secret\nauthorized_key=\n');
  });
  await new Promise<void>((r) => httpServer!.listen(0, '127.0.0.1', r));
  const httpPort = (httpServer.address() as net.AddressInfo).port;
  const sshPort = await freePort();
  const serial = path.join(dir, 'serial.log');
  qemu = spawn(
    'qemu-system-x86_64',
    ['-accel', 'tcg', '-m', '256', '-display', 'none', '-vnc', `unix:${path.join(dir, 'vnc.sock')},share=ignore`,
      '-qmp', `unix:${path.join(dir, 'qmp.sock')},server=on,wait=off`, '-cdrom', iso, '-boot', 'd',
      '-netdev', `user,id=n0,hostfwd=tcp:127.0.0.1:${sshPort}-:22`, '-device', 'virtio-net,netdev=n0', '-device', 'virtio-rng-pci',
      '-serial', `file:${serial}`],
    {detached: true, stdio: 'ignore'},
  );
  // isolinux prints its prompt on the serial port too (SERIAL 0 in isolinux.cfg).
  await until('isolinux boot: prompt', 30_000, () => existsSync(serial) && readFileSync(serial, 'latin1').includes('boot:'));
  vnc = await connectVnc({path: path.join(dir, 'vnc.sock')}, {timeoutMs: 15_000});
  qmp = await connectQmp(path.join(dir, 'qmp.sock'), {timeoutMs: 15_000});
  await typeBootCommand(vnc, parseBootCommand(`tiny url=http://10.0.2.2:${httpPort}/tiny.cfg<enter>`), {keyIntervalMs: KEY_INTERVAL_MS.vnc});
  ssh = await waitForSsh({host: '127.0.0.1', port: sshPort, username: 'root', password: 'secret'}, {timeoutMs: 60_000});
  // busybox init respawns a shell on tty1 (the VGA console, where VNC/QMP keys go) after setup.
  await until('a shell on tty1', 20_000, async () =>
    (await run('for p in /proc/[0-9]*; do [ "$(readlink $p/fd/0 2>/dev/null)" = /dev/tty1 ] && cat $p/comm; done; true')).includes('sh'),
  );
}, 120_000);

afterAll(async () => {
  ssh?.close();
  qmp?.close();
  vnc?.close();
  httpServer?.close();
  if (qemu?.pid !== undefined && qemu.exitCode === null && qemu.signalCode === null) {
    const exited = new Promise((r) => qemu!.once('exit', r));
    try {
      process.kill(-qemu.pid, 'SIGKILL');
    } catch {
      // already gone
    }
    await exited;
  }
  rmSync(dir, {recursive: true, force: true});
});

describe('typing into the real tiny VM (QEMU TCG)', () => {
  it('the boot command typed over VNC reached isolinux (the guest fetched its config)', async () => {
    expect(await run('cat /proc/cmdline')).toMatch(/ url=http:\/\/10\.0\.2\.2:\d+\/tiny\.cfg/);
  });

  it('types 1,000 characters over QMP at the default pacing, byte for byte', {timeout: 60_000}, async () => {
    const line = makeLine(1000, 20261121);
    expect(line).toMatch(/[a-z]/);
    expect(line).toMatch(/[A-Z]/);
    expect(line).toMatch(/[0-9]/);
    expect(line).toMatch(/[~!@#$%^&*()_+{}|:"<>?]/);
    const {typed, ms} = await typeIntoShell(new QmpKeySender(qmp!), line, KEY_INTERVAL_MS.qmp);
    console.info(`QMP: ${line.length} chars in ${(ms / 1000).toFixed(1)} s = ${Math.round(line.length / (ms / 1000))} chars/s at ${KEY_INTERVAL_MS.qmp} ms/event`);
    expect(typed.toString('latin1')).toBe(`${line}\n`);
  });

  it('types 400 characters over VNC at the default pacing, byte for byte', {timeout: 60_000}, async () => {
    // 400 characters ≈ 1,150 key events: past QEMU's 341-event VNC queue, so a pace faster than
    // its 10 ms key-delay would lose keys here.
    const line = makeLine(400, 7);
    const {typed, ms} = await typeIntoShell(vnc!, line, KEY_INTERVAL_MS.vnc);
    console.info(`VNC: ${line.length} chars in ${(ms / 1000).toFixed(1)} s = ${Math.round(line.length / (ms / 1000))} chars/s at ${KEY_INTERVAL_MS.vnc} ms/event`);
    expect(typed.toString('latin1')).toBe(`${line}\n`);
  });
});
