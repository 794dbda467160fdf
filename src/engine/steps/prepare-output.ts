/**
 * prepare-output — uses: state.outputDir, options.force/cwd/cacheDir/logDir/env, state.profileDir.
 * Produces: state.workDir, a scratch directory beside the output directory (same filesystem, so
 * the final rename is atomic), made by this build and marked as vmbench's (output-marker.ts).
 * Before anything starts (preflight) and again here it refuses an output folder vmbench must not
 * replace: /, $HOME, the working folder, the profile's folder, the cache, state and log folders
 * or an ancestor of one of them; a symbolic link or a file; an existing folder without --force;
 * with --force, a folder that is neither empty nor holds vmbench's marker; a place it cannot
 * write. It says so when an earlier build was stopped halfway (its work folder, or the previous
 * output it was replacing, is still beside the output).
 * Cleanup: removes the scratch directory — only the one this build made — unless the build
 * finished (then it *is* the output).
 */
import {accessSync, constants, lstatSync, readdirSync, realpathSync} from 'node:fs';
import {mkdir, rm} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {writeFileAtomic} from '../post-processors/atomic.js';
import {markerText, OUTPUT_MARKER, readMarker} from '../output-marker.js';
import {StepError} from '../step.js';
import type {BuildState} from '../state.js';
import type {Step} from '../step.js';

/** The work folder this build made, per build: the only one its cleanup removes. */
const made = new WeakMap<BuildState, string>();

/** `p` with symbolic links resolved as far as it exists (the rest appended as written). */
function real(p: string): string {
  const rest: string[] = [];
  let cur = path.resolve(p);
  for (;;) {
    try {
      return path.join(realpathSync(cur), ...rest.reverse());
    } catch {
      const parent = path.dirname(cur);
      if (parent === cur) return path.resolve(p);
      rest.push(path.basename(cur));
      cur = parent;
    }
  }
}

const within = (outer: string, inner: string): boolean => outer === inner || inner.startsWith(outer.endsWith(path.sep) ? outer : outer + path.sep);

/** The work folder's name beside `outputDir` for build `id`; `old` names where the previous output waits while it is replaced. */
export function besideOutput(outputDir: string, id: string, kind: 'work' | 'old'): string {
  return path.join(path.dirname(outputDir), `.${path.basename(outputDir)}.vmbench-${kind === 'old' ? 'old-' : ''}${id}`);
}

/** Folders a build must never use as (and so replace by) its output folder, with what each is. */
function protectedFolders(state: BuildState): [string, string][] {
  const {options} = state;
  const env = options.env ?? {};
  const home = env.HOME || os.homedir();
  const stateHome = path.join(env.XDG_STATE_HOME || path.join(home, '.local', 'state'), 'vmbench');
  const out: [string, string][] = [
    ['/', 'the root folder'],
    [home, 'your home folder'],
    [options.cwd ?? process.cwd(), 'the working folder'],
    [state.profileDir, "the profile's folder"],
    [options.cacheDir, "vmbench's cache folder"],
    [stateHome, "vmbench's state folder"],
  ];
  if (options.logDir) out.push([options.logDir, "this build's log folder"]);
  return out.filter(([p]) => !!p).map(([p, what]) => [real(p), what]);
}

/**
 * Why the existing folder `dir` may not be replaced by a build's output, or undefined when it may
 * (it is empty or holds vmbench's marker). `dir` must exist.
 */
export function notReplaceable(dir: string): string | undefined {
  const st = lstatSync(dir);
  if (st.isSymbolicLink()) return `${dir} is a symbolic link: vmbench replaces only an output folder of its own`;
  if (!st.isDirectory()) return `${dir} is a file, not a folder`;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    return `${dir} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`;
  }
  if (!names.length || readMarker(dir)) return undefined;
  const shown = names.sort().slice(0, 3).join(', ') + (names.length > 3 ? ` and ${names.length - 3} more` : '');
  return `${dir} holds files vmbench did not make (${shown}; no ${OUTPUT_MARKER} in it): --force replaces only vmbench's own output folders`;
}

