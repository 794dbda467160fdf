/**
 * Packer's checksum post-processor: for each checksum type, for each file of the artifact, a line
 * `<hex>\t<file name>` appended to the output file (default
 * `packer_{{.BuildName}}_{{.BuilderType}}_{{.ChecksumType}}.checksum`), which `sha256sum -c`
 * reads. The artifact it hands on is the input's files plus the checksum files it created; it
 * always keeps its input. Each file is rewritten whole (old lines, then new) and renamed into place.
 */
import {createHash} from 'node:crypto';
import {createReadStream} from 'node:fs';
import {readFile, stat} from 'node:fs/promises';
import path from 'node:path';
import type {ChecksumPostProcessor} from '../../profiles/post-processor-schema.js';
import {StepError} from '../step.js';
import type {Artifact} from './artifact.js';
import {writeFileAtomic} from './atomic.js';
import {renderField, type PostProcessorResult, type PostProcessorRun} from './types.js';

/** Node's names for Packer's checksum types. */
const ALGORITHM: Record<ChecksumPostProcessor['checksum_types'][number], string> = {md5: 'md5', sha1: 'sha1', sha224: 'sha224', sha256: 'sha256', sha384: 'sha384', sha512: 'sha512'};

/** Hash one file, reporting progress; stops when the signal aborts. */
async function hashFile(file: string, algorithm: string, signal: AbortSignal, onBytes: (n: number) => void): Promise<string> {
  const h = createHash(algorithm);
  const stream = createReadStream(file, {signal, highWaterMark: 1 << 20});
  for await (const chunk of stream) {
    h.update(chunk as Buffer);
    onBytes((chunk as Buffer).length);
  }
  return h.digest('hex');
}

/** One checksum line, as Packer writes it. */
export const checksumLine = (hex: string, file: string): string => `${hex}\t${path.basename(file)}\n`;

export async function runChecksum(run: PostProcessorRun, pp: ChecksumPostProcessor, input: Artifact): Promise<PostProcessorResult> {
  const {ctx, cwd} = run;
  const created: string[] = [];
  const total = (await Promise.all(input.files.map((f) => stat(path.resolve(cwd, f)).then((s) => s.size, () => 0)))).reduce((a, b) => a + b, 0) * pp.checksum_types.length;
  let done = 0;
  for (const type of pp.checksum_types) {
    const out = renderField(run, pp.output, 'output', pp.source, {ChecksumType: type});
    const abs = path.resolve(cwd, out);
    const lines: string[] = [];
    for (const file of input.files) {
      const hex = await hashFile(path.resolve(cwd, file), ALGORITHM[type], ctx.signal, (n) => ctx.progress(`${run.label}: ${type} of ${path.basename(file)}`, (done += n), total)).catch(
        (err: Error) => {
          if (ctx.signal.aborted) throw ctx.signal.reason;
          throw new StepError(`${run.label}: could not read ${file}: ${err.message}`);
        },
      );
      lines.push(checksumLine(hex, file));
    }
    // Packer appends (O_APPEND): an earlier run's lines stay, and a file it did not create is not new.
    const before = await readFile(abs, 'utf8').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      throw new StepError(`${run.label}: could not read ${out}: ${err.message}`);
    });
    await writeFileAtomic(abs, (before ?? '') + lines.join(''));
    ctx.log('vmbench', 'info', `${run.label}: ${type} of ${input.files.length} file${input.files.length === 1 ? '' : 's'} ${before === undefined ? 'written to' : 'added to'} ${out}`);
    if (before === undefined && !created.includes(out)) {
      created.push(out);
      await run.produced(abs, 'checksum');
    }
  }
  const files = [...input.files, ...created];
  return {artifact: {builderId: 'packer.post-processor.checksum', files, id: '', removes: files}, keep: true, forceKeep: true};
}
