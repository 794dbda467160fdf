/**
 * Packer's boot-command grammar (packer-plugin-sdk bootcommand/boot_command.pigeon), parsed
 * into key actions for the VNC typer. Pure: no I/O, no timing.
 *
 * At each `<` the grammar tries, in Packer's order: `<wait…>`, a character toggle
 * (`<cOn>`, `<cOff>`), a special key with optional On/Off (`<enter>`, `<leftCtrlOn>`);
 * anything else is literal text. Where Packer would silently type a mistyped token as text
 * (`<enterr>`, `<wait05>`, `<WAIT>`), vmbench reports an error with its position instead:
 * typing "<enterr>" into a boot loader is never what the author meant.
 */

import {durationProblem, parseDurationPrecise} from '../util/duration.js';
import {Keysym, SPECIAL_KEYS, keysymForChar} from './keysyms.js';
import {editDistance} from '../util/suggest.js';

/** One thing for the typer to do, with the source text and offset it came from. */
export type BootAction =
  /** Tap a key: down then up, wrapped in Shift_L down/up when `shift` is set. */
  | {kind: 'press'; keysym: number; shift: boolean; text: string; offset: number}
  /** Hold a key down (`<leftCtrlOn>`, `<cOn>`). */
  | {kind: 'down'; keysym: number; text: string; offset: number}
  /** Release a held key (`<leftCtrlOff>`, `<cOff>`). */
  | {kind: 'up'; keysym: number; text: string; offset: number}
  /** Pause (`<wait>`, `<wait5>`, `<wait1m20s>`). */
  | {kind: 'wait'; ms: number; text: string; offset: number}
  /** vmbench extension: wait until `pattern` is on the screen (`<waitFor "boot:">`, `<waitFor "boot:" 30s>`). */
  | {kind: 'waitText'; pattern: string; timeoutMs: number; text: string; offset: number}
  /** vmbench extension: wait until the screen has not changed for `quietMs` (`<waitStable>`, `<waitStable 2s>`). */
  | {kind: 'waitStable'; quietMs: number; timeoutMs: number; text: string; offset: number};

/** The actions that press keys or sleep — what a key typer handles without looking at the screen. */
export type KeyAction = Exclude<BootAction, {kind: 'waitText' | 'waitStable'}>;
/** The actions that need to see the screen. */
export type ScreenWaitAction = Extract<BootAction, {kind: 'waitText' | 'waitStable'}>;

/** Default limits for the screen waits: long enough for an installer under TCG. */
export const SCREEN_WAIT_DEFAULTS = {textTimeoutMs: 5 * 60_000, quietMs: 1000, stableTimeoutMs: 5 * 60_000} as const;

/** A boot command that cannot be typed as written; `offset`/`length` locate `token` in the source. */
export class BootCommandError extends Error {
  readonly offset: number;
  readonly length: number;
  readonly token: string;

  constructor(message: string, offset: number, token: string) {
    super(message);
    this.name = 'BootCommandError';
    this.offset = offset;
    this.length = token.length;
    this.token = token;
  }
}

// Sticky regexes, tried at each `<`.
/** Anything spelled like a wait, in any case, up to the next `>` (no spaces or `<` inside). */
const WAIT_LIKE = /<wait([^<>\s]*)>/iy;
/** One code point then On/Off: Packer's CharToggle rule. */
const CHAR_TOGGLE = /<([\s\S])(on|off)>/iuy;
/** Special keys are all alphanumeric; On/Off is resolved by lookup below. */
const NAMED = /<([A-Za-z0-9]+)>/y;
/** What vmbench treats as an attempted token (so unknown ones are errors, not text). */
const TOKEN_LIKE = /<[A-Za-z][A-Za-z0-9]*>/y;

/**
 * vmbench's screen waits: `<waitFor "text" [timeout]>` and `<waitStable [quiet] [timeout]>`.
 * They contain a space or a quote, so Packer would type them as text; no Packer template has them.
 */
const WAIT_FOR = /<waitFor\s+"((?:[^"\\]|\\.)*)"(?:\s+([^<>\s]+))?\s*>/iy;
const WAIT_STABLE = /<waitStable(?:\s+([^<>\s]+))?(?:\s+([^<>\s]+))?\s*>/iy;

/** Packer's wait argument: Integer (seconds) or one or more Number+TimeUnit, case-sensitive. */
const WAIT_SECONDS = /^(?:0|[1-9][0-9]*)$/;
const WAIT_DURATION = /^(?:-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:ns|us|µs|ms|s|m|h))+$/;

