/**
 * Writing an image file safely: into a temporary file beside the target, renamed over it only
 * when complete, so a reader (QEMU, a retrying build) never sees a half-written image; on any
 * error or abort the temporary file is removed. Also the chunked copy of a host file into the
 * image, which checks the file still has the size it had when the layout was planned.
 */
import {randomBytes} from 'node:crypto';
import {open, rename, rm, type FileHandle} from 'node:fs/promises';
import path from 'node:path';
import {MediaError, type MediaSource} from './media-tree.js';

/** Bytes read from a host file per read (large enough for disk speed, small enough for memory). */
export const COPY_CHUNK = 1 << 20;

/**
 * Run `write` on a fresh temporary file beside `outFile`, then rename it to `outFile`.
 * `signal` aborting makes the write fail with the signal's reason (and cleans up).
 */
export async function writeAtomically(outFile: string, write: (handle: FileHandle) => Promise<void>, signal?: AbortSignal): Promise<void> {
  signal?.throwIfAborted();
  const tmp = path.join(path.dirname(outFile), `.${path.basename(outFile)}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
  const handle = await open(tmp, 'wx');
  let done = false;
  try {
    await write(handle);
    signal?.throwIfAborted();
    await handle.close();
    done = true;
    await rename(tmp, outFile);
  } catch (err) {
    if (!done) await handle.close().catch(() => undefined);
    await rm(tmp, {force: true});
    throw err;
  }
}

/**
 * Copy `size` bytes of `source` to `out` at byte `pos`. `buf` is a reusable chunk buffer.
 * Throws when a host file's size differs from `size` (it changed after it was planned).
 */
export async function copySource(
  out: FileHandle,
  pos: number,
  source: MediaSource,
  size: number,
  where: string,
  buf: Buffer,
  signal?: AbortSignal,
): Promise<void> {
  if (source.kind === 'bytes') {
    await writeAll(out, source.bytes, pos);
    return;
  }
  const changed = (now: string): MediaError => new MediaError(`${where}: ${source.file} changed while the image was written (${now}, planned ${size} bytes)`);
  const input = await open(source.file, 'r');
  try {
    let at = 0;
    while (at < size) {
      signal?.throwIfAborted();
      const want = Math.min(buf.length, size - at);
      const {bytesRead} = await input.read(buf, 0, want, at);
      if (bytesRead === 0) throw changed(`now ${at} bytes`);
      await writeAll(out, buf.subarray(0, bytesRead), pos + at);
      at += bytesRead;
    }
    const {bytesRead} = await input.read(buf, 0, 1, at);
    if (bytesRead !== 0) throw changed('now larger');
  } finally {
    await input.close();
  }
}

/** A positional write of all of `data` (FileHandle.write may write less than asked). */
export async function writeAll(out: FileHandle, data: Uint8Array, pos: number): Promise<void> {
  for (let off = 0; off < data.length; ) {
    const {bytesWritten} = await out.write(data, off, data.length - off, pos + off);
    off += bytesWritten;
  }
}
