/**
 * The build watchdog's sh program, run for real: end-of-file without a word (its vmbench died)
 * kills the watched QEMUs whose command line still carries their marker — never a kept one —
 * and removes the watched folders; `bye` and `keep` end it with nothing touched.
 */
import {spawn, type ChildProcess} from 'node:child_process';
import {existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {afterEach, beforeEach, describe, expect, it} from 'vitest';
import {keepQemu, recordFile, rememberQemu, runDir} from '../../src/qemu/reaper.js';
import {currentWatchdog, processStartTime, Watchdog, WATCHDOG_SCRIPT, watchProcess} from '../../src/qemu/watchdog.js';

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    // A zombie (exited, not yet reaped by us) is as good as gone.
    return !/^\S+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

async function until(pred: () => boolean, ms = 10_000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (pred()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return pred();
}

describe('watchdog', () => {
  let state = '';
  const saved = process.env.XDG_STATE_HOME;
  const started: ChildProcess[] = [];
  beforeEach(() => {
    state = mkdtempSync(path.join(os.tmpdir(), 'vmbench-watchdog-'));
    process.env.XDG_STATE_HOME = state;
    mkdirSync(runDir(), {recursive: true});
  });
  afterEach(() => {
    for (const p of started.splice(0)) if (p.exitCode === null && p.signalCode === null) process.kill(-p.pid!, 'SIGKILL');
    process.env.XDG_STATE_HOME = saved;
    rmSync(state, {recursive: true, force: true});
  });
  const fakeQemu = (marker: string): ChildProcess => {
    const p = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)', marker], {detached: true, stdio: 'ignore'});
    started.push(p);
    return p;
  };
  const script = (): ChildProcess & {ended: Promise<number | null>} => {
    const p = spawn('sh', ['-c', WATCHDOG_SCRIPT, 'vmbench-watchdog', runDir()], {stdio: ['pipe', 'ignore', 'inherit']});
    started.push(p);
    return Object.assign(p, {ended: new Promise<number | null>((r) => p.once('exit', r))});
  };

  it('on end-of-file kills the watched QEMUs (not a kept one, not a PID running something else) and removes the folders', async () => {
    const tmp = path.join(state, 'work with space');
    mkdirSync(path.join(tmp, 'sub'), {recursive: true});
    const vm = fakeQemu('/tmp/vmbench-wd/qmp.sock');
    const kept = fakeQemu('/tmp/vmbench-wd/kept.sock');
    const other = fakeQemu('/tmp/vmbench-wd/other');
    rememberQemu(vm.pid!, '/tmp/vmbench-wd/qmp.sock');
    rememberQemu(kept.pid!, '/tmp/vmbench-wd/kept.sock');
    keepQemu(kept.pid!, {});
    const wd = script();
    wd.stdin!.write(`qemu ${vm.pid} /tmp/vmbench-wd/qmp.sock\nqemu ${kept.pid} /tmp/vmbench-wd/kept.sock\n`);
    // `other` is watched under a marker its command line does not carry (a reused PID).
    wd.stdin!.write(`qemu ${other.pid} /tmp/vmbench-wd/qmp.sock\ndir ${tmp}\n`);
    wd.stdin!.end();
    expect(await wd.ended).toBe(0);
    expect(await until(() => !alive(vm.pid!))).toBe(true);
    expect(alive(kept.pid!)).toBe(true);
    expect(alive(other.pid!)).toBe(true);
    expect(existsSync(tmp)).toBe(false);
    expect(existsSync(recordFile(vm.pid!))).toBe(false);
    expect(existsSync(recordFile(kept.pid!))).toBe(true);
  });

  it.each(['bye', 'keep'])('ends on "%s" and touches nothing, even when the pipe closes after', async (word) => {
    const tmp = mkdtempSync(path.join(state, 'work-'));
    const vm = fakeQemu('/tmp/vmbench-wd/bye.sock');
    const wd = script();
    wd.stdin!.write(`qemu ${vm.pid} /tmp/vmbench-wd/bye.sock\ndir ${tmp}\n${word}\n`);
    expect(await wd.ended).toBe(0);
    wd.stdin!.destroy();
    expect(alive(vm.pid!)).toBe(true);
    expect(existsSync(tmp)).toBe(true);
  });

  it("is told of every QEMU recorded while its build runs, and kills it when its owner's pipe closes", async () => {
    const w = new Watchdog(runDir());
    const vm = fakeQemu('/tmp/vmbench-wd/als.sock');
    const outside = fakeQemu('/tmp/vmbench-wd/outside.sock');
    expect(currentWatchdog()).toBeUndefined();
    await w.run(async () => {
      await new Promise((r) => setTimeout(r, 10)); // across an await: the context follows
      expect(currentWatchdog()).toBe(w);
      rememberQemu(vm.pid!, '/tmp/vmbench-wd/als.sock');
    });
    rememberQemu(outside.pid!, '/tmp/vmbench-wd/outside.sock'); // not this build's
    expect(w.pid).toBeGreaterThan(0);
    // What the kernel does when vmbench dies: the write end closes without a word.
    (w as unknown as {child: ChildProcess}).child.stdin!.destroy();
    expect(await until(() => !alive(vm.pid!))).toBe(true);
    expect(await until(() => !alive(w.pid!))).toBe(true);
    expect(alive(outside.pid!)).toBe(true);
  });

  it('on end-of-file kills a watched host-side process group, but not one whose PID names another process now', async () => {
    // A shell-local command: its own process group, with a child of its own.
    const host = spawn('sh', ['-c', 'sleep 60 & sleep 61; wait'], {detached: true, stdio: 'ignore'});
    started.push(host);
    const groupMembers = (): number[] =>
      readdirSync('/proc')
        .filter((f) => /^\d+$/.test(f))
        .map(Number)
        .filter((p) => {
          try {
            const st = readFileSync(`/proc/${p}/stat`, 'utf8');
            return Number(st.slice(st.lastIndexOf(')') + 2).split(' ')[2]) === host.pid && alive(p);
          } catch {
            return false;
          }
        });
    expect(await until(() => groupMembers().length === 3)).toBe(true);
    const unrelated = fakeQemu('not-a-host-command');
    const wd = script();
    wd.stdin!.write(`proc ${host.pid} ${processStartTime(host.pid!)} 1\n`);
    // The unrelated process's PID with a start time that is not its own: a reused PID.
    wd.stdin!.write(`proc ${unrelated.pid} ${Number(processStartTime(unrelated.pid!)) + 1} 1\n`);
    wd.stdin!.end();
    expect(await wd.ended).toBe(0);
    expect(await until(() => groupMembers().length === 0)).toBe(true);
    expect(alive(unrelated.pid!)).toBe(true);
  });

  it('watchProcess reports a process of the running build only', async () => {
    const w = new Watchdog(runDir());
    const inside = spawn('sh', ['-c', 'sleep 60'], {detached: true, stdio: 'ignore'});
    const outside = spawn('sh', ['-c', 'sleep 60'], {detached: true, stdio: 'ignore'});
    started.push(inside, outside);
    await w.run(async () => watchProcess(inside.pid, true));
    watchProcess(outside.pid, true);
    (w as unknown as {child: ChildProcess}).child.stdin!.destroy();
    expect(await until(() => !alive(inside.pid!))).toBe(true);
    expect(await until(() => !alive(w.pid!))).toBe(true);
    expect(alive(outside.pid!)).toBe(true);
  });
});
