/**
 * The workbench App against a fake BuildController: picker → build → result → picker, event
 * batching under a flood of log lines, Ctrl-C and q while a build runs, the Console pane's box
 * following the tabs, and keyboard passthrough to the VM.
 */
import React from 'react';
import {Text} from 'ink';
import {render} from 'ink-testing-library';
import {afterEach, describe, expect, it} from 'vitest';
import {HalfBlockPane} from '../../src/render/pane.js';
import {App} from '../../src/tui/App.js';
import {ConsolePane, type ConsoleFrames} from '../../src/tui/console-pane.js';
import type {ProfileEntry} from '../../src/tui/profiles-data.js';
import type {BuildController, UiCommand, WorkbenchEvent} from '../../src/tui/types.js';
import {Framebuffer} from '../../src/vnc/framebuffer.js';
import {Keysym} from '../../src/vnc/keysyms.js';

class FakeController implements BuildController {
  readonly commands: UiCommand[] = [];
  private readonly listeners = new Set<(e: WorkbenchEvent) => void>();
  private readonly history: WorkbenchEvent[] = [];
  private finish!: (r: Awaited<BuildController['done']>) => void;
  readonly done = new Promise<Awaited<BuildController['done']>>((r) => (this.finish = r));
  screen: ConsoleFrames | undefined;

  subscribe(l: (e: WorkbenchEvent) => void): () => void {
    for (const e of this.history) l(e);
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
  command(cmd: UiCommand): void {
    this.commands.push(cmd);
  }
  frames() {
    return this.screen as never;
  }
  async readText() {
    return undefined;
  }
  emit(e: WorkbenchEvent): void {
    this.history.push(e);
    for (const l of this.listeners) l(e);
  }
  start(profile = 'debian-12'): void {
    this.emit({type: 'build', status: 'started', time: 1000, profile, steps: [{id: 'fetch-iso', title: 'Fetch ISO'}, {id: 'wait-ssh', title: 'Wait for SSH'}]});
    this.emit({type: 'step', time: 1000, id: 'fetch-iso', title: 'Fetch ISO', status: 'running'});
  }
  end(status: 'done' | 'failed' | 'cancelled', reason?: string): void {
    this.emit({type: 'build', status, time: 5000, durationMs: 4000, ...(reason ? {reason} : {})});
    this.finish({status, kept: false});
  }
  log(line: string): void {
    this.emit({type: 'log', time: 1001, source: 'serial', stream: 'stdout', line});
  }
}

const entries: ProfileEntry[] = [
  {name: 'debian-12', dir: '/profiles/debian-12', origin: 'builtin', distro: 'debian', installMethod: 'preseed', description: 'Debian 12'},
  {name: 'tiny', dir: '/profiles/tiny', origin: 'builtin', distro: 'busybox', installMethod: 'custom', description: 'Tiny'},
];

const tick = (ms = 0): Promise<void> => new Promise((r) => setTimeout(r, ms));
/** Waits until the last frame satisfies `ok` (state, not time: no fixed sleeps to pass a test). */
async function until(r: {lastFrame: () => string | undefined}, ok: (f: string) => boolean, what: string, ms = 2000): Promise<string> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const f = r.lastFrame() ?? '';
    if (ok(f)) return f;
    await tick(5);
  }
  throw new Error(`timed out waiting for ${what}; last frame:\n${r.lastFrame()}`);
}

function setup(opts: {pane?: ConsolePane; debug?: boolean; fail?: boolean; grace?: number} = {}) {
  const started: {dir: string; debug: boolean; c: FakeController}[] = [];
  const exits: number[] = [];
  let loads = 0;
  const r = render(
    <App
      loadProfiles={() => (loads++, entries)}
      startBuild={(dir, o) => {
        if (opts.fail) throw new Error('profile changed on disk: bad field\nmore');
        const c = new FakeController();
        started.push({dir, debug: o.debug, c});
        return c;
      }}
      debug={opts.debug}
      consolePane={opts.pane}
      onExit={(code) => exits.push(code)}
      size={{columns: 100, rows: 30}}
      clock={() => 3000}
      resultGraceMs={opts.grace ?? 0}
    />,
  );
  return {r, started, exits, loads: () => loads};
}

