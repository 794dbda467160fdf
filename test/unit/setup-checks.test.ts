import {chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {afterAll, describe, expect, it} from 'vitest';
import {accelCheck, allChecks, ansibleCheck, cacheDiskCheck, installCommand, outputDiskCheck, parseVersion, qemuImgCheck, qemuSystemCheck, sshKeyCheck, xorrisoCheck} from '../../src/setup/checks.js';
import {realCheckContext} from '../../src/setup/context.js';
import {formatCheck} from '../../src/setup/format.js';
import {runChecks, type CheckUpdate} from '../../src/setup/runner.js';
import {generateSshKey} from '../../src/setup/ssh-key.js';
import type {Check, CheckContext, CommandOutcome} from '../../src/setup/types.js';

const GiB = 1024 ** 3;
const QEMU_72 = 'QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)\nCopyright (c) 2003-2022 Fabrice Bellard';

/** A host described by a table: command → outcome (missing = not found). */
function fakeContext(over: Partial<CheckContext> = {}, commands: Record<string, Partial<CommandOutcome>> = {}): CheckContext & {calls: string[]} {
  const calls: string[] = [];
  return {
    calls,
    run: async (file, args) => {
      calls.push([file, ...args].join(' '));
      const c = commands[file];
      if (!c) return {stdout: '', stderr: '', notFound: true, timedOut: false};
      return {exitCode: 0, stdout: '', stderr: '', notFound: false, timedOut: false, ...c};
    },
    probeAccel: async () => ({accel: 'kvm', reason: 'KVM guest ran the probe workload in 120 ms'}),
    freeBytes: async (dir) => ({bytes: 100 * GiB, probed: dir}),
    isRoot: false,
    packageManager: 'apt',
    qemuBinary: 'qemu-system-x86_64',
    cacheDir: '/c',
    outputDir: '/o',
    profiles: [],
    brokenProfiles: [],
    user: 'alice',
    ...over,
  };
}

const run = async (check: Check, ctx: CheckContext) => (await runChecks([check], ctx))[0]!;

describe('setup checks (fake host)', () => {
  it('missing QEMU fails with the exact install command (sudo when not root)', async () => {
    const ctx = fakeContext();
    expect(await run(qemuSystemCheck, ctx)).toEqual({
      id: 'qemu-system',
      title: 'QEMU (qemu-system-x86_64)',
      status: 'fail',
      detail: 'qemu-system-x86_64 not found on PATH',
      fix: 'sudo apt-get install qemu-system-x86',
    });
    expect(await run(qemuImgCheck, ctx)).toMatchObject({status: 'fail', fix: 'sudo apt-get install qemu-utils'});
    expect(await run(qemuImgCheck, fakeContext({isRoot: true}))).toMatchObject({fix: 'apt-get install qemu-utils'});
    expect(await run(qemuImgCheck, fakeContext({packageManager: 'dnf'}))).toMatchObject({fix: 'sudo dnf install qemu-img'});
    expect(ctx.calls).toContain('qemu-system-x86_64 --version');
    expect(installCommand({isRoot: false, packageManager: 'apt'}, ['qemu-system', 'qemu-img'])).toBe('sudo apt-get install qemu-system-x86 qemu-utils');
  });

  it('reports the version; an old QEMU is a warning with the upgrade command', async () => {
    const ok = await run(qemuSystemCheck, fakeContext({}, {'qemu-system-x86_64': {stdout: QEMU_72}}));
    expect(ok).toMatchObject({status: 'ok', detail: 'QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)'});
    const old = await run(qemuImgCheck, fakeContext({}, {'qemu-img': {stdout: 'qemu-img version 4.2.1 (Debian 1:4.2-3ubuntu6)'}}));
    expect(old).toMatchObject({
      status: 'warn',
      detail: 'qemu-img 4.2.1 is older than 5.0, the oldest QEMU vmbench supports',
      fix: 'sudo apt-get install --only-upgrade qemu-utils',
    });
    const broken = await run(qemuImgCheck, fakeContext({}, {'qemu-img': {exitCode: 127, stderr: 'error while loading shared libraries: libfoo.so'}}));
    expect(broken).toMatchObject({status: 'fail', detail: 'qemu-img --version failed (exit 127): error while loading shared libraries: libfoo.so'});
    expect(parseVersion('QEMU emulator version 8.1')).toEqual({parts: [8, 1, 0], text: '8.1'});
  });

  it('KVM unusable → warn "TCG, slower", with a fix only when there is one', async () => {
    const slow = await run(accelCheck, fakeContext({probeAccel: async () => ({accel: 'tcg', reason: 'the kvm guest did not finish 20 M loop iterations within 4000 ms'})}));
    expect(slow).toEqual({
      id: 'accel',
      title: 'Accelerator (KVM probe)',
      status: 'warn',
      detail: 'TCG, slower — KVM unusable: the kvm guest did not finish 20 M loop iterations within 4000 ms',
      fix: undefined,
    });
    const perms = await run(accelCheck, fakeContext({probeAccel: async () => ({accel: 'tcg', reason: '/dev/kvm not accessible read/write (add the user to the kvm group)'})}));
    expect(perms.fix).toBe('sudo usermod -aG kvm alice   # then log in again');
    const none = await run(accelCheck, fakeContext({probeAccel: async () => ({accel: 'tcg', reason: 'no /dev/kvm (KVM module not loaded, or no hardware virtualisation)'})}));
    expect(none.fix).toBe('sudo modprobe kvm_intel || sudo modprobe kvm_amd');
    expect(await run(accelCheck, fakeContext())).toMatchObject({status: 'ok', detail: 'KVM works (KVM guest ran the probe workload in 120 ms)'});
  });

  it('low disk space → warn under 10 GiB, fail under 1 GiB, naming the directory', async () => {
    const low = fakeContext({freeBytes: async () => ({bytes: 3.5 * GiB, probed: '/c'})});
    expect(await run(cacheDiskCheck, low)).toMatchObject({
      status: 'warn',
      detail: '3.5 GiB free at /c (under 10 GiB: disk images and ISOs may not fit)',
      fix: 'vmbench setup --set cacheDir=DIR   # DIR: a disk with 10 GiB+ free',
    });
    const full = fakeContext({freeBytes: async () => ({bytes: 0.2 * GiB, probed: '/'})});
    expect(await run(outputDiskCheck, full)).toMatchObject({status: 'fail', detail: 'only 0.2 GiB free at /o (not created yet; checked /)'});
    expect(await run(outputDiskCheck, fakeContext())).toMatchObject({status: 'ok', detail: '100 GiB free at /o'});
  });

  it('optional tools are checked only for the profiles that need them', async () => {
    expect(await run(xorrisoCheck, fakeContext())).toMatchObject({status: 'skip'});
    expect(await run(ansibleCheck, fakeContext())).toMatchObject({status: 'skip'});
    const profiles = [
      {name: 'tiny', xorriso: true, ansible: []},
      {name: 'web', xorriso: false, ansible: ['ansible-playbook']},
    ];
    const missing = fakeContext({profiles});
    expect(await run(xorrisoCheck, missing)).toMatchObject({status: 'warn', detail: 'xorriso not found; needed by tiny (iso_build)', fix: 'sudo apt-get install xorriso'});
    expect(await run(ansibleCheck, missing)).toMatchObject({status: 'warn', detail: 'ansible-playbook not found; needed by web', fix: 'sudo apt-get install ansible-core'});
    const present = fakeContext({profiles}, {xorriso: {stdout: 'xorriso 1.5.4 : RockRidge filesystem manipulator'}, 'ansible-playbook': {stdout: 'ansible-playbook [core 2.14.18]'}});
    expect(await run(xorrisoCheck, present)).toMatchObject({status: 'ok', detail: 'xorriso 1.5.4 (for tiny)'});
    expect(await run(ansibleCheck, present)).toMatchObject({status: 'ok', detail: 'ansible-playbook [core 2.14.18] (for web)'});
  });

  it('a check that hangs is stopped at its limit and reported; its signal fires', async () => {
    let aborted = false;
    const hang: Check = {
      id: 'hang',
      title: 'Hangs',
      timeoutMs: 50,
      run: (_ctx, signal) => new Promise((_, reject) => signal.addEventListener('abort', () => ((aborted = true), reject(signal.reason)))),
    };
    const crash: Check = {id: 'crash', title: 'Crashes', run: async () => Promise.reject(new Error('boom'))};
    const updates: CheckUpdate[] = [];
    const results = await runChecks([hang, crash], fakeContext(), (u) => updates.push(u));
    expect(results).toEqual([
      {id: 'hang', title: 'Hangs', status: 'fail', detail: 'did not finish within 50 ms (stopped)'},
      {id: 'crash', title: 'Crashes', status: 'fail', detail: 'check crashed: boom'},
    ]);
    expect(aborted).toBe(true);
    expect(updates.filter((u) => u.status === 'running').map((u) => u.id)).toEqual(['hang', 'crash']);
  });

  it('formats a check for plain output', () => {
    expect(formatCheck({id: 'x', title: 'qemu-img', status: 'fail', detail: 'qemu-img not found on PATH', fix: 'sudo apt-get install qemu-utils'})).toEqual([
      '[FAIL] qemu-img: qemu-img not found on PATH',
      '       fix: sudo apt-get install qemu-utils',
    ]);
  });
});

describe('ssh key', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vmbench-sshkey-'));
  afterAll(() => rmSync(dir, {recursive: true, force: true}));

  it('creates an ed25519 pair (0600 private) and never overwrites an existing key', async () => {
    const file = path.join(dir, 'sub', 'id_vmbench');
    const made = generateSshKey(file, 'test@host');
    expect(made.status).toBe('created');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
    const priv = readFileSync(file, 'utf8');
    expect(priv).toMatch(/^-----BEGIN OPENSSH PRIVATE KEY-----/);
    expect(readFileSync(`${file}.pub`, 'utf8')).toMatch(/^ssh-ed25519 AAAA\S+ test@host\n$/);

    expect(generateSshKey(file)).toMatchObject({status: 'exists'});
    expect(readFileSync(file, 'utf8')).toBe(priv);
    // A lone .pub also blocks: the pair must stay a pair.
    writeFileSync(path.join(dir, 'lone.pub'), 'x');
    expect(generateSshKey(path.join(dir, 'lone'))).toMatchObject({status: 'exists'});

    expect(await run(sshKeyCheck(file), fakeContext())).toMatchObject({status: 'ok'});
    chmodSync(file, 0o644);
    expect(await run(sshKeyCheck(file), fakeContext())).toMatchObject({status: 'warn', fix: `chmod 600 ${file}`});
    expect(await run(sshKeyCheck(undefined), fakeContext())).toMatchObject({status: 'skip'});
  });
});

