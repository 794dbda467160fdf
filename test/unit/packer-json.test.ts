/**
 * The Packer JSON front end: real templates (seed 003, Packer's documented examples) load as
 * checked profiles, and every field vmbench cannot honour is named at its line and column.
 */
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {afterAll, describe, expect, it} from 'vitest';
import {loadProfile, loadProfiles, ProfileError, type LoadOptions} from '../../src/profiles/loader.js';
import {packerJsonDocuments} from '../../src/profiles/packer-json.js';

const SEED = path.resolve('test/fixtures/packer/seed-003/debian9-kvm.json');
const work = mkdtempSync(path.join(os.tmpdir(), 'vmbench-packer-json-'));
afterAll(() => rmSync(work, {recursive: true, force: true}));

let n = 0;
/** Write a template (an object is pretty-printed with 2 spaces, as Packer's docs are). */
function template(t: unknown): string {
  const f = path.join(work, `t${n++}.json`);
  writeFileSync(f, typeof t === 'string' ? t : `${JSON.stringify(t, null, 2)}\n`);
  return f;
}

/** Every problem as "line:col field: message" ("warning:" first for warnings). */
function problems(file: string, opts: LoadOptions = {}): string[] {
  try {
    return loadProfiles(file, opts).flatMap((l) => (l.warnings ?? []).map((w) => `warning: ${w.line}:${w.col} ${w.field}: ${w.message}`));
  } catch (err) {
    if (err instanceof ProfileError) return err.issues.map((i) => `${i.warning ? 'warning: ' : ''}${i.line}:${i.col} ${i.field}: ${i.message}`);
    throw err;
  }
}

const qemu = {type: 'qemu', iso_url: '/isos/x.iso', iso_checksum: 'none', ssh_username: 'root'};

describe('seed 003 (a 2017 template, as written)', () => {
  it('loads with its ISO given by -var, old checksum style translated with a warning', () => {
    const l = loadProfile(SEED, {vars: {iso_url: '/tmp/tiny.iso'}});
    expect(l.format).toBe('packer-json');
    expect(l.profile).toMatchObject({
      name: 'qemu',
      iso_urls: ['/tmp/tiny.iso'],
      iso_checksum: 'none',
      output_directory: 'debian9-kvm',
      vm_name: 'debian9-template',
      disk_size: 5000,
      accelerator: 'kvm',
      http_directory: 'http',
      ssh_timeout: 10_000_000,
      boot_wait: 5000,
    });
    expect(l.profile.boot_command[2]).toBe('preseed/url=http://{{ .HTTPIP }}:{{ .HTTPPort }}/preseed.cfg <wait>');
    expect(l.warnings?.map((w) => `${w.line}:${w.col} ${w.field}`)).toContain('11:13 builders[0].iso_checksum_type');
  });
});

describe("Packer's documented JSON examples", () => {
  it('the qemu builder page’s basic example', () => {
    const f = template({
      builders: [
        {
          type: 'qemu',
          iso_url: 'http://mirror.raystedman.net/centos/6/isos/x86_64/CentOS-6.9-x86_64-minimal.iso',
          iso_checksum: 'md5:af4a1640c0c6f348c6c41f1ea9e192a2',
          output_directory: 'output_centos_tdhtest',
          shutdown_command: "echo 'packer' | sudo -S shutdown -P now",
          disk_size: '5000M',
          format: 'qcow2',
          accelerator: 'kvm',
          http_directory: 'path/to/httpdir',
          ssh_username: 'root',
          ssh_password: 's0m3password',
          ssh_timeout: '20m',
          vm_name: 'tdhtest',
          net_device: 'virtio-net',
          disk_interface: 'virtio',
          boot_wait: '10s',
          boot_command: ['<tab> text ks=http://{{ .HTTPIP }}:{{ .HTTPPort }}/centos6-ks.cfg<enter><wait>'],
        },
      ],
    });
    expect(problems(f)).toEqual([]);
    expect(loadProfile(f).profile).toMatchObject({disk_size: 5000, ssh_timeout: 1_200_000, vm_name: 'tdhtest', iso_checksum: 'md5:af4a1640c0c6f348c6c41f1ea9e192a2'});
  });

  it('the SSHPublicKey boot command, piped through urlquery, is kept for the build', () => {
    const f = template({
      variables: {username: 'vagrant'},
      builders: [{...qemu, boot_command: ['<up><wait><tab> text ks=http://{{ .HTTPIP }}:{{ .HTTPPort }}/ks.cfg PACKER_USER={{ user `username` }} PACKER_AUTHORIZED_KEY={{ .SSHPublicKey | urlquery }}<enter>']}],
    });
    expect(loadProfile(f).profile.boot_command).toEqual(['<up><wait><tab> text ks=http://{{ .HTTPIP }}:{{ .HTTPPort }}/ks.cfg PACKER_USER=vagrant PACKER_AUTHORIZED_KEY={{ .SSHPublicKey | urlquery }}<enter>']);
  });

  it('user variables with env defaults, template functions in the builder', () => {
    const f = template({
      variables: {home: '{{ env `HOME_X` }}', name: 'Deb-{{ user `home` | lower }}', stamp: '{{ isotime "2006" }}'},
      builders: [{...qemu, name: 'deb', output_directory: '{{ template_dir }}/out-{{ build_name }}-{{ build_type }}', vm_name: '{{ user `name` }}.qcow2'}],
    });
    const p = loadProfile(f, {env: {HOME_X: 'HOME'}}).profile;
    expect(p.output_directory).toBe(`${work}/out-deb-qemu`);
    expect(p.vm_name).toBe('Deb-home.qcow2');
    expect(p.variables.stamp).toMatch(/^\d{4}$/);
  });
});

