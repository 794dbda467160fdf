/**
 * Issue 13's fault-injection suite on the real tiny guest: signals at several steps, a second
 * Ctrl-C, SIGKILL of QEMU mid-provision, the SSH and VNC connections cut under vmbench
 * (`ss -K`, which aborts the TCP sockets of this host), each asserting the exit status, the one
 * line that names the cause, and what is left: no QEMU, no listening port, no output folder, no
 * work folder. (SIGKILL of vmbench, full disks, taken ports and bad images have their own files;
 * the README's reliability table lists them all.)
 */
import {existsSync, readdirSync} from 'node:fs';
import {createServer} from 'node:net';
import type {AddressInfo} from 'node:net';
import path from 'node:path';
import {execa} from 'execa';
import {beforeAll, describe, expect, it} from 'vitest';
import {assertBuilt, CACHE, portListening, processAlive, stepRunning, tinyProfileCopy, tmpDir, watchBuild, type WatchedBuild} from './helpers.js';

beforeAll(() => assertBuilt());

interface Watched extends WatchedBuild {
  out: string;
  work: string;
}

/** `vmbench build <profile> --json` into a fresh folder, watched (helpers.ts watchBuild). */
function start(profile: string, extra: string[] = []): Watched {
  const work = tmpDir('vmbench-fault-');
  const out = path.join(work, 'out');
  return {...watchBuild([profile, '--output', out, '--cache-dir', CACHE, ...extra], {XDG_STATE_HOME: path.join(work, 'state')}), out, work};
}

/** What every fault must leave: no QEMU, no listening port, no output, no work folder beside it. */
async function nothingLeft(w: Watched): Promise<void> {
  // A SIGKILL sent as vmbench exits takes effect a moment later (the kernel's, not ours): up to 5 s.
  for (let i = 0; i < 50 && w.qemuPid() && processAlive(w.qemuPid()); i++) await new Promise((r) => setTimeout(r, 100));
  if (w.qemuPid()) expect(processAlive(w.qemuPid()), `QEMU ${w.qemuPid()}`).toBe(false);
  for (const p of w.ports) expect(await portListening(p), `port ${p}`).toBe(false);
  expect(existsSync(w.out), 'output folder').toBe(false);
  expect(readdirSync(w.work).filter((f) => f !== 'state'), 'work folders beside the output').toEqual([]);
}

/** The one line vmbench ends with on stderr (cause), e.g. "vmbench: build failed at provision: …". */
const lastLine = (stderr: string): string => stderr.trim().split('\n').filter((l) => l.startsWith('vmbench: ')).at(-1) ?? '';

