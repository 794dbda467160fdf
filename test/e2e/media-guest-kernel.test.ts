// The reader that matters most for the CD and floppy vmbench writes is the guest's Linux kernel
// (cloud-init mounts the "cidata" CD; installers mount the floppy). This boots the host's Debian
// kernel in real QEMU with a busybox initramfs that mounts both images (isofs with Rock Ridge,
// then with Joliet only; vfat), finds the CD by its label, and prints every path, mode and sha256
// on the serial console.
import {spawn} from 'node:child_process';
import {createHash, randomBytes} from 'node:crypto';
import {copyFileSync, existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import {writeFloppy} from '../../src/media/fat-writer.js';
import {writeIso, type MediaEntry} from '../../src/media/iso-writer.js';
import {read} from '../support/media-readers.js';
import {scratchDirs} from '../support/scratch.js';

const fresh = scratchDirs('vmbench-media-guest-');
/** The guest runs in 6 s under TCG (KVM is not used: /dev/kvm can hang here, see src/qemu/accel.ts). */
const DEADLINE_MS = 150_000;

/** The newest host kernel that has its modules (as profiles/tiny/build-iso.sh picks it). */
function hostKernel(): string {
  const versions = readdirSync('/boot')
    .filter((f) => f.startsWith('vmlinuz-'))
    .map((f) => f.slice('vmlinuz-'.length))
    .filter((v) => existsSync(`/lib/modules/${v}/modules.dep`))
    .sort((a, b) => a.localeCompare(b, 'en', {numeric: true}));
  if (!versions.length) throw new Error('no /boot/vmlinuz-* with modules: apt-get install linux-image-amd64 (scripts/setup.sh installs it)');
  return versions.at(-1)!;
}

// Load order: dependencies first. ata_piix drives QEMU's IDE CD; floppy its floppy controller.
const MODULES = [
  'drivers/scsi/scsi_common',
  'drivers/scsi/scsi_mod',
  'drivers/ata/libata',
  'drivers/ata/ata_piix',
  'drivers/cdrom/cdrom',
  'drivers/scsi/sr_mod',
  'fs/isofs/isofs',
  'drivers/block/floppy',
  'fs/fat/fat',
  'fs/fat/vfat',
  'fs/nls/nls_cp437',
  'fs/nls/nls_iso8859-1',
  'fs/nls/nls_utf8',
];

const INIT = `#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
exec </dev/console >/dev/console 2>&1
for m in $(cat /modules); do insmod /lib/modules/$m.ko 2>/dev/null; done
i=0; while { [ ! -b /dev/sr0 ] || [ ! -b /dev/fd0 ]; } && [ $i -lt 300 ]; do usleep 100000; i=$((i+1)); done
list() {
  cd "$1" && find . -mindepth 1 | sort | while read -r p; do
    if [ -d "$p" ]; then echo "D $(stat -c %a "$p") \${p#./}"; else echo "F $(stat -c %a "$p") $(sha256sum < "$p" | cut -c1-64) \${p#./}"; fi
  done; cd /
}
mkdir -p /cd /fd
echo "=== label-cd $(findfs LABEL=cidata)"
echo "=== rock-ridge"; mount -t iso9660 -o ro /dev/sr0 /cd && list /cd; umount /cd
echo "=== joliet"; mount -t iso9660 -o ro,norock,iocharset=utf8 /dev/sr0 /cd && list /cd; umount /cd
echo "=== vfat"; mount -t vfat -o ro,iocharset=utf8 /dev/fd0 /fd && list /fd; umount /fd
echo "=== end"
poweroff -f
`;

function initramfs(dir: string, kver: string): string {
  const root = path.join(dir, 'root');
  mkdirSync(path.join(root, 'lib/modules'), {recursive: true});
  for (const d of ['bin', 'proc', 'sys', 'dev']) mkdirSync(path.join(root, d), {recursive: true});
  copyFileSync('/bin/busybox', path.join(root, 'bin/busybox'));
  symlinkSync('busybox', path.join(root, 'bin/sh'));
  for (const m of MODULES) copyFileSync(`/lib/modules/${kver}/kernel/${m}.ko`, path.join(root, 'lib/modules', `${path.basename(m)}.ko`));
  writeFileSync(path.join(root, 'modules'), MODULES.map((m) => path.basename(m)).join('\n'));
  writeFileSync(path.join(root, 'init'), INIT, {mode: 0o755});
  const out = path.join(dir, 'initrd.cpio');
  read('sh', ['-c', `cd '${root}' && find . | cpio --quiet -o -H newc -R 0:0 > '${out}'`]);
  return out;
}

/** Boot, collect the serial console until QEMU exits (poweroff), return the lines. */
async function boot(kver: string, initrd: string, cd: string, floppy: string): Promise<string[]> {
  const qemu = spawn(
    'qemu-system-x86_64',
    [
      ...['-machine', 'pc,accel=tcg', '-m', '256', '-nographic', '-no-reboot', '-nodefaults', '-serial', 'stdio'],
      ...['-kernel', `/boot/vmlinuz-${kver}`, '-initrd', initrd, '-append', 'console=ttyS0 panic=-1 loglevel=1'],
      ...['-drive', `file=${cd},media=cdrom,if=ide,index=2,readonly=on`, '-drive', `file=${floppy},if=floppy,format=raw,index=0,readonly=on`],
    ],
    {stdio: ['ignore', 'pipe', 'pipe']},
  );
  // Bytes, decoded once at the end: a chunk boundary may split a UTF-8 character.
  const chunks: Buffer[] = [];
  qemu.stdout.on('data', (d: Buffer) => chunks.push(d));
  qemu.stderr.on('data', (d: Buffer) => chunks.push(d));
  let out = '';
  // Our own deadline, below the test's timeout, so QEMU is always stopped here (never left running).
  const deadline = setTimeout(() => qemu.kill('SIGKILL'), DEADLINE_MS);
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      qemu.once('error', reject);
      qemu.once('close', resolve);
    });
    out = Buffer.concat(chunks).toString('utf8');
    if (!out.includes('=== end')) throw new Error(`the guest did not finish (QEMU exit ${code}):\n${out.slice(-3000)}`);
  } finally {
    clearTimeout(deadline);
    if (qemu.exitCode === null && qemu.signalCode === null) qemu.kill('SIGKILL');
  }
  // The firmware and kernel write terminal escapes before init's lines: drop them.
  return out
    .replace(/\x1b(\[[0-9;?]*[A-Za-z]|c)/g, '')
    .replace(/\r/g, '')
    .split('\n');
}

