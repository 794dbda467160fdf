/**
 * `vmbench build a b c [--jobs N]` / `--list FILE`: several builds side by side on this host.
 *
 * Every build is loaded and checked first (multi-plan.ts: file:line errors, two builds writing
 * one folder refused; exit 2 before anything starts). Each then runs as its own child process
 * within the host's CPU/memory budget (multi-runner.ts, multi-scheduler.ts). Front ends:
 * - plain: lines prefixed with the build's name — its step starts and ends, failures, artifacts,
 *   waits for room — then the summary table;
 * - `--json`: the children's events, each with a `build` field, the queue's own events, and a
 *   final `summary` event;
 * - in a terminal: the list of builds you can open (tui/MultiBuildScreen.tsx), then the table.
 * Exit status: 0 all built, 1 any failed, 2 bad usage or profile, 130 interrupted.
 */
import {readFileSync} from 'node:fs';
import os from 'node:os';
import type {BuildEvent} from '../engine/events.js';
import {formatEvent} from '../session/build-log.js';
import {planBuilds, PlanError, readBuildList, type BuildAsk, type PlannedBuild} from '../session/multi-plan.js';
import {MultiBuildRunner, type BuildRun, type MultiEvent} from '../session/multi-runner.js';
import type {Budget} from '../session/multi-scheduler.js';
import {summaryEvent, summaryTable, exitCodeOf} from '../session/multi-summary.js';
import {loadSettings} from '../settings/index.js';
import {UsageError, type CliValues} from './commands.js';

/** Memory each build needs beyond its guest's: QEMU's own (TCG's code cache too) and its vmbench process. */
export const HEADROOM_MIB = 256;

/** Memory available now, MiB: MemAvailable where there is /proc/meminfo, else free memory. */
export function availableMemoryMiB(meminfo?: string): number {
  try {
    const m = /^MemAvailable:\s+(\d+)\s+kB/m.exec(meminfo ?? readFileSync('/proc/meminfo', 'utf8'));
    if (m) return Math.floor(Number(m[1]) / 1024);
  } catch {
    // no /proc
  }
  return Math.floor(os.freemem() / 1024 / 1024);
}

/** The host's budget: its CPUs and the memory available as the builds begin; `jobs` caps the count. */
export function hostBudget(jobs?: number): Budget {
  return {cpus: os.availableParallelism(), memoryMiB: availableMemoryMiB(), headroomMiB: HEADROOM_MIB, ...(jobs ? {jobs} : {})};
}

/** `--jobs N` (or Packer's `-parallel-builds=N`): a whole number ≥ 0; 0 means what the budget allows. */
export function parseJobs(values: CliValues): number | undefined {
  // Packer's -parallel-builds (a hidden alias in the command table).
  const given = values.jobs ?? values['parallel-builds'];
  if (given === undefined) return undefined;
  const n = Number(given);
  if (!/^\d+$/.test(given.trim()) || !Number.isSafeInteger(n)) throw new UsageError(`vmbench build: --jobs takes a whole number (0: as many as the CPU/memory budget allows), got "${given}"`);
  return n || undefined;
}

/** stderr lines of a child that the summary says better (its own end-of-build words). */
const CHILD_EPILOGUE = /^(vmbench: (logs in |build failed at |cancelled; cleaned up|aborted at |SIG[A-Z]+ (again: )?)|\s+(logs|hint|files|QEMU pid)\b|\s*$)/;