function matchAt(re: RegExp, src: string, at: number): RegExpExecArray | null {
  re.lastIndex = at;
  return re.exec(src);
}

/**
 * Parse a boot command (the `boot_command` elements already joined with "", as Packer does)
 * into actions. Special-key names and On/Off are case-insensitive; `wait` is lower-case only,
 * as in Packer.
 *
 * Literal `\t`, `\n`, `\r` and other control characters produce no action: Packer sends their
 * raw code point as a keysym, which QEMU's keymap does not map, so QEMU drops them ("no
 * scancode found for keysym 10"). Skipping them keeps templates that wrap a boot command over
 * several lines (HCL heredocs) typing exactly what they type under Packer.
 *
 * @throws BootCommandError at the first unknown `<word>` token, malformed or non-positive wait.
 */
export function parseBootCommand(src: string): BootAction[] {
  const actions: BootAction[] = [];
  let i = 0;
  while (i < src.length) {
    if (src[i] === '<') {
      const consumed = parseToken(src, i, actions);
      if (consumed > 0) {
        i += consumed;
        continue;
      }
    }
    const cp = src.codePointAt(i)!;
    const ch = String.fromCodePoint(cp);
    if (!isControl(cp)) {
      const {keysym, shift} = keysymForChar(ch);
      actions.push({kind: 'press', keysym, shift, text: ch, offset: i});
    }
    i += ch.length;
  }
  return actions;
}

function isControl(cp: number): boolean {
  return cp < 0x20 || (cp >= 0x7f && cp < 0xa0);
}

/** Try a token at `at` (a `<`); push its actions and return its length, or 0 for a literal `<`. */
function parseToken(src: string, at: number, out: BootAction[]): number {
  const screen = parseScreenWait(src, at);
  if (screen) {
    out.push(screen);
    return screen.text.length;
  }
  const wait = matchAt(WAIT_LIKE, src, at);
  if (wait) {
    out.push(parseWait(wait[0], wait[1] ?? '', at));
    return wait[0].length;
  }

  const toggle = matchAt(CHAR_TOGGLE, src, at);
  if (toggle) {
    const text = toggle[0];
    const ch = toggle[1]!;
    const on = toggle[2]!.toLowerCase() === 'on';
    if (isControl(ch.codePointAt(0)!)) return text.length; // dropped by QEMU, as for literals
    const {keysym, shift} = keysymForChar(ch);
    // Same order as Packer's SendKey: Shift goes down first and comes up last.
    if (on) {
      if (shift) out.push({kind: 'down', keysym: Keysym.Shift_L, text, offset: at});
      out.push({kind: 'down', keysym, text, offset: at});
    } else {
      out.push({kind: 'up', keysym, text, offset: at});
      if (shift) out.push({kind: 'up', keysym: Keysym.Shift_L, text, offset: at});
    }
    return text.length;
  }

  const named = matchAt(NAMED, src, at);
  if (named) {
    const text = named[0];
    const name = named[1]!.toLowerCase();
    const pressed = SPECIAL_KEYS.get(name);
    if (pressed !== undefined) {
      out.push({kind: 'press', keysym: pressed, shift: false, text, offset: at});
      return text.length;
    }
    for (const [suffix, kind] of [['on', 'down'], ['off', 'up']] as const) {
      const held = name.endsWith(suffix) ? SPECIAL_KEYS.get(name.slice(0, -suffix.length)) : undefined;
      if (held !== undefined) {
        out.push({kind, keysym: held, text, offset: at});
        return text.length;
      }
    }
  }

  const tokenLike = matchAt(TOKEN_LIKE, src, at);
  if (tokenLike) {
    const token = tokenLike[0];
    const hint = suggest(token.slice(1, -1).toLowerCase());
    throw new BootCommandError(
      `unknown key ${token} at offset ${at}${hint ? `; did you mean <${hint}>?` : ''}` +
        ' (Packer would silently type it as text)',
      at,
      token,
    );
  }
  return 0;
}