const mounted: {unmount: () => void}[] = [];
afterEach(() => {
  for (const m of mounted.splice(0)) m.unmount();
});

describe('App: picker → build → result → picker', () => {
  it('builds the selected profile, shows the result, and any key goes back to a fresh picker', async () => {
    const {r, started, loads} = setup();
    mounted.push(r);
    await until(r, (f) => f.includes('debian-12'), 'the picker');
    r.stdin.write('j'); // tiny
    await tick();
    r.stdin.write('d'); // debug mode for the next build
    await tick();
    r.stdin.write('\r');
    await tick();
    expect(started.map((s) => [s.dir, s.debug])).toEqual([['/profiles/tiny', true]]);
    const c = started[0]!.c;
    c.start('tiny');
    c.log('hello from the serial console');
    await until(r, (f) => f.includes('Fetch ISO') && f.includes('hello from the serial console'), 'the build screen');
    c.end('failed', 'wait-ssh: Timeout waiting for SSH');
    const result = await until(r, (f) => f.includes('build failed'), 'the result');
    expect(result).toContain('tiny: build failed');
    expect(result).toContain('wait-ssh: Timeout waiting for SSH');
    expect(result).toContain('any key: back to the profiles');
    const before = loads();
    r.stdin.write('x');
    await until(r, (f) => f.includes('PROFILE') && f.includes('DISTRO'), 'the picker again');
    expect(loads()).toBe(before + 1); // last results are read again
  });

  it('v on the result browses the build; q there returns to the picker', async () => {
    const {r, started} = setup();
    mounted.push(r);
    await until(r, (f) => f.includes('debian-12'), 'the picker');
    r.stdin.write('\r');
    await tick();
    const c = started[0]!.c;
    c.start();
    c.end('done');
    await until(r, (f) => f.includes('build done'), 'the result');
    r.stdin.write('v');
    await until(r, (f) => f.includes('Fetch ISO') && f.includes('1 Log'), 'the build screen again');
    await tick(20); // ink subscribes a new screen's key handler after its first frame
    r.stdin.write('q');
    await until(r, (f) => f.includes('PROFILE'), 'the picker');
  });

  it('ignores keys for a moment after the result appears (a key meant for the build view)', async () => {
    const {r, started} = setup({grace: 300});
    mounted.push(r);
    await until(r, (f) => f.includes('debian-12'), 'the picker');
    r.stdin.write('\r');
    await tick();
    const c = started[0]!.c;
    c.start();
    c.end('done');
    await until(r, (f) => f.includes('build done'), 'the result');
    r.stdin.write('j');
    await tick(50);
    expect(r.lastFrame()).toContain('build done');
    await tick(300);
    r.stdin.write('j');
    await until(r, (f) => f.includes('PROFILE'), 'the picker');
  });

  it('a build that cannot start is explained in the picker', async () => {
    const {r} = setup({fail: true});
    mounted.push(r);
    await until(r, (f) => f.includes('debian-12'), 'the picker');
    r.stdin.write('\r');
    await until(r, (f) => f.includes('debian-12: profile changed on disk: bad field'), 'the notice');
  });
});

