/**
 * One bitmap, several characters: unifont draws Latin `a e o p c x` and Cyrillic `а е о р с х`
 * (and Latin `E`, Greek `Ε`, Cyrillic `Е`) identically, so a glyph alone cannot say which was
 * written. The word around it can: in `Беларуская` the `Б л к я` are Cyrillic only, so its
 * `е а р с` are Cyrillic too. A word whose other letters name no single script keeps each
 * glyph's best-ranked reading (ASCII first). Pure.
 */

/** The scripts whose letters fonts draw alike; others are never ambiguous with these. */
const SCRIPTS: ReadonlyArray<[string, RegExp]> = [
  ['Latin', /\p{Script=Latin}/u],
  ['Greek', /\p{Script=Greek}/u],
  ['Cyrillic', /\p{Script=Cyrillic}/u],
  ['Armenian', /\p{Script=Armenian}/u],
  ['Arabic', /\p{Script=Arabic}/u],
  ['Hebrew', /\p{Script=Hebrew}/u],
  ['Georgian', /\p{Script=Georgian}/u],
];

const LETTER = /[\p{L}\p{M}]/u;

/** The script of a letter (one of a few that share shapes), or undefined. */
export function scriptOf(ch: string): string | undefined {
  for (const [name, re] of SCRIPTS) if (re.test(ch)) return name;
  return undefined;
}

/**
 * Choose, in place, the reading of each ambiguous character in `chars` (one string per read
 * character; `alts[i]` lists every reading of an ambiguous one, best-ranked first): in a word
 * (a run of letters) whose unambiguous letters are all of one script, the reading in that script.
 */
export function resolveScripts(chars: string[], alts: ReadonlyArray<readonly string[] | undefined>): void {
  for (let i = 0; i < chars.length; ) {
    if (!isLetter(chars[i]!, alts[i])) {
      i++;
      continue;
    }
    let end = i;
    while (end < chars.length && isLetter(chars[end]!, alts[end])) end++;
    resolveWord(chars, alts, i, end);
    i = end;
  }
}

function isLetter(ch: string, alts: readonly string[] | undefined): boolean {
  return LETTER.test(ch) || (alts?.some((a) => LETTER.test(a)) ?? false);
}

function resolveWord(chars: string[], alts: ReadonlyArray<readonly string[] | undefined>, start: number, end: number): void {
  let script: string | undefined;
  let ambiguous = false;
  for (let i = start; i < end; i++) {
    const list = alts[i];
    const scripts = new Set((list ?? [chars[i]!]).map(scriptOf));
    if (scripts.size > 1) {
      ambiguous = true;
      continue;
    }
    const s = [...scripts][0];
    if (s === undefined) continue;
    if (script !== undefined && script !== s) return; // mixed scripts: leave the word as it reads
    script = s;
  }
  if (!ambiguous || script === undefined) return;
  for (let i = start; i < end; i++) {
    const pick = alts[i]?.find((a) => scriptOf(a) === script);
    if (pick !== undefined) chars[i] = pick;
  }
}
