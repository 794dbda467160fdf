/**
 * `vmbench inspect` and `vmbench import` on Packer JSON templates: sensitive values never
 * printed or written, and an imported profile that loads (import → validate round trip).
 */
import {cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {afterAll, afterEach, beforeEach, describe, expect, it, vi} from 'vitest';
import {importCommand} from '../../src/cli/import-command.js';
import {inspectCommand} from '../../src/cli/inspect-command.js';
import {loadProfile} from '../../src/profiles/loader.js';

const SEED_DIR = path.resolve('test/fixtures/packer/seed-003');
const work = mkdtempSync(path.join(os.tmpdir(), 'vmbench-import-'));
afterAll(() => rmSync(work, {recursive: true, force: true}));

const SECRET = 'hunter2-default';
const GIVEN = 'given-on-the-command-line';
const TEMPLATE = {
  'description': 'two builds',
  'variables': {secret: SECRET, pw: null, iso: 'isos/x.iso', http: 'http'},
  'sensitive-variables': ['secret', 'pw'],
  'builders': [
    {type: 'qemu', name: 'a', iso_url: '{{ user `iso` }}', iso_checksum: 'none', ssh_username: 'root', ssh_password: '{{ user `pw` }}', http_directory: '{{ user `http` }}', display: 'gtk'},
    {type: 'qemu', name: 'b', iso_url: 'isos/x.iso', iso_checksum: 'none', ssh_username: 'root'},
    {type: 'virtualbox-iso', name: 'vb'},
  ],
  'provisioners': [
    {type: 'shell', inline: [`echo ${SECRET}`]},
    {type: 'shell', script: 'scripts/setup.sh', only: ['a']},
  ],
  'post-processors': ['compress', [{type: 'checksum'}, {type: 'manifest', output: 'm.json'}]],
};

/** A template folder as a user has it: the JSON, a script, an http folder; the cwd is that folder (Packer's base for relative paths). */
function templateDir(): string {
  const dir = mkdtempSync(path.join(work, 'tpl-'));
  mkdirSync(path.join(dir, 'scripts'));
  mkdirSync(path.join(dir, 'http'));
  writeFileSync(path.join(dir, 'scripts/setup.sh'), 'echo setting up\n');
  writeFileSync(path.join(dir, 'http/ks.cfg'), 'url {{ this is not a template for vmbench }}\n');
  writeFileSync(path.join(dir, 'template.json'), JSON.stringify(TEMPLATE, null, 2));
  return dir;
}

let out = '';
let err = '';
const cwd = process.cwd();
beforeEach(() => {
  out = err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
});
afterEach(() => {
  vi.restoreAllMocks();
  process.chdir(cwd);
});

describe('vmbench inspect', () => {
  it('lists variables, builds, provisioners and post-processors; sensitive values never printed', async () => {
    process.chdir(templateDir());
    expect(await inspectCommand(['template.json'], {var: [`pw=${GIVEN}`]})).toBe(0);
    expect(out).toContain('secret = <sensitive>');
    expect(out).toMatch(/a\n {4}provisioners: {4}shell \(inline: echo <sensitive>\), shell \(scripts\/setup\.sh\)\n {4}post-processors: compress; checksum → manifest \(m\.json\)/);
    expect(out).toMatch(/b\n {4}provisioners: {4}shell \(inline: echo <sensitive>\)\n/);
    expect(out).toContain('skipped: "vb" is a virtualbox-iso builder');
    expect(out + err).not.toContain(SECRET);
    expect(out + err).not.toContain(GIVEN);

    out = '';
    expect(await inspectCommand(['template.json'], {json: true})).toBe(0);
    const m = JSON.parse(out) as {variables: Array<{name: string; required: boolean; default?: string}>; builds: Array<{name: string}>; errors: string[]};
    expect(m.variables.find((v) => v.name === 'pw')).toEqual({name: 'pw', required: true, sensitive: true});
    expect(m.builds.map((b) => b.name)).toEqual(['a', 'b']);
    expect(m.errors[0]).toMatch(/variables\.pw: required variable/);
    expect(out).not.toContain(SECRET);
  });

  it('reads what does not validate yet, and says why a file cannot be read', async () => {
    expect(await inspectCommand([path.join(SEED_DIR, 'debian9-kvm.json')], {})).toBe(0);
    expect(out).toContain('iso_url = http://cdimage.debian.org/');
    const bad = path.join(work, 'bad.json');
    writeFileSync(bad, '{"builders": [}');
    expect(await inspectCommand([bad], {})).toBe(2);
    expect(err).toMatch(/bad\.json:1:15: JSON syntax/);
  });
});

describe('vmbench import', () => {
  it('seed 003 → a profile that validates, its http folder copied byte for byte', async () => {
    const dest = path.join(work, 'seed-profile');
    process.chdir(SEED_DIR);
    expect(await importCommand(['debian9-kvm.json', dest], {}), err).toBe(0);
    const yaml = readFileSync(path.join(dest, 'profile.yaml'), 'utf8');
    expect(yaml).toContain('iso_checksum_type');
    expect(yaml).toMatch(/# Packer 1\.5's checksum style: read as iso_checksum "none".*\niso_checksum: none\n/);
    expect(readFileSync(path.join(dest, 'http/preseed.cfg'))).toEqual(readFileSync(path.join(SEED_DIR, 'http/preseed.cfg')));
    process.chdir(cwd);
    const back = loadProfile(dest, {vars: {iso_url: '/tmp/tiny.iso'}});
    expect(back.format).toBe('vmbench');
    expect(back.profile).toMatchObject({name: 'qemu', iso_urls: ['/tmp/tiny.iso'], iso_checksum: 'none', vm_name: 'debian9-template', http_directory: 'http', ssh_timeout: 10_000_000});
    expect(back.profile.boot_command).toEqual(loadProfile(path.join(SEED_DIR, 'debian9-kvm.json'), {vars: {iso_url: '/tmp/tiny.iso'}}).profile.boot_command);
  });

  it('copies scripts and http, references other files from the new folder, never writes a -var value', async () => {
    const src = templateDir();
    mkdirSync(path.join(src, 'isos'));
    writeFileSync(path.join(src, 'isos/x.iso'), 'iso');
    const dest = path.join(work, 'imported-a');
    process.chdir(src);
    expect(await importCommand(['template.json', dest], {only: ['a'], var: [`pw=${GIVEN}`]}), err).toBe(0);
    const yaml = readFileSync(path.join(dest, 'profile.yaml'), 'utf8');
    expect(yaml).not.toContain(GIVEN);
    expect(yaml).toContain('# pw: required in the template: give it with --var pw=VALUE');
    expect(yaml).toContain('sensitive in the template (never print them): secret, pw');
    expect(yaml).toContain('script: scripts/setup.sh');
    expect(yaml).toMatch(/display: accepted but not used/);
    expect(readFileSync(path.join(dest, 'scripts/setup.sh'), 'utf8')).toBe('echo setting up\n');
    expect(existsSync(path.join(dest, 'http/ks.cfg'))).toBe(true);
    // The ISO stays where it is, referenced from the profile's folder through its variable.
    expect(yaml).toContain(`iso: ${path.relative(dest, path.join(src, 'isos/x.iso'))}`);
    process.chdir(cwd);
    const back = loadProfile(dest, {vars: {pw: 'x'}});
    expect(back.profile.provisioners.map((p) => p.type)).toEqual(['shell', 'shell']);
    expect(path.resolve(dest, back.profile.iso_urls[0]!)).toBe(path.join(src, 'isos/x.iso'));
    expect(back.profile.post_processors.map((seq) => seq.map((p) => p.type))).toEqual([['compress'], ['checksum', 'manifest']]);
  });

  it('paths written with {{ template_dir }} are copied as they rendered (template_dir would name the new folder)', async () => {
    const tpl = path.resolve('profiles/tiny/packer/tiny.json');
    const dest = path.join(work, 'tiny-imported');
    expect(await importCommand([tpl, dest], {var: ['iso_url=/isos/tiny.iso']}), err).toBe(0);
    const yaml = readFileSync(path.join(dest, 'profile.yaml'), 'utf8');
    expect(yaml).toContain('http_directory: http\n');
    expect(yaml).toContain('script: scripts/provision.sh\n');
    expect(readFileSync(path.join(dest, 'http/tiny.cfg'), 'utf8')).toBe(readFileSync(path.resolve('profiles/tiny/packer/http/tiny.cfg'), 'utf8'));
    expect(readFileSync(path.join(dest, 'scripts/provision.sh'), 'utf8')).toBe(readFileSync(path.resolve('profiles/tiny/scripts/provision.sh'), 'utf8'));
    const back = loadProfile(dest, {vars: {iso_url: '/isos/tiny.iso'}});
    expect(back.profile).toMatchObject({name: 'tiny', vm_name: 'tiny.qcow2', accelerator: 'tcg', iso_urls: ['/isos/tiny.iso']});
  });

  it('references the template\'s own folder (http_directory "."), never copies it into itself; a device path stays as written', async () => {
    const src = mkdtempSync(path.join(work, 'dot-'));
    writeFileSync(path.join(src, 'preseed.cfg'), 'd-i x string y\n');
    const tpl = {
      builders: [{type: 'qemu', iso_url: '/isos/x.iso', iso_checksum: 'none', ssh_username: 'root', http_directory: '.'}],
      provisioners: [{type: 'shell', script: '/dev/null'}],
    };
    writeFileSync(path.join(src, 'template.json'), JSON.stringify(tpl));
    // The new profile inside the template's folder, as `vmbench import template.json profile` writes it.
    const dest = path.join(src, 'profile');
    process.chdir(src);
    expect(await importCommand(['template.json', dest], {}), err).toBe(0);
    const yaml = readFileSync(path.join(dest, 'profile.yaml'), 'utf8');
    expect(yaml).toContain('http_directory: ..\n');
    expect(yaml).toContain('script: /dev/null\n');
    expect(readdirSync(dest).sort()).toEqual(['profile.yaml']);
    process.chdir(cwd);
    const back = loadProfile(dest, {});
    expect(path.resolve(dest, back.profile.http_directory!)).toBe(src);
  });

  it('asks which build when there are several, and keeps a folder that is not empty', async () => {
    const src = templateDir();
    process.chdir(src);
    expect(await importCommand(['template.json', path.join(work, 'x')], {var: ['pw=1']})).toBe(2);
    expect(err).toContain('pick one with -only=NAME');
    const full = path.join(work, 'full');
    cpSync(path.join(src, 'scripts'), full, {recursive: true});
    expect(await importCommand(['template.json', full], {only: ['b'], var: ['pw=1']})).toBe(2);
    expect(err).toContain('is not an empty folder (--force writes into it)');
  });
});
