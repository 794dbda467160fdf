/**
 * The qemu-builder options of issue 10 as a profile states them: converted, defaulted and
 * checked against each other with Packer's rules (builder/qemu/config.go), problems at file:line.
 */
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {afterAll, describe, expect, it} from 'vitest';
import {parseProfile, ProfileError} from '../../src/profiles/loader.js';
import type {ProfileIssue} from '../../src/profiles/document.js';
import {fillBuildFields, renderQemuArgs} from '../../src/engine/build-fields.js';
import {maxCpus} from '../../src/profiles/builder-options.js';

const minimal = 'iso_url: /isos/x.iso\nssh_username: root\n';

function load(yaml: string, file = '/p/profile.yaml'): {profile?: ReturnType<typeof parseProfile>; errors: string[]; warnings: string[]} {
  const warnings: ProfileIssue[] = [];
  try {
    const profile = parseProfile(yaml, file, 'demo', {warnings});
    return {profile, errors: [], warnings: warnings.map((w) => `${w.line} ${w.field}: ${w.message}`)};
  } catch (err) {
    if (!(err instanceof ProfileError)) throw err;
    return {errors: err.issues.map((i) => `${i.line} ${i.field}: ${i.message}`), warnings: warnings.map((w) => `${w.line} ${w.field}: ${w.message}`)};
  }
}

describe('builder options: defaults', () => {
  it('are Packer\'s', () => {
    const {profile} = load(minimal);
    expect(profile).toMatchObject({
      disk_image: false, use_backing_file: false, skip_resize_disk: false, disk_additional_size: [],
      disk_cache: 'writeback', disk_discard: 'ignore', disk_detect_zeroes: 'off', skip_compaction: false,
      qemu_img_args: {create: [], convert: [], resize: []}, iso_target_extension: 'iso',
      cd_files: [], cd_content: {}, cd_label: 'packer', floppy_files: [], floppy_dirs: [], floppy_label: 'packer',
      http_content: {}, efi_boot: false, efi_firmware_code: '/usr/share/OVMF/OVMF_CODE.fd', efi_firmware_vars: '/usr/share/OVMF/OVMF_VARS.fd',
      // vnc_use_password: not Packer's default, but nobody else is let in (issue 13).
      sockets: 0, cores: 0, threads: 0, vnc_use_password: true, communicator: 'ssh', pause_before_connecting: 0,
      ssh_keep_alive_interval: 5000, ssh_pty: false,
    });
  });
});

