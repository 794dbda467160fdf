/**
 * One build with everything around it that every front end needs: the build log files, the
 * registry entry other vmbench processes find it by, a screenshot when a step fails, cancel /
 * stop-now, and an exit hook that never leaves the VM running unless the user chose to keep it.
 * `vmbench build` (plain/JSON/--console) and the workbench both drive builds through this.
 */
import {rmSync} from 'node:fs';
import path from 'node:path';
import {runBuild, newBuildState, type BuildOutcome, type BuildRequest} from '../engine/build.js';
import type {BuildEvent} from '../engine/events.js';
import type {ErrorPolicy, Gate, RunnerOptions} from '../engine/runner.js';
import {takeScreenshot} from '../engine/screenshot.js';
import {registerBuild, unregisterBuild, type BuildInfo} from '../engine/registry.js';
import {describeQemu, keepQemu, runDir, type QemuRecord} from '../qemu/reaper.js';
import {Watchdog} from '../qemu/watchdog.js';
import type {BuildState} from '../engine/state.js';
import type {LoadedProfile} from '../profiles/loader.js';
import {redactDeep, sensitiveValues} from '../profiles/sensitive.js';
import {cacheDir, stateDir} from './paths.js';
import {BuildLogWriter} from './build-log.js';

export interface SessionRequest {
  loaded: LoadedProfile;
  /** The front end's reporter; the build log files get every event regardless. */
  emit: (e: BuildEvent) => void;
  force?: boolean;
  /** Add the start time to the output folder's name (--timestamp). */
  timestamp?: boolean;
  outputDir?: string;
  cacheDir?: string;
  logDir?: string;
  onError?: ErrorPolicy;
  ask?: RunnerOptions['ask'];
  gate?: Gate;
  env?: Record<string, string | undefined>;
  /** Other steps than the real build's (tests). */
  steps?: BuildRequest['steps'];
}

/**
 * The exit status of a build that stopped with its VM kept on purpose (`--on-error=abort`, the
 * workbench's "keep"), the same in every front end: the build did not finish (as a failure),
 * and the VM runs on until `vmbench stop`.
 */
export const KEPT_EXIT_STATUS = 1;

export class BuildSession {
  readonly state: BuildState;
  readonly logDir: string;
  private readonly logWriter: BuildLogWriter;
  private readonly cancelCtl = new AbortController();
  private readonly stopCtl = new AbortController();
  private readonly announce: BuildInfo;
  private kept = false;
  /** Kills this build's QEMUs and removes its temporary folders should this process die (watchdog.ts). */
  private watchdog?: Watchdog;
  private readonly onExit = (): void => {
    if (!this.kept) this.state.qemu?.killNow();
  };

  /** The template's sensitive values (Packer's sensitive variables), redacted from every event. */
  private readonly secrets: readonly string[];
  /** Set when the build log could not be written: the build then fails with this one line. */
  private logFailure?: string;
  /** The step running now, named as the failed one when the log fails under it. */
  private currentStep?: string;

  constructor(private readonly req: SessionRequest) {
    this.secrets = sensitiveValues(req.loaded);
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const options = {
      force: !!req.force,
      cacheDir: path.resolve(req.cacheDir ?? cacheDir()),
      logDir: '',
      outputDir: req.outputDir,
      timestamp: req.timestamp,
      env: req.env ?? process.env,
    };
    this.state = newBuildState(req.loaded, options);
    const name = req.loaded.profile.name;
    options.logDir = path.resolve(req.logDir ?? path.join(stateDir(), 'builds', `${name}-${stamp}-${this.state.id}`));
    this.logDir = options.logDir;
    this.logWriter = new BuildLogWriter(options.logDir, {onError: (message) => this.onLogFailure(message)});
    this.announce = {id: this.state.id, profile: name, pid: process.pid, logDir: options.logDir, started: Date.now()};
  }

  /** True once the user asked to cancel (first Ctrl-C). */
  get cancelled(): boolean {
    return this.cancelCtl.signal.aborted;
  }

  /** First Ctrl-C: stop the build and clean up. Returns false when it was already cancelled. */
  cancel(reason: string): boolean {
    if (this.cancelCtl.signal.aborted) return false;
    this.cancelCtl.abort(new DOMException(reason, 'AbortError'));
    return true;
  }

