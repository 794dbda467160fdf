/**
 * `vmbench init <profile> <dir>`: a copy of a profile to start from — a built-in one by name
 * (`vmbench init debian-12 my-debian`), one of the user's, or any profile folder or
 * profile.yaml — with everything in its folder (answer files, scripts, the ISO build script),
 * then checked as `vmbench validate` checks it, and the next command to run.
 *
 * It never deletes or replaces anything: a folder that is not empty is refused unless --force,
 * and even then a file that is already there is never overwritten (init stops before copying
 * anything and names the files in the way). Left out of the copy: build outputs (output-* folders,
 * the profile's output_directory), packer_cache/, .git/ and parts of downloads.
 *
 * A Packer template is not copied: `vmbench import` writes it as a profile (it says so).
 */
import {cpSync, existsSync, lstatSync, mkdirSync, readdirSync, statSync} from 'node:fs';
import path from 'node:path';
import {formatOf, loadProfile, ProfileError} from '../profiles/loader.js';
import {resolveProfileArg} from '../session/paths.js';
import type {CliValues} from './commands.js';
import {formatIssue, validateTarget} from './validate-command.js';

/** Names never copied at any depth: build leftovers and version control. */
const SKIP_DIRS = new Set(['.git', 'packer_cache', 'node_modules']);
const skipName = (name: string, isDir: boolean): boolean => (isDir && (SKIP_DIRS.has(name) || name.startsWith('output-'))) || name.endsWith('.part');

/** Every file (relative path) the copy would write, folders excluded; `skip` holds absolute paths left out. */
function plan(src: string, skip: ReadonlySet<string>, rel = ''): string[] {
  const out: string[] = [];
  for (const name of readdirSync(path.join(src, rel)).sort()) {
    const r = path.join(rel, name);
    const abs = path.join(src, r);
    const st = lstatSync(abs);
    if (skipName(name, st.isDirectory()) || skip.has(abs)) continue;
    if (st.isDirectory()) out.push(...plan(src, skip, r));
    else out.push(r);
  }
  return out;
}

const usage = 'usage: vmbench init <profile> <dir> [--force]';

export async function initCommand(args: string[], values: CliValues): Promise<number> {
  if (args.length !== 2) {
    process.stderr.write(`${usage}\n`);
    return 2;
  }
  const [arg, destArg] = args as [string, string];
  const fail = (msg: string): number => {
    process.stderr.write(`vmbench init: ${msg}\n`);
    return 2;
  };
  let target: string;
  try {
    target = resolveProfileArg(arg);
  } catch (err) {
    return fail((err as Error).message);
  }
  if (!existsSync(target)) return fail(`${arg}: no such profile, file or folder`);
  let format;
  try {
    format = formatOf(target);
  } catch (err) {
    return fail((err as Error).message);
  }
  if (format !== 'vmbench') return fail(`${arg} is a Packer template (${format}): \`vmbench import ${arg} ${destArg}\` writes it as a vmbench profile to start from`);
  const src = path.resolve(statSync(target).isDirectory() ? target : path.dirname(target));
  const dest = path.resolve(destArg);

  if (dest === src || dest.startsWith(src + path.sep)) return fail(`${destArg} is inside the profile it would copy (${src}): pick a folder outside it`);
  if (existsSync(dest)) {
    if (!statSync(dest).isDirectory()) return fail(`${destArg} exists and is not a folder`);
    if (readdirSync(dest).length && !values.force) return fail(`${destArg} is not empty (--force copies into it, never replacing a file that is there)`);
  }

  // The profile's own output directory, when it lies in its folder, is a build's, not the profile's.
  const skip = new Set<string>();
  try {
    const {profile, dir} = loadProfile(target);
    if (profile.output_directory) skip.add(path.resolve(dir, profile.output_directory));
  } catch (err) {
    // A profile that does not load is still copied (fixing the copy is a way to start); validate says what is wrong.
    if (!(err instanceof ProfileError)) return fail((err as Error).message);
  }
  const files = plan(src, skip);
  if (!files.length) return fail(`${src} holds nothing to copy`);
  const blocked = (f: string): boolean => {
    if (existsSync(path.join(dest, f))) return true;
    // A file where the copy needs a folder (dest/http is a file, http/preseed.cfg is to be copied).
    for (let d = path.dirname(f); d !== '.'; d = path.dirname(d)) if (existsSync(path.join(dest, d)) && !statSync(path.join(dest, d)).isDirectory()) return true;
    return false;
  };
  const inTheWay = files.filter(blocked);
  if (inTheWay.length) {
    return fail(`${destArg} already has ${inTheWay.map((f) => path.join(destArg, f)).join(', ')}: init never replaces a file; move ${inTheWay.length === 1 ? 'it' : 'them'} away or pick another folder (nothing was copied)`);
  }

  mkdirSync(dest, {recursive: true});
  for (const f of files) {
    mkdirSync(path.dirname(path.join(dest, f)), {recursive: true});
    // errorOnExist + force false: a file that appeared meanwhile is still never replaced.
    cpSync(path.join(src, f), path.join(dest, f), {force: false, errorOnExist: true, preserveTimestamps: true, verbatimSymlinks: true});
  }
  const shown = path.relative(process.cwd(), src).startsWith('..') ? src : path.relative(process.cwd(), src) || '.';
  process.stdout.write(`copied ${shown} to ${destArg}:\n${files.map((f) => `  ${path.join(destArg, f)}\n`).join('')}`);

  // Checked as `vmbench validate` checks it: a copy that needs something (a variable, a file outside its folder) says so now.
  const r = validateTarget(dest, {});
  const next = destArg.includes('/') || destArg.startsWith('.') ? destArg : `./${destArg}`;
  if (!r.ok) {
    process.stdout.write(`the copy does not validate yet:\n${r.errors.map((i) => `  ${formatIssue(i)}\n`).join('')}`);
    process.stdout.write(`fix it, then: vmbench validate ${next}\n`);
    return 1;
  }
  for (const w of r.warnings) process.stdout.write(`  ${formatIssue(w)}\n`);
  process.stdout.write(`next: edit ${path.join(destArg, 'profile.yaml')}, then\n  vmbench validate ${next}\n  vmbench build ${next}\n`);
  return 0;
}
