/**
 * `vmbench build`: plain / JSON / --console front end. Wires a BuildSession (build log,
 * registry, exit hook) to reporters, stdin prompts and signals (first Ctrl-C cancels and
 * cleans up, second stops at once).
 */
import type {BuildEvent} from '../engine/events.js';
import type {ErrorPolicy} from '../engine/runner.js';
import {liveFrames, readScreen} from '../engine/screen.js';
import type {ConsoleView} from './console-view.js';
import {StepError} from '../engine/step.js';
import {loadProfiles, ProfileError} from '../profiles/loader.js';
import {reapStaleQemus} from '../qemu/reaper.js';
import type {CliValues} from './main.js';
import {BuildSession, KEPT_EXIT_STATUS} from '../session/build-session.js';
import {resolveProfileArg} from '../session/paths.js';
import {LinePrompter} from './prompt.js';
import {jsonReporter, plainReporter} from './reporters.js';
import {loadOptions} from '../session/load-options.js';
import {applyAlso} from '../session/also.js';
import {loadSettings, outputDirFor} from '../settings/index.js';

export async function buildCommand(args: string[], values: CliValues): Promise<number> {
  // Several profiles (or a list of them): each runs as its own child process (multi-build.ts).
  if (args.length > 1 || values.list !== undefined) return (await import('./multi-build.js')).multiBuildCommand(args, values);
  if (args.length !== 1) {
    process.stderr.write('usage: vmbench build <profile|template>... [options] (see vmbench build --help)\n');
    return 2;
  }
  const policy = values['on-error'] ?? 'cleanup';
  if (!['cleanup', 'abort', 'ask'].includes(policy)) {
    process.stderr.write(`vmbench: --on-error must be cleanup, abort or ask (got "${policy}")\n`);
    return 2;
  }
  // The user's settings (vmbench setup) fill in what the profile leaves unset; options win.
  const settings = loadSettings();
  for (const w of settings.warnings) process.stderr.write(`vmbench: ${w}\n`);
  let loaded;
  let target: string;
  try {
    target = resolveProfileArg(args[0]!);
    const all = loadProfiles(target, loadOptions(values, settings));
    // A template with several builds runs them all, as `packer build` does (each in its own
    // process, side by side as the host allows): the multi-build path, with this one argument.
    if (all.length > 1) return (await import('./multi-build.js')).multiBuildCommand(args, values);
    if (!all.length) throw new Error(`${target}: no qemu build left to run (after -only/-except)`);
    loaded = applyAlso(all[0]!, values.also, values.push);
  } catch (err) {
    process.stderr.write(`${err instanceof ProfileError ? err.message : `vmbench: ${(err as Error).message}`}\n`);
    return 2;
  }
  // In a terminal the build runs in the workbench's build view; --plain/--json (or no TTY, or
  // CI) print events as lines, --console shows only the VM's screen.
  if (!values.plain && !values.json && !values.console && process.stdin.isTTY && process.stdout.isTTY && !process.env.CI) {
    const {workbenchCommand} = await import('./workbench-command.js');
    return workbenchCommand(values, {build: target, buildName: loaded.profile.name});
  }
  for (const pid of reapStaleQemus()) process.stderr.write(`vmbench: killed QEMU ${pid} left behind by a vmbench that died\n`);

  let view: ConsoleView | undefined;
  if (values.console) {
    if (values.debug) {
      process.stderr.write('vmbench: --console and --debug both need the keyboard; the workbench (vmbench with no arguments) combines them\n');
      return 2;
    }
    if (!process.stdout.isTTY || !process.stdin.isTTY) {
      process.stderr.write('vmbench: --console needs a terminal (stdin and stdout must be a TTY)\n');
      return 2;
    }
  }
  // Prompts go to stderr so --json output on stdout stays one event per line.
  const prompter = new LinePrompter(process.stdin, process.stderr);
  const reporter = values.json ? jsonReporter(process.stdout) : plainReporter(process.stdout, !!values.verbose);
  const report = (e: BuildEvent): void => (view ? view.event(e) : reporter(e));
  const session: BuildSession = new BuildSession({
    loaded,
    emit: report,
    force: !!values.force,
    timestamp: !!values.timestamp,
    outputDir: values.output ?? outputDirFor(settings, loaded.profile),
    cacheDir: values['cache-dir'] ?? settings.cacheDir,
    logDir: values['log-dir'],
    onError: policy as ErrorPolicy,
    ask: prompter.askOnError,
    // Debug pauses save what the VM shows, so a headless run can be read afterwards.
    gate: values.debug
      ? async (phase, step) => {
          const shot = await session.screenshot(`${phase}-${step.id}`).catch(() => undefined);
          if (shot) process.stderr.write(`    screenshot: ${shot}\n`);
          return prompter.gate(phase, step);
        }
      : undefined,
  });
  const {state} = session;
  const logDir = session.logDir;
  // If the terminal goes away (SIGHUP), its streams fail with EIO/EPIPE: that must not crash
  // the cleanup that follows. The build log on disk keeps everything.
  for (const stream of [process.stdout, process.stderr, process.stdin]) stream.on('error', () => {});
  if (values.console) {
    const {ConsoleView} = await import('./console-view.js');
    view = new ConsoleView({
      stdin: process.stdin,
      stdout: process.stdout,
      profile: loaded.profile.name,
      feed: () => {
        const frames = liveFrames(state);
        return frames && frames.framebuffer.width > 0 ? {framebuffer: frames.framebuffer, keys: frames.keys} : undefined;
      },
      // The whole read (size and per-cell colours too): the text view draws it cell for cell.
      readText: () => readScreen(state),
      screenshot: () => session.screenshot('console'),
      onInterrupt: () => onSignal('SIGINT'),
    });
  }

  function onSignal(sig: NodeJS.Signals): void {
    if (session.cancel(`cancelled by ${sig}`)) {
      process.stderr.write(`\nvmbench: ${sig}: cancelling and cleaning up (press Ctrl-C again to stop at once)\n`);
      return;
    }
    // Second signal: kill QEMU now (never leave it running), remove the unfinished work, exit.
    session.stopNow();
    view?.stop();
    process.stderr.write(`\nvmbench: ${sig} again: stopped at once; QEMU killed, the unfinished build removed\n`);
    process.exit(130);
  }
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // A closed terminal (tmux killed, ssh dropped) must clean up like Ctrl-C, not orphan QEMU.
  process.on('SIGHUP', onSignal);

  view?.start();
  try {
    const outcome = await session.run();
    view?.stop();
    view = undefined;
    const out = process.stderr;
    if (outcome.status === 'done') {
      // --json keeps stdout to one event per line: artifacts are in their own events there.
      if (!values.json) for (const a of outcome.state.artifacts) process.stdout.write(`${a.path}\n`);
      out.write(`vmbench: logs in ${logDir}\n`);
      return 0;
    }
    if (outcome.kept) {
      const st = outcome.state;
      const q = st.qemu;
      const why = outcome.status === 'failed' ? `build failed at ${outcome.failedStep}: ${outcome.error?.message.split('\n')[0]}` : `stopped at ${outcome.failedStep ?? 'a pause'}`;
      const vnc = st.vncPort ? `VNC ${st.profile.vnc_bind_address}:${st.vncPort}${st.vncPassword ? ` (password ${st.vncPassword})` : ''}` : '';
      const ssh = st.sshHostPort ? `SSH 127.0.0.1:${st.sshHostPort}` : '';
      out.write(
        `vmbench: ${why}; keeping the VM and its files:\n` +
          (q && !q.hasExited() ? `  QEMU pid ${q.pid} keeps running${vnc || ssh ? `: ${[vnc, ssh].filter(Boolean).join(', ')}` : ''}\n  list it: vmbench ps · stop it: vmbench stop ${st.id}\n` : '') +
          `  files: ${st.workDir ?? st.outputDir}\n  logs: ${logDir}\n`,
      );
      // The session let go of the VM (pipes, QMP, VNC): nothing should keep us alive. Should
      // something still do, leave anyway — a CI job must never hang on a kept VM.
      setTimeout(() => process.exit(KEPT_EXIT_STATUS), 2000).unref();
      return KEPT_EXIT_STATUS;
    }
    if (outcome.status === 'cancelled') {
      out.write(`vmbench: cancelled; cleaned up. logs in ${logDir}\n`);
      return 130;
    }
    const hint = outcome.error instanceof StepError && outcome.error.hint ? `\n  hint: ${outcome.error.hint}` : '';
    out.write(`vmbench: build failed at ${outcome.failedStep}: ${outcome.error?.message.split('\n')[0]}${hint}\n  logs: ${logDir}\n`);
    return 1;
  } finally {
    view?.stop();
    prompter.close();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('SIGHUP', onSignal);
  }
}