  /** Second Ctrl-C: kill QEMU now, remove the unfinished work, and stop waiting for cleanups. */
  stopNow(): void {
    this.emit({type: 'log', time: Date.now(), source: 'vmbench', stream: 'warn', line: 'stopped at once: QEMU killed, cleanups not waited for'});
    this.cancel('stopped at once');
    this.stopCtl.abort();
    this.state.qemu?.killNow();
    // Nothing half-built stays behind (the output folder only ever appears whole): the work
    // folder and the sockets go now, synchronously, as the process exits right after.
    for (const dir of [this.state.workDir, this.state.socketDir]) if (dir) rmSync(dir, {recursive: true, force: true});
    // QEMU is killed (synchronously signalled) and the folders are gone: the watchdog has nothing to do.
    this.watchdog?.release();
  }

  /** A PNG of the VM's screen next to the build log, or undefined when there is no VM. A failure is logged, then thrown. */
  async screenshot(label: string): Promise<string | undefined> {
    try {
      return await takeScreenshot(this.state, label);
    } catch (err) {
      this.emit({type: 'log', time: Date.now(), source: 'vmbench', stream: 'warn', line: `could not save a screenshot of the VM (${label}): ${(err as Error).message}`});
      throw err;
    }
  }

  /**
   * The build log cannot be written (a full disk, an I/O error): a build whose record is lost
   * must not pass, so it is cancelled (cleanups run) and its outcome becomes this failure.
   */
  private onLogFailure(message: string): void {
    this.logFailure = message;
    // The log file is what failed: the front end is the only place left to say it.
    this.req.emit({type: 'log', time: Date.now(), source: 'vmbench', stream: 'error', line: message});
    this.cancel(message);
  }

  /** The outcome as it stands, or a failure when the build log could not be written. */
  private withLogFailure(outcome: BuildOutcome): BuildOutcome {
    if (this.logFailure === undefined || outcome.kept) return outcome;
    return {...outcome, status: 'failed', failedStep: outcome.failedStep ?? this.currentStep ?? 'build-log', error: new Error(this.logFailure)};
  }

  /**
   * An event of the front end's own (a preseed line appended, copied): into build.log and the
   * front end's stream like the engine's, so the log tells the whole story.
   */
  record(e: BuildEvent): void {
    this.emit(e);
  }

  private emit = (event: BuildEvent): void => {
    // A template's sensitive variables never reach a log, an event stream or the screen.
    let e = redactDeep(event, this.secrets);
    if (e.type === 'step' && e.status === 'running') this.currentStep = e.id;
    this.logWriter.write(e);
    // The build's last word says failed when its log was lost, whatever the steps did.
    if (this.logFailure !== undefined && e.type === 'build' && e.status !== 'started') e = {...e, status: 'failed', reason: this.logFailure};
    this.req.emit(e);
    // What the profile or template holds that loads but is not used (a field vmbench ignores, a
    // post-processor it skips): said at the start of every build, not only by validate.
    if (e.type === 'build' && e.status === 'started') {
      for (const w of this.req.loaded.warnings ?? []) {
        const rel = path.relative(process.cwd(), w.file);
        const where = `${rel && !rel.startsWith('..') ? rel : w.file}:${w.line}:${w.col}`;
        this.emit({type: 'log', time: e.time, source: 'vmbench', stream: 'warn', line: `${where}: ${w.field ? `${w.field}: ` : ''}${w.message}`});
      }
    }
    // The build's temporary folders, as soon as they exist, go if this process dies.
    if (this.state.workDir) this.watchdog?.watchDir(this.state.workDir);
    if (this.state.socketDir) this.watchdog?.watchDir(this.state.socketDir);
    if (e.type === 'step' && e.id === 'start-vm' && e.status === 'done' && this.state.vncPort) {
      this.register({...this.announce, vnc: {host: this.state.profile.vnc_bind_address, port: this.state.vncPort, password: this.state.vncPassword}});
      // `vmbench ps` shows the VM's addresses from its record.
      if (this.state.qemu) describeQemu(this.state.qemu.pid, this.vmInfo());
    }
  };

