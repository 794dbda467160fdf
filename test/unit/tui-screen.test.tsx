/**
 * The build screen in ink, driven by a fake controller exactly as the App drives it (events
 * batched per tick through reduceBatch, commands back to the controller), keys written to a
 * fake stdin as a terminal sends them.
 */
import stringWidth from 'string-width';
import {render} from 'ink-testing-library';
import {afterEach, describe, expect, it, vi} from 'vitest';
import type {Rect} from '../../src/tui/view-state.js';
import type {WorkbenchEvent} from '../../src/tui/types.js';
import {ControlledScreen, failedBuild, FakeController, pausedBuild, renderSized, Script, T0, wholeBuild} from '../fakes/fake-controller.js';

const KEY = {enter: '\r', esc: '\x1b', tab: '\t', up: '\x1b[A', down: '\x1b[B', left: '\x1b[D', right: '\x1b[C', space: ' ', backspace: '\x7f'};
const tick = (ms = 0): Promise<void> => new Promise((r) => setTimeout(r, ms));
const clock = (): number => T0 + 65_000;

type Screen = {stdin: {write(s: string): void}; lastFrame(): string | undefined; unmount(): void};
const mounted: Screen[] = [];
afterEach(() => {
  for (const s of mounted.splice(0)) s.unmount();
});

async function mount(events: WorkbenchEvent[], opts: {width?: number; height?: number; consoleSlot?: (r: Rect | undefined) => void; keyboardCaptured?: boolean; consoleLive?: boolean} = {}) {
  const controller = new FakeController(events);
  const r = render(<ControlledScreen controller={controller} width={opts.width ?? 80} height={opts.height ?? 24} clock={clock} consoleSlot={opts.consoleSlot} keyboardCaptured={opts.keyboardCaptured} consoleLive={opts.consoleLive} />);
  mounted.push(r);
  // ink subscribes to stdin after the first render; the controller's replay is applied a tick later.
  // Wait for that frame first (a loaded machine may take longer than any fixed tick), then a tick.
  for (let i = 0; i < 400 && !(r.lastFrame() ?? '').includes('Steps '); i++) await tick(5);
  // Then for the replayed events to show (the build's steps instead of the empty screen's line).
  if (events.some((e) => e.type === 'build')) for (let i = 0; i < 400 && (r.lastFrame() ?? '').includes('waiting for the build'); i++) await tick(5);
  await tick(20);
  const press = async (...keys: string[]): Promise<void> => {
    for (const k of keys) {
      r.stdin.write(k);
      // ink flushes a lone Esc on setImmediate: under load a short timer could fire before it.
      await new Promise((res) => setImmediate(res));
      await tick(k === KEY.esc ? 10 : 2);
    }
    await tick(5);
  };
  const frame = (): string => r.lastFrame() ?? '';
  return {r, controller, press, frame, lines: () => frame().split('\n')};
}

/** The screen fits: no line wider than the terminal, one row fewer than it has. */
function expectFits(frame: string, width: number, height: number): void {
  const lines = frame.split('\n');
  expect(lines.length).toBeLessThanOrEqual(height - 1);
  const wide = lines.filter((l) => stringWidth(l) > width);
  expect(wide).toEqual([]);
}

