/**
 * The workbench with the real installer's screens: the Console pane shows a 160×50 d-i screen as
 * terminal text (read back through a small terminal model), pans it, and switches to pixels on
 * `t`; the installer timeline under the steps; the diagnosis at the error question and on the
 * result screen. A fake controller plays the build; the App, ConsolePane and painters are real.
 */
import {readFileSync} from 'node:fs';
import React from 'react';
import {afterEach, describe, expect, it} from 'vitest';
import type {ScreenTextRead} from '../../src/render/screen-view.js';
import {HalfBlockPane} from '../../src/render/pane.js';
import {App} from '../../src/tui/App.js';
import {ConsolePane, type ConsoleFrames} from '../../src/tui/console-pane.js';
import type {ProfileEntry} from '../../src/tui/profiles-data.js';
import type {WorkbenchEvent} from '../../src/tui/types.js';
import {ControlledScreen, FakeController, failedBuild, renderSized, Script, T0} from '../fakes/fake-controller.js';
import {VtGrid} from '../support/vt-grid.js';

const BLUE = 0x0000aa;
const GREY = 0xaaaaaa;
const BLACK = 0x000000;
const WHITE = 0xffffff;

const tick = (ms = 0): Promise<void> => new Promise((r) => setTimeout(r, ms));
async function until<T>(get: () => T | undefined | false, what: string, ms = 3000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = get();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await tick(5);
  }
}

/** The real 1280×800 "choose a mirror" screen as the reader gives it: 160×50, blue screen, grey dialog. */
function diScreen(): ScreenTextRead {
  const text = readFileSync(new URL('../fixtures/installer-screens/di-q-mirror-hostname-1280x800.txt', import.meta.url), 'utf8');
  const lines = text.split('\n').slice(0, 50);
  const fg = new Uint32Array(160 * 50).fill(WHITE);
  const bg = new Uint32Array(160 * 50).fill(BLUE);
  for (let r = 18; r <= 30; r++) for (let c = 38; c <= 120; c++) [fg[r * 160 + c], bg[r * 160 + c]] = [BLACK, GREY];
  return {lines, cols: 160, rows: 50, fg, bg, confidence: 1};
}

function screen(): ConsoleFrames {
  const width = 1280;
  const height = 800;
  // Stripes: as pixels, every cell is a half-block.
  const pixels = new Uint32Array(width * height).map((_, i) => (Math.floor(i / width) % 2 ? BLUE : WHITE));
  return {framebuffer: {width, height, pixels, version: 1, takeDamage: () => []}, keys: {keyEvent: () => {}}};
}

const entry: ProfileEntry = {name: 'debian-12', dir: '/profiles/debian-12', origin: 'builtin', distro: 'debian', installMethod: 'preseed', description: 'Debian 12'};

const mounted: {unmount: () => void}[] = [];
const panes: ConsolePane[] = [];
afterEach(() => {
  for (const m of mounted.splice(0)) m.unmount();
  for (const p of panes.splice(0)) p.stop();
});

/** The App on a 130×40 terminal, building `entry` with `c` at once. */
function app(c: FakeController, pane?: ConsolePane) {
  const r = renderSized(<App loadProfiles={() => [entry]} startBuild={() => c} autoBuild={entry} consolePane={pane} onExit={() => {}} size={{columns: 130, rows: 40}} clock={() => T0 + 60_000} resultGraceMs={0} />, 130, 40);
  mounted.push(r);
  const frame = (): string => r.lastFrame() ?? '';
  const press = async (k: string): Promise<void> => {
    r.stdin.write(k);
    await tick(10);
  };
  return {r, frame, press};
}

function running(): WorkbenchEvent[] {
  const s = new Script().start();
  s.run('fetch-iso', 1200).run('prepare-output', 5).run('create-disk', 40).run('ssh-key', 12).run('serve-http', 3);
  s.step('start-vm', 'running').vmFacts().step('start-vm', 'done', {durationMs: 2000});
  return s.step('type-boot-command', 'running').events;
}

