/**
 * The qemu-builder options of issue 10 on real QEMU (TCG here), with the tiny guest:
 *
 * - a build from a disk image (the tiny ISO is isohybrid, so its qcow2 copy boots as a hard
 *   disk): copied, resized to disk_size, booted from disk; an additional disk; the CD and floppy
 *   vmbench writes, mounted and read by the guest (cdrom_interface virtio); qemuargs' build
 *   fields; http_directory served byte for byte (cloud-init Jinja included); VNC with a
 *   per-build password that an outside viewer must give — and vmbench's own VNC typing gives;
 * - communicator none: no SSH at all, http_content with its build fields filled in when served,
 *   the guest powering itself off and the build waiting for it.
 */
import {createHash} from 'node:crypto';
import {execFileSync} from 'node:child_process';
import {mkdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import {execa} from 'execa';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {connectVnc} from '../../src/vnc/vnc-client.js';
import {assertBuilt, BIN, CACHE, events, ROOT, tmpDir} from './helpers.js';

const work = tmpDir('vmbench-e2e-builder-');
afterAll(() => rmSync(work, {recursive: true, force: true}));
let tinyIso = '';
beforeAll(() => {
  assertBuilt();
  tinyIso = execFileSync('bash', [path.join(ROOT, 'profiles/tiny/build-iso.sh'), path.join(CACHE, 'iso-build')], {encoding: 'utf8'}).trim().split('\n').at(-1)!;
});

type Ev = Record<string, unknown> & {type: string};

/** Run `vmbench build DIR --json`, calling `onEvent` for each event as it arrives. */
async function build(dir: string, out: string, onEvent: (e: Ev) => void = () => {}): Promise<{code: number | undefined; stderr: string; evs: Ev[]; ms: number}> {
  const started = Date.now();
  const child = execa('node', [BIN, 'build', dir, '--json', '--force', '--output', out, '--cache-dir', CACHE], {
    reject: false,
    env: {CI: 'true', XDG_STATE_HOME: path.join(work, 'state')},
    stdin: 'ignore',
  });
  let pending = '';
  child.stdout!.on('data', (d: Buffer) => {
    pending += d.toString();
    const lines = pending.split('\n');
    pending = lines.pop()!;
    for (const e of events(lines.join('\n'))) onEvent(e);
  });
  const r = await child;
  return {code: r.exitCode, stderr: String(r.stderr), evs: events(String(r.stdout)), ms: Date.now() - started};
}

const logs = (evs: Ev[], source: string): string[] => evs.filter((e) => e.type === 'log' && e.source === source).map((e) => String(e.line));
const rawOf = (image: string): Buffer => {
  const raw = `${image}.raw`;
  execFileSync('qemu-img', ['convert', '-O', 'raw', image, raw]);
  const buf = readFileSync(raw);
  rmSync(raw);
  return buf;
};
const virtualSize = (image: string): number => (JSON.parse(execFileSync('qemu-img', ['info', '--output=json', image], {encoding: 'utf8'})) as {'virtual-size': number})['virtual-size'];

/** The security types a VNC server offers (RFB 3.8): [2] is VNC authentication only, [1] None. */
function securityTypes(port: number): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const s = net.connect({host: '127.0.0.1', port});
    let buf = Buffer.alloc(0);
    let sent = false;
    s.once('error', reject);
    s.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (!sent && buf.length >= 12) {
        s.write('RFB 003.008\n');
        buf = buf.subarray(12);
        sent = true;
      }
      if (sent && buf.length >= 1 && buf.length >= 1 + buf[0]!) {
        resolve([...buf.subarray(1, 1 + buf[0]!)]);
        s.destroy();
      }
    });
  });
}

