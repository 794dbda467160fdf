import {describe, expect, it} from 'vitest';
import {decodeVgaText, looksLikeTextMode} from '../../src/qemu/vga-text.js';

function page(lines: Array<[string, number] | number[]>): Uint8Array {
  const mem = new Uint8Array(80 * 25 * 2);
  for (let i = 0; i < mem.length; i += 2) [mem[i], mem[i + 1]] = [0x20, 0x07];
  lines.forEach((l, r) => {
    const bytes = typeof l[0] === 'string' ? [...Buffer.from(l[0], 'latin1')] : (l as number[]);
    const attr = typeof l[0] === 'string' ? (l[1] as number) : 0x07;
    bytes.forEach((b, c) => {
      mem[(r * 80 + c) * 2] = b;
      mem[(r * 80 + c) * 2 + 1] = attr;
    });
  });
  return mem;
}

describe('decodeVgaText', () => {
  it('decodes characters and attributes row by row, trimming trailing blanks', () => {
    const t = decodeVgaText(page([['ISOLINUX 6.04', 0x07], ['boot: ', 0x1f]]));
    expect(t.lines.slice(0, 3)).toEqual(['ISOLINUX 6.04', 'boot:', '']);
    expect(t.lines).toHaveLength(25);
    expect(t.attrs[80]).toBe(0x1f);
    expect(t.attrs[0]).toBe(0x07);
  });

  it('maps code page 437 graphics, not Latin-1', () => {
    const t = decodeVgaText(page([[0xc9, 0xcd, 0xbb, 0xb0, 0xdb, 0x01, 0x82, 0xe1, 0x00, 0x41]]));
    expect(t.lines[0]).toBe('╔═╗░█☺éß A');
  });
});

describe('looksLikeTextMode', () => {
  it.each([
    [720, 400, true],
    [640, 480, false],
    [800, 600, false],
    [1280, 800, false],
  ])('%ix%i → %s', (w, h, yes) => expect(looksLikeTextMode(w, h)).toBe(yes));
});
