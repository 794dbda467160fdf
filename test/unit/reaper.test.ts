import {spawn, spawnSync} from 'node:child_process';
import {mkdtempSync, readdirSync, rmSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {afterEach, beforeEach, describe, expect, it} from 'vitest';
import {forgetQemu, reapStaleQemus, rememberQemu, runDir} from '../../src/qemu/reaper.js';

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('reapStaleQemus', () => {
  let state = '';
  const saved = process.env.XDG_STATE_HOME;
  beforeEach(() => {
    state = mkdtempSync(path.join(os.tmpdir(), 'vmbench-reaper-'));
    process.env.XDG_STATE_HOME = state;
  });
  afterEach(() => {
    process.env.XDG_STATE_HOME = saved;
    rmSync(state, {recursive: true, force: true});
  });

  it('kills a VM whose vmbench died, but not one whose owner lives or whose PID was reused', async () => {
    const marker = `/tmp/vmbench-test-${process.pid}/qmp.sock`;
    // Stand-in for an orphaned QEMU: its own process group, the marker in its command line.
    const orphan = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)', marker], {detached: true, stdio: 'ignore'});
    const exited = new Promise((r) => orphan.once('exit', r));
    const deadOwner = spawnSync('true').pid!;
    rememberQemu(orphan.pid!, marker);
    // Rewrite the record as if a vmbench that has since exited had written it.
    const file = path.join(runDir(), `qemu-${orphan.pid}.json`);
    writeFileSync(file, JSON.stringify({owner: deadOwner, pid: orphan.pid, marker}));
    // A record for a live owner (us) must be left alone; one whose PID now runs something else too.
    rememberQemu(process.pid, 'not-in-our-cmdline');
    writeFileSync(path.join(runDir(), 'qemu-1.json'), JSON.stringify({owner: deadOwner, pid: 1, marker}));

    expect(reapStaleQemus()).toEqual([orphan.pid]);
    await exited;
    expect(alive(orphan.pid!)).toBe(false);
    expect(alive(1)).toBe(true);
    expect(readdirSync(runDir()).sort()).toEqual([`qemu-${process.pid}.json`]);
    forgetQemu(process.pid);
    expect(readdirSync(runDir())).toEqual([]);
  });
});