  /** What the run directory's record of the VM tells `vmbench ps` / `vmbench stop`. */
  private vmInfo(): Partial<QemuRecord> {
    const {state} = this;
    return {
      build: state.id,
      profile: state.profile.name,
      logDir: this.logDir,
      vnc: state.vncPort ? {host: state.profile.vnc_bind_address, port: state.vncPort, password: state.vncPassword} : undefined,
      ssh: state.sshHostPort ? {host: '127.0.0.1', port: state.sshHostPort} : undefined,
      workDir: state.workDir,
      socketDir: state.socketDir,
    };
  }

  /**
   * The user keeps the VM: its record says so (the reaper, the watchdog and the next build leave
   * it alone; `vmbench ps` lists it; `vmbench stop` ends it), and nothing of it keeps this
   * process alive any more — the front end exits as soon as it has said how to reach it.
   */
  private keepVm(): void {
    const {state} = this;
    const qemu = state.qemu;
    this.watchdog?.keep();
    if (!qemu || qemu.hasExited()) return;
    try {
      keepQemu(qemu.pid, this.vmInfo());
    } catch (err) {
      this.emit({type: 'log', time: Date.now(), source: 'vmbench', stream: 'warn', line: `could not record the kept VM (vmbench ps will not list it): ${(err as Error).message}`});
    }
    qemu.detach();
    // Our own connections to the VM go; the VM stays. QMP's single client slot is then free for
    // `vmbench stop`. The HTTP server is ours and ends with us anyway.
    state.vmStopping = true;
    void state.frames?.stop().catch(() => undefined);
    state.frames = undefined;
    state.qmp?.close();
    state.qmp = undefined;
    state.ssh?.close();
    void state.http?.server.close().catch(() => undefined);
    const vnc = state.vncPort ? `VNC ${state.profile.vnc_bind_address}:${state.vncPort}${state.vncPassword ? ` (password ${state.vncPassword})` : ''}` : '';
    const ssh = state.sshHostPort ? `SSH 127.0.0.1:${state.sshHostPort}` : '';
    this.emit({type: 'info', time: Date.now(), key: 'kept', value: `QEMU pid ${qemu.pid} keeps running${vnc || ssh ? `: ${[vnc, ssh].filter(Boolean).join(', ')}` : ''}; stop it with: vmbench stop ${state.id}`});
  }

  // Other vmbench processes (vmbench screenshot) find the build here; failing that costs only them.
  private register(info: BuildInfo): void {
    try {
      registerBuild(info);
    } catch (err) {
      this.logWriter.write({type: 'log', time: Date.now(), source: 'vmbench', stream: 'warn', line: `could not register the running build: ${(err as Error).message}`});
    }
  }

  /** Runs the build to its end. Whether the VM was kept is in the outcome (`kept`). */
  async run(): Promise<BuildOutcome> {
    this.register(this.announce);
    // Last line of defence (uncaught error, process.exit elsewhere): never leave the VM running.
    process.on('exit', this.onExit);
    this.watchdog = new Watchdog(runDir());
    try {
      // Every QEMU the build starts reports to this build's watchdog (reaper.ts rememberQemu).
      const outcome = await this.watchdog.run(() => runBuild(
        {
          loaded: this.req.loaded,
          options: this.state.options,
          emit: this.emit,
          signal: this.cancelCtl.signal,
          cleanupSignal: this.stopCtl.signal,
          onError: this.req.onError ?? 'cleanup',
          ask: this.req.ask,
          gate: this.req.gate,
          steps: this.req.steps,
          // A failed step leaves a picture of what the VM showed, next to the log.
          onFailure: async (step) => {
            const f = await this.screenshot(`failed-${step.id}`).catch(() => undefined);
            if (f) this.emit({type: 'log', time: Date.now(), source: 'vmbench', stream: 'info', line: `screenshot of the VM at the failure: ${f}`});
          },
        },
        this.state,
      ));
      this.kept = outcome.kept;
      // Cleaned up (or kept on purpose): the watchdog's work is over. After a throw it stays on
      // until this process exits, in case what threw left something behind.
      if (outcome.kept) this.keepVm();
      else this.watchdog.release();
      // Closing reports a write error some file systems defer to close(2).
      await this.logWriter.close();
      return this.withLogFailure(outcome);
    } finally {
      unregisterBuild(this.state.id);
      await this.logWriter.close();
      if (!this.kept) process.off('exit', this.onExit);
    }
  }
}
