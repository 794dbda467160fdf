/**
 * The preseed side of a question on screen: the answer shown in the dialog, the preseed line and
 * the kernel boot parameter that give that answer, and what an existing preseed file says.
 *
 * Preseed lines are debconf-set-selections lines: `owner question type value`, the value being
 * the rest of the line after one blank; `#` starts a comment line; a trailing `\` joins the next
 * line on. Everything the installer asks is owned by `d-i` here.
 */
import type {DebconfTemplate, NewtDialog} from './types.js';

/** A preseed file's line. */
export interface PreseedEntry {
  owner: string;
  question: string;
  type: string;
  value: string;
  /** 1-based line where it starts (continued lines count from their first). */
  line: number;
}

/** Marks a value the user must fill in, e.g. `d-i netcfg/get_domain string <answer>`. */
export const PRESEED_PLACEHOLDER = '<answer>';

/** Types that carry no answer: a preseed line cannot make them go away. */
const NO_ANSWER = new Set(['error', 'text', 'title']);

/**
 * What the dialog holds as the answer to `template`, in the form debconf stores it: the entry's
 * text; the highlighted item mapped back to its choice value (Choices-C through the English
 * choices); the checked items, comma-separated; for Yes/No the focused button as true/false;
 * for a note the empty string. Undefined when it cannot be read: a masked password, nothing
 * selected, a list whose choices are filled in at run time (the language list's ${NAMES_EN}),
 * an error, or a dialog of another shape.
 */
export function answerOf(dialog: NewtDialog, template: DebconfTemplate): string | undefined {
  const {type} = template;
  if (type === 'string' || type === 'password') {
    if (!dialog.entry) return undefined;
    return dialog.entry.password && /^\*+$/.test(dialog.entry.value) ? undefined : dialog.entry.value;
  }
  if (type === 'boolean') {
    const focused = dialog.buttons.find((b) => b.focused)?.label;
    return focused === 'Yes' ? 'true' : focused === 'No' ? 'false' : undefined;
  }
  if (type === 'select') {
    const list = dialog.list;
    if (!list || list.selected === undefined) return undefined;
    return choiceValue(template, list.items[list.selected]!);
  }
  if (type === 'multiselect') {
    const list = dialog.list;
    if (!list?.checked) return undefined;
    const values = list.items.filter((_, i) => list.checked![i]).map((item) => choiceValue(template, item));
    return values.some((v) => v === undefined) ? undefined : values.join(', ');
  }
  if (type === 'note') return '';
  return undefined;
}

/** The choice value behind an item as shown (whitespace-insensitive, a truncated item by prefix). */
function choiceValue(template: DebconfTemplate, item: string): string | undefined {
  const shown = template.choicesShown ?? template.choices;
  const values = template.choices ?? shown;
  if (!shown || !values || shown.length !== values.length || shown.some((c) => c.includes('${'))) return undefined;
  const norm = (s: string) => s.replace(/\s+/g, ' ').trim().toLowerCase();
  const want = norm(item);
  let at = shown.findIndex((c) => norm(c) === want);
  if (at < 0 && want.length >= 8) at = shown.findIndex((c) => norm(c).startsWith(want));
  return at < 0 ? undefined : values[at];
}

/**
 * The value to write when none is given: the template's default unless it is filled in at run
 * time (`${…}`) or a password; else a placeholder (listing the choices when they are static).
 */
function valueFor(template: DebconfTemplate, value: string | undefined): string {
  if (value !== undefined) return value;
  const def = template.default;
  if (def !== undefined && !def.includes('${') && template.type !== 'password') return def;
  if (template.type === 'boolean') return '<true|false>';
  const choices = template.choices;
  if (choices?.length && !choices.some((c) => c.includes('${'))) return `<${choices.join('|')}>`;
  return PRESEED_PLACEHOLDER;
}

/**
 * The preseed line that answers `template` with `value` (`d-i netcfg/get_hostname string myhost`).
 * Without a value: the template's default, or a `<…>` placeholder to fill in. A note gets a line
 * without value (preseeding it marks it seen); an error or text, which no line can answer, a
 * `#` comment saying so.
 */
export function preseedLine(template: DebconfTemplate, value?: string): string {
  if (NO_ANSWER.has(template.type)) return `# ${template.name} is ${template.type === 'error' ? 'an error' : `a ${template.type}`}: no preseed line answers it`;
  if (template.type === 'note') return `d-i ${template.name} note`;
  return `d-i ${template.name} ${template.type} ${oneLine(valueFor(template, value))}`.trimEnd();
}

