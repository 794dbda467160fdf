import {describe, expect, it} from 'vitest';
import {resolveScripts, scriptOf} from '../../src/screen/script-words.js';
import {edgeRectangle} from '../../src/screen/glyph-cell.js';
import {shiftInvariant, weakForGrid} from '../../src/screen/glyph-table.js';

// Readings of the bitmaps unifont shares between scripts (best-ranked first, as glyph tables list them).
const SHARED: Record<string, readonly string[]> = {
  a: ['a', 'а'],
  e: ['e', 'е'],
  p: ['p', 'р'],
  c: ['c', 'с'],
  o: ['o', 'о', 'օ', 'ο'],
  E: ['E', 'Ε', 'Е'],
  n: ['n', 'ո'],
};

/** Read `text` as a glyph reader would (ambiguous letters as their ASCII reading), then resolve. */
function resolve(text: string): string {
  const chars = [...text];
  const alts = chars.map((ch) => SHARED[ch]);
  resolveScripts(chars, alts);
  return chars.join('');
}

describe('resolveScripts', () => {
  it.each([
    // [as read glyph by glyph, after resolving]
    ['Бeлapуcкaя', 'Беларуская'], // Б л у к я are Cyrillic only
    ['Eλληνικά', 'Ελληνικά'], // λ η ν ι κ ά are Greek only
    ['Қaзaқ', 'Қазақ'],
    ['Shqip', 'Shqip'], // S h q i are Latin: stays Latin
    ['ace', 'ace'], // no letter names a script: ASCII
    ['one', 'one'], // n (Latin or Armenian) and o e: no single script named
    ['Бeл Eλλ ace', 'Бел Ελλ ace'], // each word by itself
    ['Бe-ap', 'Бе-ap'], // punctuation ends a word
    ['Бeλa', 'Бeλa'], // mixed scripts: left as read
    ['中文(简体)', '中文(简体)'],
  ])('%s → %s', (read, want) => {
    expect(resolve(read)).toBe(want);
  });

  it('knows the scripts that share shapes', () => {
    expect(['a', 'а', 'α', 'օ', 'ع', 'א', 'ა', '中', '1'].map(scriptOf)).toEqual(['Latin', 'Cyrillic', 'Greek', 'Armenian', 'Arabic', 'Hebrew', 'Georgian', undefined, undefined]);
  });
});

const bits = (rows: string[]): number[] => rows.map((r) => parseInt(r, 2));
const glyph = (pattern: Record<number, string>, height = 16): number[] => bits(Array.from({length: height}, (_, r) => pattern[r] ?? '00000000'));

describe('glyphs that cannot fix a grid', () => {
  it.each([
    // [name, rows, shift-invariant, weak]
    ['─', glyph({8: '11111111'}), true, true],
    ['│', bits(Array(16).fill('00010000')), true, true],
    ['▒', bits(Array.from({length: 16}, (_, r) => (r % 2 ? '01010101' : '10101010'))), true, true],
    ['_', glyph({15: '11111111'}), true, true],
    ['▗', glyph(Object.fromEntries(Array.from({length: 8}, (_, r) => [r + 8, '00001111']))), false, true],
    ['-', glyph({8: '01111110'}), false, true],
    ['A', glyph({2: '00011000', 3: '00100100', 4: '01000010', 5: '01000010', 6: '01111110', 7: '01000010', 8: '01000010'}), false, false],
    // Two row patterns and two column patterns: a crossing of rules, weak like them.
    ['┼', glyph({...Object.fromEntries(Array.from({length: 16}, (_, r) => [r, '00010000'])), 8: '11111111'}), false, true],
    ['├', glyph({...Object.fromEntries(Array.from({length: 16}, (_, r) => [r, '00010000'])), 8: '00011111'}), false, false],
  ])('%s', (_name, rows, invariant, weak) => {
    expect(shiftInvariant(rows, 0, 16, 8)).toBe(invariant);
    expect(weakForGrid(rows, 0, 16, 8)).toBe(weak);
  });
});

describe('edgeRectangle: a cell that is a piece of a rule, box or shadow', () => {
  it.each([
    ['a shadow down the left edge', glyph(Object.fromEntries(Array.from({length: 15}, (_, r) => [r + 1, '10000000']))), true],
    ['a shadow corner pixel', glyph({0: '10000000'}), true],
    ['a rule along the top', glyph({0: '11111111'}), true],
    ['a dot in the middle (a character)', glyph({12: '00011000', 13: '00011000'}), false],
    ['a letter', glyph({2: '00011000', 3: '00100100', 4: '01000010', 6: '01111110'}), false],
  ])('%s', (_name, rows, want) => {
    expect(edgeRectangle(rows, 8)).toBe(want);
  });
});