describe('layout', () => {
  it('fits 80×24 in every pane, overlay and question', async () => {
    const scenes: [WorkbenchEvent[], string[]][] = [
      [wholeBuild(), []],
      [wholeBuild(), ['2']],
      [wholeBuild(), ['3', KEY.space]],
      [wholeBuild(), ['4']],
      [wholeBuild(), ['?']],
      [wholeBuild(), ['/', 'n', 'e', 't', KEY.enter]],
      [failedBuild(), ['3', 'e']],
      [pausedBuild(), ['q']],
      [pausedBuild(), ['h', 'j', 'j', 'b']],
    ];
    for (const [events, keys] of scenes) {
      const s = await mount(events);
      await s.press(...keys);
      expectFits(s.frame(), 80, 24);
      expect(s.lines()).toHaveLength(23);
      s.r.unmount();
    }
  });

  it('fits 200×60 and uses the room', async () => {
    const controller = new FakeController(wholeBuild());
    const r = renderSized(<ControlledScreen controller={controller} width={200} height={60} clock={clock} />, 200, 60);
    await tick(20);
    const frame = r.lastFrame()!;
    expectFits(frame, 200, 60);
    expect(frame.split('\n')).toHaveLength(59);
    expect(frame).toContain('Prepare output dir');
    r.unmount();
  });

  it('resizes cleanly: the next frame fits the new size and the Console box follows', async () => {
    const controller = new FakeController(wholeBuild());
    const slots: (Rect | undefined)[] = [];
    const screen = (w: number, h: number) => <ControlledScreen controller={controller} width={w} height={h} clock={clock} consoleSlot={(x) => slots.push(x)} consoleLive />;
    const r = render(screen(80, 24));
    mounted.push(r);
    await tick(20);
    r.stdin.write('2');
    await tick(10);
    expect(slots.at(-1)).toEqual({row: 1, col: 29, width: 50, height: 19});
    for (const [w, h] of [
      [100, 30],
      [72, 20],
      [80, 24],
    ] as const) {
      r.rerender(screen(w, h));
      await tick(10);
      expectFits(r.lastFrame()!, w, h);
      expect(r.lastFrame()!.split('\n')).toHaveLength(h - 1);
      expect(slots.at(-1)).toEqual({row: 1, col: w >= 70 ? 29 : Math.max(12, Math.min(28, Math.floor(w * 0.32))) + 1, width: w - (w >= 70 ? 28 : Math.max(12, Math.min(28, Math.floor(w * 0.32)))) - 2, height: h - 5});
    }
  });

  it('never wraps a long log line', async () => {
    const s = await mount([...wholeBuild(), {type: 'log', time: T0, source: 'serial', stream: 'stdout', line: `${'x'.repeat(300)} TAILMARK`}]);
    expectFits(s.frame(), 80, 24);
    expect(s.frame()).toContain('xxx…');
    expect(s.frame()).not.toContain('TAILMARK');
  });
});

describe('status bar and steps', () => {
  it('shows the current step, elapsed mm:ss, the pause, and hints from the keymap', async () => {
    const s = await mount(pausedBuild());
    const [status, keys] = s.lines().slice(-2);
    expect(status).toContain('running');
    expect(status).toContain('paused before Start VM');
    expect(status).toContain('step 6/12 Start VM');
    expect(status).toContain('⏱ 01:05');
    expect(keys).toMatch(/^ c continue {2}n step {2}s skip {2}a abort \(keep VM\)/);
  });

  it('step rows: icons, durations, breakpoint ●, pause marker', async () => {
    const s = await mount(pausedBuild());
    const row = (title: string) => s.lines().find((l) => l.includes(title))!;
    expect(row('Fetch ISO')).toMatch(/✔ Fetch ISO\s+1\.2s│/);
    expect(row('Start VM')).toMatch(/›●⏸ Start VM\s+⏸ before│/);
    expect(row('Wait for SSH')).toMatch(/ ○ Wait for SSH\s+│/);
  });

  it('b toggles a breakpoint on the selected step (the command carries its id)', async () => {
    const s = await mount(pausedBuild());
    await s.press('h', 'j', 'b');
    expect(s.controller.commands).toEqual([{type: 'toggle-breakpoint', stepId: 'type-boot-command'}]);
    await vi.waitFor(() => expect(s.lines().find((l) => l.includes('Type boot'))).toMatch(/›●○ Type boot/));
    await s.press('k', 'b');
    expect(s.controller.commands.at(-1)).toEqual({type: 'toggle-breakpoint', stepId: 'start-vm'});
    await vi.waitFor(() => expect(s.lines().find((l) => l.includes('Start VM'))).toMatch(/› ⏸ Start VM/));
    expect(s.lines().find((l) => l.includes('Type boot'))).toMatch(/ ●○ Type boot/);
  });

  it('B / A toggle pausing before / after every step', async () => {
    const s = await mount(wholeBuild());
    await s.press('B', 'A');
    expect(s.controller.commands).toEqual([{type: 'toggle-pause-before'}, {type: 'toggle-pause-after'}]);
    await vi.waitFor(() => expect(s.lines().at(-2)).toContain('pause before+after'));
  });

  it('at a pause: c continues, n steps, s skips, a aborts keeping the VM, x cleans up', async () => {
    for (const [k, type] of [['c', 'continue'], ['n', 'step'], ['s', 'skip'], ['a', 'abort-keep'], ['x', 'cleanup-quit']]) {
      const s = await mount(pausedBuild());
      await s.press(k!);
      expect(s.controller.commands).toEqual([{type}]);
      await vi.waitFor(() => expect(s.lines().at(-2)).not.toContain('paused'));
      s.r.unmount();
    }
  });

  it('ignores the keyboard while the App passes it to the VM', async () => {
    const s = await mount(pausedBuild(), {keyboardCaptured: true});
    await s.press('c', '3', '?');
    expect(s.controller.commands).toEqual([]);
    expect(s.frame()).toContain('1 Log');
    expect(s.lines().at(-2)).toContain('typing into the VM');
  });
});

