/**
 * The VM's screen from a real QEMU (TCG) at the tiny ISO's isolinux `boot:` prompt (720x400 VGA
 * text mode): FrameSource frames match QEMU's own screendump; external viewers attach meanwhile
 * and the FrameSource stays live (QEMU runs with the VNC share policy builds use, share=ignore:
 * a viewer asking for exclusive access is let in as shared); `vmbench screenshot` finds a
 * registered build.
 * Prints figures: full-frame time and key-to-pixels latency under TCG.
 *
 * One QEMU for the whole file, killed by PID (its process group) in afterAll.
 */
import {execFileSync, spawn, type ChildProcess} from 'node:child_process';
import {existsSync, mkdtempSync, readFileSync, rmSync} from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {execa} from 'execa';
import {PNG} from 'pngjs';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {registerBuild, unregisterBuild} from '../../src/engine/registry.js';
import {connectQmp, type QmpClient} from '../../src/qemu/qmp.js';
import {readVgaText} from '../../src/screen/vga-text.js';
import {FrameSource, type FrameSourceState} from '../../src/vnc/frame-source.js';
import type {Framebuffer} from '../../src/vnc/framebuffer.js';
import {screendumpPng} from '../../src/vnc/screenshot.js';
import {assertBuilt, BIN, CACHE, ROOT} from './helpers.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'vmbench-screen-'));
const stateHome = path.join(dir, 'state');
const savedStateHome = process.env.XDG_STATE_HOME;
const buildId = `e2escreen${process.pid}`;
let qemu: ChildProcess | undefined;
let qmp: QmpClient | undefined;
let source: FrameSource | undefined;
let port = 0;
const states: FrameSourceState[] = [];
const logs: string[] = [];

