/**
 * `vmbench profiles [--json]`: the profiles vmbench can find (the user's, then the built-in
 * ones) and the Packer templates in the working directory, each loaded and checked.
 * `--names` prints only what a shell completes a profile argument with (no loading: fast).
 */
import type {ProfileIssue} from '../profiles/document.js';
import {loadProfiles, ProfileError} from '../profiles/loader.js';
import {BUILTIN_PROFILES, listProfileNames, resolveProfileArg} from '../session/paths.js';
import {findTemplates} from '../session/templates.js';
import {UsageError, type CliValues} from './commands.js';

/** One profile or one build of a template, as `--json` prints it. */
export interface ProfileListing {
  name: string;
  /** What `vmbench build` takes for it (a name, or the template's path). */
  arg: string;
  /** For one build of a template with several: the `-only` that picks it. */
  only?: string;
  origin: 'user' | 'builtin' | 'template';
  path: string;
  format?: string;
  distro?: string;
  install_method?: string;
  description?: string;
  /** Set when it does not load: `file:line:col: field: message` lines. */
  errors?: string[];
  warnings?: number;
}

function describe(arg: string, origin: ProfileListing['origin']): ProfileListing[] {
  let file = arg;
  try {
    file = resolveProfileArg(arg);
    const all = loadProfiles(file);
    return all.map((l) => ({
      name: l.profile.name,
      arg,
      ...(all.length > 1 ? {only: l.profile.name} : {}),
      origin,
      path: l.file,
      format: l.format ?? 'vmbench',
      distro: l.profile.distro,
      install_method: l.profile.install_method,
      description: l.profile.description,
      ...(l.warnings?.length ? {warnings: l.warnings.length} : {}),
    }));
  } catch (err) {
    const errors = err instanceof ProfileError ? err.issues.filter((i: ProfileIssue) => !i.warning).map((i) => `${i.file}:${i.line}:${i.col}: ${i.field ? `${i.field}: ` : ''}${i.message}`) : [(err as Error).message];
    return [{name: arg, arg, origin, path: file, errors}];
  }
}

/** Every profile and template, as listed by `vmbench profiles`. */
export function listAll(): ProfileListing[] {
  const profiles = listProfileNames().flatMap((n) => describe(n, resolveProfileArg(n).startsWith(BUILTIN_PROFILES) ? 'builtin' : 'user'));
  const templates = findTemplates().flatMap((t) => describe(t.path === '.' ? './' : t.path, 'template'));
  return [...profiles, ...templates];
}

export async function profilesCommand(args: string[], values: CliValues): Promise<number> {
  if (args.length) throw new UsageError('usage: vmbench profiles [--json]');
  if (values.names) {
    for (const n of listProfileNames()) process.stdout.write(`${n}\n`);
    return 0;
  }
  const all = listAll();
  if (values.json) {
    process.stdout.write(`${JSON.stringify(all, null, 2)}\n`);
    return 0;
  }
  for (const p of all) {
    const label = p.only ? `${p.arg} -only=${p.only}` : p.arg;
    if (p.errors) {
      process.stdout.write(`${label.padEnd(16)} INVALID: ${p.errors[0]}${p.errors.length > 1 ? ` (+${p.errors.length - 1} more: vmbench validate ${p.arg})` : ''}\n`);
      continue;
    }
    const kind = p.origin === 'template' ? `template (${p.format})` : (p.distro ?? '');
    process.stdout.write(`${label.padEnd(16)} ${kind.padEnd(12)} ${(p.install_method ?? '').padEnd(12)} ${p.description ?? ''}\n`.replace(/ +\n$/, '\n'));
  }
  return 0;
}
