/**
 * Panes on their own: the Log pane's highlighting (with colours on), virtualised rendering of a
 * full ring and of a huge expanded section, step-list scrolling, the Info pane's wrapping, the
 * help overlay's content and the error question at narrow widths.
 */
import {render} from 'ink-testing-library';
import stringWidth from 'string-width';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {ErrorPrompt} from '../../src/tui/ErrorPrompt.js';
import {helpLines, HelpOverlay} from '../../src/tui/HelpOverlay.js';
import {wrapWords} from '../../src/tui/InfoPane.js';
import {helpRows, KEYMAP} from '../../src/tui/keymap.js';
import {LogRing, LogViews, ringList} from '../../src/tui/log-ring.js';
import {LogPane} from '../../src/tui/LogPane.js';
import {SectionsPane} from '../../src/tui/SectionsPane.js';
import {colorsFor, styled} from '../../src/tui/Line.js';
import {StepList} from '../../src/tui/StepList.js';
import type {SectionView, StepView} from '../../src/tui/types.js';
import {initialView, sectionRows} from '../../src/tui/view-state.js';

// Rows colour themselves (Line.tsx) when the output has colours; test streams have none, so force them.
let force: string | undefined;
beforeAll(() => {
  force = process.env.FORCE_COLOR;
  process.env.FORCE_COLOR = '1';
});
afterAll(() => {
  if (force === undefined) delete process.env.FORCE_COLOR;
  else process.env.FORCE_COLOR = force;
});

