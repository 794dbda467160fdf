/**
 * How big a download is, asked cheaply: a HEAD request (or, for a server that refuses HEAD or
 * gives no length, a GET of one byte whose Content-Range carries the size), with a short
 * timeout. Never throws: offline, or from a server that will not say, the answer is undefined
 * ("size unknown"). A size learned is kept in the cache's URL record, so the picker knows it
 * next time without asking.
 */
import {parseContentRange} from './download.js';
import {updateUrlRecord} from './url-records.js';

export interface ProbeOptions {
  /** Where the answer is kept (the URL records); none: not kept. */
  cacheDir?: string;
  /** Give up after this long (default 4 s). */
  timeoutMs?: number;
  signal?: AbortSignal;
}

async function ask(url: string, signal: AbortSignal): Promise<number | undefined> {
  const head = await fetch(url, {method: 'HEAD', signal, headers: {'accept-encoding': 'identity'}});
  const length = Number(head.headers.get('content-length'));
  if (head.ok && length > 0) return length;
  const one = await fetch(url, {signal, headers: {'accept-encoding': 'identity', range: 'bytes=0-0'}});
  void one.body?.cancel().catch(() => undefined);
  if (one.status === 206) return parseContentRange(one.headers.get('content-range'))?.total;
  const whole = Number(one.headers.get('content-length'));
  return one.ok && whole > 0 ? whole : undefined;
}

/** The size of the file at `url`, or undefined when it cannot be learned in time. */
export async function probeRemoteSize(url: string, o: ProbeOptions = {}): Promise<number | undefined> {
  const timeout = AbortSignal.timeout(o.timeoutMs ?? 4000);
  const signal = o.signal ? AbortSignal.any([o.signal, timeout]) : timeout;
  try {
    const size = await ask(url, signal);
    if (size !== undefined && o.cacheDir) updateUrlRecord(o.cacheDir, url, {size, sizeTime: Date.now()});
    return size;
  } catch {
    return undefined;
  }
}

