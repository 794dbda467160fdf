import {execFileSync} from 'node:child_process';
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import {buildQemuArgs, escapeOpt, shellQuote, smpArg, type QemuArgsInput} from '../../src/qemu/args.js';
import {scratchDirs} from '../support/scratch.js';

const scratch = scratchDirs('vmbench-qemu-args-');

const base: QemuArgsInput = {
  name: 'tiny',
  accel: 'tcg',
  machineType: 'pc',
  memoryMiB: 256,
  cpus: 2,
  disk: {path: '/w/disk.qcow2', format: 'qcow2', interface: 'virtio'},
  cdroms: ['/c/tiny.iso'],
  netDevice: 'virtio-net',
  sshForward: {hostAddress: '127.0.0.1', hostPort: 2345, guestPort: 22},
  vnc: {address: '127.0.0.1', display: 7},
  qmpSocket: '/tmp/x/qmp.sock',
  extra: [],
};

/** The value following each occurrence of a flag. */
const values = (args: string[], flag: string): string[] => args.flatMap((a, i) => (a === flag ? [args[i + 1]!] : []));

describe('buildQemuArgs', () => {
  it('builds Packer-like defaults', () => {
    const {args, replaced} = buildQemuArgs(base);
    expect(replaced).toEqual([]);
    expect(values(args, '-machine')).toEqual(['type=pc,accel=tcg']);
    expect(values(args, '-m')).toEqual(['256M']);
    expect(values(args, '-smp')).toEqual(['cpus=2,sockets=2']);
    expect(values(args, '-drive')).toEqual([
      'file=/w/disk.qcow2,if=virtio,cache=writeback,discard=ignore,format=qcow2',
      'file=/c/tiny.iso,media=cdrom,readonly=on',
    ]);
    expect(values(args, '-boot')).toEqual(['once=d']);
    expect(values(args, '-netdev')).toEqual(['user,id=user.0,hostfwd=tcp:127.0.0.1:2345-:22']);
    expect(values(args, '-device')).toEqual(['virtio-net,netdev=user.0']);
    expect(values(args, '-vnc')).toEqual(['127.0.0.1:7,share=ignore']);
    expect(values(args, '-qmp')).toEqual(['unix:/tmp/x/qmp.sock,server=on,wait=off']);
    expect(values(args, '-serial')).toEqual(['chardev:serial0']);
    expect(values(args, '-display')).toEqual(['none']);
  });

  it('has no cdrom or boot order without an ISO, and no hostfwd without SSH', () => {
    const {args} = buildQemuArgs({...base, cdroms: [], sshForward: undefined});
    expect(values(args, '-drive')).toHaveLength(1);
    expect(args).not.toContain('-boot');
    expect(values(args, '-netdev')).toEqual(['user,id=user.0']);
  });

  it('lets qemuargs replace a default flag, reports it, and keeps the flags vmbench needs', () => {
    const {args, replaced} = buildQemuArgs({
      ...base,
      extra: [['-m', '1G'], ['-device', 'e1000,netdev=user.0'], ['-qmp', 'tcp:127.0.0.1:4444'], ['-no-reboot']],
    });
    expect(values(args, '-m')).toEqual(['1G']);
    expect(values(args, '-device')).toEqual(['e1000,netdev=user.0']);
    expect(values(args, '-qmp')).toEqual(['unix:/tmp/x/qmp.sock,server=on,wait=off', 'tcp:127.0.0.1:4444']);
    expect(replaced.sort()).toEqual(['-device virtio-net,netdev=user.0', '-m 256M']);
    expect(args.at(-1)).toBe('-no-reboot');
  });

  it('does not count a default that qemuargs restate as dropped', () => {
    const {args, replaced} = buildQemuArgs({...base, extra: [['-device', 'virtio-net,netdev=user.0'], ['-device', 'virtio-rng-pci']]});
    expect(values(args, '-device')).toEqual(['virtio-net,netdev=user.0', 'virtio-rng-pci']);
    expect(replaced).toEqual([]);
  });

  it('wires virtio-scsi through a controller and ide directly', () => {
    const scsi = buildQemuArgs({...base, disk: {...base.disk, interface: 'virtio-scsi'}}).args;
    expect(values(scsi, '-device')).toContain('scsi-hd,bus=scsi0.0,drive=drive0');
    expect(values(scsi, '-drive')[0]).toMatch(/^if=none,file=\/w\/disk.qcow2,id=drive0/);
    const ide = buildQemuArgs({...base, disk: {...base.disk, interface: 'ide', format: 'raw'}}).args;
    expect(values(ide, '-drive')[0]).toBe('file=/w/disk.qcow2,if=ide,cache=writeback,discard=ignore,format=raw');
  });

  it('escapes commas in paths', () => {
    expect(escapeOpt('/a,b/c.img')).toBe('/a,,b/c.img');
    const {args} = buildQemuArgs({...base, disk: {...base.disk, path: '/a,b/d.qcow2'}});
    expect(values(args, '-drive')[0]).toContain('file=/a,,b/d.qcow2,');
  });

  it('gives every disk Packer\'s drive options, additional disks after the main one', () => {
    const {args} = buildQemuArgs({...base, cdroms: [], disk: {...base.disk, additional: ['/w/d-1', '/w/d-2'], cache: 'unsafe', discard: 'unmap', detectZeroes: 'unmap'}});
    expect(values(args, '-drive')).toEqual([
      'file=/w/disk.qcow2,if=virtio,cache=unsafe,discard=unmap,format=qcow2,detect-zeroes=unmap',
      'file=/w/d-1,if=virtio,cache=unsafe,discard=unmap,format=qcow2,detect-zeroes=unmap',
      'file=/w/d-2,if=virtio,cache=unsafe,discard=unmap,format=qcow2,detect-zeroes=unmap',
    ]);
    // detect-zeroes=off is QEMU's default: not written, as in Packer.
    expect(values(buildQemuArgs({...base, disk: {...base.disk, detectZeroes: 'off'}}).args, '-drive')[0]).not.toContain('detect-zeroes');
  });

  it('puts sata disks and CDs on one AHCI controller, a port each, and QEMU attaches them', () => {
    const dir = scratch('sata');
    const [disk, extra, cd] = ['disk.qcow2', 'disk-1.qcow2', 'cd.iso'].map((f) => path.join(dir, f)) as [string, string, string];
    for (const f of [disk, extra]) execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', f, '16M']);
    execFileSync('qemu-img', ['create', '-q', '-f', 'raw', cd, '1M']);
    const {args} = buildQemuArgs({...base, cdroms: [cd], cdromInterface: 'sata', disk: {...base.disk, path: disk, interface: 'sata', additional: [extra]}});
    expect(values(args, '-device').slice(0, 4)).toEqual(['ahci,id=ahci0', 'ide-hd,drive=drive0,bus=ahci0.0', 'ide-hd,drive=drive1,bus=ahci0.1', 'ide-cd,drive=cdrom0,bus=ahci0.2']);
    // The storage groups as built, on a QEMU stopped before it runs: each drive is attached to a device.
    const storage = args.flatMap((a, i) => ((a === '-drive' || a === '-device') && /ahci|ide-|drive|cdrom/.test(args[i + 1]!) ? [a, args[i + 1]!] : []));
    const out = execFileSync('qemu-system-x86_64', ['-machine', 'pc,accel=tcg', '-S', '-nodefaults', '-display', 'none', '-monitor', 'stdio', ...storage], {input: 'info block\nquit\n', encoding: 'utf8', timeout: 60_000});
    for (const id of ['drive0', 'drive1', 'cdrom0']) expect(out).toMatch(new RegExp(`${id} \\(#block\\d+\\): [^\\n]*\\n\\s+Attached to:`));
  });

  it('puts all virtio-scsi disks and CDs on one controller', () => {
    const {args} = buildQemuArgs({...base, cdroms: ['/c/a.iso', '/w/cd.iso'], cdromInterface: 'virtio-scsi', disk: {...base.disk, interface: 'virtio-scsi', additional: ['/w/d-1']}});
    expect(values(args, '-device')).toEqual([
      'virtio-scsi-pci,id=scsi0',
      'scsi-hd,bus=scsi0.0,drive=drive0',
      'scsi-hd,bus=scsi0.0,drive=drive1',
      'scsi-cd,bus=scsi0.0,drive=cdrom0',
      'scsi-cd,bus=scsi0.0,drive=cdrom1',
      'virtio-net,netdev=user.0',
    ]);
    expect(values(args, '-drive').slice(2)).toEqual(['file=/c/a.iso,if=none,id=cdrom0,media=cdrom,readonly=on', 'file=/w/cd.iso,if=none,id=cdrom1,media=cdrom,readonly=on']);
  });

  it.each([
    [undefined, ['file=/c/tiny.iso,media=cdrom,readonly=on', 'file=/w/cd.iso,media=cdrom,readonly=on']],
    ['ide', ['file=/c/tiny.iso,if=ide,id=cdrom0,media=cdrom,readonly=on', 'file=/w/cd.iso,if=ide,id=cdrom1,media=cdrom,readonly=on']],
    ['virtio', ['file=/c/tiny.iso,if=virtio,id=cdrom0,media=cdrom,readonly=on', 'file=/w/cd.iso,if=virtio,id=cdrom1,media=cdrom,readonly=on']],
  ] as const)('attaches CDs with cdrom_interface %s (QEMU numbers them: no index= to collide)', (cdromInterface, drives) => {
    const {args} = buildQemuArgs({...base, cdroms: ['/c/tiny.iso', '/w/cd.iso'], cdromInterface});
    expect(values(args, '-drive').slice(1)).toEqual(drives);
  });

  it.each([
    ['an installer ISO: the CD once', {}, ['once=d']],
    ['disk_image: the disk, even with a cd_files CD', {bootFrom: 'disk', cdroms: ['/w/cd.iso']}, ['c']],
    ['disk_image without CDs', {bootFrom: 'disk', cdroms: []}, ['c']],
    ['UEFI: no -boot (OVMF keeps its own order)', {efi: {code: '/fw/CODE.fd', vars: '/w/efivars.fd'}}, []],
  ] as const)('boot order: %s', (_, input, boot) => {
    expect(values(buildQemuArgs({...base, ...input}).args, '-boot')).toEqual(boot);
  });

  it('attaches firmware as -bios or pflash, and UEFI as two pflash drives', () => {
    expect(values(buildQemuArgs({...base, firmware: {path: '/fw/bios.bin', pflash: false}}).args, '-bios')).toEqual(['/fw/bios.bin']);
    const pflash = buildQemuArgs({...base, firmware: {path: '/fw/bios.bin', pflash: true}}).args;
    expect(pflash).not.toContain('-bios');
    expect(values(pflash, '-drive')).toContain('file=/fw/bios.bin,if=pflash,format=raw,readonly=on');
    const efi = buildQemuArgs({...base, machineType: 'q35', efi: {code: '/fw/CODE.fd', vars: '/w/efivars.fd'}}).args;
    expect(values(efi, '-drive').slice(-2)).toEqual(['file=/fw/CODE.fd,if=pflash,unit=0,format=raw,readonly=on', 'file=/w/efivars.fd,if=pflash,unit=1,format=raw']);
    expect(values(efi, '-machine')).toEqual(['type=q35,accel=tcg']);
  });

  it('adds the floppy, the CPU model, and VNC authentication (the password never on the command line)', () => {
    const {args} = buildQemuArgs({...base, floppy: '/w/floppy.img', cpuModel: 'max', vnc: {...base.vnc, password: true}});
    expect(values(args, '-drive')).toContain('file=/w/floppy.img,if=floppy,index=0,format=raw');
    expect(values(args, '-cpu')).toEqual(['max']);
    expect(values(args, '-vnc')).toEqual(['127.0.0.1:7,share=ignore,password=on']);
  });

  it.each([
    [1, undefined, 'cpus=1,sockets=1'],
    [4, {sockets: 0, cores: 0, threads: 0}, 'cpus=4,sockets=4'],
    [4, {sockets: 2, cores: 2, threads: 0}, 'cpus=4,sockets=2,cores=2'],
    [8, {sockets: 1, cores: 4, threads: 2}, 'cpus=8,sockets=1,cores=4,threads=2'],
    [2, {sockets: 0, cores: 2, threads: 0}, 'cpus=2,cores=2'],
  ] as const)('-smp for %d vCPUs and topology %j: %s', (cpus, topology, smp) => {
    expect(smpArg(cpus, topology)).toBe(smp);
  });

  it('quotes for the shell only where needed', () => {
    expect(shellQuote(['qemu', '-name', 'a b', "it's"])).toBe(`qemu -name 'a b' 'it'\\''s'`);
  });
});
