/**
 * `vmbench setup`: check the host and edit the settings.
 *
 *   terminal (stdin and stdout TTYs, not CI)  → the setup screen (src/tui/SetupScreen.tsx)
 *   --yes                                     → checks as lines, then the settings saved (defaults + --set)
 *   no terminal / --plain                     → checks as lines and the current settings; nothing saved
 *   --set key=value / --ssh-key without --yes → just that edit, saved; no checks
 *
 * Exit status: 0 when no check failed, 1 when one did, 2 for bad usage or a bad --set.
 */
import {statSync} from 'node:fs';
import type {CliValues} from './main.js';
import {applyAssignments, defaultCacheDir, defaultSshKeyFile, SETUP_VERSION, type Settings} from '../settings/schema.js';
import {describeIssues, readSettings, saveSettings, type SettingsLocation} from '../settings/store.js';
import {allChecks} from '../setup/checks.js';
import {realCheckContext} from '../setup/context.js';
import {diffSettings, formatCheck, formatSettings, summarize} from '../setup/format.js';
import {runChecks, type CheckUpdate} from '../setup/runner.js';
import {generateSshKey} from '../setup/ssh-key.js';
import type {CheckContext, CheckResult} from '../setup/types.js';

export interface SetupIo {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadStream;
  env: NodeJS.ProcessEnv;
  /** Where the settings live (tests); default $XDG_CONFIG_HOME/vmbench-nodejs. */
  location?: SettingsLocation;
  /** The checks' context (tests); default this host. */
  context?: (s: Settings) => CheckContext;
}

const defaultIo = (): SetupIo => ({stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env});