describe('Log pane', () => {
  const flood = (from: number, n: number, source: 'qemu' | 'serial' = 'serial'): WorkbenchEvent[] =>
    Array.from({length: n}, (_, i) => ({type: 'log', time: T0, source, stream: 'stdout', line: `flood line ${from + i}`}));

  it('follows new lines; k pauses on the same lines while more arrive; G follows again', async () => {
    const s = await mount([...wholeBuild(), ...flood(1, 100)]);
    expect(s.frame()).toContain('flood line 100');
    expect(s.frame()).toContain('▼ follow');
    await s.press('l', 'k');
    expect(s.frame()).toContain('⏸ paused');
    const visible = s.lines().filter((l) => l.includes('flood line'));
    s.controller.emit(...flood(101, 50));
    await vi.waitFor(() => expect(s.frame()).toContain('51 below'));
    expect(s.lines().filter((l) => l.includes('flood line'))).toEqual(visible);
    await s.press('G');
    await vi.waitFor(() => expect(s.frame()).toContain('flood line 150'));
    expect(s.frame()).toContain('▼ follow');
  });

  it('g goes to the oldest line, with the "older lines in build.log" notice once the ring overflowed', async () => {
    const events = [...new Script().start().events, ...flood(1, 10_500)];
    const s = await mount(events);
    await s.press('l', 'g');
    const frame = s.frame();
    expect(frame).toContain('… 500 older lines in build.log');
    expect(frame).toMatch(/flood line 501\b/);
    expect(frame).not.toMatch(/flood line 500\b/);
  });

  it('/ searches: the match is marked and counted, n / N move between matches', async () => {
    const s = await mount(wholeBuild());
    await s.press('l', '/', 'n', 'e', 't', 'w', 'o', 'r', 'k', KEY.backspace, 'k');
    expect(s.frame()).toContain('/network▏');
    await s.press(KEY.enter);
    expect(s.frame()).toContain('/network 2/2');
    expect(s.lines().find((l) => l.includes('▸'))).toContain('test_network ... ok');
    await s.press('N');
    expect(s.frame()).toContain('/network 1/2');
    expect(s.lines().find((l) => l.includes('▸'))).toContain('Setting up network');
    await s.press('n');
    expect(s.frame()).toContain('/network 2/2');
    await s.press(KEY.esc);
    expect(s.frame()).not.toContain('/network');
  });

  it('F filters by source', async () => {
    const s = await mount(wholeBuild());
    await s.press('l', 'F');
    expect(s.frame()).toContain('only qemu');
    const rows = s.lines().slice(2, 21).filter((l) => /│[ ▸](\S+)/.test(l.slice(28)));
    expect(rows.length).toBeGreaterThan(0);
    for (const l of rows) expect(l.slice(28)).toMatch(/^│ qemu /);
    await s.press('F');
    expect(s.frame()).toContain('only serial');
    expect(s.frame()).toContain('[  OK  ] Started getty on tty1.');
  });
});

