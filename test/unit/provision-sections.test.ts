/**
 * The provision step against an in-process SSH server: provisioner output becomes sections
 * (live events, sections.json beside the log), a failing script names the section it failed in,
 * and an expect_disconnect script is followed by a reconnect before the next one.
 */
import {mkdtempSync, readFileSync, existsSync} from 'node:fs';
import {execFileSync} from 'node:child_process';
import {writeFileSync, statSync, chmodSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {afterEach, describe, expect, it} from 'vitest';
import type {BuildEvent} from '../../src/engine/events.js';
import {BuildSections} from '../../src/engine/sections.js';
import type {BuildState} from '../../src/engine/state.js';
import {StepError, type StepContext} from '../../src/engine/step.js';
import {provision} from '../../src/engine/steps/provision.js';
import {clearKeyCommand} from '../../src/engine/steps/clear-keys.js';
import {parseProfile} from '../../src/profiles/loader.js';
import {generateKeyPair, waitForSsh} from '../../src/ssh/index.js';
import {startFakeSshServer, type FakeExecHandler, type FakeSshServer} from '../fakes/fake-ssh-server.js';
import {scratchDirs} from '../support/scratch.js';

const scratch = scratchDirs('vmbench-unit-');

const PASSWORD = 'pw-for-provision-tests';
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

/** Scripts are uploaded, then run as `chmod +x path; VARS path`: answer by the uploaded body. */
function scriptedShell(run: (body: string, exec: Parameters<FakeExecHandler>[0]) => void | Promise<void>): FakeExecHandler {
  return async (exec, server) => {
    const m = / (\/tmp\/script_\w+\.sh)$/.exec(exec.command);
    if (!m) return exec.exit(0); // rm -f and the like
    const body = server.files.get(m[1]!)?.data.toString() ?? '';
    await run(body, exec);
  };
}

async function setup(yaml: string, handler: FakeExecHandler) {
  const server: FakeSshServer = await startFakeSshServer({users: {root: {password: PASSWORD}}, exec: handler});
  cleanups.push(() => server.close());
  const logDir = scratch('t');
  const profile = parseProfile(`iso_url: x.iso\nssh_username: root\nssh_password: ${PASSWORD}\n${yaml}`, 'profile.yaml', 'p');
  const events: BuildEvent[] = [];
  const emit = (e: BuildEvent) => {
    if (e.type === 'log' && e.source === 'provisioner' && (e.stream === 'stdout' || e.stream === 'stderr')) state.sections!.line(e.stream, e.line);
    events.push(e);
  };
  const state = {
    id: 'test',
    profile,
    profileDir: logDir,
    options: {force: false, cacheDir: logDir, logDir, env: {}},
    outputDir: logDir,
    artifacts: [],
    sshHostPort: server.port,
    qemu: {exited: new Promise(() => {})},
  } as unknown as BuildState;
  state.sections = new BuildSections({begin: new RegExp(profile.section_begin), end: new RegExp(profile.section_end)}, (e) => events.push(e));
  state.ssh = await waitForSsh({host: '127.0.0.1', port: server.port, username: 'root', password: PASSWORD}, {timeoutMs: 5000});
  cleanups.push(() => state.ssh?.close());
  const ctx: StepContext<BuildState> = {
    state,
    signal: new AbortController().signal,
    stepId: 'provision',
    log: (source, stream, line) => emit({type: 'log', time: Date.now(), source, stream, line}),
    progress: () => {},
    emit,
    checkpoint: async () => {},
  };
  return {ctx, state, events, logDir, server};
}

/**
 * Plays a script: its `echo` lines to stdout, `echo2` lines to stderr, then its `exit` code.
 * A line is written only once the previous one was sent: stdout and stderr are separate
 * streams on the server side, and a busy machine may otherwise let one overtake the other.
 */
async function play(body: string, exec: Parameters<FakeExecHandler>[0]): Promise<void> {
  for (const m of body.matchAll(/^echo(2?) (.*)$/gm)) {
    (m[1] ? exec.stderr : exec.stdout)(`${m[2]}\n`);
    await new Promise((r) => setTimeout(r, 5));
  }
  exec.exit(Number(/^exit (\d+)$/m.exec(body)?.[1] ?? 0));
}
const SECTIONED: FakeExecHandler = scriptedShell(play);

describe('provision: the inline script', () => {
  it("starts with Packer's #!/bin/sh -e, or the inline_shebang given", async () => {
    const bodies: string[] = [];
    const {ctx} = await setup(
      `provisioners:\n  - type: shell\n    inline: ['echo one']\n  - type: shell\n    inline_shebang: /bin/bash -eux\n    inline: ['echo two']\n`,
      scriptedShell((body, exec) => (bodies.push(body), play(body, exec))),
    );
    await provision.run(ctx);
    expect(bodies).toEqual(['#!/bin/sh -e\necho one\n', '#!/bin/bash -eux\necho two\n']);
  });
});

describe('provision: sections', () => {
  it('emits section events, tags lines with their section, and saves sections.json', async () => {
    const {ctx, events, logDir} = await setup(
      `provisioners:\n  - type: shell\n    inline: ['echo BEGIN{outer}', 'echo BEGIN{inner}', 'echo working', 'echo2 careful', 'echo END{inner}', 'echo END{outer}', 'echo after']\n`,
      SECTIONED,
    );
    await provision.run(ctx);
    const sec = events.filter((e) => e.type === 'section');
    expect(sec.map((e) => `${e.event} ${e.path.join('/')} ${e.status}`)).toEqual(['begin outer open', 'begin outer/inner open', 'end outer/inner ok', 'end outer ok']);
    const doc = JSON.parse(readFileSync(path.join(logDir, 'sections.json'), 'utf8'));
    expect(doc.sections[0].name).toBe('outer');
    expect(doc.sections[0].children[0]).toMatchObject({name: 'inner', status: 'ok', lines: {stdout: 1, stderr: 1}});
    expect(doc.outside.stdout).toBe(1);
    expect(doc.pattern.begin).toContain('BEGIN');
  });

  it('a failing script names the section it failed in, flagged failed in sections.json', async () => {
    const {ctx, logDir} = await setup(
      `provisioners:\n  - type: shell\n    inline: ['echo BEGIN{a}', 'echo END{a}', 'echo BEGIN{b}', 'echo BEGIN{c}', 'echo boom', 'exit 3']\n`,
      SECTIONED,
    );
    const err = await provision.run(ctx).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StepError);
    expect((err as Error).message).toMatch(/exited with code 3 in section b\/c after/);
    const doc = JSON.parse(readFileSync(path.join(logDir, 'sections.json'), 'utf8'));
    expect(doc.sections.map((s: {name: string; status: string}) => `${s.name}:${s.status}`)).toEqual(['a:ok', 'b:incomplete']);
    expect(doc.sections[1].children[0]).toMatchObject({name: 'c', status: 'failed'});
  });

  it('uses the profile’s own marker pattern', async () => {
    const {ctx, events} = await setup(
      `section_begin: '^--- start (?<name>\\w+)$'\nsection_end: '^--- stop (?<name>\\w+)$'\nprovisioners:\n  - type: shell\n    inline: ['echo --- start one', 'echo BEGIN{not-a-marker}', 'echo --- stop one']\n`,
      SECTIONED,
    );
    await provision.run(ctx);
    expect(events.filter((e) => e.type === 'section' && e.event === 'end').map((e) => (e as {name: string}).name)).toEqual(['one']);
  });

  it('rejects a bad marker regex at load time with file:line', () => {
    expect(() => parseProfile('iso_url: x.iso\nsection_begin: "BEGIN{(unclosed"\n', 'p.yaml', 'p')).toThrow(/p\.yaml:2:\d+: section_begin: not a valid regular expression/);
  });
});

