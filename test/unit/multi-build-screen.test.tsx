/**
 * The terminal list of several builds (`vmbench build a b c` in a terminal): name, state,
 * current step and elapsed per build; Enter opens one (its steps and log tail), Esc goes back;
 * Ctrl-C is handed to the builds, q leaves only once they have all ended.
 */
import React from 'react';
import {render} from 'ink-testing-library';
import {afterEach, describe, expect, it} from 'vitest';
import type {PlannedBuild} from '../../src/session/multi-plan.js';
import type {BuildRun} from '../../src/session/multi-runner.js';
import {MultiBuildScreen, type MultiBuildScreenProps} from '../../src/tui/MultiBuildScreen.js';

const strip = (s: string | undefined): string => (s ?? '').replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
const KEYS = {up: '\x1b[A', down: '\x1b[B', enter: '\r', esc: '\x1b', ctrlC: '\x03'};
const NOW = 1_000_000;

function plan(label: string): PlannedBuild {
  return {label, where: 'argument 1', target: `/p/${label}`, profile: label.split('#')[0]!, cpus: 1, memoryMiB: 256, outputDir: `/out/${label}`, logDir: `/logs/${label}`, argv: []};
}

function builds(): BuildRun[] {
  return [
    {
      plan: plan('tiny'),
      status: 'running',
      pid: 4242,
      startedAt: NOW - 75_000,
      currentStep: 'Wait for SSH',
      steps: [
        {id: 'fetch-iso', title: 'Fetch ISO', status: 'done', durationMs: 1000},
        {id: 'start-vm', title: 'Start VM', status: 'done', durationMs: 4000},
        {id: 'wait-ssh', title: 'Wait for SSH', status: 'running', startedAt: NOW - 9000},
        {id: 'provision', title: 'Provision', status: 'pending'},
      ],
      artifacts: [],
      qemuPids: [777],
      log: ['==> start-vm: Start VM', '    vmbench: QEMU running (pid 777, tcg)', '==> wait-ssh: Wait for SSH'],
    },
    {plan: plan('tiny#2'), status: 'queued', waiting: 'waits for room: needs 1 CPU, 0 of 2 free', steps: [], artifacts: [], qemuPids: [], log: []},
    {
      plan: plan('debian-12'),
      status: 'failed',
      startedAt: NOW - 200_000,
      endedAt: NOW - 100_000,
      failedStep: 'fetch-iso',
      reason: 'checksum mismatch',
      steps: [{id: 'fetch-iso', title: 'Fetch ISO', status: 'failed', durationMs: 2000, error: 'checksum mismatch'}],
      artifacts: [],
      qemuPids: [],
      log: ['!!! fetch-iso: failed (2.0s): checksum mismatch'],
    },
  ];
}

const mounted: (() => void)[] = [];
afterEach(() => mounted.splice(0).forEach((u) => u()));

function mount(over: Partial<MultiBuildScreenProps> = {}) {
  const calls = {interrupt: 0, quit: 0};
  const props: MultiBuildScreenProps = {
    builds: builds(),
    now: NOW,
    finished: false,
    interrupts: 0,
    width: 100,
    height: 24,
    onInterrupt: () => calls.interrupt++,
    onQuit: () => calls.quit++,
    ...over,
  };
  const ui = render(<MultiBuildScreen {...props} />);
  mounted.push(() => ui.unmount());
  const press = async (k: string): Promise<string> => {
    ui.stdin.write(k);
    // A key's frame comes from React's scheduler: wait for it rather than a fixed time.
    await new Promise((r) => setTimeout(r, 50));
    return strip(ui.lastFrame());
  };
  return {ui, calls, press, frame: () => strip(ui.lastFrame()), rerender: (p: Partial<MultiBuildScreenProps>) => ui.rerender(<MultiBuildScreen {...props} {...p} />)};
}

describe('MultiBuildScreen', () => {
  it('lists every build with its state, what it does and its elapsed time', () => {
    const {frame} = mount();
    const f = frame();
    expect(f).toContain('vmbench: 3 builds — 1 running, 1 queued, 1 failed');
    const row = (name: string): string => f.split('\n').find((l) => l.includes(name) && !l.includes('builds'))!;
    expect(row('tiny ')).toMatch(/› tiny\s+▶ running\s+Wait for SSH\s+01:15$/);
    expect(row('tiny#2')).toMatch(/tiny#2\s+○ queued\s+waits for room: needs 1 CPU, 0 of 2 free\s*$/);
    expect(row('debian-12')).toMatch(/debian-12\s+✖ failed\s+fetch-iso: checksum mismatch\s+01:40$/);
    expect(f).toContain('↑↓ select · Enter open · Ctrl-C cancel all');
  });

  it('Enter opens the selected build (its steps and log tail), Esc goes back to the list', async () => {
    const {press} = mount();
    await press(KEYS.down);
    await press(KEYS.down);
    let f = await press(KEYS.enter);
    expect(f).toContain('debian-12 — ✖ failed — 01:40');
    expect(f).toContain('log folder: /logs/debian-12');
    expect(f).toContain('fetch-iso: checksum mismatch');
    expect(f).toMatch(/✖ Fetch ISO\s+00:02/);
    expect(f).toContain('!!! fetch-iso: failed (2.0s): checksum mismatch');
    f = await press(KEYS.esc);
    expect(f).toContain('vmbench: 3 builds');
    // Another build opened: the running one, with its live step and its QEMU.
    await press(KEYS.up);
    await press(KEYS.up);
    f = await press(KEYS.enter);
    expect(f).toContain('tiny — ▶ running — Wait for SSH — 01:15');
    expect(f).toContain('Steps 2/4');
    expect(f).toMatch(/▶ Wait for SSH\s+00:09/);
    expect(f).toContain('QEMU pid 777');
    expect(f).toContain('vmbench: QEMU running (pid 777, tcg)');
  });

  it('Ctrl-C goes to the builds; q leaves only once every build has ended', async () => {
    const {press, calls, rerender, frame} = mount();
    let f = await press('q');
    expect(calls.quit).toBe(0);
    expect(f).toContain('builds are still running: Ctrl-C cancels them');
    await press(KEYS.ctrlC);
    expect(calls.interrupt).toBe(1);
    rerender({interrupts: 1});
    await new Promise((r) => setTimeout(r, 50));
    expect(frame()).toContain('cancelling, cleaning up (Ctrl-C again stops at once)');
    const ended = builds().map((b) => ({...b, status: b.status === 'failed' ? b.status : ('cancelled' as const), endedAt: NOW}));
    rerender({builds: ended, finished: true, interrupts: 1});
    f = await press('q');
    expect(calls.quit).toBe(1);
    expect(f).toContain('2 cancelled, 1 failed');
  });
});
