/**
 * The file provisioner, parsed from a profile by the real loader and run over a real ssh2
 * session against the in-process SSH server, whose SFTP is backed by a temporary directory
 * (the "guest's" filesystem).
 */
import {chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import {runFile, localPath} from '../../src/engine/steps/provisioners/file.js';
import type {BuildState} from '../../src/engine/state.js';
import {StepError, type StepContext} from '../../src/engine/step.js';
import {parseProfile, ProfileError} from '../../src/profiles/loader.js';
import type {FileProvisioner} from '../../src/profiles/schema.js';
import {waitForSsh} from '../../src/ssh/index.js';
import {hostShell, startFakeSshServer} from '../fakes/fake-ssh-server.js';
import {cleanupAfterEach, scratchDirs} from '../support/scratch.js';

const PASSWORD = 'file-prov-pw';
const fresh = scratchDirs('vmbench-file-prov-');
const cleanups = cleanupAfterEach();

interface Run {
  ctx: StepContext<BuildState>;
  logs: string[];
  progress: [string, number, number | undefined][];
  provisioners: FileProvisioner[];
  profileDir: string;
  /** Host directory serving as the guest's "/". */
  guest: string;
  abort: AbortController;
}

/** A profile whose provisioners are given as YAML (list items), plus a connected fake guest. */
async function setup(provisionersYaml: string, opts: {sftp?: boolean} = {}): Promise<Run> {
  const profileDir = fresh('profile');
  mkdirSync(path.join(profileDir, 'files', 'site', 'conf'), {recursive: true});
  writeFileSync(path.join(profileDir, 'files', 'site', 'index.html'), '<h1>hi</h1>\n');
  writeFileSync(path.join(profileDir, 'files', 'site', 'conf', 'app.conf'), 'port=80\n', {mode: 0o640});
  writeFileSync(path.join(profileDir, 'files', 'motd'), 'welcome\n');
  const profile = parseProfile(`iso_url: /x.iso\nssh_username: root\nprovisioners:\n${provisionersYaml}`, path.join(profileDir, 'profile.yaml'), 'demo');
  const guest = fresh('guest');
  mkdirSync(path.join(guest, 'srv'));
  mkdirSync(path.join(guest, 'etc'));
  writeFileSync(path.join(guest, 'etc', 'os-release'), 'ID=tiny\n', {mode: 0o600});
  const server = await startFakeSshServer({users: {root: {password: PASSWORD}}, sftp: opts.sftp ?? true, sftpRoot: guest, exec: hostShell});
  cleanups.push(() => server.close());
  const ssh = await waitForSsh({host: '127.0.0.1', port: server.port, username: 'root', password: PASSWORD}, {timeoutMs: 10_000});
  cleanups.push(() => ssh.close());
  const logs: string[] = [];
  const progress: Run['progress'] = [];
  const abort = new AbortController();
  const scratch = fresh('build');
  const state = {id: 'b1', profile, profileDir, options: {force: false, cacheDir: scratch, logDir: '', env: {}}, outputDir: path.join(scratch, 'out'), ssh, artifacts: []} as unknown as BuildState;
  const ctx: StepContext<BuildState> = {
    state,
    signal: abort.signal,
    stepId: 'provision',
    log: (source, stream, line) => logs.push(`${source}/${stream}: ${line}`),
    progress: (label, current, total) => progress.push([label, current, total]),
    emit: () => undefined,
    checkpoint: async () => undefined,
  };
  return {ctx, logs, progress, provisioners: profile.provisioners as FileProvisioner[], profileDir, guest, abort};
}

async function runAll(r: Run): Promise<void> {
  for (const p of r.provisioners) await runFile(r.ctx, p);
}

const mode = (f: string): string => (statSync(f).mode & 0o7777).toString(8);

describe('file provisioner', () => {
  it('uploads a tree and a file, and downloads them back, logging what moved', async () => {
    const back = fresh('back');
    const r = await setup(`  - type: file
    source: files/site
    destination: /srv
  - type: file
    sources: [files/motd, files/site/index.html]
    destination: /etc/
  - type: file
    direction: download
    source: /etc/os-release
    destination: ${back}/os-release.txt
  - type: file
    direction: download
    source: /srv/site/
    destination: ${back}/site-copy
`);
    await runAll(r);
    // On the guest: the directory itself inside /srv (no trailing slash), modes kept.
    expect(readFileSync(path.join(r.guest, 'srv/site/index.html'), 'utf8')).toBe('<h1>hi</h1>\n');
    expect(mode(path.join(r.guest, 'srv/site/conf/app.conf'))).toBe('640');
    expect(readFileSync(path.join(r.guest, 'etc/motd'), 'utf8')).toBe('welcome\n');
    expect(existsSync(path.join(r.guest, 'etc/index.html'))).toBe(true);
    // Back on the host: a file to a file name, a tree's contents (trailing slash) into a new dir.
    expect(readFileSync(path.join(back, 'os-release.txt'), 'utf8')).toBe('ID=tiny\n');
    expect(mode(path.join(back, 'os-release.txt'))).toBe('600');
    expect(readdirSync(path.join(back, 'site-copy')).sort()).toEqual(['conf', 'index.html']);
    expect(readFileSync(path.join(back, 'site-copy/conf/app.conf'), 'utf8')).toBe('port=80\n');
    const site = path.join(r.profileDir, 'files', 'site');
    expect(r.logs).toEqual(
      expect.arrayContaining([
        `vmbench/info: file: uploading ${site} => /srv (2 files, 2 directories, 20 bytes)`,
        expect.stringMatching(new RegExp(`^vmbench/info: file: uploaded ${site} => /srv/site \\(2 files, 2 directories, 20 bytes\\) via sftp in \\d+\\.\\ds$`)),
        `vmbench/info: file: uploading ${path.join(r.profileDir, 'files', 'motd')} => /etc/ (1 file, 8 bytes)`,
        `vmbench/info: file: downloading /etc/os-release => ${back}/os-release.txt (1 file, 8 bytes)`,
        `vmbench/info: file: downloading /srv/site/ => ${back}/site-copy (2 files, 2 directories, 20 bytes)`,
      ]),
    );
    expect(r.progress.at(-1)).toEqual(['file: downloading site', 20, 20]);
  });

  it('works the same without SFTP on the guest (cat and tar over exec)', async () => {
    const r = await setup(`  - type: file\n    source: files/site/\n    destination: /srv\n`, {sftp: false});
    // Exec mode sees host paths: point the provisioner at the fake guest's directory.
    const p = {...r.provisioners[0]!, destination: path.join(r.guest, 'srv')};
    await runFile(r.ctx, p);
    expect(readFileSync(path.join(r.guest, 'srv/conf/app.conf'), 'utf8')).toBe('port=80\n');
    expect(mode(path.join(r.guest, 'srv/conf/app.conf'))).toBe('640');
    expect(r.logs.some((l) => / via exec in /.test(l))).toBe(true);
  });

  it('writes content to a file, or to pkr-file-content in a directory', async () => {
    const r = await setup(`  - type: file\n    content: hello there\n    destination: /etc/greeting\n  - type: file\n    content: x\n    destination: /srv/\n`);
    await runAll(r);
    expect(readFileSync(path.join(r.guest, 'etc/greeting'), 'utf8')).toBe('hello there');
    expect(readFileSync(path.join(r.guest, 'srv/pkr-file-content'), 'utf8')).toBe('x');
  });

  it('checks every upload source before copying anything, naming the profile line and the local path', async () => {
    const r = await setup(`  - type: file\n    sources: [files/motd, files/missing.txt]\n    destination: /srv/\n`);
    const err = (await runAll(r).catch((e: unknown) => e)) as StepError;
    expect(err).toBeInstanceOf(StepError);
    expect(err.message).toBe(`${path.join(r.profileDir, 'profile.yaml')}:4:5: source ${path.join(r.profileDir, 'files', 'missing.txt')}: no such file or directory`);
    expect(err.hint).toContain(`relative to the profile directory ${r.profileDir}`);
    expect(readdirSync(path.join(r.guest, 'srv'))).toEqual([]);
  });

  it('explains that a directory upload needs its destination to exist', async () => {
    const r = await setup(`  - type: file\n    source: files/site\n    destination: /opt/app\n`);
    const err = (await runAll(r).catch((e: unknown) => e)) as StepError;
    expect(err).toBeInstanceOf(StepError);
    expect(err.message).toMatch(/profile\.yaml:4:5: uploading .*\/files\/site => \/opt\/app failed \(local path .*\/files\/site\): destination \/opt\/app does not exist on the guest: for a directory upload it must already exist/);
    expect(err.hint).toMatch(/the file provisioner is defined at .*profile\.yaml:4:5/);
  });

  it('names a missing guest file on download', async () => {
    const back = fresh('back');
    const r = await setup(`  - type: file\n    direction: download\n    source: /var/log/nothing\n    destination: ${back}/\n`);
    await expect(runAll(r)).rejects.toThrow(/profile\.yaml:4:5: downloading \/var\/log\/nothing => .* failed .*: \/var\/log\/nothing does not exist on the guest/);
  });

  it('stops at once when the build is cancelled', async () => {
    const r = await setup(`  - type: file\n    source: files/site\n    destination: /srv\n`);
    const reason = new DOMException('cancelled', 'AbortError');
    r.abort.abort(reason);
    expect(await runAll(r).catch((e: unknown) => e)).toBe(reason);
  });

  it('keeps a trailing slash when resolving local paths', () => {
    expect(localPath('/p', 'files/site/')).toBe('/p/files/site/');
    expect(localPath('/p', 'files/site')).toBe('/p/files/site');
    expect(localPath('/p', '/abs/dir/')).toBe('/abs/dir/');
    expect(localPath('/p', '/')).toBe('/');
  });
});

describe('file provisioner in profiles', () => {
  const issues = (provisioner: string): string[] => {
    try {
      parseProfile(`iso_url: /x.iso\nssh_username: root\nprovisioners:\n  - type: file\n${provisioner}`, 'p.yaml', 'demo');
    } catch (err) {
      if (err instanceof ProfileError) return err.issues.map((i) => `${i.file}:${i.line}:${i.col} ${i.field}: ${i.message}`);
      throw err;
    }
    return [];
  };

  it('puts source after sources (as Packer does) and keeps the profile location in `source`', () => {
    const p = parseProfile(`iso_url: /x.iso\nssh_username: root\nprovisioners:\n  - type: file\n    source: c\n    sources: [a, b/]\n    destination: /tmp/\n    generated: true\n`, 'p.yaml', 'demo').provisioners[0];
    expect(p).toEqual({type: 'file', sources: ['a', 'b/', 'c'], destination: '/tmp/', direction: 'upload', generated: true, source: 'p.yaml:4:5'});
  });

  it.each([
    ['no source', '    destination: /tmp/\n', 'p.yaml:4:5 provisioners[0]: a file provisioner needs source, sources or content'],
    ['no destination', '    source: a\n', 'p.yaml:4:5 provisioners[0]: a file provisioner needs a destination'],
    ['several sources into a file', '    sources: [a, b]\n    destination: /tmp/x\n', 'p.yaml:4:5 provisioners[0]: with several sources, destination must be a directory ending in /'],
    ['content and source', '    source: a\n    content: b\n    destination: /tmp/x\n', 'p.yaml:4:5 provisioners[0]: content cannot be combined with source or sources'],
    ['a bad direction', '    source: a\n    destination: /tmp/\n    direction: sideways\n', 'p.yaml:7:16 provisioners[0].direction: "sideways" is not one of: upload, download'],
    ['a misspelt field', '    source: a\n    destination: /tmp/\n    destnation: /x\n', 'p.yaml:7:5 provisioners[0].destnation: unknown field (did you mean "destination"?)'],
  ])('reports %s with file:line', (_what, yaml, issue) => {
    expect(issues(yaml)).toEqual([issue]);
  });
});
