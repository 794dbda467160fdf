/**
 * Which debconf template is on screen: the dialog's words (heading, body, prompt) aligned with
 * each template's short and extended description, `${VAR}` substitutions matching any run of
 * words, list items compared with the template's choices, and the template's type checked
 * against the dialog's shape. Word alignment makes it indifferent to wrapping, whitespace and a
 * body cut off by a scrolled text box.
 */
import type {DebconfTemplate, NewtDialog, TemplateMatch} from './types.js';

/** Screen words the best template must explain, and share of them it must match word for word. */
const MIN_EXPLAINED = 0.6;
const MIN_EXACT = 0.45;
/** Share of the template's own words the screen must show (unless the text is scrolled). */
const MIN_COVERAGE = 0.3;
/** Ranks this close count as a tie (alternatives). */
const TIE = 1e-6;

const VAR = '\u0000var';

interface Prepared {
  tokens: string[];
  words: Set<string>;
  /** Tokens that are not `${VAR}`. */
  fixed: number;
  /** Normalised static choices, undefined when the choices are filled in at run time. */
  choices?: string[];
}

const cache = new WeakMap<DebconfTemplate, Prepared>();

/** Lower-cased words, punctuation trimmed from their ends; `${VAR}` words become a wildcard. */
export function tokens(text: string): string[] {
  const out: string[] = [];
  for (const raw of text.replace(/[’‘]/g, "'").replace(/[“”]/g, '"').toLowerCase().split(/\s+/)) {
    if (raw.includes('${')) {
      if (out.at(-1) !== VAR) out.push(VAR);
      continue;
    }
    const w = raw.replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, '');
    if (w) out.push(w);
  }
  return out;
}

const norm = (s: string): string => s.replace(/\s+/g, ' ').trim().toLowerCase();

function prepare(t: DebconfTemplate): Prepared {
  let p = cache.get(t);
  if (p) return p;
  // cdebconf shows a note's/error's short description above its body, any other type's below it.
  const headingFirst = t.type === 'note' || t.type === 'error' || t.type === 'text';
  const text = headingFirst ? `${t.short}\n${t.extended}` : `${t.extended}\n${t.short}`;
  const toks = tokens(text);
  const staticChoices = t.choicesShown && !t.choicesShown.some((c) => c.includes('${')) ? t.choicesShown.map(norm) : undefined;
  p = {tokens: toks, words: new Set(toks), fixed: toks.filter((w) => w !== VAR).length, choices: staticChoices};
  cache.set(t, p);
  return p;
}

/** The dialog's words in reading order (heading, body, prompt). */
function screenTokens(d: NewtDialog): string[] {
  return tokens([d.heading ?? '', ...d.paragraphs, d.prompt ?? ''].join('\n'));
}

/**
 * Align screen words S with template words T. Returns the screen words explained (matched
 * exactly or swallowed by a `${VAR}`) and those matched exactly (a longest common subsequence).
 */
function align(s: string[], t: string[]): {explained: number; exact: number} {
  const m = t.length;
  let prevE = new Int32Array(m + 1);
  let prevL = new Int32Array(m + 1);
  let curE = new Int32Array(m + 1);
  let curL = new Int32Array(m + 1);
  for (let i = 1; i <= s.length; i++) {
    const w = s[i - 1];
    curE[0] = 0;
    curL[0] = 0;
    for (let j = 1; j <= m; j++) {
      const tj = t[j - 1];
      let e = Math.max(prevE[j]!, curE[j - 1]!);
      let l = Math.max(prevL[j]!, curL[j - 1]!);
      if (tj === w) {
        e = Math.max(e, prevE[j - 1]! + 1);
        l = Math.max(l, prevL[j - 1]! + 1);
      } else if (tj === VAR) {
        e = Math.max(e, prevE[j]! + 1, prevE[j - 1]! + 1);
      }
      curE[j] = e;
      curL[j] = l;
    }
    [prevE, curE] = [curE, prevE];
    [prevL, curL] = [curL, prevL];
  }
  return {explained: prevE[m]!, exact: prevL[m]!};
}

