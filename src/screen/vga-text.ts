/**
 * Reads a VGA text-mode screen exactly, from video memory, through QMP — no pixels involved.
 *
 * QEMU 7.2 has no "info vga", so the mode is read from the VGA registers with the HMP port
 * commands `i`/`o` (via QMP `human-monitor-command`):
 *  - GR06 bit 0 (graphics controller, misc): 0 = alphanumeric (text) mode; bits 2–3 say where
 *    the window lies (B8000 for colour text);
 *  - the Bochs VBE enable register (ports 0x1CE/0x1CF): set while a VESA/linear framebuffer
 *    mode (vga=788, fbcon, installers) is on;
 *  - CRTC registers: columns (CR01), character height (CR09), rows (vertical display end,
 *    CR12 + CR07 overflow), row stride (CR13), cursor (CR0A, CR0E/0F) and the start address
 *    (CR0C/0D) — Linux's vgacon scrolls by moving the start address, so reading from 0xB8000
 *    itself shows the wrong lines once the console has scrolled.
 * These registers are reached through index/data port pairs that the guest uses too, so the
 * VM is paused (`stop`) while we read them and each index register is put back; a VM that was
 * already paused stays paused. Video memory is then saved with `pmemsave` into a temp file.
 */
import {mkdtemp, readFile, rm} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type {QmpClient} from '../qemu/qmp.js';
import {CP437} from './cp437.js';

export interface VgaTextScreen {
  kind: 'text';
  cols: number;
  rows: number;
  /** Character cell height in scanlines (16 for 80×25 at 720×400). */
  charHeight: number;
  /** Rows decoded from CP437, trailing spaces removed. */
  lines: string[];
  /** Raw character bytes, row-major (cols × rows). */
  chars: Uint8Array;
  /** Raw attribute bytes, row-major: low nibble foreground, high nibble background (bit 7: blink). */
  attrs: Uint8Array;
  /** Where the hardware cursor is, when it is shown and on screen. */
  cursor?: {row: number; col: number};
}

export type VgaTextResult = VgaTextScreen | {kind: 'not-text-mode'; reason: string};

/** The registers {@link textGeometry} needs, as read from the VGA. */
export interface VgaRegisters {
  /** Miscellaneous output (0x3CC): bit 0 selects the colour CRTC ports (0x3D4) over mono (0x3B4). */
  misc: number;
  /** Graphics controller register 6. */
  gr6: number;
  /** Bochs VBE enable register; undefined when the adapter has no Bochs VBE. */
  vbeEnable: number | undefined;
  /** CRTC registers by index (only those read). */
  crtc: Readonly<Record<number, number>>;
}

/** Where the text is and how it is laid out. */
export interface TextGeometry {
  cols: number;
  rows: number;
  charHeight: number;
  /** Characters from one row's start to the next's. */
  stride: number;
  /** First visible character, in characters from the window start. */
  start: number;
  /** Cursor position in characters from the window start, or undefined when hidden. */
  cursor: number | undefined;
  /** Guest-physical address and size of the memory window. */
  windowBase: number;
  windowSize: number;
}

/** The 16 text colours as QEMU shows the BIOS's default palette, 0xRRGGBB (index = attribute nibble). */
export const VGA_PALETTE: readonly number[] = [
  0x000000, 0x0000a8, 0x00a800, 0x00a8a8, 0xa80000, 0xa800a8, 0xa85700, 0xa8a8a8,
  0x575757, 0x5757ff, 0x57ff57, 0x57ffff, 0xff5757, 0xff57ff, 0xffff57, 0xffffff,
];

const CRTC_NEEDED = [0x01, 0x07, 0x09, 0x0a, 0x0c, 0x0d, 0x0e, 0x0f, 0x12, 0x13] as const;
const WINDOWS: ReadonlyArray<[number, number]> = [[0xa0000, 0x20000], [0xa0000, 0x10000], [0xb0000, 0x8000], [0xb8000, 0x8000]];

