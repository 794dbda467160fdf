/**
 * What `vmbench build a b c` / `--list FILE` will run, decided before anything starts: the
 * profiles (every one loaded and checked: file:line errors), each build's output folder (two
 * builds never write one folder: refused up front, naming both), its own log folder, and the
 * command line of the child process that runs it (`vmbench build <profile> --json …`).
 *
 * A list file has one build a line: a profile (name, folder, profile.yaml or Packer template),
 * optionally followed by `--output DIR` and `--var NAME=VALUE` for that build alone (Packer's
 * `-var`, `-o` too); `#` starts a comment, blank lines are skipped; a word may be quoted with
 * "…" or '…'. Relative paths on a line are relative to the list file's folder.
 */
import {randomBytes} from 'node:crypto';
import {existsSync, readFileSync} from 'node:fs';
import path from 'node:path';
import {loadProfiles, ProfileError, type LoadedProfile} from '../profiles/loader.js';
import {checkReferencedFiles} from '../profiles/referenced-files.js';
import {loadOptions, type TemplateArgs} from './load-options.js';
import {resolveProfileArg, stateDir} from './paths.js';
import {outputDirFor, type EffectiveSettings} from '../settings/index.js';

/** One build as asked for: from the command line or a list file's line. */
export interface BuildAsk {
  /** The profile argument as written (a list line's relative path already made absolute). */
  target: string;
  /** Where it was asked for, for messages: `list.txt:3` or `argument 2`. */
  where: string;
  /** This build's own output folder (a list line's --output). */
  output?: string;
  /** This build's own -var NAME=VALUE (after the command line's: they win). */
  vars: string[];
}

/** A problem with what was asked: the message names the file and line (or the argument). */
export class PlanError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
    this.name = 'PlanError';
  }
}

/** A line's words: whitespace-separated, "…" or '…' quoting; undefined message on success. */
export function splitWords(line: string): {words: string[]; error?: string} {
  const words: string[] = [];
  let i = 0;
  while (i < line.length) {
    while (i < line.length && /\s/.test(line[i]!)) i++;
    if (i >= line.length) break;
    let word = '';
    while (i < line.length && !/\s/.test(line[i]!)) {
      const q = line[i]!;
      if (q === '"' || q === "'") {
        const end = line.indexOf(q, i + 1);
        if (end < 0) return {words, error: `unterminated ${q} quote`};
        word += line.slice(i + 1, end);
        i = end + 1;
      } else {
        word += q;
        i++;
      }
    }
    words.push(word);
  }
  return {words};
}

/** Drops a `#` comment that starts a word (not one inside a quoted word or a path like a#b). */
function stripComment(line: string): string {
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '#' && (i === 0 || /\s/.test(line[i - 1]!))) return line.slice(0, i);
  }
  return line;
}

/** A relative path on a list line means: beside the list file. */
const besideList = (dir: string, p: string): string => (path.isAbsolute(p) ? p : path.join(dir, p));

/** Does a profile argument name a path (rather than a profile name)? As resolveProfileArg reads it. */
const looksLikePath = (arg: string): boolean => arg.includes('/') || /\.(ya?ml|json|pkr\.hcl)$/.test(arg);

/**
 * The builds a list file asks for. Throws PlanError naming `file:line` for every bad line
 * (an unknown option, an option without its value, a second profile on one line).
 */
export function parseBuildList(text: string, file: string): BuildAsk[] {
  const dir = path.dirname(path.resolve(file));
  const asks: BuildAsk[] = [];
  const problems: string[] = [];
  text.split(/\r?\n/).forEach((raw, idx) => {
    const where = `${file}:${idx + 1}`;
    const {words, error} = splitWords(stripComment(raw));
    if (error) return void problems.push(`${where}: ${error}`);
    if (!words.length) return;
    const ask: BuildAsk = {target: '', where, vars: []};
    for (let i = 0; i < words.length; i++) {
      const w = words[i]!;
      const opt = /^--?(output|o|var)(?:=(.*))?$/.exec(w);
      if (opt) {
        const value = opt[2] ?? words[++i];
        if (value === undefined || value === '') return void problems.push(`${where}: ${w} needs a value (${opt[1] === 'var' ? 'NAME=VALUE' : 'DIR'})`);
        if (opt[1] === 'var') {
          if (value.indexOf('=') <= 0) return void problems.push(`${where}: --var ${value}: expected NAME=VALUE`);
          ask.vars.push(value);
        } else if (ask.output !== undefined) return void problems.push(`${where}: --output given twice`);
        else ask.output = besideList(dir, value);
        continue;
      }
      if (w.startsWith('-')) return void problems.push(`${where}: unknown option ${w} (a list line takes a profile, --output DIR and --var NAME=VALUE)`);
      if (ask.target) return void problems.push(`${where}: two profiles on one line ("${ask.target}" and "${w}"): one build a line`);
      // A bare name is a profile name unless such a folder lies beside the list (as in the working directory on the command line).
      ask.target = looksLikePath(w) || existsSync(path.join(dir, w, 'profile.yaml')) ? besideList(dir, w) : w;
    }
    if (!ask.target) return void problems.push(`${where}: no profile on this line (only options)`);
    asks.push(ask);
  });
  if (problems.length) throw new PlanError(problems);
  if (!asks.length) throw new PlanError([`${file}: no builds listed (one profile a line; # comments)`]);
  return asks;
}

/** Reads a list file; a missing file is a PlanError too. */
export function readBuildList(file: string): BuildAsk[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new PlanError([`--list ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`]);
  }
  return parseBuildList(text, file);
}

