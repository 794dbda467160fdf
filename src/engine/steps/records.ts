/**
 * records — uses: the output folder (after convert and post-process), profile.checksums/manifest,
 * state.artifacts/stepTimes/secrets. Writes, in the output folder, `manifest.json` (Packer's
 * manifest format plus vmbench's record: src/artifacts/records.ts) and then one checksum file
 * per profile.checksums (default SHA256SUMS) covering every file in the folder, manifest
 * included, so `sha256sum -c SHA256SUMS` run there checks them all. Each artifact's size and
 * its share of the disk's virtual size is logged. Files are written whole (atomic.ts).
 * Nothing to do when a post-processor removed the output folder (compress without
 * keep_input_artifact): the artifacts it made are outside it. Cleanup: none.
 */
import {existsSync, readFileSync} from 'node:fs';
import {stat} from 'node:fs/promises';
import path from 'node:path';
import {execa} from 'execa';
import {diskInfo, FORMAT_OF_EXTENSION, sizeRatio} from '../../artifacts/disk-formats.js';
import {hashFile, listFiles, manifestJson, redactVariables, SUMS_FILE, sumsText, type RecordedArtifact} from '../../artifacts/records.js';
import {OUTPUT_MARKER} from '../output-marker.js';
import {writeFileAtomic} from '../post-processors/atomic.js';
import {shownOutputDir} from '../post-processors/artifact.js';
import type {Step, StepContext} from '../step.js';
import type {BuildState} from '../state.js';
import {runUuid} from './provisioners/generated-data.js';

export const MANIFEST_FILE = 'manifest.json';

const DISK_FORMATS = new Set(['raw', 'qcow2', 'vmdk', 'vdi', 'vhd', 'vhdx', 'vpc']);

let version: string | undefined;
function vmbenchVersion(): string {
  try {
    version ??= (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {version: string}).version;
  } catch {
    version = 'unknown';
  }
  return version;
}

/** The first line of `cmd --version`, or undefined when it does not run. */
async function toolVersion(cmd: string, signal: AbortSignal): Promise<string | undefined> {
  const r = await execa(cmd, ['--version'], {reject: false, cancelSignal: signal, timeout: 10_000});
  return r.exitCode === 0 ? String(r.stdout).split('\n')[0]!.trim() : undefined;
}

async function tools(ctx: StepContext<BuildState>): Promise<Record<string, string>> {
  const {profile} = ctx.state;
  const out: Record<string, string> = {vmbench: vmbenchVersion(), node: process.version};
  const used: [string, string][] = [
    [profile.qemu_binary, path.basename(profile.qemu_binary)],
    ['qemu-img', 'qemu-img'],
  ];
  if (profile.post_processors.some((s) => s.some((p) => p.type === 'containerdisk' && p.push))) used.push(['skopeo', 'skopeo']);
  if (profile.post_processors.some((s) => s.some((p) => p.type === 'convert' && p.sparsify))) used.push(['virt-sparsify', 'virt-sparsify']);
  for (const [cmd, name] of used) {
    const v = await toolVersion(cmd, ctx.signal);
    if (v) out[name] = v;
  }
  return out;
}