describe('setup checks on this machine (real QEMU, real KVM probe)', () => {
  it('reports the installed QEMU version and an honest accelerator verdict, within the limits', async () => {
    const real = (await import('execa')).execa;
    const version = (await real('qemu-system-x86_64', ['--version'])).stdout.split('\n')[0]!;
    expect(version).toMatch(/^QEMU emulator version \d+\.\d+/);
    const ctx = realCheckContext({cacheDir: os.tmpdir()});
    const started = Date.now();
    const results = await runChecks(allChecks(), ctx);
    const byId = Object.fromEntries(results.map((r) => [r.id, r]));
    expect(byId['qemu-system']).toMatchObject({status: 'ok', detail: version});
    expect(byId['qemu-img']!.detail).toMatch(/^qemu-img version \d+\.\d+/);
    expect(byId['qemu-img']!.status).toBe('ok');
    // Whatever this host's KVM does, the check says which accelerator builds will use.
    const accel = byId.accel!;
    if (accel.status === 'ok') expect(accel.detail).toMatch(/^KVM works/);
    else expect(accel).toMatchObject({status: 'warn', detail: expect.stringMatching(/^TCG, slower — KVM unusable: /)});
    expect(byId['disk-cache']!.detail).toContain(os.tmpdir());
    // The built-in tiny profile builds its ISO with xorriso (installed by scripts/setup.sh).
    expect(byId.xorriso).toMatchObject({status: 'ok', detail: expect.stringMatching(/^xorriso \d/)});
    expect(Date.now() - started).toBeLessThan(20_000);
  }, 30_000);
});

