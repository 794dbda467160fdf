/**
 * Typed text read back from the screen (issue 9, item 5) — the pure part: which text each
 * `<enter>` of a boot command should find echoed before the cursor, where on the screen it is,
 * what arrived instead, how much to erase, and the screens that say the keys went nowhere.
 * No I/O, no timing: src/engine/verified-typing.ts drives it against a live screen.
 *
 * Why the comparison ignores row breaks: bootloaders and consoles wrap a long typed line in
 * their own ways. isolinux fills row 0 to the last column, puts a few characters on the next
 * row and continues on the row after that (test/fixtures/installer-screens/isolinux-boot-typed-
 * 720x400.txt), and redraws the whole line lower down on every backspace. Rows are stored with
 * trailing spaces removed, so a typed space that fell at a row's end is missing from the row:
 * such spaces match a row break for free.
 */
import type {KeyAction} from '../vnc/boot-command.js';
import {Keysym} from '../vnc/keysyms.js';
import {UNKNOWN_CHAR} from '../screen/glyph-match.js';

/** One `<enter>` of a key run, with the text that should be echoed just before it. */
export interface EchoLine {
  /** Index (in the actions) of the `<enter>`/`<return>` press that ends the line. */
  enter: number;
  /** Index of the first action after the reset point (a non-character key, or the start). */
  start: number;
  /** The characters typed since the reset point, `<bs>` applied: what the screen should show. */
  expected: string;
  /** Character keys pressed since the reset point: the most backspaces erasing may send. */
  typedKeys: number;
}

/** The character a key press types, or undefined for keys that type none (Enter, arrows, F-keys…). */
function typedChar(a: KeyAction): string | undefined {
  if (a.kind !== 'press') return undefined;
  const k = a.keysym;
  if (k >= 0xff00 && k <= 0xffff) return undefined; // X11 function keys: Return, BackSpace, Tab, arrows, F1…
  return String.fromCodePoint(k >= 0x01000000 ? k & 0xffffff : k);
}

/**
 * The lines a key run types: for each `<enter>`/`<return>`, the literal characters typed since
 * the last non-character key. `<esc>`, `<tab>`, arrows, F-keys, `<del>`, held modifiers
 * (`<leftCtrlOn>`, `<cOn>`) and Enter itself reset the line — what follows them is not known to
 * be on one echoed line. `<bs>` removes one character; `<spacebar>` is a space; waits change
 * nothing. Lines with nothing typed are included (expected "").
 */
export function echoLines(actions: readonly KeyAction[]): EchoLine[] {
  const out: EchoLine[] = [];
  let start = 0;
  let text: string[] = [];
  let typed = 0;
  actions.forEach((a, i) => {
    if (a.kind === 'wait') return;
    const reset = () => ((start = i + 1), (text = []), (typed = 0));
    if (a.kind === 'press' && a.keysym === Keysym.Return) {
      out.push({enter: i, start, expected: text.join(''), typedKeys: typed});
      return reset();
    }
    if (a.kind === 'press' && a.keysym === Keysym.BackSpace) return void text.pop();
    const ch = typedChar(a);
    if (ch === undefined) return reset();
    text.push(ch);
    typed++;
  });
  return out;
}

/** The screen as the comparison needs it (VGA text memory or recognised glyphs). */
export interface EchoScreen {
  /** Text rows, trailing spaces removed. */
  lines: readonly string[];
  cols: number;
  /** The text cursor, when known: the echo of what was typed ends there. */
  cursor?: {row: number; col: number};
  /** Exact text (VGA memory), not recognised glyphs: a difference is a real difference. */
  exact: boolean;
}

export type EchoVerdict =
  /** The screen shows the expected text just before the cursor. */
  | {kind: 'match'; shown: string}
  /**
   * The typed line is there, but not as typed. `shown` is what arrived; `keep` characters of
   * the expected text arrived right before the first difference, and `erase` backspaces remove
   * what came after them (never more than were typed): then `expected.slice(keep)` completes
   * the line. `before` is the text just before the line on its row (the prompt), to check that
   * a retyped line lands in the same place.
   */
  | {kind: 'mismatch'; shown: string; erase: number; keep: number; before: string; edits: number}
  /** The typed text is nowhere before the cursor (no echo, a graphical menu, no cursor…). */
  | {kind: 'absent'; why: string};

export interface CompareEchoOptions {
  /** Character keys typed since the reset point: `erase` never exceeds it. */
  maxErase: number;
  /** The text that must precede the line (from the first read's `before`): for re-reads after a retype. */
  before?: string;
}

