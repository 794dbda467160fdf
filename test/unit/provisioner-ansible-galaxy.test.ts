/**
 * The ansible provisioner's galaxy_file: the argv built as Packer's executeGalaxy builds it, the
 * schema and validate errors, and runs of the real ansible-galaxy (ansible-core on this machine)
 * installing a local role tarball and a local collection — no network — before a fake
 * ansible-playbook that records its environment and what it finds on ANSIBLE_ROLES_PATH /
 * ANSIBLE_COLLECTIONS_PATH. The real playbook using a galaxy role is in test/e2e/provisioners-real.test.ts.
 */
import {chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {execa} from 'execa';
import {beforeAll, describe, expect, it} from 'vitest';
import {ansiblePathVars, galaxyCommands, runAnsible} from '../../src/engine/steps/provisioners/ansible.js';
import type {BuildState} from '../../src/engine/state.js';
import {StepError, type StepContext} from '../../src/engine/step.js';
import {ProfileError} from '../../src/profiles/document.js';
import {loadProfile, parseProfile} from '../../src/profiles/loader.js';
import {checkReferencedFiles} from '../../src/profiles/referenced-files.js';
import type {AnsibleProvisioner} from '../../src/profiles/schema.js';
import {generateKeyPair, type SshSession} from '../../src/ssh/index.js';
import {scratchDirs, writeTree} from '../support/scratch.js';

const fresh = scratchDirs('vmbench-galaxy-test-');
const KEY = generateKeyPair('galaxy-test');

describe('galaxyCommands: the argv of Packer’s executeGalaxy', () => {
  const base = {command: 'ansible-galaxy', file: '/t/req.yml'};
  it('roles for a v2 file with roles:, or an old-style list; collections for collections:; both for both', () => {
    expect(galaxyCommands({...base, requirements: 'roles:\n  - name: a.b\n'})).toEqual([{what: 'roles', argv: ['ansible-galaxy', 'install', '-r', '/t/req.yml']}]);
    expect(galaxyCommands({...base, requirements: '- src: geerlingguy.java\n'})).toEqual([{what: 'roles', argv: ['ansible-galaxy', 'install', '-r', '/t/req.yml']}]);
    expect(galaxyCommands({...base, requirements: '---\ncollections:\n  - community.general\n'})).toEqual([{what: 'collections', argv: ['ansible-galaxy', 'collection', 'install', '-r', '/t/req.yml']}]);
    expect(galaxyCommands({...base, requirements: 'collections:\n  - x.y\nroles:\n  - a.b\n'}).map((r) => r.what)).toEqual(['roles', 'collections']);
    // Only top-level keys count (Packer's (?m)^roles: / ^collections:).
    expect(galaxyCommands({...base, requirements: '- src: x\n  roles: nested\n  collections: nested\n'}).map((r) => r.what)).toEqual(['roles']);
  });

  it('force flags on both, each -p its own path', () => {
    expect(
      galaxyCommands({...base, command: '/opt/bin/ansible-galaxy', requirements: 'roles: []\ncollections: []\n', force: true, forceWithDeps: true, rolesPath: 'roles', collectionsPath: '/abs/coll'}).map((r) => r.argv),
    ).toEqual([
      ['/opt/bin/ansible-galaxy', 'install', '-r', '/t/req.yml', '-f', '--force-with-deps', '-p', 'roles'],
      ['/opt/bin/ansible-galaxy', 'collection', 'install', '-r', '/t/req.yml', '-f', '--force-with-deps', '-p', '/abs/coll'],
    ]);
    expect(galaxyCommands({...base, requirements: 'roles: []\n', forceWithDeps: true}).map((r) => r.argv)).toEqual([['ansible-galaxy', 'install', '-r', '/t/req.yml', '--force-with-deps']]);
  });
});

describe('ansiblePathVars', () => {
  it('roles_path / collections_path as written; else the private folder first, then what ansible would have used', () => {
    expect(ansiblePathVars({rolesPath: 'roles', collectionsPath: 'coll', privateRoles: '/p/r', env: {}})).toEqual({ANSIBLE_ROLES_PATH: 'roles', ANSIBLE_COLLECTIONS_PATH: 'coll'});
    expect(ansiblePathVars({privateRoles: '/p/r', privateCollections: '/p/c', env: {}})).toEqual({
      ANSIBLE_ROLES_PATH: '/p/r:~/.ansible/roles:/usr/share/ansible/roles:/etc/ansible/roles',
      ANSIBLE_COLLECTIONS_PATH: '/p/c:~/.ansible/collections:/usr/share/ansible/collections',
    });
    expect(ansiblePathVars({privateRoles: '/p/r', privateCollections: '/p/c', env: {ANSIBLE_ROLES_PATH: '/mine', ANSIBLE_COLLECTIONS_PATHS: '/old', ANSIBLE_HOME: '/h'}})).toEqual({
      ANSIBLE_ROLES_PATH: '/p/r:/mine',
      ANSIBLE_COLLECTIONS_PATH: '/p/c:/old',
    });
    expect(ansiblePathVars({env: {ANSIBLE_ROLES_PATH: '/mine'}})).toEqual({});
  });
});

describe('galaxy_file in profiles', () => {
  const issues = (provisioner: string): string[] => {
    try {
      parseProfile(`iso_url: /x.iso\nssh_username: root\nprovisioners:\n  - type: ansible\n    playbook_file: site.yml\n${provisioner}`, 'p.yaml', 'demo');
    } catch (err) {
      if (err instanceof ProfileError) return err.issues.map((i) => `${i.file}:${i.line}:${i.col} ${i.field}: ${i.message}`);
      throw err;
    }
    return [];
  };

  it('takes the galaxy fields as typed fields', () => {
    const p = parseProfile(
      'iso_url: /x.iso\nssh_username: root\nprovisioners:\n  - type: ansible\n    playbook_file: site.yml\n    galaxy_file: req.yml\n    galaxy_force_install: true\n    galaxy_command: bin/galaxy\n    roles_path: roles\n',
      'p.yaml',
      'demo',
    ).provisioners[0];
    expect(p).toMatchObject({galaxy_file: 'req.yml', galaxy_force_install: true, galaxy_command: 'bin/galaxy', roles_path: 'roles', ansible_env_vars: []});
  });

  it.each([
    ['a non-bool force flag', '    galaxy_force_with_deps: maybe\n', 'p.yaml:6:29 provisioners[0].galaxy_force_with_deps: expected true or false, got string "maybe"'],
    ['an empty galaxy_file', '    galaxy_file: ""\n', 'p.yaml:4:5 provisioners[0]: galaxy_file must not be empty'],
    ['a typo', '    galaxy_files: req.yml\n', 'p.yaml:6:5 provisioners[0].galaxy_files: unknown field (did you mean "galaxy_file"?)'],
  ])('reports %s with file:line', (_what, yaml, issue) => {
    expect(issues(yaml)).toEqual([issue]);
  });

  it('validate names a missing galaxy_file (and galaxy_command path) at its field', () => {
    const d = writeTree(fresh('tpl'), {
      't.pkr.hcl':
        'source "qemu" "a" {\n  iso_url = "x.iso"\n  iso_checksum = "none"\n  ssh_username = "r"\n}\nbuild {\n  sources = ["source.qemu.a"]\n  provisioner "ansible" {\n    playbook_file = "site.yml"\n    galaxy_file = "requirements.yml"\n    galaxy_command = "./bin/galaxy"\n  }\n}\n',
      'site.yml': '- hosts: all\n',
    });
    const l = loadProfile(d, {env: {}});
    expect(checkReferencedFiles(l.profile, l.document!, d).map((i) => `${path.basename(i.file)}:${i.line} ${i.field}: ${i.message.replace(d, '<d>')}`)).toEqual([
      't.pkr.hcl:10 provisioners[0].galaxy_file: requirements.yml: no such file (looked for <d>/requirements.yml)',
      't.pkr.hcl:11 provisioners[0].galaxy_command: ./bin/galaxy: no such file (looked for <d>/bin/galaxy)',
    ]);
    writeTree(d, {'requirements.yml': 'roles: []\n', 'bin/galaxy': '#!/bin/sh\n'});
    expect(checkReferencedFiles(l.profile, l.document!, d)).toEqual([]);
  });
});

/** A local role tarball and a local collection tarball, made with tar and the real ansible-galaxy. */
let roleTar = '';
let collectionTar = '';
beforeAll(async () => {
  const src = fresh('src');
  writeTree(src, {
    'markrole/tasks/main.yml': '- name: mark\n  ansible.builtin.debug:\n    msg: markrole ran\n',
    'markrole/meta/main.yml': 'galaxy_info:\n  author: t\n  description: t\n  license: MIT\n  min_ansible_version: "2.9"\n  platforms: []\ndependencies: []\n',
    'coll/galaxy.yml': 'namespace: vmb\nname: tiny\nversion: 1.0.0\nreadme: README.md\nauthors: [t]\n',
    'coll/README.md': 'tiny\n',
    'coll/plugins/modules/.keep': '',
  });
  const out = fresh('artifacts');
  roleTar = path.join(out, 'markrole.tar.gz');
  await execa('tar', ['-C', src, '-czf', roleTar, 'markrole']);
  await execa('ansible-galaxy', ['collection', 'build', '--output-path', out], {cwd: path.join(src, 'coll')});
  collectionTar = path.join(out, 'vmb-tiny-1.0.0.tar.gz');
  expect(existsSync(collectionTar)).toBe(true);
}, 60_000);

/** A fake ansible-playbook that records its environment and the roles/collections it can see. */
function fakeBin(): string {
  const bin = fresh('bin');
  writeFileSync(
    path.join(bin, 'ansible-playbook'),
    `#!${process.execPath}
const fs = require('node:fs');
const path = require('node:path');
const list = (v) => (v || '').split(':').filter((d) => d && fs.existsSync(d)).map((d) => ({dir: d, has: fs.readdirSync(d, {recursive: true}).filter((f) => !f.includes(path.sep + 'meta' + path.sep)).sort()}));
fs.writeFileSync(process.env.FAKE_OUT + '/seen.json', JSON.stringify({env: process.env, roles: list(process.env.ANSIBLE_ROLES_PATH), collections: list(process.env.ANSIBLE_COLLECTIONS_PATH)}));
console.log('PLAY RECAP');
`,
  );
  chmodSync(path.join(bin, 'ansible-playbook'), 0o755);
  return bin;
}

interface Run {
  ctx: StepContext<BuildState>;
  logs: string[];
  out: string;
  profileDir: string;
  p: AnsibleProvisioner;
}

function setup(provisionerYaml: string, files: Record<string, string>, env: Record<string, string> = {}): Run {
  const profileDir = writeTree(fresh('profile'), {'site.yml': '- hosts: default\n  tasks: []\n', ...files});
  const profile = parseProfile(`iso_url: /x.iso\nssh_username: builder\nprovisioners:\n  - type: ansible\n    playbook_file: site.yml\n${provisionerYaml}`, path.join(profileDir, 'profile.yaml'), 'demo');
  const out = fresh('out');
  const home = fresh('home');
  const logs: string[] = [];
  const state = {
    id: 'b1',
    profile,
    profileDir,
    options: {force: false, cacheDir: out, logDir: '', env: {PATH: `${fakeBin()}:${process.env.PATH}`, FAKE_OUT: out, HOME: home, ...env}},
    workDir: fresh('work'),
    sshHostPort: 2345,
    sshKey: KEY,
    ssh: {} as SshSession,
    artifacts: [],
  } as unknown as BuildState;
  const ctx: StepContext<BuildState> = {
    state,
    signal: new AbortController().signal,
    stepId: 'provision',
    log: (source, stream, line) => logs.push(`${source}/${stream}: ${line}`),
    progress: () => undefined,
    emit: () => undefined,
    checkpoint: async () => undefined,
  };
  return {ctx, logs, out, profileDir, p: profile.provisioners[0] as AnsibleProvisioner};
}

const seen = (r: Run): {env: Record<string, string>; roles: {dir: string; has: string[]}[]; collections: {dir: string; has: string[]}[]} =>
  JSON.parse(readFileSync(path.join(r.out, 'seen.json'), 'utf8'));

describe('galaxy_file with the real ansible-galaxy', () => {
  it('without roles_path/collections_path: installs both into the private folder, the playbook sees them, nothing is left and ~ gets no roles', async () => {
    const req = `roles:\n  - src: file://${roleTar}\n    name: markrole\ncollections:\n  - name: ${collectionTar}\n    type: file\n`;
    const r = setup('    galaxy_file: req/requirements.yml\n', {'req/requirements.yml': req});
    await runAnsible(r.ctx, r.p);
    const s = seen(r);
    const [roles, colls] = [s.env.ANSIBLE_ROLES_PATH!.split(':'), s.env.ANSIBLE_COLLECTIONS_PATH!.split(':')];
    expect(roles[0]).toMatch(/vmbench-ansible-[^/]+\/galaxy\/roles$/);
    expect(roles.slice(1)).toEqual(['~/.ansible/roles', '/usr/share/ansible/roles', '/etc/ansible/roles']);
    expect(colls[0]).toMatch(/vmbench-ansible-[^/]+\/galaxy\/collections$/);
    expect(s.roles[0]).toEqual({dir: roles[0], has: expect.arrayContaining(['markrole', path.join('markrole', 'tasks', 'main.yml')])});
    expect(s.collections[0]).toEqual({dir: colls[0], has: expect.arrayContaining([path.join('ansible_collections', 'vmb', 'tiny', 'MANIFEST.json')])});
    // Packer's two runs, each logged with its argv; ansible-galaxy's own lines as provisioner output.
    const file = path.join(r.profileDir, 'req', 'requirements.yml');
    expect(r.logs).toEqual(
      expect.arrayContaining([
        expect.stringMatching(new RegExp(`^vmbench/info: ansible: installing the roles of req/requirements\\.yml into .*/galaxy/roles: .*ansible-galaxy install -r ${file} -p .*/galaxy/roles$`)),
        expect.stringMatching(new RegExp(`^vmbench/info: ansible: installing the collections of req/requirements\\.yml into .*: .*ansible-galaxy collection install -r ${file} -p `)),
        'provisioner/stdout: - markrole was installed successfully',
        'provisioner/stdout: vmb.tiny:1.0.0 was installed successfully',
        'provisioner/stdout: PLAY RECAP',
      ]),
    );
    expect(existsSync(roles[0]!)).toBe(false); // removed with the private folder
    const home = r.ctx.state.options.env.HOME!;
    expect(existsSync(path.join(home, '.ansible', 'roles')) || existsSync(path.join(home, '.ansible', 'collections'))).toBe(false);
  });

  it('with roles_path (relative to the profile) and force: installs there and keeps it; an old-style list installs roles only', async () => {
    const r = setup('    galaxy_file: requirements.yml\n    roles_path: roles\n    galaxy_force_install: true\n', {'requirements.yml': `- src: file://${roleTar}\n  name: markrole\n`});
    await runAnsible(r.ctx, r.p);
    expect(readdirSync(path.join(r.profileDir, 'roles'))).toEqual(['markrole']);
    const s = seen(r);
    expect(s.env.ANSIBLE_ROLES_PATH).toBe('roles');
    expect(s.env.ANSIBLE_COLLECTIONS_PATH).toBeUndefined();
    expect(r.logs.filter((l) => l.includes('installing the'))).toEqual([expect.stringMatching(/installing the roles of requirements\.yml into .*\/roles: .*ansible-galaxy install -r .*requirements\.yml -f -p roles$/)]);
    // Again, forced over what is there: still fine.
    mkdirSync(path.join(r.profileDir, 'roles', 'markrole', 'stale'));
    await runAnsible(r.ctx, r.p);
    expect(existsSync(path.join(r.profileDir, 'roles', 'markrole', 'stale'))).toBe(false);
  });

  it('a failing ansible-galaxy stops the provisioner, naming the command and its last stderr lines; the playbook does not run', async () => {
    const r = setup('    galaxy_file: requirements.yml\n', {'requirements.yml': `roles:\n  - src: file:///nonexistent/role.tar.gz\n    name: gone\n`});
    const err = (await runAnsible(r.ctx, r.p).catch((e: unknown) => e)) as StepError;
    expect(err).toBeInstanceOf(StepError);
    expect(err.message).toMatch(/profile\.yaml:4:5: \S*ansible-galaxy install -r \S*requirements\.yml -p \S*\/galaxy\/roles exited with code 1 after [\d.]+s:\n {2}/);
    expect(err.message).toMatch(/nonexistent\/role\.tar\.gz|gone/);
    expect(existsSync(path.join(r.out, 'seen.json'))).toBe(false);
  });

  it('names a missing galaxy_file and a missing galaxy_command before anything runs', async () => {
    const r = setup('    galaxy_file: nope.yml\n', {});
    await expect(runAnsible(r.ctx, r.p)).rejects.toThrow(/profile\.yaml:4:5: galaxy_file .*\/nope\.yml: no such file/);
    const r2 = setup('    galaxy_file: requirements.yml\n    galaxy_command: no-such-galaxy\n', {'requirements.yml': 'roles: []\n'});
    const err = (await runAnsible(r2.ctx, r2.p).catch((e: unknown) => e)) as StepError;
    expect(err.message).toMatch(/: no-such-galaxy not found on PATH/);
    expect(err.hint).toBe('set galaxy_command to an executable (now: no-such-galaxy)');
  });
});