/** How well the template's type fits the dialog's shape (1 fits, less does not). */
function typeFit(d: NewtDialog, type: string): number {
  if (type === 'title') return 0;
  const labels = d.buttons.map((b) => b.label);
  if (d.entry) return type === 'password' ? (d.entry.password ? 1 : 0.9) : type === 'string' ? (d.entry.password ? 0.8 : 1) : 0.3;
  if (d.list) return type === 'multiselect' ? (d.list.checked ? 1 : 0.7) : type === 'select' ? (d.list.checked ? 0.7 : 1) : 0.3;
  if (labels.includes('Yes') && labels.includes('No')) return type === 'boolean' ? 1 : 0.3;
  if (d.heading) return type === 'error' || type === 'note' ? 1 : type === 'text' ? 0.8 : 0.3;
  // Continue alone: a note or error without a short description, or the first window of a long select.
  return type === 'note' || type === 'error' || type === 'text' ? 0.9 : type === 'select' || type === 'multiselect' ? 0.7 : 0.4;
}

/** Share of the list's items that are among the template's static choices (truncated items by prefix). */
function itemFit(d: NewtDialog, p: Prepared): number | undefined {
  if (!d.list || !p.choices || !d.list.items.length) return undefined;
  const hits = d.list.items.filter((item) => {
    const n = norm(item);
    return p.choices!.some((c) => c === n || (n.length >= 8 && c.startsWith(n)));
  }).length;
  return hits / d.list.items.length;
}

interface Scored {
  template: DebconfTemplate;
  score: number;
  rank: number;
  order: number;
}

/**
 * The template the dialog shows, or undefined when none explains it well enough (at least 60% of
 * its words, 45% word for word, and 30% of the template's own words unless the body is scrolled).
 * Ties (e.g. mirror/http/hostname and mirror/ftp/hostname share their texts) go to the template
 * whose default is on screen, then to the first one; the others are listed as `alternatives`.
 */
export function matchTemplate(dialog: NewtDialog, templates: readonly DebconfTemplate[]): TemplateMatch | undefined {
  const s = screenTokens(dialog);
  const distinct = new Set(s);
  const scored: Scored[] = [];
  templates.forEach((template, order) => {
    const fit = typeFit(dialog, template.type);
    if (fit === 0) return;
    const p = prepare(template);
    const items = itemFit(dialog, p);
    let score: number;
    let rank: number;
    if (s.length) {
      // Quick reject: too few of the screen's words appear in the template at all.
      let shared = 0;
      for (const w of distinct) if (p.words.has(w)) shared++;
      if (!p.words.has(VAR) && shared < distinct.size * MIN_EXACT) return;
      const {explained, exact} = align(s, p.tokens);
      score = explained / s.length;
      const coverage = p.fixed ? exact / p.fixed : 0;
      if (score < MIN_EXPLAINED || exact / s.length < MIN_EXACT) return;
      if (!dialog.textScrolled && coverage < MIN_COVERAGE) return;
      rank = ((exact + explained) / 2 / s.length) * (0.5 + 0.5 * Math.min(1, coverage)) * fit;
      if (items !== undefined) rank *= 0.7 + 0.3 * items;
    } else if (items !== undefined && items >= MIN_EXPLAINED) {
      score = items;
      rank = items * fit;
    } else return;
    scored.push({template, score, rank, order});
  });
  if (!scored.length) return undefined;
  const onScreen = new Set([dialog.entry?.value, dialog.list && dialog.list.selected !== undefined ? dialog.list.items[dialog.list.selected] : undefined].filter((v): v is string => !!v));
  const showsDefault = (t: DebconfTemplate): number => (t.default !== undefined && onScreen.has(t.default) ? 1 : 0);
  scored.sort((a, b) => b.rank - a.rank || showsDefault(b.template) - showsDefault(a.template) || a.order - b.order);
  const best = scored[0]!;
  const alternatives = scored.slice(1).filter((x) => best.rank - x.rank < TIE).map((x) => x.template);
  return {template: best.template, score: best.score, ...(alternatives.length ? {alternatives} : {})};
}
