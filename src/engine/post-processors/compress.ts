/**
 * Packer's compress post-processor: the artifact's files into one archive at `output` (default
 * `packer_{{.BuildName}}_{{.BuilderType}}`), its format read from the extensions (see
 * profiles/compress-format.ts): a tar of every file, or one file alone, compressed with gzip
 * (Node's zlib on every core, as Packer's pgzip: pgzip.ts) or with bzip2, xz, lz4 or zstd (the host's own programs), or a zip (the host's
 * zip). compression_level -1 or 0 is each tool's default (bzip2: 9, as Packer), above 9 is 9
 * (zstd goes to 19). By default Packer removes the input afterwards: keep_input_artifact keeps it.
 * The archive is streamed to a temporary file and renamed into place once complete.
 */
import {spawn, type ChildProcess} from 'node:child_process';
import {createReadStream} from 'node:fs';
import {stat} from 'node:fs/promises';
import path from 'node:path';
import {Readable, Transform, type Writable} from 'node:stream';
import {pipeline} from 'node:stream/promises';
import {compressFormat, type Compression} from '../../profiles/compress-format.js';
import type {CompressPostProcessor} from '../../profiles/post-processor-schema.js';
import {StepError} from '../step.js';
import type {Artifact} from './artifact.js';
import {createAtomicStream} from './atomic.js';
import {createParallelGzip} from './pgzip.js';
import {tarStream} from './tar.js';
import {renderField, type PostProcessorResult, type PostProcessorRun} from './types.js';

const EXT: Record<Compression, string> = {gzip: 'gz', bzip2: 'bz2', xz: 'xz', lz4: 'lz4', zstd: 'zst'};
/** The host program for each compression but gzip, and its Debian package. */
const TOOL: Record<Exclude<Compression, 'gzip'>, {cmd: string; args: string[]; maxLevel: number; defaultLevel?: number; pkg: string}> = {
  bzip2: {cmd: 'bzip2', args: ['-c'], maxLevel: 9, defaultLevel: 9, pkg: 'bzip2'},
  xz: {cmd: 'xz', args: ['-c', '-T0'], maxLevel: 9, pkg: 'xz-utils'},
  lz4: {cmd: 'lz4', args: ['-c', '-q'], maxLevel: 9, pkg: 'lz4'},
  zstd: {cmd: 'zstd', args: ['-c', '-q', '-T0'], maxLevel: 19, pkg: 'zstd'},
};

/** Packer's level rule: -1 and 0 mean the default (undefined here), above the maximum is the maximum. */
export function effectiveLevel(level: number, max: number): number | undefined {
  return level <= 0 ? undefined : Math.min(level, max);
}

