/**
 * How many terminal cells text takes, by the rules of sindresorhus' string-width and
 * get-east-asian-width — the libraries ink lays out its rows with, so a row we cut to a width
 * is the width ink and the terminal give it: grapheme clusters (an emoji ZWJ sequence, a flag, a
 * keycap, a letter with combining marks) count as one, RGI emoji and East Asian Wide/Fullwidth
 * characters take 2, zero-width and control characters 0. Shared by the workbench's panes
 * (truncation) and the text painter that draws the VM's screen (where a wide character covers
 * two cells of the guest's grid too).
 *
 * Printable ASCII — nearly every log line — never reaches the libraries: its width is its length.
 */
import stringWidth from 'string-width';

const ASCII_PRINTABLE = /^[\x20-\x7e]*$/;
/**
 * Code points that can join their neighbours into one grapheme cluster (marks, joiners and
 * other format characters, regional indicators, Hangul jamo, emoji modifiers, tags, the few
 * spacing/prepend letters). A string without any is measured code point by code point from a
 * table — string-width itself segments every string with Intl.Segmenter, which costs ~1 µs per
 * character on Node 20 (bench/cell-width.mjs).
 */
const CLUSTERING = /[\p{Grapheme_Extend}\p{M}\p{Cf}\p{Regional_Indicator}\p{Emoji_Modifier}\u1100-\u11ff\ua960-\ua97f\ud7b0-\ud7ff\u0e33\u0eb3\u0d4e\u{e0000}-\u{e0fff}]/u;

/**
 * Code points that may join the one after them: the zero-width joiner, Unicode's Prepend class,
 * Hangul leading jamo (L + a syllable is one cluster) and the Indic conjunct linkers (viramas).
 * Joining too much is safe — a piece of several clusters is measured whole by string-width —
 * joining too little is not.
 */
const JOINS_NEXT = /[\u1100-\u115f\ua960-\ua97c\u094d\u09cd\u0acd\u0b4d\u0c4d\u0d4d\u200d\u0600-\u0605\u06dd\u070f\u0890\u0891\u08e2\u0d4e\u{110bd}\u{110cd}\u{111c2}\u{111c3}\u{1193f}\u{11941}\u{11a3a}\u{11a84}-\u{11a89}\u{11d46}\u{11f02}]/u;

/**
 * What is known of each BMP code point once looked up (-1: not yet): its width on its own
 * (bits 0-1) and whether it can join a cluster (bit 2). The screen painter asks per cell.
 */
const bmp = new Int8Array(0x10000).fill(-1);
const astral = new Map<number, number>();
const JOINS = 4;
const JOINS_FORWARD = 8;

/** A code point on its own, exactly as string-width measures it, and whether it clusters. */
function lookUp(cp: number): number {
  if (cp >= 0xd800 && cp <= 0xdfff) return JOINS; // a lone surrogate: zero-width, let string-width see it
  const ch = String.fromCodePoint(cp);
  return Math.min(2, stringWidth(ch)) | (CLUSTERING.test(ch) ? JOINS : 0) | (JOINS_NEXT.test(ch) ? JOINS_FORWARD : 0);
}

function info(cp: number): number {
  if (cp > 0xffff) {
    let a = astral.get(cp);
    if (a === undefined) astral.set(cp, (a = lookUp(cp)));
    return a;
  }
  let v = bmp[cp]!;
  if (v < 0) bmp[cp] = v = lookUp(cp);
  return v;
}

/** Cells one code point takes on its own (0 for controls, combining marks, joiners). */
export function codePointWidth(cp: number): 0 | 1 | 2 {
  if (cp < 0x7f) return cp < 0x20 ? 0 : 1;
  if (cp < 0xa0) return 0;
  return (info(cp) & 3) as 0 | 1 | 2;
}

/** True for plain printable ASCII (one cell per character, no work to do). */
export function isPrintableAscii(s: string): boolean {
  return ASCII_PRINTABLE.test(s);
}

const joins = (cp: number): boolean => cp >= 0x300 && (info(cp) & JOINS) !== 0;
const joinsNext = (cp: number): boolean => cp >= 0x600 && (info(cp) & JOINS_FORWARD) !== 0;

/**
 * string-width of a piece that holds clusters of several code points, remembered: the same emoji
 * sequences and accented words recur line after line, and each call segments its input anew.
 */
const clusterWidths = new Map<string, number>();
const MAX_REMEMBERED = 4096;
function clusterWidth(piece: string): number {
  let w = clusterWidths.get(piece);
  if (w === undefined) {
    if (clusterWidths.size >= MAX_REMEMBERED) clusterWidths.clear();
    clusterWidths.set(piece, (w = stringWidth(piece)));
  }
  return w;
}

/**
 * Walks `s` in pieces no grapheme cluster straddles: a code point that joins nothing on either
 * side is a piece of its own (measured from the table); a code point followed by joining ones
 * (an accent, a ZWJ and what it joins, a skin tone, a variation selector, a flag's second
 * half, …) or after a Prepend character is a piece measured by string-width. `visit` returns
 * false to stop.
 */
function pieces(s: string, visit: (start: number, end: number, width: number) => boolean): void {
  for (let i = 0; i < s.length; ) {
    const cp = s.codePointAt(i)!;
    let j = i + (cp > 0xffff ? 2 : 1);
    if (j < s.length && (joins(s.codePointAt(j)!) || joinsNext(cp) || joins(cp))) {
      let prev = cp;
      while (j < s.length) {
        const c = s.codePointAt(j)!;
        if (!joins(c) && !joinsNext(prev)) break;
        j += c > 0xffff ? 2 : 1;
        prev = c;
      }
      if (!visit(i, j, clusterWidth(s.slice(i, j)))) return;
    } else if (!visit(i, j, codePointWidth(cp))) return;
    i = j;
  }
}

/** Terminal cells a string takes (escape sequences are not counted; sanitise first anyway). */
export function displayWidth(s: string): number {
  if (ASCII_PRINTABLE.test(s)) return s.length;
  if (s.includes('\x1b') || s.includes('\x9b')) return stringWidth(s);
  let w = 0;
  pieces(s, (_a, _b, pw) => ((w += pw), true));
  return w;
}

const segmenter = new Intl.Segmenter();

/**
 * The longest start of `s` that fits in `cells`, cut between grapheme clusters (never inside an
 * emoji sequence or between a letter and its accent), and its width.
 */
export function sliceToWidth(s: string, cells: number): {text: string; width: number} {
  if (cells <= 0) return {text: '', width: 0};
  if (ASCII_PRINTABLE.test(s)) return s.length <= cells ? {text: s, width: s.length} : {text: s.slice(0, cells), width: cells};
  let width = 0;
  let end = 0;
  pieces(s, (a, b, w) => {
    if (width + w <= cells) {
      width += w;
      end = b;
      return true;
    }
    // A piece of several clusters that does not fit whole: its clusters, as far as they fit.
    if (b - a === 1 || (b - a === 2 && s.codePointAt(a)! > 0xffff)) return false; // one code point: nothing to split
    for (const {segment, index} of segmenter.segment(s.slice(a, b))) {
      const sw = clusterWidth(segment);
      if (width + sw > cells) break;
      width += sw;
      end = a + index + segment.length;
    }
    return false;
  });
  return {text: s.slice(0, end), width};
}