const PROVISION = `#!/bin/sh
set -e
CD=$(findfs LABEL=cidata)
mkdir -p /mnt/cd /mnt/fd
mount -t iso9660 -o ro "$CD" /mnt/cd
echo "cd hello: $(cat /mnt/cd/hello.txt)"
echo "cd tree: $(cd /mnt/cd && find tree | sort | tr '\\n' ' ')"
echo "cd meta-data: $(cat /mnt/cd/meta-data)"
mount -t vfat -o ro /dev/fd0 /mnt/fd || { dmesg | grep -iE 'fat|fd0|floppy' | tail -n 8; exit 1; }
echo "floppy: $(cat /mnt/fd/floppy-note.txt)"
echo "serial: $(cat /sys/class/dmi/id/product_serial)"
echo "boot disk: $(blockdev --getsize64 /dev/vda)"
for d in /dev/vd?; do [ "$d" = /dev/vda ] || [ "$d" = "$CD" ] || ADD=$d; done
echo "additional disk: $(blockdev --getsize64 "$ADD")"
printf 'VMBENCH_EXTRA_DISK_MARK\\n' | dd of="$ADD" conv=fsync 2>/dev/null
printf 'VMBENCH_BOOT_DISK_MARK\\n' | dd of=/dev/vda bs=1M seek=40 conv=notrunc,fsync 2>/dev/null
U=$(sed -n 's|.*url=\\([^ ]*\\)/tiny.cfg.*|\\1|p' /proc/cmdline)
wget -q -O /tmp/user-data "$U/user-data"
echo "user-data sha256: $(sha256sum /tmp/user-data | cut -c1-64)"
sync
`;

/** cloud-init's Jinja and Go-template look-alikes: Packer serves http_directory as it is. */
const USER_DATA = '## template: jinja\n#cloud-config\nhostname: {{ v1.local_hostname }}\nurl: http://{{ .HTTPIP }}:{{ .HTTPPort }}/\n';