describe('faults injected into a real build', () => {
  for (const [signal, step] of [
    ['SIGINT', 'start-vm'],
    ['SIGTERM', 'provision'],
    ['SIGHUP', 'wait-ssh'],
    ['SIGINT', 'convert'],
  ] as const) {
    it(`${signal} at ${step}: exit 130, cleaned up`, {timeout: 180_000}, async () => {
      const w = start('tiny');
      await w.when(stepRunning(step));
      w.child.kill(signal);
      const r = await w.child;
      expect(r.exitCode, String(r.all).slice(-3000)).toBe(130);
      expect(lastLine(r.stderr)).toMatch(/^vmbench: cancelled; cleaned up/);
      await nothingLeft(w);
    });
  }

  it('Ctrl-C twice during wait-ssh, the clean-up stuck on a frozen QEMU: stops at once, QEMU killed, exit 130', {timeout: 180_000}, async () => {
    const w = start('tiny');
    await w.when(stepRunning('wait-ssh'));
    // A frozen QEMU answers neither QMP quit nor SIGTERM: the first Ctrl-C's clean-up waits.
    process.kill(w.qemuPid(), 'SIGSTOP');
    w.child.kill('SIGINT');
    await w.when((e) => e.type === 'log' && /stopping QEMU/.test(String(e.line)));
    w.child.kill('SIGINT');
    const r = await w.child;
    expect(r.exitCode).toBe(130);
    expect(lastLine(r.stderr)).toMatch(/^vmbench: SIGINT again: stopped at once/);
    await nothingLeft(w);
  });

  it('a taken port range: exit 1 before QEMU starts, the range and its fields named', {timeout: 120_000}, async () => {
    // Every port of the SSH forward's range is taken by a listener of ours.
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as AddressInfo).port;
    try {
      const profile = tinyProfileCopy((y) => `${y}\nssh_host_port_min: ${port}\nssh_host_port_max: ${port}\n`);
      const w = start(profile);
      const r = await w.child;
      expect(r.exitCode, String(r.all).slice(-3000)).toBe(1);
      expect(lastLine(r.stderr)).toMatch(new RegExp(`^vmbench: build failed at start-vm: no free port between ${port} and ${port} on 127\\.0\\.0\\.1 \\(ssh_host_port_min\\.\\.ssh_host_port_max\\)`));
      expect(w.qemuPid()).toBe(0);
      await nothingLeft(w);
    } finally {
      blocker.close();
    }
  });

  it('QEMU killed (SIGKILL) mid-provision: exit 1, the cause is QEMU’s death', {timeout: 180_000}, async () => {
    const profile = tinyProfileCopy((y) => y.replace(/^provisioners:\n/m, () => `provisioners:\n  - type: shell\n    inline: ['echo provisioning; sleep 60']\n`));
    const w = start(profile);
    await w.when((e) => e.type === 'log' && String(e.line) === 'provisioning');
    process.kill(w.qemuPid(), 'SIGKILL');
    const r = await w.child;
    expect(r.exitCode, String(r.all).slice(-3000)).toBe(1);
    expect(lastLine(r.stderr)).toMatch(/^vmbench: build failed at provision: .*(QEMU|VM).*(exited|killed|died|gone)/i);
    await nothingLeft(w);
  });

  it('the SSH connection cut mid-provision: exit 1, the cause says the connection was lost', {timeout: 180_000}, async () => {
    const profile = tinyProfileCopy((y) => y.replace(/^provisioners:\n/m, () => `provisioners:\n  - type: shell\n    inline: ['echo provisioning; sleep 20']\n`));
    const w = start(profile);
    await w.when((e) => e.type === 'log' && String(e.line) === 'provisioning');
    const ssh = w.events.find((e) => e.type === 'info' && e.key === 'ssh');
    const port = /:(\d+)/.exec(String(ssh?.value))![1];
    const cut = await execa('ss', ['-K', 'dst', '127.0.0.1', 'dport', '=', `:${port}`], {reject: false});
    expect(cut.stdout).toMatch(new RegExp(`:${port}\\b`));
    const r = await w.child;
    expect(r.exitCode, String(r.all).slice(-3000)).toBe(1);
    expect(lastLine(r.stderr)).toMatch(/^vmbench: build failed at provision: .*connection .*lost/i);
    await nothingLeft(w);
  });

  it('the VNC connection cut as the boot command is typed: vmbench connects again and the build succeeds', {timeout: 180_000}, async () => {
    const w = start('tiny');
    await w.when(stepRunning('type-boot-command'));
    // vmbench's VNC connection is open once QEMU says a client finished its handshake.
    const typing = w.events.length;
    await w.when((e) => e.type === 'log' && /QMP event VNC_INITIALIZED/.test(String(e.line)) && w.events.indexOf(e) >= typing);
    const vnc = w.events.find((e) => e.type === 'info' && e.key === 'vnc');
    const port = /:(\d+)/.exec(String(vnc?.value))![1];
    const cut = await execa('ss', ['-K', 'dst', '127.0.0.1', 'dport', '=', `:${port}`], {reject: false});
    expect(cut.stdout).toMatch(new RegExp(`:${port}\\b`));
    const r = await w.child;
    expect(r.exitCode, String(r.all).slice(-3000)).toBe(0);
    expect(existsSync(path.join(w.out, 'tiny.qcow2'))).toBe(true);
    expect(w.events.filter((e) => e.type === 'log' && /QMP event VNC_CONNECTED/.test(String(e.line))).length).toBeGreaterThanOrEqual(2);
    for (let i = 0; i < 50 && processAlive(w.qemuPid()); i++) await new Promise((res) => setTimeout(res, 100));
    expect(processAlive(w.qemuPid())).toBe(false);
  });
});
