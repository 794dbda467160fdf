/**
 * Packer's shell-local (packer-plugin-sdk/shell-local Run), for the provisioner and the
 * post-processor: inline lines go into a private temporary script (with the `#!` of
 * inline_shebang), and each script runs on this host as execute_command — by default
 * `/bin/sh -c "{{.Vars}} {{.Script}}"` — in vmbench's working directory, as Packer runs it in
 * its own. {{ .Vars }} holds PACKER_BUILD_NAME, PACKER_BUILDER_TYPE, the PACKER_HTTP_* the build
 * has, then environment_vars and env, sorted by name and written with env_var_format. Every
 * command runs in its own process group, stopped whole on Ctrl-C or a timeout.
 */
import {chmod, rm, stat, writeFile} from 'node:fs/promises';
import path from 'node:path';
import type {ShellLocalConfig} from '../../../profiles/provisioner-schema.js';
import {renderTemplate} from '../../../profiles/template.js';
import {StepError, type StepContext} from '../../step.js';
import type {BuildState} from '../../state.js';
import {generatedData, httpEnv, runUuid} from './generated-data.js';
import {runHostCommand} from './host-command.js';
import {watchedTempDir} from '../../../qemu/watchdog.js';

/** Go's runtime.GOOS for this host. */
export function goos(platform: NodeJS.Platform = process.platform): string {
  return ({win32: 'windows', sunos: 'solaris'} as Record<string, string>)[platform] ?? platform;
}

/** Go's fmt.Sprintf for a format of plain `%s` verbs (and `%%`), as env_var_format uses it. */
export function sprintf(format: string, ...args: string[]): string {
  let i = 0;
  return format.replace(/%[s%]/g, (m) => (m === '%%' ? '%' : (args[i++] ?? '%!s(MISSING)')));
}

/**
 * The {{ .Vars }} string (createFlattenedEnvVars): Packer's variables, then environment_vars,
 * then env, by sorted name, each value's `'` written as `'"'"'` so the default format quotes it.
 */
export function flattenedEnvVars(c: Pick<ShellLocalConfig, 'environment_vars' | 'env' | 'env_var_format'>, packer: Record<string, string>): string {
  const vars: Record<string, string> = {...packer};
  const quote = (v: string): string => v.replaceAll("'", `'"'"'`);
  for (const kv of c.environment_vars) {
    const eq = kv.indexOf('=');
    vars[kv.slice(0, eq)] = quote(kv.slice(eq + 1));
  }
  for (const [k, v] of Object.entries(c.env)) vars[k] = quote(v);
  // Go's sort.Strings: byte order, not locale order.
  return Object.keys(vars)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((k) => sprintf(c.env_var_format, k, vars[k]!))
    .join('');
}

export interface ShellLocalRun {
  /** "shell-local" or the provisioner's name, for messages. */
  label: string;
  /** PACKER_BUILD_NAME, PACKER_BUILDER_TYPE (and the post-processor's own additions). */
  packerVars: Record<string, string>;
  /** Where this shell-local stands in the profile (messages). */
  where: string;
}

/** Runs a shell-local config's scripts in order; throws a StepError on a bad exit code. */
export async function runShellLocal(ctx: StepContext<BuildState>, c: ShellLocalConfig, run: ShellLocalRun): Promise<void> {
  const {state} = ctx;
  if (c.only_on.length && !c.only_on.includes(goos())) {
    ctx.log('vmbench', 'info', `${run.label}: skipped: only_on is ${c.only_on.join(', ')}, this host runs ${goos()}`);
    return;
  }
  const data = generatedData(state);
  const fields: Record<string, string> = {...data};
  const render = (s: string, what: string, extra: Record<string, string> = {}): string => {
    try {
      return renderTemplate(s, {fields: {...fields, ...extra}});
    } catch (err) {
      throw new StepError(`${c.source}: ${what}: ${(err as Error).message}`);
    }
  };
  const vars = flattenedEnvVars(
    {...c, environment_vars: c.environment_vars.map((v) => render(v, 'environment_vars')), env: Object.fromEntries(Object.entries(c.env).map(([k, v]) => [k, render(v, `env.${k}`)]))},
    {...run.packerVars, ...httpEnv(data)},
  );
  const env: Record<string, string> = Object.fromEntries(Object.entries(state.options.env).filter((e): e is [string, string] => typeof e[1] === 'string'));
  env.PACKER_RUN_UUID = runUuid(state.options.env);

  let tmpDir: string | undefined;
  try {
    let scripts: string[];
    if (c.scripts.length) {
      scripts = c.scripts.map((s) => path.resolve(state.profileDir, s));
      for (const s of scripts) {
        const st = await stat(s).catch(() => undefined);
        if (!st?.isFile()) throw new StepError(`${c.source}: script ${s}: ${st ? 'not a file' : 'no such file'}`, `scripts are relative to the profile directory ${state.profileDir}`);
      }
    } else {
      tmpDir = await watchedTempDir('vmbench-shell-local-');
      const file = path.join(tmpDir, `packer-shell${c.tempfile_extension ? `.${c.tempfile_extension}` : ''}`);
      const body = c.inline.map((l, i) => `${render(l, `inline[${i}]`)}\n`).join('');
      await writeFile(file, `#!${c.inline_shebang}\n${body}`, {mode: 0o700});
      await chmod(file, 0o700);
      scripts = [file];
    }
    for (const script of scripts) {
      const argv = c.execute_command.map((a, i) => render(a, `execute_command[${i}]`, {Vars: vars, Script: script, Command: script}));
      ctx.log('vmbench', 'info', `${run.label}: running local shell script ${c.scripts.length ? script : '(inline)'}`);
      ctx.log('vmbench', 'debug', `${run.label}: ${argv.join(' ')}`);
      const r = await runHostCommand(argv, {cwd: state.options.cwd ?? process.cwd(), env, signal: ctx.signal, log: ctx.log, what: `${run.label}'s ${argv[0]}`});
      const took = `${(r.durationMs / 1000).toFixed(1)}s`;
      const name = c.scripts.length ? path.basename(script) : run.label;
      const who = c.scripts.length ? `${run.label}: ${name}` : run.label;
      state.sections?.scriptEnded(name, r.exitCode !== undefined && c.valid_exit_codes.includes(r.exitCode) ? 0 : (r.exitCode ?? -1));
      if (r.startError) throw new StepError(`${c.source}: could not run ${argv[0]}: ${r.startError}`, 'execute_command[0] must be a program on this host');
      if (r.exitCode === undefined) throw new StepError(`${who} was killed by ${r.signal} after ${took}`, `${run.label} is defined at ${run.where}`);
      if (!c.valid_exit_codes.includes(r.exitCode)) {
        throw new StepError(`${who} exited with code ${r.exitCode} after ${took} (valid: ${c.valid_exit_codes.join(', ')})`, `its output is above; it is defined at ${run.where}`);
      }
      ctx.log('vmbench', 'info', `${who}: exit ${r.exitCode} after ${took}`);
    }
  } finally {
    if (tmpDir) await rm(tmpDir, {recursive: true, force: true}).catch(() => undefined);
  }
}
