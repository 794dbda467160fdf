/**
 * Packer's manifest post-processor: a JSON record of each build's artifact — name, builder_type,
 * build_time, files (name, size), artifact_id, packer_run_uuid, custom_data — in Packer's exact
 * layout (Go's json.MarshalIndent: two spaces, `<>&` escaped, no final newline). An existing
 * manifest is added to; with -force a manifest from another run is started afresh. Writers
 * take a lock file (`<output>.lock`, as Packer) and replace the manifest atomically.
 */
import {mkdir, open, readFile, rm, stat} from 'node:fs/promises';
import path from 'node:path';
import type {ManifestPostProcessor} from '../../profiles/post-processor-schema.js';
import {sleep} from '../../util/sleep.js';
import {StepError} from '../step.js';
import {runUuid} from '../steps/provisioners/generated-data.js';
import type {Artifact} from './artifact.js';
import {writeFileAtomic} from './atomic.js';
import {renderField, type PostProcessorResult, type PostProcessorRun} from './types.js';

export interface ManifestBuild {
  name: string;
  builder_type: string;
  /** Unix seconds; left out when 0 (strip_time), as Go's omitempty does. */
  build_time?: number;
  files: {name: string; size: number}[] | null;
  artifact_id: string;
  packer_run_uuid: string;
  custom_data: Record<string, string> | null;
}

export interface ManifestFile {
  builds: ManifestBuild[] | null;
  last_run_uuid: string;
}

/** A build entry in Go's field order and shape (unknown fields dropped, map keys sorted), as Go re-encodes one it read. */
function normalize(b: Partial<ManifestBuild>): ManifestBuild {
  const custom = b.custom_data && typeof b.custom_data === 'object' ? Object.fromEntries(Object.keys(b.custom_data).sort().map((k) => [k, String(b.custom_data![k])])) : null;
  return {
    name: String(b.name ?? ''),
    builder_type: String(b.builder_type ?? ''),
    ...(b.build_time ? {build_time: Number(b.build_time)} : {}),
    files: Array.isArray(b.files) ? b.files.map((f) => ({name: String(f?.name ?? ''), size: Number(f?.size ?? 0)})) : null,
    artifact_id: String(b.artifact_id ?? ''),
    packer_run_uuid: String(b.packer_run_uuid ?? ''),
    custom_data: custom,
  };
}

/** Go's json.MarshalIndent(v, "", "  "): HTML-safe escapes as Go writes them. */
export function goJson(v: unknown): string {
  return JSON.stringify(v, null, 2).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** The manifest after adding `build` to `existing` (the file's text, or undefined), as Packer does. */
export function addToManifest(existing: string | undefined, build: ManifestBuild, opts: {runUuid: string; force: boolean}): ManifestFile {
  let file: ManifestFile = {builds: null, last_run_uuid: ''};
  if (existing && existing.length) {
    const parsed = JSON.parse(existing) as Partial<ManifestFile>;
    file = {builds: Array.isArray(parsed.builds) ? parsed.builds.map(normalize) : null, last_run_uuid: String(parsed.last_run_uuid ?? '')};
  }
  if (opts.force && file.last_run_uuid !== opts.runUuid) file = {builds: null, last_run_uuid: ''};
  return {builds: [...(file.builds ?? []), normalize(build)], last_run_uuid: opts.runUuid};
}

/** One writer at a time per manifest in this process; the lock file keeps other processes out. */
const queues = new Map<string, Promise<unknown>>();
function serialized<T>(key: string, fn: () => Promise<T>): Promise<T> {
  const prev = queues.get(key) ?? Promise.resolve();
  const next = prev.then(fn, fn);
  queues.set(key, next.catch(() => undefined));
  return next;
}

async function withLock<T>(file: string, run: PostProcessorRun, fn: () => Promise<T>): Promise<T> {
  const lock = `${file}.lock`;
  let held = false;
  // Packer tries three times and then goes on regardless; vmbench waits up to ~5 s, then does the same.
  for (let i = 0; i < 10 && !held; i++) {
    try {
      await (await open(lock, 'wx', 0o600)).close();
      held = true;
    } catch {
      await sleep(500, run.ctx.signal);
    }
  }
  if (!held) run.ctx.log('vmbench', 'warn', `${run.label}: ${lock} is held by someone else; writing the manifest anyway (as Packer does)`);
  try {
    return await fn();
  } finally {
    if (held) await rm(lock, {force: true});
  }
}

export async function runManifest(run: PostProcessorRun, pp: ManifestPostProcessor, input: Artifact): Promise<PostProcessorResult> {
  const {ctx, cwd} = run;
  const {state} = ctx;
  const out = renderField(run, pp.output, 'output', pp.source);
  const abs = path.resolve(cwd, out);
  const custom = pp.custom_data ? Object.fromEntries(Object.entries(pp.custom_data).map(([k, v]) => [k, renderField(run, v, `custom_data.${k}`, pp.source)])) : null;
  const files = await Promise.all(
    input.files.map(async (f) => ({name: pp.strip_path ? path.basename(f) : f, size: await stat(path.resolve(cwd, f)).then((s) => s.size, () => 0)})),
  );
  const uuid = runUuid(state.options.env);
  const build: ManifestBuild = {
    name: run.fields.BuildName ?? state.profile.name,
    builder_type: run.fields.BuilderType ?? 'qemu',
    build_time: pp.strip_time ? 0 : Math.floor(Date.now() / 1000),
    files: files.length ? files : null,
    artifact_id: input.id,
    packer_run_uuid: uuid,
    custom_data: custom,
  };
  await mkdir(path.dirname(abs), {recursive: true, mode: 0o755});
  await serialized(abs, () =>
    withLock(abs, run, async () => {
      const existing = await readFile(abs, 'utf8').catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return undefined;
        throw new StepError(`${run.label}: could not read ${out}: ${err.message}`);
      });
      let manifest: ManifestFile;
      try {
        manifest = addToManifest(existing, build, {runUuid: uuid, force: state.options.force});
      } catch (err) {
        throw new StepError(`${run.label}: ${out} is not a manifest vmbench can add to: ${(err as Error).message}`, 'remove it, or set output to another file');
      }
      await writeFileAtomic(abs, goJson(manifest), 0o664);
      ctx.log('vmbench', 'info', `${run.label}: ${existing ? 'added this build to' : 'wrote'} ${out} (${manifest.builds!.length} build${manifest.builds!.length === 1 ? '' : 's'})`);
      if (!existing) await run.produced(abs, 'manifest');
    }),
  );
  // Packer hands its input on unchanged: the manifest records the artifact, it does not become it.
  return {artifact: input, keep: true, forceKeep: true};
}
