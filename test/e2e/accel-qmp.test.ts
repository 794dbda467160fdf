/**
 * Real QEMU: the accelerator probe on this host, and our QMP and VNC clients against a running
 * TCG guest. Every QEMU started here is killed by PID (process group) in afterEach.
 */
import {mkdtempSync, readdirSync, readFileSync, rmSync} from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {execa, type ResultPromise} from 'execa';
import {afterEach, describe, expect, it} from 'vitest';
import {describeAccel, probeAccelerator, runAccelProbe} from '../../src/qemu/accel.js';
import {connectQmp, type QmpClient, type QmpEvent} from '../../src/qemu/qmp.js';
import {connectVnc, type VncSession} from '../../src/vnc/vnc-client.js';

/** PIDs of processes whose command line contains `marker`. */
function processesWith(marker: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(marker)) pids.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}

async function freeVncDisplay(): Promise<number> {
  for (let display = 40 + Math.floor(Math.random() * 50); display < 100; display++) {
    const free = await new Promise<boolean>((resolve) => {
      const srv = net.createServer();
      srv.once('error', () => resolve(false));
      srv.listen(5900 + display, '127.0.0.1', () => srv.close(() => resolve(true)));
    });
    if (free) return display;
  }
  throw new Error('no free VNC display');
}

const started: ResultPromise[] = [];
const cleanups: (() => void)[] = [];

afterEach(async () => {
  for (const c of cleanups.splice(0)) c();
  for (const child of started.splice(0)) {
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await child;
  }
});

describe('accelerator probe (real QEMU)', () => {
  it('returns tcg on this host quickly and leaves no process behind', async () => {
    const t0 = Date.now();
    const choice = await probeAccelerator({});
    const ms = Date.now() - t0;
    console.info(`probeAccelerator: ${JSON.stringify(choice)} in ${ms} ms — ${describeAccel(choice)}`);
    expect(choice.accel).toBe('tcg');
    expect(choice.reason.length).toBeGreaterThan(10);
    expect(ms).toBeLessThan(5500);
    expect(processesWith(`vmbench-accel-probe-${process.pid}`)).toEqual([]);
  });

  it('the probe mechanism succeeds for a working accelerator (TCG)', async () => {
    const run = await runAccelProbe('tcg', {timeoutMs: 4000});
    console.info(`runAccelProbe(tcg): ${JSON.stringify(run)}`);
    expect(run).toMatchObject({ok: true, stage: 'done'});
    expect(processesWith(`vmbench-accel-probe-${process.pid}`)).toEqual([]);
  });

  it('reports a missing binary as a reason, not a crash', async () => {
    const run = await runAccelProbe('tcg', {qemuBinary: 'vmbench-no-such-qemu'});
    expect(run.ok).toBe(false);
    expect(run.reason).toMatch(/could not run vmbench-no-such-qemu/);
  });

  it('reports QEMU refusing the accelerator with its stderr', async () => {
    const run = await runAccelProbe('no-such-accel', {timeoutMs: 4000});
    expect(run.ok).toBe(false);
    expect(run.reason).toMatch(/QEMU exited.*QEMU: .*accel/i);
    console.info(`runAccelProbe(no-such-accel): ${run.reason}`);
  });

  it('abort kills the probe at once and rejects with the reason', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(new Error('ctrl-c')), 150);
    const t0 = Date.now();
    await expect(runAccelProbe('kvm', {signal: ac.signal, timeoutMs: 10_000})).rejects.toThrow('ctrl-c');
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(processesWith(`vmbench-accel-probe-${process.pid}`)).toEqual([]);
  });
});

describe('QMP and VNC clients against a real QEMU (TCG)', () => {
  it('query-status, key events over VNC, then quit ends QEMU', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vmbench-e2e-qmp-'));
    cleanups.push(() => rmSync(dir, {recursive: true, force: true}));
    const qmpPath = path.join(dir, 'qmp.sock');
    const display = await freeVncDisplay();
    const child = execa(
      'qemu-system-x86_64',
      ['-accel', 'tcg', '-machine', 'pc', '-m', '64', '-nodefaults', '-no-user-config', '-vga', 'std', '-display', 'none',
        '-vnc', `127.0.0.1:${display}`, '-qmp', `unix:${qmpPath},server=on,wait=off`],
      {detached: true, cleanup: false, reject: false, stdin: 'ignore'},
    );
    started.push(child);

    const qmp: QmpClient = await connectQmp(qmpPath, {timeoutMs: 15_000});
    cleanups.push(() => qmp.close());
    expect(await qmp.execute('query-status')).toMatchObject({status: 'running', running: true});

    const vnc: VncSession = await connectVnc({host: '127.0.0.1', port: 5900 + display}, {timeoutMs: 15_000});
    cleanups.push(() => vnc.close());
    expect(vnc.width).toBeGreaterThanOrEqual(320);
    expect(vnc.height).toBeGreaterThanOrEqual(200);
    expect(vnc.pixelFormat).toMatchObject({bitsPerPixel: 32, redShift: 16, greenShift: 8, blueShift: 0});
    let frameBytes = 0;
    vnc.onRect((r) => {
      if (r.kind === 'raw') frameBytes += r.data.length;
    });
    // An update may hold only a DesktopSize rect (the guest switching VGA modes): ask again
    // after each one until pixels arrive — QEMU answers only pending requests.
    const updated = new Promise<void>((resolve) =>
      vnc.onUpdateEnd(() => (frameBytes > 0 ? resolve() : vnc.requestUpdate(false))),
    );
    // Shift+A: QEMU maps keysyms through its keymap; a bad event would end the session.
    vnc.keyEvent(0xffe1, true);
    vnc.keyEvent(0x41, true);
    vnc.keyEvent(0x41, false);
    vnc.keyEvent(0xffe1, false);
    vnc.requestUpdate(false);
    await updated;
    expect(frameBytes).toBeGreaterThan(0);
    expect(vnc.closeReason).toBeUndefined();

    const events: QmpEvent[] = [];
    qmp.on('event', (e) => events.push(e));
    await qmp.execute('quit').catch(() => undefined); // QEMU may close before replying
    const result = await child;
    expect(result.exitCode).toBe(0);
    await Promise.all([qmp.closed, vnc.closed]);
    expect(events.map((e) => e.event)).toContain('SHUTDOWN');
  });
});