describe('App: a running build', () => {
  async function running(opts: {pane?: ConsolePane} = {}) {
    const s = setup(opts);
    mounted.push(s.r);
    await until(s.r, (f) => f.includes('debian-12'), 'the picker');
    s.r.stdin.write('\r');
    await tick();
    const c = s.started[0]!.c;
    c.start();
    await until(s.r, (f) => f.includes('Fetch ISO'), 'the build screen');
    return {...s, c};
  }

  it('batches a flood of log events: 20,000 lines render a handful of frames and the last line shows', async () => {
    const {r, c} = await running();
    await tick(60);
    const before = r.frames.length;
    for (let i = 0; i < 20_000; i++) c.log(`flood line ${i}`);
    const last = await until(r, (f) => f.includes('flood line 19999'), 'the last line');
    const renders = r.frames.length - before;
    expect(renders).toBeGreaterThan(0);
    expect(renders).toBeLessThanOrEqual(5);
    expect(last).toContain('flood line 19998');
  });

  it('a key press shows its effect while lines keep pouring in', async () => {
    const {r, c} = await running();
    let n = 0;
    const pour = setInterval(() => {
      for (let i = 0; i < 100; i++) c.log(`pour ${n++}`);
    }, 5);
    try {
      await until(r, (f) => f.includes('pour 1'), 'lines pouring in');
      await tick(20);
      const before = r.frames.length;
      r.stdin.write('4'); // Info tab
      await until(r, (f) => f.includes('appear once the VM runs'), 'the Info pane', 1000);
      // Counted in frames, not milliseconds (no timed tests): the first frame drawn after the
      // key already shows its effect, however many lines arrived meanwhile.
      const first = r.frames.findIndex((f, i) => i >= before && f.includes('appear once the VM runs'));
      expect(first - before).toBeLessThanOrEqual(1);
    } finally {
      clearInterval(pour);
    }
  });

  it('a key still acts at once while the VM screen changes at 30 fps on the Console and 10,000 lines/s arrive', async () => {
    const out: string[] = [];
    const pane = new ConsolePane({write: (d) => void out.push(d.length ? 'x' : ''), createPainter: (g) => new HalfBlockPane({...g, mode: 'truecolor'})});
    const {r, c} = await running({pane});
    const fb = new Framebuffer(720, 400);
    c.screen = {framebuffer: fb, keys: {keyEvent: () => {}}};
    r.stdin.write('2');
    await until(r, () => pane.visibleRect !== undefined, 'the console box');
    let n = 0;
    let seed = 1;
    const vm = setInterval(() => {
      // A whole new screen each frame: the painter's worst case.
      for (let i = 0; i < fb.pixels.length; i += 7) fb.pixels[i] = seed = (seed * 1103515245 + 12345) & 0xffffff;
      fb.applyRect({kind: 'copy', x: 0, y: 0, width: 720, height: 400, srcX: 0, srcY: 0} as never, {} as never);
    }, 33);
    const pour = setInterval(() => {
      for (let i = 0; i < 100; i++) c.log(`pour ${n++}`);
    }, 10);
    try {
      await tick(300);
      const paintsBefore = pane.stats.paints;
      const before = r.frames.length;
      r.stdin.write('4');
      await until(r, (f) => f.includes('appear once the VM runs'), 'the Info pane', 1000);
      expect(paintsBefore).toBeGreaterThan(3); // the console really was painting meanwhile
      // The first frame ink draws after the key shows the Info pane (counted in frames, not ms).
      const first = r.frames.findIndex((f, i) => i >= before && f.includes('appear once the VM runs'));
      expect(first - before).toBeLessThanOrEqual(1);
    } finally {
      clearInterval(vm);
      clearInterval(pour);
    }
  });

  it('Ctrl-C is forwarded to the controller each time (first cancels, second stops now)', async () => {
    const {r, c} = await running();
    r.stdin.write('\x03');
    await tick();
    r.stdin.write('\x03');
    await tick();
    expect(c.commands.filter((x) => x.type === 'interrupt')).toHaveLength(2);
  });

  it('q while the build runs asks first; Esc stays; x cleans up and quits once the build has ended', async () => {
    const {r, c, exits} = await running();
    r.stdin.write('q');
    await until(r, (f) => f.includes('Esc stay'), 'the quit question');
    r.stdin.write('\x1b');
    await until(r, (f) => !f.includes('Esc stay'), 'the question gone');
    expect(exits).toEqual([]);
    r.stdin.write('q');
    await until(r, (f) => f.includes('Esc stay'), 'the quit question');
    r.stdin.write('x');
    await tick();
    expect(c.commands.at(-1)).toEqual({type: 'cleanup-quit'});
    expect(exits).toEqual([]); // still cleaning up
    c.end('cancelled', 'cancelled from the workbench');
    await tick(10);
    expect(exits).toEqual([130]);
  });

  it('the Console box follows the tab, and i passes keys to the VM until Ctrl-]', async () => {
    const out: string[] = [];
    const pane = new ConsolePane({write: (d) => out.push(String(d)), createPainter: (g) => new HalfBlockPane({...g, mode: 'truecolor'})});
    const {r, c} = await running({pane});
    const sent: [number, boolean][] = [];
    const fb = new Framebuffer(64, 48);
    fb.pixels.fill(0x336699);
    c.screen = {framebuffer: fb, keys: {keyEvent: (k, d) => void sent.push([k, d])}};
    expect(pane.visibleRect).toBeUndefined();
    r.stdin.write('2'); // Console
    await until(r, (f) => f.includes('2 Console'), 'the console tab');
    await tick(20);
    const rect = pane.visibleRect!;
    expect(rect).toBeDefined();
    // BuildScreen's box, 1-based, to the right of the step list, inside the panel border.
    expect(rect.col).toBeGreaterThan(20);
    expect(rect.row).toBe(2);
    expect(out.join('')).toContain('\x1b[?2026h');
    r.stdin.write('i');
    await until(r, (f) => f.includes('typing into the VM'), 'the passthrough marker');
    await tick();
    r.stdin.write('l');
    await tick();
    r.stdin.write('\x1b[A');
    await tick(60);
    await pane.flushKeys();
    expect(sent).toEqual([[0x6c, true], [0x6c, false], [Keysym.Up, true], [Keysym.Up, false]]);
    // Keys went to the VM, not to the screen: 'l' did not move the focus, ↑ moved nothing.
    r.stdin.write('\x1d');
    await until(r, (f) => !f.includes('typing into the VM'), 'the marker gone');
    await tick(20);
    r.stdin.write('1'); // Log: the box is given back
    await until(r, () => pane.visibleRect === undefined, 'the box given back');
    expect(sent).toHaveLength(4);
  });
});