describe('Console pane: the screen as text', () => {
  it('shows a 160×50 d-i screen as text in its own colours, pans with h, and t switches to pixels', async () => {
    const out: string[] = [];
    const pane = new ConsolePane({write: (d) => void out.push(String(d)), createPainter: (g) => new HalfBlockPane({...g, mode: 'truecolor'}), colorMode: 'truecolor', readIntervalMs: 0});
    panes.push(pane);
    const c = new FakeController(running(), {screen: screen(), text: diScreen()});
    const {frame, press} = app(c, pane);
    await until(() => frame().includes('Type boot command'), 'the build screen');
    await press('2');
    const vt = new VtGrid(130, 40);
    const find = (needle: string): {row: number; col: number} | undefined => {
      for (let r = 1; r <= 40; r++) {
        const col = vt.text(r).indexOf(needle);
        if (col >= 0) return {row: r, col: col + 1};
      }
      return undefined;
    };
    const at = await until(() => (vt.apply(out.splice(0).join('')), find('Debian archive mirror hostname:')), 'the text on screen');
    // The pane's box is rows 2–36, columns 30–129. The window (x, y) holds the whole grey dialog
    // (columns 38–120, rows 18–30): screen cell (40, 24) — the D — is at box + (40 − x, 24 − y).
    const box = pane.visibleRect!;
    expect(box).toEqual({row: 2, col: 30, width: 100, height: 35});
    const v = pane.status!.text!.view;
    expect(v.x <= 38 && v.x + 100 > 120 && v.y <= 18 && v.y + 35 > 30).toBe(true);
    expect(at).toEqual({row: box.row + (24 - v.y), col: box.col + (40 - v.x)});
    expect(vt.cell(at.row, at.col)).toMatchObject({ch: 'D', fg: BLACK, bg: GREY});
    expect(vt.cell(box.row, box.col)).toMatchObject({bg: BLUE});
    await until(() => frame().includes(`text 160×50 · cols ${v.x + 1}–${v.x + 100} rows ${v.y + 1}–${v.y + 35}`), 'the view in the tab line');

    await press('h'); // a text screen larger than the pane: h pans (it does not move the focus)
    const x2 = Math.max(0, v.x - 25);
    await until(() => frame().includes(`cols ${x2 + 1}–${x2 + 100}`), 'the window moved left');
    const moved = await until(() => (vt.apply(out.splice(0).join('')), find('Debian archive mirror hostname:')), 'the text again');
    expect(moved).toEqual({row: at.row, col: at.col + (v.x - x2)});
    expect(v.x - x2).toBeGreaterThan(0);

    await press('t');
    await until(() => frame().includes('(always text)'), 'text forced');
    await press('t');
    await until(() => frame().includes('pixels (always pixels)'), 'pixels forced');
    await until(() => (vt.apply(out.splice(0).join('')), /[▀▄]/u.test(vt.text(box.row + 10))), 'half-blocks in the box');
    expect(find('Debian archive mirror hostname:')).toBeUndefined();
    expect(c.textReads).toBeGreaterThan(0);
  });
});

