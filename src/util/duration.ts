/**
 * Go duration strings (`300ms`, `1m20s`, `1.5h`), as Packer templates write `boot_wait`,
 * `ssh_timeout`, `shutdown_timeout` and `<waitXX>`, plus a short human format for output.
 *
 * Parsing follows Go's `time.ParseDuration` so a value Packer accepts means the same here,
 * and a value Packer rejects is rejected here too (with a message that says what is wrong).
 */

/** Nanoseconds per unit, as Go spells them (both micro signs: U+00B5 and U+03BC). */
const UNIT_NS: Readonly<Record<string, number>> = {
  ns: 1,
  us: 1e3,
  'µs': 1e3,
  'μs': 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

/** Go's limit: a Duration is an int64 count of nanoseconds (about 292 years). */
const MAX_NS = 9_223_372_036_854_775_807;

function fail(s: string, why: string): never {
  throw new Error(`invalid duration ${JSON.stringify(s)}: ${why} (examples: 300ms, 5s, 1m20s, 1.5h)`);
}

/**
 * Parse a Go duration string to milliseconds without rounding (`10us` → 0.01).
 * Throws an Error naming the input and the problem when Go would reject it.
 */
export function parseDurationPrecise(s: string): number {
  let rest = s;
  let sign = 1;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    if (rest[0] === '-') sign = -1;
    rest = rest.slice(1);
  }
  // Go special-cases a bare zero: it is the only number allowed without a unit.
  if (rest === '0') return 0;
  if (rest === '') fail(s, 'empty');

  let totalNs = 0;
  while (rest !== '') {
    const num = /^(\d*)(?:\.(\d*))?/.exec(rest);
    const whole = num?.[1] ?? '';
    const frac = num?.[2] ?? '';
    if (whole === '' && frac === '') fail(s, `expected a number at ${JSON.stringify(rest)}`);
    rest = rest.slice(num![0].length);
    // Go takes every following non-digit, non-dot character as the unit, so `5sec` is an
    // unknown unit "sec", not "s" followed by garbage.
    const unit = /^[^\d.]*/.exec(rest)![0];
    if (unit === '') fail(s, `missing unit after ${JSON.stringify(whole + (frac ? `.${frac}` : ''))}`);
    const perUnit = UNIT_NS[unit];
    if (perUnit === undefined) fail(s, `unknown unit ${JSON.stringify(unit)} (use ns, us, ms, s, m or h)`);
    rest = rest.slice(unit.length);
    totalNs += Number(`${whole || '0'}.${frac || '0'}`) * perUnit;
    if (totalNs > MAX_NS) fail(s, 'too large');
  }
  return (sign * totalNs) / 1e6;
}

/**
 * Parse a Go duration string (`300ms`, `1m20s`, `1.5s`, `2h`, `0`) to whole milliseconds,
 * rounding sub-millisecond parts to the nearest millisecond (`10us` → 0, `1500us` → 2).
 * Throws an Error for input Go's `time.ParseDuration` would reject (`5`, `1d`, an empty string, `.s`).
 */
export function parseDuration(s: string): number {
  const ms = parseDurationPrecise(s);
  // Round half away from zero so `-1500us` mirrors `1500us` (Math.round(-1.5) is -1).
  const rounded = Math.sign(ms) * Math.round(Math.abs(ms));
  return rounded === 0 ? 0 : rounded;
}

/**
 * The longest wait or timeout a profile may give: 7 days. A Node timer set past 2^31-1 ms
 * (about 24.8 days) fires at once, so an unbounded value would turn "wait forever" into "fail now".
 */
export const MAX_DURATION_MS = 7 * 24 * 3600 * 1000;

/** Why `ms` is no usable wait or timeout (negative, or longer than `max`), or undefined when it is. */
export function durationProblem(ms: number, max = MAX_DURATION_MS): string | undefined {
  if (!Number.isFinite(ms)) return 'is not a finite duration';
  if (ms < 0) return `must not be negative (got ${formatDuration(ms)})`;
  if (ms > max) return `must be at most ${formatDuration(max)} (got ${formatDuration(ms)})`;
  return undefined;
}

const pad2 = (n: number): string => String(n).padStart(2, '0');

/**
 * Short human form of a duration in milliseconds: `850ms`, `12.3s`, `2m05s`, `1h02m05s`.
 * Precision falls as the value grows, because that is what a person reading a log wants.
 * Throws a RangeError for NaN or infinities.
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) throw new RangeError(`formatDuration: not a finite number: ${ms}`);
  if (ms < 0) return `-${formatDuration(-ms)}`;
  // Round first at each precision, so 999.6 ms prints as 1.0s rather than 1000ms.
  if (Math.round(ms) < 1000) return `${Math.round(ms)}ms`;
  const tenths = Math.round(ms / 100);
  if (tenths < 600) return `${(tenths / 10).toFixed(1)}s`;
  const totalS = Math.round(ms / 1000);
  const h = Math.floor(totalS / 3600);
  const m = Math.floor((totalS % 3600) / 60);
  const sec = totalS % 60;
  return h > 0 ? `${h}h${pad2(m)}m${pad2(sec)}s` : `${m}m${pad2(sec)}s`;
}
