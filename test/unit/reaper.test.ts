import {spawn, spawnSync, type ChildProcess} from 'node:child_process';
import {mkdtempSync, readdirSync, rmSync, statSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {afterEach, beforeEach, describe, expect, it} from 'vitest';
import {describeQemu, forgetQemu, keepQemu, keptQemus, listQemus, readRecord, reapStaleQemus, recordFile, rememberQemu, runDir} from '../../src/qemu/reaper.js';

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Stand-in for a QEMU: its own process group, the marker in its command line. */
function fakeQemu(marker: string): ChildProcess & {gone: Promise<unknown>} {
  const p = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)', marker], {detached: true, stdio: 'ignore'});
  return Object.assign(p, {gone: new Promise((r) => p.once('exit', r))});
}

describe('reaper records', () => {
  let state = '';
  const saved = process.env.XDG_STATE_HOME;
  const started: ChildProcess[] = [];
  beforeEach(() => {
    state = mkdtempSync(path.join(os.tmpdir(), 'vmbench-reaper-'));
    process.env.XDG_STATE_HOME = state;
  });
  afterEach(() => {
    for (const p of started.splice(0)) if (p.exitCode === null && p.signalCode === null) process.kill(-p.pid!, 'SIGKILL');
    process.env.XDG_STATE_HOME = saved;
    rmSync(state, {recursive: true, force: true});
  });
  const deadOwner = (): number => spawnSync('true').pid!;
  /** Rewrite a record as if a vmbench that has since exited had written it. */
  const orphan = (pid: number): void => writeFileSync(recordFile(pid), JSON.stringify({...readRecord(pid), owner: deadOwner()}));

  it('kills a VM whose vmbench died, but not one whose owner lives, nor a reused PID', async () => {
    const marker = `/tmp/vmbench-test-${process.pid}/qmp.sock`;
    const dead = fakeQemu(`${marker}-a`);
    const owned = fakeQemu(`${marker}-b`);
    started.push(dead, owned);
    rememberQemu(dead.pid!, `${marker}-a`);
    orphan(dead.pid!);
    rememberQemu(owned.pid!, `${marker}-b`); // its owner (us) lives
    // PID 1 is not the QEMU the record names: never killed, the record goes.
    writeFileSync(path.join(runDir(), 'qemu-1.json'), JSON.stringify({owner: deadOwner(), pid: 1, marker}));

    expect(reapStaleQemus()).toEqual([dead.pid]);
    await dead.gone;
    expect(alive(1)).toBe(true);
    expect(alive(owned.pid!)).toBe(true);
    expect(readdirSync(runDir()).sort()).toEqual([`qemu-${owned.pid}.json`]);
    forgetQemu(owned.pid!);
    expect(readdirSync(runDir())).toEqual([]);
  });

  it('leaves a kept VM alone after its vmbench died, and lists it with what it was told', () => {
    const marker = `/tmp/vmbench-test-${process.pid}/kept.sock`;
    const vm = fakeQemu(marker);
    started.push(vm);
    rememberQemu(vm.pid!, marker);
    describeQemu(vm.pid!, {build: 'abcd1234', profile: 'tiny', ssh: {host: '127.0.0.1', port: 2222}});
    keepQemu(vm.pid!, {vnc: {host: '127.0.0.1', port: 5901, password: 'secret12'}, logDir: '/logs'});
    orphan(vm.pid!);

    expect(reapStaleQemus()).toEqual([]);
    expect(alive(vm.pid!)).toBe(true);
    const [kept] = keptQemus();
    expect(kept).toMatchObject({pid: vm.pid, build: 'abcd1234', profile: 'tiny', kept: true, ssh: {port: 2222}, vnc: {port: 5901, password: 'secret12'}, logDir: '/logs'});
    expect(kept!.keptAt).toBeGreaterThan(0);
    // Its VNC password is in there: owner-only.
    expect(statSync(recordFile(vm.pid!)).mode & 0o777).toBe(0o600);
    expect(statSync(runDir()).mode & 0o777).toBe(0o700);
  });

  it('forgets the record of a QEMU that is gone, kept or not', async () => {
    const vm = fakeQemu('/tmp/vmbench-test-gone');
    rememberQemu(vm.pid!, '/tmp/vmbench-test-gone');
    keepQemu(vm.pid!, {});
    process.kill(-vm.pid!, 'SIGKILL');
    await vm.gone;
    expect(listQemus()).toEqual([]);
    expect(readdirSync(runDir())).toEqual([]);
    expect(() => keepQemu(vm.pid!, {})).toThrow(/no record of QEMU/);
  });
});