describe('installer timeline and diagnosis', () => {
  const at = (ms: number) => T0 + ms;

  it('lists the stages with durations under the steps, the current one running, questions marked', async () => {
    const events: WorkbenchEvent[] = [
      ...running(),
      {type: 'installer', time: at(0), kind: 'stage', stage: 'Detect network hardware'},
      {type: 'installer', time: at(4000), kind: 'stage', stage: 'Configure the network'},
      {type: 'installer', time: at(5000), kind: 'question', title: '[!] Configure the network', prompt: 'Hostname:', template: 'netcfg/get_hostname'},
      {type: 'installer', time: at(9000), kind: 'stage', stage: 'Choose a mirror'},
    ];
    const c = new FakeController(events);
    const r = renderSized(<ControlledScreen controller={c} width={120} height={40} clock={() => at(12_500)} />, 120, 40);
    mounted.push(r);
    const f = await until(() => (r.lastFrame() ?? '').includes('Choose a mirror') && r.lastFrame(), 'the timeline');
    const left = f.split('\n').map((l) => l.slice(0, 34));
    const from = left.findIndex((l) => l.includes('Installer 3 stages · 1?'));
    expect(from).toBeGreaterThan(13); // below the 12 steps
    expect(left.slice(from + 1, from + 5).map((l) => l.replace(/\s+/g, ' ').trim())).toEqual([
      '│✔ Detect network hardware 4.0s│',
      '│✔ Configure the network 5.0s│',
      '│? Hostname: │',
      '│▶ Choose a mirror 3.5s│',
    ]);
  });

  it('the error question names the cause first, then evidence, hint and screenshot', async () => {
    const c = new FakeController([
      ...failedBuild().slice(0, -1),
      {type: 'diagnosis', time: T0, cause: 'the installer stopped at "Bad archive mirror"', evidence: ['screen: [!!] Choose a mirror of the Debian archive', 'installer log: bad mirror'], hint: 'set mirror/http/hostname', screenshot: '/logs/stop.png'},
      ...failedBuild().slice(-1),
    ]);
    const r = renderSized(<ControlledScreen controller={c} width={120} height={40} clock={() => T0} />, 120, 40);
    mounted.push(r);
    const f = await until(() => (r.lastFrame() ?? '').includes('cause:') && r.lastFrame(), 'the question');
    const lines = f.split('\n');
    const i = lines.findIndex((l) => l.includes('Provision (provision) failed'));
    expect(lines.slice(i + 1, i + 6).map((l) => l.replace(/│/g, '').trim())).toEqual([
      'cause: the installer stopped at "Bad archive mirror"',
      '· screen: [!!] Choose a mirror of the Debian archive',
      '· installer log: bad mirror',
      'hint: set mirror/http/hostname',
      'screenshot: /logs/stop.png',
    ]);
    expect(lines.at(-2)).toContain('the installer stopped at'); // the status line: the cause, not the step's error
  });

  it("an answer's offer waits while the failed step's question is up: hidden, its keys inert; then it shows", async () => {
    const answer: WorkbenchEvent = {type: 'installer', time: T0, kind: 'answer', template: 'netcfg/get_hostname', value: 'web1', preseedLine: 'd-i netcfg/get_hostname string web1', preseedFile: '/p/http/preseed.cfg'};
    const c = new FakeController([...failedBuild(), answer]);
    const r = renderSized(<ControlledScreen controller={c} width={120} height={40} clock={() => T0} />, 120, 40);
    mounted.push(r);
    await until(() => (r.lastFrame() ?? '').includes('answer below'), 'the question');
    r.stdin.write('p');
    await tick(30);
    expect(r.lastFrame()).not.toContain('your answer as a preseed line');
    expect(r.lastFrame()).not.toContain('Append this line');
    expect(c.commands).toEqual([]);
    r.stdin.write('r'); // retry: the question goes (the fake answers it), the offer shows
    await until(() => (r.lastFrame() ?? '').includes('your answer as a preseed line: d-i netcfg/get_hostname string web1'), 'the offer');
    expect(c.commands).toEqual([{type: 'answer-error', decision: 'retry'}]);
  });

  it('the result screen puts the diagnosis right under the verdict', async () => {
    const s = new Script().start();
    s.run('fetch-iso', 1000).step('wait-ssh', 'running');
    s.add({type: 'installer', time: s.time, kind: 'stage', stage: 'Download installer components'});
    s.add({type: 'diagnosis', time: s.time, cause: 'the installer could not download its components', evidence: ['screen: [!!] Download installer components'], screenshot: '/logs/s.png'});
    s.tick(30_000).step('wait-ssh', 'failed', {error: 'the installer stopped'});
    s.add({type: 'build', status: 'failed', time: s.time, durationMs: 31_000, reason: 'wait-ssh failed'});
    const c = new FakeController(s.events);
    const {frame} = app(c);
    const f = await until(() => frame().includes('build failed') && frame(), 'the result');
    const lines = f.split('\n').map((l) => l.trim());
    const i = lines.findIndex((l) => l === 'failed at wait-ssh'); // the cause below says it better than the step's error
    expect(lines.slice(i + 1, i + 4)).toEqual(['cause: the installer could not download its components', '· screen: [!!] Download installer components', 'screenshot: /logs/s.png']);
    expect(lines[i + 4]).toMatch(/^installer: ✖ Download installer components \(00:30\)/);
  });
});
