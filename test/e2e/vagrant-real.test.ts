/**
 * Packer's vagrant post-processor on a real build: the tiny profile as a Packer JSON template
 * (profiles/tiny/packer/tiny.json) with a vagrant post-processor (override.libvirt, include,
 * vagrantfile_template) followed by vagrant-cloud, which is skipped, a second vagrant writing
 * its box inside the output folder, and a checksum. The boxes are read back with the host's tar,
 * gzip and qemu-img; SHA256SUMS and manifest.json name them. When Debian's vagrant is installed
 * (scripts/setup.sh with VMBENCH_WITH_VAGRANT=1), `vagrant box add` takes the box.
 */
import {createHash} from 'node:crypto';
import {execFileSync} from 'node:child_process';
import {existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {execa} from 'execa';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {assertBuilt, BIN, CACHE, events, ROOT, tmpDir} from './helpers.js';

const PACKER_DIR = path.join(ROOT, 'profiles/tiny/packer');
const work = tmpDir('vmbench-e2e-vagrant-');
afterAll(() => rmSync(work, {recursive: true, force: true}));
let iso = '';
beforeAll(() => {
  assertBuilt();
  iso = execFileSync('bash', [path.join(ROOT, 'profiles/tiny/build-iso.sh'), path.join(CACHE, 'iso-build')], {stdio: ['ignore', 'pipe', 'pipe']}).toString().trim().split('\n').pop()!;
});

const sha256 = (f: string): string => createHash('sha256').update(readFileSync(f)).digest('hex');
const hasVagrant = (() => {
  try {
    execFileSync('vagrant', ['--version'], {stdio: 'ignore', timeout: 60_000});
    return true;
  } catch {
    return false;
  }
})();

/** The box built by the first test, for `vagrant box add`. */
let builtBox = '';

describe('vagrant post-processor (real QEMU)', () => {
  it('writes libvirt boxes that tar, gzip and qemu-img accept, recorded with the build', {timeout: 240_000}, async () => {
    const cwd = path.join(work, 'run');
    mkdirSync(cwd);
    const tpl = JSON.parse(readFileSync(path.join(PACKER_DIR, 'tiny.json'), 'utf8').replaceAll('{{ template_dir }}', PACKER_DIR)) as Record<string, unknown>;
    tpl['post-processors'] = [
      [
        {
          type: 'vagrant',
          output: 'boxes/{{.BuildName}}_{{.Provider}}_{{.Architecture}}.box',
          keep_input_artifact: true,
          compression_level: 9,
          include: ['info.txt'],
          vagrantfile_template: 'box.vagrantfile',
          override: {libvirt: {compression_level: 1}, virtualbox: {output: 'vbox.box'}},
        },
        {type: 'vagrant-cloud', box_tag: 'someone/tiny', version: '1.0.0'},
      ],
      {type: 'vagrant', output: '{{ user `output_directory` }}/inside.box', compression_level: 0},
      {type: 'checksum', checksum_types: ['sha256']},
    ];
    writeFileSync(path.join(cwd, 'tiny.json'), JSON.stringify(tpl, null, 2));
    writeFileSync(path.join(cwd, 'info.txt'), 'built by vmbench\n');
    writeFileSync(path.join(cwd, 'box.vagrantfile'), 'Vagrant.configure("2") do |config|\n  config.vm.provider :libvirt do |l|\n    l.memory = 256 # {{ .BuildName }} {{ user `marker` }}\n  end\nend\n');

    // validate names the skipped vagrant-cloud (a warning) and finds the files vagrant reads.
    const v = await execa('node', [BIN, 'validate', 'tiny.json', '-var', `iso_url=${iso}`], {cwd, reject: false, env: {CI: 'true'}, stdin: 'ignore'});
    expect(v.exitCode, v.stderr).toBe(0);
    expect(`${v.stdout}\n${v.stderr}`).toMatch(/post-processor "vagrant-cloud" is skipped: it uploads the Vagrant box to a registry/);

    const r = await execa('node', [BIN, 'build', 'tiny.json', '--json', '-var', `iso_url=${iso}`, '--cache-dir', CACHE], {cwd, reject: false, env: {CI: 'true', XDG_STATE_HOME: path.join(work, 'state')}, stdin: 'ignore'});
    const evs = events(r.stdout);
    const logs = evs.filter((e) => e.type === 'log').map((e) => `${e.source as string}: ${e.line as string}`);
    expect(r.exitCode, `${logs.slice(-30).join('\n')}\n${r.stderr.slice(-2000)}`).toBe(0);

    const out = path.join(cwd, 'output-tiny');
    const image = path.join(out, 'tiny.qcow2');
    const box = path.join(cwd, 'boxes', 'tiny_libvirt_amd64.box');
    builtBox = box;
    // override.libvirt's level 1 replaced the 9: still gzip, which gzip -t reads whole.
    expect((await execa('gzip', ['-t', box], {reject: false})).exitCode).toBe(0);
    expect((await execa('tar', ['-tzf', box])).stdout.split('\n')).toEqual(['Vagrantfile', 'box_0.img', 'info.txt', 'metadata.json']);
    const x = path.join(work, 'x');
    mkdirSync(x);
    await execa('tar', ['-xzf', box, '-C', x]);
    expect(JSON.parse(readFileSync(path.join(x, 'metadata.json'), 'utf8'))).toEqual({architecture: 'amd64', disks: [{format: 'qcow2', path: 'box_0.img'}], provider: 'libvirt'});
    const vf = readFileSync(path.join(x, 'Vagrantfile'), 'utf8');
    // The template's accelerator is tcg: libvirt's qemu driver; then the rendered template.
    expect(vf).toContain('libvirt.driver = "qemu"');
    expect(vf).toContain('l.memory = 256 # tiny tiny-build\n');
    expect(readFileSync(path.join(x, 'info.txt'), 'utf8')).toBe('built by vmbench\n');
    expect(sha256(path.join(x, 'box_0.img'))).toBe(sha256(image));
    expect((await execa('qemu-img', ['check', path.join(x, 'box_0.img')], {reject: false})).exitCode).toBe(0);
    const info = JSON.parse((await execa('qemu-img', ['info', '--output=json', path.join(x, 'box_0.img')])).stdout) as {format: string; 'virtual-size': number};
    expect(info).toMatchObject({format: 'qcow2', 'virtual-size': 64 << 20});
    expect(existsSync(path.join(cwd, 'vbox.box'))).toBe(false);

    // The second box, a plain tar inside the output folder: the folder is kept, SHA256SUMS covers it.
    const inside = path.join(out, 'inside.box');
    expect((await execa('tar', ['-tf', inside])).stdout.split('\n')).toEqual(['Vagrantfile', 'box_0.img', 'metadata.json']);
    expect(readdirSync(out).sort()).toEqual(['.vmbench-output', 'SHA256SUMS', 'inside.box', 'manifest.json', 'tiny.qcow2']);
    const check = await execa('sha256sum', ['-c', 'SHA256SUMS'], {cwd: out, reject: false});
    expect(check.stdout.split('\n').sort()).toEqual(['inside.box: OK', 'manifest.json: OK', 'tiny.qcow2: OK']);
    // manifest.json records both boxes (the one outside the folder with its checksum).
    const manifest = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8')) as {builds: {vmbench: {artifacts: {file: string; format: string; checksums: Record<string, string>}[]}}[]};
    const recorded = manifest.builds[0]!.vmbench.artifacts;
    expect(recorded.find((a) => a.file === box)).toMatchObject({format: 'box', checksums: {sha256: sha256(box)}});
    expect(recorded.find((a) => a.file === 'inside.box')).toMatchObject({format: 'box', checksums: {sha256: sha256(inside)}});
    // The checksum sequence ran on the build's image; every box is an artifact event; nothing half-written is left.
    expect(readFileSync(path.join(cwd, 'packer_tiny_qemu_sha256.checksum'), 'utf8')).toBe(`${sha256(image)}\ttiny.qcow2\n`);
    const artifacts = evs.filter((e) => e.type === 'artifact').map((e) => path.relative(cwd, e.path as string));
    expect(artifacts).toEqual(expect.arrayContaining(['boxes/tiny_libvirt_amd64.box', 'output-tiny/inside.box', 'packer_tiny_qemu_sha256.checksum']));
    expect((readdirSync(cwd, {recursive: true}) as string[]).filter((f) => /partial/.test(f))).toEqual([]);
  });

  it.skipIf(!hasVagrant)('vagrant box add takes the box, and vagrant box list shows it for libvirt', {timeout: 120_000}, async () => {
    expect(builtBox, 'the build above made no box').not.toBe('');
    const home = path.join(work, 'vagrant-home');
    const env = {VAGRANT_HOME: home, VAGRANT_CHECKPOINT_DISABLE: '1', VAGRANT_NO_COLOR: '1'};
    const add = await execa('vagrant', ['box', 'add', '--name', 'vmbench-tiny', builtBox], {env, reject: false});
    expect(add.exitCode, `${add.stdout}\n${add.stderr}`).toBe(0);
    const list = await execa('vagrant', ['box', 'list'], {env});
    expect(list.stdout).toMatch(/^vmbench-tiny +\(libvirt, 0(, \(amd64\))?/m);
    // Vagrant unpacked it whole: the disk as written, by the name metadata.json gave.
    const unpacked = (readdirSync(path.join(home, 'boxes'), {recursive: true}) as string[]).filter((f) => f.endsWith('box_0.img'));
    expect(unpacked).toHaveLength(1);
  });
});