export async function setupCommand(args: string[], values: CliValues, io: SetupIo = defaultIo()): Promise<number> {
  const out = (s = ''): void => void io.stdout.write(`${s}\n`);
  const err = (s: string): void => void io.stderr.write(`${s}\n`);
  if (args.length) {
    err('usage: vmbench setup [--yes] [--plain] [--set key=value]… [--ssh-key] (see vmbench --help)');
    return 2;
  }
  const read = readSettings(io.location);
  for (const line of describeIssues(read)) err(`vmbench: ${line}`);
  const edited = applyAssignments(read.settings, values.set ?? []);
  if (edited.errors.length) {
    for (const e of edited.errors) err(`vmbench: ${e}`);
    return 2;
  }
  let settings = edited.settings;
  const context = (s: Settings): CheckContext =>
    io.context?.(s) ?? realCheckContext({cacheDir: s.cacheDir || defaultCacheDir(), outputBase: s.outputDir || undefined});

  // Only an edit: apply it, save, say what changed.
  if (!values.yes && (values.set?.length || values['ssh-key'])) {
    if (values['ssh-key']) {
      const made = makeKey(settings, out, err);
      if (!made) return 1;
      settings = made;
    }
    const changes = diffSettings(read.settings, settings);
    return await save(settings, changes.length ? changes : ['no changes']);
  }

  const interactive = !values.yes && !values.plain && !!io.stdout.isTTY && !!io.stdin.isTTY && !inCi(io.env);
  if (interactive) return runScreen();

  // Plain: each check as a line, in order, as soon as it and those before it are done.
  out('vmbench setup: checking this host…');
  const checks = allChecks({sshKeyFile: settings.sshKeyFile || undefined});
  const done = new Map<string, CheckResult>();
  let next = 0;
  const results = await runChecks(checks, context(settings), (u) => {
    if (u.status === 'running') return;
    done.set(u.id, u);
    while (next < checks.length && done.has(checks[next]!.id)) for (const l of formatCheck(done.get(checks[next++]!.id)!)) out(l);
  });
  out(`checks: ${summarize(results)}`);
  const failed = results.some((r) => r.status === 'fail');
  out();
  if (!values.yes) {
    out(`settings (${read.exists ? read.file : 'defaults; nothing saved yet'}):`);
    for (const l of formatSettings(settings)) out(l);
    out();
    out('not saved. Accept these with:  vmbench setup --yes');
    out('change one with:              vmbench setup --set memory=2048   (keys as above)');
    out('or run `vmbench setup` in a terminal for the guided set-up.');
    return failed ? 1 : 0;
  }
  if (values['ssh-key']) {
    const made = makeKey(settings, out, err);
    if (!made) return 1;
    settings = made;
  }
  settings = {...settings, setupVersion: SETUP_VERSION};
  const code = await save(settings, formatSettings(settings));
  return code || (failed ? 1 : 0);

  async function save(s: Settings, lines: string[]): Promise<number> {
    let saved;
    try {
      saved = await saveSettings(s, io.location);
    } catch (e) {
      err(`vmbench: could not save the settings: ${(e as Error).message}`);
      return 1;
    }
    const mode = (statSync(saved.file).mode & 0o777).toString(8);
    out(`settings saved to ${saved.file} (mode ${mode}):`);
    for (const l of lines) out(`  ${l.trimStart()}`);
    if (saved.backup) out(`the previous, invalid file is kept as ${saved.backup}`);
    return 0;
  }

  async function runScreen(): Promise<number> {
    const [{render}, React, {SetupScreen}, {noColorRequested, noColorStream}] = await Promise.all([import('ink'), import('react'), import('../tui/SetupScreen.js'), import('../tui/no-color.js')]);
    let last: CheckResult[] = [];
    let resolveDone!: (s: Settings | undefined) => void;
    const finished = new Promise<Settings | undefined>((r) => (resolveDone = r));
    const instance = render(
      React.createElement(SetupScreen, {
        runChecks: async (onUpdate: (u: CheckUpdate) => void, signal: AbortSignal) => {
          // Settings edited on the screen change only the next run's directories.
          last = await runChecks(allChecks({sshKeyFile: settings.sshKeyFile || undefined}), context(settings), onUpdate, signal);
          return last;
        },
        initial: settings,
        settingsFile: read.file,
        warnings: describeIssues(read),
        onDone: (s: Settings | undefined) => resolveDone(s),
      }),
      // NO_COLOR: ink colours through chalk, which does not read it; its output is filtered.
      {stdout: noColorRequested(io.env) ? noColorStream(io.stdout) : io.stdout, stdin: io.stdin, stderr: io.stderr as NodeJS.WriteStream, exitOnCtrlC: false},
    );
    const result = await finished;
    instance.unmount();
    await instance.waitUntilExit().catch(() => {});
    const failed = last.some((r) => r.status === 'fail');
    // The screen is gone: leave the fixes where the user can copy them.
    const toFix = last.filter((r) => r.fix && (r.status === 'fail' || r.status === 'warn'));
    if (last.length) out(`checks: ${summarize(last)}`);
    for (const r of toFix) out(`  ${r.title}: ${r.fix}`);
    if (!result) {
      out('vmbench setup: quit; nothing saved.');
      return failed ? 1 : 0;
    }
    const final = {...result, setupVersion: SETUP_VERSION};
    const changes = diffSettings(read.settings, final);
    return (await save(final, changes.length ? changes : ['no changes'])) || (failed ? 1 : 0);
  }
}

function makeKey(s: Settings, out: (s: string) => void, err: (s: string) => void): Settings | undefined {
  const file = s.sshKeyFile || defaultSshKeyFile();
  const r = generateSshKey(file);
  if (r.status === 'created') {
    out(`ssh key: created ${r.privateKey} (mode 600) and ${r.publicKey}`);
    out(`  ${r.publicLine}`);
  } else if (r.status === 'exists') out(`ssh key: ${r.message}`);
  else {
    err(`vmbench: ssh key: ${r.message}`);
    return undefined;
  }
  return {...s, sshKeyFile: file};
}

/** ink writes only the last frame under CI=true: a guided screen is useless there. */
function inCi(env: NodeJS.ProcessEnv): boolean {
  const ci = env.CI;
  return ci !== undefined && ci !== '' && ci !== '0' && ci.toLowerCase() !== 'false';
}
