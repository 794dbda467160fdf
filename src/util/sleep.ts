/**
 * Sleep that ends early when the signal aborts, rejecting with the signal's own reason
 * (timers/promises rejects with a generic AbortError instead, losing why). Uses the global
 * timers, so fake timers in tests control it.
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  // No timer for nothing: typing with a zero interval must not yield to the event loop per key.
  if (ms <= 0) return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, {once: true});
  });
}
