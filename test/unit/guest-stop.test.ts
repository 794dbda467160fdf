/**
 * The command that stops a shell provisioner's script on the guest, run here (Linux /proc, like
 * the guest's) with dash and busybox's sh: it must find the script's shells by the script's path
 * and everything they started, and never itself.
 */
import {spawn} from 'node:child_process';
import {chmodSync, existsSync, readFileSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {execa} from 'execa';
import {describe, expect, it} from 'vitest';
import {guestStopCommand} from '../../src/engine/steps/provisioners/guest-stop.js';
import {scratchDirs} from '../support/scratch.js';

const fresh = scratchDirs('vmbench-guest-stop-');

/** Whether a process runs (a zombie waiting to be reaped has stopped). */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2));
  } catch {
    return false;
  }
}

async function until(pred: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

const shells = [['/bin/sh'], ...(existsSync('/usr/bin/busybox') ? [['/usr/bin/busybox', 'sh']] : [])];

describe('guestStopCommand', () => {
  it.each(shells)('stops the script, its background and foreground children, under %s', async (...shell) => {
    const dir = fresh('g');
    const script = path.join(dir, 'script_1a2b3c4d.sh');
    writeFileSync(script, `#!/bin/sh -e\necho $$ > ${dir}/sh.pid\nsleep 300 &\necho $! > ${dir}/bg.pid\nexec sleep 301\n`);
    chmodSync(script, 0o755);
    // As sshd runs an execute_command: the session's shell runs the uploaded script.
    const session = spawn('/bin/sh', ['-c', `chmod +x ${script}; FOO=1 ${script}`], {detached: true, stdio: 'ignore'});
    const bystander = spawn('sleep', ['302'], {stdio: 'ignore'});
    try {
      await until(() => existsSync(path.join(dir, 'bg.pid')) && readFileSync(path.join(dir, 'bg.pid'), 'utf8').endsWith('\n'));
      const pids = ['sh.pid', 'bg.pid'].map((f) => Number(readFileSync(path.join(dir, f), 'utf8')));
      const r = await execa(shell[0]!, [...shell.slice(1), '-c', guestStopCommand(script, {remove: true})]);
      const stopped = r.stdout.split(' ').map(Number);
      expect(stopped).toEqual(expect.arrayContaining([session.pid, ...pids]));
      for (const pid of [session.pid!, ...pids]) await until(() => !running(pid));
      expect(running(bystander.pid!)).toBe(true);
      // Nothing runs it any more: a second call finds nothing; the script is gone.
      expect((await execa(shell[0]!, [...shell.slice(1), '-c', guestStopCommand(script)])).stdout).toBe('');
      expect(existsSync(script)).toBe(false);
    } finally {
      bystander.kill('SIGKILL');
      try {
        process.kill(-session.pid!, 'SIGKILL');
      } catch {
        // Already stopped by the command under test.
      }
    }
  });

  it('never writes the path whole, so its own shell is not a match', () => {
    expect(guestStopCommand('/tmp/script_1a2b3c4d.sh', {remove: true})).not.toContain('/tmp/script_1a2b3c4d.sh');
  });

  it('with remove, deletes the script whether or not something ran it', async () => {
    const dir = fresh('rm');
    const script = path.join(dir, 'script_5e6f.sh');
    writeFileSync(script, 'true\n');
    const r = await execa('/bin/sh', ['-c', guestStopCommand(script, {remove: true})]);
    expect(r.stdout).toBe('');
    expect(existsSync(script)).toBe(false);
  });
});
