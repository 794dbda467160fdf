/**
 * Files post-processors write appear whole or not at all: each is written to a temporary name
 * beside its target and renamed into place. A temporary file is removed when writing fails, when
 * the build is cancelled, and — synchronously — if vmbench exits mid-write (a second Ctrl-C).
 */
import {randomBytes} from 'node:crypto';
import {createWriteStream, unlinkSync, type WriteStream} from 'node:fs';
import {mkdir, rename, rm, writeFile} from 'node:fs/promises';
import path from 'node:path';

/** Temporary files being written now, removed if the process exits before they are renamed. */
const pending = new Set<string>();
let hooked = false;
/** Removes `tmp` if the process exits before `untrackTemp(tmp)`: for temporaries other writers (qemu-img) fill. */
export function trackTemp(tmp: string): void {
  track(tmp);
}
export function untrackTemp(tmp: string): void {
  pending.delete(tmp);
}
function track(tmp: string): void {
  pending.add(tmp);
  if (hooked) return;
  hooked = true;
  process.on('exit', () => {
    for (const f of pending) {
      try {
        unlinkSync(f);
      } catch {
        // Already gone.
      }
    }
  });
}

/** The temporary name for `target`: hidden, beside it (same file system, so rename is atomic). */
export function tempNameFor(target: string): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.vmbench-${randomBytes(4).toString('hex')}.partial`);
}

/** Write `data` to `target` atomically, creating its directory (0755) as Packer does. */
export async function writeFileAtomic(target: string, data: string | Buffer, mode = 0o644): Promise<void> {
  await mkdir(path.dirname(target), {recursive: true, mode: 0o755});
  const tmp = tempNameFor(target);
  track(tmp);
  try {
    await writeFile(tmp, data, {mode});
    await rename(tmp, target);
  } finally {
    pending.delete(tmp);
    await rm(tmp, {force: true});
  }
}

/** A file being streamed: `commit()` renames it into place, `discard()` removes it. */
export interface AtomicStream {
  readonly stream: WriteStream;
  readonly tmp: string;
  commit(): Promise<void>;
  discard(): Promise<void>;
}

export async function createAtomicStream(target: string, mode = 0o644): Promise<AtomicStream> {
  await mkdir(path.dirname(target), {recursive: true, mode: 0o755});
  const tmp = tempNameFor(target);
  track(tmp);
  const stream = createWriteStream(tmp, {mode});
  await new Promise<void>((resolve, reject) => {
    stream.once('open', () => resolve());
    stream.once('error', reject);
  });
  const closed = (): Promise<void> =>
    stream.closed ? Promise.resolve() : new Promise<void>((resolve) => (stream.once('close', () => resolve()), stream.destroy()));
  return {
    stream,
    tmp,
    async commit() {
      await closed();
      await rename(tmp, target);
      pending.delete(tmp);
    },
    async discard() {
      await closed();
      pending.delete(tmp);
      await rm(tmp, {force: true});
    },
  };
}
