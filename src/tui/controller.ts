/**
 * The workbench's BuildController: one real build (a BuildSession) driven by UI commands.
 *
 * Debug stepping goes through the runner's single gate: the controller decides whether a gate
 * pauses (pause before/after every step, breakpoints, "step" = pause at the very next gate),
 * announces the pause as a ControlEvent, and resolves it when a command arrives. The VM keeps
 * running while paused, so the console stays live. On a failed step with on-error=ask the
 * question goes to the UI the same way; nothing is decided without the user.
 *
 * The installer's questions: in debug mode the engine calls a checkpoint of kind
 * 'installer-question' when the installer on screen asks something. The controller pauses there
 * while "pause on installer questions" is on (default: on in debug mode; toggled by a key) and
 * answers 'pass' otherwise. The user answers in the Console; the engine reports the answer with
 * its preseed line, which `append-answer` adds to the answer file the guest fetched (inside the
 * profile's http directory only, see preseed-file.ts) and `copy-answer` puts in the log.
 * No react/ink here: the controller is plain TypeScript and unit-tested with a fake build.
 */
import path from 'node:path';
import type {BuildEvent, InstallerEvent} from '../engine/events.js';
import type {ErrorDecision, ErrorPolicy, GateDecision, GatePhase} from '../engine/runner.js';
import {liveFrames, readScreen} from '../engine/screen.js';
import {StepError, type CheckpointKind} from '../engine/step.js';
import type {LoadedProfile} from '../profiles/loader.js';
import {BuildSession, type SessionRequest} from '../session/build-session.js';
import {appendPreseedLine} from './preseed-file.js';
import type {BuildController, ControlEvent, UiCommand, WorkbenchEvent} from './types.js';

export interface ControllerOptions {
  loaded: LoadedProfile;
  /** Pause before every step (`--debug`, or toggled in the picker). */
  debug?: boolean;
  /** Pause when the installer asks a question; default: as `debug`. */
  pauseQuestions?: boolean;
  /** Default `ask`: a failed step waits for the user, whose default choice keeps everything. */
  onError?: ErrorPolicy;
  force?: boolean;
  timestamp?: boolean;
  outputDir?: string;
  cacheDir?: string;
  logDir?: string;
  env?: Record<string, string | undefined>;
  /** Other steps than the real build's (tests). */
  steps?: SessionRequest['steps'];
}

/** Log lines kept for replay to late subscribers (all other events are kept). */
const REPLAY_LOG_LINES = 10_000;

export class WorkbenchController implements BuildController {
  readonly session: BuildSession;
  readonly done: BuildController['done'];
  private readonly listeners = new Set<(e: WorkbenchEvent) => void>();
  /** Replay for late subscribers: every non-log event, and the newest log lines in a ring. */
  private readonly history: WorkbenchEvent[] = [];
  private readonly recentLogs: WorkbenchEvent[] = new Array(REPLAY_LOG_LINES);
  private logCount = 0;
  private pauseBefore: boolean;
  private pauseAfter = false;
  private pauseQuestions: boolean;
  /** The installer's answers so far (engine events), addressed by index by append/copy. */
  private readonly answers: Extract<InstallerEvent, {kind: 'answer'}>[] = [];
  private stepOnce = false;
  private readonly breakpoints = new Set<string>();
  private pending?: {kind: 'gate'; phase: GatePhase; resolve: (d: GateDecision) => void} | {kind: 'ask'; resolve: (d: ErrorDecision) => void};
  private interrupts = 0;

  constructor(opts: ControllerOptions) {
    this.pauseBefore = !!opts.debug;
    this.pauseQuestions = opts.pauseQuestions ?? !!opts.debug;
    this.session = new BuildSession({
      loaded: opts.loaded,
      emit: (e) => this.onEngineEvent(e),
      force: opts.force,
      timestamp: opts.timestamp,
      outputDir: opts.outputDir,
      cacheDir: opts.cacheDir,
      logDir: opts.logDir,
      env: opts.env,
      steps: opts.steps,
      onError: opts.onError ?? 'ask',
      gate: (phase, step) => this.gate(phase, step),
      ask: (step, error) => this.ask(step, error),
    });
    const {state} = this.session;
    this.publish({type: 'facts', time: Date.now(), facts: {'log dir': this.session.logDir, 'output dir': state.outputDir, profile: state.profileDir}});
    this.publishDebugMode();
    this.done = this.session.run().then((o) => ({status: o.status, kept: o.kept}));
  }

