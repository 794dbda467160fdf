/**
 * A kept VM reattached in the workbench (issue #13 item 2), for real: the tiny profile with a
 * provisioner that fails is built with `--on-error=abort`, so its VM is kept and runs on; then
 * `vmbench` under tmux lists it in the picker's kept VMs, opens it — the guest's own console
 * text on screen, read live over its VNC — types a command into it and sees the guest's answer,
 * stops it (x, y: `vmbench stop`'s function) and quits. No QEMU, port or record is left.
 */
import {readdirSync, readFileSync} from 'node:fs';
import path from 'node:path';
import {execa} from 'execa';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {assertBuilt, BIN, CACHE, hasText, portListening, processAlive, tinyProfileCopy, tmpDir, tmuxServer} from './helpers.js';

const server = tmuxServer(`vmbench-kept-test-${process.pid}`);
const {tmux} = server;
const keys = (...k: string[]) => tmux('send-keys', '-t', 'kv', ...k);
const waitForScreen = (pred: (s: string) => boolean, what: string, timeoutMs?: number) => server.waitForScreen('kv', pred, what, timeoutMs);

/** The VM's screen box: the rows between its side borders. */
const consoleRows = (s: string): string[] =>
  s
    .split('\n')
    .filter((l) => l.startsWith('│'))
    .map((l) => l.slice(1, l.lastIndexOf('│')));

const work = tmpDir('vmbench-kept-wb-');
const state = path.join(work, 'state');
const env = {CI: 'true', XDG_STATE_HOME: state, XDG_CACHE_HOME: path.join(state, 'cache')};
let qemuPid = 0;

beforeAll(() => assertBuilt());
afterAll(async () => {
  await server.kill();
  // Whatever happened above, the kept VM must not outlive the test.
  if (qemuPid && processAlive(qemuPid)) {
    try {
      process.kill(-qemuPid, 'SIGKILL');
    } catch {
      process.kill(qemuPid, 'SIGKILL');
    }
  }
});

describe('a kept VM in the workbench (real QEMU, tmux)', () => {
  it('is listed, opened live (the guest console, typed into), stopped with x, y; nothing is left', {timeout: 300_000}, async () => {
    const failing = tinyProfileCopy((y) => y.replace(/^(provisioners:\n)/m, '$1  - type: shell\n    inline: ["echo failing on purpose; exit 3"]\n'));
    const kept = await execa('node', [BIN, 'build', failing, '--plain', '--on-error=abort', '--output', path.join(work, 'out'), '--cache-dir', CACHE], {reject: false, env, stdin: 'ignore', timeout: 180_000});
    expect(kept.exitCode, kept.stderr).toBe(1);
    const m = /QEMU pid (\d+) keeps running: VNC 127\.0\.0\.1:(\d+) \(password \w+\), SSH 127\.0\.0\.1:(\d+)\n {2}list it: vmbench ps · stop it: vmbench stop (\w+)/.exec(kept.stderr);
    expect(m, kept.stderr).not.toBeNull();
    qemuPid = Number(m![1]);
    const [vncPort, sshPort, id] = [Number(m![2]), Number(m![3]), m![4]!];
    expect(processAlive(qemuPid)).toBe(true);

    // The workbench, in a terminal tall enough for the guest's 80×25 text screen (CI unset: with
    // CI=true ink prints only its final frame).
    const exitFile = path.join(work, 'exit-status');
    const cmd = `cd ${work} && env -u CI XDG_STATE_HOME=${state} XDG_CONFIG_HOME=${work}/config node ${BIN} --cache-dir ${CACHE}; echo $? > ${exitFile}; sleep 600`;
    expect((await tmux('new-session', '-d', '-x', '110', '-y', '40', '-s', 'kv', cmd)).exitCode).toBe(0);
    await waitForScreen((s) => s.includes('vmbench setup') && s.includes('QEMU'), 'the setup screen', 30_000);
    await keys('q');
    const picker = await waitForScreen((s) => s.includes('kept VMs (1)'), 'the picker listing the kept VM');
    expect(picker).toMatch(new RegExp(`${id}\\s+tiny\\s+kept \\d+[smh] ago\\s+VNC 127\\.0\\.0\\.1:${vncPort}\\s+SSH 127\\.0\\.0\\.1:${sshPort}`));

    // Tab to the kept VMs, Enter opens it: the tiny guest's console, as text, live.
    for (let i = 0; i < 5 && !(await server.screen('kv')).includes('Enter opens'); i++) {
      await keys('Tab');
      await waitForScreen((s) => s.includes('Enter opens'), 'the kept VMs selected', 2000).catch(() => undefined);
    }
    await keys('Enter');
    const opened = await waitForScreen((s) => s.includes(`kept VM ${id}`) && consoleRows(s).some((r) => /vmbench-tiny:/.test(r)), "the guest's console in the VM's screen", 30_000);
    expect(opened).toMatch(new RegExp(`SSH 127\\.0\\.0\\.1:${sshPort} · VNC 127\\.0\\.0\\.1:${vncPort} \\(password \\w+\\)`));
    expect(opened).toMatch(/logs: .*builds/);

    // i: the keyboard goes to the guest; its shell answers on its screen.
    await keys('i');
    await waitForScreen((s) => s.includes('typing into the VM'), 'the passthrough');
    await keys('-l', 'echo wb-typed-$((6*7))');
    await keys('Enter');
    await waitForScreen((s) => consoleRows(s).some((r) => /^\s*wb-typed-42\s*$/.test(r)), "the guest's answer on its screen", 60_000);
    await keys('C-]');
    await waitForScreen((s) => !s.includes('typing into the VM'), 'the keyboard back');

    // x asks, y stops it the way `vmbench stop` does; back in the picker it says so.
    await keys('x');
    await waitForScreen((s) => s.includes(`Stop ${id}?`), 'the stop question');
    await keys('y');
    const stopped = await waitForScreen((s) => s.includes(`stopped kept VM ${id}`), 'the picker saying it stopped', 60_000);
    expect(stopped).toMatch(new RegExp(`stopped kept VM ${id} \\(tiny, QEMU pid ${qemuPid}, by QMP quit\\)`));
    expect(stopped).not.toContain('kept VMs (');
    expect(processAlive(qemuPid)).toBe(false);
    expect(await portListening(vncPort)).toBe(false);
    expect(await portListening(sshPort)).toBe(false);
    expect(readdirSync(path.join(state, 'vmbench', 'run')).filter((f) => f.startsWith('qemu-'))).toEqual([]);

    await keys('q');
    await waitForScreen(() => hasText(exitFile), 'the workbench to exit');
    expect(readFileSync(exitFile, 'utf8').trim()).toBe('0');
    expect((await execa('node', [BIN, 'ps'], {reject: false, env})).stdout).toMatch(/^no running builds and no kept VMs/);
  });
});
