/**
 * Disk formats with the real qemu-img: a 64 MiB qcow2 with data at known places is converted to
 * every format side by side; each copy must hold the same disk (`qemu-img compare` reads both
 * formats), carry the asked-for subformat, and leave no temporary behind. A failing conversion
 * removes the copies already made and the ones under way; an abort leaves nothing.
 */
import {existsSync, readdirSync, statSync} from 'node:fs';
import path from 'node:path';
import {execa} from 'execa';
import {describe, expect, it} from 'vitest';
import {convertAll, diskInfo, formatArgs, sizeRatio, type ConversionTarget} from '../../src/artifacts/disk-formats.js';
import {conversionTargets, findImage} from '../../src/engine/post-processors/convert.js';
import {scratchDirs} from '../support/scratch.js';

const scratch = scratchDirs('vmbench-formats-');
const MiB = 1024 * 1024;

async function sourceImage(dir: string): Promise<string> {
  const img = path.join(dir, 'disk.qcow2');
  await execa('qemu-img', ['create', '-q', '-f', 'qcow2', img, '64M']);
  // Data at the start, in the middle and at the very end; zeros written explicitly in between.
  await execa('qemu-io', ['-f', 'qcow2', '-c', 'write -P 0x5a 0 1M', '-c', 'write -P 0xa5 32M 512k', '-c', 'write -z 40M 4M', '-c', 'write -P 0x11 63M 1M', img]);
  return img;
}

describe('convertAll (real qemu-img)', () => {
  it('writes every format side by side, each the same disk, with its subformat', {timeout: 120_000}, async () => {
    const dir = scratch('all');
    const src = await sourceImage(dir);
    const {targets} = conversionTargets(src, 'qcow2', ['raw', 'qcow2', 'vmdk', 'vdi', 'vhd', 'vhdx'], dir, true);
    expect(targets.map((t) => path.basename(t.file))).toEqual(['disk.raw', 'disk.compressed.qcow2', 'disk.vmdk', 'disk.vdi', 'disk.vhd', 'disk.vhdx']);
    const progress = new Map<string, number[]>();
    const results = await convertAll({
      source: src,
      sourceFormat: 'qcow2',
      targets,
      jobs: 3,
      options: {qcow2Compressed: true, vmdkSubformat: 'streamOptimized', vhdSubformat: 'fixed', vhdxSubformat: 'dynamic'},
      onProgress: (f, p) => progress.set(f, [...(progress.get(f) ?? []), p]),
    });
    expect(results.map((r) => r.format)).toEqual(['raw', 'qcow2', 'vmdk', 'vdi', 'vhd', 'vhdx']);
    for (const r of results) {
      expect(r.virtualSize, r.format).toBe(64 * MiB);
      expect(r.bytes).toBe(statSync(r.file).size);
      const cmp = await execa('qemu-img', ['compare', '-f', 'qcow2', '-F', r.format === 'vhd' ? 'vpc' : r.format, src, r.file], {reject: false});
      expect(cmp.exitCode, `${r.format}: ${cmp.stdout}${cmp.stderr}`).toBe(0);
      expect(progress.get(r.format)?.at(-1), r.format).toBe(100);
    }
    const info = async (f: string, fmt?: string) => JSON.parse((await execa('qemu-img', ['info', '--output=json', ...(fmt ? ['-f', fmt] : []), f])).stdout);
    expect((await info(path.join(dir, 'disk.vmdk')))['format-specific'].data['create-type']).toBe('streamOptimized');
    // A fixed VHD is a raw disk with a footer: read as vpc it has the disk's size exactly.
    expect((await info(path.join(dir, 'disk.vhd'), 'vpc'))['virtual-size']).toBe(64 * MiB);
    // A fixed VHD holds every byte of the disk (plus its 512-byte footer).
    expect(statSync(path.join(dir, 'disk.vhd')).size).toBe(64 * MiB + 512);
    // The compressed qcow2 is smaller than the data it holds (the patterns compress well).
    expect(statSync(path.join(dir, 'disk.compressed.qcow2')).size).toBeLessThan(1 * MiB);
    for (const f of ['disk.compressed.qcow2', 'disk.vdi', 'disk.vhdx']) expect((await execa('qemu-img', ['check', '-q', path.join(dir, f)], {reject: false})).exitCode, f).toBe(0);
    expect(readdirSync(dir).filter((f) => f.includes('partial'))).toEqual([]);
  });

  it('a failure removes the copies made so far and the ones under way', {timeout: 60_000}, async () => {
    const dir = scratch('fail');
    const src = await sourceImage(dir);
    const targets: ConversionTarget[] = [
      {format: 'raw', file: path.join(dir, 'ok.raw')},
      {format: 'vdi', file: path.join(dir, 'missing-dir', 'x.vdi')},
    ];
    await expect(convertAll({source: src, sourceFormat: 'qcow2', targets, jobs: 1})).rejects.toThrow(/qemu-img convert to vdi failed/);
    expect(readdirSync(dir).sort()).toEqual(['disk.qcow2']);
  });

  it('an abort stops qemu-img and leaves nothing', {timeout: 60_000}, async () => {
    const dir = scratch('abort');
    const src = await sourceImage(dir);
    const ctl = new AbortController();
    const targets: ConversionTarget[] = ['raw', 'vdi', 'vhdx'].map((f) => ({format: f as ConversionTarget['format'], file: path.join(dir, `out.${f}`)}));
    const run = convertAll({source: src, sourceFormat: 'qcow2', targets, jobs: 3, signal: ctl.signal, onStart: () => ctl.abort(new Error('stop here'))});
    await expect(run).rejects.toThrow('stop here');
    expect(readdirSync(dir).sort()).toEqual(['disk.qcow2']);
  });

  it('diskInfo reads the virtual size; a file that is no image is an error naming it', async () => {
    const dir = scratch('info');
    const src = await sourceImage(dir);
    expect(await diskInfo(src)).toMatchObject({format: 'qcow2', virtualSize: 64 * MiB});
    await expect(diskInfo(path.join(dir, 'nope.qcow2'))).rejects.toThrow(/nope\.qcow2/);
    expect(existsSync(path.join(dir, 'nope.qcow2'))).toBe(false);
  });
});

