import {describe, expect, it} from 'vitest';
import {buildQemuArgs, escapeOpt, shellQuote, type QemuArgsInput} from '../../src/qemu/args.js';

const base: QemuArgsInput = {
  name: 'tiny',
  accel: 'tcg',
  machineType: 'pc',
  memoryMiB: 256,
  cpus: 2,
  disk: {path: '/w/disk.qcow2', format: 'qcow2', interface: 'virtio'},
  cdrom: '/c/tiny.iso',
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
    const {args} = buildQemuArgs({...base, cdrom: undefined, sshForward: undefined});
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

  it('quotes for the shell only where needed', () => {
    expect(shellQuote(['qemu', '-name', 'a b', "it's"])).toBe(`qemu -name 'a b' 'it'\\''s'`);
  });
});
