/**
 * Builds QEMU's command line (pure). Defaults follow Packer's qemu builder; `qemuargs` from
 * the profile replace the defaults of the same flag — and, unlike Packer, we say which.
 */

export interface QemuArgsInput {
  name: string;
  accel: 'kvm' | 'tcg';
  machineType: string;
  memoryMiB: number;
  cpus: number;
  disk: {path: string; format: 'qcow2' | 'raw'; interface: 'virtio' | 'ide' | 'scsi' | 'virtio-scsi'};
  cdrom?: string;
  netDevice: string;
  /** Host port forwarded to the guest's SSH port (bound to loopback only). */
  sshForward?: {hostAddress: string; hostPort: number; guestPort: number};
  vnc: {address: string; display: number};
  qmpSocket: string;
  /** Extra `[flag, value?]` groups from the profile's qemuargs. */
  extra: string[][];
}

export interface QemuArgs {
  args: string[];
  /** Default arguments ("-m 512M") the profile's qemuargs dropped without restating, for a warning. */
  replaced: string[];
}

/** One default flag with its value(s); a flag may appear several times (-drive, -device). */
type Group = [flag: string, ...values: string[]];

export function buildQemuArgs(input: QemuArgsInput): QemuArgs {
  const d = input.disk;
  const defaults: Group[] = [
    ['-name', input.name],
    ['-machine', `type=${input.machineType},accel=${input.accel}`],
    ['-m', `${input.memoryMiB}M`],
    ['-smp', `cpus=${input.cpus},sockets=${input.cpus}`],
  ];
  if (d.interface === 'virtio-scsi') {
    defaults.push(['-device', 'virtio-scsi-pci,id=scsi0'], ['-device', 'scsi-hd,bus=scsi0.0,drive=drive0']);
    defaults.push(['-drive', `if=none,file=${escapeOpt(d.path)},id=drive0,cache=writeback,discard=ignore,format=${d.format}`]);
  } else {
    defaults.push(['-drive', `file=${escapeOpt(d.path)},if=${d.interface},cache=writeback,discard=ignore,format=${d.format}`]);
  }
  if (input.cdrom) {
    defaults.push(['-drive', `file=${escapeOpt(input.cdrom)},media=cdrom,readonly=on`], ['-boot', 'once=d']);
  }
  const fwd = input.sshForward;
  defaults.push(
    ['-netdev', `user,id=user.0${fwd ? `,hostfwd=tcp:${fwd.hostAddress}:${fwd.hostPort}-:${fwd.guestPort}` : ''}`],
    ['-device', `${input.netDevice},netdev=user.0`],
    // share=ignore: every viewer is let in as shared, whatever it asks. QEMU's default lets an
    // exclusive viewer kick the build's session off (seed 002's "don't open gvncviewer too
    // early" trap); force-shared would refuse such a viewer outright.
    ['-vnc', `${input.vnc.address}:${input.vnc.display},share=ignore`],
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