describe('App: first run', () => {
  it('shows the setup screen first, then the picker when it is done or skipped', async () => {
    let finish!: () => void;
    const r = render(
      <App
        loadProfiles={() => entries}
        startBuild={() => new FakeController()}
        setup={(done) => {
          finish = done;
          return <SetupStub />;
        }}
        onExit={() => {}}
        size={{columns: 80, rows: 24}}
      />,
    );
    mounted.push(r);
    await until(r, (f) => f.includes('setup stub'), 'the setup screen');
    finish();
    await until(r, (f) => f.includes('debian-12'), 'the picker');
  });
});

function SetupStub(): React.ReactElement {
  return <Text>setup stub</Text>;
}

describe('vmbench with no arguments', () => {
  it('without a terminal says how to build with plain output and exits 2', async () => {
    const {workbenchCommand} = await import('../../src/cli/workbench-command.js');
    const tty = {in: process.stdin.isTTY, out: process.stdout.isTTY};
    const written: string[] = [];
    const write = process.stderr.write;
    Object.defineProperty(process.stdin, 'isTTY', {value: undefined, configurable: true});
    process.stderr.write = ((d: string) => (written.push(String(d)), true)) as typeof process.stderr.write;
    try {
      expect(await workbenchCommand({})).toBe(2);
    } finally {
      process.stderr.write = write;
      Object.defineProperty(process.stdin, 'isTTY', {value: tty.in, configurable: true});
    }
    expect(written.join('')).toContain('the workbench needs a terminal');
    expect(written.join('')).toContain('vmbench build <profile>');
  });
});
