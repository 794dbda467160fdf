/**
 * One download into `dest`, as a build needs it for a multi-gigabyte ISO or cloud image:
 *
 * - Resumable: the bytes go to `<dest>.part`, and `<dest>.part.json` beside it records the URL
 *   and the server's validators (ETag, Last-Modified) and size. A cut connection or a cancel
 *   keeps both; the next run asks for the rest with `Range: bytes=N-` and `If-Range: <validator>`
 *   and appends a 206. A 200 instead (no range support, or the file changed: the validator no
 *   longer matches) starts again from byte 0; so does a 206 that does not start at N.
 * - Hashed as it arrives (a resumed part is hashed first), so no second read of the whole file
 *   follows the download. A mismatch deletes the part: a bad download is never kept.
 * - Atomic: `dest` appears only by renaming a complete, verified part; nothing else is left
 *   behind but a part that can be resumed (a part that could not be — no checksum to verify it
 *   and no validator to check it against — is removed).
 * - Progress at a bounded rate (progress.ts).
 */
import {createHash, type Hash} from 'node:crypto';
import {createReadStream, createWriteStream, type WriteStream} from 'node:fs';
import {readFile, rename, rm, stat, writeFile} from 'node:fs/promises';
import {once} from 'node:events';
import {Readable, Transform} from 'node:stream';
import {pipeline} from 'node:stream/promises';
import type {ReadableStream} from 'node:stream/web';
import type {LogFn} from '../engine/events.js';
import type {Checksum} from '../engine/checksum.js';
import {StepError} from '../engine/step.js';
import {DownloadMeter, formatSize, type MeterOptions} from './progress.js';

export interface DownloadOptions {
  url: string;
  /** The final file; it only ever appears complete and verified. */
  dest: string;
  checksum: Checksum;
  signal: AbortSignal;
  log: LogFn;
  progress: (label: string, current: number, total?: number) => void;
  /** Meter timing (tests). */
  meter?: Pick<MeterOptions, 'now' | 'eventEveryMs' | 'lineMinMs' | 'lineMaxMs'>;
}

export interface Downloaded {
  /** Size of the file. */
  bytes: number;
  /** Where the download resumed, when it did. */
  resumedAt?: number;
}

/** What `<dest>.part.json` holds. */
export interface PartRecord {
  url: string;
  etag?: string;
  lastModified?: string;
  /** The whole file's size, when the server said. */
  total?: number;
}

export const partFile = (dest: string): string => `${dest}.part`;
export const partRecordFile = (dest: string): string => `${dest}.part.json`;

/** The part's record, or undefined when there is none or it is torn. */
export async function readPartRecord(dest: string): Promise<PartRecord | undefined> {
  try {
    const r = JSON.parse(await readFile(partRecordFile(dest), 'utf8')) as PartRecord;
    return typeof r.url === 'string' ? r : undefined;
  } catch {
    return undefined;
  }
}

async function sizeOf(file: string): Promise<number> {
  try {
    return (await stat(file)).size;
  } catch {
    return 0;
  }
}

/** A validator If-Range may carry: a strong ETag, else Last-Modified (weak ETags never match there). */
function validatorOf(r: Pick<PartRecord, 'etag' | 'lastModified'>): string | undefined {
  return r.etag && !r.etag.startsWith('W/') ? r.etag : r.lastModified;
}

/** A Content-Range value: `bytes 100-199/1000` → start 100, end 199, total 1000; `bytes *\/1000` (a 416) → total 1000. */
export function parseContentRange(h: string | null): {start?: number; end?: number; total?: number} | undefined {
  const m = h ? /^bytes\s+(?:(\d+)-(\d+)|\*)\/(\d+|\*)$/i.exec(h.trim()) : null;
  if (!m) return undefined;
  return {
    ...(m[1] !== undefined ? {start: Number(m[1]), end: Number(m[2])} : {}),
    ...(m[3] !== '*' ? {total: Number(m[3])} : {}),
  };
}

function get(url: string, signal: AbortSignal, headers: Record<string, string> = {}): Promise<Response> {
  // identity: byte ranges and Content-Length must count the file's own bytes, never a compressed stream.
  return fetch(url, {signal, headers: {'accept-encoding': 'identity', ...headers}});
}

const drop = (res: Response): void => void res.body?.cancel().catch(() => undefined);

/** Feed the first bytes of a file (a part being resumed) into a hash. */
async function hashInto(hash: Hash, file: string, signal: AbortSignal): Promise<void> {
  for await (const chunk of createReadStream(file, {highWaterMark: 1 << 20, signal})) hash.update(chunk as Buffer);
}

