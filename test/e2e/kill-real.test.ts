/**
 * vmbench killed hard, and Ctrl-C at the KVM probe (real QEMU, the tiny profile):
 * - SIGKILL of vmbench while its guest boots: the build's watchdog kills QEMU within seconds
 *   (it used to run on until some later vmbench's reaper), the ports close, the socket and work
 *   folders go, and the watchdog itself ends.
 * - SIGINT as start-vm begins (the accelerator probe runs then, uncached in a fresh state
 *   folder): the build is cancelled (130) and no QEMU is started after the cleanups.
 */
import {existsSync, readdirSync, readFileSync} from 'node:fs';
import path from 'node:path';
import {beforeAll, describe, expect, it} from 'vitest';
import {assertBuilt, CACHE, events, portListening, stepRunning, tinyProfileCopy, tmpDir, watchBuild} from './helpers.js';

beforeAll(() => assertBuilt());

/** PIDs of processes whose command line contains `text` (QEMUs of a build, its watchdog). */
function processesWith(text: string): number[] {
  const pids: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d) || Number(d) === process.pid) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const zombie = stat[stat.lastIndexOf(')') + 2] === 'Z'; // exited, not yet reaped: gone
      if (!zombie && readFileSync(`/proc/${d}/cmdline`, 'utf8').replace(/\0/g, ' ').includes(text)) pids.push(Number(d));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

async function until(pred: () => boolean | Promise<boolean>, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await pred()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return pred();
}

describe('vmbench killed (real QEMU)', () => {
  it('SIGKILL of vmbench: its watchdog kills QEMU, frees the ports, removes the temporary folders, and ends', {timeout: 180_000}, async () => {
    const state = tmpDir('vmbench-state-');
    const work = tmpDir();
    const env = {CI: 'true', XDG_STATE_HOME: state, XDG_CACHE_HOME: path.join(state, 'cache')};
    const w = watchBuild(['tiny', '--output', path.join(work, 'out'), '--cache-dir', CACHE], env);
    const {child} = w;
    await w.when(stepRunning('wait-ssh'));
    const qemuPid = w.qemuPid();
    const ports = w.events.filter((e) => e.type === 'info' && /^(ssh|vnc)$/.test(String(e.key))).map((e) => Number(/:(\d+)/.exec(String(e.value))![1]));
    const record = JSON.parse(readFileSync(path.join(state, 'vmbench', 'run', `qemu-${qemuPid}.json`), 'utf8')) as {socketDir: string; workDir: string};
    const runDir = path.join(state, 'vmbench', 'run');
    expect(processesWith(runDir)).toHaveLength(1); // the watchdog (its argument is the run dir)
    expect(existsSync(record.socketDir) && existsSync(record.workDir)).toBe(true);
    expect(ports).toHaveLength(2);

    child.kill('SIGKILL');
    const r = await child;
    expect(r.signal).toBe('SIGKILL');
    // Within seconds, not at the next vmbench start.
    expect(await until(() => processesWith(record.socketDir).length === 0, 20_000), `QEMU ${qemuPid} still runs`).toBe(true);
    for (const p of ports) expect(await until(async () => !(await portListening(p)), 5_000), `port ${p}`).toBe(true);
    // The watchdog removes them after the kill: give it a moment on a busy host.
    expect(await until(() => !existsSync(record.socketDir) && !existsSync(record.workDir), 5_000), 'socket or work folder left').toBe(true);
    expect(readdirSync(runDir).filter((f) => f.startsWith('qemu-'))).toEqual([]);
    expect(await until(() => processesWith(runDir).length === 0, 5_000), 'the watchdog is still running').toBe(true);
  });

  it('SIGKILL of vmbench while a host-side provisioner runs: the command, its children and its private temporary folder go too', {timeout: 180_000}, async () => {
    const state = tmpDir('vmbench-state-');
    const work = tmpDir();
    // The build's temporary folders land here (TMPDIR), so what is left can be listed exactly.
    const tmp = tmpDir('vmbench-tmp-');
    // A duration no other process on the host uses, to find the command's child by.
    const nap = `sleep 59.${process.pid}`;
    const profile = tinyProfileCopy((y) => y.replace(/^provisioners:\n/m, () => `provisioners:\n  - type: shell-local\n    inline: ['echo host-side-running; ${nap}']\n`));
    const w = watchBuild([profile, '--output', path.join(work, 'out'), '--cache-dir', CACHE], {XDG_STATE_HOME: state, TMPDIR: tmp});
    await w.when((e) => e.type === 'log' && String(e.line) === 'host-side-running');
    expect(readdirSync(tmp).some((d) => d.startsWith('vmbench-shell-local-'))).toBe(true);
    expect(await until(() => processesWith(nap).length === 1, 5_000), 'the provisioner’s sleep').toBe(true);
    w.child.kill('SIGKILL');
    await w.child;
    // vmbench-ports-<uid> is the host's shared port-lease folder (src/util/ports.ts), not the build's.
    const leftover = () => readdirSync(tmp).filter((d) => d.startsWith('vmbench-') && !d.startsWith('vmbench-ports-'));
    expect(await until(() => leftover().length === 0, 10_000), `left in TMPDIR: ${leftover().join(', ')}`).toBe(true);
    expect(await until(() => processesWith(path.join(work, 'out')).length === 0, 10_000), 'QEMU still runs').toBe(true);
    // The host-side command's process group: the script's shell and the sleep it started.
    expect(await until(() => processesWith(nap).length === 0, 10_000), 'the provisioner’s sleep still runs').toBe(true);
    expect(processesWith(tmp)).toEqual([]);
  });

  it('SIGINT as start-vm begins (the KVM probe): cancelled, and no QEMU starts after the cleanups', {timeout: 120_000}, async () => {
    const state = tmpDir('vmbench-state-');
    const work = tmpDir();
    const env = {CI: 'true', XDG_STATE_HOME: state, XDG_CACHE_HOME: path.join(state, 'cache')};
    const profile = tinyProfileCopy();
    const w = watchBuild([profile, '--output', path.join(work, 'out'), '--cache-dir', CACHE], env);
    const {child} = w;
    await w.when(stepRunning('start-vm'));
    child.kill('SIGINT');
    const r = await child;
    expect(r.exitCode, r.stderr).toBe(130);
    expect(r.stderr).toContain('cancelled');
    // The probe's answer may still come in after the Ctrl-C: start-vm must not start the VM then.
    expect(events(r.stdout).some((e) => /QEMU running/.test(String(e.line ?? '')))).toBe(false);
    // Nothing of this build runs: no QEMU with its work folder on its command line, no probe.
    await new Promise((res) => setTimeout(res, 1000));
    expect(processesWith(work)).toEqual([]);
    expect(processesWith(`vmbench-accel-probe-${child.pid}`)).toEqual([]);
    expect(readdirSync(path.join(state, 'vmbench', 'run')).filter((f) => f.startsWith('qemu-'))).toEqual([]);
    expect(readdirSync(work).filter((f) => f !== 'out')).toEqual([]);
  });
});
