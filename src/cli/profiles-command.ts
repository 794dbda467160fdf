/**
 * `vmbench profiles [--json]`: the profiles vmbench can find (the user's, then the built-in
 * ones) and the Packer templates in the working directory, each loaded and checked, with the
 * facts the workbench's picker shows: install method, whether its ISO or disk image is cached
 * (and where), its download size (from the cache, or a HEAD request of at most a few seconds:
 * "size unknown" offline), and how its last build ended.
 * `--names` prints only what a shell completes a profile argument with (no loading: fast).
 */
import path from 'node:path';
import {mediaCell, mediaSentence, mediaStatus, type MediaStatus} from '../iso/media-status.js';
import {probeRemoteSize} from '../iso/remote-size.js';
import type {ProfileIssue} from '../profiles/document.js';
import {loadProfiles, ProfileError} from '../profiles/loader.js';
import {BUILTIN_PROFILES, cacheDir as defaultCacheDir, listProfileNames, resolveProfileArg, stateDir} from '../session/paths.js';
import {findTemplates} from '../session/templates.js';
import {ago, lastBuildResult, listBuildDirs, type BuildDirIndex, type LastBuild} from '../tui/profiles-data.js';
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
  /** Its ISO or disk image: where it comes from, whether it is cached (path), its size when known. */
  media?: MediaStatus;
  /** How its newest build ended (from its events.jsonl). */
  last_build?: LastBuild;
  /** Set when it does not load: `file:line:col: field: message` lines. */
  errors?: string[];
  warnings?: number;
}

interface Context {
  cacheDir: string;
  builds: BuildDirIndex;
}

function describe(arg: string, origin: ProfileListing['origin'], ctx: Context): ProfileListing[] {
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
      media: mediaStatus(l.profile, l.dir, ctx.cacheDir),
      ...optional('last_build', lastBuildResult(ctx.builds, l.profile.name)),
      ...(l.warnings?.length ? {warnings: l.warnings.length} : {}),
    }));
  } catch (err) {
    const errors = err instanceof ProfileError ? err.issues.filter((i: ProfileIssue) => !i.warning).map((i) => `${i.file}:${i.line}:${i.col}: ${i.field ? `${i.field}: ` : ''}${i.message}`) : [(err as Error).message];
    return [{name: arg, arg, origin, path: file, errors}];
  }
}

const optional = <K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> => (value === undefined ? {} : ({[key]: value} as Record<K, V>));

/** Every profile and template, as listed by `vmbench profiles` (sizes only as the cache knows them). */
export function listAll(opts: {cacheDir?: string; stateDir?: string} = {}): ProfileListing[] {
  const ctx: Context = {cacheDir: opts.cacheDir ?? defaultCacheDir(), builds: listBuildDirs(path.join(opts.stateDir ?? stateDir(), 'builds'))};
  const profiles = listProfileNames().flatMap((n) => describe(n, resolveProfileArg(n).startsWith(BUILTIN_PROFILES) ? 'builtin' : 'user', ctx));
  const templates = findTemplates().flatMap((t) => describe(t.path === '.' ? './' : t.path, 'template', ctx));
  return [...profiles, ...templates];
}

/**
 * Fill in the download sizes the cache does not know, asking the servers at once (a HEAD
 * request each, `timeoutMs` at most). A size that cannot be learned stays unknown.
 */
export async function probeSizes(list: ProfileListing[], cacheDir: string, timeoutMs = 3000): Promise<void> {
  const asks = new Map<string, Promise<number | undefined>>();
  const todo = list.filter((p) => p.media?.source === 'download' && p.media.state === 'missing' && p.media.size === undefined && p.media.url);
  for (const p of todo) if (!asks.has(p.media!.url!)) asks.set(p.media!.url!, probeRemoteSize(p.media!.url!, {cacheDir, timeoutMs}));
  await Promise.all(
    todo.map(async (p) => {
      const size = await asks.get(p.media!.url!)!;
      if (size !== undefined) p.media = {...p.media!, size, sizeFrom: 'server'};
    }),
  );
}

/** `✓ done 2h ago`, as the picker writes it. */
function resultText(r: LastBuild | undefined): string {
  if (!r) return 'never built';
  const icon = {done: '✓', failed: '✗', cancelled: '–', unfinished: '?'}[r.status];
  return `${icon} ${r.status} ${ago(r.time)}`;
}

export async function profilesCommand(args: string[], values: CliValues): Promise<number> {
  if (args.length) throw new UsageError('usage: vmbench profiles [--json] [--cache-dir DIR]');
  if (values.names) {
    for (const n of listProfileNames()) process.stdout.write(`${n}\n`);
    return 0;
  }
  const cacheDir = values['cache-dir'] ?? (await import('../settings/index.js')).loadSettings().cacheDir;
  const all = listAll({cacheDir});
  await probeSizes(all, cacheDir);
  if (values.json) {
    process.stdout.write(`${JSON.stringify(all, null, 2)}\n`);
    return 0;
  }
  // One line a profile; under it, where its ISO is (or would come from) and its description.
  for (const p of all) {
    const label = p.only ? `${p.arg} -only=${p.only}` : p.arg;
    if (p.errors) {
      process.stdout.write(`${label.padEnd(16)} INVALID: ${p.errors[0]}${p.errors.length > 1 ? ` (+${p.errors.length - 1} more: vmbench validate ${p.arg})` : ''}\n`);
      continue;
    }
    const kind = p.origin === 'template' ? `template (${p.format})` : (p.distro ?? '');
    const media = mediaCell(p.media);
    process.stdout.write(`${label.padEnd(16)} ${kind.padEnd(12)} ${(p.install_method ?? '').padEnd(12)} ${media.padEnd(12)} ${resultText(p.last_build)}\n`);
    if (p.description) process.stdout.write(`${' '.repeat(17)}${p.description}\n`);
    if (p.media) process.stdout.write(`${' '.repeat(17)}${mediaSentence(p.media)}\n`);
  }
  return 0;
}