export async function downloadFile(o: DownloadOptions): Promise<Downloaded> {
  const part = partFile(o.dest);
  const recordFile = partRecordFile(o.dest);
  const known = o.checksum.type !== 'none';
  const info = (line: string): void => o.log('info', line);

  // What is there from last time, and whether it can be trusted to continue.
  let offset = await sizeOf(part);
  const old = offset > 0 ? await readPartRecord(o.dest) : undefined;
  // Another server's validators mean nothing here; a known checksum still vouches for the bytes.
  const validator = old && old.url === o.url ? validatorOf(old) : undefined;
  if (offset > 0 && !validator && !known) {
    info(`discarding a partial download of ${formatSize(offset)}: with no checksum and no validator from the server it cannot be resumed safely`);
    offset = 0;
  }

  let res = await get(o.url, o.signal, offset > 0 ? {range: `bytes=${offset}-`, ...(validator ? {'if-range': validator} : {})} : {});
  let append = false;
  let total: number | undefined;
  if (offset > 0) {
    const range = parseContentRange(res.headers.get('content-range'));
    if (res.status === 206 && range?.start === offset) {
      append = true;
      total = range.total;
    } else if (res.status === 416 && range?.total === offset) {
      // The part is the whole file (cancelled after the last byte, before it was verified).
      drop(res);
      append = true;
      total = offset;
    } else if (res.status === 200) {
      const why = validator && res.headers.get('accept-ranges') === 'bytes' ? 'the file changed on the server' : 'the server does not resume downloads';
      info(`cannot resume at ${formatSize(offset)}: ${why}; starting again`);
    } else if (res.status === 206 || res.status === 416) {
      drop(res);
      info(`cannot resume at ${formatSize(offset)}: the server answered ${res.status} ${res.headers.get('content-range') ?? ''}; starting again`);
      res = await get(o.url, o.signal);
    }
  }
  const complete = append && total === offset;
  if (!complete && !res.ok) {
    drop(res);
    throw new Error(`HTTP ${res.status} ${res.statusText}`.trim());
  }
  if (!complete && !res.body) throw new Error(`HTTP ${res.status}: no body`);
  if (!append) total = Number(res.headers.get('content-length')) || undefined;
  const record: PartRecord = append && old ? {...old, total} : {url: o.url, total};
  const etag = res.headers.get('etag');
  const lastModified = res.headers.get('last-modified');
  if (!complete) {
    if (etag) record.etag = etag;
    else delete record.etag;
    if (lastModified) record.lastModified = lastModified;
    else delete record.lastModified;
  }
  const resumable = known || validatorOf(record) !== undefined;

  const hash = known ? createHash(o.checksum.type) : undefined;
  let file: WriteStream | undefined;
  let meter: DownloadMeter | undefined;
  try {
    if (append) {
      info(`resuming at ${formatSize(offset)} of ${total !== undefined ? formatSize(total) : 'an unknown size'} (byte ${offset}): ${o.url}`);
      if (hash) await hashInto(hash, part, o.signal);
    } else info(`downloading ${o.url} (${total !== undefined ? formatSize(total) : 'size unknown'})`);
    meter = new DownloadMeter({
      ...o.meter,
      total,
      start: append ? offset : 0,
      progress: (current, t) => o.progress('download', current, t),
      log: info,
    });
    if (!complete) {
      file = createWriteStream(part, {flags: append ? 'a' : 'w'});
      await once(file, 'open');
      await writeFile(recordFile, `${JSON.stringify(record)}\n`);
      const m = meter;
      const tap = new Transform({
        transform(chunk: Buffer, _enc, cb) {
          hash?.update(chunk);
          m.add(chunk.length);
          cb(null, chunk);
        },
      });
      try {
        await pipeline(Readable.fromWeb(res.body as ReadableStream), tap, file, {signal: o.signal});
      } catch (err) {
        if (o.signal.aborted) throw err;
        const cause = (err as Error & {cause?: Error}).cause?.message;
        throw new Error(`connection lost at ${formatSize(meter.bytes)}${total !== undefined ? ` of ${formatSize(total)}` : ''}: ${(err as Error).message}${cause ? ` (${cause})` : ''}`);
      }
    }
    const bytes = meter.bytes;
    if (total !== undefined && bytes !== total) {
      if (bytes > total) await rm(part, {force: true});
      throw new Error(`the server sent ${bytes} bytes of ${total}`);
    }
    info(meter.finish());
    if (hash && o.checksum.type !== 'none') {
      const got = hash.digest('hex');
      if (got !== o.checksum.hex.toLowerCase()) {
        await discard(o.dest);
        throw new StepError(
          `checksum mismatch for ${o.url}: expected ${o.checksum.type}:${o.checksum.hex.toLowerCase()}, got ${o.checksum.type}:${got}`,
          `check iso_checksum in the profile, or that the ISO URL points at the image you meant${append ? ` (this download resumed at ${offset} bytes; the part is deleted, the next build starts afresh)` : ''}`,
        );
      }
    }
    await rename(part, o.dest);
    await rm(recordFile, {force: true});
    return {bytes, ...(append ? {resumedAt: offset} : {})};
  } catch (err) {
    if (file && !file.closed) {
      file.destroy();
      await once(file, 'close').catch(() => undefined);
    }
    // Keep only what a next run can continue: a part with bytes in it that can be verified.
    if (!(err instanceof StepError) && (!resumable || (await sizeOf(part)) === 0)) await discard(o.dest);
    else if (!(err instanceof StepError) && !o.signal.aborted) {
      // (Not after a cancel: the build has already said it ended; the next one says "resuming at".)
      const have = await sizeOf(part);
      o.log('info', `kept the partial download (${formatSize(have)}${total !== undefined ? ` of ${formatSize(total)}` : ''}): the next build resumes it`);
    }
    throw err;
  }
}

/** Remove a download's part and its record. */
export async function discard(dest: string): Promise<void> {
  await rm(partFile(dest), {force: true});
  await rm(partRecordFile(dest), {force: true});
}
