/** The qemu-img work per disk option, against Packer's step_create/copy/resize/convert_disk.go. */
import {describe, expect, it} from 'vitest';
import {convertArgs, diskPlan, type DiskPlanInput} from '../../src/qemu/disk-plan.js';

const base: DiskPlanInput = {
  workDir: '/w',
  diskName: 'disk.qcow2',
  vmName: 'vm.qcow2',
  format: 'qcow2',
  diskSizeMiB: 4096,
  useBackingFile: false,
  skipResize: false,
  additional: [],
  qemuImgArgs: {create: [], resize: []},
};

/** Each op as one line: what runs, for the table. */
const ops = (input: Partial<DiskPlanInput>): string[] =>
  diskPlan({...base, ...input}).ops.map((o) => (o.kind === 'copy' ? `copy ${o.from} ${o.file}` : `qemu-img ${o.args.join(' ')}`));

describe('diskPlan', () => {
  it.each<[string, Partial<DiskPlanInput>, string[]]>([
    ['a new disk (installer ISO)', {}, ['qemu-img create -f qcow2 /w/disk.qcow2 4096M']],
    ['create arguments go before the file', {qemuImgArgs: {create: ['-o', 'cluster_size=2M'], resize: []}}, ['qemu-img create -f qcow2 -o cluster_size=2M /w/disk.qcow2 4096M']],
    ['additional disks as written, Packer-named', {additional: ['10G', '512M']}, [
      'qemu-img create -f qcow2 /w/disk.qcow2 4096M',
      'qemu-img create -f qcow2 /w/vm.qcow2-1 10G',
      'qemu-img create -f qcow2 /w/vm.qcow2-2 512M',
    ]],
    ['disk_image of the same format: copied, then resized', {image: '/c/base.qcow2'}, ['copy /c/base.qcow2 /w/disk.qcow2', 'qemu-img resize -f qcow2 /w/disk.qcow2 4096M']],
    ['disk_image of another format: converted (without convert args), then resized', {image: '/c/base.img', qemuImgArgs: {create: [], resize: ['--shrink']}}, [
      'qemu-img convert -O qcow2 /c/base.img /w/disk.qcow2',
      'qemu-img resize -f qcow2 --shrink /w/disk.qcow2 4096M',
    ]],
    ['disk_image with skip_resize_disk', {image: '/c/base.qcow2', skipResize: true}, ['copy /c/base.qcow2 /w/disk.qcow2']],
    ['use_backing_file: an overlay, resized as Packer does', {image: '/c/base.qcow2', useBackingFile: true}, [
      'qemu-img create -f qcow2 -b /c/base.qcow2 -F qcow2 /w/disk.qcow2 4096M',
      'qemu-img resize -f qcow2 /w/disk.qcow2 4096M',
    ]],
    ['a raw disk image into a raw build: a copy', {image: '/c/base.RAW', format: 'raw', diskName: 'disk.raw'}, ['copy /c/base.RAW /w/disk.raw', 'qemu-img resize -f raw /w/disk.raw 4096M']],
  ])('%s', (_, input, expected) => {
    expect(ops(input)).toEqual(expected);
  });

  it('names the disks it makes', () => {
    expect(diskPlan({...base, additional: ['1G']})).toMatchObject({disk: '/w/disk.qcow2', additional: ['/w/vm.qcow2-1']});
  });
});

describe('convertArgs', () => {
  const io = {from: '/w/disk.qcow2', to: '/w/vm.partial', args: [] as string[]};
  it.each([
    ['compacts by default', {format: 'qcow2', compress: false, skipCompaction: false}, ['convert', '-p', '-O', 'qcow2', '/w/disk.qcow2', '/w/vm.partial']],
    ['compresses with -c before the user\'s arguments', {format: 'qcow2', compress: true, skipCompaction: false, args: ['-o', 'compat=1.1']}, ['convert', '-p', '-c', '-o', 'compat=1.1', '-O', 'qcow2', '/w/disk.qcow2', '/w/vm.partial']],
    ['skips with skip_compaction', {format: 'qcow2', compress: false, skipCompaction: true}, undefined],
    ['still runs when compression is asked for', {format: 'qcow2', compress: true, skipCompaction: true}, ['convert', '-p', '-c', '-O', 'qcow2', '/w/disk.qcow2', '/w/vm.partial']],
  ] as const)('%s', (_, opts, expected) => {
    expect(convertArgs({...io, ...opts})).toEqual(expected);
  });
});
