/**
 * Kept VMs in the workbench (issue #13 item 2): the picker lists a VM kept on purpose, read from
 * a real QEMU record (a stand-in process carrying its marker, in a private run directory, as in
 * ps-stop.test.ts); Enter opens its screen — the frame source is asked for that VM, the real
 * ConsolePane paints it, keys pass through to it — q goes back leaving it running, and x, y stop
 * it with `vmbench stop`'s own function (the stand-in is really gone, its record too). A VM
 * stopped elsewhere takes its screen back to the picker.
 */
import {spawn, type ChildProcess} from 'node:child_process';
import {existsSync, mkdtempSync, rmSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import React from 'react';
import {render} from 'ink-testing-library';
import {afterEach, beforeEach, describe, expect, it} from 'vitest';
import {psEntries} from '../../src/cli/ps-command.js';
import {stoppedLine, stopVm} from '../../src/cli/stop-command.js';
import {keepQemu, recordFile, rememberQemu} from '../../src/qemu/reaper.js';
import {HalfBlockPane} from '../../src/render/pane.js';
import {App} from '../../src/tui/App.js';
import {ConsolePane} from '../../src/tui/console-pane.js';
import {keptVmsOf, vmInfoLines, type KeptVm} from '../../src/tui/kept-vms.js';
import type {ProfileEntry} from '../../src/tui/profiles-data.js';
import type {VmFeed} from '../../src/tui/vm-feed.js';
import {Framebuffer} from '../../src/vnc/framebuffer.js';

const entries: ProfileEntry[] = [{name: 'tiny', dir: '/profiles/tiny', origin: 'builtin', distro: 'busybox', installMethod: 'custom', description: 'Tiny'}];

const tick = (ms = 0): Promise<void> => new Promise((r) => setTimeout(r, ms));
async function until<T>(probe: () => T, ok: (v: T) => boolean, what: string, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; last: ${typeof v === 'string' ? `\n${v}` : JSON.stringify(v)}`);
    await tick(5);
  }
}

/** A frame source standing in for the VM's VNC: a screen, and the keys it was sent. */
class FakeFeed implements VmFeed {
  readonly fb = new Framebuffer(64, 48);
  readonly sent: [number, boolean][] = [];
  closed = false;
  constructor(readonly vm: KeptVm) {
    this.fb.pixels.fill(0x336699);
  }
  frames() {
    return this.closed ? undefined : {framebuffer: this.fb, keys: {keyEvent: (k: number, d: boolean) => void this.sent.push([k, d])}};
  }
  async readText() {
    return undefined;
  }
  get state() {
    return this.closed ? 'stopped' : 'live';
  }
  async close() {
    this.closed = true;
  }
}

describe('kept VMs in the workbench', () => {
  let state = '';
  const saved = process.env.XDG_STATE_HOME;
  const started: ChildProcess[] = [];
  const mounted: {unmount: () => void}[] = [];
  const panes: ConsolePane[] = [];
  beforeEach(() => {
    state = mkdtempSync(path.join(os.tmpdir(), 'vmbench-kept-wb-'));
    process.env.XDG_STATE_HOME = state;
  });
  afterEach(() => {
    for (const m of mounted.splice(0)) m.unmount();
    for (const p of panes.splice(0)) p.stop();
    for (const p of started.splice(0)) if (p.exitCode === null && p.signalCode === null) process.kill(-p.pid!, 'SIGKILL');
    process.env.XDG_STATE_HOME = saved;
    rmSync(state, {recursive: true, force: true});
  });

  /** A stand-in QEMU kept on purpose, with the record a kept build leaves. */
  const keptVm = (id: string): ChildProcess & {gone: Promise<unknown>} => {
    const marker = path.join(state, `${id}.qmp.sock`);
    const p = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)', marker], {detached: true, stdio: 'ignore'});
    started.push(p);
    rememberQemu(p.pid!, marker);
    keepQemu(p.pid!, {build: id, profile: 'tiny', vnc: {host: '127.0.0.1', port: 5901, password: 'pw123456'}, ssh: {host: '127.0.0.1', port: 2201}, logDir: '/logs/kept-one', workDir: '/work/kept-one'});
    return Object.assign(p, {gone: new Promise((r) => p.once('exit', r))});
  };

  function app() {
    const opened: FakeFeed[] = [];
    const stops: string[] = [];
    const out: string[] = [];
    const pane = new ConsolePane({write: (d) => void out.push(String(d)), createPainter: (g) => new HalfBlockPane({...g, mode: 'truecolor'})});
    panes.push(pane);
    const r = render(
      <App
        loadProfiles={() => entries}
        startBuild={() => {
          throw new Error('no builds here');
        }}
        consolePane={pane}
        onExit={() => {}}
        size={{columns: 100, rows: 30}}
        loadVms={() => keptVmsOf(psEntries())}
        openVm={(vm) => {
          const f = new FakeFeed(vm);
          opened.push(f);
          return f;
        }}
        stopVm={async (vm) => {
          stops.push(vm.id);
          return stoppedLine(vm, await stopVm(vm, {graceMs: 3000}));
        }}
        vmPollMs={50}
      />,
    );
    mounted.push(r);
    const frame = () => r.lastFrame() ?? '';
    return {r, pane, out, opened, stops, frame, waitFor: (ok: (f: string) => boolean, what: string) => until(frame, ok, what)};
  }

  it('lists a kept VM, opens its screen live with keys passed through, goes back leaving it running, and x, y stop it as vmbench stop does', async () => {
    const vm = keptVm('kept1234');
    const {r, pane, out, opened, stops, frame, waitFor} = app();
    // The picker: a kept VMs section with the VM's id, profile, state and age, VNC and SSH.
    const picker = await waitFor((f) => f.includes('kept VMs (1)'), 'the kept VMs section');
    expect(picker).toMatch(/kept1234 +tiny +kept \d+s ago +VNC 127\.0\.0\.1:5901 +SSH 127\.0\.0\.1:2201/);
    expect(picker).not.toContain('pw123456'); // no password in the list
    await tick(20);
    r.stdin.write('\t');
    await waitFor((f) => f.includes(`QEMU pid ${vm.pid}`) && f.includes('logs: /logs/kept-one'), "the VM's details");
    r.stdin.write('\r');
    const screen = await waitFor((f) => f.includes('kept VM kept1234'), "the VM's screen");
    expect(opened.map((f) => f.vm.vnc)).toEqual([{host: '127.0.0.1', port: 5901, password: 'pw123456'}]);
    expect(screen).toMatch(/SSH 127\.0\.0\.1:2201 · VNC 127\.0\.0\.1:5901 \(password pw123456\)/);
    expect(screen).toContain('logs: /logs/kept-one');
    // The ConsolePane paints the feed's screen into the box.
    await until(() => pane.visibleRect, (v) => v !== undefined, 'the console box');
    await until(() => pane.stats.paints, (n) => n > 0, 'a paint');
    expect(out.join('')).toContain('\x1b[?2026h');
    // i: keys go to the VM until Ctrl-].
    r.stdin.write('i');
    await waitFor((f) => f.includes('typing into the VM'), 'the passthrough marker');
    await tick();
    r.stdin.write('q'); // a key for the VM, not "back"
    await tick(20);
    await pane.flushKeys();
    expect(opened[0]!.sent).toEqual([[0x71, true], [0x71, false]]);
    expect(frame()).toContain('kept VM kept1234');
    r.stdin.write('\x1d');
    await waitFor((f) => !f.includes('typing into the VM'), 'the keyboard given back');
    await tick(20); // the screen listens for keys again from an effect
    // ?: this screen's keys.
    r.stdin.write('?');
    await waitFor((f) => f.includes('stop the VM, as vmbench stop does'), 'the help');
    r.stdin.write(' ');
    await waitFor((f) => !f.includes('stop the VM, as vmbench stop does'), 'the help closed');
    // q: back to the picker; our connection closes, the VM runs on.
    r.stdin.write('q');
    await waitFor((f) => f.includes('kept VMs (1)') && f.includes('PROFILE'), 'the picker again');
    expect(opened[0]!.closed).toBe(true);
    expect(pane.visibleRect).toBeUndefined();
    expect(vm.exitCode).toBeNull();

    // Open it again; x asks, n keeps it; x, y stop it.
    await tick(20);
    r.stdin.write('\t');
    await waitFor((f) => f.includes('Enter opens'), 'the kept VMs selected');
    r.stdin.write('\r');
    await waitFor((f) => f.includes('kept VM kept1234'), "the VM's screen");
    r.stdin.write('x');
    await waitFor((f) => f.includes('Stop kept1234?'), 'the question');
    r.stdin.write('n');
    await waitFor((f) => !f.includes('Stop kept1234?'), 'the question gone');
    expect(stops).toEqual([]);
    r.stdin.write('x');
    await waitFor((f) => f.includes('Stop kept1234?'), 'the question');
    r.stdin.write('y');
    const after = await waitFor((f) => f.includes('stopped kept VM kept1234'), 'the picker saying it stopped');
    expect(stops).toEqual(['kept1234']);
    // No QMP socket in this stand-in: vmbench stop's function went on to SIGTERM.
    expect(after).toContain(`stopped kept VM kept1234 (tiny, QEMU pid ${vm.pid}, by SIGTERM)`);
    await vm.gone;
    expect(existsSync(recordFile(vm.pid!))).toBe(false);
    expect(after).not.toContain('kept VMs (');
    expect(opened[1]!.closed).toBe(true);
  });

  it('a VM stopped elsewhere takes its screen back to the picker; Tab without kept VMs says so', async () => {
    const vm = keptVm('gone5678');
    const {r, waitFor} = app();
    await waitFor((f) => f.includes('kept VMs (1)'), 'the kept VMs section');
    await tick(20);
    r.stdin.write('\t');
    await waitFor((f) => f.includes('Enter opens'), 'the kept VMs selected');
    r.stdin.write('\r');
    await waitFor((f) => f.includes('kept VM gone5678'), "the VM's screen");
    process.kill(vm.pid!, 'SIGKILL');
    await vm.gone;
    const back = await waitFor((f) => f.includes('gone5678 (tiny) is not running any more'), 'the picker saying so');
    expect(back).not.toContain('kept VMs (');
    await tick(20); // the picker listens for keys from an effect
    r.stdin.write('\t');
    await waitFor((f) => f.includes('no kept VMs'), 'the note that there are none');
    // The picker's help lists the keys of the kept VMs list.
    r.stdin.write('?');
    const help = await waitFor((f) => f.includes('profile picker keys'), "the picker's help");
    expect(help).toMatch(/Tab +select in the kept VMs list/);
    expect(help).toMatch(/kept VMs +Enter +open the kept VM/);
  });
});

describe('kept-vms: what the picker lists and says', () => {
  const base = {profile: 'tiny', since: 1_000, vnc: {host: '127.0.0.1', port: 5901, password: 'secret12'}, ssh: {host: '127.0.0.1', port: 2201}, logDir: '/l', workDir: '/w'};
  const list: KeptVm[] = [
    {...base, id: 'run1', state: 'running', pid: 10},
    {...base, id: 'keep1', state: 'kept', pid: 11, qemuPid: 11},
    {...base, id: 'pid-12', state: 'orphaned', pid: 12, qemuPid: 12},
  ];
  it('lists every VM that is not part of a running build; the password only on the VM\'s own screen', () => {
    expect(keptVmsOf(list).map((v) => v.id)).toEqual(['keep1', 'pid-12']);
    const [kept, orphan] = keptVmsOf(list);
    expect(vmInfoLines(kept!, 61_000)).toEqual([
      'keep1 — VM of tiny kept on purpose 1m ago, QEMU pid 11',
      '  SSH 127.0.0.1:2201 · VNC 127.0.0.1:5901',
      '  logs: /l',
      '  files: /w (they stay when it is stopped)',
    ]);
    expect(vmInfoLines(kept!, 61_000, {password: true})[1]).toBe('  SSH 127.0.0.1:2201 · VNC 127.0.0.1:5901 (password secret12)');
    expect(vmInfoLines(orphan!, 61_000)[0]).toBe('pid-12 — VM of tiny left running by a vmbench that died (orphaned), QEMU pid 12, started 1m ago');
  });
});