/** Throws a StepError when `state.outputDir` must not be used; nothing is changed on disk. */
export function checkOutputDir(state: BuildState): void {
  const {outputDir, options} = state;
  const target = real(outputDir);
  for (const [p, what] of protectedFolders(state)) {
    if (within(target, p)) {
      const is = target === p ? `is ${what}` : `holds ${what} (${p})`;
      throw new StepError(`refusing to use ${outputDir} as the output folder: it ${is}, and a build replaces its output folder whole`, 'give the build a folder of its own, e.g. --output output-<name>');
    }
  }
  if (exists(outputDir)) {
    if (!options.force) throw new StepError(`output directory ${outputDir} already exists`, 'remove it, choose another with --output, or pass --force to replace it');
    const why = notReplaceable(outputDir);
    if (why) throw new StepError(`refusing to replace the output folder: ${why}`, 'move those files away, or choose another folder with --output');
  }
  // The nearest folder that exists on the way must let us create the work folder.
  let dir = path.dirname(outputDir);
  while (!exists(dir) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  try {
    accessSync(dir, constants.W_OK | constants.X_OK);
  } catch {
    throw new StepError(`cannot write the output folder ${outputDir}: ${dir} is not writable`, 'choose another folder with --output');
  }
}

/** A one-line reason for a file-system error while making the output. */
function fsFailure(what: string, err: unknown): StepError {
  const e = err as NodeJS.ErrnoException;
  const why: Record<string, string> = {EACCES: 'permission denied', EPERM: 'operation not permitted', EROFS: 'read-only file system', ENOSPC: 'no space left on the device', ENOENT: 'no such folder', ENOTDIR: 'a part of the path is a file', EEXIST: 'it already exists', EDQUOT: 'disk quota exceeded'};
  return new StepError(`cannot ${what}: ${(e.code && why[e.code]) ?? e.message}`, 'choose another folder with --output', {cause: err});
}

/** What earlier builds that were stopped halfway left beside the output folder. */
function leftovers(outputDir: string, id: string): string[] {
  const parent = path.dirname(outputDir);
  const base = path.basename(outputDir);
  let names: string[];
  try {
    names = readdirSync(parent);
  } catch {
    return [];
  }
  const lines: string[] = [];
  for (const name of names.sort()) {
    if (!name.startsWith(`.${base}.vmbench-`)) continue;
    const m = /^(old-)?([0-9a-f]{8})$/.exec(name.slice(base.length + 10));
    if (!m || m[2] === id) continue;
    const p = path.join(parent, name);
    if (!readMarker(p)) continue;
    if (m[1]) {
      lines.push(
        `a build was stopped while it replaced ${outputDir}: the previous output is kept in ${p}; ` +
          (exists(outputDir) ? `remove it when you no longer need it (rm -r '${p}')` : `restore it with: mv '${p}' '${outputDir}'`),
      );
    } else {
      const pid = readMarker(p)?.pid;
      lines.push(`${p} is the work folder of build ${m[2]}${pid ? ` (vmbench pid ${pid}, ${alive(pid) ? 'still running' : 'no longer running'})` : ''}, which did not finish; vmbench leaves it alone: remove it when that build is over (rm -r '${p}')`);
    }
  }
  return lines;
}

function exists(p: string): boolean {
  try {
    lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export const prepareOutput: Step<BuildState> = {
  id: 'prepare-output',
  title: 'Prepare output directory',
  preflight: checkOutputDir,
  async run(ctx) {
    const {state} = ctx;
    const {outputDir, id} = state;
    // Again: the folder may have changed while the ISO was fetched.
    checkOutputDir(state);
    for (const line of leftovers(outputDir, id)) ctx.log('vmbench', 'warn', line);
    await mkdir(path.dirname(outputDir), {recursive: true}).catch((err: unknown) => {
      throw fsFailure(`create ${path.dirname(outputDir)} for the output folder`, err);
    });
    const work = besideOutput(outputDir, id, 'work');
    // Not recursive: the folder must be new, made here, so it is ours to remove.
    await mkdir(work, {mode: 0o755}).catch((err: unknown) => {
      throw fsFailure(`create the work folder ${work} beside the output folder`, err);
    });
    made.set(state, work);
    ctx.state.workDir = work;
    await writeFileAtomic(path.join(work, OUTPUT_MARKER), markerText({build_id: id, profile: state.profile.name, created: new Date().toISOString(), pid: process.pid})).catch((err: unknown) => {
      throw fsFailure(`write ${path.join(work, OUTPUT_MARKER)}`, err);
    });
    ctx.log('vmbench', 'debug', `working in ${work}`);
  },
  async cleanup(ctx) {
    const work = ctx.state.workDir;
    if (!work || !exists(work)) return;
    // Only the folder this build made (and marked, if it got that far).
    const marker = readMarker(work);
    if (made.get(ctx.state) !== work || (marker && marker.build_id !== ctx.state.id)) {
      ctx.log('vmbench', 'warn', `${work} was not made by this build: left as it is`);
      return;
    }
    await rm(work, {recursive: true, force: true});
    ctx.log('vmbench', 'debug', `removed ${work}`);
  },
};