  subscribe(listener: (e: WorkbenchEvent) => void): () => void {
    for (const e of this.history) listener(e);
    const n = Math.min(this.logCount, REPLAY_LOG_LINES);
    for (let i = this.logCount - n; i < this.logCount; i++) listener(this.recentLogs[i % REPLAY_LOG_LINES]!);
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  frames(): ReturnType<BuildController['frames']> {
    return liveFrames(this.session.state);
  }

  readText(): ReturnType<BuildController['readText']> {
    return readScreen(this.session.state);
  }

  command(cmd: UiCommand): void {
    switch (cmd.type) {
      case 'continue':
        this.stepOnce = false;
        return this.resolveGate('continue');
      case 'step':
        this.stepOnce = true;
        return this.resolveGate('continue');
      case 'skip':
        // Only a step that has not started can be skipped; elsewhere it means go on.
        return this.resolveGate(this.pending?.kind === 'gate' && this.pending.phase === 'before' ? 'skip' : 'continue');
      case 'abort-keep':
        if (this.pending?.kind === 'ask') return this.resolveAsk('abort');
        return this.resolveGate('keep');
      case 'cleanup-quit':
        if (this.pending?.kind === 'ask') return this.resolveAsk('cleanup');
        if (this.pending?.kind === 'gate') return this.resolveGate('abort');
        this.session.cancel('cancelled from the workbench');
        return;
      case 'answer-error':
        return this.resolveAsk(cmd.decision);
      case 'toggle-breakpoint':
        if (!this.breakpoints.delete(cmd.stepId)) this.breakpoints.add(cmd.stepId);
        return this.publishDebugMode();
      case 'toggle-pause-before':
        this.pauseBefore = !this.pauseBefore;
        return this.publishDebugMode();
      case 'toggle-pause-after':
        this.pauseAfter = !this.pauseAfter;
        return this.publishDebugMode();
      case 'toggle-pause-questions':
        this.pauseQuestions = !this.pauseQuestions;
        return this.publishDebugMode();
      case 'append-answer':
        return void this.appendAnswer(cmd.index);
      case 'copy-answer': {
        const a = this.answers[cmd.index];
        if (!a) return;
        if (a.bootParameter) return this.log('info', `boot parameter for boot_command (asked before the answer file was read): ${a.bootParameter}`);
        return this.log('info', `preseed line: ${a.preseedLine}`);
      }
      case 'screenshot':
        void this.session.screenshot('workbench').then(
          (f) => this.log(f ? 'info' : 'warn', f ? `screenshot saved: ${f}` : 'no VM screen to save yet'),
          (err: Error) => this.log('warn', `screenshot failed: ${err.message}`),
        );
        return;
      case 'interrupt':
        // First: cancel and clean up (a pending pause or question ends with it). Second: stop now.
        if (++this.interrupts === 1 && this.session.cancel('cancelled by Ctrl-C')) {
          this.log('warn', 'cancelling and cleaning up (Ctrl-C again stops at once)');
        } else {
          this.log('warn', 'stopping at once: QEMU killed, the unfinished build removed');
          this.session.stopNow();
        }
        return;
      default:
        return; // view commands are the UI's business
    }
  }

  private gate(phase: GatePhase, step: {id: string; title: string; label?: string; kind?: CheckpointKind}): Promise<GateDecision> {
    const question = phase === 'checkpoint' && step.kind === 'installer-question';
    const pause =
      this.stepOnce ||
      (phase === 'before' && (this.pauseBefore || this.breakpoints.has(step.id))) ||
      (phase === 'after' && this.pauseAfter) ||
      (question ? this.pauseQuestions : phase === 'checkpoint' && (step.kind === 'breakpoint' || this.pauseBefore || this.breakpoints.has(step.id)));
    if (!pause) return Promise.resolve('pass');
    this.stepOnce = false;
    return new Promise<GateDecision>((resolve) => {
      this.pending = {kind: 'gate', phase, resolve};
      this.publish({type: 'pause', time: Date.now(), phase, stepId: step.id, title: step.title, label: step.label, ...(step.kind ? {kind: step.kind} : {})});
    });
  }

  /**
   * Where an answer may be written: the profile's http directory, or — when http_content reads
   * its entries from files ({{ templatefile }}) — the profile's own directory.
   */
  private httpDir(): string | undefined {
    const {profile, profileDir} = this.session.state;
    if (profile.http_directory) return path.resolve(profileDir, profile.http_directory);
    return Object.keys(profile.http_content_files ?? {}).length ? profileDir : undefined;
  }

  private async appendAnswer(index: number): Promise<void> {
    const a = this.answers[index];
    if (!a) return;
    const saved = (ok: boolean, file: string, message: string): void => {
      this.log(ok ? 'info' : 'warn', message);
      this.publish({type: 'answer-saved', time: Date.now(), index, file, line: a.preseedLine, ok, message});
    };
    const dir = this.httpDir();
    if (a.bootParameter) return saved(false, '', `this question comes before the answer file is read: add \`${a.bootParameter}\` to boot_command instead`);
    if (!a.preseedFile) return saved(false, '', 'the guest fetched no answer file over HTTP: nothing to append to');
    if (!dir) return saved(false, a.preseedFile, 'the profile serves its answer file from neither http_directory nor a file in http_content: nothing is appended');
    try {
      const r = await appendPreseedLine({file: a.preseedFile, line: a.preseedLine, httpDir: dir});
      saved(true, r.file, r.appended ? `preseed line ${r.message}: ${a.preseedLine}` : r.message);
    } catch (err) {
      saved(false, a.preseedFile, `preseed line not appended: ${(err as Error).message}`);
    }
  }

  private ask(step: {id: string; title: string}, error: Error): Promise<ErrorDecision> {
    return new Promise<ErrorDecision>((resolve) => {
      this.pending = {kind: 'ask', resolve};
      this.publish({type: 'ask-error', time: Date.now(), stepId: step.id, title: step.title, message: error.message, hint: error instanceof StepError ? error.hint : undefined});
    });
  }

  private resolveGate(d: GateDecision): void {
    if (this.pending?.kind !== 'gate') return;
    const {resolve} = this.pending;
    this.pending = undefined;
    this.publish({type: 'resumed', time: Date.now()});
    resolve(d);
  }

  private resolveAsk(d: ErrorDecision): void {
    if (this.pending?.kind !== 'ask') return;
    const {resolve} = this.pending;
    this.pending = undefined;
    this.publish({type: 'answered', time: Date.now()});
    resolve(d);
  }

  private onEngineEvent(e: BuildEvent): void {
    if (e.type === 'installer' && e.kind === 'answer') this.answers.push(e);
    this.publish(e);
    if (e.type === 'step' && e.id === 'start-vm' && e.status === 'done') {
      const {state} = this.session;
      const {profile} = state;
      const facts: Record<string, string> = {};
      if (state.qemu) facts['QEMU pid'] = String(state.qemu.pid);
      if (state.accel) facts.accelerator = state.accel === 'tcg' ? 'TCG (slower)' : 'KVM';
      if (state.vncPort) facts.VNC = `vnc://${profile.vnc_bind_address}:${state.vncPort} (display :${state.vncPort - 5900})`;
      if (state.vncPassword) facts['VNC password'] = state.vncPassword;
      if (state.sshHostPort) {
        facts.ssh = `ssh -p ${state.sshHostPort} -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null ${profile.ssh_username}@127.0.0.1`;
      }
      if (state.http) facts.HTTP = `http://${state.http.guestIp}:${state.http.port}/ (as the guest sees it)`;
      this.publish({type: 'facts', time: Date.now(), facts});
    }
  }

  /** The controller's own messages go through the session, so build.log has them too. */
  private log(stream: 'info' | 'warn', line: string): void {
    this.session.record({type: 'log', time: Date.now(), source: 'vmbench', stream, line});
  }

  private publishDebugMode(): void {
    this.publish({type: 'debug-mode', time: Date.now(), pauseBefore: this.pauseBefore, pauseAfter: this.pauseAfter, breakpoints: [...this.breakpoints], pauseQuestions: this.pauseQuestions});
  }

  private publish(e: WorkbenchEvent | ControlEvent): void {
    // Bounded replay: older log lines are in build.log. (Replayed after the other events:
    // only the order of log lines among themselves matters to a view.)
    if (e.type === 'log') this.recentLogs[this.logCount++ % REPLAY_LOG_LINES] = e;
    else this.history.push(e);
    for (const l of this.listeners) l(e);
  }
}

/** Starts a build for the workbench. */
export function startBuildController(opts: ControllerOptions): BuildController & {session: BuildSession} {
  return new WorkbenchController(opts);
}