describe('format arguments and names', () => {
  it('passes the subformats qemu-img knows', () => {
    expect(formatArgs('vhd', {qcow2Compressed: false, vmdkSubformat: 'streamOptimized', vhdSubformat: 'dynamic', vhdxSubformat: 'fixed'})).toEqual(['-O', 'vpc', '-o', 'subformat=dynamic,force_size=on']);
    expect(formatArgs('vhdx', {qcow2Compressed: false, vmdkSubformat: 'streamOptimized', vhdSubformat: 'dynamic', vhdxSubformat: 'fixed'})).toEqual(['-O', 'vhdx', '-o', 'subformat=fixed']);
    expect(formatArgs('qcow2', {qcow2Compressed: false, vmdkSubformat: 'streamOptimized', vhdSubformat: 'dynamic', vhdxSubformat: 'fixed'})).toEqual(['-O', 'qcow2']);
    expect(formatArgs('vmdk')).toEqual(['-O', 'vmdk', '-o', 'subformat=streamOptimized']);
  });

  it('skips the image’s own format unless a compressed qcow2 is asked for, and never names a copy as the image', () => {
    expect(conversionTargets('/o/x.raw', 'raw', ['raw', 'vmdk'], '/o', true)).toEqual({targets: [{format: 'vmdk', file: '/o/x.vmdk'}], skipped: ['raw']});
    expect(conversionTargets('/o/x.qcow2', 'qcow2', ['qcow2'], '/o', false)).toEqual({targets: [], skipped: ['qcow2']});
    expect(conversionTargets('/o/x', 'qcow2', ['raw'], '/p', true).targets).toEqual([{format: 'raw', file: '/p/x.raw'}]);
  });

  it('finds the image by vm_name, else the one disk file', () => {
    expect(findImage(['out/a.qcow2', 'out/b.qcow2'], 'b.qcow2')).toBe('out/b.qcow2');
    expect(findImage(['out/efivars.fd', 'out/disk.raw'], 'other')).toBe('out/disk.raw');
    expect(findImage(['out/a.qcow2', 'out/b.qcow2'], 'c')).toBeUndefined();
  });

  it('reports sizes against the virtual size', () => {
    expect(sizeRatio(312 * MiB, 1024 * MiB)).toBe('312 MiB, 30.5% of 1.0 GiB virtual');
    expect(sizeRatio(512, 64 * MiB)).toBe('512 B, 0.0% of 64 MiB virtual');
  });
});
