/**
 * Go's time.Format for Packer's `isotime` template function: layouts are written with Go's
 * reference time, Mon Jan 2 15:04:05 MST 2006 (`{{ isotime "2006-01-02" }}`). Packer formats
 * its start time in UTC, so zones print as UTC ("MST" → "UTC", "-0700" → "+0000", "Z07:00" → "Z").
 * Pure; follows the chunk rules of Go's time/format.go (nextStdChunk), including its quirks
 * ("Jan" followed by a lower-case letter is literal text, so "Janet" stays "Janet").
 */

const LONG_MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const LONG_DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

/** Go's RFC 3339 layout: what `{{ isotime }}` without an argument uses. */
export const RFC3339 = '2006-01-02T15:04:05Z07:00';

type Chunk = (d: Date) => string;

const pad = (n: number, width: number, fill = '0'): string => String(n).padStart(width, fill);
const lowerFollows = (s: string, i: number): boolean => /^[a-z]/.test(s.slice(i, i + 1));
const yearDay = (d: Date): number => Math.floor((Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()) - Date.UTC(d.getUTCFullYear(), 0, 1)) / 86_400_000) + 1;
const hour12 = (d: Date): number => d.getUTCHours() % 12 || 12;

/** The layout chunk starting at `i`, if any: its length and how it prints. */
function chunkAt(layout: string, i: number): [number, Chunk] | undefined {
  const rest = layout.slice(i);
  const c = layout[i];
  switch (c) {
    case 'J':
      if (rest.startsWith('January')) return [7, (d) => LONG_MONTHS[d.getUTCMonth()]!];
      if (rest.startsWith('Jan') && !lowerFollows(layout, i + 3)) return [3, (d) => LONG_MONTHS[d.getUTCMonth()]!.slice(0, 3)];
      return undefined;
    case 'M':
      if (rest.startsWith('Monday')) return [6, (d) => LONG_DAYS[d.getUTCDay()]!];
      if (rest.startsWith('Mon') && !lowerFollows(layout, i + 3)) return [3, (d) => LONG_DAYS[d.getUTCDay()]!.slice(0, 3)];
      if (rest.startsWith('MST')) return [3, () => 'UTC'];
      return undefined;
    case '0':
      if (rest.startsWith('002')) return [3, (d) => pad(yearDay(d), 3)];
      switch (rest[1]) {
        case '1': return [2, (d) => pad(d.getUTCMonth() + 1, 2)];
        case '2': return [2, (d) => pad(d.getUTCDate(), 2)];
        case '3': return [2, (d) => pad(hour12(d), 2)];
        case '4': return [2, (d) => pad(d.getUTCMinutes(), 2)];
        case '5': return [2, (d) => pad(d.getUTCSeconds(), 2)];
        case '6': return [2, (d) => pad(d.getUTCFullYear() % 100, 2)];
        default: return undefined;
      }
    case '1':
      if (rest.startsWith('15')) return [2, (d) => pad(d.getUTCHours(), 2)];
      return [1, (d) => String(d.getUTCMonth() + 1)];
    case '2':
      if (rest.startsWith('2006')) return [4, (d) => pad(d.getUTCFullYear(), 4)];
      return [1, (d) => String(d.getUTCDate())];
    case '_':
      // "_2006" is a literal "_" before a year; "__2" is the space-padded day of the year.
      if (rest.startsWith('_2') && !rest.startsWith('_2006')) return [2, (d) => pad(d.getUTCDate(), 2, ' ')];
      if (rest.startsWith('__2')) return [3, (d) => pad(yearDay(d), 3, ' ')];
      return undefined;
    case '3': return [1, (d) => String(hour12(d))];
    case '4': return [1, (d) => String(d.getUTCMinutes())];
    case '5': return [1, (d) => String(d.getUTCSeconds())];
    case 'P': return rest.startsWith('PM') ? [2, (d) => (d.getUTCHours() >= 12 ? 'PM' : 'AM')] : undefined;
    case 'p': return rest.startsWith('pm') ? [2, (d) => (d.getUTCHours() >= 12 ? 'pm' : 'am')] : undefined;
    case '-':
    case 'Z': {
      // Numeric zones; the Z forms print "Z" for UTC, which is all Packer's clock ever is.
      for (const form of ['070000', '07:00:00', '0700', '07:00', '07']) {
        if (!rest.startsWith(form, 1)) continue;
        const zero = form.replace(/\d/g, '0');
        return [form.length + 1, () => (c === 'Z' ? 'Z' : `+${zero}`)];
      }
      return undefined;
    }
    case '.':
    case ',': {
      // A run of 0s or 9s after the separator, not followed by another digit: fractional seconds.
      const m = /^[.,](0+|9+)(?!\d)/.exec(rest);
      if (!m) return undefined;
      const digits = m[1]!;
      return [digits.length + 1, (d) => {
        const frac = pad(d.getUTCMilliseconds(), 3).padEnd(9, '0').slice(0, digits.length);
        if (digits[0] === '0') return `${c}${frac}`;
        const trimmed = frac.replace(/0+$/, '');
        return trimmed ? `${c}${trimmed}` : '';
      }];
    }
    default:
      return undefined;
  }
}

/** Format `date` (as UTC) with a Go reference-time layout. */
export function formatGoTime(date: Date, layout: string): string {
  let out = '';
  for (let i = 0; i < layout.length; ) {
    const chunk = chunkAt(layout, i);
    if (chunk) {
      out += chunk[1](date);
      i += chunk[0];
    } else {
      out += layout[i];
      i++;
    }
  }
  return out;
}
