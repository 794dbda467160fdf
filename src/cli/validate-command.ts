/**
 * `vmbench validate <profile|template> [-var …] [-only …] [--json]`: load every build the
 * profile or template defines, check the files it refers to, and say what would stop it.
 *
 * Exit status: 0 when the build can run as intended — warnings (fields accepted but not used)
 * are printed with file:line but do not fail it; 2 when it cannot (errors, a missing referenced
 * file, bad usage).
 */
import type {ProfileIssue} from '../profiles/document.js';
import {loadProfiles, ProfileError, type LoadedProfile} from '../profiles/loader.js';
import {checkReferencedFiles} from '../profiles/referenced-files.js';
import {loadOptions} from '../session/load-options.js';
import {resolveProfileArg} from '../session/paths.js';
import {UsageError, type CliValues} from './commands.js';

/** What validate found, as `--json` prints it. */
export interface ValidateResult {
  /** True when the build(s) can run as intended (warnings allowed). */
  ok: boolean;
  /** What was validated, as given. */
  target: string;
  builds: {name: string; file: string; format: string; provisioners: number; post_processors: number}[];
  errors: ProfileIssue[];
  warnings: ProfileIssue[];
}

/** `file:line:col: field: message`, with `warning: ` after the position for warnings. */
export function formatIssue(i: ProfileIssue): string {
  return `${i.file}:${i.line}:${i.col}: ${i.warning ? 'warning: ' : ''}${i.field ? `${i.field}: ` : ''}${i.message}`;
}

/** Loads, checks referenced files; never throws for a bad profile (that is the result). */
export function validateTarget(target: string, values: CliValues): ValidateResult {
  const result: ValidateResult = {ok: false, target, builds: [], errors: [], warnings: []};
  let loaded: LoadedProfile[];
  try {
    loaded = loadProfiles(resolveProfileArg(target), loadOptions(values));
  } catch (err) {
    if (err instanceof ProfileError) result.errors.push(...err.issues.filter((i) => !i.warning));
    else result.errors.push({file: target, line: 0, col: 0, field: '', message: (err as Error).message});
    if (err instanceof ProfileError) result.warnings.push(...err.issues.filter((i) => i.warning));
    return result;
  }
  const seen = new Set<string>();
  const once = (list: ProfileIssue[], i: ProfileIssue): void => {
    // A template's builds share variables and provisioners: the same issue once.
    const key = formatIssue(i);
    if (!seen.has(key)) (seen.add(key), list.push(i));
  };
  for (const l of loaded) {
    result.builds.push({name: l.profile.name, file: l.file, format: l.format ?? 'vmbench', provisioners: l.profile.provisioners.length, post_processors: l.profile.post_processors?.length ?? 0});
    for (const w of l.warnings ?? []) once(result.warnings, {...w, warning: true});
    if (l.document) for (const e of checkReferencedFiles(l.profile, l.document, l.dir)) once(result.errors, e);
  }
  // In file order, as an editor walks them (a template's builds were checked one after another).
  const order = (a: ProfileIssue, b: ProfileIssue): number => a.file.localeCompare(b.file) || a.line - b.line || a.col - b.col;
  result.errors.sort(order);
  result.warnings.sort(order);
  if (!loaded.length) result.errors.push({file: target, line: 0, col: 0, field: '', message: 'no qemu build left to run (after -only/-except)'});
  result.ok = result.errors.length === 0;
  return result;
}

export async function validateCommand(args: string[], values: CliValues): Promise<number> {
  if (args.length !== 1) throw new UsageError('usage: vmbench validate <profile|template> [options] (see vmbench validate --help)');
  const r = validateTarget(args[0]!, values);
  if (values.json) {
    process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
    return r.ok ? 0 : 2;
  }
  const where = (i: ProfileIssue): string => (i.line ? formatIssue(i) : `vmbench: ${i.message}`);
  for (const w of r.warnings) process.stderr.write(`${where(w)}\n`);
  for (const e of r.errors) process.stderr.write(`${where(e)}\n`);
  if (!r.ok) {
    if (r.errors.every((e) => !e.line)) return 2; // not a profile problem (no such profile): said above
    process.stderr.write(`${r.target}: ${r.errors.length} error${r.errors.length === 1 ? '' : 's'}${r.warnings.length ? `, ${r.warnings.length} warning${r.warnings.length === 1 ? '' : 's'}` : ''}: the build cannot run as intended\n`);
    return 2;
  }
  const warn = r.warnings.length ? `; ${r.warnings.length} warning${r.warnings.length === 1 ? '' : 's'} above (the build runs as intended)` : '';
  for (const b of r.builds) process.stdout.write(`${b.file}: ok (${b.name}, ${b.provisioners} provisioner${b.provisioners === 1 ? '' : 's'}${b.post_processors ? `, ${b.post_processors} post-processor${b.post_processors === 1 ? '' : 's'}` : ''})\n`);
  if (warn) process.stdout.write(`${r.target}: valid${warn}\n`);
  return 0;
}
