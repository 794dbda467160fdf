/**
 * The build log under faults, with real QEMU: a full disk under the logs (a small tmpfs, or
 * /dev/full where mounting is not allowed) fails the build with one line and leaves no QEMU,
 * no port and no image; a second Ctrl-C while ansible runs exits 130 with build.log's last
 * line on disk, the ansible temporary folder (key copy, password file) and inventory gone, and a
 * password given as an extra var nowhere in the logs or ansible's command line.
 */
import {execFileSync} from 'node:child_process';
import {cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statfsSync, statSync, symlinkSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {execa} from 'execa';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {assertBuilt, BIN, CACHE, portListening, processAlive, ROOT, runCli, tinyWithProvisioners, tmpDir} from './helpers.js';

beforeAll(() => assertBuilt());

/** Command lines of processes (not this one) that mention `needle`, with their PIDs. */
function processesMentioning(needle: string): {pid: number; cmd: string}[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d) && Number(d) !== process.pid)
    .map((d) => {
      try {
        return {pid: Number(d), cmd: readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0').join(' ')};
      } catch {
        return {pid: Number(d), cmd: ''};
      }
    })
    .filter((p) => p.cmd.includes(needle));
}

async function until<T>(fn: () => T | undefined, what: string, ms = 90_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const mounts: string[] = [];
afterAll(() => {
  for (const m of mounts.splice(0)) {
    execFileSync('umount', [m]);
    rmSync(m, {recursive: true, force: true});
  }
});

/** A log folder on a file system with `room` bytes left: a 1 MiB tmpfs, filled; else (no mount allowed) build.log is /dev/full. */
function fullLogDir(room: number): {dir: string; how: 'tmpfs' | '/dev/full'} {
  const mnt = mkdtempSync(path.join(os.tmpdir(), 'vmbench-fullfs-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m,mode=0700', 'tmpfs', mnt], {stdio: 'ignore'});
  } catch {
    rmSync(mnt, {recursive: true, force: true});
    const dir = path.join(tmpDir(), 'logs');
    mkdirSync(dir);
    symlinkSync('/dev/full', path.join(dir, 'build.log'));
    return {dir, how: '/dev/full'};
  }
  mounts.push(mnt);
  const fs = statfsSync(mnt);
  writeFileSync(path.join(mnt, 'filler'), Buffer.alloc(fs.bavail * fs.bsize - room));
  return {dir: path.join(mnt, 'logs'), how: 'tmpfs'};
}

