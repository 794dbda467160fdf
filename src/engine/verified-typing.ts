/**
 * Types a run of boot-command keys and makes sure typed lines arrive whole (issue 9, item 5):
 * before each `<enter>`, the line typed since the last non-character key is read back from the
 * screen; a line that arrived garbled (keys lost under load, or typed while the bootloader was
 * still loading) is erased and typed again, up to `retries` times, before Enter goes out. And
 * when a whole run of keys left the screen unchanged, or a bootloader says it could not load
 * what it got instead of the typed line, the run fails with that cause: the keys were typed
 * before anything could receive them.
 *
 * The screen is read through an injected EchoReader (VGA text memory in builds, fakes in tests);
 * the comparison itself is pure, in typed-readback.ts. A screen that cannot be read as text, or
 * that does not echo the typed line (graphical menus, GRUB's editor, passwords), is never a
 * reason to fail: the line goes out unverified with one debug log line.
 */
import type {KeyAction} from '../vnc/boot-command.js';
import type {KeySender} from '../vnc/key-sender.js';
import {backspaceActions, textActions, typeBootCommand} from '../vnc/typer.js';
import {sleep} from '../util/sleep.js';
import {StepError} from './step.js';
import {
  bootloaderFailure,
  bootloaderFailureCount,
  compareEcho,
  describeMismatch,
  echoLines,
  sameScreen,
  screenSummary,
  type EchoLine,
  type EchoScreen,
  type EchoVerdict,
} from './typed-readback.js';

/** Where the typed text can be read back. */
export interface EchoReader {
  /** The screen as text now, or undefined when it cannot be read as text. Must not throw. */
  read(): Promise<EchoScreen | undefined>;
  /** A counter that changes whenever the screen changes (Framebuffer.version), if frames are watched. */
  version?(): number | undefined;
}

/** What happened to one typed line (for the build's verdict and the lead's diagnosis). */
export interface TypedLine {
  expected: string;
  /** verified: read back whole; retyped: arrived garbled, typed again, then read back whole. */
  outcome: 'verified' | 'retyped' | 'unverified';
  retypes: number;
  /** What the screen showed the first time, when it differed from `expected`. */
  firstShown?: string;
  /** Why the line was not verified. */
  why?: string;
}

export interface ReadbackTiming {
  /** Between screen reads. */
  pollMs: number;
  /**
   * A screen unchanged this long has finished echoing. Under TCG on a busy host the guest can
   * stall with keys still queued (16 bytes of PS/2 queue, more over VNC); deciding too early
   * would type their characters twice (the next read would then erase the extras).
   */
  quietMs: number;
  /** The longest wait for a typed line to appear whole. */
  echoMs: number;
  /** The longest wait for the screen to react to a run of keys (or to an Enter, for a failure). */
  changeMs: number;
}

export const READBACK_TIMING: Readonly<ReadbackTiming> = {pollMs: 100, quietMs: 1000, echoMs: 3000, changeMs: 2000};

/** Runs with fewer keys are not judged by "the screen did not change" (one key may do nothing visible). */
const MIN_KEYS_FOR_CHANGE = 4;

export interface TypeVerifiedOptions {
  keyIntervalMs: number;
  signal?: AbortSignal;
  log: (stream: 'debug' | 'info' | 'warn', line: string) => void;
  /** Called as each of `actions` starts (retyped keys are not reported). */
  onAction?: (action: KeyAction, index: number) => void;
  /** How many times a garbled line is typed again before the run fails (default 2). */
  retries?: number;
  timing?: Partial<ReadbackTiming>;
}

/** What to do when keys went out before the bootloader was ready. */
export const TYPED_TOO_EARLY_HINT =
  'wait for the bootloader before typing: start boot_command with <waitFor "boot:"> (the text your bootloader shows when it is ready), or make boot_wait longer';

const EARLY = 'the boot command was typed before the bootloader was ready';

/**
 * Type `actions` (one run of keys, no screen waits), reading each typed line back before its
 * `<enter>`. Resolves with what happened to each line that had text.
 *
 * @throws StepError when a line still reads wrong after `retries` retypes, when the screen did
 *   not change at all while the run was typed, or when a bootloader failed to load instead of
 *   showing the typed line; rejects with the signal's reason on abort.
 */