/** Decide from the registers whether the VGA shows text, and where. Pure. */
export function textGeometry(regs: VgaRegisters): TextGeometry | {reason: string} {
  const hex = (v: number) => `0x${v.toString(16).padStart(2, '0')}`;
  if (regs.gr6 & 0x01) return {reason: `VGA is in a graphics mode (GR06=${hex(regs.gr6)})`};
  if (regs.vbeEnable !== undefined && regs.vbeEnable & 0x01) return {reason: 'a VBE framebuffer mode is enabled'};
  const cr = (i: number) => regs.crtc[i] ?? 0;
  const cols = cr(0x01) + 1;
  const charHeight = (cr(0x09) & 0x1f) + 1;
  let scanlines = cr(0x12) + ((cr(0x07) & 0x02) << 7) + ((cr(0x07) & 0x40) << 3) + 1;
  if (cr(0x09) & 0x80) scanlines = Math.floor(scanlines / 2); // double scan
  const rows = Math.floor(scanlines / charHeight);
  const stride = cr(0x13) * 2;
  const [windowBase, windowSize] = WINDOWS[(regs.gr6 >> 2) & 3]!;
  if (cols < 2 || rows < 1 || stride < cols || stride * rows > windowSize / 2) {
    return {reason: `implausible text geometry (${cols}x${rows}, stride ${stride}): not a text mode`};
  }
  const cursor = cr(0x0a) & 0x20 ? undefined : (cr(0x0e) << 8) | cr(0x0f);
  return {cols, rows, charHeight, stride, start: (cr(0x0c) << 8) | cr(0x0d), cursor, windowBase, windowSize};
}

/** Decode the text of a saved memory window (2 bytes per cell: character, attribute). Pure. */
export function decodeTextMemory(memory: Uint8Array, g: TextGeometry): VgaTextScreen {
  const chars = new Uint8Array(g.cols * g.rows);
  const attrs = new Uint8Array(g.cols * g.rows);
  const lines: string[] = [];
  const cells = memory.length >> 1;
  for (let r = 0; r < g.rows; r++) {
    let line = '';
    for (let c = 0; c < g.cols; c++) {
      // The CRTC wraps around the window: the start address may sit near its end.
      const at = ((g.start + r * g.stride + c) % cells) * 2;
      chars[r * g.cols + c] = memory[at]!;
      attrs[r * g.cols + c] = memory[at + 1]!;
      line += CP437[memory[at]!];
    }
    lines.push(line.trimEnd());
  }
  let cursor: VgaTextScreen['cursor'];
  if (g.cursor !== undefined) {
    const rel = (g.cursor - g.start + cells) % cells;
    const row = Math.floor(rel / g.stride);
    const col = rel % g.stride;
    if (row < g.rows && col < g.cols) cursor = {row, col};
  }
  return {kind: 'text', cols: g.cols, rows: g.rows, charHeight: g.charHeight, lines, chars, attrs, cursor};
}

export interface ReadVgaTextOptions {
  /** Where QEMU may write the memory snapshot (it must be the same machine). Default: os.tmpdir(). */
  tmpDir?: string;
}

/**
 * Read the screen of a VM in VGA text mode exactly, or say why not (`not-text-mode`: a
 * graphics or VBE mode, no VGA, or registers QEMU would not let us read). Pauses the VM for
 * the few milliseconds the register reads take (see the file header).
 */
export function readVgaText(qmp: QmpClient, opts: ReadVgaTextOptions = {}): Promise<VgaTextResult> {
  // Two readers at once would interleave their index-register writes: one at a time per QEMU.
  const previous = busy.get(qmp) ?? Promise.resolve();
  const mine = previous.then(() => readOnce(qmp, opts));
  busy.set(qmp, mine.catch(() => {}));
  return mine;
}

const busy = new WeakMap<QmpClient, Promise<unknown>>();

