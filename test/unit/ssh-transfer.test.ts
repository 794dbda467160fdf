/**
 * File and tree transfer (src/ssh/transfer.ts) through the real ssh2 client against an in-process
 * ssh2 server: SFTP served from a real temporary directory, or no SFTP and a real /bin/sh behind
 * exec (so the cat/tar fallback really runs cat and tar).
 */
import {chmodSync, mkdirSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import {waitForSsh, type SshSession} from '../../src/ssh/index.js';
import {parseLsMode, TransferError} from '../../src/ssh/transfer.js';
import type {TransferPlan} from '../../src/ssh/types.js';
import {hostShell, startFakeSshServer, type FakeExecHandler, type FakeSshServer} from '../fakes/fake-ssh-server.js';
import {cleanupAfterEach, scratchDirs} from '../support/scratch.js';

const PASSWORD = 'transfer-test-pw';
const fresh = scratchDirs('vmbench-transfer-');

const cleanups = cleanupAfterEach();

interface Guest {
  server: FakeSshServer;
  session: SshSession;
  /** Host directory that is the guest's "/" over SFTP (exec mode: the host's own paths). */
  root: string;
  /** Guest path → host path. */
  at(p: string): string;
}

async function guest(mode: 'sftp' | 'exec', exec: FakeExecHandler = hostShell): Promise<Guest> {
  const root = mode === 'sftp' ? fresh('guest') : '/';
  const server = await startFakeSshServer({users: {root: {password: PASSWORD}}, sftp: mode === 'sftp', sftpRoot: root, exec});
  cleanups.push(() => server.close());
  const session = await waitForSsh({host: '127.0.0.1', port: server.port, username: 'root', password: PASSWORD}, {timeoutMs: 10_000});
  cleanups.push(() => session.close());
  return {server, session, root, at: (p) => path.join(root, p)};
}

let guestDirs = 0;
/** A guest directory path usable in both modes (exec mode sees host paths). */
function guestDir(g: Guest, name: string): string {
  if (g.root === '/') return fresh(name);
  const p = `/${guestDirs++}-${name}`;
  mkdirSync(g.at(p));
  return p;
}

/** A source tree with nested and empty directories, odd modes, a symlink and a name with a space. */
function sourceTree(): string {
  const src = path.join(fresh('src'), 'app');
  mkdirSync(path.join(src, 'conf.d', 'deep'), {recursive: true});
  mkdirSync(path.join(src, 'empty'));
  mkdirSync(path.join(src, 'ro'));
  writeFileSync(path.join(src, 'run.sh'), '#!/bin/sh\necho run\n', {mode: 0o755});
  writeFileSync(path.join(src, 'secret key'), 'hush\n', {mode: 0o600});
  writeFileSync(path.join(src, 'conf.d', 'a.conf'), 'a=1\n');
  writeFileSync(path.join(src, 'conf.d', 'deep', 'big.bin'), Buffer.alloc(300_000, 7));
  writeFileSync(path.join(src, 'ro', 'inside'), 'in a read-only dir\n');
  symlinkSync('run.sh', path.join(src, 'link.sh'));
  chmodSync(path.join(src, 'ro'), 0o555);
  chmodSync(path.join(src, 'conf.d'), 0o750);
  return src;
}

/** rel → "mode content-or-dir" for a host tree, links followed (they are copied as files). */
function listing(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (abs: string, rel: string): void => {
    const st = statSync(abs);
    const mode = (st.mode & 0o7777).toString(8);
    if (st.isDirectory()) {
      out[rel || '.'] = `${mode} dir`;
      for (const name of readdirSync(abs).sort()) walk(path.join(abs, name), rel ? `${rel}/${name}` : name);
    } else out[rel] = `${mode} ${readFileSync(abs).length > 1000 ? `${readFileSync(abs).length} bytes` : readFileSync(abs, 'utf8')}`;
  };
  walk(root, '');
  return out;
}

const expectedApp = (rootMode = '755'): Record<string, string> => ({
  '.': `${rootMode} dir`,
  'conf.d': '750 dir',
  'conf.d/a.conf': '644 a=1\n',
  'conf.d/deep': '755 dir',
  'conf.d/deep/big.bin': '644 300000 bytes',
  empty: '755 dir',
  'link.sh': '755 #!/bin/sh\necho run\n',
  ro: '555 dir',
  'ro/inside': '644 in a read-only dir\n',
  'run.sh': '755 #!/bin/sh\necho run\n',
  'secret key': '600 hush\n',
});

describe.each(['sftp', 'exec'] as const)('uploadPath via %s', (mode) => {
  // Symlinks: SFTP follows them (Packer's walk); host tar with -h does too.
  it('uploads a directory without a trailing slash as a directory inside the destination, keeping modes', async () => {
    const g = await guest(mode);
    const src = sourceTree();
    const dest = guestDir(g, 'dest');
    chmodSync(g.at(dest), 0o1777);
    const plans: TransferPlan[] = [];
    const files: string[] = [];
    const r = await g.session.uploadPath(src, dest, {onPlan: (p) => plans.push(p), onFile: (f) => files.push(f)});
    expect(r).toMatchObject({method: mode, target: `${dest}/app`, files: 6, dirs: 5, bytes: 300_000 + 19 * 2 + 5 + 4 + 19, skipped: []});
    expect(plans).toEqual([{files: 6, dirs: 5, bytes: r.bytes}]);
    expect(files.sort()).toEqual(['conf.d/a.conf', 'conf.d/deep/big.bin', 'link.sh', 'ro/inside', 'run.sh', 'secret key']);
    expect(listing(g.at(`${dest}/app`))).toEqual(expectedApp());
    // The destination itself is left as it was (a /tmp-like sticky directory stays 1777).
    expect((statSync(g.at(dest)).mode & 0o7777).toString(8)).toBe('1777');
  });

  it('uploads only the contents of a directory given with a trailing slash', async () => {
    const g = await guest(mode);
    const src = sourceTree();
    const dest = guestDir(g, 'dest');
    chmodSync(g.at(dest), 0o1777);
    const r = await g.session.uploadPath(`${src}/`, dest);
    expect(r.target).toBe(dest);
    expect(listing(g.at(dest))).toEqual(expectedApp('1777'));
  });

  it('refuses a directory upload into a destination that does not exist (Packer: it must)', async () => {
    const g = await guest(mode);
    const dest = `${guestDir(g, 'parent')}/missing`;
    const err = await g.session.uploadPath(sourceTree(), dest).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransferError);
    expect((err as Error).message).toMatch(new RegExp(`destination ${dest} does not exist on the guest: for a directory upload it must already exist .*mkdir -p`));
  });

  it('uploads a file to a path, into a directory given with a slash, and into an existing directory', async () => {
    const g = await guest(mode);
    const src = sourceTree();
    const dest = guestDir(g, 'dest');
    const a = await g.session.uploadPath(path.join(src, 'run.sh'), `${dest}/renamed.sh`);
    const b = await g.session.uploadPath(path.join(src, 'secret key'), `${dest}/`);
    const c = await g.session.uploadPath(path.join(src, 'conf.d', 'a.conf'), dest);
    expect([a.target, b.target, c.target]).toEqual([`${dest}/renamed.sh`, `${dest}/secret key`, `${dest}/a.conf`]);
    expect(a).toMatchObject({method: mode, files: 1, dirs: 0, bytes: 19});
    expect(listing(g.at(dest))).toEqual({'.': '755 dir', 'a.conf': '644 a=1\n', 'renamed.sh': '755 #!/bin/sh\necho run\n', 'secret key': '600 hush\n'});
  });

  it('says so when a file upload has no parent directory to go into', async () => {
    const g = await guest(mode);
    const src = sourceTree();
    const target = `${guestDir(g, 'dest')}/no/such/dir/file`;
    await expect(g.session.uploadPath(path.join(src, 'run.sh'), target)).rejects.toThrow(mode === 'sftp' ? /cannot create .*\/no\/such\/dir\/file on the guest: .*does not create parent directories/ : /upload to .*\/no\/such\/dir\/file via exec cat failed \(exit \d+\)/);
  });

  it('stops with an AbortError when aborted, and the session still works afterwards', async () => {
    const g = await guest(mode);
    const dest = guestDir(g, 'dest');
    const stop = new AbortController();
    const err = await g.session.uploadPath(sourceTree(), dest, {signal: stop.signal, onPlan: () => stop.abort()}).catch((e: unknown) => e);
    expect((err as Error).name).toBe('AbortError');
    const r = await g.session.exec('echo still here', {onStdout: () => undefined});
    expect(r.exitCode).toBe(0);
  });
});

