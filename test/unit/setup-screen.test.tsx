import {mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import React from 'react';
import {render} from 'ink-testing-library';
import {afterAll, afterEach, describe, expect, it} from 'vitest';
import {defaultSettings, type Settings} from '../../src/settings/schema.js';
import type {CheckUpdate} from '../../src/setup/runner.js';
import type {CheckResult} from '../../src/setup/types.js';
import {SetupScreen, type SetupScreenProps} from '../../src/tui/SetupScreen.js';
import {renderSized} from '../fakes/fake-controller.js';

const strip = (s: string | undefined): string => (s ?? '').replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
const KEYS = {up: '\x1b[A', down: '\x1b[B', enter: '\r', esc: '\x1b', tab: '\t', backTab: '\x1b[Z', ctrlU: '\x15', backspace: '\x7f'};

const RESULTS: CheckResult[] = [
  {id: 'qemu-system', title: 'QEMU (qemu-system-x86_64)', status: 'ok', detail: 'QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)'},
  {id: 'qemu-img', title: 'qemu-img', status: 'fail', detail: 'qemu-img not found on PATH', fix: 'sudo apt-get install qemu-utils'},
  {id: 'accel', title: 'Accelerator (KVM probe)', status: 'warn', detail: 'TCG, slower — KVM unusable: the kvm guest never reached the probe boot sector within 4000 ms'},
];

/** Checks the test releases by hand, so the spinner state can be seen. */
function controlledChecks() {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let aborted = false;
  const runChecks: SetupScreenProps['runChecks'] = async (onUpdate: (u: CheckUpdate) => void, signal) => {
    signal.addEventListener('abort', () => (aborted = true));
    for (const r of RESULTS) onUpdate({id: r.id, title: r.title, status: 'running'});
    await gate;
    for (const r of RESULTS) onUpdate(r);
    return RESULTS;
  };
  return {runChecks, release: () => release(), aborted: () => aborted};
}

/** Wait for a state (a frame that satisfies `ok`), never a fixed sleep. */
async function waitFor(frame: () => string | undefined, ok: (f: string) => boolean, what: string): Promise<string> {
  const until = Date.now() + 3000;
  for (;;) {
    const f = strip(frame());
    if (ok(f)) return f;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}; last frame:\n${f}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

const tmp = mkdtempSync(path.join(os.tmpdir(), 'vmbench-screen-'));
afterAll(() => rmSync(tmp, {recursive: true, force: true}));
const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((c) => c()));

function setup(over: Partial<SetupScreenProps> = {}) {
  const checks = controlledChecks();
  const done: (Settings | undefined)[] = [];
  const ui = render(<SetupScreen runChecks={checks.runChecks} initial={defaultSettings()} onDone={(s) => done.push(s)} settingsFile="/cfg/config.json" {...over} />);
  cleanups.push(() => ui.unmount());
  const press = async (k: string): Promise<void> => {
    ui.stdin.write(k);
    // ink flushes a lone Esc on setImmediate: under load a bare timer could fire before it.
    await new Promise((res) => setImmediate(res));
    await tick();
  };
  return {ui, checks, done, press, frame: ui.lastFrame};
}

describe('SetupScreen', () => {
  it('shows live check status, then each check with its fix', async () => {
    const {ui, checks, press, frame} = setup();
    const running = await waitFor(frame, (f) => f.includes('checking…'), 'running checks');
    expect(running).toMatch(/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] QEMU \(qemu-system-x86_64\)/);
    expect(running).toContain('3 running');
    checks.release();
    const doneFrame = await waitFor(frame, (f) => f.includes('1 ok, 1 warning, 1 failed'), 'finished checks');
    expect(doneFrame).toMatch(/✔ QEMU \(qemu-system-x86_64\) +QEMU emulator version 7\.2\.22/);
    expect(doneFrame).toMatch(/✘ qemu-img/);
    expect(doneFrame).toContain('TCG, slower');
    // The first failure is selected: its fix command is shown in full.
    expect(doneFrame).toContain('fix: sudo apt-get install qemu-utils');
    await press(KEYS.down);
    // The selected check's full detail (wrapped) replaces the truncated one.
    await waitFor(frame, (f) => f.replace(/\s+/g, ' ').includes('Accelerator (KVM probe): TCG, slower — KVM unusable: the kvm guest never reached the probe boot sector within 4000 ms'), 'accel detail');
    ui.unmount();
  });

  it('edits a field: invalid value → inline error, Esc cancels, valid value accepted, s saves', async () => {
    const {checks, done, press, frame} = setup();
    await tick();
    checks.release();
    await press(KEYS.tab);
    await waitFor(frame, (f) => f.includes('Default memory (MiB)'), 'settings page');
    await press(KEYS.down);
    await press(KEYS.down);
    expect(await waitFor(frame, (f) => /› Default memory \(MiB\) +512/.test(f), 'memory selected')).toContain('memory: guest memory for profiles that do not set memory');
    await press(KEYS.enter);
    await press(KEYS.ctrlU);
    await press('lots');
    await waitFor(frame, (f) => f.includes('lots█'), 'typed text');
    await press(KEYS.enter);
    await waitFor(frame, (f) => f.includes('✘ expected MiB as a whole number or a size like 2G, got "lots"'), 'inline error');
    // Still editing after the error; Esc throws the edit away.
    await press(KEYS.esc);
    await waitFor(frame, (f) => /› Default memory \(MiB\) +512/.test(f) && !f.includes('✘'), 'cancelled edit');

    await press(KEYS.enter);
    await press(KEYS.backspace);
    await press(KEYS.backspace);
    await press(KEYS.backspace);
    await press('2G');
    await press(KEYS.enter);
    await waitFor(frame, (f) => /› Default memory \(MiB\) +2048/.test(f), 'accepted value');
    // Out of range: cpus 0 is refused with its range.
    await press(KEYS.down);
    await press(KEYS.enter);
    await press(KEYS.ctrlU);
    await press('0');
    await press(KEYS.enter);
    await waitFor(frame, (f) => f.includes('✘ must be at least 1 (got 0)'), 'range error');
    await press(KEYS.esc);

    // Save page shows the change; s saves.
    await press(KEYS.tab);
    await waitFor(frame, (f) => f.includes('Generate a key pair? (y/N)'), 'ssh page');
    await press(KEYS.enter);
    const savePage = await waitFor(frame, (f) => f.includes('/cfg/config.json'), 'save page');
    expect(savePage).toContain('memory: 512 → 2048');
    expect(savePage).toContain('SSH key: no new key');
    expect(done).toEqual([]);
    await press('s');
    expect(done).toEqual([{...defaultSettings(), memory: 2048}]);
  });

  it('an upside-down port range is flagged on its row and blocks saving', async () => {
    const {done, press, frame} = setup();
    await tick();
    await press('2');
    for (let i = 0; i < 4; i++) await press(KEYS.down); // VNC port min
    await press(KEYS.enter);
    await press(KEYS.ctrlU);
    await press('6100');
    await press(KEYS.enter);
    await waitFor(frame, (f) => f.includes('✘ must not be above vncPortMax (6100 > 6000)'), 'cross-field error');
    await press('s');
    await waitFor(frame, (f) => f.includes('cannot save: vncPortMin must not be above vncPortMax'), 'save refused');
    expect(done).toEqual([]);
  });

  it('generates the SSH key on save, at the chosen path', async () => {
    const made: string[] = [];
    const {press, frame, done} = setup({makeSshKey: (file) => (made.push(file), {status: 'created', privateKey: file, publicKey: `${file}.pub`, publicLine: 'ssh-ed25519 AAAA'})});
    await tick();
    await press('3');
    await press('y');
    await waitFor(frame, (f) => f.includes('vmbench_ed25519█'), 'path field with the default');
    await press(KEYS.ctrlU);
    const file = path.join(tmp, 'k', 'id');
    await press(file);
    await press(KEYS.enter);
    await waitFor(frame, (f) => f.includes('will be created when you save'), 'chosen');
    expect(made).toEqual([]);
    await press('s');
    expect(made).toEqual([file]);
    expect(done).toEqual([{...defaultSettings(), sshKeyFile: file}]);

    // An existing key is announced as kept.
    writeFileSync(path.join(tmp, 'existing'), 'x');
    const second = setup();
    await tick();
    await second.press('3');
    await second.press('y');
    await second.press(KEYS.ctrlU);
    await second.press(path.join(tmp, 'existing'));
    await second.press(KEYS.enter);
    await waitFor(second.frame, (f) => f.includes('exists: it is kept as it is (never overwritten)'), 'existing key');
  });

  it('q quits without saving and stops the running checks', async () => {
    const {checks, done, press, ui} = setup();
    await tick();
    await press('q');
    expect(done).toEqual([undefined]);
    ui.unmount();
    expect(checks.aborted()).toBe(true);
  });

  it('fits 80×24 on every page', async () => {
    const many: CheckResult[] = Array.from({length: 9}, (_, i) => ({
      id: `c${i}`,
      title: `A check with a rather long title number ${i}`,
      status: 'fail',
      detail: 'x'.repeat(300),
      fix: `sudo apt-get install ${'pkg '.repeat(30)}`,
    }));
    const instance = renderSized(
      <SetupScreen
        runChecks={async (onUpdate) => (many.forEach(onUpdate), many)}
        initial={{...defaultSettings(), cacheDir: `/${'very-long-directory/'.repeat(10)}cache`}}
        warnings={['w'.repeat(200), 'w'.repeat(200)]}
        settingsFile={`/${'deep/'.repeat(30)}config.json`}
        onDone={() => {}}
      />,
      80,
      24,
    );
    cleanups.push(() => instance.unmount());
    const {stdin} = instance;
    const pages: string[] = [];
    for (const key of ['1', '2', '3', 'y', KEYS.esc, '4']) {
      stdin.write(key);
      await tick();
      await tick();
      if (key === KEYS.esc) continue;
      const f = strip(instance.lastFrame() ?? '');
      pages.push(f);
      const lines = f.replace(/\n$/, '').split('\n');
      expect(lines.length, `page ${key}:\n${f}`).toBeLessThanOrEqual(23);
      for (const l of lines) expect([...l].length, `page ${key}: ${l}`).toBeLessThanOrEqual(80);
    }
    if (process.env.SHOW_PAGES) console.log(pages.join("\n=====\n"));
    expect(pages[0]).toContain('fix: sudo apt-get install');
    expect(pages[1]).toContain('Cache directory');
    expect(pages[3]).toContain('Private key path');
    expect(pages[4]).toContain('quit without saving');
  });
});