describe('Sections pane', () => {
  it('Enter expands a section into its lines, e jumps to the first failing one', async () => {
    const s = await mount(wholeBuild());
    await s.press('3', KEY.enter);
    expect(s.frame()).toContain('│ Unpacking package-4 (1.0-4) ...');
    expect(s.frame()).toContain('│ BEGIN{configure}');
    await s.press(KEY.enter);
    expect(s.frame()).not.toContain('Unpacking');

    const f = await mount(failedBuild());
    await f.press('3', 'e');
    expect(f.lines().find((l) => l.includes('›'))).toContain('✖ run_tests');
    expect(f.frame()).toContain('│ test_network ... FAILED: no route to 10.0.2.2');
    expect(f.frame()).not.toContain('Unpacking');
  });

  it('the error question keeps Enter; Space still expands', async () => {
    const f = await mount(failedBuild());
    await f.press('3', KEY.space);
    expect(f.frame()).toContain('│ BEGIN{install}');
    expect(f.controller.commands).toEqual([{type: 'tab', pane: 'sections'}]);
  });
});

describe('error question', () => {
  it('Enter alone answers "abort, keep everything"; r retries; x cleans up', async () => {
    for (const [k, decision] of [[KEY.enter, 'abort'], ['a', 'abort'], ['r', 'retry'], ['x', 'cleanup']] as const) {
      const s = await mount(failedBuild());
      expect(s.frame()).toContain('✖ Provision (provision) failed');
      expect(s.frame()).toContain('a / Enter stop, keep the VM and files (default)');
      await s.press(k);
      expect(s.controller.commands).toEqual([{type: 'answer-error', decision}]);
      await vi.waitFor(() => expect(s.frame()).not.toContain('(provision) failed'));
      s.r.unmount();
    }
  });

  it('no key but x (and a deliberate Ctrl-C) ever asks for a clean-up', async () => {
    const keys = ['\r', ' ', '\t', '\x1b[Z', KEY.up, KEY.down, KEY.left, KEY.right, '\x1b[5~', '\x1b[6~', ...'?1234hlbBASijkgGfFneNcsaq'.split(''), '\x04', '\x15'];
    for (const k of keys) {
      const s = await mount(failedBuild());
      await s.press(k, KEY.enter, KEY.esc, KEY.enter);
      const bad = s.controller.commands.filter((c) => c.type === 'cleanup-quit' || (c.type === 'answer-error' && c.decision === 'cleanup'));
      expect(bad, JSON.stringify(k)).toEqual([]);
      s.r.unmount();
    }
  });
});

describe('quit', () => {
  it('asks while a build runs: Enter stays, x cleans up and quits', async () => {
    const s = await mount(pausedBuild());
    await s.press('q');
    expect(s.frame()).toContain('Build running: x clean up & quit · a keep the VM & quit · Esc stay');
    await s.press(KEY.enter);
    expect(s.frame()).not.toContain('Build running');
    expect(s.controller.commands).toEqual([]);
    await s.press('q', 'x');
    expect(s.controller.commands).toEqual([{type: 'cleanup-quit'}]);
  });

  it('quits at once when the build is over', async () => {
    const s = await mount(wholeBuild());
    await s.press('q');
    expect(s.controller.commands).toEqual([{type: 'quit'}]);
  });
});

describe('help overlay', () => {
  it('? lists the keys from the keymap table, grouped; Esc closes', async () => {
    const {helpRows, CONTEXT_TITLES} = await import('../../src/tui/keymap.js');
    const controller = new FakeController(wholeBuild());
    const r = renderSized(<ControlledScreen controller={controller} width={200} height={60} clock={clock} />, 200, 60);
    await tick(20);
    r.stdin.write('?');
    // Wait for the overlay (a state, not a time: a loaded machine takes longer to draw ~100 keys).
    for (let i = 0; i < 400 && !r.lastFrame()?.includes('Keys — '); i++) await tick(5);
    const frame = r.lastFrame()!;
    expect(frame).toContain('Keys — ? or Esc closes');
    for (const row of helpRows()) expect(frame, row.description).toContain(row.description.slice(0, 20));
    for (const title of ['Anywhere', 'At a debug pause', 'Log pane', 'Sections pane']) expect(frame).toContain(title);
    expect(Object.keys(CONTEXT_TITLES).length).toBeGreaterThan(5);
    r.stdin.write(KEY.esc);
    await tick(20);
    expect(r.lastFrame()).not.toContain('Keys — ');
    r.unmount();
  });

  it('at 80×24 it scrolls with j', async () => {
    const s = await mount(wholeBuild());
    await s.press('?');
    expect(s.frame()).toContain('j/k scroll');
    const first = s.frame();
    await s.press('j', 'j', 'j');
    expect(s.frame()).not.toBe(first);
    expectFits(s.frame(), 80, 24);
  });
});

