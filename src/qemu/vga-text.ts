/**
 * Reads the screen exactly while the guest is in VGA text mode: the characters and attributes
 * are in video memory at 0xB8000, which QMP's pmemsave copies to a file. Exact where glyph
 * recognition would guess — but only in text mode: after a switch to graphics the memory still
 * holds stale text, so the caller must say whether the screen looks like text mode.
 */
import {mkdtemp, readFile, rm} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type {QmpClient} from './qmp.js';

/** Code page 437, as the VGA ROM font draws it (0x00 shows as a blank). */
const CP437 =
  ' ☺☻♥♦♣♠•◘○◙♂♀♪♫☼►◄↕‼¶§▬↨↑↓→←∟↔▲▼' +
  ' !"#$%&\'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~⌂' +
  'ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»░▒▓│┤╡╢╖╕╣║╗╝╜╛┐└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■ ';

const CP437_CHARS = [...CP437];

export interface VgaText {
  cols: number;
  rows: number;
  lines: string[];
  /** Attribute byte per cell (low nibble foreground, high nibble background), row-major. */
  attrs: Uint8Array;
}

/** Decode text-mode video memory (char, attribute pairs). Pure, for tests. */
export function decodeVgaText(mem: Uint8Array, cols = 80, rows = 25): VgaText {
  const lines: string[] = [];
  const attrs = new Uint8Array(cols * rows);
  for (let r = 0; r < rows; r++) {
    let line = '';
    for (let c = 0; c < cols; c++) {
      const i = (r * cols + c) * 2;
      line += CP437_CHARS[mem[i] ?? 0x20] ?? ' ';
      attrs[r * cols + c] = mem[i + 1] ?? 0;
    }
    lines.push(line.trimEnd());
  }
  return {cols, rows, lines, attrs};
}

/** QEMU draws 80x25 text mode at 720x400 (9x16 cells); other text geometries are rare. */
export function looksLikeTextMode(width: number, height: number): boolean {
  return width === 720 && height === 400;
}

/** Copy the text page out of guest memory via QMP and decode it. */
export async function readVgaText(qmp: QmpClient): Promise<VgaText> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'vmbench-vga-'));
  const file = path.join(dir, 'text.bin');
  try {
    await qmp.execute('pmemsave', {val: 0xb8000, size: 80 * 25 * 2, filename: file});
    return decodeVgaText(await readFile(file));
  } finally {
    await rm(dir, {recursive: true, force: true});
  }
}