export const records: Step<BuildState> = {
  id: 'records',
  title: 'Checksums and manifest',
  applies: (state) => state.profile.checksums.length > 0 || state.profile.manifest,
  async run(ctx) {
    const {state} = ctx;
    const {profile, outputDir} = state;
    if (!existsSync(outputDir)) {
      ctx.log('vmbench', 'info', `${outputDir} was removed by a post-processor: no checksums or manifest are written for it`);
      return;
    }
    const algorithms = [...new Set(profile.checksums)];
    const sumsNames = new Set(algorithms.map((a) => SUMS_FILE[a]!));
    // vmbench's marker (output-marker.ts) is bookkeeping, not an artifact: neither summed nor listed.
    const files = (await listFiles(outputDir)).filter((f) => !sumsNames.has(f) && f !== MANIFEST_FILE && f !== OUTPUT_MARKER);
    const sizes = await Promise.all(files.map((f) => stat(path.join(outputDir, f)).then((s) => s.size)));
    const total = sizes.reduce((a, b) => a + b, 0);
    let done = 0;
    const digests = new Map<string, Record<string, string>>();
    const hashAll = algorithms.length ? algorithms : ['sha256'];
    for (const f of files) {
      digests.set(f, await hashFile(path.join(outputDir, f), hashAll, {signal: ctx.signal, onBytes: (n) => ctx.progress('checksums', (done += n), total)}));
    }
    // Sizes against the disk's virtual size, for every disk image in the folder.
    const formatOf = new Map(state.artifacts.map((a) => [path.resolve(a.path), a.format]));
    const recorded: RecordedArtifact[] = [];
    for (const [i, f] of files.entries()) {
      const abs = path.join(outputDir, f);
      let format = formatOf.get(abs) ?? path.extname(f).slice(1);
      const entry: RecordedArtifact = {file: f, format, size: sizes[i]!, checksums: digests.get(f)!};
      if (DISK_FORMATS.has(format) || /\.(qcow2|raw|img|vmdk|vdi|vhdx?)$/.test(f)) {
        const info = await diskInfo(abs, ctx.signal, FORMAT_OF_EXTENSION[path.extname(f).slice(1)]).catch(() => undefined);
        if (info) {
          format = format || info.format;
          entry.virtual_size = info.virtualSize;
          entry.ratio = Number((sizes[i]! / info.virtualSize).toFixed(4));
          ctx.log('vmbench', 'info', `${f} (${entry.format}): ${sizeRatio(sizes[i]!, info.virtualSize)}`);
        }
      }
      recorded.push(entry);
    }
    // Artifacts outside the folder (a compress or containerdisk output elsewhere) are recorded too.
    for (const a of state.artifacts) {
      const abs = path.resolve(a.path);
      if (abs === outputDir || abs.startsWith(`${outputDir}${path.sep}`) || !existsSync(abs)) continue;
      recorded.push({file: abs, format: a.format, size: (await stat(abs)).size, checksums: await hashFile(abs, hashAll, {signal: ctx.signal})});
    }
    const written: string[] = [];
    if (profile.manifest) {
      const uuid = runUuid(state.options.env);
      const shown = shownOutputDir(state, state.options.cwd ?? process.cwd());
      const text = manifestJson({
        name: profile.name,
        buildTime: Math.floor(Date.now() / 1000),
        files: files.map((f, i) => ({name: path.join(shown, f), size: sizes[i]!})),
        runUuid: uuid,
        vmbench: {
          build_id: state.id,
          profile: {name: profile.name, file: state.profileFile, distro: profile.distro},
          variables: redactVariables(profile.variables, state.secrets ?? []),
          started: new Date(state.startedAt ?? Date.now()).toISOString(),
          finished: new Date().toISOString(),
          accelerator: state.accel,
          tools: await tools(ctx),
          steps: (state.stepTimes ?? []).map((s) => ({...s, seconds: Number(s.seconds.toFixed(3))})),
          artifacts: recorded,
          log_dir: state.options.logDir || undefined,
        },
      });
      const file = path.join(outputDir, MANIFEST_FILE);
      await writeFileAtomic(file, text);
      files.push(MANIFEST_FILE);
      digests.set(MANIFEST_FILE, await hashFile(file, hashAll));
      written.push(MANIFEST_FILE);
    }
    for (const a of algorithms) {
      const name = SUMS_FILE[a]!;
      const list = [...files].sort().map((f) => ({name: f, hex: digests.get(f)![a]!}));
      await writeFileAtomic(path.join(outputDir, name), sumsText(list));
      written.push(name);
    }
    for (const w of written) {
      const file = path.join(outputDir, w);
      const bytes = (await stat(file)).size;
      const format = w === MANIFEST_FILE ? 'manifest' : 'checksum';
      state.artifacts.push({path: file, format, bytes});
      ctx.emit({type: 'artifact', time: Date.now(), path: file, format, bytes});
    }
    ctx.log('vmbench', 'info', `wrote ${written.join(', ')} in ${outputDir}${algorithms.length ? ` (check with: cd ${outputDir} && ${algorithms[0]}sum -c ${SUMS_FILE[algorithms[0]!]})` : ''}`);
  },
};