/** One build, ready to run. */
export interface PlannedBuild {
  /** Unique among the builds: the profile's name, `name#2` for its second build. */
  label: string;
  where: string;
  /** The profile's path as the child is given it (absolute). */
  target: string;
  profile: string;
  cpus: number;
  memoryMiB: number;
  /** Absolute output folder (before any --timestamp the child adds). */
  outputDir: string;
  /** Absolute log folder (build.log, serial.log, events.jsonl), chosen here. */
  logDir: string;
  /** The child's arguments after `bin/vmbench`. */
  argv: string[];
}

/** What of the command line the builds are planned with (the CLI's option values fit it). */
export interface PlanOptions extends TemplateArgs {
  force?: boolean;
  output?: string;
  'log-dir'?: string;
  'on-error'?: string;
  'cache-dir'?: string;
  also?: readonly string[];
  push?: string;
  timestamp?: boolean;
}

/** A label as a folder name. */
const safe = (label: string): string => label.replace(/[^\w.-]+/g, '-');

/**
 * Loads and checks every build, decides its output and log folders and its child's command
 * line. Throws PlanError with every problem found (file:line for profile errors), including two
 * builds that would write one output folder.
 */
export function planBuilds(asks: readonly BuildAsk[], values: PlanOptions, settings: EffectiveSettings): PlannedBuild[] {
  const problems: string[] = [];
  const loaded: {ask: BuildAsk; target: string; l: LoadedProfile; build?: string}[] = [];
  for (const ask of asks) {
    try {
      const target = path.resolve(resolveProfileArg(ask.target));
      const all = loadProfiles(target, loadOptions({...values, var: [...(values.var ?? []), ...ask.vars]}, settings));
      if (!all.length) throw new Error('no qemu build left to run (after -only/-except)');
      const missing = all.flatMap((l) => (l.document ? checkReferencedFiles(l.profile, l.document, l.dir).filter((i) => !i.warning) : []));
      if (missing.length) throw new ProfileError(missing);
      // A template with several builds runs them all, as `packer build` does: each its own
      // child, narrowed to its build with -only (Packer's full name for HCL2, the builder's for JSON).
      for (const l of all) loaded.push({ask, target, l, build: all.length > 1 ? (l.document?.template?.selector ?? l.document?.template?.buildName ?? l.profile.name) : undefined});
    } catch (err) {
      const msg = (err as Error).message;
      // A profile's own errors name its file and line; what is not (no such profile) names the ask.
      problems.push(err instanceof ProfileError ? `${msg}\n  (${ask.where}: ${ask.target})` : `${ask.where}: ${ask.target}: ${msg}`);
    }
  }
  if (problems.length) throw new PlanError(problems);

  const count = new Map<string, number>();
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const planned = loaded.map(({ask, target, l, build}): PlannedBuild => {
    const name = l.profile.name;
    const n = (count.get(name) ?? 0) + 1;
    count.set(name, n);
    const label = n === 1 ? name : `${name}#${n}`;
    const explicit = ask.output ?? (values.output !== undefined ? path.join(values.output, name) : undefined);
    const outputDir = path.resolve(explicit ?? outputDirFor(settings, l.profile) ?? l.profile.output_directory);
    const logDir = path.resolve(values['log-dir'] ? path.join(values['log-dir'], safe(label)) : path.join(stateDir(), 'builds', `${safe(label)}-${stamp}-${randomBytes(4).toString('hex')}`));
    const where = build ? `${ask.where}, build ${build}` : ask.where;
    return {label, where, target, profile: name, cpus: l.profile.cpus, memoryMiB: l.profile.memory, outputDir, logDir, argv: childArgv(target, values, ask, explicit, logDir, build)};
  });

  // Two builds must never write one folder.
  const byOutput = new Map<string, PlannedBuild>();
  for (const p of planned) {
    const first = byOutput.get(p.outputDir);
    if (first) {
      problems.push(
        `vmbench: ${first.label} (${first.where}) and ${p.label} (${p.where}) would both write ${p.outputDir}: give one of them another output folder` +
          ` (${p.where.startsWith('argument') ? '--output DIR builds each into DIR/<name>; ' : ''}a list line takes --output DIR)`,
      );
    } else byOutput.set(p.outputDir, p);
  }
  if (problems.length) throw new PlanError(problems);
  return planned;
}

/** `vmbench build <target> --json …`: what the child is given of the command line. */
function childArgv(target: string, values: PlanOptions, ask: BuildAsk, output: string | undefined, logDir: string, build?: string): string[] {
  const argv = ['build', target, '--json', '--log-dir', logDir, '--on-error', values['on-error'] ?? 'cleanup'];
  if (values.force) argv.push('--force');
  if (output !== undefined) argv.push('--output', path.resolve(output));
  for (const v of [...(values.var ?? []), ...ask.vars]) argv.push('--var', v);
  for (const f of values['var-file'] ?? []) argv.push('--var-file', path.resolve(f));
  // One build of a template: its own name (what -only/-except left of the template's builds).
  if (build !== undefined) argv.push('--only', build);
  else {
    if (values.only?.length) argv.push('--only', values.only.join(','));
    if (values.except?.length) argv.push('--except', values.except.join(','));
  }
  if (values['cache-dir']) argv.push('--cache-dir', path.resolve(values['cache-dir']));
  for (const a of values.also ?? []) argv.push('--also', a);
  if (values.push) argv.push('--push', values.push);
  if (values.timestamp) argv.push('--timestamp');
  return argv;
}