/**
 * Prompts after which a typed line certainly goes (isolinux, GRUB, shells): a line right after
 * one is the echo, however garbled.
 */
const PROMPT = /(?:(?:^|\s)boot:|grub>|[#$]) ?/g;

/** How far the echo may differ from the expected text and still count as found (not absent). */
function tolerance(expectedLength: number): number {
  return expectedLength < 4 ? 0 : Math.max(1, Math.floor(expectedLength * 0.3));
}

/**
 * Where the typed text `expected` is echoed on `screen`, and whether it arrived whole. The echo
 * must end at the cursor (without a known cursor only an exact match counts: without that anchor
 * any text could pass for a garbled echo, and retyping into a screen that does not echo — a
 * graphical menu, GRUB's editor — would do harm). It is compared with the rows up to the cursor
 * joined without breaks, any prompt before it allowed.
 */
export function compareEcho(screen: EchoScreen, expected: string, opts: CompareEchoOptions): EchoVerdict {
  if (expected === '') return {kind: 'absent', why: 'nothing was typed on this line'};
  const tail = screenTail(screen, expected.length + (opts.before?.length ?? 0));
  if (!tail) return {kind: 'absent', why: 'the screen shows no text'};
  const prompt = opts.before?.trimEnd();
  // A retyped line must follow the same prompt: leftovers of an erase between them are wrong too.
  const retyped = prompt ? closest(expected, tail, anchorsAfter(tail, (row) => matchesOf(row, prompt))) : undefined;
  let al = retyped ?? align(expected, tail, 0);
  const shown = () => tail.text.slice(al.start);
  // Unrecognised cells match anything, so a run of them (a picture) would match any text.
  const unknown = [...shown()].filter((ch) => ch === UNKNOWN_CHAR).length;
  if (unknown > Math.max(1, shown().length / 10)) return {kind: 'absent', why: 'the screen there is not recognised as text'};
  if (al.cost === 0) return {kind: 'match', shown: shown()};
  if (!screen.cursor) return {kind: 'absent', why: 'the typed text is not on screen and no text cursor shows where it would be'};
  if (!retyped && al.cost > tolerance(expected.length)) {
    // Too garbled to find by likeness (only a tail arrived, or nothing): it is still the typed
    // line if it follows a prompt. The closest such reading wins (the line may contain a `#`).
    const anchored = closest(expected, tail, anchorsAfter(tail, (row) => row.matchAll(PROMPT)));
    if (!anchored) return {kind: 'absent', why: `the text before the cursor does not look like the typed text (${al.cost} edits apart)`};
    al = anchored;
  }
  const rowStart = tail.rowStarts.filter((s) => s <= al.start).at(-1) ?? 0;
  const before = opts.before ?? tail.text.slice(Math.max(rowStart, al.start - 12), al.start);
  // Erasing stops after the last right character (or sooner, at the keys typed: what is left
  // then shows on the next read); the line is typed again from there.
  return {kind: 'mismatch', shown: shown(), erase: Math.min(al.eraseAfterKeep, opts.maxErase), keep: al.keep, before, edits: al.cost};
}

/** The cheapest alignment of `expected` starting at one of `anchors`. */
function closest(expected: string, tail: Tail, anchors: number[]): Alignment | undefined {
  // The last few prompts are enough (a shell screen can show dozens), and each costs a table.
  return anchors
    .slice(-8)
    .reverse() // on a tie the latest prompt wins
    .map((from) => align(expected, tail, from))
    .sort((a, b) => a.cost - b.cost)[0];
}

/** Where a typed line would start after each match in a row. */
function anchorsAfter(tail: Tail, find: (row: string) => Iterable<{index: number; 0: string}>): number[] {
  const out: number[] = [];
  tail.rowStarts.forEach((start, k) => {
    const row = tail.text.slice(start, tail.rowStarts[k + 1] ?? tail.text.length);
    for (const m of find(row)) out.push(start + m.index + m[0].length);
  });
  return out;
}

function* matchesOf(row: string, text: string): Generator<{index: number; 0: string}> {
  for (let at = row.indexOf(text); at >= 0; at = row.indexOf(text, at + 1)) yield {index: at, 0: text};
}

interface Tail {
  /** Rows up to the cursor, joined. */
  text: string;
  /** Offsets in `text` where a row begins after a row that was cut short (trailing spaces gone). */
  breaks: Set<number>;
  rowStarts: number[];
}

/**
 * The rows ending at the cursor (or, without one, at the last non-blank row), joined: enough of
 * them for `need` characters even if each row held only a few (isolinux's odd wrapping).
 */
function screenTail(screen: EchoScreen, need: number): Tail | undefined {
  const {lines, cursor, cols} = screen;
  let endRow = lines.length - 1;
  let last: string;
  if (cursor && cursor.row < lines.length) {
    endRow = cursor.row;
    // Blanks between the text and the cursor are not compared: isolinux leaves its cursor a
    // column or more past the text after redrawing a wrapped line (seen on real screens).
    last = (lines[endRow] ?? '').slice(0, cursor.col).trimEnd();
  } else {
    while (endRow >= 0 && !lines[endRow]!.trim()) endRow--;
    if (endRow < 0) return undefined;
    last = lines[endRow]!;
  }
  const rows = [last];
  let chars = last.length;
  for (let r = endRow - 1; r >= 0 && chars < 2 * need + 2 * cols; r--) {
    rows.unshift(lines[r]!);
    chars += lines[r]!.length;
  }
  let text = '';
  const breaks = new Set<number>();
  const rowStarts: number[] = [];
  rows.forEach((row, k) => {
    if (k > 0 && rows[k - 1]!.length < cols) breaks.add(text.length);
    rowStarts.push(text.length);
    text += row;
  });
  // Trailing spaces typed last are gone (trimmed), so they match the end for free.
  breaks.add(text.length);
  return text.trim() ? {text, breaks, rowStarts} : undefined;
}

interface Alignment {
  /** Edits between the expected text and what the screen shows. */
  cost: number;
  /** Where in the tail's text the typed line begins. */
  start: number;
  /** Characters of the line, from its start, that arrived right (up to the first edit). */
  keep: number;
  /** Backspaces that remove what arrived after those: the characters shown after them, plus spaces hidden by row breaks. */
  eraseAfterKeep: number;
}

/**
 * Edit distance between all of `want` and a suffix of `tail.text`: any suffix (the start is
 * free) when `from` is 0, else the one starting at `from` (after a prompt). A space of `want`
 * at a row break costs nothing (trimmed away, but typed: it counts when erasing); an
 * unrecognised glyph matches anything (but ends what is known to be right). On ties the
 * traceback prefers a missing character over an extra one, so what counts as arrived (and gets
 * erased) is as short as possible: erasing too little is retried, erasing a prompt is not undone.
 */
function align(want: string, tail: Tail, from: number): Alignment {
  const m = want.length;
  const t = tail.text;
  const n = t.length;
  const w = n + 1;
  const d = new Uint32Array((m + 1) * w);
  // A fixed start: screen text before it is out, text after it counts in full — but blanks
  // right after it are free (a prompt's space, trimmed when nothing followed it yet).
  const blanks = from > 0 ? /^ */.exec(t.slice(from))![0].length : 0;
  if (from > 0) for (let j = 0; j <= n; j++) d[j] = j < from ? 1e6 : j <= from + blanks ? 0 : j - from;
  // Spaces hide at row breaks; at the end of the text only the line's trailing spaces can.
  const trailing = want.trimEnd().length;
  const del = (i: number, j: number) => (want[i - 1] === ' ' && tail.breaks.has(j) && (j < n || i > trailing) ? 0 : 1);
  // A wrong character costs as much as a missing plus an extra one: lost keys are the usual
  // fault, and a cheap substitution would let the alignment absorb a prompt's last letters.
  const sub = (i: number, j: number) => (want[i - 1] === t[j - 1] || t[j - 1] === UNKNOWN_CHAR ? 0 : 2);
  for (let i = 1; i <= m; i++) {
    d[i * w] = d[(i - 1) * w]! + del(i, 0);
    for (let j = 1; j <= n; j++) {
      d[i * w + j] = Math.min(d[(i - 1) * w + j - 1]! + sub(i, j), d[(i - 1) * w + j]! + del(i, j), d[i * w + j - 1]! + 1);
    }
  }
  // Walk back, noting the cells passed, the first character of `want` that is not known to be
  // right (`firstEdit`), and the spaces that matched row breaks.
  let i = m;
  let j = n;
  let firstEdit = m;
  const cells: [number, number][] = [[i, j]];
  const hidden: number[] = [];
  while (i > 0) {
    const here = d[i * w + j]!;
    if (j > 0 && t[j - 1] === want[i - 1] && here === d[(i - 1) * w + j - 1]!) (i--, j--);
    else if (here === d[(i - 1) * w + j]! + del(i, j)) {
      if (del(i, j) === 0) hidden.push(i - 1);
      else firstEdit = Math.min(firstEdit, i - 1);
      i--;
    } else if (j > 0 && here === d[(i - 1) * w + j - 1]! + sub(i, j)) (firstEdit = Math.min(firstEdit, i - 1)), i--, j--;
    else (firstEdit = Math.min(firstEdit, i)), j--;
    cells.push([i, j]);
  }
  // From a fixed start, screen text between it (and its blanks) and the first aligned
  // character arrived too.
  const start = from > 0 ? Math.min(j, from + blanks) : j;
  if (from > 0 && j > from + blanks) firstEdit = 0;
  // The right part ends at the leftmost cell of its last row (extra characters after it are wrong).
  const keepEnd = firstEdit === 0 ? start : Math.min(...cells.filter(([ci]) => ci === firstEdit).map(([, cj]) => cj));
  return {cost: d[m * w + n]!, start, keep: firstEdit, eraseAfterKeep: n - keepEnd + hidden.filter((h) => h >= firstEdit).length};
}

/**
 * `typed "…" but the screen shows "…"`, cut to the whole words that differ: a 300-character
 * boot command with one lost key reads as the one argument it broke.
 */
export function describeMismatch(expected: string, shown: string): string {
  let a = 0;
  while (a < expected.length && a < shown.length && expected[a] === shown[a]) a++;
  let z = 0;
  while (z < expected.length - a && z < shown.length - a && expected[expected.length - 1 - z] === shown[shown.length - 1 - z]) z++;
  const from = Math.max(0, expected.lastIndexOf(' ', a - 1) + 1);
  let toE = wordEnd(expected, expected.length - z);
  let toS = wordEnd(shown, shown.length - z);
  // A whole word lost (or added) reads better with the word after it on both sides.
  if (toE === from || toS === from) (toE = wordEnd(expected, toE + 1)), (toS = wordEnd(shown, toS + 1));
  const cut = (s: string, end: number) => clip(s.slice(from, end));
  return `typed "${cut(expected, toE)}" but the screen shows "${cut(shown, toS)}"`;
}

function wordEnd(s: string, at: number): number {
  const sp = at >= s.length ? -1 : s.indexOf(' ', at);
  return sp < 0 ? s.length : sp;
}

function clip(s: string, max = 120): string {
  return s.length <= max ? s : `${s.slice(0, max / 2 - 1)}…${s.slice(-(max / 2 - 1))}`;
}

/** A bootloader's "could not load" line, and the file it named. */
export interface BootloaderFailure {
  /** The file it could not load ("" when it got no name, e.g. the first word was lost). */
  file: string;
  /** The screen line that says so. */
  line: string;
}

/** isolinux 6 (`Loading x... failed: No such file or directory`), syslinux ≤ 4, GRUB 2. */
const FAILURES: readonly RegExp[] = [/Loading (\S*)\s*\.\.\.\s*failed\b/, /Could not find kernel image: (\S*)/, /error: file [`'"]?([^`'"]*)[`'"]? not found/];

/** The last bootloader load failure on the screen, or undefined. */
export function bootloaderFailure(lines: readonly string[]): BootloaderFailure | undefined {
  for (let r = lines.length - 1; r >= 0; r--) {
    for (const re of FAILURES) {
      const m = re.exec(lines[r]!);
      if (m) return {file: m[1] ?? '', line: lines[r]!.trim()};
    }
  }
  return undefined;
}

/** How many bootloader failure lines the screen shows (to tell a new one from an old one). */
export function bootloaderFailureCount(lines: readonly string[]): number {
  return lines.filter((l) => FAILURES.some((re) => re.test(l))).length;
}

/** Same text (and, on exact screens, the same cursor): nothing reacted. */
export function sameScreen(a: EchoScreen, b: EchoScreen): boolean {
  if (a.lines.length !== b.lines.length || a.lines.some((l, i) => l !== b.lines[i])) return false;
  if (!a.exact || !b.exact) return true; // a recognised cursor blinks in and out of frames
  return a.cursor?.row === b.cursor?.row && a.cursor?.col === b.cursor?.col;
}

/** The screen's last non-blank rows, for error messages: `row | row | row`. */
export function screenSummary(lines: readonly string[], rows = 6): string {
  const shown = lines.map((l) => l.trim()).filter(Boolean).slice(-rows);
  return shown.length ? shown.join(' | ') : '(blank)';
}
