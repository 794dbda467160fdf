/**
 * Runs planned builds (multi-plan.ts) side by side, each as its own child process
 * `vmbench build <profile> --json …`: a crash of one cannot take the others down, each has its
 * own log folder and its own ports (util/ports.ts leases them). The scheduler
 * (multi-scheduler.ts) decides when each may start; what the children report (their JSON
 * events on stdout, their stderr) is kept per build and passed on to the front end.
 *
 * Children run in their own process group, so a Ctrl-C in the terminal reaches only this
 * process: `interrupt()` forwards SIGINT to every child by PID (they cancel and clean up, leaving
 * no QEMU), and a second `interrupt()` forwards it again (they stop at once). Builds not yet
 * started then never start.
 */
import {spawn, type ChildProcess} from 'node:child_process';
import {existsSync, readFileSync} from 'node:fs';
import path from 'node:path';
import type {BuildEvent, StepRecord} from '../engine/events.js';
import {formatEvent} from './build-log.js';
import {initialState, schedule, type Budget, type Decision, type SchedulerEvent, type SchedulerState} from './multi-scheduler.js';
import type {PlannedBuild} from './multi-plan.js';
import {PACKAGE_ROOT} from './paths.js';
import {processAlive} from '../util/process.js';

export type RunStatus = 'queued' | 'running' | 'done' | 'failed' | 'cancelled' | 'not started';

export type {StepRecord};

/** One build as it stands (mutated as its child reports; front ends read it). */
export interface BuildRun {
  plan: PlannedBuild;
  status: RunStatus;
  pid?: number;
  startedAt?: number;
  endedAt?: number;
  /** Why it waits for room (while queued). */
  waiting?: string;
  steps: StepRecord[];
  /** The step running now (its title), if any. */
  currentStep?: string;
  artifacts: {path: string; format: string; bytes: number}[];
  failedStep?: string;
  /** First line of why it failed or was cancelled. */
  reason?: string;
  exitCode?: number | null;
  signal?: string | null;
  /** QEMU processes the child said it started. */
  qemuPids: number[];
  /** The last lines of its events as build.log words them, and its stderr. */
  log: string[];
  /** The child's own end event arrived (done/failed/cancelled). */
  reported?: 'done' | 'failed' | 'cancelled';
}

export type MultiEvent =
  /** An event of a child's build, as it printed it. */
  | {type: 'child'; build: string; event: BuildEvent}
  /** A line the child wrote to stderr. */
  | {type: 'stderr'; build: string; time: number; line: string}
  | {type: 'queue'; build: string; time: number; status: 'waiting'; reason: string}
  | {type: 'queue'; build: string; time: number; status: 'started'; pid: number; logDir: string; outputDir: string; note?: string}
  | {type: 'queue'; build: string; time: number; status: 'exited'; result: RunStatus; code: number | null; signal: string | null}
  /** Ctrl-C / SIGTERM: forwarded to the children (`count` 2+: they stop at once). */
  | {type: 'interrupt'; time: number; signal: string; count: number; children: number[]};

export interface MultiRunnerOptions {
  budget: Budget;
  onEvent: (e: MultiEvent) => void;
  /** The vmbench launcher the children run (default: this package's bin/vmbench). */
  bin?: string;
  env?: NodeJS.ProcessEnv;
  /** Lines of log kept per build. */
  logLines?: number;
}

