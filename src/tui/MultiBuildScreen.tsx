/**
 * `vmbench build a b c` in a terminal: the builds as a list — name, state, current step,
 * elapsed — that you can open. Enter on one shows its steps and the tail of its log (read from
 * the child's events, see session/multi-runner.ts); Esc goes back. Ctrl-C cancels every build
 * (a second Ctrl-C stops them at once); once all have ended, q (or Ctrl-C) leaves and the summary
 * table is printed on the normal screen.
 *
 * It only draws what it is given (`builds`, `now`): the CLI (cli/multi-build.ts) re-renders it
 * as the children report and once a second for the clocks.
 */
import {Box, useInput} from 'ink';
import {useState} from 'react';
import type {BuildRun, RunStatus} from '../session/multi-runner.js';
import {formatClock, fit, fitStart, sanitizeLine, STEP_COLOR, STEP_ICON, truncate} from './format.js';
import {Line, type Seg} from './Line.js';

export interface MultiBuildScreenProps {
  builds: readonly BuildRun[];
  now: number;
  /** Every build has ended. */
  finished: boolean;
  /** Ctrl-C presses so far (forwarded to the builds). */
  interrupts: number;
  width: number;
  height: number;
  onInterrupt: () => void;
  onQuit: () => void;
}

export const RUN_ICON: Record<RunStatus, string> = {queued: '○', running: '▶', done: '✔', failed: '✖', cancelled: '⊘', 'not started': '·'};
export const RUN_COLOR: Record<RunStatus, string> = {queued: 'gray', running: 'cyan', done: 'green', failed: 'red', cancelled: 'yellow', 'not started': 'gray'};

/** How long a build has run (or ran): `mm:ss`, empty before it starts. */
export function elapsed(b: BuildRun, now: number): string {
  return b.startedAt === undefined ? '' : formatClock((b.endedAt ?? now) - b.startedAt);
}

/** What the list says a build is doing: its step, why it waits, or how it ended. */
export function doing(b: BuildRun): string {
  if (b.status === 'running') return b.currentStep ?? 'starting';
  if (b.status === 'queued') return b.waiting ?? 'queued';
  if (b.status === 'done') return b.artifacts.length ? `${b.artifacts.length} artifact${b.artifacts.length === 1 ? '' : 's'}` : 'done';
  return [b.failedStep, b.reason].filter(Boolean).join(': ');
}

function counts(builds: readonly BuildRun[]): string {
  const c = new Map<string, number>();
  for (const b of builds) c.set(b.status, (c.get(b.status) ?? 0) + 1);
  return [...c].map(([k, n]) => `${n} ${k}`).join(', ');
}

const NAME = 18;
const STATE = 13;
const CLOCK = 8;

function ListView({builds, selected, now, width, height}: {builds: readonly BuildRun[]; selected: number; now: number; width: number; height: number}) {
  const rows = Math.max(1, height);
  const start = Math.max(0, Math.min(selected - Math.floor(rows / 2), builds.length - rows));
  const name = Math.min(NAME, Math.max(6, ...builds.map((b) => b.plan.label.length)) + 1);
  const rest = Math.max(0, width - 2 - name - STATE - CLOCK);
  return (
    <Box flexDirection="column" height={rows}>
      {builds.slice(start, start + rows).map((b, i) => {
        const sel = start + i === selected;
        const segs: Seg[] = [
          {text: sel ? '› ' : '  ', color: 'cyan'},
          {text: fit(b.plan.label, name), bold: sel, inverse: sel},
          {text: fit(`${RUN_ICON[b.status]} ${b.status}`, STATE), color: RUN_COLOR[b.status]},
          {text: fit(sanitizeLine(doing(b)), rest), color: b.status === 'failed' ? 'red' : undefined},
          {text: fitStart(elapsed(b, now), CLOCK), color: 'gray'},
        ];
        return <Line key={b.plan.label} width={width} segs={segs} />;
      })}
    </Box>
  );
}