/** A host program as a stream stage: its stdin is fed, its stdout is read; it must exit 0. */
function hostStage(cmd: string, args: string[], opts: {cwd?: string; pkg: string; stdin: boolean}): {proc: ChildProcess; done: Promise<void>} {
  const proc = spawn(cmd, args, {cwd: opts.cwd, stdio: [opts.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe']});
  let stderr = '';
  proc.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
  const done = new Promise<void>((resolve, reject) => {
    proc.once('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'ENOENT' ? new StepError(`${cmd} is not installed: this format needs it on this host`, `apt-get install ${opts.pkg}`) : err),
    );
    proc.once('close', (code, sig) => (code === 0 ? resolve() : reject(new Error(`${cmd} ${sig ? `was killed by ${sig}` : `exited with code ${code}`}: ${stderr.trim().split('\n').slice(-2).join(' / ')}`))));
  });
  done.catch(() => undefined);
  return {proc, done};
}

export async function runCompress(run: PostProcessorRun, pp: CompressPostProcessor, input: Artifact): Promise<PostProcessorResult> {
  const {ctx, cwd} = run;
  const format = compressFormat(pp.output, pp.format);
  if (format.error) throw new StepError(`${pp.source}: ${format.error}`);
  const target = renderField(run, pp.output, 'output', pp.source);
  const abs = path.resolve(cwd, target);
  const files = input.files.map((f) => path.resolve(cwd, f));
  if (!format.archive && files.length !== 1) {
    throw new StepError(`${run.label}: can only compress one file without tar or zip, and the artifact has ${files.length}: ${input.files.join(', ')}`, 'end output with .tar.gz (or .zip) to archive them all');
  }
  const sizes = await Promise.all(files.map((f) => stat(f).then((s) => s.size)));
  const total = sizes.reduce((a, b) => a + b, 0);
  const what = [format.archive, format.compression].filter(Boolean).join(' + ') || 'copy';
  ctx.log('vmbench', 'info', `${run.label}: ${input.files.join(', ')} => ${target} (${what})`);

  const out = await createAtomicStream(abs);
  const procs: ChildProcess[] = [];
  const onAbort = (): void => procs.forEach((p) => p.kill('SIGKILL'));
  ctx.signal.addEventListener('abort', onAbort, {once: true});
  const started = Date.now();
  try {
    let read = 0;
    const counted = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        read += chunk.length;
        ctx.progress(`${run.label}: ${path.basename(target)}`, Math.min(read, total), total);
        cb(null, chunk);
      },
    });
    const stages: Promise<void>[] = [];
    // The source: a tar of every file, one file as it is, or zip's own output.
    let source: Readable;
    if (format.archive === 'zip') {
      const zip = hostStage('zip', ['-q', '-X', ...(pp.compression_level > 0 ? [`-${Math.min(pp.compression_level, 9)}`] : []), '-', ...input.files], {cwd, pkg: 'zip', stdin: false});
      procs.push(zip.proc);
      stages.push(zip.done);
      source = zip.proc.stdout!;
    } else if (format.archive === 'tar') {
      source = Readable.from(tarStream(files, ctx.signal));
    } else {
      source = createReadStream(files[0]!, {signal: ctx.signal, highWaterMark: 1 << 20});
    }
    // The compression stage, if any.
    let compressor: {input: Writable; output: Readable} | undefined;
    if (format.compression === 'gzip') {
      const level = effectiveLevel(pp.compression_level, 9);
      const gz = createParallelGzip(level === undefined ? {} : {level});
      compressor = {input: gz, output: gz};
    } else if (format.compression) {
      const tool = TOOL[format.compression];
      const level = effectiveLevel(pp.compression_level, tool.maxLevel) ?? tool.defaultLevel;
      const stage = hostStage(tool.cmd, [...tool.args, ...(level ? [`-${level}`] : [])], {pkg: tool.pkg, stdin: true});
      procs.push(stage.proc);
      stages.push(stage.done);
      compressor = {input: stage.proc.stdin!, output: stage.proc.stdout!};
    }
    if (compressor) {
      stages.push(pipeline(source, counted, compressor.input, {signal: ctx.signal}));
      stages.push(pipeline(compressor.output, out.stream, {signal: ctx.signal}));
    } else {
      stages.push(pipeline(source, counted, out.stream, {signal: ctx.signal}));
    }
    await Promise.all(stages);
    await out.commit();
  } catch (err) {
    procs.forEach((p) => p.kill('SIGKILL'));
    await out.discard();
    if (ctx.signal.aborted) throw ctx.signal.reason;
    if (err instanceof StepError) throw err;
    throw new StepError(`${run.label}: writing ${target} failed: ${(err as Error).message}`);
  } finally {
    ctx.signal.removeEventListener('abort', onAbort);
  }
  const bytes = (await stat(abs)).size;
  const ratio = total ? ` (${((bytes / total) * 100).toFixed(1)}% of ${(total / 1048576).toFixed(1)} MiB)` : '';
  ctx.log('vmbench', 'info', `${run.label}: ${target} written in ${((Date.now() - started) / 1000).toFixed(1)}s: ${(bytes / 1048576).toFixed(1)} MiB${ratio}`);
  const label = [format.archive, format.compression && EXT[format.compression]].filter(Boolean).join('.') || 'copy';
  await run.produced(abs, label);
  return {artifact: {builderId: 'packer.post-processor.compress', files: [target], id: '', removes: [target]}, keep: false, forceKeep: false};
}
