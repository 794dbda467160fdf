/**
 * The ansible provisioner against a fake `ansible-playbook` (a node script on PATH that records
 * its arguments, environment, inventory, extra-vars file and key file, then prints and exits as
 * told). The real ansible against a real guest is in test/e2e/provisioners-real.test.ts.
 */
import {chmodSync, existsSync, readFileSync, readdirSync, statSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {afterAll, describe, expect, it} from 'vitest';
import {runAnsible, inventoryText, sanitizeArgs} from '../../src/engine/steps/provisioners/ansible.js';
import type {BuildState} from '../../src/engine/state.js';
import {StepError, type StepContext} from '../../src/engine/step.js';
import {parseProfile, ProfileError} from '../../src/profiles/loader.js';
import type {AnsibleProvisioner} from '../../src/profiles/schema.js';
import {generateKeyPair, type SshSession} from '../../src/ssh/index.js';
import {processAlive} from '../../src/util/process.js';
import {scratchDirs} from '../support/scratch.js';

const fresh = scratchDirs('vmbench-ansible-test-');

const KEY = generateKeyPair('ansible-test');
const PASSWORD = 'pw-never-logged-9431';

/** What the fake ansible-playbook saw. */
interface Seen {
  args: string[];
  env: Record<string, string>;
  cwd: string;
  inventory: string;
  inventoryMode: number;
  inventoryPath: string;
  vars: Record<string, string>;
  varsMode: number;
  varFiles: {file: string; vars: Record<string, string>; mode: number}[];
  key?: string;
  keyMode?: number;
}

/** A bin directory with a fake ansible-playbook (and optionally sshpass). */
function fakeBin(opts: {sshpass?: boolean} = {}): string {
  const bin = fresh('bin');
  writeFileSync(
    path.join(bin, 'ansible-playbook'),
    `#!${process.execPath}
const fs = require('node:fs');
const args = process.argv.slice(2);
const inv = args[args.indexOf('-i') + 1];
// Every -e @file, as ansible reads them; the last one is vmbench's own credentials file.
const files = args.filter((a) => a.startsWith('@')).map((a) => a.slice(1));
const varFiles = files.map((f) => ({file: f, vars: JSON.parse(fs.readFileSync(f, 'utf8')), mode: fs.statSync(f).mode & 0o777}));
const varsFile = files.find((f) => f.endsWith('/vars.json'));
const vars = JSON.parse(fs.readFileSync(varsFile, 'utf8'));
const seen = {args, env: process.env, cwd: process.cwd(), inventory: fs.readFileSync(inv, 'utf8'), inventoryMode: fs.statSync(inv).mode & 0o777, inventoryPath: inv, vars, varsMode: fs.statSync(varsFile).mode & 0o777, varFiles};
if (process.env.FAKE_ECHO) console.log('become password is ' + process.env.FAKE_ECHO);
const keyFile = vars.ansible_ssh_private_key_file;
if (keyFile) Object.assign(seen, {key: fs.readFileSync(keyFile, 'utf8'), keyMode: fs.statSync(keyFile).mode & 0o777});
fs.writeFileSync(process.env.FAKE_OUT + '/seen.json', JSON.stringify(seen));
console.log('PLAY [default] ****');
console.log('BEGIN{fake}');
console.error('[WARNING]: a warning on stderr');
process.stdout.write('no newline at the end');
if (process.env.FAKE_HANG) {
  // A grandchild in the same process group, like the ssh ansible spawns.
  const kid = require('node:child_process').spawn('sleep', ['1000'], {stdio: 'ignore'});
  fs.writeFileSync(process.env.FAKE_OUT + '/pids', process.pid + ' ' + kid.pid);
  console.log('\\nstarted');
  setInterval(() => {}, 1000);
} else process.exitCode = Number(process.env.FAKE_EXIT || 0);
`,
  );
  chmodSync(path.join(bin, 'ansible-playbook'), 0o755);
  if (opts.sshpass) {
    writeFileSync(path.join(bin, 'sshpass'), '#!/bin/sh\nexit 0\n');
    chmodSync(path.join(bin, 'sshpass'), 0o755);
  }
  return bin;
}

interface Run {
  ctx: StepContext<BuildState>;
  logs: string[];
  out: string;
  workDir: string;
  p: AnsibleProvisioner;
  abort: AbortController;
}

/** A profile with one ansible provisioner (given as YAML lines), parsed by the real loader. */
function setup(provisionerYaml: string, o: {bin?: string; password?: boolean; key?: boolean; env?: Record<string, string>; profileExtra?: string} = {}): Run {
  const profileDir = fresh('profile');
  writeFileSync(path.join(profileDir, 'site.yml'), '- hosts: default\n  gather_facts: false\n  tasks: []\n');
  const yaml = `iso_url: /x.iso\nssh_username: builder\n${o.password ? `ssh_password: ${PASSWORD}\n` : ''}${o.profileExtra ?? ''}provisioners:\n  - type: ansible\n${provisionerYaml}`;
  const profile = parseProfile(yaml, path.join(profileDir, 'profile.yaml'), 'demo');
  const out = fresh('out');
  const workDir = fresh('work');
  const abort = new AbortController();
  const logs: string[] = [];
  const state = {
    id: 'b1',
    profile,
    profileDir,
    options: {force: false, cacheDir: workDir, logDir: '', env: {PATH: `${o.bin ?? fakeBin()}:${process.env.PATH}`, FAKE_OUT: out, HOME: process.env.HOME ?? '/root', ...o.env}},
    outputDir: path.join(workDir, 'output'),
    workDir,
    sshHostPort: 2345,
    sshKey: o.key === false ? undefined : KEY,
    ssh: {} as SshSession, // connected: the provisioner only checks that the guest answers
    http: {server: {} as never, guestIp: '10.0.2.2', port: 8123},
    artifacts: [],
  } as unknown as BuildState;
  const ctx: StepContext<BuildState> = {
    state,
    signal: abort.signal,
    stepId: 'provision',
    log: (source, stream, line) => logs.push(`${source}/${stream}: ${line}`),
    progress: () => undefined,
    emit: () => undefined,
    checkpoint: async () => undefined,
  };
  return {ctx, logs, out, workDir, p: profile.provisioners[0] as AnsibleProvisioner, abort};
}

const seen = (r: Run): Seen => JSON.parse(readFileSync(path.join(r.out, 'seen.json'), 'utf8')) as Seen;

describe('ansible provisioner', () => {
  it('runs ansible-playbook with Packer-style arguments, a private inventory and key, and streams its output', async () => {
    const r = setup(`    playbook_file: site.yml
    extra_arguments: ["-v", "--tags", "web"]
    ansible_env_vars: ["ANSIBLE_STDOUT_CALLBACK=minimal", "ANSIBLE_NOCOLOR=0"]
    groups: [web, db]
`);
    await runAnsible(r.ctx, r.p);
    const s = seen(r);
    const playbook = path.join(r.ctx.state.profileDir, 'site.yml');
    // Packer's variables come first (extra_arguments may override them), from a private file.
    expect(s.args.slice(0, 2)).toEqual(['-e', expect.stringMatching(/^@.*vmbench-ansible-.*\/packer-vars\.json$/)]);
    expect(s.varFiles[0]).toEqual({file: s.args[1]!.slice(1), vars: {packer_build_name: 'demo', packer_builder_type: 'qemu', packer_http_addr: '10.0.2.2:8123'}, mode: 0o600});
    expect(s.args.slice(2, 5)).toEqual(['-v', '--tags', 'web']);
    expect(s.args.slice(5)).toEqual(['-e', expect.stringMatching(/^@.*vars\.json$/), '-i', s.inventoryPath, playbook]);
    expect(s.cwd).toBe(r.ctx.state.profileDir);
    // The inventory: in the work dir, 0600, Packer's layout, the key but no secret.
    expect(path.dirname(s.inventoryPath)).toBe(r.workDir);
    expect(s.inventoryMode).toBe(0o600);
    const keyPath = s.vars.ansible_ssh_private_key_file!;
    const host = `default ansible_host=127.0.0.1 ansible_port=2345 ansible_user=builder ansible_ssh_private_key_file=${keyPath}\n`;
    expect(s.inventory).toBe(`${host}[web]\n${host}[db]\n${host}`);
    expect(s.key).toBe(KEY.privateKey.endsWith('\n') ? KEY.privateKey : `${KEY.privateKey}\n`);
    expect([s.keyMode, s.varsMode]).toEqual([0o600, 0o600]);
    expect(s.vars).toEqual({ansible_ssh_private_key_file: keyPath});
    // Environment: vmbench's settings, then the profile's ansible_env_vars (which win).
    expect(s.env).toMatchObject({
      ANSIBLE_HOST_KEY_CHECKING: 'False',
      ANSIBLE_RETRY_FILES_ENABLED: 'False',
      ANSIBLE_STDOUT_CALLBACK: 'minimal',
      ANSIBLE_NOCOLOR: '0',
      ANSIBLE_SSH_COMMON_ARGS: '-o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o IdentitiesOnly=yes',
    });
    expect(s.env.ANSIBLE_LOCAL_TEMP).toMatch(/vmbench-ansible-.*\/tmp$/);
    expect(s.env.ANSIBLE_SSH_CONTROL_PATH_DIR).toMatch(/vmbench-ansible-.*\/cp$/);
    // Output: each line as it came, stdout and stderr apart, the last partial line too.
    expect(r.logs).toEqual(
      expect.arrayContaining([
        'provisioner/stdout: PLAY [default] ****',
        'provisioner/stdout: BEGIN{fake}',
        'provisioner/stderr: [WARNING]: a warning on stderr',
        'provisioner/stdout: no newline at the end',
        expect.stringMatching(/^vmbench\/info: ansible: ansible-playbook site\.yml done in /),
      ]),
    );
    // Nothing left behind: no inventory, no key, no private directory.
    expect(existsSync(s.inventoryPath)).toBe(false);
    expect(existsSync(keyPath)).toBe(false);
    expect(existsSync(path.dirname(keyPath))).toBe(false);
    expect(readdirSync(r.workDir)).toEqual([]);
  });

  it('uses ssh_username unless user is set, and a custom host alias', async () => {
    const r = setup(`    playbook_file: site.yml\n    user: deploy\n    host_alias: tiny-vm\n`);
    await runAnsible(r.ctx, r.p);
    expect(seen(r).inventory).toMatch(/^tiny-vm ansible_host=127\.0\.0\.1 ansible_port=2345 ansible_user=deploy /);
  });

  it('moves password extra vars off the command line into a private file, and hides them in every line', async () => {
    const r = setup(`    playbook_file: site.yml\n    extra_arguments: ["-e", "ansible_become_pass=${PASSWORD} app=web", "--extra-vars", "x=1"]\n`, {env: {FAKE_ECHO: PASSWORD}});
    await runAnsible(r.ctx, r.p);
    const s = seen(r);
    expect(s.args.slice(2, 6)).toEqual(['-e', expect.stringMatching(/^@.*vmbench-ansible-.*\/extra-vars-1\.json$/), '--extra-vars', 'x=1']);
    expect(s.varFiles[1]).toEqual({file: s.args[3]!.slice(1), vars: {ansible_become_pass: PASSWORD, app: 'web'}, mode: 0o600});
    expect(s.args.join(' ')).not.toContain(PASSWORD);
    // ansible said it back (as -vvv can): hidden too.
    expect(r.logs).toContain('provisioner/stdout: become password is <sensitive>');
    expect(r.logs.join('\n')).not.toContain(PASSWORD);
    expect(existsSync(s.varFiles[1]!.file)).toBe(false);
  });

  it('keeps the inventory when asked (it holds no secret)', async () => {
    const r = setup(`    playbook_file: site.yml\n    keep_inventory_file: true\n`, {password: true, bin: fakeBin({sshpass: true})});
    await runAnsible(r.ctx, r.p);
    const s = seen(r);
    expect(readFileSync(s.inventoryPath, 'utf8')).toBe(s.inventory);
    expect(s.inventory).not.toContain(PASSWORD);
    expect(r.logs).toContainEqual(`vmbench/info: ansible: kept the inventory ${s.inventoryPath}`);
  });

  it('offers ssh_password after the key through sshpass, never in the inventory, arguments or logs', async () => {
    const r = setup(`    playbook_file: site.yml\n`, {password: true, bin: fakeBin({sshpass: true})});
    await runAnsible(r.ctx, r.p);
    const s = seen(r);
    expect(s.vars).toEqual({ansible_ssh_private_key_file: expect.any(String), ansible_password: PASSWORD});
    expect(s.inventory + s.args.join(' ') + r.logs.join('\n')).not.toContain(PASSWORD);
    expect(r.logs.join('\n')).toContain('key then password');
  });

  it('logs in with the password alone when there is no key (sshpass installed)', async () => {
    const r = setup(`    playbook_file: site.yml\n`, {password: true, key: false, bin: fakeBin({sshpass: true})});
    await runAnsible(r.ctx, r.p);
    const s = seen(r);
    expect(s.vars).toEqual({ansible_password: PASSWORD});
    expect(s.inventory).not.toContain('private_key');
    expect(s.env.ANSIBLE_SSH_COMMON_ARGS).not.toContain('IdentitiesOnly');
  });

  it('asks for sshpass when only a password is available', async () => {
    const r = setup(`    playbook_file: site.yml\n`, {password: true, key: false});
    const err = (await runAnsible(r.ctx, r.p).catch((e: unknown) => e)) as StepError;
    expect(err).toBeInstanceOf(StepError);
    expect(err.message).toMatch(/profile\.yaml:\d+:\d+: ansible can only log in with ssh_password through sshpass/);
    expect(err.hint).toContain('apt-get install sshpass');
    expect(existsSync(path.join(r.out, 'seen.json'))).toBe(false);
  });

  it('fails with the exit code and where the provisioner is defined', async () => {
    const r = setup(`    playbook_file: site.yml\n`, {env: {FAKE_EXIT: '2'}});
    const err = (await runAnsible(r.ctx, r.p).catch((e: unknown) => e)) as StepError;
    expect(err).toBeInstanceOf(StepError);
    expect(err.message).toMatch(new RegExp(`^${r.p.source.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: ansible-playbook site\\.yml exited with code 2 after`));
    expect(r.p.source).toMatch(/profile\.yaml:4:5$/);
    expect(readdirSync(r.workDir)).toEqual([]); // cleaned up on failure too
  });

  it('says how to install ansible when the command is missing', async () => {
    const r = setup(`    playbook_file: site.yml\n`, {bin: fresh('empty-bin'), env: {PATH: fresh('empty-bin')}});
    const err = (await runAnsible(r.ctx, r.p).catch((e: unknown) => e)) as StepError;
    expect(err.message).toMatch(/: ansible-playbook not found on PATH/);
    expect(err.hint).toBe('install it: apt-get install ansible-core');
  });

  it('names the missing playbook with the profile location', async () => {
    const r = setup(`    playbook_file: nope.yml\n`);
    await expect(runAnsible(r.ctx, r.p)).rejects.toThrow(new RegExp(`profile\\.yaml:4:5: playbook_file .*/nope\\.yml: no such file`));
  });

  it('cancelling kills ansible and what it spawned, and cleans up', async () => {
    const r = setup(`    playbook_file: site.yml\n`, {env: {FAKE_HANG: '1'}});
    const started = new Promise<void>((resolve) => {
      const log = r.ctx.log;
      (r.ctx as {log: typeof log}).log = (source, stream, line) => {
        log(source, stream, line);
        if (line === 'started') resolve();
      };
    });
    const run = runAnsible(r.ctx, r.p).catch((e: unknown) => e);
    await started;
    const [pid, kid] = readFileSync(path.join(r.out, 'pids'), 'utf8').split(' ').map(Number) as [number, number];
    expect(processAlive(pid) && processAlive(kid)).toBe(true);
    const reason = new DOMException('cancelled by test', 'AbortError');
    r.abort.abort(reason);
    expect(await run).toBe(reason);
    const deadline = Date.now() + 5000;
    while ((processAlive(pid) || processAlive(kid)) && Date.now() < deadline) await new Promise((res) => setTimeout(res, 50));
    expect([processAlive(pid), processAlive(kid)]).toEqual([false, false]);
    expect(readdirSync(r.workDir)).toEqual([]);
  });
});

describe('ansible provisioner pure helpers', () => {
  it('quotes inventory values that need it', () => {
    expect(inventoryText('vm', {ansible_host: '127.0.0.1', ansible_port: 22, ansible_ssh_private_key_file: "/tmp/with space/it's"}, ['g'])).toBe(
      `vm ansible_host=127.0.0.1 ansible_port=22 ansible_ssh_private_key_file='/tmp/with space/it'"'"'s'\n[g]\nvm ansible_host=127.0.0.1 ansible_port=22 ansible_ssh_private_key_file='/tmp/with space/it'"'"'s'\n`,
    );
  });

  it('hides password-like values in the logged command line', () => {
    expect(sanitizeArgs(['-e', 'db_password=hunter2', '-e', 'x=1', '--vault-password-file', 'f', 'api_token=abc'])).toEqual([
      '-e',
      'db_password=*****',
      '-e',
      'x=1',
      '--vault-password-file',
      'f',
      'api_token=*****',
    ]);
  });
});

describe('ansible provisioner in profiles', () => {
  const issues = (provisioner: string): string[] => {
    try {
      parseProfile(`iso_url: /x.iso\nssh_username: root\nprovisioners:\n  - type: ansible\n${provisioner}`, 'p.yaml', 'demo');
    } catch (err) {
      if (err instanceof ProfileError) return err.issues.map((i) => `${i.file}:${i.line}:${i.col} ${i.field}: ${i.message}`);
      throw err;
    }
    return [];
  };

  it('applies Packer’s defaults', () => {
    const p = parseProfile(`iso_url: /x.iso\nssh_username: root\nprovisioners:\n  - type: ansible\n    playbook_file: site.yml\n    use_proxy: false\n`, 'p.yaml', 'demo').provisioners[0];
    expect(p).toEqual({
      type: 'ansible',
      playbook_file: 'site.yml',
      extra_arguments: [],
      ansible_env_vars: [],
      groups: [],
      host_alias: 'default',
      command: 'ansible-playbook',
      keep_inventory_file: false,
      source: 'p.yaml:4:5',
    });
  });

  it.each([
    ['no playbook_file', '    extra_arguments: ["-v"]\n', 'p.yaml:4:5 provisioners[0]: an ansible provisioner needs playbook_file'],
    ['a typo, with a suggestion', '    playbook_file: a.yml\n    extra_argument: [-v]\n', 'p.yaml:6:5 provisioners[0].extra_argument: unknown field (did you mean "extra_arguments"?)'],
    ['a wrong type', '    playbook_file: a.yml\n    keep_inventory_file: yes please\n', 'p.yaml:6:26 provisioners[0].keep_inventory_file: expected true or false, got string "yes please"'],
    ['an env var without =', '    playbook_file: a.yml\n    ansible_env_vars: [GOOD=1, BAD]\n', 'p.yaml:6:23 provisioners[0].ansible_env_vars: "BAD" is not NAME=value'],
    ['a host alias with a space', '    playbook_file: a.yml\n    host_alias: my vm\n', 'p.yaml:4:5 provisioners[0]: host_alias "my vm" must be one word (no spaces, brackets, # or =)'],
  ])('reports %s with file:line', (_what, yaml, issue) => {
    expect(issues(yaml)).toEqual([issue]);
  });
});