describe('the build log under faults (real QEMU)', () => {
  it('a full disk under the logs fails the build with one line, and leaves no QEMU, port or image', {timeout: 120_000}, async () => {
    // Room for the first few steps' lines, not for the boot and provisioning that follow.
    const {dir, how} = fullLogDir(24 * 1024);
    const out = path.join(tmpDir(), 'out');
    const r = await runCli(['build', 'tiny', '--plain', '--output', out, '--log-dir', dir, '--cache-dir', CACHE]);
    expect(r.exitCode, r.all).toBe(1);
    const cause = `cannot write the build log in ${dir}: no space left on device`;
    // The cause, once, on the last line that says why; the build's own last word agrees.
    expect(r.stderr.split('\n').filter((l) => l.startsWith('vmbench: build failed'))).toEqual([expect.stringMatching(new RegExp(`^vmbench: build failed at [\\w-]+: ${cause.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`))]);
    expect(r.stdout).toContain(`vmbench: build failed in`);
    expect(r.stdout.split('\n').filter((l) => l.includes('build done'))).toEqual([]);
    if (how === 'tmpfs') {
      // It failed while the VM ran: the VM and its ports are gone.
      const hit = /QEMU running \(pid (\d+)[^;]*; VNC 127\.0\.0\.1:(\d+)/.exec(r.stdout);
      expect(hit, r.stdout).not.toBeNull();
      expect(processAlive(Number(hit![1]))).toBe(false);
      expect(await portListening(Number(hit![2]))).toBe(false);
      // What was written is whole lines, and the folder is private.
      expect(readFileSync(path.join(dir, 'build.log'), 'utf8')).toMatch(/\n$/);
      expect(statSync(dir).mode & 0o777).toBe(0o700);
    }
    // No image, complete or not.
    const left = existsSync(out) ? readdirSync(out, {recursive: true}).map(String) : [];
    expect(left.filter((f) => /qcow2|partial/.test(f))).toEqual([]);
  });

  it('a second Ctrl-C while ansible runs: exit 130, the log\'s tail on disk, no ansible folder, no password anywhere', {timeout: 150_000}, async () => {
    const SECRET = 'hunter2-become-pw';
    const profile = tinyWithProvisioners(
      `provisioners:
  - type: ansible
    playbook_file: playbook.yml
    command: ./slow-to-stop-ansible
    extra_arguments: ["-e", "ansible_become_pass=${SECRET} app=web"]

`,
    );
    cpSync(path.join(ROOT, 'test', 'fixtures', 'ansible', 'tiny-raw.yml'), path.join(profile, 'playbook.yml'));
    // The play then waits long enough to be interrupted.
    writeFileSync(path.join(profile, 'playbook.yml'), `${readFileSync(path.join(profile, 'playbook.yml'), 'utf8')}\n    - name: Wait\n      ansible.builtin.raw: sleep 120\n`);
    // An ansible-playbook that takes its time to stop (a task finishing): SIGTERM is ignored, so
    // the second Ctrl-C comes while the provisioner still waits for it — its cleanup never runs.
    writeFileSync(path.join(profile, 'slow-to-stop-ansible'), '#!/bin/sh\ntrap "" TERM\nexec ansible-playbook "$@"\n', {mode: 0o755});
    const tmp = tmpDir('vmbench-tmpdir-');
    const logs = path.join(tmpDir(), 'logs');
    const out = path.join(tmpDir(), 'out');
    const child = execa('node', [BIN, 'build', profile, '--plain', '--output', out, '--log-dir', logs, '--cache-dir', CACHE], {
      reject: false,
      all: true,
      env: {CI: 'true', XDG_STATE_HOME: tmpDir('vmbench-state-'), TMPDIR: tmp},
      stdin: 'ignore',
    });
    let text = '';
    child.all!.on('data', (d: Buffer) => (text += d.toString()));
    // ansible-playbook runs (its private folder is there), connected to the guest.
    const ansible = await until(() => processesMentioning(path.join(profile, 'playbook.yml')).find((p) => /ansible-playbook/.test(p.cmd)), 'ansible-playbook');
    await until(() => (/BEGIN\{ansible\}|Wait/.test(text) || readdirSync(tmp).some((d) => d.startsWith('vmbench-ansible-')) ? true : undefined), 'the ansible folder');
    expect(readdirSync(tmp).filter((d) => d.startsWith('vmbench-ansible-'))).toHaveLength(1);
    // The password is not on its command line (anyone can read it in ps); it is in a private file.
    expect(ansible.cmd).not.toContain(SECRET);
    expect(ansible.cmd).toMatch(/-e @\S+\/extra-vars-1\.json/);
    const qemuPid = Number(/QEMU running \(pid (\d+)/.exec(text)?.[1]);
    expect(qemuPid).toBeGreaterThan(0);

    // Ctrl-C twice, as a user does: the second while the first one's cleanup still runs.
    process.kill(child.pid!, 'SIGINT');
    await until(() => (/stopping ansible-playbook/.test(text) ? true : undefined), 'the first Ctrl-C to be taken');
    process.kill(child.pid!, 'SIGINT');
    const r = await child;
    expect(r.exitCode, r.all).toBe(130);
    expect(r.stderr, r.all).toMatch(/SIGINT again: stopped at once/);

    // build.log ends with how it ended: nothing lost to buffering at process.exit.
    const log = readFileSync(path.join(logs, 'build.log'), 'utf8');
    const last = log.trimEnd().split('\n');
    expect(last.at(-1)).toMatch(/ vmbench: exited with status 130 before the build ended$/);
    expect(last.at(-2)).toMatch(/vmbench\(warn\): stopped at once: QEMU killed/);
    expect(log).toMatch(/ansible: running \S+ -e @\S+packer-vars\.json -e @\S+extra-vars-1\.json/);
    // Logs private; no password in any of them, nor in the output.
    expect(statSync(logs).mode & 0o777).toBe(0o700);
    for (const f of readdirSync(logs)) {
      const file = path.join(logs, f);
      if (statSync(file).isFile()) {
        expect(statSync(file).mode & 0o777, f).toBe(0o600);
        expect(readFileSync(file, 'utf8'), f).not.toContain(SECRET);
      }
    }
    expect(r.all).not.toContain(SECRET);
    // The ansible folder (key copy, vars files) and the inventory are gone; QEMU and ansible too.
    expect(readdirSync(tmp).filter((d) => d.startsWith('vmbench-ansible-'))).toEqual([]);
    const outFiles = existsSync(out) ? readdirSync(out, {recursive: true}).map(String) : [];
    expect(outFiles.filter((f) => f.includes('ansible-inventory'))).toEqual([]);
    await until(() => (!processAlive(qemuPid) ? true : undefined), 'QEMU to be gone', 10_000);
    await until(() => (processesMentioning(path.join(profile, 'playbook.yml')).length === 0 ? true : undefined), 'ansible-playbook to be gone', 10_000);
    // Whatever is left under the output (nothing: a second Ctrl-C removes the unfinished build) holds no secret.
    for (const f of outFiles) {
      const file = path.join(out, f);
      if (statSync(file).isFile() && statSync(file).size < 1 << 20) expect(readFileSync(file, 'utf8'), f).not.toContain(SECRET);
    }
  });
});
