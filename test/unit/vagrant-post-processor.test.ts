/**
 * Packer's vagrant post-processor for a QEMU build: its options as a profile, a JSON template
 * (override.libvirt) and an HCL2 template declare them, with errors at file:line:field; and the
 * libvirt box it writes from a finished build's real qcow2 (qemu-img), read back with the host's
 * tar, gzip and qemu-img: entries, metadata.json and Vagrantfile as packer-plugin-vagrant 1.1
 * writes them, the output name template, keep_input_artifact, include, vagrantfile_template.
 */
import {existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {execa} from 'execa';
import {describe, expect, it} from 'vitest';
import {boxMetadata, boxVagrantfile, goCompactJson, libvirtDriver, vagrantArchitecture} from '../../src/engine/post-processors/vagrant.js';
import {postProcess} from '../../src/engine/steps/post-process.js';
import {ProfileError, type ProfileIssue} from '../../src/profiles/document.js';
import {loadProfile} from '../../src/profiles/loader.js';
import {checkReferencedFiles} from '../../src/profiles/referenced-files.js';
import {finishedBuild} from '../support/post-process-build.js';
import {scratchDirs, writeTree} from '../support/scratch.js';

const fresh = scratchDirs('vmbench-vagrant-');
const tree = (dir: string): string[] => (readdirSync(dir, {recursive: true}) as string[]).sort();

/** A folder holding these files. */
const folder = (files: Record<string, string>): string => writeTree(fresh('tpl'), files);
const issues = (target: string): {errors: string[]; warnings: string[]} => {
  const show = (i: ProfileIssue): string => `${path.basename(i.file)}:${i.line} ${i.field}: ${i.message}`;
  try {
    const l = loadProfile(target, {env: {}});
    return {errors: [], warnings: (l.warnings ?? []).map(show)};
  } catch (err) {
    if (!(err instanceof ProfileError)) throw err;
    return {errors: err.issues.filter((i) => !i.warning).map(show), warnings: err.issues.filter((i) => i.warning).map(show)};
  }
};
const PROFILE = 'iso_url: x.iso\nssh_username: r\n';
const jsonTemplate = (pp: unknown[]): string =>
  JSON.stringify({variables: {out: 'boxes'}, builders: [{type: 'qemu', name: 'b', iso_url: 'x.iso', iso_checksum: 'none', ssh_username: 'r'}], 'post-processors': pp}, null, 2);

/** A finished tiny build whose image is a real qcow2 of `mib` MiB (plus vm_name-1 when `extra`). */
async function qcow2Build(name: string, yaml: string, opts: {extra?: boolean; accel?: 'kvm' | 'tcg'} = {}) {
  const b = finishedBuild(fresh(name), yaml);
  await execa('qemu-img', ['create', '-q', '-f', 'qcow2', b.image, '64M']);
  await execa('qemu-io', ['-c', 'write -P 0x5a 1M 2M', b.image]);
  if (opts.extra) await execa('qemu-img', ['create', '-q', '-f', 'qcow2', `${b.image}-1`, '32M']);
  b.state.accel = opts.accel ?? 'tcg';
  return b;
}

/** The box's entries as `tar -tv` lists them, and its files extracted. */
async function openBox(box: string, gz = true): Promise<{names: string[]; listing: string; dir: string}> {
  const listing = (await execa('tar', [gz ? '-tvzf' : '-tvf', box])).stdout;
  const dir = fresh('x');
  await execa('tar', [gz ? '-xzf' : '-xf', box, '-C', dir]);
  return {names: (await execa('tar', [gz ? '-tzf' : '-tf', box])).stdout.split('\n'), listing, dir};
}

describe('vagrant options', () => {
  it("a profile's defaults are Packer's", () => {
    const d = folder({'profile.yaml': `${PROFILE}post_processors:\n  - type: vagrant\n`});
    expect(loadProfile(d, {env: {}}).profile.post_processors).toEqual([
      [{type: 'vagrant', output: 'packer_{{.BuildName}}_{{.Provider}}_{{.Architecture}}.box', compression_level: -1, include: [], vagrantfile_template_generated: false, source: expect.stringMatching(/profile\.yaml:4:5$/)}],
    ]);
  });

  it('bad values are errors at their file, line and field', () => {
    const d = folder({
      'profile.yaml': `${PROFILE}post_processors:\n  - type: vagrant\n    compression_level: 10\n  - type: vagrant\n    provider_override: virtualbox\n  - type: vagrant\n    provider_override: vbox\n  - type: vagrant\n    output: "{{ .Nope }}.box"\n    includes: [a]\n`,
    });
    expect(issues(d).errors).toEqual([
      'profile.yaml:5 post_processors[0].compression_level: must be at most 9',
      'profile.yaml:7 post_processors[1].provider_override: "virtualbox" is a box for another provider: a QEMU image makes a libvirt box; leave it out or set "libvirt"',
      expect.stringMatching(/^profile\.yaml:9 post_processors\[2\]\.provider_override: "vbox" is not a Vagrant provider Packer knows \(aws, .*\); leave it out or set "libvirt"$/),
      expect.stringMatching(/^profile\.yaml:11 post_processors\[3\]\.output: .*Nope/),
      'profile.yaml:12 post_processors[3].includes: unknown field (did you mean "include"?)',
    ]);
  });

  it('an unknown architecture is a warning; provider_override libvirt is fine', () => {
    const d = folder({'profile.yaml': `${PROFILE}post_processors:\n  - type: vagrant\n    architecture: x86_64\n    provider_override: libvirt\n`});
    expect(issues(d)).toEqual({errors: [], warnings: [expect.stringMatching(/^profile\.yaml:4 post_processors\[0\]: architecture "x86_64" is not one Vagrant knows/)]});
  });

  it("JSON: override.libvirt's options replace the post-processor's, other providers' are ignored; vagrant-cloud after it is skipped", () => {
    const d = folder({
      't.json': jsonTemplate([
        [
          {type: 'vagrant', output: 'all.box', compression_level: 1, override: {libvirt: {output: '{{ user `out` }}/{{.Provider}}.box', compression_level: 0}, virtualbox: {output: 'vb.box', nonsense: 1}}},
          {type: 'vagrant-cloud', box_tag: 'me/box', version: '1.0'},
        ],
      ]),
    });
    const l = loadProfile(path.join(d, 't.json'), {env: {}});
    expect(l.profile.post_processors).toEqual([[expect.objectContaining({type: 'vagrant', output: 'boxes/{{ .Provider }}.box', compression_level: 0})]]);
    expect((l.warnings ?? []).map((w) => `${w.line} ${w.field}: ${w.message}`)).toContainEqual(
      '31 post_processors[0][1]: post-processor "vagrant-cloud" is skipped: it uploads the Vagrant box to a registry, which vmbench does not do (the box itself is written). The build\'s disk image is made as usual',
    );
  });

  it("JSON: a bad option in override.libvirt is an error at its own line", () => {
    const d = folder({'t.json': jsonTemplate([{type: 'vagrant', override: {libvirt: {compression_level: 'x', provider_override: 'vmware'}}}])});
    expect(issues(path.join(d, 't.json')).errors).toEqual([
      't.json:19 post_processors[0].override.libvirt.compression_level: expected a whole number, got string "x"',
      't.json:20 post_processors[0].override.libvirt.provider_override: "vmware" is a box for another provider: a QEMU image makes a libvirt box; leave it out or set "libvirt"',
    ]);
  });

  it('a missing include or vagrantfile_template is found before the build, at its line (not a generated one)', () => {
    const d = folder({
      'there.txt': 'x',
      't.json': jsonTemplate([
        {type: 'checksum'},
        [{type: 'manifest'}, {type: 'vagrant', include: ['there.txt', 'gone.txt'], vagrantfile_template: 'vf.tpl'}],
        {type: 'vagrant', vagrantfile_template: 'later.tpl', vagrantfile_template_generated: true},
      ]),
    });
    const l = loadProfile(path.join(d, 't.json'), {env: {}});
    // A JSON template's paths are relative to where vmbench runs (l.dir, as Packer's): here, d.
    expect(checkReferencedFiles(l.profile, l.document!, d).map((i) => `${i.line} ${i.field}: ${i.message.replace(d, '<d>')}`)).toEqual([
      '26 post_processors[1][1].include[1]: gone.txt: no such file (looked for <d>/gone.txt)',
      '28 post_processors[1][1].vagrantfile_template: vf.tpl: no such file (looked for <d>/vf.tpl)',
    ]);
  });

  it('HCL2: a post-processor "vagrant" block, and the vagrant-registry after it skipped', () => {
    const d = folder({
      't.pkr.hcl':
        'source "qemu" "a" {\n  iso_url = "x.iso"\n  iso_checksum = "none"\n  ssh_username = "r"\n}\nbuild {\n  sources = ["source.qemu.a"]\n  post-processors {\n    post-processor "vagrant" {\n      output = "out/${source.name}.box"\n      compression_level = 9\n      keep_input_artifact = true\n    }\n    post-processor "vagrant-registry" {}\n  }\n}\n',
    });
    const l = loadProfile(d, {env: {}});
    expect(l.profile.post_processors).toEqual([[expect.objectContaining({type: 'vagrant', output: 'out/a.box', compression_level: 9, keep_input_artifact: true})]]);
    expect((l.warnings ?? []).map((w) => `${w.line} ${w.field}`)).toContainEqual('14 post_processors[0][1]');
  });
});

describe('box contents', () => {
  it("metadata.json and the Vagrantfile as Packer's plugin writes them", () => {
    expect(boxMetadata([{path: 'box_0.img', format: 'qcow2'}], 'amd64')).toBe('{"architecture":"amd64","disks":[{"format":"qcow2","path":"box_0.img"}],"provider":"libvirt"}\n');
    expect(goCompactJson({b: '<&>', a: [1]})).toBe('{"a":[1],"b":"\\u003c\\u0026\\u003e"}\n');
    expect(boxVagrantfile('kvm')).toBe(
      '\n# The contents below were provided by the Packer Vagrant post-processor\n\nVagrant.configure("2") do |config|\n  config.vm.provider :libvirt do |libvirt|\n    libvirt.driver = "kvm"\n  end\nend\n\n\n# The contents below (if any) are custom contents provided by the\n# Packer template during image build.\n\n',
    );
    expect([libvirtDriver('kvm'), libvirtDriver('tcg'), libvirtDriver(undefined)]).toEqual(['kvm', 'qemu', 'qemu']);
    expect(['/usr/bin/qemu-system-x86_64', 'qemu-system-aarch64', 'qemu-system-i386', 'qemu-system-s390x'].map(vagrantArchitecture)).toEqual(['amd64', 'arm64', 'i386', 's390x']);
  });

  it("by default: packer_<build>_libvirt_<arch>.box, gzip'd, the disks as box_N.img; the build's output is removed", async () => {
    const b = await qcow2Build('default', `post_processors:\n  - type: vagrant\n`, {extra: true});
    const image = readFileSync(b.image);
    await postProcess.run(b.ctx);
    const box = path.join(b.cwd, 'packer_tiny_libvirt_amd64.box');
    expect((await execa('gzip', ['-t', box], {reject: false})).exitCode).toBe(0);
    const {names, listing, dir} = await openBox(box);
    // Go's filepath.Walk order; every entry 0644, as Packer copies them.
    expect(names).toEqual(['Vagrantfile', 'box_0.img', 'box_1.img', 'metadata.json']);
    for (const l of listing.split('\n')) expect(l).toMatch(/^-rw-r--r-- /);
    expect(readFileSync(path.join(dir, 'box_0.img')).equals(image)).toBe(true);
    expect(readFileSync(path.join(dir, 'metadata.json'), 'utf8')).toBe(
      '{"architecture":"amd64","disks":[{"format":"qcow2","path":"box_0.img"},{"format":"qcow2","path":"box_1.img"}],"provider":"libvirt"}\n',
    );
    expect(readFileSync(path.join(dir, 'Vagrantfile'), 'utf8')).toBe(boxVagrantfile('qemu'));
    const info = JSON.parse((await execa('qemu-img', ['info', '--output=json', path.join(dir, 'box_1.img')])).stdout) as {format: string; 'virtual-size': number};
    expect(info).toMatchObject({format: 'qcow2', 'virtual-size': 32 << 20});
    expect((await execa('qemu-img', ['check', path.join(dir, 'box_0.img')], {reject: false})).exitCode).toBe(0);
    // Packer's libvirt box does not keep its input: the output folder is gone, the box is the artifact.
    expect(existsSync(path.join(b.cwd, 'output-tiny'))).toBe(false);
    expect(b.state.artifacts.map((a) => [path.relative(b.cwd, a.path), a.format])).toEqual([['packer_tiny_libvirt_amd64.box', 'box']]);
    expect(b.events.filter((e) => e.type === 'artifact').map((e) => path.basename((e as {path: string}).path))).toEqual(['packer_tiny_libvirt_amd64.box']);
    expect(b.logs).toContainEqual(expect.stringMatching(/removing .*output-tiny: no post-processor keeps/));
    expect(tree(b.cwd).filter((f) => f.includes('partial'))).toEqual([]);
  });

  it('the output template, architecture, compression_level 0 (a plain tar), KVM, keep_input_artifact', async () => {
    const b = await qcow2Build(
      'named',
      `post_processors:\n  - type: vagrant\n    output: "boxes/{{ .BuildName }}-{{.Provider}}-{{.Architecture}}-{{.ArtifactId}}.box"\n    architecture: arm64\n    compression_level: 0\n    keep_input_artifact: true\n`,
      {accel: 'kvm'},
    );
    await postProcess.run(b.ctx);
    const box = path.join(b.cwd, 'boxes', 'tiny-libvirt-arm64-VM.box');
    expect((await execa('gzip', ['-t', box], {reject: false})).exitCode).not.toBe(0);
    const {names, dir} = await openBox(box, false);
    expect(names).toEqual(['Vagrantfile', 'box_0.img', 'metadata.json']);
    expect(JSON.parse(readFileSync(path.join(dir, 'metadata.json'), 'utf8'))).toEqual({architecture: 'arm64', disks: [{format: 'qcow2', path: 'box_0.img'}], provider: 'libvirt'});
    expect(readFileSync(path.join(dir, 'Vagrantfile'), 'utf8')).toContain('libvirt.driver = "kvm"');
    expect(existsSync(b.image)).toBe(true);
    expect(b.state.artifacts.map((a) => a.format)).toEqual(['qcow2', 'box']);
  });

  it('include files by base name, and the vagrantfile_template rendered into the Vagrantfile', async () => {
    const b = await qcow2Build(
      'custom',
      `variables:\n  mem: "2048"\npost_processors:\n  - type: vagrant\n    output: t.box\n    include: [extra/info.json, README]\n    vagrantfile_template: vf.tpl\n`,
    );
    mkdirSync(path.join(b.cwd, 'extra'));
    writeFileSync(path.join(b.cwd, 'extra', 'info.json'), '{"author":"me"}\n');
    writeFileSync(path.join(b.cwd, 'README'), 'read me\n');
    writeFileSync(path.join(b.cwd, 'vf.tpl'), 'Vagrant.configure("2") do |c|\n  # {{ .BuildName }} for {{.Provider}}\n  c.vm.provider :libvirt do |l| l.memory = {{ user `mem` }} end\nend\n');
    await postProcess.run(b.ctx);
    const {names, dir} = await openBox(path.join(b.cwd, 't.box'));
    expect(names).toEqual(['README', 'Vagrantfile', 'box_0.img', 'info.json', 'metadata.json']);
    expect(readFileSync(path.join(dir, 'info.json'), 'utf8')).toBe('{"author":"me"}\n');
    expect(readFileSync(path.join(dir, 'Vagrantfile'), 'utf8')).toBe(
      boxVagrantfile('qemu', 'Vagrant.configure("2") do |c|\n  # tiny for libvirt\n  c.vm.provider :libvirt do |l| l.memory = 2048 end\nend\n'),
    );
  });

  it('a missing include fails the step with nothing written and the image kept', async () => {
    const b = await qcow2Build('missing', `post_processors:\n  - type: vagrant\n    output: t.box\n    include: [nope.txt]\n`);
    await expect(postProcess.run(b.ctx)).rejects.toThrow(/include .*nope\.txt: no such file/);
    expect(tree(b.cwd)).toEqual(['output-tiny', 'output-tiny/tiny.qcow2']);
  });

  it('a box written inside the output folder keeps the folder (Packer would remove the box with it)', async () => {
    const b = await qcow2Build('inside', `post_processors:\n  - type: vagrant\n    output: output-tiny/tiny.box\n`);
    await postProcess.run(b.ctx);
    expect(tree(path.join(b.cwd, 'output-tiny'))).toEqual(['tiny.box', 'tiny.qcow2']);
    expect(b.logs).toContainEqual(expect.stringMatching(/keeping .*output-tiny: the box is inside it/));
  });

  it("after a checksum in its sequence it refuses, as Packer does (it needs the build's own artifact)", async () => {
    const b = await qcow2Build('after', `post_processors:\n  - - type: checksum\n    - type: vagrant\n`);
    await expect(postProcess.run(b.ctx)).rejects.toThrow("Unknown artifact type, can't build box: packer.post-processor.checksum");
  });

  it('stops at once when the build is cancelled, removing its temporary file', async () => {
    const b = await qcow2Build('abort', `post_processors:\n  - type: vagrant\n    output: t.box\n`);
    const orig = b.ctx.progress;
    (b.ctx as {progress: typeof orig}).progress = (label, current, total) => {
      orig(label, current, total);
      if (!b.abort.signal.aborted) b.abort.abort(new Error('cancelled by test'));
    };
    await expect(postProcess.run(b.ctx)).rejects.toThrow('cancelled by test');
    expect(tree(b.cwd)).toEqual(['output-tiny', 'output-tiny/tiny.qcow2']);
  });
});