export async function typeVerified(keys: KeySender, actions: readonly KeyAction[], reader: EchoReader, opts: TypeVerifiedOptions): Promise<TypedLine[]> {
  const t = {...READBACK_TIMING, ...opts.timing};
  const {signal} = opts;
  const type = (acts: readonly KeyAction[], base?: number) =>
    typeBootCommand(keys, acts, {keyIntervalMs: opts.keyIntervalMs, signal, onAction: base === undefined ? undefined : (a, i) => opts.onAction?.(a as KeyAction, base + i)});
  const lines = echoLines(actions).filter((l) => l.expected !== '');
  const keyCount = actions.filter((a) => a.kind === 'press' || a.kind === 'down').length;
  const watch = keyCount >= MIN_KEYS_FOR_CHANGE;
  const start = watch || lines.length ? await reader.read() : undefined;
  const startVersion = reader.version?.();
  const failuresAtStart = start ? bootloaderFailureCount(start.lines) : 0;
  const ctx: LineContext = {reader, t, signal, log: opts.log, retries: opts.retries ?? 2, type, start, failuresAtStart};

  const report: TypedLine[] = [];
  let pos = 0;
  for (const line of lines) {
    await type(actions.slice(pos, line.enter), pos);
    const result = await readBack(ctx, line);
    report.push(result);
    const before = result.outcome === 'unverified' ? await reader.read() : undefined;
    await type([actions[line.enter]!], line.enter);
    pos = line.enter + 1;
    if (result.outcome === 'unverified') await failureAfterEnter(ctx, before);
  }
  await type(actions.slice(pos), pos);
  if (watch) await screenReacted(ctx, start, startVersion, keyCount);
  return report;
}

interface LineContext {
  reader: EchoReader;
  t: ReadbackTiming;
  signal?: AbortSignal;
  log: TypeVerifiedOptions['log'];
  retries: number;
  type: (acts: readonly KeyAction[], base?: number) => Promise<void>;
  /** The screen when the run began. */
  start: EchoScreen | undefined;
  failuresAtStart: number;
}

/** Read one line back (before its Enter); retype it while it reads wrong. */
async function readBack(c: LineContext, line: EchoLine): Promise<TypedLine> {
  const {expected} = line;
  const quoted = JSON.stringify(expected.length > 60 ? `${expected.slice(0, 57)}…` : expected);
  let maxErase = line.typedKeys;
  let screen = await settle(c, (s) => compareEcho(s, expected, {maxErase}).kind === 'match');
  if (!screen) {
    c.log('debug', `not reading back ${quoted}: the screen cannot be read as text`);
    return {expected, outcome: 'unverified', retypes: 0, why: 'the screen cannot be read as text'};
  }
  let v = compareEcho(screen, expected, {maxErase});
  if (v.kind === 'match') {
    c.log('debug', `read back ${expected.length} typed characters on screen: whole`);
    return {expected, outcome: 'verified', retypes: 0};
  }
  failIfBootloaderFailed(c, screen);
  // Nothing on screen moved while the line was typed: no echo (a password), or nothing there to
  // take the keys. Retyping would not help either way; the end of the run judges which.
  if (c.start && sameScreen(c.start, screen)) v = {kind: 'absent', why: 'the screen did not change while the line was typed'};
  if (v.kind === 'absent') {
    c.log('debug', `not reading back ${quoted}: ${v.why}`);
    return {expected, outcome: 'unverified', retypes: 0, why: v.why};
  }
  const first = v;
  for (let retry = 1; ; retry++) {
    const wrong = v as Extract<EchoVerdict, {kind: 'mismatch'}>;
    if (retry > c.retries) return giveUp(c, expected, first.shown, wrong.shown, screen);
    const rest = expected.slice(wrong.keep);
    const what = wrong.keep ? `the last ${rest.length} again` : 'the line again';
    c.log('warn', `${describeMismatch(expected, wrong.shown)}: erasing ${wrong.erase} characters and typing ${what} (retry ${retry} of ${c.retries})`);
    await c.type(backspaceActions(wrong.erase));
    // The screen must show the erase, or it cannot tell what the retyped line became: a Linux
    // console's echo does not backspace across a wrapped row (the line editor does, the screen
    // does not), so the old text stays there above the new.
    const kept = expected.slice(0, wrong.keep);
    const erased = await settle(c, (s) => showsErased(s, kept, first.before));
    if (!erased || !showsErased(erased, kept, first.before)) {
      await c.type(textActions(rest));
      c.log('warn', `erased ${wrong.erase} characters of ${quoted}, but the screen does not show the erase (it cannot backspace across rows?): typed the rest again without checking it`);
      return {expected, outcome: 'unverified', retypes: retry, firstShown: first.shown, why: 'the screen did not show the erase'};
    }
    await c.type(textActions(rest));
    maxErase = maxErase - wrong.erase + rest.length;
    const opts = {maxErase, before: first.before};
    const next = await settle(c, (s) => compareEcho(s, expected, opts).kind === 'match');
    if (!next) {
      c.log('warn', `retyped ${quoted}, but the screen can no longer be read as text to check it`);
      return {expected, outcome: 'unverified', retypes: retry, firstShown: first.shown, why: 'the screen could not be read after retyping'};
    }
    screen = next;
    v = compareEcho(screen, expected, opts);
    if (v.kind === 'match') {
      c.log('info', `retyped line reads back whole now (${expected.length} characters, ${retry} ${retry === 1 ? 'retry' : 'retries'})`);
      return {expected, outcome: 'retyped', retypes: retry, firstShown: first.shown};
    }
    if (v.kind === 'absent') {
      throw new StepError(`the typed line is no longer on screen after typing it again (${v.why}): ${describeMismatch(expected, first.shown)}; the screen shows: ${screenSummary(screen.lines)}`);
    }
  }
}