/** Plain lines, each prefixed with the build's name: steps, failures, artifacts, the queue. */
export function plainMultiReporter(labels: readonly string[], out: NodeJS.WritableStream, err: NodeJS.WritableStream): (e: MultiEvent) => void {
  const w = Math.max(...labels.map((l) => l.length));
  const pre = (b: string): string => `[${b.padEnd(w)}] `;
  return (e) => {
    switch (e.type) {
      case 'child': {
        const ev = e.event;
        if (ev.type !== 'build' && ev.type !== 'step' && ev.type !== 'artifact') return;
        const line = formatEvent(ev);
        if (line !== undefined) out.write(`${pre(e.build)}${line}\n`);
        return;
      }
      case 'stderr':
        if (!CHILD_EPILOGUE.test(e.line)) err.write(`${pre(e.build)}${e.line}\n`);
        return;
      case 'queue':
        if (e.status === 'waiting') out.write(`${pre(e.build)}${e.reason}\n`);
        else if (e.status === 'started') out.write(`${pre(e.build)}started (pid ${e.pid}); logs in ${e.logDir}${e.note ? `; ${e.note}` : ''}\n`);
        else if (e.result !== 'done' && e.code !== 0 && e.code !== 1 && e.code !== 130) out.write(`${pre(e.build)}exited ${e.signal ? `on ${e.signal}` : `with status ${e.code}`}: ${e.result}\n`);
        return;
      case 'interrupt':
        err.write(interruptMessage(e));
        return;
    }
  };
}

/** What Ctrl-C does, said on stderr (with --json too, as a single build says it). */
function interruptMessage(e: Extract<MultiEvent, {type: 'interrupt'}>): string {
  const n = e.children.length;
  return e.count === 1
    ? `\nvmbench: ${e.signal}: cancelling ${n} running build${n === 1 ? '' : 's'} and cleaning up; the others will not start (press Ctrl-C again to stop at once)\n`
    : `\nvmbench: ${e.signal} again: stopping ${n} build${n === 1 ? '' : 's'} at once\n`;
}

/** `--json`: one JSON event per line; a child's events carry their build's name. */
export function jsonMultiReporter(out: NodeJS.WritableStream, err: NodeJS.WritableStream = process.stderr): (e: MultiEvent) => void {
  return (e) => {
    if (e.type === 'interrupt') err.write(interruptMessage(e));
    let obj: Record<string, unknown>;
    if (e.type === 'child') obj = {...(e.event as BuildEvent), build: e.build};
    else if (e.type === 'stderr') obj = {type: 'log', time: e.time, source: 'vmbench', stream: 'stderr', line: e.line, build: e.build};
    else obj = e;
    out.write(`${JSON.stringify(obj)}\n`);
  };
}

/** What the command line and --list ask for, in order. */
function asksOf(args: string[], values: CliValues): BuildAsk[] {
  const asks: BuildAsk[] = args.map((target, i) => ({target, where: `argument ${i + 1}`, vars: []}));
  if (values.list) asks.push(...readBuildList(values.list));
  return asks;
}

export async function multiBuildCommand(args: string[], values: CliValues): Promise<number> {
  const policy = values['on-error'] ?? 'cleanup';
  if (policy === 'ask') throw new UsageError('vmbench build: --on-error=ask needs one build to answer for; with several use cleanup (default) or abort');
  if (values.debug) throw new UsageError('vmbench build: --debug pauses one build at a time: give one profile (of a template with several builds, one with -only=NAME)');
  if (values.console) throw new UsageError("vmbench build: --console shows one VM's screen: give one profile (of a template with several builds, one with -only=NAME; several builds show as a list in a terminal)");
  const jobs = parseJobs(values);

  const settings = loadSettings();
  for (const w of settings.warnings) process.stderr.write(`vmbench: ${w}\n`);
  let plans: PlannedBuild[];
  try {
    plans = planBuilds(asksOf(args, values), values, settings);
  } catch (err) {
    if (!(err instanceof PlanError)) throw err;
    process.stderr.write(`${err.problems.map((p) => (p.startsWith('vmbench:') || /^\S+:\d+:/.test(p) ? p : `vmbench: ${p}`)).join('\n')}\n`);
    process.stderr.write(`vmbench: nothing was started (${err.problems.length} problem${err.problems.length === 1 ? '' : 's'})\n`);
    return 2;
  }

  const budget = hostBudget(jobs);
  const tty = !values.plain && !values.json && process.stdin.isTTY && process.stdout.isTTY && !process.env.CI;
  if (tty) return workbench(plans, budget);

  const startedAt = Date.now();
  const labels = plans.map((p) => p.label);
  const report = values.json ? jsonMultiReporter(process.stdout) : plainMultiReporter(labels, process.stdout, process.stderr);
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});
  if (!values.json) {
    process.stdout.write(
      `vmbench: ${plans.length} builds; ${budget.cpus} CPUs, ${budget.memoryMiB} MiB available (${HEADROOM_MIB} MiB headroom per build)${budget.jobs ? `, --jobs ${budget.jobs}` : ''}\n`,
    );
  }
  const runner = new MultiBuildRunner(plans, {budget, onEvent: report});
  const onSignal = (sig: NodeJS.Signals): void => runner.interrupt(sig);
  const sigs: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const s of sigs) process.on(s, onSignal);
  try {
    const runs = await runner.run();
    const interrupted = runner.interrupted > 0;
    if (values.json) process.stdout.write(`${JSON.stringify(summaryEvent(runs, interrupted, startedAt))}\n`);
    else process.stdout.write(`\n${summaryTable(runs, Date.now() - startedAt).join('\n')}\n`);
    return exitCodeOf(runs, interrupted);
  } finally {
    for (const s of sigs) process.off(s, onSignal);
  }
}

