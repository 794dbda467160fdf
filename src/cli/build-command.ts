/**
 * `vmbench build`: the composition root. Wires the engine to reporters, the build log,
 * stdin prompts and signals (first Ctrl-C cancels and cleans up, second stops at once).
 */
import path from 'node:path';
import {runBuild, newBuildState} from '../engine/build.js';
import type {BuildEvent} from '../engine/events.js';
import type {ErrorPolicy, Gate} from '../engine/runner.js';
import {liveFrames, readScreen} from '../engine/screen.js';
import {takeScreenshot} from '../engine/screenshot.js';
import type {ConsoleView} from './console-view.js';
import {registerBuild, unregisterBuild, type BuildInfo} from '../engine/registry.js';
import {StepError} from '../engine/step.js';
import {loadProfile, ProfileError} from '../profiles/loader.js';
import {reapStaleQemus} from '../qemu/reaper.js';
import type {CliValues} from './main.js';
import {cacheDir, resolveProfileArg, stateDir} from './paths.js';
import {LinePrompter} from './prompt.js';
import {BuildLogWriter, jsonReporter, plainReporter} from './reporters.js';
import {parseVars} from './validate-command.js';

export async function buildCommand(args: string[], values: CliValues): Promise<number> {
  if (args.length !== 1) {
    process.stderr.write('usage: vmbench build <profile> [options] (see vmbench --help)\n');
    return 2;
  }
  const policy = values['on-error'] ?? 'cleanup';
  if (!['cleanup', 'abort', 'ask'].includes(policy)) {
    process.stderr.write(`vmbench: --on-error must be cleanup, abort or ask (got "${policy}")\n`);
    return 2;
  }
  let loaded;
  try {
    loaded = loadProfile(resolveProfileArg(args[0]!), {vars: parseVars(values.var)});
  } catch (err) {
    process.stderr.write(`${err instanceof ProfileError ? err.message : `vmbench: ${(err as Error).message}`}\n`);
    return 2;
  }
  for (const pid of reapStaleQemus()) process.stderr.write(`vmbench: killed QEMU ${pid} left behind by a vmbench that died\n`);

  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const options = {
    force: !!values.force,
    cacheDir: path.resolve(values['cache-dir'] ?? cacheDir()),
    logDir: '',
    outputDir: values.output,
    env: process.env,
  };
  const state = newBuildState(loaded, options);
  options.logDir = path.resolve(values['log-dir'] ?? path.join(stateDir(), 'builds', `${loaded.profile.name}-${stamp}-${state.id}`));
  const logWriter = new BuildLogWriter(options.logDir);
  // If the terminal goes away (SIGHUP), its streams fail with EIO/EPIPE: that must not crash
  // the cleanup that follows. The build log on disk keeps everything.
  for (const stream of [process.stdout, process.stderr, process.stdin]) stream.on('error', () => {});
  let view: ConsoleView | undefined;
  if (values.console) {
    if (values.debug) {
      process.stderr.write('vmbench: --console and --debug both need the keyboard; the workbench will combine them — use one for now\n');
      return 2;
    }
    if (!process.stdout.isTTY || !process.stdin.isTTY) {
      process.stderr.write('vmbench: --console needs a terminal (stdin and stdout must be a TTY)\n');
      return 2;
    }
    const {ConsoleView} = await import('./console-view.js');
    view = new ConsoleView({
      stdin: process.stdin,
      stdout: process.stdout,
      profile: loaded.profile.name,
      feed: () => {
        const frames = liveFrames(state);
        return frames && frames.framebuffer.width > 0 ? {framebuffer: frames.framebuffer, keys: frames.keys} : undefined;
      },
      readText: async () => {
        const screen = await readScreen(state);
        return screen ? {lines: screen.lines, confidence: screen.confidence} : undefined;
      },
      screenshot: () => takeScreenshot(state, 'console'),
      onInterrupt: () => onSignal('SIGINT'),
    });
  }
  const announce: BuildInfo = {id: state.id, profile: loaded.profile.name, pid: process.pid, logDir: options.logDir, started: Date.now()};
  // Other vmbench processes (vmbench screenshot) find the build here; failing that costs only them.
  const announceBuild = (info: BuildInfo): void => {
    try {
      registerBuild(info);
    } catch (err) {
      logWriter.write({type: 'log', time: Date.now(), source: 'vmbench', stream: 'warn', line: `could not register the running build: ${(err as Error).message}`});
    }
  };
  announceBuild(announce);
  const report = view ? view.event.bind(view) : values.json ? jsonReporter(process.stdout) : plainReporter(process.stdout, !!values.verbose);
  const emit = (e: BuildEvent): void => {
    logWriter.write(e);
    report(e);
    if (e.type === 'step' && e.id === 'start-vm' && e.status === 'done' && state.vncPort) {
      announceBuild({...announce, vnc: {host: loaded.profile.vnc_bind_address, port: state.vncPort}});
    }
  };
  // Prompts go to stderr so --json output on stdout stays one event per line.
  const prompter = new LinePrompter(process.stdin, process.stderr);

  const cancel = new AbortController();
  const stopNow = new AbortController();
  function onSignal(sig: NodeJS.Signals): void {
    if (!cancel.signal.aborted) {
      process.stderr.write(`\nvmbench: ${sig}: cancelling and cleaning up (press Ctrl-C again to stop at once)\n`);
      cancel.abort(new DOMException(`cancelled by ${sig}`, 'AbortError'));
      return;
    }
    // Second signal: kill QEMU now (never leave it running), keep files, exit.
    stopNow.abort();
    state.qemu?.killNow();
    view?.stop();
    process.stderr.write(`\nvmbench: stopped at once; files kept in ${state.workDir ?? state.outputDir}\n`);
    process.exit(130);
  }
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // A closed terminal (tmux killed, ssh dropped) must clean up like Ctrl-C, not orphan QEMU.
  process.on('SIGHUP', onSignal);
  // Last line of defence (uncaught error, process.exit elsewhere): never leave the VM running,
  // unless the user chose to keep it.
  let keepVm = false;
  const onExit = (): void => {
    if (!keepVm) state.qemu?.killNow();
  };
  process.on('exit', onExit);

  // Debug pauses save what the VM shows, so a headless run can be read afterwards.
  const gate: Gate | undefined = values.debug
    ? async (phase, step) => {
        const shot = await takeScreenshot(state, `${phase}-${step.id}`).catch(() => undefined);
        if (shot) process.stderr.write(`    screenshot: ${shot}\n`);
        return prompter.gate(phase, step);
      }
    : undefined;
  view?.start();
  try {
    const outcome = await runBuild(
      {
        loaded,
        options,
        emit,
        signal: cancel.signal,
        cleanupSignal: stopNow.signal,
        onError: policy as ErrorPolicy,
        ask: prompter.askOnError,
        gate,
        // A failed step leaves a picture of what the VM showed, next to the log.
        onFailure: async (step) => {
          const f = await takeScreenshot(state, `failed-${step.id}`);
          if (f) emit({type: 'log', time: Date.now(), source: 'vmbench', stream: 'info', line: `screenshot of the VM at the failure: ${f}`});
        },
      },
      state,
    );
    view?.stop();
    view = undefined;
    const out = process.stderr;
    if (outcome.status === 'done') {
      // --json keeps stdout to one event per line: artifacts are in their own events there.
      if (!values.json) for (const a of outcome.state.artifacts) process.stdout.write(`${a.path}\n`);
      out.write(`vmbench: logs in ${options.logDir}\n`);
      return 0;
    }
    if (outcome.kept) {
      keepVm = true;
      const q = outcome.state.qemu;
      out.write(
        `vmbench: aborted at ${outcome.failedStep}, keeping everything:\n` +
          (q && !q.hasExited() ? `  QEMU pid ${q.pid} still runs (VNC 127.0.0.1:${outcome.state.vncPort}, SSH 127.0.0.1:${outcome.state.sshHostPort}); stop it with: kill ${q.pid}\n` : '') +
          `  files: ${outcome.state.workDir ?? outcome.state.outputDir}\n  logs: ${options.logDir}\n`,
      );
      return 1;
    }
    if (outcome.status === 'cancelled') {
      out.write(`vmbench: cancelled; cleaned up. logs in ${options.logDir}\n`);
      return 130;
    }
    const hint = outcome.error instanceof StepError && outcome.error.hint ? `\n  hint: ${outcome.error.hint}` : '';
    out.write(`vmbench: build failed at ${outcome.failedStep}: ${outcome.error?.message.split('\n')[0]}${hint}\n  logs: ${options.logDir}\n`);
    return 1;
  } finally {
    unregisterBuild(state.id);
    view?.stop();
    prompter.close();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('SIGHUP', onSignal);
    await logWriter.close();
  }
}
