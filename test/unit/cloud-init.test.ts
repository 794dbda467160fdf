// cloud_init (issue 11): the NoCloud seed vmbench writes (keys merged into the profile's
// user-data, meta-data defaults), read back from the ISO by real readers; cloud-init's status
// as 22.x and 23.4+ print it; the profile field's checks with file:line.
import {writeFileSync} from 'node:fs';
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import {parse as parseYaml} from 'yaml';
import {nocloudSeed, seedHostname} from '../../src/cloud/nocloud.js';
import {cloudInitSucceeded, CLOUD_INIT_CONSOLE_FAILURE, failureLines, parseCloudInitStatus} from '../../src/cloud/status.js';
import {explainFailure} from '../../src/engine/diagnosis.js';
import {BuildEvidence} from '../../src/engine/evidence.js';
import {writeIso} from '../../src/media/iso-writer.js';
import {CLOUD_INIT_DEFAULTS, type CloudInitOptions} from '../../src/profiles/cloud-init-schema.js';
import {loadProfile, parseProfile, ProfileError} from '../../src/profiles/loader.js';
import {generateKeyPair, publicKeyOf} from '../../src/ssh/keys.js';
import {read} from '../support/media-readers.js';
import {scratchDirs} from '../support/scratch.js';

const fresh = scratchDirs('vmbench-cloud-');
const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGq0b5dUu1z1f3Zm8m4y0pD8y2J1m5p6X6QbT2c2H1bK vmbench-test';
const seed = (user_data: string, extra: Partial<CloudInitOptions> = {}, username = 'debian') =>
  nocloudSeed({options: {...CLOUD_INIT_DEFAULTS, user_data, ...extra}, username, publicKeys: [KEY], instanceId: 'vmbench-abc', hostname: 'debian-12-cloud'});

describe('NoCloud seed contents', () => {
  it('adds the SSH user with the key to a #cloud-config without users, keeping the image’s default user and the comments', () => {
    const files = seed('#cloud-config\n# keep me\nhostname: box\npackages: [jq]\n');
    const ud = files['user-data']!;
    expect(ud.split('\n')[0]).toBe('#cloud-config');
    expect(ud).toContain('# keep me');
    const doc = parseYaml(ud) as Record<string, unknown>;
    expect(doc.hostname).toBe('box');
    expect(doc.packages).toEqual(['jq']);
    expect(doc.users).toEqual(['default', {name: 'debian', sudo: 'ALL=(ALL) NOPASSWD:ALL', shell: '/bin/bash', lock_passwd: true, ssh_authorized_keys: [KEY]}]);
    expect(Object.keys(files).sort()).toEqual(['meta-data', 'user-data']);
  });

  it('adds the key to the user’s own entry, keeping its keys and the other users', () => {
    const ud = seed('#cloud-config\nusers:\n  - name: ops\n  - name: debian\n    groups: [adm]\n    ssh_authorized_keys: [ssh-rsa AAAAB3 mine]\n')['user-data']!;
    const users = (parseYaml(ud) as {users: Record<string, unknown>[]}).users;
    expect(users).toHaveLength(2);
    expect(users[0]).toEqual({name: 'ops'});
    expect(users[1]).toEqual({name: 'debian', groups: ['adm'], ssh_authorized_keys: ['ssh-rsa AAAAB3 mine', KEY]});
  });

  it('for root: the keys at the top and disable_root off', () => {
    const doc = parseYaml(seed('#cloud-config\n', {}, 'root')['user-data']!) as Record<string, unknown>;
    expect(doc.disable_root).toBe(false);
    expect(doc.ssh_authorized_keys).toEqual([KEY]);
    expect(doc.users).toBeUndefined();
  });

  it('sends another format as it is, after a cloud-config part of its own that appends the key (MIME multipart)', () => {
    const script = '#!/bin/sh\necho hello > /root/hello\n';
    const ud = seed(script)['user-data']!;
    const boundary = /boundary="([^"]+)"/.exec(ud)?.[1];
    expect(boundary).toBeTruthy();
    const parts = ud.split(`--${boundary}`).slice(1, -1);
    expect(parts).toHaveLength(2);
    expect(parts[0]).toMatch(/Content-Type: text\/cloud-config/);
    const ours = parseYaml(parts[0]!.split('\n\n').slice(1).join('\n\n')) as Record<string, unknown>;
    expect(ours.merge_how).toBeTruthy();
    expect((ours.users as unknown[])[1]).toMatchObject({name: 'debian', ssh_authorized_keys: [KEY]});
    expect(parts[1]).toMatch(/Content-Type: text\/x-shellscript/);
    expect(parts[1]).toContain(script);
  });

  it('meta-data: instance-id and local-hostname added unless given; optional files only when given', () => {
    expect(parseYaml(seed('#cloud-config\n')['meta-data']!)).toEqual({'instance-id': 'vmbench-abc', 'local-hostname': 'debian-12-cloud'});
    const files = seed('#cloud-config\n', {meta_data: 'instance-id: mine\n', network_config: 'version: 2\nethernets:\n  eth0:\n    dhcp4: true\n'});
    expect(parseYaml(files['meta-data']!)).toEqual({'instance-id': 'mine', 'local-hostname': 'debian-12-cloud'});
    expect(files['network-config']).toContain('dhcp4: true');
    expect(seedHostname('Debian 12 Cloud.qcow2')).toBe('debian-12-cloud');
    expect(seedHostname('...')).toBe('vmbench');
  });

  it('is read back from the ISO by isoinfo, blkid and bsdtar: label cidata, the files byte for byte', async () => {
    const dir = fresh('iso');
    const files = seed('#cloud-config\nhostname: box\n', {network_config: 'version: 2\n'});
    const iso = path.join(dir, 'cidata.iso');
    await writeIso({files: Object.entries(files).map(([p, content]) => ({path: p, content})), label: 'cidata'}, iso);
    expect(read('isoinfo', ['-d', '-i', iso]).stdout).toMatch(/^Volume id: cidata$/m);
    expect(read('isoinfo', ['-R', '-f', '-i', iso]).stdout.trim().split('\n').sort()).toEqual(['/meta-data', '/network-config', '/user-data']);
    for (const [name, text] of Object.entries(files)) expect(read('bsdtar', ['-xOf', iso, name]).stdout).toBe(text);
  });

  it('derives the public key of a private key file (what the guest gets with ssh_private_key_file)', () => {
    const pair = generateKeyPair('t');
    expect(publicKeyOf(pair.privateKey).split(' ').slice(0, 2)).toEqual(pair.publicKey.split(' ').slice(0, 2));
    expect(() => publicKeyOf('not a key')).toThrow();
  });
});