/** In a terminal: the list of builds (MultiBuildScreen) on the alternate screen, then the table. */
async function workbench(plans: PlannedBuild[], budget: Budget): Promise<number> {
  const [{render}, React, {MultiBuildScreen}, {INK_OPTIONS}, {enterFullscreen, installCrashGuard}] = await Promise.all([
    import('ink'),
    import('react'),
    import('../tui/MultiBuildScreen.js'),
    import('../tui/ink-options.js'),
    import('../tui/terminal.js'),
  ]);
  const {stdin, stdout} = process;
  for (const s of [stdout, process.stderr, stdin]) s.on('error', () => {});
  const startedAt = Date.now();
  let dirty = true;
  const runner = new MultiBuildRunner(plans, {budget, onEvent: () => (dirty = true)});
  const screen = enterFullscreen({stdin, stdout});
  let finished = false;
  let quit!: () => void;
  const quitting = new Promise<void>((r) => (quit = r));
  const onInterrupt = (sig: NodeJS.Signals | string = 'SIGINT'): void => {
    runner.interrupt(sig);
    dirty = true;
  };
  const removeGuard = installCrashGuard({onCrash: () => (runner.interrupt('crash'), screen.restore())});
  const element = () =>
    React.createElement(MultiBuildScreen, {
      builds: runner.runs.map((r) => ({...r})),
      now: Date.now(),
      finished,
      interrupts: runner.interrupted,
      width: stdout.columns ?? 80,
      height: stdout.rows ?? 24,
      onInterrupt: () => onInterrupt('SIGINT'),
      onQuit: () => quit(),
    });
  const app = render(element(), {...INK_OPTIONS, stdout, stdin});
  const draw = (): void => {
    dirty = false;
    app.rerender(element());
  };
  // Redraw when something changed (at most 10 times a second), and each second for the clocks.
  let ticks = 0;
  const timer = setInterval(() => {
    if (dirty || ++ticks % 10 === 0) draw();
  }, 100);
  const onSignal = (sig: NodeJS.Signals): void => onInterrupt(sig);
  const sigs: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const s of sigs) process.on(s, onSignal);
  stdout.on('resize', draw);
  try {
    const runs = await runner.run();
    finished = true;
    draw();
    // Interrupted: leave as soon as the builds have cleaned up; otherwise when the user is done looking.
    if (!runner.interrupted) await quitting;
    return finish(runs);
  } finally {
    clearInterval(timer);
    stdout.off('resize', draw);
    for (const s of sigs) process.off(s, onSignal);
    app.unmount();
    screen.restore();
    removeGuard();
  }

  function finish(runs: BuildRun[]): number {
    app.unmount();
    screen.restore();
    process.stdout.write(`${summaryTable(runs, Date.now() - startedAt).join('\n')}\n`);
    return exitCodeOf(runs, runner.interrupted > 0);
  }
}