async function readOnce(qmp: QmpClient, opts: ReadVgaTextOptions): Promise<VgaTextResult> {
  const status = await qmp.execute<{running: boolean}>('query-status');
  if (status.running) await qmp.execute('stop');
  try {
    let regs: VgaRegisters | {reason: string};
    try {
      regs = await readRegisters(qmp);
    } catch (err) {
      return {kind: 'not-text-mode', reason: `cannot read the VGA registers: ${err instanceof Error ? err.message : String(err)}`};
    }
    if ('reason' in regs) return {kind: 'not-text-mode', reason: regs.reason};
    const g = textGeometry(regs);
    if ('reason' in g) return {kind: 'not-text-mode', reason: g.reason};
    // Still paused: the memory matches the start address we read.
    return decodeTextMemory(await saveMemory(qmp, g.windowBase, g.windowSize, opts.tmpDir), g);
  } finally {
    if (status.running) await qmp.execute('cont');
  }
}

async function hmp(qmp: QmpClient, line: string): Promise<string> {
  const out = await qmp.execute<string>('human-monitor-command', {'command-line': line});
  if (typeof out !== 'string') throw new Error(`"${line}": unexpected reply`);
  return out;
}

/** `i /b 0x3cc` answers "portb[0x03cc] = 0x67". */
async function portIn(qmp: QmpClient, port: number, size: 'b' | 'h'): Promise<number> {
  const out = await hmp(qmp, `i /${size} 0x${port.toString(16)}`);
  const m = /=\s*0x([0-9a-f]+)/i.exec(out);
  if (!m) throw new Error(`unexpected answer to a port read: ${out.trim() || '(nothing)'}`);
  return parseInt(m[1]!, 16);
}

async function portOut(qmp: QmpClient, port: number, value: number, size: 'b' | 'h'): Promise<void> {
  const out = await hmp(qmp, `o /${size} 0x${port.toString(16)} 0x${value.toString(16)}`);
  if (out.trim()) throw new Error(`port write refused: ${out.trim()}`);
}

/** Read indexed registers, putting the guest's index back afterwards. */
async function readIndexed(qmp: QmpClient, indexPort: number, indexes: readonly number[], size: 'b' | 'h' = 'b'): Promise<Record<number, number>> {
  const saved = await portIn(qmp, indexPort, size);
  const values: Record<number, number> = {};
  try {
    for (const i of indexes) {
      await portOut(qmp, indexPort, i, size);
      values[i] = await portIn(qmp, indexPort + 1, size);
    }
  } finally {
    await portOut(qmp, indexPort, saved, size);
  }
  return values;
}

async function readRegisters(qmp: QmpClient): Promise<VgaRegisters | {reason: string}> {
  const misc = await portIn(qmp, 0x3cc, 'b');
  // No VGA at all (-vga none): unclaimed ports read as all ones.
  if (misc === 0xff) return {reason: 'no VGA adapter answers'};
  const gr6 = (await readIndexed(qmp, 0x3ce, [6]))[6]!;
  if (gr6 & 0x01) return {misc, gr6, vbeEnable: undefined, crtc: {}};
  // Bochs VBE (QEMU's std VGA): ID 0xB0C0–0xB0CF at index 0, enable at index 4.
  let vbeEnable: number | undefined;
  if ((await portIn(qmp, 0x1ce, 'h')) !== 0xffff) {
    const vbe = await readIndexed(qmp, 0x1ce, [0, 4], 'h');
    if ((vbe[0]! & 0xfff0) === 0xb0c0) vbeEnable = vbe[4];
  }
  if (vbeEnable !== undefined && vbeEnable & 0x01) return {misc, gr6, vbeEnable, crtc: {}};
  const crtc = await readIndexed(qmp, misc & 0x01 ? 0x3d4 : 0x3b4, CRTC_NEEDED);
  return {misc, gr6, vbeEnable, crtc};
}

async function saveMemory(qmp: QmpClient, address: number, size: number, tmpDir = os.tmpdir()): Promise<Uint8Array> {
  const dir = await mkdtemp(path.join(tmpDir, 'vmbench-vga-'));
  try {
    const file = path.join(dir, 'text.bin');
    await qmp.execute('pmemsave', {val: address, size, filename: file});
    return await readFile(file);
  } finally {
    await rm(dir, {recursive: true, force: true});
  }
}