function section(lines: string[], name: string): string[] {
  const at = lines.findIndex((l) => l === `=== ${name}`);
  const end = lines.findIndex((l, i) => i > at && l.startsWith('=== '));
  return lines.slice(at + 1, end).filter((l) => /^[DF] /.test(l));
}

const sha = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

describe('the Linux kernel reads the images vmbench writes', () => {
  it('isofs (Rock Ridge and Joliet) and vfat give back every name, mode and byte; the CD is found by its label', async () => {
    const dir = fresh('guest');
    const kver = hostKernel();
    const big = randomBytes(700_000);
    const longName = `${'long-name-'.repeat(20)}.md`;
    const cdFiles: MediaEntry[] = [
      {path: 'user-data', content: '#cloud-config\n'},
      {path: 'meta-data', content: 'instance-id: iid-1\n'},
      {path: 'scripts/setup.sh', content: '#!/bin/sh\n', mode: 0o755},
      {path: 'ünïcödé-名前.txt', content: 'unicode'},
      {path: `docs/${longName}`, content: 'long'},
      {path: 'a/b/c/d/e/f/g/h/i/j/deep.txt', content: 'deep'},
      {path: 'big.bin', content: big},
      {path: 'empty', directory: true},
    ];
    const cd = path.join(dir, 'cd.iso');
    // Small extents, so the kernel must join a multi-extent file too.
    await writeIso({files: cdFiles, label: 'cidata'}, cd, {maxExtentBytes: 64 * 2048});
    const fdFiles: MediaEntry[] = [
      {path: 'ks.cfg', content: 'install\n'},
      {path: 'Autounattend.xml', content: '<unattend/>\r\n'},
      {path: 'drivers/ünïcödé name.inf', content: 'inf'},
      {path: 'big.bin', content: big.subarray(0, 400_000)},
    ];
    const fd = path.join(dir, 'fd.img');
    await writeFloppy({files: fdFiles, label: 'packer'}, fd);

    const lines = await boot(kver, initramfs(dir, kver), cd, fd);
    // busybox findfs looks the label up as cloud-init's LABEL=cidata does (the floppy's label is
    // blkid's to check, test/unit/media-fat-writer.test.ts: findfs only scans /proc/partitions).
    expect(lines.find((l) => l.includes('=== label-cd')), lines.join('\n')).toMatch(/=== label-cd \/dev\/sr0$/);

    const dirs = ['a', 'a/b', 'a/b/c', 'a/b/c/d', 'a/b/c/d/e', 'a/b/c/d/e/f', 'a/b/c/d/e/f/g', 'a/b/c/d/e/f/g/h', 'a/b/c/d/e/f/g/h/i', 'a/b/c/d/e/f/g/h/i/j', 'docs', 'empty', 'scripts'];
    const rr = [
      ...dirs.map((d) => `D 755 ${d}`),
      `F 644 ${sha('deep')} a/b/c/d/e/f/g/h/i/j/deep.txt`,
      `F 644 ${sha(big)} big.bin`,
      `F 644 ${sha('long')} docs/${longName}`,
      `F 644 ${sha('instance-id: iid-1\n')} meta-data`,
      `F 755 ${sha('#!/bin/sh\n')} scripts/setup.sh`,
      `F 644 ${sha('#cloud-config\n')} user-data`,
      `F 644 ${sha('unicode')} ünïcödé-名前.txt`,
    ].sort();
    // Rock Ridge: the relocation directory shows as .rr_moved (empty: its children are shown where they belong).
    expect(section(lines, 'rock-ridge').filter((l) => !l.endsWith('.rr_moved')).sort()).toEqual(rr);
    // Joliet: the same tree (names cut to 64 characters); modes are the kernel's defaults then.
    const joliet = section(lines, 'joliet').map((l) => l.replace(/^([DF]) \d+ /, '$1 '));
    const want = rr.map((l) => l.replace(/^([DF]) \d+ /, '$1 ').replace(longName, `${longName.slice(0, 61)}.md`));
    expect(joliet.sort()).toEqual(want.sort());

    expect(section(lines, 'vfat').map((l) => l.replace(/^([DF]) \d+ /, '$1 ')).sort()).toEqual(
      [
        'D drivers',
        `F ${sha('<unattend/>\r\n')} Autounattend.xml`,
        `F ${sha(big.subarray(0, 400_000))} big.bin`,
        `F ${sha('inf')} drivers/ünïcödé name.inf`,
        `F ${sha('install\n')} ks.cfg`,
      ].sort(),
    );
  }, 180_000);
});