const QEMU_PID = /QEMU running \(pid (\d+)/;

export class MultiBuildRunner {
  readonly runs: BuildRun[];
  private sched: SchedulerState;
  private readonly children = new Map<string, ChildProcess>();
  private interrupts = 0;
  private finish?: () => void;
  private readonly onExit = (): void => {
    // This process is going away with builds still running (a crash): let them clean up.
    for (const c of this.children.values()) if (c.pid) this.signal(c.pid, 'SIGINT');
  };

  constructor(
    plans: readonly PlannedBuild[],
    private readonly opts: MultiRunnerOptions,
  ) {
    this.runs = plans.map((plan) => ({plan, status: 'queued', steps: [], artifacts: [], qemuPids: [], log: []}));
    this.sched = initialState(plans.map((p) => ({name: p.label, cpus: p.cpus, memoryMiB: p.memoryMiB})));
  }

  /** How many times the builds were interrupted. */
  get interrupted(): number {
    return this.interrupts;
  }

  private run$(label: string): BuildRun {
    return this.runs.find((r) => r.plan.label === label)!;
  }

  /** Runs every build to its end; resolves with the runs (their status is the result). */
  run(): Promise<BuildRun[]> {
    process.on('exit', this.onExit);
    const done = new Promise<void>((resolve) => (this.finish = resolve));
    this.step({type: 'begin'});
    return done.then(() => {
      process.off('exit', this.onExit);
      return this.runs;
    });
  }

  private step(e: SchedulerEvent): void {
    const r = schedule(this.sched, e, this.opts.budget);
    this.sched = r.state;
    for (const d of r.decisions) this.apply(d);
    if (!this.children.size && (this.sched.stopped || !this.sched.queue.length)) this.finish?.();
  }

  private apply(d: Decision): void {
    const run = this.run$(d.name);
    if (d.action === 'wait') {
      run.waiting = d.reason;
      this.opts.onEvent({type: 'queue', build: d.name, time: Date.now(), status: 'waiting', reason: d.reason});
      return;
    }
    run.waiting = undefined;
    this.start(run, d.alone);
  }

  private start(run: BuildRun, note?: string): void {
    const label = run.plan.label;
    const bin = this.opts.bin ?? path.join(PACKAGE_ROOT, 'bin', 'vmbench');
    // Its own process group: a terminal's Ctrl-C reaches us only, and we forward it once per press.
    const child = spawn(process.execPath, [bin, ...run.plan.argv], {stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: this.opts.env ?? process.env});
    this.children.set(label, child);
    run.status = 'running';
    run.startedAt = Date.now();
    run.pid = child.pid;
    if (child.pid) this.opts.onEvent({type: 'queue', build: label, time: run.startedAt, status: 'started', pid: child.pid, logDir: run.plan.logDir, outputDir: run.plan.outputDir, ...(note ? {note} : {})});
    lines(child.stdout!, (l) => this.stdoutLine(run, l));
    lines(child.stderr!, (l) => {
      this.keep(run, `stderr: ${l}`);
      this.opts.onEvent({type: 'stderr', build: label, time: Date.now(), line: l});
    });
    let spawnError: Error | undefined;
    child.once('error', (err) => (spawnError = err));
    child.once('close', (code, signal) => {
      this.ended(run, code, signal, spawnError);
      // Stopped at once (second Ctrl-C), a child kills its QEMU and exits without waiting for
      // it: wait here until that QEMU is really gone, so nothing outlives this command.
      const settled = this.interrupts && run.status === 'cancelled' ? qemusGone(run.qemuPids) : Promise.resolve();
      void settled.then(() => {
        this.children.delete(label);
        this.opts.onEvent({type: 'queue', build: label, time: Date.now(), status: 'exited', result: run.status, code, signal});
        this.step({type: 'finished', name: label});
      });
    });
    // A build interrupted before its child existed is told at once.
    if (this.interrupts && child.pid) this.signal(child.pid, 'SIGINT');
  }

  private stdoutLine(run: BuildRun, line: string): void {
    let e: BuildEvent;
    try {
      e = JSON.parse(line) as BuildEvent;
    } catch {
      this.keep(run, line); // not an event (should not happen with --json): kept as a log line
      return;
    }
    this.absorb(run, e);
    this.opts.onEvent({type: 'child', build: run.plan.label, event: e});
  }

  /** What an event tells about the build. */
  private absorb(run: BuildRun, e: BuildEvent): void {
    switch (e.type) {
      case 'build':
        if (e.status === 'started') run.steps = e.steps.map((s) => ({...s, status: 'pending'}));
        else {
          run.reported = e.status;
          if (e.reason && e.status !== 'done') run.reason ??= e.reason.split('\n')[0];
        }
        break;
      case 'step': {
        let s = run.steps.find((x) => x.id === e.id);
        if (!s) run.steps.push((s = {id: e.id, title: e.title, status: e.status}));
        s.status = e.status;
        if (e.status === 'running') {
          s.startedAt = e.time;
          run.currentStep = e.title;
        } else if (e.status !== 'pending' && e.status !== 'paused') {
          if (e.durationMs !== undefined) s.durationMs = e.durationMs;
          if (run.currentStep === e.title) run.currentStep = undefined;
        }
        if (e.status === 'failed') {
          s.error = e.error;
          run.failedStep ??= e.id;
          if (e.error) run.reason = e.error.split('\n')[0];
        }
        break;
      }
      case 'log': {
        const m = QEMU_PID.exec(e.line);
        if (m && e.source === 'vmbench') run.qemuPids.push(Number(m[1]));
        break;
      }
      case 'artifact':
        run.artifacts.push({path: e.path, format: e.format, bytes: e.bytes});
        break;
      default:
    }
    const text = formatEvent(e);
    if (text !== undefined) for (const l of text.split('\n')) this.keep(run, l);
  }

  private keep(run: BuildRun, line: string): void {
    run.log.push(line);
    const max = this.opts.logLines ?? 200;
    if (run.log.length > max) run.log.splice(0, run.log.length - max);
  }

  private ended(run: BuildRun, code: number | null, signal: NodeJS.Signals | null, spawnError?: Error): void {
    run.endedAt = Date.now();
    run.exitCode = code;
    run.signal = signal;
    run.currentStep = undefined;
    if (run.reported === 'done' && code === 0) run.status = 'done';
    else if (run.reported === 'cancelled' || code === 130 || (this.interrupts && !run.reported)) run.status = 'cancelled';
    else run.status = 'failed';
    if (run.status === 'done') return;
    if (spawnError) run.reason = `could not start: ${spawnError.message}`;
    if (!run.reason) {
      // No reason in its events (it died, or refused its profile): its last words on stderr.
      const said = run.log.filter((l) => l.startsWith('stderr: vmbench: ')).at(-1)?.slice('stderr: vmbench: '.length);
      run.reason = said ?? (signal ? `killed by ${signal}` : `exited with status ${code}`);
    }
    if (run.status === 'cancelled' && this.interrupts) run.reason = run.reason.startsWith('cancelled') ? run.reason : `cancelled (${run.reason})`;
  }

  /**
   * Ctrl-C / SIGTERM: the first stops the queue and forwards SIGINT to every running child
   * (they cancel and clean up); later ones forward it again (they stop at once).
   */
  interrupt(signal: NodeJS.Signals | string): void {
    this.interrupts++;
    if (this.interrupts === 1) {
      for (const r of this.runs) if (r.status === 'queued') ((r.status = 'not started'), (r.waiting = undefined), (r.reason = `not started: ${signal}`));
    }
    const pids = [...this.children.values()].map((c) => c.pid).filter((p): p is number => !!p);
    this.opts.onEvent({type: 'interrupt', time: Date.now(), signal, count: this.interrupts, children: pids});
    for (const pid of pids) this.signal(pid, 'SIGINT');
    if (this.interrupts === 1) this.step({type: 'stop'});
  }

  private signal(pid: number, sig: NodeJS.Signals): void {
    try {
      process.kill(pid, sig);
    } catch {
      // it has just exited
    }
  }
}

/** A process that still runs: it exists and is no zombie (a zombie has exited; its parent just has not reaped it). */
export function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return processAlive(pid) && !existsSync('/proc/self/stat'); // no /proc here: kill(0) is all there is
  }
}

/** Resolves once none of `pids` runs (polling, at most `maxMs`: SIGKILL takes effect in moments). */
async function qemusGone(pids: readonly number[], maxMs = 10_000): Promise<void> {
  for (const until = Date.now() + maxMs; pids.some(running) && Date.now() < until; ) await new Promise((r) => setTimeout(r, 50));
}

/** Calls `fn` with each whole line of a stream (a last line without newline too). */
function lines(stream: NodeJS.ReadableStream, fn: (line: string) => void): void {
  let buf = '';
  stream.setEncoding('utf8');
  stream.on('data', (d: string) => {
    buf += d;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const l = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (l) fn(l);
    }
  });
  stream.on('end', () => {
    if (buf) fn(buf);
    buf = '';
  });
}