describe('cloud-init status', () => {
  it('reads 22.x output: done, and an error whose detail names the module', () => {
    const done = parseCloudInitStatus('.....\nstatus: done\ntime: Sun, 06 Dec 2026 10:00:00 +0000\ndetail:\nDataSourceNoCloud [seed=/dev/sr0][dsmode=net]\n');
    expect(done.status).toBe('done');
    expect(done.detail).toEqual(['DataSourceNoCloud [seed=/dev/sr0][dsmode=net]']);
    expect(cloudInitSucceeded(done)).toBe(true);
    const err = parseCloudInitStatus("status: error\ntime: Sun, 06 Dec 2026 10:00:00 +0000\ndetail:\n('scripts_user', RuntimeError('Runparts: 1 failures (runcmd) in 1 attempted commands'))\n");
    expect(cloudInitSucceeded(err)).toBe(false);
    expect(err.errors).toEqual(["('scripts_user', RuntimeError('Runparts: 1 failures (runcmd) in 1 attempted commands'))"]);
  });

  it('reads 23.4+ output: errors and recoverable_errors lists, degraded done', () => {
    const text = [
      'status: degraded done',
      'extended_status: degraded done',
      'boot_status_code: enabled-by-generator',
      'last_update: Thu, 01 Jan 1970 00:00:42 +0000',
      'detail: DataSourceNoCloud [seed=/dev/vdb]',
      'errors: []',
      'recoverable_errors:',
      'WARNING:',
      '\t- Invalid cloud-config provided: Please run \'sudo cloud-init schema --system\' to see the schema errors.',
    ].join('\n');
    const s = parseCloudInitStatus(text);
    expect(s.status).toBe('degraded done');
    expect(s.errors).toEqual([]);
    expect(s.warnings).toEqual(["Invalid cloud-config provided: Please run 'sudo cloud-init schema --system' to see the schema errors."]);
    expect(cloudInitSucceeded(s)).toBe(true);
    const bad = parseCloudInitStatus("status: error\nextended_status: error - done\ndetail: DataSourceNoCloud\nerrors:\n\t- ('scripts_user', RuntimeError('Runparts: 1 failures'))\n");
    expect(bad.errors).toEqual(["('scripts_user', RuntimeError('Runparts: 1 failures'))"]);
  });

  it('picks the lines of its logs that say what failed, and console lines that mean it failed at boot', () => {
    const log = ['2026-12-06 10:00:00,000 - util.py[DEBUG]: Running command', "2026-12-06 10:00:01,000 - util.py[WARNING]: Failed running /var/lib/cloud/instance/scripts/runcmd [3]", 'ok'].join('\n');
    expect(failureLines(log)).toEqual(['2026-12-06 10:00:01,000 - util.py[WARNING]: Failed running /var/lib/cloud/instance/scripts/runcmd [3]']);
    expect(CLOUD_INIT_CONSOLE_FAILURE.exec('[FAILED] Failed to start cloud-init.service - Cloud-init: Network Stage.')?.[0]).toMatch(/^Failed to start cloud-init/);
    expect(CLOUD_INIT_CONSOLE_FAILURE.test('[  OK  ] Finished cloud-init.service - Cloud-init: Network Stage.')).toBe(false);
  });

  it('an SSH wait refused by the guest is blamed on cloud-init, with the console line when there is one', () => {
    const ev = new BuildEvidence();
    for (let i = 0; i < 3; i++) ev.sshAttempt('auth', 'All configured authentication methods failed');
    const input = {now: Date.now(), evidence: ev, requests: [], cloudInit: {username: 'debian'}};
    const plain = explainFailure(new Error('SSH authentication failed'), input);
    expect(plain?.rule).toBe('cloud-init');
    expect(plain?.cause).toBe("the guest refused the build's key for debian: cloud-init did not install it");
    ev.observe({type: 'log', time: 1, source: 'serial', stream: 'stdout', line: '[   12.1] cloud-init[301]: 2026-12-06 10:00:00,000 - util.py[WARNING]: Failed loading yaml blob. Invalid format at line 3 column 1'});
    const withLine = explainFailure(new Error('SSH authentication failed'), input);
    expect(withLine?.cause).toMatch(/^cloud-init failed at boot: "Failed loading yaml blob/);
    // Without cloud_init, the same evidence is not cloud-init's fault.
    expect(explainFailure(new Error('SSH authentication failed'), {...input, cloudInit: undefined})).toBeUndefined();
  });
});

describe('the cloud_init field', () => {
  const base = 'iso_url: img.qcow2\ndisk_image: true\nssh_username: debian\n';
  it('loads with defaults, turns ssh_clear_authorized_keys on, and takes user-data from a file', () => {
    const dir = fresh('profile');
    writeFileSync(path.join(dir, 'user-data'), '#cloud-config\nhostname: {{ user `h` }}\n');
    writeFileSync(path.join(dir, 'profile.yaml'), `${base}variables:\n  h: box\ncloud_init:\n  user_data: "{{ templatefile \`user-data\` }}"\n  timeout: 2m\n`);
    const {profile} = loadProfile(dir);
    expect(profile.cloud_init).toEqual({...CLOUD_INIT_DEFAULTS, user_data: '#cloud-config\nhostname: box\n', timeout: 120_000});
    expect(profile.ssh_clear_authorized_keys).toBe(true);
    const off = parseProfile(`${base}ssh_clear_authorized_keys: false\ncloud_init: {}\n`, 'p.yaml', 'p');
    expect(off.ssh_clear_authorized_keys).toBe(false);
  });

  it('names an unknown field, a bad value and broken YAML in the user-data file with its own line', () => {
    const dir = fresh('bad');
    writeFileSync(path.join(dir, 'user-data'), '#cloud-config\nusers:\n  - name: a\n   bad: indent\n');
    writeFileSync(path.join(dir, 'profile.yaml'), `${base}cloud_init:\n  user_data: "{{ file \`user-data\` }}"\n  wiat: true\n  timeout: soon\n`);
    try {
      loadProfile(dir);
      expect.unreachable('the profile has errors');
    } catch (err) {
      expect(err).toBeInstanceOf(ProfileError);
      const issues = (err as ProfileError).issues.map((i) => `${path.basename(i.file)}:${i.line} ${i.field}: ${i.message}`);
      expect(issues).toContainEqual(expect.stringMatching(/^profile\.yaml:6 cloud_init\.wiat: unknown field \(did you mean "wait"\?\)/));
      expect(issues).toContainEqual(expect.stringMatching(/^profile\.yaml:7 cloud_init\.timeout: /));
      expect(issues).toContainEqual(expect.stringMatching(/^user-data:4 cloud_init\.user_data: user_data \(#cloud-config\) is not valid YAML/));
    }
  });

  it('refuses a second NoCloud seed, and warns about a cloud image with no seed at all', () => {
    expect(() => parseProfile(`${base}cloud_init: {}\ncd_label: cidata\ncd_content:\n  user-data: x\n`, 'p.yaml', 'p')).toThrow(/two NoCloud seeds/);
    const warnings: {message: string}[] = [];
    parseProfile(`${base}install_method: cloud-image\n`, 'p.yaml', 'p', {warnings: warnings as never});
    expect(warnings.map((w) => w.message).join('\n')).toMatch(/a cloud image gets its login from a cloud-init seed/);
  });

  it('the shipped debian-12-cloud profile loads: a disk image, the seed’s user-data with the host’s mirror filled in', () => {
    const {profile} = loadProfile(path.resolve('profiles/debian-12-cloud'));
    expect(profile.disk_image).toBe(true);
    expect(profile.install_method).toBe('cloud-image');
    const ud = parseYaml(profile.cloud_init!.user_data) as {apt: {primary: {uri: string}[]; security: {uri: string}[]; sources_list: string}};
    expect(ud.apt.primary[0]!.uri).toMatch(/^http:\/\/[^{ ]+\//);
    expect(ud.apt.security[0]!.uri).toMatch(/^http:\/\/[^{ ]+security/);
    expect(ud.apt.sources_list).not.toMatch(/deb-src|backports/);
    expect(profile.provisioners.map((p) => p.type)).toEqual(['shell', 'ansible']);
  });
});
