/**
 * `vmbench ps` and `vmbench stop` on records in a private run directory, with stand-in QEMUs
 * (real processes carrying their marker): what is listed, how an id or PID is resolved, and a
 * kept VM without a QMP socket stopped by SIGTERM, its record and socket folder removed.
 */
import {spawn, spawnSync, type ChildProcess} from 'node:child_process';
import {existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {execa} from 'execa';
import {afterEach, beforeEach, describe, expect, it} from 'vitest';
import {assertBuilt, BIN} from '../e2e/helpers.js';
import {registerBuild} from '../../src/engine/registry.js';
import {keepQemu, recordFile, readRecord, rememberQemu, runDir} from '../../src/qemu/reaper.js';
import {formatPs, psEntries} from '../../src/cli/ps-command.js';
import {findEntry, stopVm} from '../../src/cli/stop-command.js';

describe('vmbench ps / stop', () => {
  let state = '';
  const saved = process.env.XDG_STATE_HOME;
  const started: ChildProcess[] = [];
  beforeEach(() => {
    state = mkdtempSync(path.join(os.tmpdir(), 'vmbench-ps-'));
    process.env.XDG_STATE_HOME = state;
  });
  afterEach(() => {
    for (const p of started.splice(0)) if (p.exitCode === null && p.signalCode === null) process.kill(-p.pid!, 'SIGKILL');
    process.env.XDG_STATE_HOME = saved;
    rmSync(state, {recursive: true, force: true});
  });
  const fakeQemu = (marker: string): ChildProcess & {gone: Promise<unknown>} => {
    const p = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)', marker], {detached: true, stdio: 'ignore'});
    started.push(p);
    return Object.assign(p, {gone: new Promise((r) => p.once('exit', r))});
  };
  const orphan = (pid: number): void => writeFileSync(recordFile(pid), JSON.stringify({...readRecord(pid), owner: spawnSync('true').pid}));

  it('lists running builds with their QEMU, kept VMs and orphans; resolves ids, prefixes and PIDs', () => {
    registerBuild({id: 'aaaa1111', profile: 'tiny', pid: process.pid, logDir: '/logs/a', started: 1000, vnc: {host: '127.0.0.1', port: 5901}});
    const running = fakeQemu('/tmp/vmbench-ps/a.sock');
    rememberQemu(running.pid!, '/tmp/vmbench-ps/a.sock');
    const kept = fakeQemu('/tmp/vmbench-ps/b.sock');
    rememberQemu(kept.pid!, '/tmp/vmbench-ps/b.sock');
    keepQemu(kept.pid!, {build: 'bbbb2222', profile: 'debian', ssh: {host: '127.0.0.1', port: 2201}, logDir: '/logs/b'});
    orphan(kept.pid!);
    const left = fakeQemu('/tmp/vmbench-ps/c.sock');
    rememberQemu(left.pid!, '/tmp/vmbench-ps/c.sock');
    orphan(left.pid!);

    const entries = psEntries();
    expect(entries.map((e) => [e.id, e.state, e.pid, e.qemuPid])).toEqual([
      ['aaaa1111', 'running', process.pid, running.pid],
      ['bbbb2222', 'kept', kept.pid, kept.pid],
      [`pid-${left.pid}`, 'orphaned', left.pid, left.pid],
    ]);
    const table = formatPs(entries, Date.now());
    expect(table).toMatch(/^ID +PROFILE +STATE +PID +AGE +VNC +SSH +LOGS$/m);
    expect(table).toMatch(new RegExp(`^bbbb2222 +debian +kept +${kept.pid} +\\S+ +- +127\\.0\\.0\\.1:2201 +/logs/b$`, 'm'));

    expect(findEntry('bbbb', entries)).toMatchObject({id: 'bbbb2222'});
    expect(findEntry(String(running.pid), entries)).toMatchObject({id: 'aaaa1111'});
    expect(findEntry('zzz', entries)).toMatchObject({code: 1});
    registerBuild({id: 'aaaa3333', profile: 'tiny', pid: process.pid, logDir: '/logs/c'});
    expect(findEntry('aaaa', psEntries())).toMatchObject({code: 2});
  });

  it('stops a kept VM with SIGTERM when QMP does not answer; its record and socket folder go', async () => {
    const sockets = mkdtempSync(path.join(os.tmpdir(), 'vmbench-'));
    const marker = path.join(sockets, 'qmp.sock');
    const vm = fakeQemu(marker);
    rememberQemu(vm.pid!, marker);
    keepQemu(vm.pid!, {build: 'cccc3333', socketDir: sockets});
    const [entry] = psEntries();
    const lines: string[] = [];
    expect(await stopVm(entry!, {graceMs: 2000, log: (l) => lines.push(l)})).toBe('SIGTERM');
    await vm.gone;
    expect(lines.join('\n')).toMatch(/QMP quit did not work/);
    expect(readdirSync(runDir())).toEqual([]);
    expect(existsSync(sockets)).toBe(false);
    await expect(stopVm(entry!)).rejects.toThrow(/not running any more/);
  });

  it('the command waits for a VM slow to go, then says so (it once left early, status 0, silent)', async () => {
    assertBuilt();
    const marker = '/tmp/vmbench-ps/slow.sock';
    // Takes its time after SIGTERM, as a QEMU flushing its disk does.
    const vm = spawn(process.execPath, ['-e', "process.on('SIGTERM', () => setTimeout(() => process.exit(0), 1500)); setInterval(() => {}, 1000)", marker], {detached: true, stdio: 'ignore'});
    started.push(vm);
    await new Promise((r) => setTimeout(r, 300)); // its handler is installed
    rememberQemu(vm.pid!, marker);
    keepQemu(vm.pid!, {build: 'dddd4444', profile: 'tiny', workDir: '/kept/files'});
    const r = await execa('node', [BIN, 'stop', 'dddd4444'], {reject: false, env: {XDG_STATE_HOME: state}});
    expect(r.stdout).toBe(`stopped kept VM dddd4444 (tiny, QEMU pid ${vm.pid}, by SIGTERM); its files stay in /kept/files`);
    expect(r.exitCode).toBe(0);
    expect(readdirSync(runDir())).toEqual([]);
  });
});
