/**
 * A real terminal: `vmbench build --console` under tmux (its own server socket), driven with
 * send-keys and read with capture-pane. It must show isolinux's boot prompt, the typed boot
 * command and the guest's output as text, and pass keys through to the VM: the provisioner
 * waits for a file that only a command typed through the console creates.
 */
import {existsSync, readdirSync, rmSync} from 'node:fs';
import path from 'node:path';
import {execa} from 'execa';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {assertBuilt, BIN, CACHE, processAlive, tinyProfileCopy, tmpDir, tmuxServer} from './helpers.js';

const server = tmuxServer(`vmbench-test-${process.pid}`);
const {tmux} = server;
const waitForScreen = (pred: (s: string) => boolean, what: string, timeoutMs?: number) => server.waitForScreen('build', pred, what, timeoutMs);

const work = tmpDir();
beforeAll(() => assertBuilt());
afterAll(async () => {
  await tmux('kill-server');
  rmSync(work, {recursive: true, force: true});
});

describe('vmbench build --console under tmux', () => {
  it('shows the VM screen as text and passes keys through to the guest', {timeout: 150_000}, async () => {
    const profile = tinyProfileCopy((y) =>
      y.replace(
        'provisioners:\n',
        'provisioners:\n  - type: shell\n    inline: ["echo waiting for /tmp/go; while [ ! -f /tmp/go ]; do sleep 0.2; done; echo go seen"]\n',
      ),
    );
    const out = path.join(work, 'out');
    const cmd = `env -u CI XDG_STATE_HOME=${work}/state node ${BIN} build ${profile} --console --output ${out} --cache-dir ${CACHE}; echo VMBENCH-EXIT=$?; sleep 600`;
    const started = await tmux('new-session', '-d', '-x', '110', '-y', '36', '-s', 'build', cmd);
    expect(started.exitCode, started.stderr).toBe(0);

    // The bootloader's prompt and the typed command, as terminal text.
    await waitForScreen((s) => /boot: tiny url=http:\/\/10\.0\.2\.2:\d+\/tiny\.cfg/.test(s), 'the typed boot command');
    // The guest's own output, then its shell on tty1 while the provisioner waits for us.
    const booted = await waitForScreen((s) => s.includes('vmbench-tiny: sshd ready') && / provision /.test(s.split('\n')[0] ?? ''), 'the guest booted and provisioning');
    expect(booted.split('\n')[0]).toMatch(/vmbench tiny .* 720x400 · text/);

    await tmux('send-keys', '-t', 'build', 'i');
    await waitForScreen((s) => s.includes('INTERACTIVE'), 'interactive mode');
    await tmux('send-keys', '-t', 'build', '-l', 'echo typed-through-$((6*7)); sleep 3; touch /tmp/go');
    await tmux('send-keys', '-t', 'build', 'Enter');
    // The guest ran it: the shell's output (not our echo of the keys) is on its screen.
    await waitForScreen((s) => s.includes('typed-through-42'), 'the guest running the typed command');
    await tmux('send-keys', '-t', 'build', 'C-]');

    const end = await waitForScreen((s) => s.includes('VMBENCH-EXIT='), 'the build to finish', 90_000);
    expect(end).toContain('VMBENCH-EXIT=0');
    expect(existsSync(path.join(out, 'tiny.qcow2'))).toBe(true);
  });

  it('closing the terminal mid-build cleans up like Ctrl-C: no QEMU, no output', {timeout: 90_000}, async () => {
    const out = path.join(work, 'out-hup');
    const state = path.join(work, 'state-hup');
    // A provisioner that never ends holds the build while its VM runs.
    const profile = tinyProfileCopy((y) => y.replace('provisioners:\n', 'provisioners:\n  - type: shell\n    inline: ["sleep 600"]\n'));
    const cmd = `env -u CI XDG_STATE_HOME=${state} node ${BIN} build ${profile} --console --output ${out} --cache-dir ${CACHE}`;
    await tmux('new-session', '-d', '-x', '100', '-y', '30', '-s', 'hup', cmd);
    const shown = async (): Promise<string> => (await tmux('capture-pane', '-p', '-t', 'hup')).stdout;
    const deadline = Date.now() + 60_000;
    while (!/ provision /.test((await shown()).split('\n')[0] ?? '')) {
      if (Date.now() > deadline) throw new Error(`never reached provisioning:\n${await shown()}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const builds = await execa('node', [BIN, 'screenshot', '-o', path.join(work, 'hup.png')], {env: {XDG_STATE_HOME: state}, reject: false});
    expect(builds.exitCode, builds.stderr).toBe(0);
    const qemuPids = (await execa("pgrep", ["-f", `${work}/.out-hup.vmbench`], {reject: false})).stdout.split('\n').filter(Boolean).map(Number);
    expect(qemuPids.length).toBeGreaterThan(0);
    // `env` execs node, so the pane's process is vmbench itself: its folders go after QEMU has
    // gone, so the assertions wait for vmbench to have exited, not only for QEMU.
    const vmbenchPid = Number((await tmux('display-message', '-p', '-t', 'hup', '#{pane_pid}')).stdout.trim());
    expect(processAlive(vmbenchPid)).toBe(true);
    await tmux('kill-session', '-t', 'hup');
    const gone = Date.now() + 20_000;
    while ([...qemuPids, vmbenchPid].some((p) => processAlive(p)) && Date.now() < gone) await new Promise((r) => setTimeout(r, 100));
    expect(qemuPids.filter((p) => processAlive(p))).toEqual([]);
    expect(processAlive(vmbenchPid)).toBe(false);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(work).filter((f) => f.includes('out-hup'))).toEqual([]);
  });
});