const until = async (what: string, timeoutMs: number, check: () => Promise<boolean> | boolean) => {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

async function freeVncPort(): Promise<number> {
  for (let display = 20 + Math.floor(Math.random() * 70); display < 100; display++) {
    const free = await new Promise<boolean>((resolve) => {
      const srv = net.createServer();
      srv.once('error', () => resolve(false));
      srv.listen(5900 + display, '127.0.0.1', () => srv.close(() => resolve(true)));
    });
    if (free) return 5900 + display;
  }
  throw new Error('no free VNC display');
}

/**
 * Another VNC viewer, speaking raw RFB 3.8 with security None. `shared = false` is what a careless
 * user's viewer sends (TigerVNC's vncviewer without -Shared): shared-flag 0, "disconnect everyone
 * else". Resolves once ServerInit arrived (accepted) or the server closed the connection.
 */
async function viewer(shared: boolean): Promise<{socket: net.Socket; accepted: boolean; received: () => number}> {
  const socket = net.connect({host: '127.0.0.1', port});
  let buf = Buffer.alloc(0);
  let after = 0;
  let phase = 0;
  const accepted = await new Promise<boolean>((resolve, reject) => {
    socket.once('error', reject);
    socket.once('close', () => resolve(false));
    socket.on('data', (d: Buffer) => {
      if (phase === 4) return void (after += d.length);
      buf = Buffer.concat([buf, d]);
      if (phase === 0 && buf.length >= 12) (socket.write('RFB 003.008\n'), (buf = buf.subarray(12)), (phase = 1));
      if (phase === 1 && buf.length >= 1 && buf.length >= 1 + buf[0]!) {
        socket.write(Buffer.from([1])); // security None
        (buf = buf.subarray(1 + buf[0]!)), (phase = 2);
      }
      if (phase === 2 && buf.length >= 4) {
        if (buf.readUInt32BE(0) !== 0) return reject(new Error('VNC security handshake failed'));
        socket.write(Buffer.from([shared ? 1 : 0])); // ClientInit: the shared flag
        (buf = buf.subarray(4)), (phase = 3);
      }
      if (phase === 3 && buf.length >= 24 && buf.length >= 24 + buf.readUInt32BE(20)) {
        const [w, h] = [buf.readUInt16BE(0), buf.readUInt16BE(2)];
        after = buf.length - 24 - buf.readUInt32BE(20);
        phase = 4;
        const req = Buffer.from([3, 0, 0, 0, 0, 0, 0, 0, 0, 0]); // full FramebufferUpdateRequest
        req.writeUInt16BE(w, 6);
        req.writeUInt16BE(h, 8);
        socket.write(req);
        resolve(true);
      }
    });
  });
  return {socket, accepted, received: () => after};
}

/** Does the 9x16 text cell (col, row) show anything above the cursor lines? */
function cellInked(fb: Framebuffer, col: number, row: number): boolean {
  for (let y = row * 16; y < row * 16 + 12; y++) for (let x = col * 9; x < col * 9 + 9; x++) if (fb.pixels[y * fb.width + x]! !== 0) return true;
  return false;
}

beforeAll(async () => {
  process.env.XDG_STATE_HOME = stateHome;
  const iso = execFileSync('bash', [path.join(ROOT, 'profiles/tiny/build-iso.sh'), path.join(CACHE, 'iso-build')], {encoding: 'utf8'}).trim().split('\n').at(-1)!;
  port = await freeVncPort();
  const serial = path.join(dir, 'serial.log');
  qemu = spawn(
    'qemu-system-x86_64',
    ['-accel', 'tcg', '-m', '256', '-display', 'none', '-vnc', `127.0.0.1:${port - 5900},share=ignore`,
      '-qmp', `unix:${path.join(dir, 'qmp.sock')},server=on,wait=off`, '-cdrom', iso, '-boot', 'd', '-nic', 'none', '-serial', `file:${serial}`],
    {detached: true, stdio: 'ignore'},
  );
  qmp = await connectQmp(path.join(dir, 'qmp.sock'), {timeoutMs: 15_000});
  source = new FrameSource({host: '127.0.0.1', port}, {log: (s, l) => logs.push(`${s}: ${l}`)});
  source.onState((s) => states.push(s));
  source.start();
  // isolinux prints its prompt on the serial port too (SERIAL 0 in isolinux.cfg).
  await until('isolinux boot: prompt', 60_000, () => existsSync(serial) && readFileSync(serial, 'latin1').includes('boot:'));
}, 90_000);

afterAll(async () => {
  await source?.stop();
  qmp?.close();
  unregisterBuild(buildId);
  if (qemu?.pid !== undefined && qemu.exitCode === null && qemu.signalCode === null) {
    const exited = new Promise((r) => qemu!.once('exit', r));
    try {
      process.kill(-qemu.pid, 'SIGKILL');
    } catch {
      // already gone
    }
    await exited;
  }
  if (savedStateHome === undefined) delete process.env.XDG_STATE_HOME;
  else process.env.XDG_STATE_HOME = savedStateHome;
  rmSync(dir, {recursive: true, force: true});
});

describe('the screen of a real VM (QEMU TCG, isolinux prompt)', () => {
  it('FrameSource shows the 720x400 prompt, pixel for pixel what QEMU screendumps', {timeout: 60_000}, async () => {
    const fb = await source!.waitForFrame((f) => f.width === 720 && f.height === 400, {timeoutMs: 30_000});
    const text = await readVgaText(qmp!);
    if (text.kind !== 'text') throw new Error(`not in text mode: ${text.reason}`);
    expect(text.lines.some((l) => l.startsWith('boot:'))).toBe(true);
    // Let one more update through so the frame includes the prompt line, then compare.
    const seen = source!.stats.updates;
    await until('another update', 5000, () => source!.stats.updates > seen);
    const file = path.join(dir, 'dump.png');
    expect(await screendumpPng(qmp!, file)).toEqual({width: 720, height: 400, via: 'png'});
    const png = PNG.sync.read(readFileSync(file));
    let differ = 0;
    for (let i = 0; i < fb.pixels.length; i++) {
      const v = ((png.data[i * 4]! << 16) | (png.data[i * 4 + 1]! << 8) | png.data[i * 4 + 2]!) >>> 0;
      if (v !== fb.pixels[i]) differ++;
    }
    // Only the blinking cursor (a few lines of one 9x16 cell) may differ between the two.
    expect(differ).toBeLessThanOrEqual(9 * 16);
    console.info(`full frame 720x400 over VNC: ${source!.stats.fullFrameMs} ms after the request; screendump differs in ${differ} px (cursor blink)`);
  });

  it('external viewers come and go (even exclusive ones) and the FrameSource stays live; keys reach the screen', {timeout: 60_000}, async () => {
    const fb = await source!.waitForFrame((f) => f.width === 720);
    const text = await readVgaText(qmp!);
    if (text.kind !== 'text') throw new Error(`not in text mode: ${text.reason}`);
    const row = text.lines.findIndex((l) => l.startsWith('boot:'));
    expect(row).toBeGreaterThan(0);
    // A viewer that asks for exclusive access (a VNC viewer started without -Shared) gets in,
    // and does not kick anyone off: the seed-002 trap.
    const exclusive = await viewer(false);
    expect(exclusive.accepted).toBe(true);
    await until('the exclusive viewer gets its frame', 10_000, () => exclusive.received() > 720 * 400 * 4);
    const shared = await viewer(true);
    expect(shared.accepted).toBe(true);
    await until('the shared viewer gets its frame', 10_000, () => shared.received() > 720 * 400 * 4);
    // Type "abcde" after "boot: " and time each key from VNC key event to pixels in our framebuffer.
    const latencies: number[] = [];
    for (const [i, ch] of [...'abcde'].entries()) {
      const col = 6 + i;
      expect(cellInked(fb, col, row)).toBe(false);
      const t0 = performance.now();
      source!.keys.keyEvent(ch.charCodeAt(0), true);
      source!.keys.keyEvent(ch.charCodeAt(0), false);
      await until(`"${ch}" on screen`, 10_000, () => cellInked(fb, col, row));
      latencies.push(performance.now() - t0);
    }
    for (let i = 0; i < 5; i++) {
      source!.keys.keyEvent(0xff08, true); // BackSpace: leave the prompt as we found it
      source!.keys.keyEvent(0xff08, false);
    }
    await until('the prompt cleared', 10_000, () => !cellInked(fb, 6, row));
    expect(shared.socket.destroyed).toBe(false); // the other viewers stayed connected too
    expect(exclusive.socket.destroyed).toBe(false);
    shared.socket.destroy();
    exclusive.socket.destroy();
    expect(source!.state).toBe('live');
    expect(source!.stats.connects).toBe(1);
    expect(states).toEqual(['live']);
    const sorted = [...latencies].sort((a, b) => a - b);
    console.info(`key → pixels in FrameSource (TCG): ${latencies.map((l) => l.toFixed(0)).join(', ')} ms; median ${sorted[2]!.toFixed(0)} ms`);
  });

  it('screendumpPng works while other viewers are attached', {timeout: 30_000}, async () => {
    const other = await viewer(true);
    expect(other.accepted).toBe(true);
    const file = path.join(dir, 'shots', 'again.png');
    const t0 = performance.now();
    expect(await screendumpPng(qmp!, file)).toEqual({width: 720, height: 400, via: 'png'});
    const ms = performance.now() - t0;
    const png = PNG.sync.read(readFileSync(file));
    expect([png.width, png.height]).toEqual([720, 400]);
    other.socket.destroy();
    console.info(`QMP screendump (PNG, 720x400): ${ms.toFixed(0)} ms`);
    expect(source!.state).toBe('live');
  });

  it('`vmbench screenshot` finds the registered build and saves its screen', {timeout: 60_000}, async () => {
    assertBuilt();
    const logDir = path.join(dir, 'logs');
    registerBuild({id: buildId, profile: 'tiny', pid: process.pid, vnc: {host: '127.0.0.1', port}, logDir, qmpSocket: path.join(dir, 'qmp.sock')});
    const env = {XDG_STATE_HOME: stateHome, CI: 'true'};
    const out = path.join(dir, 'cli.png');
    const t0 = performance.now();
    const r = await execa('node', [BIN, 'screenshot', '-o', out], {env, reject: false});
    const ms = performance.now() - t0;
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(out);
    const png = PNG.sync.read(readFileSync(out));
    expect([png.width, png.height]).toEqual([720, 400]);
    // Without -o, by id: next to the build's logs.
    const d = await execa('node', [BIN, 'screenshot', buildId.slice(0, 9)], {env, reject: false});
    expect(d.exitCode, d.stderr).toBe(0);
    expect(d.stdout.trim()).toMatch(new RegExp(`^${logDir}/screenshots/.*\\.png$`));
    expect(PNG.sync.read(readFileSync(d.stdout.trim())).width).toBe(720);
    const bad = await execa('node', [BIN, 'screenshot', 'nosuchbuild'], {env, reject: false});
    expect(bad.exitCode).toBe(1);
    expect(bad.stderr).toContain(buildId);
    console.info(`vmbench screenshot (new process, VNC connect + full frame + PNG): ${ms.toFixed(0)} ms`);
    // Two more viewers came and went: our own session never noticed.
    expect(source!.stats.connects).toBe(1);
    expect(states).toEqual(['live']);
  });
});