/** The line's right part (`kept`, after the prompt `before`) ends at the cursor: the erase showed. */
function showsErased(screen: EchoScreen, kept: string, before: string): boolean {
  if (kept) return compareEcho(screen, kept, {maxErase: 0, before}).kind === 'match';
  const {cursor, lines} = screen;
  if (!cursor) return false;
  return (lines[cursor.row] ?? '').slice(0, cursor.col).trimEnd().endsWith(before.trimEnd());
}

function giveUp(c: LineContext, expected: string, firstShown: string, shown: string, screen: EchoScreen): TypedLine {
  // Glyph recognition can misread a character the same way every time; keys lost are lost at
  // random. The same wrong text three times on a recognised (not exact) screen is a misreading.
  if (!screen.exact && shown === firstShown) {
    c.log('warn', `${describeMismatch(expected, shown)} after ${c.retries} retypes, the same each time: going on, taking it for a misread glyph`);
    return {expected, outcome: 'unverified', retypes: c.retries, firstShown, why: 'the same difference after every retype on a recognised (not exact) screen'};
  }
  throw new StepError(
    `the typed line did not arrive whole after ${c.retries} retypes: ${describeMismatch(expected, shown)}; the screen shows: ${screenSummary(screen.lines)}`,
    'keys are being lost between QEMU and the guest (a host too busy to run the guest); try a larger boot_key_interval, or fewer builds at once',
  );
}

/** A bootloader failure that appeared since the run began: the keys reached it before the line did. */
function failIfBootloaderFailed(c: LineContext, screen: EchoScreen): void {
  if (bootloaderFailureCount(screen.lines) <= c.failuresAtStart) return;
  const f = bootloaderFailure(screen.lines)!;
  const what = f.file ? `could not load "${f.file}"` : 'got no file name to load';
  throw new StepError(`${EARLY}: the bootloader ${what} (${f.line}); the screen shows: ${screenSummary(screen.lines)}`, TYPED_TOO_EARLY_HINT);
}

/** After the Enter of a line that could not be verified: did the bootloader fail on what it got? */
async function failureAfterEnter(c: LineContext, before: EchoScreen | undefined): Promise<void> {
  if (!before) return;
  const deadline = Date.now() + c.t.changeMs;
  let last = before;
  let changedAt = 0;
  while (Date.now() < deadline) {
    await sleep(c.t.pollMs, c.signal);
    const s = await c.reader.read();
    if (!s) return;
    failIfBootloaderFailed({...c, failuresAtStart: bootloaderFailureCount(before.lines)}, s);
    if (!sameScreen(s, last)) changedAt = Date.now();
    else if (changedAt && Date.now() - changedAt >= c.t.quietMs) return;
    last = s;
  }
}

/** At the end of a run: if nothing on screen changed while it was typed, nothing received it. */
async function screenReacted(c: LineContext, start: EchoScreen | undefined, startVersion: number | undefined, keyCount: number): Promise<void> {
  const deadline = Date.now() + c.t.changeMs;
  let now: EchoScreen | undefined;
  for (;;) {
    now = await c.reader.read();
    if (!start !== !now) return; // readable as text before and not after (or the reverse): the mode changed
    if (start && now && !sameScreen(start, now)) return;
    // Exact text and cursor unchanged is enough. Recognised text misses colour changes (a menu's
    // highlight moving): there the framebuffer must be unchanged too, and unknown counts as changed.
    if (!(start?.exact && now?.exact)) {
      const v = c.reader.version?.();
      if (v === undefined || startVersion === undefined || v !== startVersion) return;
    }
    if (Date.now() >= deadline) break;
    await sleep(c.t.pollMs, c.signal);
  }
  const shows = now ? `; the screen shows: ${screenSummary(now.lines)}` : '';
  throw new StepError(`${EARLY}: the screen did not change while ${keyCount} keys were typed${shows}`, TYPED_TOO_EARLY_HINT);
}

/**
 * Read until `done`, or until the screen has stopped changing for quietMs, or echoMs passed.
 * Undefined when the screen cannot be read as text.
 */
async function settle(c: LineContext, done: (s: EchoScreen) => boolean): Promise<EchoScreen | undefined> {
  const started = Date.now();
  let last = await c.reader.read();
  if (!last) return undefined;
  let changedAt = Date.now();
  for (;;) {
    if (done(last)) return last;
    if (Date.now() - changedAt >= c.t.quietMs || Date.now() - started >= c.t.echoMs) return last;
    await sleep(c.t.pollMs, c.signal);
    const next = await c.reader.read();
    if (!next) return last;
    if (next.lines.some((l, i) => l !== last!.lines[i]) || next.lines.length !== last.lines.length) changedAt = Date.now();
    last = next;
  }
}
