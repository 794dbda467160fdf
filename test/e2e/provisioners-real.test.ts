/**
 * The file and ansible provisioners against the real tiny guest (busybox + dropbear under QEMU):
 * a directory tree goes up over SFTP, a shell step reads it there, a guest file and the tree come
 * back down, and the host's real ansible-playbook runs raw tasks over SSH against dropbear; then
 * a galaxy_file's role (a local tarball) and collection (built here) installed by the real
 * ansible-galaxy, which the playbook uses on the guest.
 */
import {chmodSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {execa} from 'execa';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {assertBuilt, CACHE, processAlive, ROOT, runCli, tinyWithProvisioners, tmpDir} from './helpers.js';

const work = tmpDir('vmbench-e2e-prov-');
afterAll(() => rmSync(work, {recursive: true, force: true}));
beforeAll(() => assertBuilt());

/** Command lines of all processes whose arguments mention `needle`. */
function processesMentioning(needle: string): string[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d) && Number(d) !== process.pid)
    .map((d) => {
      try {
        return readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0').join(' ');
      } catch {
        return '';
      }
    })
    .filter((c) => c.includes(needle));
}

describe('file and ansible provisioners (real QEMU, dropbear, ansible-playbook)', () => {
  it('uploads a tree, downloads files back, and runs a raw-only playbook against the guest', {timeout: 120_000}, async () => {
    const back = path.join(work, 'back');
    const profile = tinyWithProvisioners(
      `provisioners:
  - type: file
    source: files/app
    destination: /tmp
  - type: shell
    name: check-upload
    inline:
      - echo 'BEGIN{check}'
      - cat /tmp/app/hello.txt
      - /tmp/app/bin/run.sh
      - ls -ln /tmp/app/bin/run.sh /tmp/app/conf/secret.conf
      - uname -r > /tmp/app/kernel-release
      - echo 'END{check}'
  - type: file
    direction: download
    source: /proc/version
    destination: ${back}/version.txt
  - type: file
    direction: download
    source: /tmp/app/
    destination: ${back}/app-copy
  - type: ansible
    playbook_file: playbook.yml
    ansible_env_vars: [ANSIBLE_STDOUT_CALLBACK=minimal]
  - type: shell
    name: after-ansible
    inline: ["echo \\"guest says: $(cat /tmp/from-ansible)\\""]

`,
    );
    const text = readFileSync(path.join(profile, 'profile.yaml'), 'utf8');
    expect(text).toContain('type: ansible');
    expect(text).not.toContain('scripts/provision.sh');
    // The tree to upload, with an executable and a private file.
    const app = path.join(profile, 'files', 'app');
    mkdirSync(path.join(app, 'bin'), {recursive: true});
    mkdirSync(path.join(app, 'conf'));
    writeFileSync(path.join(app, 'hello.txt'), 'hello from the host\n');
    writeFileSync(path.join(app, 'bin', 'run.sh'), '#!/bin/sh\necho "run.sh ran on $(hostname)"\n', {mode: 0o755});
    writeFileSync(path.join(app, 'conf', 'secret.conf'), 'token=42\n', {mode: 0o600});
    chmodSync(path.join(app, 'bin', 'run.sh'), 0o755);
    chmodSync(path.join(app, 'conf', 'secret.conf'), 0o600);
    cpSync(path.join(ROOT, 'test', 'fixtures', 'ansible', 'tiny-raw.yml'), path.join(profile, 'playbook.yml'));

    const out = path.join(work, 'out');
    const r = await runCli(['build', profile, '--plain', '--output', out, '--cache-dir', CACHE]);
    expect(r.exitCode, r.all).toBe(0);
    const lines = r.stdout.split('\n');
    // The guest's output is logged as provisioner, vmbench's own messages about it as vmbench.
    const prov = lines.map((l) => /^\s+provisioner(?:\(\w+\))?: (.*)$/.exec(l)?.[1]).filter((l): l is string => l !== undefined);
    const own = lines.map((l) => /^\s+vmbench: (.*)$/.exec(l)?.[1]).filter((l): l is string => l !== undefined);

    // The tree arrived with its modes: the shell step read it on the guest.
    expect(own).toEqual(expect.arrayContaining([expect.stringMatching(/^file: uploaded .*\/files\/app => \/tmp\/app \(3 files, 3 directories, \d+ bytes\) via sftp in /)]));
    const check = prov.slice(prov.indexOf('BEGIN{check}'), prov.indexOf('END{check}') + 1);
    expect(check[1]).toBe('hello from the host');
    expect(check[2]).toMatch(/^run\.sh ran on /);
    expect(check[3]).toMatch(/^-rwxr-xr-x\s+1 0\s+0\s+\d+ .* \/tmp\/app\/bin\/run\.sh$/);
    expect(check[4]).toMatch(/^-rw-------\s+1 0\s+0\s+\d+ .* \/tmp\/app\/conf\/secret\.conf$/);

    // Downloads: the guest's /proc/version (a 0-byte file to stat) and the tree, now with the
    // file the shell step wrote there.
    const version = readFileSync(path.join(back, 'version.txt'), 'utf8');
    expect(version).toMatch(/^Linux version \d+\.\d+/);
    const release = readFileSync(path.join(back, 'app-copy', 'kernel-release'), 'utf8').trim();
    expect(version).toContain(release);
    expect(readFileSync(path.join(back, 'app-copy', 'hello.txt'), 'utf8')).toBe('hello from the host\n');
    expect(statSync(path.join(back, 'app-copy', 'bin', 'run.sh')).mode & 0o777).toBe(0o755);
    expect(statSync(path.join(back, 'app-copy', 'conf', 'secret.conf')).mode & 0o777).toBe(0o600);

    // ansible-playbook ran its raw tasks over SSH against dropbear, as root, with our extra vars.
    const ansible = prov.slice(prov.indexOf('BEGIN{ansible}'), prov.indexOf('END{ansible}') + 1);
    expect(ansible[0]).toBe('BEGIN{ansible}');
    expect(ansible[1]).toMatch(/^Linux \S+ .*x86_64/);
    expect(ansible[1]).toContain(release);
    expect(ansible[2]).toBe('ansible user id=0');
    expect(ansible.at(-1)).toBe('END{ansible}');
    expect(prov).toContain('guest says: written by ansible for tiny via qemu');
    expect(own.some((l) => /^ansible: running \S*ansible-playbook .* -i \S+ansible-inventory-\w+\.ini \S+playbook\.yml/.test(l))).toBe(true);
    expect(own.some((l) => /^ansible: ansible-playbook playbook\.yml done in /.test(l))).toBe(true);

    // Nothing left running or lying around: no QEMU, no ansible or ssh for this profile, only the
    // image in the output directory (the inventory was in the work dir and is gone).
    const qemuPid = Number(/QEMU running \(pid (\d+)/.exec(r.stdout)?.[1]);
    expect(qemuPid).toBeGreaterThan(0);
    expect(processAlive(qemuPid)).toBe(false);
    expect(processesMentioning(profile)).toEqual([]);
    expect(processesMentioning('vmbench-ansible-')).toEqual([]);
    expect(readdirSync(out).sort()).toEqual(['.vmbench-output', 'SHA256SUMS', 'manifest.json', 'tiny.qcow2']);
    expect(existsSync(path.join(back, 'app-copy', 'bin'))).toBe(true);
  });

  it('galaxy_file: ansible-galaxy installs a local role and collection, the playbook runs both roles on the guest', {timeout: 120_000}, async () => {
    // A role as a local tar.gz, and a collection holding a role, built by the real ansible-galaxy.
    const src = path.join(work, 'galaxy-src');
    const role = (dir: string, marker: string): void => {
      mkdirSync(path.join(dir, 'tasks'), {recursive: true});
      mkdirSync(path.join(dir, 'meta'), {recursive: true});
      writeFileSync(path.join(dir, 'meta', 'main.yml'), 'galaxy_info:\n  author: t\n  description: t\n  license: MIT\n  min_ansible_version: "2.9"\n  platforms: []\ndependencies: []\n');
      writeFileSync(path.join(dir, 'tasks', 'main.yml'), `- name: Leave a marker\n  ansible.builtin.raw: echo "${marker} on $(uname -n)" | tee /tmp/${marker}\n`);
    };
    role(path.join(src, 'markrole'), 'from-galaxy-role');
    role(path.join(src, 'coll', 'roles', 'inner'), 'from-galaxy-collection');
    writeFileSync(path.join(src, 'coll', 'galaxy.yml'), 'namespace: vmb\nname: tiny\nversion: 1.0.0\nreadme: README.md\nauthors: [t]\n');
    writeFileSync(path.join(src, 'coll', 'README.md'), 'tiny\n');
    const roleTar = path.join(work, 'markrole.tar.gz');
    await execa('tar', ['-C', src, '-czf', roleTar, 'markrole']);
    await execa('ansible-galaxy', ['collection', 'build', '--output-path', work], {cwd: path.join(src, 'coll')});

    const profile = tinyWithProvisioners(
      `provisioners:
  - type: ansible
    playbook_file: playbook.yml
    galaxy_file: requirements.yml
    ansible_env_vars: [ANSIBLE_STDOUT_CALLBACK=minimal]
  - type: shell
    name: after-galaxy
    inline: ["echo \\"guest has: $(cat /tmp/from-galaxy-role) + $(cat /tmp/from-galaxy-collection)\\""]

`,
    );
    writeFileSync(
      path.join(profile, 'requirements.yml'),
      `roles:\n  - src: file://${roleTar}\n    name: markrole\ncollections:\n  - name: ${path.join(work, 'vmb-tiny-1.0.0.tar.gz')}\n    type: file\n`,
    );
    writeFileSync(path.join(profile, 'playbook.yml'), '- hosts: default\n  gather_facts: false\n  roles:\n    - markrole\n    - vmb.tiny.inner\n');

    const out = path.join(work, 'out-galaxy');
    const r = await runCli(['build', profile, '--plain', '--output', out, '--cache-dir', CACHE]);
    expect(r.exitCode, r.all).toBe(0);
    const lines = r.stdout.split('\n');
    const prov = lines.map((l) => /^\s+provisioner(?:\(\w+\))?: (.*)$/.exec(l)?.[1]).filter((l): l is string => l !== undefined);
    const own = lines.map((l) => /^\s+vmbench: (.*)$/.exec(l)?.[1]).filter((l): l is string => l !== undefined);
    // ansible-galaxy ran twice (roles, collections) into the build's private folder.
    expect(own).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^ansible: installing the roles of requirements\.yml into \S+vmbench-ansible-\w+\/galaxy\/roles: \S*ansible-galaxy install -r \S+requirements\.yml -p /),
        expect.stringMatching(/^ansible: installing the collections of requirements\.yml into \S+\/galaxy\/collections: \S*ansible-galaxy collection install -r /),
      ]),
    );
    expect(prov).toEqual(expect.arrayContaining(['- markrole was installed successfully', 'vmb.tiny:1.0.0 was installed successfully']));
    // The roles ran on the guest, and a later provisioner found what they wrote.
    expect(prov).toContainEqual(expect.stringMatching(/^guest has: from-galaxy-role on \S+ \+ from-galaxy-collection on \S+$/));
    expect(processesMentioning('vmbench-ansible-')).toEqual([]);
    expect(readdirSync(out).sort()).toEqual(['.vmbench-output', 'SHA256SUMS', 'manifest.json', 'tiny.qcow2']);
  });
});
