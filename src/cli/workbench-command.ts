/**
 * `vmbench` with no arguments in a terminal: the workbench (ink). Without a terminal it says
 * how to build with plain output instead and exits 2 — the plain reporter is `vmbench build`.
 *
 * Order matters here:
 * 1. Terminal capability queries (kitty graphics, DA1/sixel, cell size) run before ink renders:
 *    once ink reads stdin their replies would arrive as key presses (LIBRARIES.md).
 * 2. The alternate screen goes on (ink 6 has no option for it) and every way out puts the
 *    terminal back: a quit, an error, SIGTERM/SIGHUP/SIGINT (the running build is interrupted —
 *    cancelled and cleaned up — first), an uncaught exception (QEMU is killed, see BuildSession).
 * 3. ink renders to InkStdout, which tells the Console pane when ink drew over its box (see
 *    src/tui/console-pane.ts for the exact mechanism, and why ink's incremental renderer is off).
 *    console.* is captured while the screen is up (a stray line would scroll ink's frame) and
 *    printed after it is gone.
 */
import {existsSync} from 'node:fs';
import path from 'node:path';
import type {CliValues} from './main.js';
import {INK_OPTIONS} from '../tui/ink-options.js';
import {loadOptions} from '../session/load-options.js';
import {applyAlso} from '../session/also.js';

const NO_TTY = `vmbench: the workbench needs a terminal (stdin and stdout must be a TTY).
  Build without one, with plain output:   vmbench build <profile>
  List the profiles:                      vmbench profiles
  Everything else:                        vmbench --help
`;

/** How long a signal waits for the build to clean up before the workbench leaves anyway. */
const CLEANUP_WAIT_MS = 60_000;

/**
 * `build`: `vmbench build <profile>` in a terminal — the build view of that profile at once,
 * leaving with the build's exit status; `--var`, `--force`, `--output` and `--log-dir` apply.
 */