describe.each(['sftp', 'exec'] as const)('downloadPath via %s', (mode) => {
  it('downloads a file whose size the kernel reports as 0 (/proc/version), keeping its mode', async () => {
    const g = await guest(mode);
    // The SFTP guest's /proc is the host's: stat says 0 bytes, reading gives the text.
    if (mode === 'sftp') symlinkSync('/proc', g.at('/proc'));
    expect(statSync('/proc/version').size).toBe(0);
    const dir = fresh('local');
    const r = await g.session.downloadPath('/proc/version', `${dir}/`);
    expect(r).toMatchObject({method: mode, target: path.join(dir, 'version'), files: 1});
    expect(readFileSync(path.join(dir, 'version'), 'utf8')).toBe(readFileSync('/proc/version', 'utf8'));
    expect(readFileSync(path.join(dir, 'version'), 'utf8')).toMatch(/^Linux version /);
  });

  it('downloads a directory with and without a trailing slash, creating the local destination', async () => {
    const g = await guest(mode);
    const dest = guestDir(g, 'tree');
    await g.session.uploadPath(sourceTree(), dest);
    const local = path.join(fresh('local'), 'not', 'yet');
    const named = await g.session.downloadPath(`${dest}/app`, local);
    expect(named).toMatchObject({method: mode, target: path.join(local, 'app'), files: 6, dirs: 5});
    expect(listing(path.join(local, 'app'))).toEqual(expectedApp());
    const local2 = fresh('local2');
    chmodSync(local2, 0o700);
    const contents = await g.session.downloadPath(`${dest}/app/`, local2);
    expect(contents.target).toBe(local2);
    expect(listing(local2)).toEqual(expectedApp('700'));
  });

  it('names a missing remote path', async () => {
    const g = await guest(mode);
    const missing = `${guestDir(g, 'x')}/nothing-here`;
    await expect(g.session.downloadPath(missing, fresh('local'))).rejects.toThrow(`${missing} does not exist on the guest`);
  });
});

describe('exec fallback without tar on the guest', () => {
  // /bin/sh with an empty PATH: shell builtins work, tar (and ls) are "not found".
  const noTools: FakeExecHandler = (exec, server) => hostShell({...exec, command: `PATH=/nonexistent; ${exec.command}`}, server);

  it('explains that a directory cannot be copied without SFTP or tar', async () => {
    const g = await guest('exec', noTools);
    const dest = fresh('dest');
    await expect(g.session.uploadPath(sourceTree(), dest)).rejects.toThrow(/the guest has no SFTP server and no tar, so a directory upload is not possible/);
    await expect(g.session.downloadPath(dest, fresh('local'))).rejects.toThrow(/no SFTP server and no tar, so a directory download is not possible/);
  });
});

describe('parseLsMode', () => {
  it.each([
    ['-rw-r--r--', 0o644],
    ['drwxr-xr-x', 0o755],
    ['drwxrwxrwt', 0o1777],
    ['-rwsr-x--T', 0o5750],
    ['-rwSr-Sr-x', 0o6645],
    ['lrwxrwxrwx', 0o777],
    ['total', undefined],
    ['', undefined],
  ])('%s → %s', (s, mode) => expect(parseLsMode(s)).toBe(mode));
});
