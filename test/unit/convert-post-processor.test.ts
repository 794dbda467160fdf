/**
 * The convert post-processor inside a build (real qemu-img; real virt-sparsify when installed):
 * the copies land beside the image and become artifacts; with sparsify, a file system's deleted
 * data is dropped from the image before the copies are made.
 */
import {execFileSync} from 'node:child_process';
import {readdirSync, statSync} from 'node:fs';
import path from 'node:path';
import {execa} from 'execa';
import {describe, expect, it} from 'vitest';
import {postProcess} from '../../src/engine/steps/post-process.js';
import {finishedBuild} from '../support/post-process-build.js';
import {scratchDirs} from '../support/scratch.js';

const fresh = scratchDirs('vmbench-convert-pp-');
const has = (cmd: string): boolean => {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], {stdio: 'ignore'});
    return true;
  } catch {
    return false;
  }
};

/** A qcow2 with an ext4 file system that held 24 MiB of random data, since deleted (the blocks still hold it). */
function diskWithDeletedData(dir: string): string {
  const raw = path.join(dir, 'fs.raw');
  const blob = path.join(dir, 'blob');
  execFileSync('dd', ['if=/dev/urandom', `of=${blob}`, 'bs=1M', 'count=24', 'status=none']);
  execFileSync('truncate', ['-s', '96M', raw]);
  execFileSync('mkfs.ext4', ['-q', '-F', raw]);
  execFileSync('debugfs', ['-w', '-R', `write ${blob} blob`, raw], {stdio: 'ignore'});
  execFileSync('debugfs', ['-w', '-R', 'rm blob', raw], {stdio: 'ignore'});
  const img = path.join(dir, 'tiny.qcow2');
  execFileSync('qemu-img', ['convert', '-O', 'qcow2', raw, img]);
  return img;
}

describe('convert post-processor', () => {
  it('writes the copies beside the image as artifacts, with sizes against the virtual size', {timeout: 60_000}, async () => {
    const dir = fresh('copies');
    const b = finishedBuild(dir, `post_processors:\n  - type: convert\n    formats: [vdi, vhdx]\n    sparsify: false\n`);
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', b.image, '32M']);
    await postProcess.run(b.ctx);
    expect(readdirSync(path.dirname(b.image)).sort()).toEqual(['tiny.qcow2', 'tiny.vdi', 'tiny.vhdx']);
    expect(b.state.artifacts.map((a) => `${path.basename(a.path)}:${a.format}`)).toEqual(['tiny.qcow2:qcow2', 'tiny.vdi:vdi', 'tiny.vhdx:vhdx']);
    expect(b.logs.some((l) => /tiny\.vdi \(vdi\): [\d.]+ (KiB|MiB), [\d.]+% of 32 MiB virtual/.test(l))).toBe(true);
    expect(b.events.some((e) => e.type === 'progress' && e.label === 'convert vhdx' && e.current === 100)).toBe(true);
  });

  it('names what it could not find', async () => {
    const dir = fresh('none');
    const b = finishedBuild(dir, `vm_name: disk.qcow2\npost_processors:\n  - type: convert\n    formats: [raw]\n`);
    execFileSync('mv', [b.image, path.join(path.dirname(b.image), 'a.bin')]);
    await expect(postProcess.run(b.ctx)).rejects.toThrow(/no disk image to convert among .*a\.bin \(looked for disk\.qcow2\)/);
  });

  it.skipIf(!has('virt-sparsify'))('sparsify (virt-sparsify installed: VMBENCH_WITH_GUESTFS=1 npm run setup): virt-sparsify drops a file system’s deleted data before the copies are made', {timeout: 300_000}, async () => {
    const dir = fresh('sparsify');
    const b = finishedBuild(dir, `post_processors:\n  - type: convert\n    formats: [vmdk]\n`);
    const img = diskWithDeletedData(dir);
    execFileSync('cp', [img, b.image]);
    const before = statSync(b.image).blocks * 512;
    // Without /dev/kvm working (here), libguestfs must be told to use TCG: the build's accelerator says so.
    (b.state as {accel?: string}).accel = 'tcg';
    await postProcess.run(b.ctx);
    const after = statSync(b.image).blocks * 512;
    expect(before).toBeGreaterThan(24 * 1024 * 1024);
    expect(after).toBeLessThan(before - 20 * 1024 * 1024);
    expect(statSync(path.join(path.dirname(b.image), 'tiny.vmdk')).size).toBeLessThan(8 * 1024 * 1024);
    // Still the same file system, intact.
    const check = await execa('qemu-img', ['check', b.image], {reject: false});
    expect(check.exitCode).toBe(0);
    expect(b.logs.some((l) => l.includes('virt-sparsify --in-place'))).toBe(true);
  });
});
