/**
 * The guest's disk on a full host folder: the build's output (and its work folder, where the
 * VM's disk lives) on a small tmpfs, and a provisioner that writes more than the tmpfs holds.
 * QEMU pauses the VM (werror=enospc) and says so over QMP (BLOCK_IO_ERROR, STOP): the build
 * must fail at once with the folder named — not hang until the provisioner's timeout — and
 * leave no QEMU, no port and nothing on the tmpfs. Needs root for `mount -t tmpfs`; skipped
 * otherwise.
 */
import {execFileSync} from 'node:child_process';
import {mkdirSync, readdirSync} from 'node:fs';
import path from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {assertBuilt, CACHE, events, portListening, processAlive, runCli, tinyProfileCopy, tmpDir} from './helpers.js';

const work = tmpDir();
const small = path.join(work, 'small');
let mounted = false;
try {
  mkdirSync(small);
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=12m,mode=0755', 'tmpfs', small], {stdio: 'ignore'});
  mounted = true;
} catch {
  mounted = false;
}
beforeAll(() => assertBuilt());
afterAll(() => {
  if (mounted) execFileSync('umount', [small]);
});

describe.skipIf(!mounted)('the VM’s disk on a full file system (real QEMU, 12 MiB tmpfs)', () => {
  it('fails at once naming the folder, and leaves no QEMU, port or file behind', {timeout: 180_000}, async () => {
    // 48 MiB of random data onto the 64 MiB virtual disk: the qcow2 file outgrows the tmpfs.
    // The provisioner's own timeout is far away: only the fault watch ends this build in time.
    const profile = tinyProfileCopy((y) =>
      y.replace(/provisioners:\n(?:  .*\n|    .*\n)*/, 'provisioners:\n  - type: shell\n    timeout: 30m\n    inline: ["dd if=/dev/urandom of=/dev/vda bs=1M count=48 conv=fsync; echo wrote-it"]\n\n'),
    );
    const out = path.join(small, 'out');
    const r = await runCli(['build', profile, '--json', '--output', out, '--cache-dir', CACHE]);
    const evs = events(r.stdout);
    const failed = evs.find((e) => e.type === 'step' && e.status === 'failed');
    expect(failed?.id, r.stderr).toBe('provision');
    expect(failed?.error).toBe(`the VM's disk could not be written: no space left on device in ${small}`);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain(`no space left on device in ${small}`);
    const logs = evs.filter((e) => e.type === 'log') as Array<{line: string}>;
    expect(logs.some((l) => l.line.includes('wrote-it'))).toBe(false);
    // Nothing left: QEMU, its ports, the work folder and a half output on the tmpfs.
    const pid = Number(/QEMU running \(pid (\d+)/.exec(logs.map((l) => l.line).join('\n'))?.[1]);
    expect(pid).toBeGreaterThan(0);
    expect(processAlive(pid)).toBe(false);
    const ports = evs.filter((e) => e.type === 'info' && (e.key === 'vnc' || e.key === 'ssh')).map((e) => Number(/:(\d+)/.exec(String(e.value))?.[1]));
    expect(ports).toHaveLength(2);
    for (const p of ports) expect(await portListening(p)).toBe(false);
    expect(readdirSync(small)).toEqual([]);
  });
});