describe('builder options: Packer\'s rules between fields', () => {
  it.each([
    ['use_backing_file without disk_image', 'use_backing_file: true\n', /use_backing_file: needs disk_image: true and format: qcow2/],
    ['use_backing_file on a raw image', 'disk_image: true\nformat: raw\nuse_backing_file: true\n', /use_backing_file: needs disk_image/],
    ['skip_resize_disk without disk_image', 'skip_resize_disk: true\n', /skip_resize_disk: only applies with disk_image/],
    ['http_content with http_directory', 'http_directory: http\nhttp_content:\n  /a: x\n', /http_content: cannot be used together with http_directory/],
    ['a VNC password over 8 characters', 'vnc_use_password: true\nvnc_password: "123456789"\n', /vnc_password: is 9 characters long/],
    ['firmware and UEFI at once', 'firmware: /fw/bios.bin\nefi_boot: true\n', /firmware: firmware and efi_boot both choose/],
    ['an unknown qemu-img command', 'qemu_img_args:\n  creat: ["-o", "x"]\n', /qemu_img_args\.creat: unknown qemu-img command "creat" .*did you mean "create"/],
    ['qemu-img arguments that are not a list', 'qemu_img_args:\n  convert: "-c"\n', /qemu_img_args\.convert: expected a list/],
    ['a size qemu-img cannot read', 'disk_additional_size: ["10 GB"]\n', /disk_additional_size\[0\]: "10 GB" is not a qemu-img size/],
    ['winrm', 'communicator: winrm\n', /communicator: "winrm" is not one of: ssh, none/],
    ['an SSH provisioner without SSH', 'communicator: none\nprovisioners:\n  - type: shell\n    inline: ["true"]\n', /provisioners\[0\]\.type: a shell provisioner needs SSH, but communicator is none/],
    ['a cdrom_interface vmbench has no bus for', 'cdrom_interface: nvme\n', /cdrom_interface: "nvme" is not one of: ide, sata, scsi, virtio, virtio-scsi/],
  ])('refuses %s', (_, yaml, error) => {
    const {errors} = load(minimal + yaml);
    expect(errors.join('\n')).toMatch(error);
  });

  it('names the line of the field in error', () => {
    expect(load(`${minimal}skip_resize_disk: true\n`).errors).toEqual(['3 skip_resize_disk: only applies with disk_image: true (a new disk is always disk_size)']);
  });

  it('never compacts raw images or backing-file overlays, as Packer', () => {
    expect(load(`${minimal}format: raw\n`).profile?.skip_compaction).toBe(true);
    expect(load(`${minimal}disk_image: true\nuse_backing_file: true\n`).profile?.skip_compaction).toBe(true);
    const raw = load(`${minimal}format: raw\ndisk_compression: true\n`);
    expect(raw.profile?.disk_compression).toBe(false);
    expect(raw.warnings).toEqual(['4 disk_compression: only a qcow2 image can be compressed: ignored for format raw']);
  });

  it('turns UEFI on when an OVMF file is named', () => {
    const {profile} = load(`${minimal}efi_firmware_code: /x/CODE.fd\n`);
    expect(profile).toMatchObject({efi_boot: true, efi_firmware_code: '/x/CODE.fd', efi_firmware_vars: '/usr/share/OVMF/OVMF_VARS.fd'});
  });

  it.each([
    ['sockets: 2\ncores: 2\n', 4, []],
    ['cores: 4\nthreads: 2\n', 8, []],
    ['cpus: 2\nsockets: 2\ncores: 2\n', 2, ['3 cpus: 2 of the 4 vCPUs the topology allows are present at boot']],
    ['cpus: 8\nsockets: 1\ncores: 2\n', 2, ['3 cpus: 8 vCPUs do not fit sockets × cores × threads = 2: using 2 (as Packer does)']],
  ])('CPU topology %j gives %d vCPUs', (yaml, cpus, warnings) => {
    const r = load(minimal + yaml);
    expect(r.profile?.cpus).toBe(cpus);
    expect(r.warnings).toEqual(warnings);
  });

  it.each([
    [{sockets: 0, cores: 0, threads: 0}, 0],
    [{sockets: 2, cores: 0, threads: 0}, 2],
    [{sockets: 0, cores: 3, threads: 2}, 6],
    [{sockets: 2, cores: 2, threads: 2}, 8],
  ])('maxCpus(%j) = %d', (t, n) => expect(maxCpus(t)).toBe(n));

  it('warns where a field does nothing', () => {
    const r = load(`${minimal}vnc_password: secret\ncommunicator: none\nshutdown_command: poweroff\nboot_keygroup_interval: 1s\ndisk_additional_size: ["1024"]\n`);
    expect(r.errors).toEqual([]);
    expect(r.warnings.sort()).toEqual([
      '5 shutdown_command: is not run with communicator: none (the guest must power off by itself)',
      '6 boot_keygroup_interval: Packer’s qemu builder does not use boot_keygroup_interval (it paces scan-code builders such as VirtualBox); boot_key_interval sets the pace here',
      '7 disk_additional_size[0]: "1024" has no unit: qemu-img reads it as bytes (Packer passes it on as written); write e.g. "1024M" if you meant MiB',
    ]);
  });

  it('needs no ssh_username without SSH', () => {
    expect(load('iso_url: x.iso\ncommunicator: none\n').errors).toEqual([]);
    expect(load('iso_url: x.iso\n').errors).toEqual(['1 ssh_username: missing: the user vmbench logs in as (or communicator: none)']);
  });
});

describe('http_content', () => {
  it('renders user variables at load and keeps the build fields for serving', () => {
    const {profile} = load(`${minimal}variables:\n  pw: s3cret\nhttp_content:\n  /tiny.cfg: |\n    host={{ .Name }}\n    pw={{ user \`pw\` }}\n    url=http://{{ .HTTPIP }}:{{ .HTTPPort }}/\n`);
    expect(profile?.http_content).toEqual({'/tiny.cfg': 'host={{ .Name }}\npw=s3cret\nurl=http://{{ .HTTPIP }}:{{ .HTTPPort }}/\n'});
  });

  it('names what is wrong in it at load', () => {
    expect(load(`${minimal}http_content:\n  /a: "{{ .HTTPDir }}"\n`).errors.join('\n')).toMatch(/http_content\.\/a: unknown field \.HTTPDir/);
    expect(load(`${minimal}http_content:\n  /a: ["x"]\n`).errors.join('\n')).toMatch(/http_content/);
  });

  it('serves a key without its leading slash where Packer never would, and says so', () => {
    const r = load(`${minimal}http_content:\n  preseed.cfg: x\n`);
    expect(Object.keys(r.profile!.http_content)).toEqual(['/preseed.cfg']);
    expect(r.warnings).toEqual(['4 http_content.preseed.cfg: URL paths start with "/": served as "/preseed.cfg" (Packer would never serve "preseed.cfg")']);
  });
});