export async function workbenchCommand(values: CliValues, opts: {build?: string; buildName?: string} = {}): Promise<number> {
  const {stdin, stdout, stderr} = process;
  if (!stdin.isTTY || !stdout.isTTY) {
    stderr.write(NO_TTY);
    return 2;
  }
  const [{probeTerminal, detectGraphics, detectColorMode, createScreenPainter}, terminal, {ConsolePane, InkStdout}] = await Promise.all([
    import('../render/index.js'),
    import('../tui/terminal.js'),
    import('../tui/console-pane.js'),
  ]);

  // 1. Before ink: ask the terminal what it can draw.
  const probe = await probeTerminal(stdin, stdout);
  const forced = process.env.VMBENCH_GRAPHICS;
  const graphics = forced ? detectGraphics(process.env) : probe.graphics !== 'halfblock' ? probe.graphics : detectGraphics(process.env, probe.da1);
  const colorMode = detectColorMode(process.env, true);

  // The build engine (~0.15 s to load) is not needed to paint the picker: it loads after the
  // first frame, unless a build starts at once (`vmbench build` in a terminal).
  let controllerMod: typeof import('../tui/controller.js') | undefined;
  let controllerError: Error | undefined;
  const loadController = () => import('../tui/controller.js').then((m) => (controllerMod = m));
  if (opts.build) await loadController();
  const [{render}, React, {App}, {listProfiles, describeProfile, describeTemplate}, {loadProfile, formatOf}, settingsMod, {reapStaleQemus, keptQemus}, {psEntries}, {keptVmsOf}] = await Promise.all([
    import('ink'),
    import('react'),
    import('../tui/App.js'),
    import('../tui/profiles-data.js'),
    import('../profiles/loader.js'),
    import('../settings/index.js'),
    import('../qemu/reaper.js'),
    import('./ps-command.js'),
    import('../tui/kept-vms.js'),
  ]);
  const settings = settingsMod.loadSettings();
  const reaped = reapStaleQemus();
  // `vmbench build <template>`: the entry of the build it picked (one of several, by name).
  const autoBuildEntry = (target: string, name?: string) => {
    const format = formatOf(target);
    if (format === 'vmbench') return describeProfile(target);
    const entries = describeTemplate({path: target, kind: format, name: path.basename(target)});
    return entries.find((e) => e.only === undefined || e.only === name) ?? entries[0]!;
  };

  // A vanished terminal (SIGHUP) makes writes fail with EIO/EPIPE: that must not crash the
  // cleanup that follows. The build log on disk keeps everything.
  for (const s of [stdout, stderr, stdin]) s.on('error', () => {});

  let pane!: InstanceType<typeof ConsolePane>;
  const inkOut = new InkStdout(stdout, (touched) => pane.afterInkFrame(touched));
  pane = new ConsolePane({
    write: (d) => {
      try {
        stdout.write(d);
      } catch {
        // terminal gone
      }
    },
    createPainter: (g) => createScreenPainter(graphics, {...g, colorMode, ...(probe.cellWidth && probe.cellHeight ? {cellWidth: probe.cellWidth, cellHeight: probe.cellHeight} : {})}),
    colorMode,
    tracker: inkOut.tracker,
  });

  // The build that runs now, for signals and crashes.
  let current: import('../tui/types.js').BuildController | undefined;
  // How the last build ended: a kept VM leaves with the same status as in plain mode.
  let lastOutcome: {status: string; kept: boolean} | undefined;
  // What `vmbench build` was given (-var, -only, …) applies to its own build only; a template's
  // entry in the picker names its build (`only`).
  const optionsFor = (only?: string) => {
    const given = opts.build ? values : {};
    return loadOptions({...given, only: only !== undefined ? [only] : given.only}, settings);
  };
  const outputOf = (dir: string, only?: string): string => {
    const loaded = loadProfile(dir, optionsFor(only));
    return path.resolve(settingsMod.outputDirFor(settings, loaded.profile) ?? loaded.profile.output_directory);
  };
  const outputExists = (dir: string, only?: string): string | undefined => {
    try {
      const out = outputOf(dir, only);
      return existsSync(out) ? out : undefined;
    } catch {
      return undefined; // a broken profile: the picker says why when it is picked
    }
  };
  const startBuild = (dir: string, o: {debug: boolean; force?: boolean; only?: string}) => {
    // `vmbench build` in a terminal: --also/--push add artifacts to this build only.
    const loaded = opts.build ? applyAlso(loadProfile(dir, optionsFor(o.only)), values.also, values.push) : loadProfile(dir, optionsFor(o.only));
    if (controllerError) throw controllerError;
    if (!controllerMod) throw new Error('still starting up: press Enter again in a moment');
    const c = controllerMod.startBuildController({
      loaded,
      debug: o.debug,
      force: o.force || (!!opts.build && !!values.force),
      timestamp: !!opts.build && !!values.timestamp,
      cacheDir: values['cache-dir'] ?? settings.cacheDir,
      outputDir: (opts.build ? values.output : undefined) ?? settingsMod.outputDirFor(settings, loaded.profile),
      logDir: opts.build ? values['log-dir'] : undefined,
      onError: opts.build ? (values['on-error'] as 'cleanup' | 'abort' | 'ask' | undefined) : undefined,
    });
    current = c;
    const clear = (): void => {
      if (current === c) current = undefined;
    };
    c.done.then((o) => {
      lastOutcome = o;
      clear();
    }, clear);
    return c;
  };

  const savedConsole = {log: console.log, info: console.info, warn: console.warn, error: console.error, debug: console.debug};

  // 2. The alternate screen, and the way back from it on every path.
  const screen = terminal.enterFullscreen({stdin, stdout}, {beforeLeave: () => void pane.stop()});
  let instance: ReturnType<typeof render> | undefined;
  const leave = (): void => {
    try {
      instance?.unmount();
    } catch {
      // already unmounted
    }
    inkOut.dispose();
    screen.restore();
  };
  const removeCrashGuard = terminal.installCrashGuard({
    onCrash: () => {
      // Stop the VM now (the unfinished build removed): nothing may be left running after a crash.
      try {
        current?.command({type: 'interrupt'});
        current?.command({type: 'interrupt'});
      } catch {
        // the controller itself may be what broke
      }
      leave();
      Object.assign(console, savedConsole);
    },
  });

  let resolveExit!: (code: number) => void;
  const exited = new Promise<number>((r) => (resolveExit = r));
  let signals = 0;
  const onSignal = (sig: import('../tui/terminal.js').ExitSignal): void => {
    signals++;
    const c = current;
    if (!c) return resolveExit(terminal.signalExitCode(sig));
    // First: cancel and clean up; second: stop at once. Then leave when the build has ended.
    c.command({type: 'interrupt'});
    if (signals === 1) {
      const timer = setTimeout(() => resolveExit(terminal.signalExitCode(sig)), CLEANUP_WAIT_MS);
      timer.unref();
      c.done.then(
        () => resolveExit(terminal.signalExitCode(sig)),
        () => resolveExit(terminal.signalExitCode(sig)),
      );
    }
  };
  const handlers = terminal.EXIT_SIGNALS.map((sig) => [sig, () => onSignal(sig)] as const);
  for (const [sig, h] of handlers) process.on(sig, h);

  // Anything printed with console.* while the screen is up would land in the middle of it.
  const consoleLines: string[] = [];
  const capture = (...args: unknown[]): void => {
    if (consoleLines.length < 200) consoleLines.push(args.map((a) => (typeof a === 'string' ? a : a instanceof Error ? a.message : String(a))).join(' '));
  };
  Object.assign(console, {log: capture, info: capture, warn: capture, error: capture, debug: capture});

  // 3. ink, on the proxy stdout.
  const setupNeeded = settings.needsSetup;
  const {SetupScreen} = setupNeeded ? await import('../tui/SetupScreen.js') : {SetupScreen: undefined};
  const setup = SetupScreen
    ? (done: () => void) =>
        React.createElement(SetupScreen, {
          runChecks: async (onUpdate, signal) => {
            const [{allChecks}, {realCheckContext}, {runChecks}] = await Promise.all([import('../setup/checks.js'), import('../setup/context.js'), import('../setup/runner.js')]);
            const s = settings.stored;
            return runChecks(allChecks({sshKeyFile: s.sshKeyFile || undefined}), realCheckContext({cacheDir: settings.cacheDir, outputBase: settings.outputBase}), onUpdate, signal);
          },
          initial: settings.stored,
          settingsFile: settings.file,
          warnings: settings.warnings,
          onDone: (s) => {
            // q skips (nothing saved, setup is offered again next time); saving marks it done.
            if (s) {
              // The setup screen validated them; a failure to write shows up next run.
              settingsMod.saveSettings({...s, setupVersion: settingsMod.SETUP_VERSION}).catch(() => undefined);
            }
            done();
          },
        })
    : undefined;

  instance = render(
    React.createElement(App, {
      loadProfiles: () => listProfiles({cacheDir: values['cache-dir'] ?? settings.cacheDir}),
      // A download's size the cache does not know: a HEAD request, in the background, 4 s at most.
      probeSize: (url: string) => import('../iso/remote-size.js').then((m) => m.probeRemoteSize(url, {cacheDir: values['cache-dir'] ?? settings.cacheDir})),
      startBuild,
      outputExists,
      autoBuild: opts.build ? autoBuildEntry(opts.build, opts.buildName) : undefined,
      debug: !!values.debug,
      consolePane: pane,
      setup,
      onExit: (code: number) => resolveExit(code),
      // Kept VMs: what `vmbench ps` lists (not the running builds); opened over their VNC, stopped
      // by `vmbench stop`'s own function (QMP quit, then SIGTERM, then SIGKILL).
      loadVms: () => keptVmsOf(psEntries()),
      openVm: (vm: import('../tui/kept-vms.js').KeptVm) => import('../tui/vm-feed.js').then((m) => m.openVmFeed(vm)),
      stopVm: async (vm: import('../tui/kept-vms.js').KeptVm) => {
        const {stopVm, stoppedLine} = await import('./stop-command.js');
        return stoppedLine(vm, await stopVm(vm));
      },
    }),
    {
      stdout: inkOut as unknown as NodeJS.WriteStream,
      stdin,
      stderr,
      // maxFps 60, incremental rendering and console patching off: see ink-options.ts.
      ...INK_OPTIONS,
    },
  );
  if (!controllerMod) loadController().catch((e: Error) => (controllerError = e));
  // A component that throws makes ink unmount and reject waitUntilExit: that is a crash too
  // (without this the process would just end, code 0, once nothing else keeps it alive).
  let inkError: unknown;
  instance.waitUntilExit().then(
    () => resolveExit(0),
    (err: unknown) => {
      inkError = err;
      resolveExit(1);
    },
  );
  if (reaped.length) {
    // Said after the screen is up would be lost in the alternate screen: keep for the end.
    process.once('exit', () => stderr.write(`vmbench: killed QEMU ${reaped.join(', ')} left behind by a vmbench that died\n`));
  }

  const exitedWith = await exited;
  // `vmbench build` in a terminal whose VM was kept: the status plain and --json give (the
  // App would say 130 for a keep at a debug pause, 1 for --on-error=abort).
  // (Imported only then: the engine is not needed to paint the picker.)
  const code = opts.build && lastOutcome?.kept ? (await import('../session/build-session.js')).KEPT_EXIT_STATUS : exitedWith;
  leave();
  removeCrashGuard();
  for (const [sig, h] of handlers) process.off(sig, h);
  Object.assign(console, savedConsole);
  if (inkError !== undefined) stderr.write(`vmbench: the workbench failed: ${inkError instanceof Error ? (inkError.stack ?? inkError.message) : String(inkError)}\n`);
  if (consoleLines.length) stderr.write(`vmbench: printed while the workbench ran:\n${consoleLines.map((l) => `  ${l}`).join('\n')}\n`);
  for (const w of settings.warnings) stderr.write(`vmbench: ${w}\n`);
  // VMs kept in this session run on after we leave: say where they are, outside the screen.
  for (const k of keptQemus().filter((r) => r.owner === process.pid)) {
    const where = [k.vnc && `VNC ${k.vnc.host}:${k.vnc.port}${k.vnc.password ? ` (password ${k.vnc.password})` : ''}`, k.ssh && `SSH ${k.ssh.host}:${k.ssh.port}`].filter(Boolean).join(', ');
    stderr.write(`vmbench: kept VM of ${k.profile ?? 'a build'} runs on (QEMU pid ${k.pid}${where ? `; ${where}` : ''}); list it: vmbench ps · stop it: vmbench stop ${k.build ?? k.pid}\n`);
  }
  // Leaving with a build still running (a signal whose cleanup took too long, a crash of the
  // UI): stop it now — QEMU killed, the unfinished build removed — and wait for that, so nothing is left running.
  const running = current;
  if (running) {
    stderr.write('vmbench: stopping the build (QEMU is killed, the unfinished build removed)…\n');
    running.command({type: 'interrupt'});
    running.command({type: 'interrupt'});
    await Promise.race([running.done.catch(() => undefined), new Promise((r) => setTimeout(r, 10_000).unref())]);
  }
  stdin.pause();
  // Nothing may keep the process alive once the user has left — e.g. a VNC reconnect loop that
  // a screen request opened during the VM's cleanup. An unref'd timer: a clean exit is sooner.
  setTimeout(() => process.exit(process.exitCode ?? code), 1000).unref();
  return code;
}