describe('vmbench setup through the built CLI (no terminal)', () => {
  const ROOT = path.resolve(import.meta.dirname, '..', '..');
  const BIN = path.join(ROOT, 'bin', 'vmbench');
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'vmbench-setup-cli-'));
  afterAll(() => rmSync(tmp, {recursive: true, force: true}));
  const cli = async (args: string[], env: Record<string, string> = {}) => {
    if (!existsSync(path.join(ROOT, 'dist', 'cli', 'setup-command.js'))) throw new Error('dist/ is missing or stale: run `npm run build` (npm test does it)');
    const {execa} = await import('execa');
    // HOME too: nothing of the real user's (~/.ssh, caches) is touched.
    return execa('node', [BIN, ...args], {reject: false, stdin: 'ignore', env: {CI: 'true', HOME: tmp, XDG_CONFIG_HOME: path.join(tmp, 'cfg'), XDG_CACHE_HOME: path.join(tmp, 'cache'), XDG_STATE_HOME: path.join(tmp, 'state'), ...env}});
  };
  const file = path.join(tmp, 'cfg', 'vmbench-nodejs', 'config.json');

  it('--yes prints every check with its status and saves the defaults in a 0600 file', async () => {
    const r = await cli(['setup', '--yes']);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    const version = (await (await import('execa')).execa('qemu-img', ['--version'])).stdout.split('\n')[0]!;
    expect(r.stdout).toContain(`[  ok] qemu-img: ${version}`);
    expect(r.stdout).toMatch(/^\[  ok\] QEMU \(qemu-system-x86_64\): QEMU emulator version \d+\.\d+/m);
    expect(r.stdout).toMatch(/^\[(  ok|warn)\] Accelerator \(KVM probe\): (KVM works|TCG, slower — KVM unusable: )/m);
    expect(r.stdout).toMatch(/^\[(  ok|warn|FAIL)\] Free space: cache: .* free at /m);
    expect(r.stdout).toMatch(/^checks: \d+ ok, \d+ warnings?, 0 failed, \d+ skipped$/m);
    expect(r.stdout).toContain(`settings saved to ${file} (mode 600):`);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({memory: 512, cpus: 1, setupVersion: 1});
  }, 30_000);

  it('--set edits one setting (validated, naming the key); --ssh-key makes a key without overwriting', async () => {
    const bad = await cli(['setup', '--set', 'cpus=99']);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toBe('vmbench: --set cpus: must be at most 64 (got 99)');
    const ok = await cli(['setup', '--set', 'memory=2G', '--set', 'vnc-port-max=5999']);
    expect(ok.exitCode).toBe(0);
    expect(ok.stdout).toContain('  memory: 512 → 2048\n  vncPortMax: 6000 → 5999');
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({memory: 2048, vncPortMax: 5999, setupVersion: 1});

    const key = await cli(['setup', '--ssh-key']);
    expect(key.exitCode).toBe(0);
    const keyFile = path.join(tmp, '.ssh', 'vmbench_ed25519');
    expect(key.stdout).toContain(`ssh key: created ${keyFile} (mode 600)`);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    const again = await cli(['setup', '--ssh-key']);
    expect(again.stdout).toContain('already exist');
    expect(JSON.parse(readFileSync(file, 'utf8')).sshKeyFile).toBe(keyFile);
  }, 30_000);

  it('without a terminal and without --yes: shows checks and settings, saves nothing, says how', async () => {
    const r = await cli(['setup'], {XDG_CONFIG_HOME: path.join(tmp, 'other')});
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('not saved. Accept these with:  vmbench setup --yes');
    expect(r.stdout).toContain('vmbench setup --set memory=2048');
    expect(existsSync(path.join(tmp, 'other'))).toBe(false);
  }, 30_000);
});