describe('build fields at build time', () => {
  const fields = {HTTPIP: '10.0.2.2', HTTPPort: '8123', Name: 'vm', SSHPublicKey: 'ssh-ed25519 AAAA', HTTPDir: '/p/http', OutputDir: '/o/.work', SSHHostPort: '2345'};

  it.each([
    ['url=http://{{ .HTTPIP }}:{{ .HTTPPort }}/', 'url=http://10.0.2.2:8123/'],
    ['{{.Name}} {{ .SSHPublicKey }}', 'vm ssh-ed25519 AAAA'],
    // Everything that is not a build field passes untouched: cloud-init's Jinja, Go syntax, unknown fields.
    ['hostname: {{ v1.local_hostname }}', 'hostname: {{ v1.local_hostname }}'],
    ['{% if x %}{{ .Nope }}{% endif %}', '{% if x %}{{ .Nope }}{% endif %}'],
    ['{{ user `x` }}', '{{ user `x` }}'],
    // Pipelines the check kept because they use a build field are rendered; Jinja that merely mentions one is not.
    ['{{ .Name | upper }}-{{ "a b" | urlquery }}', 'VM-{{ "a b" | urlquery }}'],
    ['id: {{ ds.meta_data.Name }}', 'id: {{ ds.meta_data.Name }}'],
  ])('served content %j → %j', (text, out) => {
    expect(fillBuildFields(text, fields)).toBe(out);
  });

  it('renders qemuargs with Packer\'s qemuargs fields', () => {
    expect(renderQemuArgs([['-serial', 'file:{{ .OutputDir }}/s.log'], ['-fw_cfg', 'name=opt/u,string=http://{{ .HTTPIP }}:{{ .HTTPPort }}/{{ .Name }}'], ['-no-reboot']], fields)).toEqual([
      ['-serial', 'file:/o/.work/s.log'],
      ['-fw_cfg', 'name=opt/u,string=http://10.0.2.2:8123/vm'],
      ['-no-reboot'],
    ]);
    expect(() => renderQemuArgs([['-a', 'x'], ['-b', '{{ .Nope }}']], fields)).toThrow(/qemuargs\[1\]\[1\] "\{\{ \.Nope \}\}": unknown field \.Nope/);
  });

  it('keeps qemuargs build fields as written when the profile loads', () => {
    const {profile} = load(`${minimal}qemuargs:\n  - ["-serial", "file:{{ .OutputDir }}/serial.log"]\n  - ["-smbios", "type=1,serial={{ .SSHHostPort }}-{{ .HTTPDir }}"]\n`);
    expect(profile?.qemuargs).toEqual([['-serial', 'file:{{ .OutputDir }}/serial.log'], ['-smbios', 'type=1,serial={{ .SSHHostPort }}-{{ .HTTPDir }}']]);
  });
});

describe('{{ file }} and {{ templatefile }}', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vmbench-filefuncs-'));
  afterAll(() => rmSync(dir, {recursive: true, force: true}));
  mkdirSync(path.join(dir, 'http'));
  writeFileSync(path.join(dir, 'http', 'preseed.cfg'), 'd-i mirror/http/hostname string {{ user `mirror` }}\nd-i x string http://{{ .HTTPIP }}:{{ .HTTPPort }}/\n');
  writeFileSync(path.join(dir, 'http', 'user-data'), '#cloud-config\nhostname: {{ v1.local_hostname }}\n');
  writeFileSync(path.join(dir, 'http', 'bad.cfg'), 'ok\nx={{ user `nope` }}\n');
  const file = path.join(dir, 'profile.yaml');
  const head = `${minimal}variables:\n  mirror: deb.example.org\n`;

  it('templatefile renders the file like the field it is in, and remembers where an entry came from', () => {
    const {profile, errors} = load(`${head}http_content:\n  /preseed.cfg: "{{ templatefile \`http/preseed.cfg\` }}"\n  /x: "{{ .Name }}"\n`, file);
    expect(errors).toEqual([]);
    expect(profile?.http_content['/preseed.cfg']).toBe('d-i mirror/http/hostname string deb.example.org\nd-i x string http://{{ .HTTPIP }}:{{ .HTTPPort }}/\n');
    expect(profile?.http_content_files).toEqual({'/preseed.cfg': path.join(dir, 'http', 'preseed.cfg')});
  });

  it('file inserts a file as it is (its text is not read as a template)', () => {
    const {profile, errors} = load(`${head}shutdown_command: "{{ file \`http/user-data\` }}"\n`, file);
    expect(errors).toEqual([]);
    expect(profile?.shutdown_command).toBe('#cloud-config\nhostname: {{ v1.local_hostname }}\n');
  });

  it.each([
    ['a missing file', '{{ templatefile `http/nope.cfg` }}', /templatefile http\/nope.cfg: no such file/],
    ['a bad template inside the file, at its line and column', '{{ templatefile `http/bad.cfg` }}', /http\/bad.cfg:2:11: unknown user variable nope/],
    ['no path', '{{ file }}', /file takes the path of a file/],
  ])('names %s', (_, value, error) => {
    expect(load(`${head}http_content:\n  /a: "${value}"\n`, file).errors.join('\n')).toMatch(error);
  });
});