/**
 * The kernel command line parameter that answers `template` (`netcfg/get_hostname=myhost`), for
 * questions asked before the answer file is read. A value with blanks is double-quoted.
 */
export function bootParameter(template: DebconfTemplate, value?: string): string {
  const v = oneLine(valueFor(template, value));
  return `${template.name}=${/[\s"]/.test(v) ? `"${v.replace(/"/g, '\\"')}"` : v}`;
}

const oneLine = (s: string): string => s.replace(/\r?\n/g, ' ');

/** Components whose questions come before d-i fetches a network answer file in auto mode: the network's. */
const NETWORK = ['netcfg', 'ethdetect', 'hw-detect'];
/** …and, without auto mode (auto=true delays them until after the answer file), language and keyboard. */
const LOCALE_KEYBOARD = ['localechooser', 'console-setup-udeb', 'kbd-chooser'];
/** Questions only the boot command line can answer, whoever asks them. */
const BOOT_ONLY = new Set(['preseed/url', 'preseed/file', 'auto-install/enable', 'debconf/priority', 'debconf/frontend']);

/**
 * Is `template` asked before the installer loads its answer file, so that only the kernel
 * command line can answer it? With `auto=true` d-i configures the network first (netcfg, with
 * ethdetect/hw-detect finding the card), then fetches the preseed, then asks language and
 * keyboard; without it (`auto: false`) language and keyboard come first too. Judged by the
 * template's component (`from`, the templates file it came from) or, failing that, its name.
 * Assumes the answer file comes over the network (`url=`), as in vmbench's profiles; one baked
 * into the initrd is read before all of these.
 */
export function askedBeforeAnswerFile(template: DebconfTemplate, opts: {auto?: boolean} = {}): boolean {
  const auto = opts.auto ?? true;
  if (BOOT_ONLY.has(template.name)) return true;
  const components = auto ? NETWORK : [...NETWORK, ...LOCALE_KEYBOARD];
  if (template.from) return components.includes(template.from);
  const prefixes = auto ? ['netcfg/', 'ethdetect/', 'hw-detect/'] : ['netcfg/', 'ethdetect/', 'hw-detect/', 'localechooser/', 'keyboard-configuration/', 'console-setup/', 'console-keymaps-', 'debian-installer/locale', 'debian-installer/language', 'debian-installer/country'];
  return prefixes.some((p) => template.name.startsWith(p));
}

interface Scanned {
  entries: PreseedEntry[];
  problems: string[];
}

function scan(text: string, file: string): Scanned {
  const entries: PreseedEntry[] = [];
  const problems: string[] = [];
  const lines = text.split('\n').map((l) => l.replace(/\r$/, ''));
  for (let i = 0; i < lines.length; i++) {
    const start = i + 1;
    let line = lines[i]!;
    if (/^\s*#/.test(line) || !line.trim()) continue;
    while (line.endsWith('\\') && i + 1 < lines.length) line = line.slice(0, -1) + lines[++i]!;
    const m = /^\s*(\S+)\s+(\S+)\s+(\S+)(?:\s(.*))?$/.exec(line);
    if (!m) {
      problems.push(`${file}:${start}: expected "owner question type value", got ${JSON.stringify(line.trim().slice(0, 80))}`);
      continue;
    }
    const value = m[4] ?? '';
    if (/\s$/.test(value)) problems.push(`${file}:${start}: ${m[2]} has trailing blanks in its value (they become part of it)`);
    entries.push({owner: m[1]!, question: m[2]!, type: m[3]!, value, line: start});
  }
  return {entries, problems};
}

/** The entries of a preseed file; malformed lines are skipped (see {@link preseedProblems}). */
export function parsePreseed(text: string): PreseedEntry[] {
  return scan(text, 'preseed.cfg').entries;
}

/** What is wrong in a preseed file, each message naming `file:line` (malformed lines, trailing blanks). */
export function preseedProblems(text: string, file = 'preseed.cfg'): string[] {
  return scan(text, file).problems;
}

/** The line that answers `question` (the last one: debconf-set-selections applies them in order), if any. */
export function findAnswer(entries: readonly PreseedEntry[], question: string): PreseedEntry | undefined {
  for (let i = entries.length - 1; i >= 0; i--) {
    const e = entries[i]!;
    if (e.question === question && e.type !== 'seen') return e;
  }
  return undefined;
}