describe('Console slot', () => {
  /** The rect is empty in the frame and framed by the panel's borders. */
  function expectBlankBox(frame: string, rect: Rect): void {
    const lines = frame.split('\n').map((l) => [...l]);
    for (let y = rect.row; y < rect.row + rect.height; y++) {
      const row = lines[y]!;
      expect(row[rect.col - 1], `left border, row ${y}`).toBe('│');
      expect(row[rect.col + rect.width], `right border, row ${y}`).toBe('│');
      expect(row.slice(rect.col, rect.col + rect.width).join('').trim(), `row ${y}`).toBe('');
    }
    expect(lines[rect.row - 1]![rect.col]).toMatch(/[─ \dA-Za-z]/);
    expect(lines[rect.row + rect.height]![rect.col]).toBe('─');
  }

  it('80×24: reports the exact box for the Console, empty when the VM has a screen', async () => {
    const slots: (Rect | undefined)[] = [];
    const s = await mount(wholeBuild(), {consoleSlot: (r) => slots.push(r), consoleLive: true});
    await s.press('2');
    expect(slots.at(-1)).toEqual({row: 1, col: 29, width: 50, height: 19});
    expectBlankBox(s.frame(), slots.at(-1)!);
    await s.press('?');
    expect(slots.at(-1)).toBeUndefined();
    await s.press(KEY.esc);
    expect(slots.at(-1)).toEqual({row: 1, col: 29, width: 50, height: 19});
    await s.press('1');
    expect(slots.at(-1)).toBeUndefined();
  });

  it('shrinks when the error question opens', async () => {
    const slots: (Rect | undefined)[] = [];
    const s = await mount(failedBuild(), {consoleSlot: (r) => slots.push(r), consoleLive: true});
    await s.press('2');
    expect(slots.at(-1)).toEqual({row: 1, col: 29, width: 50, height: 13});
    expectBlankBox(s.frame(), slots.at(-1)!);
  });

  it('200×60: the exact box', async () => {
    const slots: (Rect | undefined)[] = [];
    const controller = new FakeController(wholeBuild());
    const r = renderSized(<ControlledScreen controller={controller} width={200} height={60} clock={clock} consoleSlot={(x) => slots.push(x)} consoleLive />, 200, 60);
    await tick(20);
    r.stdin.write('2');
    await tick(20);
    expect(slots.at(-1)).toEqual({row: 1, col: 37, width: 162, height: 55});
    expectBlankBox(r.lastFrame()!, slots.at(-1)!);
    r.unmount();
    expect(slots.at(-1)).toBeUndefined();
  });

  it('a placeholder until the VM has a screen', async () => {
    const s = await mount(new Script().start().events);
    await s.press('2');
    expect(s.frame()).toContain("The VM's screen appears here once QEMU runs.");
  });

  it('i opens the Console and asks for the keyboard', async () => {
    const s = await mount(wholeBuild());
    await s.press('i');
    expect(s.controller.commands).toEqual([{type: 'tab', pane: 'console'}, {type: 'console-interactive'}]);
    expect(s.frame()).toMatch(/2 Console/);
  });
});

describe('Info pane', () => {
  it('VNC address, a pasteable ssh command, paths', async () => {
    const s = await mount(wholeBuild());
    await s.press('4');
    const f = s.frame();
    expect(f).toContain('VNC         vnc://127.0.0.1:5901');
    expect(f).toMatch(/ssh {9}ssh -p 2222 -o \\/);
    expect(f).toContain('UserKnownHostsFile=/dev/null \\');
    expect(f).toContain('root@127.0.0.1');
    expect(f).toContain('log dir     /var/log/vmbench/tiny-1');
    expect(f).toContain('QEMU pid    4242');
  });
});