describe('provision: disconnects', () => {
  it('reconnects after an expect_disconnect script and runs the next one', {timeout: 15000}, async () => {
    let runs = 0;
    const {ctx, events} = await setup(
      `provisioners:\n  - type: shell\n    inline: ['echo rebooting']\n    expect_disconnect: true\n    start_retry_timeout: 10s\n  - type: shell\n    inline: ['echo back']\n`,
      scriptedShell((body, exec) => {
        runs++;
        if (body.includes('rebooting')) {
          exec.stdout('rebooting\n');
          setTimeout(() => exec.drop(), 50);
        } else return play(body, exec);
      }),
    );
    await provision.run(ctx);
    expect(runs).toBe(2);
    const lines = events.filter((e) => e.type === 'log').map((e) => (e as {line: string}).line);
    expect(lines.some((l) => /connection closed as expected/.test(l))).toBe(true);
    expect(lines.some((l) => /^reconnecting over SSH on 127\.0\.0\.1/.test(l))).toBe(true);
    expect(lines).toContain('back');
  });

  it('a connection lost without expect_disconnect fails, naming the section', async () => {
    const {ctx} = await setup(
      `provisioners:\n  - type: shell\n    inline: ['echo BEGIN{upgrade}']\n`,
      scriptedShell((_body, exec) => {
        exec.stdout('BEGIN{upgrade}\n');
        setTimeout(() => exec.drop(), 50);
      }),
    );
    const err = await provision.run(ctx).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/the SSH connection was lost \((connection reset|server closed the connection)\) in section upgrade after/);
    expect((err as StepError).hint).toMatch(/expect_disconnect/);
  });
});

describe('clear-keys command', () => {
  it('removes exactly the temporary key, keeping other keys and the file mode', () => {
    const dir = scratch('t');
    const file = path.join(dir, 'authorized_keys');
    const ours = generateKeyPair('vmbench-test').publicKey.trim();
    const other = generateKeyPair('someone-else').publicKey.trim();
    writeFileSync(file, `${other}\n${ours}\n# comment\n`);
    chmodSync(file, 0o600);
    const out = execFileSync('sh', ['-c', clearKeyCommand(ours, [file, path.join(dir, 'missing')])], {encoding: 'utf8'});
    expect(out.trim()).toBe(`removed 1 ${file}`);
    expect(readFileSync(file, 'utf8')).toBe(`${other}\n# comment\n`);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(existsSync(`${file}.vmbench-tmp`)).toBe(false);
    // Second run: nothing left to remove, says nothing.
    expect(execFileSync('sh', ['-c', clearKeyCommand(ours, [file])], {encoding: 'utf8'})).toBe('');
  });
});
