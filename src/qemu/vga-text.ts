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

/** Read an I/O port through the human monitor (`i /b`); QMP has no command for it. */
async function inb(qmp: QmpClient, port: number): Promise<number> {
  const out = await qmp.execute<string>('human-monitor-command', {'command-line': `i /b 0x${port.toString(16)}`});
  const m = /=\s*0x([0-9a-f]+)/i.exec(out);
  if (!m) throw new Error(`unexpected monitor reply to i /b: ${out.trim()}`);
  return parseInt(m[1]!, 16);
}

async function outb(qmp: QmpClient, port: number, value: number): Promise<void> {
  await qmp.execute('human-monitor-command', {'command-line': `o /b 0x${port.toString(16)} 0x${value.toString(16)}`});
}

/**
 * Where the visible page starts in video memory, in bytes. Linux's vgacon scrolls by moving the
 * CRTC start address through the 32 KiB text area, so the page is not always at 0xB8000.
 * Reading it means selecting CRTC registers 0x0C/0x0D through the index port; the guest's
 * index is put back right after, leaving only a tiny window in which a guest write could race.
 */
async function pageOffset(qmp: QmpClient): Promise<number> {
  const index = await inb(qmp, 0x3d4);
  try {
    await outb(qmp, 0x3d4, 0x0c);
    const hi = await inb(qmp, 0x3d5);
    await outb(qmp, 0x3d4, 0x0d);
    const lo = await inb(qmp, 0x3d5);
    return ((hi << 8) | lo) * 2;
  } finally {
    await outb(qmp, 0x3d4, index);
  }
}

const TEXT_AREA = 0x8000;

/** Copy the visible text page out of guest memory via QMP and decode it. */
export async function readVgaText(qmp: QmpClient): Promise<VgaText> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'vmbench-vga-'));
  const file = path.join(dir, 'text.bin');
  try {
    const offset = (await pageOffset(qmp)) % TEXT_AREA;
    await qmp.execute('pmemsave', {val: 0xb8000, size: TEXT_AREA, filename: file});
    const area = await readFile(file);
    const page = Buffer.alloc(80 * 25 * 2);
    for (let i = 0; i < page.length; i++) page[i] = area[(offset + i) % TEXT_AREA]!;
    return decodeVgaText(page);
  } finally {
    await rm(dir, {recursive: true, force: true});
  }
}