describe('what vmbench cannot honour is named at its line and column', () => {
  it.each([
    ['an unsupported option', {net_bridge: 'br0'}, /^8:7 builders\[0\]\.net_bridge: not supported: vmbench uses QEMU user-mode networking/],
    ['WinRM (with communicator winrm; beside ssh Packer ignores it)', {communicator: 'winrm', winrm_username: 'a'}, /^9:7 builders\[0\]\.winrm_username: not supported: WinRM is not supported: vmbench connects over SSH/],
    ['a bastion host', {ssh_bastion_host: 'jump'}, /^8:7 builders\[0\]\.ssh_bastion_host: not supported: a bastion host is not supported/],
    ['a misspelt option', {ssh_passwrd: 'x'}, /^8:7 builders\[0\]\.ssh_passwrd: unknown option of Packer's qemu builder \(did you mean "ssh_password"\?\)/],
    ['an accepted but unused option', {display: 'gtk'}, /^warning: 8:7 builders\[0\]\.display: accepted but not used: vmbench never opens a QEMU window/],
    ['env outside variables', {vm_name: '{{ env `HOME` }}'}, /^8:18 vm_name: env is only allowed in the default values of variables/],
    ['an unsupported template function', {vm_name: '{{ vault `a` `b` }}'}, /^8:18 vm_name: template function vault is not supported/],
  ])('%s', (_name, extra, expected) => {
    const found = problems(template({builders: [{...qemu, ...extra}]}));
    expect(found.some((p) => expected.test(p)), found.join('\n')).toBe(true);
  });

  it('a bad key in a boot command, at its column inside the JSON string', () => {
    // Line 8 is `      "boot_command": [`, line 9 `        "<esc><wiat>"`: the quote at column 9, <wiat> at 15.
    const found = problems(template({builders: [{...qemu, boot_command: ['<esc><wiat>']}]}));
    expect(found.some((p) => p.startsWith('9:15 boot_command[0]: unknown key <wiat>')), found.join('\n')).toBe(true);
  });

  it('ignores "_" comments in the template and in builders, as Packer does', () => {
    expect(problems(template({_comment: 'hi', builders: [{...qemu, _note: 'x'}]}))).toEqual([]);
  });

  it('top-level keys: a misspelling, the cleanup provisioner, min_packer_version', () => {
    expect(problems(template({builders: [qemu], post_processors: [], 'error-cleanup-provisioner': {type: 'shell'}}))).toEqual([
      '10:3 post_processors: unknown top-level key of a Packer template (did you mean "post-processors"?)',
      '11:3 error-cleanup-provisioner: not supported: a provisioner run when the build fails is not supported yet',
    ]);
    expect(problems(template({min_packer_version: '1.5.0', builders: [qemu]}))).toEqual(['warning: 2:3 min_packer_version: accepted but not used: vmbench does not check Packer versions']);
  });

  it('JSON syntax Packer rejects: a comment, a trailing comma', () => {
    expect(problems(template('{\n  // no\n  "builders": []\n}\n'))[0]).toMatch(/^2:3 : JSON syntax: comments are not allowed/);
    expect(problems(template('{\n  "builders": [\n    {"type": "qemu",}\n  ]\n}\n'))[0]).toMatch(/^3:21 : JSON syntax: a quoted key is expected/);
  });

  it('a key given twice: the last counts, with a warning', () => {
    const f = template('{"builders": [{"type": "qemu", "iso_url": "/a.iso", "iso_url": "/b.iso", "ssh_username": "r"}]}');
    const l = loadProfile(f);
    expect(l.profile.iso_urls).toEqual(['/b.iso']);
    expect(l.warnings?.[0]).toMatchObject({line: 1, col: 53, message: expect.stringContaining('given more than once')});
  });

  it('a required variable (null default) not set', () => {
    const f = template({variables: {pw: null}, builders: [{...qemu, ssh_password: '{{ user `pw` }}'}]});
    expect(problems(f)).toEqual(['3:5 variables.pw: required variable: set it with -var pw=VALUE (or in a -var-file)']);
    expect(loadProfile(f, {vars: {pw: 's3cret'}}).profile.ssh_password).toBe('s3cret');
  });

  it('-var-file values (JSON); names the template does not declare join its variables, as in Packer', () => {
    const f = template({variables: {pw: 'a', user: 'root'}, builders: [{...qemu, ssh_password: '{{ user `pw` }}', vm_name: '{{ user `extra` }}.img'}]});
    const vf = path.join(work, 'vars.json');
    // A shared var file sets more than this template declares: Packer takes them all, usable as {{ user }}.
    writeFileSync(vf, '{\n  "pw": "from-file",\n  "extra": "shared",\n  "list": ["x"]\n}\n');
    expect(problems(f, {varFiles: [vf]})).toEqual(['4:3 list: -var-file: a JSON template\'s variable is a string, number or boolean, got a list']);
    writeFileSync(vf, '{"pw": "from-file", "extra": "shared"}');
    expect(loadProfile(f, {varFiles: [vf]}).profile.vm_name).toBe('shared.img');
    expect(loadProfile(f, {varFiles: [vf], vars: {extra: 'cli'}}).profile.vm_name).toBe('cli.img');
    expect(loadProfile(f, {vars: {extra: 'only-cli'}}).profile.vm_name).toBe('only-cli.img');
    expect(loadProfile(f, {varFiles: [vf]}).profile.ssh_password).toBe('from-file');
    expect(loadProfile(f, {varFiles: [vf], vars: {pw: 'from-var'}}).profile.ssh_password).toBe('from-var');
  });
});

describe('builds, only/except, override, post-processor sequences', () => {
  const multi = {
    'variables': {secret: 'hunter2'},
    'sensitive-variables': ['secret'],
    'builders': [
      {...qemu, name: 'a'},
      {...qemu, name: 'b', vm_name: 'b.img'},
      {type: 'virtualbox-iso', name: 'vb'},
    ],
    'provisioners': [
      {type: 'shell', inline: ['echo all']},
      {type: 'shell', inline: ['echo a'], only: ['a']},
      {type: 'shell', inline: ['echo not b'], except: ['b'], override: {a: {inline: ['echo a override']}}},
    ],
    'post-processors': ['compress', [{type: 'checksum', checksum_types: ['sha256']}, {type: 'manifest', only: ['b']}]],
  };

  it('one document per qemu builder; the others are skipped with a warning', () => {
    const {documents} = packerJsonDocuments(template(multi), {});
    expect(documents.map((d) => d.defaultName)).toEqual(['a', 'b']);
    expect(documents[0]!.warnings?.map((w) => w.message)).toContain('skipped: "vb" is a virtualbox-iso builder, not a qemu builder (vmbench builds with QEMU only)');
    expect(documents[0]!.sensitiveVariables).toEqual(['secret']);
    // Provisioners per build: only/except applied, override merged, the selectors dropped.
    expect(documents[0]!.raw.provisioners).toEqual([{type: 'shell', inline: ['echo all']}, {type: 'shell', inline: ['echo a']}, {type: 'shell', inline: ['echo a override']}]);
    expect(documents[1]!.raw.provisioners).toEqual([{type: 'shell', inline: ['echo all']}]);
    // Post-processors: a bare name expanded, a nested list kept as one sequence.
    expect(documents[0]!.raw.post_processors).toEqual([{type: 'compress'}, [{type: 'checksum', checksum_types: ['sha256']}]]);
    expect(documents[1]!.raw.post_processors).toEqual([{type: 'compress'}, [{type: 'checksum', checksum_types: ['sha256']}, {type: 'manifest'}]]);
    // Packer's default image name, packer-NAME.
    expect([documents[0]!.raw.vm_name, documents[1]!.raw.vm_name]).toEqual(['packer-a', 'b.img']);
  });

  it('an overridden field is located inside override', () => {
    const f = template(multi);
    const {documents} = packerJsonDocuments(f, {});
    expect(documents[0]!.position(['provisioners', 2, 'inline'])).toMatchObject({line: 55, col: 21});
    expect(documents[0]!.position(['post_processors', 1, 0, 'checksum_types'])).toMatchObject({line: 67, col: 27});
  });

  it('-only and -except pick builds by name (globs too); a name that matches nothing is an error', () => {
    const f = template({...multi, 'post-processors': undefined});
    expect(loadProfiles(f, {only: ['b']}).map((l) => l.profile.name)).toEqual(['b']);
    expect(loadProfiles(f, {except: ['a']}).map((l) => l.profile.name)).toEqual(['b']);
    expect(loadProfiles(f, {only: ['?']}).map((l) => l.profile.name)).toEqual(['a', 'b']);
    expect(problems(f, {only: ['nope']})).toEqual(['8:3 -only: -only=nope: no builder is named so (builders: a, b, vb)']);
    // Nothing left to build is said at the builders, with what was skipped.
    expect(problems(f, {only: ['vb']})).toEqual([
      '8:3 builders: no qemu builder here: vmbench builds with QEMU only (builders: a (qemu), b (qemu), vb (virtualbox-iso))',
      'warning: 25:15 builders[2]: skipped: "vb" is a virtualbox-iso builder, not a qemu builder (vmbench builds with QEMU only)',
    ]);
    expect(problems(f, {except: ['*']})).toEqual(['8:3 builders: -only/-except left no builder to run (builders: a (qemu), b (qemu), vb (virtualbox-iso))']);
    expect(() => loadProfile(f)).toThrow('defines 2 builds (a, b): pick one with -only=NAME');
  });

  it('only/except/override must name builders of the template', () => {
    const f = template({builders: [{...qemu, name: 'deb'}], provisioners: [{type: 'shell', inline: ['x'], only: ['dev']}, {type: 'shell', inline: ['y'], override: {qemu: {}}}]});
    expect(problems(f)).toEqual([
      '18:9 provisioners[0].only[0]: only: no builder is named "dev" (did you mean "deb"?) (builders: deb)',
      '27:9 provisioners[1].override.qemu: override: no builder is named "qemu" (builders: deb)',
    ]);
  });

  it('a provisioner type vmbench does not know is an error naming it', () => {
    const found = problems(template({builders: [qemu], provisioners: [{type: 'puppet-masterless', manifest_file: 'x.pp'}]}));
    expect(found.some((p) => /^12:15 provisioners\[0\]\.type: unsupported provisioner type string "puppet-masterless"/.test(p)), found.join('\n')).toBe(true);
  });

  it('a sequence inside a sequence is refused, as Packer does', () => {
    const found = problems(template({builders: [qemu], 'post-processors': [[['compress']]]}));
    expect(found, found.join('\n')).toContain('12:7 post-processors[0][0]: a sequence inside a sequence is not allowed (as in Packer)');
  });
});

describe('the Packer field table', () => {
  it('has no entry for a field vmbench now supports (the schema decides those)', async () => {
    const {PACKER_QEMU_FIELDS} = await import('../../src/profiles/packer-fields.js');
    const {PROFILE_FIELDS} = await import('../../src/profiles/schema.js');
    expect(Object.keys(PACKER_QEMU_FIELDS).filter((k) => Object.hasOwn(PROFILE_FIELDS, k))).toEqual([]);
  });
});
