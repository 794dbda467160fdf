/**
 * Builds QEMU's command line (pure). Defaults follow Packer's qemu builder; `qemuargs` from
 * the profile replace the defaults of the same flag — and, unlike Packer, we say which.
 */

export type DiskInterface = 'virtio' | 'ide' | 'sata' | 'scsi' | 'virtio-scsi';

export interface QemuArgsInput {
  name: string;
  accel: 'kvm' | 'tcg';
  machineType: string;
  memoryMiB: number;
  cpus: number;
  /** Packer's sockets/cores/threads; 0 (or absent) = not given. */
  topology?: {sockets: number; cores: number; threads: number};
  /** `-cpu`, when set. */
  cpuModel?: string;
  /** The main disk, then disk_additional_size's, all with the same options (Packer's). */
  disk: {
    path: string;
    additional?: string[];
    format: 'qcow2' | 'raw';
    interface: DiskInterface;
    cache?: string;
    discard?: string;
    detectZeroes?: string;
  };
  /** CD images in order: the installer ISO (not with disk_image), then the cd_files image. */
  cdroms?: string[];
  /** Packer's cdrom_interface; unset: QEMU's default bus for media=cdrom. */
  cdromInterface?: DiskInterface;
  /** Boot from the first CD once (installer ISO) or from the disk (disk_image). Default: the CD when there is one. */
  bootFrom?: 'cdrom' | 'disk';
  /** The floppy image (drive A:). */
  floppy?: string;
  /** Packer's firmware: `-bios`, or a read-only pflash drive with use_pflash. */
  firmware?: {path: string; pflash: boolean};
  /** UEFI: OVMF code (read-only) and this build's copy of its variables. No -boot then, as in Packer. */
  efi?: {code: string; vars: string};
  netDevice: string;
  /** Host port forwarded to the guest's SSH port (bound to loopback only). */
  sshForward?: {hostAddress: string; hostPort: number; guestPort: number};
  /** `password`: VNC authentication on (the password itself is set over QMP, never on the command line). */
  vnc: {address: string; display: number; password?: boolean};
  qmpSocket: string;
  /** Extra `[flag, value?]` groups from the profile's qemuargs (already rendered). */
  extra: string[][];
}

export interface QemuArgs {
  args: string[];
  /** Default arguments ("-m 512M") the profile's qemuargs dropped without restating, for a warning. */
  replaced: string[];
}

/** One default flag with its value(s); a flag may appear several times (-drive, -device). */
type Group = [flag: string, ...values: string[]];

/** Packer's -smp: the vCPU count, then only the topology numbers given. */
export function smpArg(cpus: number, topology?: QemuArgsInput['topology']): string {
  const t = topology ?? {sockets: 0, cores: 0, threads: 0};
  if (!t.sockets && !t.cores && !t.threads) return `cpus=${cpus},sockets=${cpus}`;
  const parts = [`cpus=${cpus}`];
  if (t.sockets > 0) parts.push(`sockets=${t.sockets}`);
  if (t.cores > 0) parts.push(`cores=${t.cores}`);
  if (t.threads > 0) parts.push(`threads=${t.threads}`);
  return parts.join(',');
}

/** The -drive/-device groups for disks and CDs (Packer's getDeviceAndDriveArgs). */
function storage(input: QemuArgsInput): Group[] {
  const d = input.disk;
  const groups: Group[] = [];
  let scsi = false;
  const scsiController = (): void => {
    if (!scsi) groups.push(['-device', 'virtio-scsi-pci,id=scsi0']);
    scsi = true;
  };
  // sata: an AHCI controller, one port per disk or CD in order (its six ports are ahci0.0 to .5).
  let ahciPorts = -1;
  const ahciPort = (): number => {
    if (ahciPorts < 0) groups.push(['-device', 'ahci,id=ahci0']);
    return ++ahciPorts;
  };
  const opts = `cache=${d.cache ?? 'writeback'},discard=${d.discard ?? 'ignore'},format=${d.format}${d.detectZeroes && d.detectZeroes !== 'off' ? `,detect-zeroes=${d.detectZeroes}` : ''}`;
  [d.path, ...(d.additional ?? [])].forEach((file, i) => {
    if (d.interface === 'virtio-scsi') {
      scsiController();
      groups.push(['-device', `scsi-hd,bus=scsi0.0,drive=drive${i}`], ['-drive', `if=none,file=${escapeOpt(file)},id=drive${i},${opts}`]);
    } else if (d.interface === 'sata') {
      const port = ahciPort();
      groups.push(['-drive', `if=none,file=${escapeOpt(file)},id=drive${i},${opts}`], ['-device', `ide-hd,drive=drive${i},bus=ahci0.${port}`]);
    } else {
      groups.push(['-drive', `file=${escapeOpt(file)},if=${d.interface},${opts}`]);
    }
  });
  // Unlike Packer, no index=: QEMU numbers the drives itself (Packer's index=0 collides with a
  // disk on the same bus, e.g. cdrom_interface and disk_interface both virtio).
  (input.cdroms ?? []).forEach((file, i) => {
    const f = escapeOpt(file);
    if (!input.cdromInterface) groups.push(['-drive', `file=${f},media=cdrom,readonly=on`]);
    else if (input.cdromInterface === 'virtio-scsi') {
      scsiController();
      groups.push(['-drive', `file=${f},if=none,id=cdrom${i},media=cdrom,readonly=on`], ['-device', `scsi-cd,bus=scsi0.0,drive=cdrom${i}`]);
    } else if (input.cdromInterface === 'sata') {
      const port = ahciPort();
      groups.push(['-drive', `file=${f},if=none,id=cdrom${i},media=cdrom,readonly=on`], ['-device', `ide-cd,drive=cdrom${i},bus=ahci0.${port}`]);
    } else groups.push(['-drive', `file=${f},if=${input.cdromInterface},id=cdrom${i},media=cdrom,readonly=on`]);
  });
  if (input.firmware?.pflash) groups.push(['-drive', `file=${escapeOpt(input.firmware.path)},if=pflash,format=raw,readonly=on`]);
  if (input.efi) {
    groups.push(['-drive', `file=${escapeOpt(input.efi.code)},if=pflash,unit=0,format=raw,readonly=on`]);
    groups.push(['-drive', `file=${escapeOpt(input.efi.vars)},if=pflash,unit=1,format=raw`]);
  }
  return groups;
}