describe('qemu-builder options (real QEMU)', () => {
  it('builds from a disk image with an extra disk, a CD and a floppy the guest reads, and VNC behind a password', {timeout: 240_000}, async () => {
    const dir = path.join(work, 'diskimg');
    mkdirSync(path.join(dir, 'http'), {recursive: true});
    mkdirSync(path.join(dir, 'media', 'tree', 'sub'), {recursive: true});
    writeFileSync(path.join(dir, 'http', 'tiny.cfg'), 'hostname=diskimg\nroot_password=vmbench\n');
    writeFileSync(path.join(dir, 'http', 'user-data'), USER_DATA);
    writeFileSync(path.join(dir, 'media', 'hello.txt'), 'hello from the CD\n');
    writeFileSync(path.join(dir, 'media', 'tree', 'sub', 'deep.txt'), 'deep\n');
    writeFileSync(path.join(dir, 'media', 'floppy-note.txt'), 'hello from the floppy\n');
    writeFileSync(path.join(dir, 'check.sh'), PROVISION);
    // The tiny ISO is isohybrid: as a qcow2 hard disk, SeaBIOS boots its isolinux from the MBR.
    const base = path.join(work, 'base.qcow2');
    execFileSync('qemu-img', ['convert', '-O', 'qcow2', tinyIso, base]);
    writeFileSync(
      path.join(dir, 'profile.yaml'),
      `iso_url: ${base}
iso_checksum: none
disk_image: true
vm_name: e2e.qcow2
format: qcow2
disk_size: 64M
disk_additional_size: ["8M"]
memory: 256
http_directory: http
cd_files: ["media/hello.txt", "media/tree"]
cd_content:
  meta-data: "instance-id: e2e"
cd_label: cidata
cdrom_interface: virtio
floppy_files: ["media/floppy-note.txt"]
vnc_use_password: true
boot_keys_via: vnc
boot_wait: 0s
boot_command:
  - '<waitFor "boot:" 1m>tiny url=http://{{ .HTTPIP }}:{{ .HTTPPort }}/tiny.cfg<enter>'
ssh_username: root
ssh_password: vmbench
ssh_timeout: 2m
ssh_watch_error_patterns: 'vmbench-tiny: ERROR'
provisioners:
  - type: shell
    script: check.sh
shutdown_command: "sync; poweroff -f"
shutdown_timeout: 1m
qemuargs:
  - ["-device", "virtio-net,netdev=user.0"]
  - ["-device", "virtio-rng-pci"]
  - ["-smbios", "type=1,serial={{ .Name }}-{{ .SSHHostPort }}"]
`,
    );
    const out = path.join(work, 'out-diskimg');
    // An outside viewer, as soon as the build says where VNC is: refused without the password.
    let viewer: Promise<{types: number[]; noPassword: string; wrong: string; width: number}> | undefined;
    const r = await build(dir, out, (e) => {
      if (viewer || e.type !== 'info' || e.key !== 'vnc') return;
      const m = /^vnc:\/\/127\.0\.0\.1:(\d+) \(display :\d+, password (\w{8})\)/.exec(String(e.value));
      if (!m) throw new Error(`no password in the VNC info: ${String(e.value)}`);
      const [port, password] = [Number(m[1]), m[2]!];
      const refused = (pw?: string) => connectVnc({host: '127.0.0.1', port}, {timeoutMs: 5000, password: pw}).then((s) => (s.close(), 'accepted'), (err: Error) => err.message);
      viewer = (async () => {
        const types = await securityTypes(port);
        const noPassword = await refused(undefined);
        const wrong = await refused(password === 'aaaaaaaa' ? 'bbbbbbbb' : 'aaaaaaaa');
        const session = await connectVnc({host: '127.0.0.1', port}, {timeoutMs: 5000, password});
        const width = session.width;
        session.close();
        return {types, noPassword, wrong, width};
      })();
    });
    const evs = r.evs;
    expect(r.code, `${r.stderr}\nthe guest said:\n${logs(evs, 'provisioner').join('\n')}`).toBe(0);
    console.log(`[builder-options e2e] disk image + media build: ${r.ms} ms`);

    // The steps this build needs, in Packer's order: the media step is there, UEFI's is not.
    const done = evs.filter((e) => e.type === 'step' && e.status === 'done').map((e) => e.id);
    expect(done.slice(0, 5)).toEqual(['fetch-iso', 'prepare-output', 'create-media', 'create-disk', 'ssh-key']);
    expect(done).not.toContain('prepare-efivars');
    // The image was copied (same format), resized, booted from disk; no installer CD.
    const mine = logs(evs, 'vmbench');
    expect(mine).toContain(`disk.qcow2: a copy of ${base}`);
    expect(mine).toContain('disk.qcow2: resized to 64M');
    const cmd = logs(evs, 'qemu').find((l) => l.includes(' -qmp '))!;
    expect(cmd).toMatch(/-boot c /);
    expect(cmd).not.toContain(tinyIso);
    expect(cmd).toMatch(/-vnc 127\.0\.0\.1:\d+,share=ignore,password=on/);

    // What the guest read and saw.
    const said = logs(evs, 'provisioner');
    const sshPort = Number(/^127\.0\.0\.1:(\d+)$/.exec(String(evs.find((e) => e.type === 'info' && e.key === 'ssh')?.value))?.[1]);
    expect(said).toEqual(
      expect.arrayContaining([
        'cd hello: hello from the CD',
        'cd tree: tree tree/sub tree/sub/deep.txt ',
        'cd meta-data: instance-id: e2e',
        'floppy: hello from the floppy',
        `serial: e2e-${sshPort}`,
        `boot disk: ${64 * 1048576}`,
        `additional disk: ${8 * 1048576}`,
        `user-data sha256: ${createHash('sha256').update(USER_DATA).digest('hex')}`,
      ]),
    );

    // VNC: only VNC authentication is offered; no password and a wrong one are refused.
    const v = await viewer!;
    expect(v.types).toEqual([2]);
    expect(v.noPassword).toMatch(/does not support any security/);
    expect(v.wrong).toMatch(/VNC/);
    expect(v.wrong).not.toBe('accepted');
    expect(v.width).toBeGreaterThan(0); // logged in: the server sent its framebuffer size

    // The output: the main image (the disk image's data, resized) and the additional disk.
    const image = path.join(out, 'e2e.qcow2');
    expect(evs.filter((e) => e.type === 'artifact' && e.format !== 'manifest' && !String(e.path).endsWith('SUMS')).map((e) => e.path)).toEqual([image, path.join(out, 'e2e.qcow2-1')]);
    expect(virtualSize(image)).toBe(64 * 1048576);
    const main = rawOf(image);
    expect(main.includes('VMBENCH_TINY')).toBe(true); // the ISO's volume label: it started from the image
    expect(main.includes('VMBENCH_BOOT_DISK_MARK')).toBe(true);
    expect(virtualSize(path.join(out, 'e2e.qcow2-1'))).toBe(8 * 1048576);
    expect(rawOf(path.join(out, 'e2e.qcow2-1')).subarray(0, 24).toString()).toBe('VMBENCH_EXTRA_DISK_MARK\n');
  });

  it('with communicator none: no SSH, http_content filled in when served, and the build waits for the guest to power off', {timeout: 180_000}, async () => {
    const dir = path.join(work, 'none');
    mkdirSync(dir, {recursive: true});
    writeFileSync(
      path.join(dir, 'profile.yaml'),
      `iso_build: ${path.join(ROOT, 'profiles/tiny/build-iso.sh')}
iso_checksum: none
vm_name: nonebuild.qcow2
disk_size: 16M
memory: 256
communicator: none
http_content:
  /tiny.cfg: |
    hostname={{ .Name }}
    root_password=unused
boot_wait: 0s
# The tiny guest powers itself off: the boot command types it into its root shell.
boot_command:
  - '<waitFor "boot:" 1m>tiny url=http://{{ .HTTPIP }}:{{ .HTTPPort }}/tiny.cfg<enter>'
  - '<waitFor "setup done" 2m><enter>sleep 2; poweroff -f<enter>'
shutdown_timeout: 2m
ssh_watch_error_patterns: 'vmbench-tiny: ERROR'
qemuargs:
  - ["-device", "virtio-net,netdev=user.0"]
  - ["-device", "virtio-rng-pci"]
`,
    );
    const out = path.join(work, 'out-none');
    const r = await build(dir, out);
    expect(r.code, r.stderr).toBe(0);
    console.log(`[builder-options e2e] communicator none build: ${r.ms} ms`);
    const done = r.evs.filter((e) => e.type === 'step' && e.status === 'done').map((e) => e.id);
    expect(done).toEqual(['fetch-iso', 'prepare-output', 'create-disk', 'serve-http', 'start-vm', 'type-boot-command', 'provision', 'shutdown', 'convert', 'records']);
    expect(logs(r.evs, 'qemu').find((l) => l.includes(' -qmp '))).not.toContain('hostfwd');
    expect(r.evs.some((e) => e.type === 'info' && e.key === 'ssh')).toBe(false);
    // http_content's .Name was filled in when it was served: the guest set that hostname.
    expect(logs(r.evs, 'http').some((l) => /GET \/tiny\.cfg → 200/.test(l))).toBe(true);
    expect(logs(r.evs, 'serial').some((l) => l.includes('config keys: hostname=nonebuild'))).toBe(true);
    expect(logs(r.evs, 'vmbench').some((l) => /^the guest powered off/.test(l))).toBe(true);
    expect(r.evs.filter((e) => e.type === 'artifact' && e.format !== 'manifest' && !String(e.path).endsWith('SUMS')).map((e) => e.path)).toEqual([path.join(out, 'nonebuild.qcow2')]);
  });
});