// eslint-disable-next-line no-control-regex
const plain = (s: string): string => s.replace(/\x1b\[[0-9;]*m/g, '');

describe('LogPane', () => {
  const ring = new LogRing(10_000);
  for (let i = 1; i <= 25_000; i++) ring.push({time: 0, source: i % 3 ? 'serial' : 'qemu', stream: i % 7 ? 'stdout' : 'stderr', line: `line ${i} eth0 \x1b[31mred\x1b[0m ${'-'.repeat(i % 120)}`});

  it('highlights matches of the query in the visible rows and marks the current match', () => {
    const views = new LogViews();
    const view = {...initialView().log, query: 'ETH0', current: 25_000};
    const r = render(<LogPane ring={ring} version={ring.total} list={views.list(ring, 'all')} view={view} matches={views.matches(ring, 'all', 'ETH0')} width={60} height={8} />);
    const frame = r.lastFrame()!;
    // An upper-case query is case-sensitive (smart case): nothing to highlight.
    expect(frame).not.toContain('\x1b[43m');
    const rows = plain(frame).split('\n');
    expect(rows[0]).toContain('/ETH0: no match');
    r.unmount();

    const lower = {...initialView().log, query: 'eth0', current: 25_000};
    const r2 = render(<LogPane ring={ring} version={ring.total} list={views.list(ring, 'all')} view={lower} matches={views.matches(ring, 'all', 'eth0')} width={60} height={8} />);
    const f2 = r2.lastFrame()!;
    expect(f2.match(/\x1b\[43m(?:\x1b\[\d+m)*eth0/g)).toHaveLength(7);
    const p2 = plain(f2).split('\n');
    expect(p2[0]).toContain('/eth0 10,000/10,000');
    // The header is cut to the width; the "older lines" notice shows in full once scrolled to the top.
    expect(p2[0]).toMatch(/· … 15,000 ol[a-z ]*…$/);
    expect(p2.at(-1)).toMatch(/^▸ser {2}line 25000 eth0 red/);
    // Escape sequences in the line never reach the terminal.
    expect(f2).not.toContain('\x1b[31mred');
    for (const l of p2) expect(stringWidth(l)).toBeLessThanOrEqual(60);
    r2.unmount();
  });

  it('renders only the visible rows of a full ring, quickly', () => {
    const views = new LogViews();
    const list = views.list(ring, 'qemu');
    const t0 = performance.now();
    const r = render(<LogPane ring={ring} version={ring.total} list={list} view={{...initialView().log, follow: false, top: ring.firstSeq + 2}} width={100} height={30} />);
    const ms = performance.now() - t0;
    const rows = plain(r.lastFrame()!).split('\n');
    expect(rows).toHaveLength(30);
    expect(rows[1]).toMatch(/^… 15,000 older lines in build\.log/);
    expect(rows[2]).toMatch(/^ qemu line 15003 /);
    expect(ms).toBeLessThan(500);
    r.unmount();
  });
});

describe('StepList', () => {
  it('scrolls to keep the selection visible', () => {
    const steps: StepView[] = Array.from({length: 40}, (_, i) => ({id: `s${i}`, title: `Step number ${i}`, status: i < 30 ? 'done' : 'pending', durationMs: i < 30 ? 1000 * i : undefined, breakpoint: i === 33}));
    const r = render(<StepList steps={steps} selected={33} focused pause={undefined} width={28} height={12} now={0} />);
    const rows = plain(r.lastFrame()!).split('\n');
    expect(rows).toHaveLength(12);
    expect(rows[0]).toBe('╭─ Steps 30/40 ────────────╮');
    expect(rows.find((l) => l.includes('›'))).toMatch(/^│›●○ Step number 33\s+│$/);
    for (const l of rows) expect(stringWidth(l)).toBe(28);
    r.unmount();
  });

  it('shows the running step with a live duration', () => {
    const steps: StepView[] = [{id: 'a', title: 'Wait for SSH', status: 'running', startedAt: 1000, breakpoint: false}];
    const r = render(<StepList steps={steps} selected={0} focused={false} pause={undefined} width={28} height={4} now={13_500} />);
    expect(plain(r.lastFrame()!)).toMatch(/▶ Wait for SSH\s+12\.5s│/);
    r.unmount();
  });
});

describe('SectionsPane', () => {
  it('an expanded section with 9,000 lines renders one screenful', () => {
    const ring = new LogRing(10_000);
    for (let i = 0; i < 9000; i++) ring.push({time: 0, source: 'provisioner', stream: i === 8999 ? 'stderr' : 'stdout', line: `apt line ${i}`, section: ['install']});
    const sections: SectionView[] = [
      {key: 'install', name: 'install', path: ['install'], depth: 0, status: 'failed', startedAt: 0, durationMs: 65_000, lines: {stdout: 8999, stderr: 1}, firstSeq: 1, lastSeq: 9000},
      {key: 'after', name: 'after', path: ['after'], depth: 0, status: 'ok', startedAt: 0, durationMs: 5, lines: {stdout: 0, stderr: 0}},
    ];
    const lines = new LogViews().section(ring, ['install']);
    const rows = sectionRows(2, 0, lines);
    expect(rows.length).toBe(9002);
    const t0 = performance.now();
    const r = render(<SectionsPane sections={sections} rows={rows} ring={ring} version={ring.total} cursor={9000} expanded={0} focused width={60} height={10} />);
    const ms = performance.now() - t0;
    const out = plain(r.lastFrame()!).split('\n');
    expect(out).toHaveLength(10);
    expect(out[0]).toBe('2 sections · 1 failed (e jumps there) · Enter shows lines');
    expect(out.find((l) => l.startsWith('›'))).toMatch(/^› │ apt line 8999/);
    expect(out.at(-1)).toMatch(/^ ✔ after\s+5ms {2}0 ln$/);
    expect(ms).toBeLessThan(500);
    r.unmount();
  });
});

describe('InfoPane wrapping', () => {
  it('wraps at spaces and continues an ssh command with " \\" so it pastes as one command', () => {
    const cmd = 'ssh -p 2222 -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null root@127.0.0.1';
    const lines = wrapWords(cmd, 40, ' \\');
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(40);
    expect(lines.slice(0, -1).every((l) => l.endsWith(' \\'))).toBe(true);
    expect(lines.map((l) => l.replace(/ \\$/, '')).join(' ')).toBe(cmd);
    expect(wrapWords('a'.repeat(25), 10)).toEqual(['a'.repeat(10), 'a'.repeat(10), 'a'.repeat(5)]);
  });
});

describe('HelpOverlay', () => {
  it('is generated from the keymap table, every binding once', () => {
    const lines = helpLines(helpRows());
    expect(lines.filter((l) => !l.header && l.keys)).toHaveLength(KEYMAP.length);
    const r = render(<HelpOverlay lines={lines} scroll={0} width={100} height={40} />);
    const frame = plain(r.lastFrame()!);
    expect(frame).toContain('Keys — ? or Esc closes');
    expect(frame).toContain('Anywhere');
    expect(frame).toMatch(/ \? +help: every key/);
    for (const l of frame.split('\n')) expect(stringWidth(l)).toBeLessThanOrEqual(100);
    r.unmount();
  });
});

describe('ErrorPrompt', () => {
  it.each([80, 60, 40])('at %d columns the answers fit and Enter is marked as the default', (w) => {
    const r = render(<ErrorPrompt prompt={{stepId: 'wait-ssh', title: 'Wait for SSH', message: 'Timeout waiting for SSH after 5m0s: connection reset by peer (SLIRP accepted, then reset)'.repeat(2)}} width={w} />);
    const rows = plain(r.lastFrame()!).split('\n');
    expect(rows).toHaveLength(6);
    for (const l of rows) expect(stringWidth(l)).toBe(w);
    expect(rows[4]).toMatch(/r retry.*a.*(Enter|⏎).*x clean/);
    expect(rows[3]).toMatch(/…│$/);
    r.unmount();
  });
});

describe('Line', () => {
  it('styles segments with SGR codes only when colours are on', () => {
    const segs = [{text: 'ser ', color: 'cyan'}, {text: ' '}, {text: 'eth0', bg: 'yellow', color: 'black'}, {text: 'x', inverse: true, bold: true}, {text: ''}];
    expect(styled(segs, false)).toBe('ser  eth0x');
    expect(styled(segs, true)).toBe('\x1b[36mser \x1b[0m \x1b[30;43meth0\x1b[0m\x1b[1;7mx\x1b[0m');
  });

  it('decides colours like other tools: NO_COLOR, then FORCE_COLOR, then the terminal', () => {
    const tty = {isTTY: true, hasColors: () => true};
    expect(colorsFor(tty, {})).toBe(true);
    expect(colorsFor(tty, {NO_COLOR: '1'})).toBe(false);
    expect(colorsFor({}, {FORCE_COLOR: '1'})).toBe(true);
    expect(colorsFor(tty, {FORCE_COLOR: '0'})).toBe(false);
    expect(colorsFor({isTTY: true, hasColors: () => false}, {})).toBe(false);
    expect(colorsFor({}, {})).toBe(false);
  });
});