export function buildQemuArgs(input: QemuArgsInput): QemuArgs {
  const defaults: Group[] = [
    ['-name', input.name],
    ['-machine', `type=${input.machineType},accel=${input.accel}`],
    ['-m', `${input.memoryMiB}M`],
    ['-smp', smpArg(input.cpus, input.topology)],
  ];
  if (input.cpuModel) defaults.push(['-cpu', input.cpuModel]);
  if (input.firmware && !input.firmware.pflash) defaults.push(['-bios', input.firmware.path]);
  defaults.push(...storage(input));
  // Packer's -fda, with the format said: QEMU otherwise probes the raw image and restricts writes to its first block.
  if (input.floppy) defaults.push(['-drive', `file=${escapeOpt(input.floppy)},if=floppy,index=0,format=raw`]);
  const bootFrom = input.bootFrom ?? (input.cdroms?.length ? 'cdrom' : undefined);
  // Packer: no -boot with UEFI (OVMF keeps its own boot order in the variables).
  if (bootFrom && !input.efi) defaults.push(['-boot', bootFrom === 'disk' ? 'c' : 'once=d']);
  const fwd = input.sshForward;
  defaults.push(
    ['-netdev', `user,id=user.0${fwd ? `,hostfwd=tcp:${fwd.hostAddress}:${fwd.hostPort}-:${fwd.guestPort}` : ''}`],
    ['-device', `${input.netDevice},netdev=user.0`],
    // share=ignore: every viewer is let in as shared, whatever it asks. QEMU's default lets an
    // exclusive viewer kick the build's session off (seed 002's "don't open gvncviewer too
    // early" trap); force-shared would refuse such a viewer outright.
    ['-vnc', `${input.vnc.address}:${input.vnc.display},share=ignore${input.vnc.password ? ',password=on' : ''}`],
    ['-qmp', `unix:${input.qmpSocket},server=on,wait=off`],
    // The serial console goes to QEMU's stdout, so it streams as events and into serial.log.
    ['-chardev', 'stdio,id=serial0,signal=off'],
    ['-serial', 'chardev:serial0'],
    ['-display', 'none'],
  );

  const overridden = new Set(input.extra.map((g) => g[0]).filter((f): f is string => !!f));
  // Only defaults that qemuargs drop without restating them are worth a warning.
  const restated = new Set(input.extra.map((g) => g.join('\0')));
  const replaced = [...new Set(defaults.filter((g) => overridden.has(g[0]) && !restated.has(g.join('\0'))).map((g) => g.join(' ')))];
  // Flags vmbench relies on to drive the VM are never dropped, whatever qemuargs says.
  const essential = new Set(['-qmp', '-vnc', '-chardev', '-serial']);
  const args: string[] = [];
  for (const g of defaults) if (!overridden.has(g[0]) || essential.has(g[0])) args.push(...g);
  for (const g of input.extra) args.push(...g);
  return {args, replaced: replaced.filter((f) => !essential.has(f.split(' ')[0]!))};
}

/** QEMU option values use ',' as separator; a literal comma is written ',,'. */
export function escapeOpt(value: string): string {
  return value.replaceAll(',', ',,');
}

/** Render an argv for logs so it can be pasted into a shell. */
export function shellQuote(argv: string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", `'\\''`)}'`)).join(' ');
}
