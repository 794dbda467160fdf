/**
 * How a download reports itself: progress events for the workbench at most every
 * {@link MeterOptions.eventEveryMs} (not per chunk: a fast mirror delivers thousands of chunks a
 * second), and log lines for plain output at a rate a person reads — one when another tenth is
 * done and a couple of seconds have passed, or after a longer quiet spell (a slow link, an
 * unknown size) — each with bytes, total, rate and time left. Pure: the clock is injected.
 */
import {formatDuration} from '../util/duration.js';
import {formatBytes} from '../util/bytes.js';

/** Download sizes: the one byte formatter (src/util/bytes.ts). */
export const formatSize = formatBytes;

export interface MeterOptions {
  /** The size of the whole file, when the server said. */
  total?: number;
  /** Bytes already there (a resumed download): counted in the progress, not in the rate. */
  start?: number;
  /** Workbench progress: (bytes so far, total). */
  progress: (current: number, total?: number) => void;
  /** A plain line of text. */
  log: (line: string) => void;
  now?: () => number;
  /** Least time between two progress events (default 250 ms). */
  eventEveryMs?: number;
  /** Least time between two log lines (default 2 s). */
  lineMinMs?: number;
  /** A line after this long even without another tenth done (default 15 s). */
  lineMaxMs?: number;
}


export class DownloadMeter {
  private readonly now: () => number;
  private readonly startedAt: number;
  private readonly start: number;
  private current: number;
  private lastEvent = -Infinity;
  private lastLine: number;
  private lastTenth: number;
  private readonly eventEveryMs: number;
  private readonly lineMinMs: number;
  private readonly lineMaxMs: number;

  constructor(private readonly o: MeterOptions) {
    this.now = o.now ?? Date.now;
    this.startedAt = this.now();
    this.lastLine = this.startedAt;
    this.start = o.start ?? 0;
    this.current = this.start;
    this.lastTenth = this.tenth();
    this.eventEveryMs = o.eventEveryMs ?? 250;
    this.lineMinMs = o.lineMinMs ?? 2000;
    this.lineMaxMs = o.lineMaxMs ?? 15_000;
    this.emit(this.startedAt);
  }

  private tenth(): number {
    return this.o.total ? Math.floor((10 * this.current) / this.o.total) : 0;
  }

  private emit(t: number): void {
    this.lastEvent = t;
    this.o.progress(this.current, this.o.total);
  }

  /** `n` more bytes arrived. */
  add(n: number): void {
    this.current += n;
    const t = this.now();
    if (t - this.lastEvent >= this.eventEveryMs) this.emit(t);
    const sinceLine = t - this.lastLine;
    const tenth = this.tenth();
    // The end has its own line (finish).
    if (this.o.total !== undefined && this.current >= this.o.total) return;
    if ((tenth > this.lastTenth && sinceLine >= this.lineMinMs) || sinceLine >= this.lineMaxMs) {
      this.lastTenth = tenth;
      this.lastLine = t;
      this.o.log(this.line(t));
    }
  }

  /** Bytes per second over this run (a resumed part's bytes are not counted). */
  rate(t = this.now()): number {
    const s = (t - this.startedAt) / 1000;
    return s > 0 ? (this.current - this.start) / s : 0;
  }

  /** `120 MiB of 630 MiB (19%), 11 MiB/s, 46s left`. */
  line(t = this.now()): string {
    const rate = this.rate(t);
    const {total} = this.o;
    const parts = [total ? `${formatSize(this.current)} of ${formatSize(total)} (${Math.floor((100 * this.current) / total)}%)` : formatSize(this.current)];
    parts.push(`${formatSize(Math.round(rate))}/s`);
    if (total && rate > 0) parts.push(`${formatDuration((1000 * Math.max(0, total - this.current)) / rate)} left`);
    return `downloading: ${parts.join(', ')}`;
  }

  /** The last event (always sent), and the summary line. */
  finish(): string {
    const t = this.now();
    this.emit(t);
    const got = this.current - this.start;
    return `downloaded ${formatSize(got)}${this.start ? ` (resumed at ${formatSize(this.start)})` : ''} in ${formatDuration(t - this.startedAt)}, ${formatSize(Math.round(this.rate(t)))}/s`;
  }

  get bytes(): number {
    return this.current;
  }
}