function DetailView({b, now, width, height}: {b: BuildRun; now: number; width: number; height: number}) {
  const rows: Seg[][] = [];
  rows.push([{text: fit(`log folder: ${b.plan.logDir}`, width), color: 'gray'}]);
  rows.push([{text: fit(`output: ${b.plan.outputDir}${b.pid ? `   pid ${b.pid}` : ''}${b.qemuPids.length ? `   QEMU pid ${b.qemuPids.at(-1)}` : ''}`, width), color: 'gray'}]);
  if (b.status !== 'running' && b.status !== 'queued' && b.status !== 'done') rows.push([{text: fit(doing(b), width), color: RUN_COLOR[b.status]}]);
  const steps = b.steps.length ? b.steps : [];
  const dur = (s: BuildRun['steps'][number]): string =>
    s.status === 'running' && s.startedAt !== undefined ? formatClock(now - s.startedAt) : s.durationMs !== undefined ? formatClock(s.durationMs) : '';
  const stepRows = steps.map((s): Seg[] => [
    {text: ' '},
    {text: STEP_ICON[s.status], color: STEP_COLOR[s.status]},
    {text: ' '},
    {text: fit(s.title, Math.max(0, width - 3 - CLOCK)), bold: s.status === 'running'},
    {text: fitStart(dur(s), CLOCK), color: 'gray'},
  ]);
  const logRoom = Math.max(0, height - rows.length - stepRows.length - 2);
  const tail = b.log.slice(-logRoom);
  return (
    <Box flexDirection="column" height={height}>
      {rows.map((segs, i) => (
        <Line key={`h${i}`} width={width} segs={segs} />
      ))}
      <Line width={width} segs={[{text: fit(steps.length ? `Steps ${steps.filter((s) => s.status === 'done').length}/${steps.length}` : 'Steps: waiting for the build…', width), bold: true}]} />
      {stepRows.map((segs, i) => (
        <Line key={`s${i}`} width={width} segs={segs} />
      ))}
      <Line width={width} segs={[{text: fit(`Log (last ${tail.length} lines)`, width), bold: true}]} />
      {tail.map((l, i) => (
        <Line key={`l${i}`} width={width} segs={[{text: fit(sanitizeLine(l), width), color: l.startsWith('stderr:') || l.startsWith('!!!') ? 'red' : undefined}]} />
      ))}
    </Box>
  );
}

export function MultiBuildScreen({builds, now, finished, interrupts, width, height, onInterrupt, onQuit}: MultiBuildScreenProps) {
  const [selected, setSelected] = useState(0);
  const [open, setOpen] = useState(false);
  const [hint, setHint] = useState<string | undefined>();
  useInput((input, key) => {
    setHint(undefined);
    if (key.ctrl && input === 'c') return finished ? onQuit() : onInterrupt();
    if (key.upArrow || input === 'k') setSelected((s) => Math.max(0, s - 1));
    else if (key.downArrow || input === 'j') setSelected((s) => Math.min(builds.length - 1, s + 1));
    else if (key.escape) setOpen(false);
    else if (key.return && !open) setOpen(true);
    else if (input === 'q') {
      if (finished) onQuit();
      else setHint('builds are still running: Ctrl-C cancels them (and cleans up), or wait for them to end');
    }
  });
  const b = builds[Math.min(selected, builds.length - 1)];
  const title = open && b ? `${b.plan.label} — ${RUN_ICON[b.status]} ${b.status}${b.currentStep ? ` — ${b.currentStep}` : ''} — ${elapsed(b, now) || 'not started'}` : `vmbench: ${builds.length} builds — ${counts(builds)}`;
  const keys = hint ?? (interrupts ? (finished ? 'interrupted; q to leave' : `cancelling, cleaning up (Ctrl-C again stops at once)`) : finished ? 'all ended — q to leave and see the summary' : '') + (open ? '  ↑↓ other build · Esc back' : '  ↑↓ select · Enter open') + (finished ? '' : ' · Ctrl-C cancel all');
  const body = Math.max(1, height - 3);
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Line width={width} segs={[{text: fit(title, width), bold: true}]} />
      <Line width={width} segs={[{text: '─'.repeat(Math.max(0, width)), color: 'gray'}]} />
      {open && b ? <DetailView b={b} now={now} width={width} height={body} /> : <ListView builds={builds} selected={selected} now={now} width={width} height={body} />}
      <Line width={width} segs={[{text: fit(truncate(keys.trim(), width), width), color: interrupts ? 'yellow' : 'gray'}]} />
    </Box>
  );
}