function parseWait(text: string, arg: string, at: number): BootAction {
  const bad = (why: string): never => {
    throw new BootCommandError(`bad wait ${text} at offset ${at}: ${why}`, at, text);
  };
  if (!text.startsWith('<wait')) {
    bad('Packer only knows lower-case <wait…> and would type this as literal text');
  }
  let ms: number;
  if (arg === '') ms = 1000;
  else if (WAIT_SECONDS.test(arg)) ms = Number(arg) * 1000;
  else if (WAIT_DURATION.test(arg)) {
    try {
      ms = parseDurationPrecise(arg);
    } catch (err) {
      return bad((err as Error).message);
    }
  } else {
    return bad('expected <wait>, <waitN> (seconds) or a duration like <wait300ms>, <wait1m20s>');
  }
  if (!(ms > 0)) bad('a wait must be longer than zero');
  // A timer past 2^31-1 ms would fire at once.
  const tooLong = durationProblem(ms);
  if (tooLong) bad(`a wait ${tooLong}`);
  // Whole milliseconds are all a timer can honour; keep tiny positive waits at least 1 ms.
  return {kind: 'wait', ms: Math.max(1, Math.round(ms)), text, offset: at};
}

function parseScreenWait(src: string, at: number): ScreenWaitAction | undefined {
  const dur = (arg: string | undefined, fallback: number, token: string, what: string): number => {
    if (arg === undefined) return fallback;
    const ms = WAIT_SECONDS.test(arg) ? Number(arg) * 1000 : WAIT_DURATION.test(arg) ? parseDurationPrecise(arg) : NaN;
    if (!(ms > 0)) throw new BootCommandError(`bad ${what} "${arg}" in ${token} at offset ${at}: expected seconds or a duration like 30s, 2m`, at, token);
    const tooLong = durationProblem(ms);
    if (tooLong) throw new BootCommandError(`bad ${what} "${arg}" in ${token} at offset ${at}: it ${tooLong}`, at, token);
    return Math.round(ms);
  };
  const f = matchAt(WAIT_FOR, src, at);
  if (f) {
    const pattern = f[1]!.replace(/\\(.)/g, '$1');
    if (!pattern) throw new BootCommandError(`empty text in ${f[0]} at offset ${at}`, at, f[0]);
    return {kind: 'waitText', pattern, timeoutMs: dur(f[2], SCREEN_WAIT_DEFAULTS.textTimeoutMs, f[0], 'timeout'), text: f[0], offset: at};
  }
  const st = matchAt(WAIT_STABLE, src, at);
  if (st) {
    return {
      kind: 'waitStable',
      quietMs: dur(st[1], SCREEN_WAIT_DEFAULTS.quietMs, st[0], 'quiet time'),
      timeoutMs: dur(st[2], SCREEN_WAIT_DEFAULTS.stableTimeoutMs, st[0], 'timeout'),
      text: st[0],
      offset: at,
    };
  }
  if (/^<waitFor\b/i.test(src.slice(at, at + 9))) {
    const token = /^<[^>]*>?/.exec(src.slice(at))![0];
    throw new BootCommandError(`bad ${token} at offset ${at}: write <waitFor "text"> or <waitFor "text" 30s>`, at, token);
  }
  return undefined;
}

/** Every token name the grammar knows, lower-case, for "did you mean". */
const KNOWN_NAMES: readonly string[] = [
  'wait',
  'waitstable',
  ...[...SPECIAL_KEYS.keys()].flatMap((k) => [k, `${k}on`, `${k}off`]),
];

function suggest(word: string): string | undefined {
  let best: string | undefined;
  // Allow about one edit per three letters, so `foo` suggests nothing but `enterr` → `enter`.
  let bestDistance = Math.max(1, Math.floor((word.length + 1) / 3)) + 1;
  for (const name of KNOWN_NAMES) {
    const d = editDistance(word, name);
    if (d < bestDistance) [best, bestDistance] = [name, d];
  }
  return best;
}

/**
 * Map an offset in `parts.join('')` back to the element it falls in and a 1-based column,
 * so errors can say `boot_command[3] col 7`. An offset equal to the joined length points
 * just past the last non-empty element.
 *
 * @throws RangeError for an offset outside `0..joined length`.
 */
export function locateInParts(parts: string[], offset: number): {index: number; column: number} {
  if (!Number.isInteger(offset) || offset < 0) {
    throw new RangeError(`offset ${offset} is outside the boot command`);
  }
  let start = 0;
  let last: {index: number; column: number} | undefined;
  for (const [index, part] of parts.entries()) {
    // `<` so an offset on a boundary belongs to the next element, where the token starts.
    if (offset < start + part.length) return {index, column: offset - start + 1};
    start += part.length;
    if (part.length > 0) last = {index, column: part.length + 1};
  }
  if (offset === start) return last ?? {index: 0, column: 1};
  throw new RangeError(`offset ${offset} is outside the boot command (length ${start})`);
}
