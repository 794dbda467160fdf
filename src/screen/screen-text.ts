/**
 * One way to ask "what text is on the VM's screen?": exactly from video memory while the VGA is
 * in text mode (QMP), otherwise by recognising console-font glyphs on a frame (a VNC frame, or
 * a QMP screendump). Powers the boot command's `<waitFor "boot:">`.
 */
import type {QmpClient} from '../qemu/qmp.js';
import type {PixelSource} from '../vnc/framebuffer.js';
import {loadConsoleFonts, type ConsoleFont} from './font.js';
import {matchGlyphs, type GlyphLayout, type GlyphMatchOptions} from './glyph-match.js';
import {buildGlyphTables, type GlyphTable} from './glyph-table.js';
import {screendump} from './screendump.js';
import {readVgaText, VGA_PALETTE} from './vga-text.js';

export type ScreenMode = 'vga-text' | 'glyphs' | 'unknown';

export interface ScreenText {
  mode: ScreenMode;
  /** One string per text row, trailing spaces removed; empty when the mode is 'unknown'. */
  lines: string[];
  /** 1 for video memory; the recognised share of inked cells for glyphs; 0 when unknown. */
  confidence: number;
  cols: number;
  rows: number;
  /** Per cell (row-major) colours, 0xRRGGBB; in VGA text mode from the BIOS's default palette. */
  fg?: Uint32Array;
  bg?: Uint32Array;
  cursor?: {row: number; col: number};
  /** The grid the glyphs were found on: pass it back as `layout` to speed up the next frame. */
  layout?: GlyphLayout;
  /** How the text was read, or why it could not be. */
  detail: string;
}

export interface ReadScreenTextOptions {
  /** Read VGA text memory (exact), and take a screendump when no frame is given. */
  qmp?: QmpClient;
  /** The current frame (e.g. the VNC framebuffer), for glyph recognition. */
  frame?: PixelSource;
  /** Fonts to recognise glyphs with. Default: {@link defaultFonts}. */
  fonts?: readonly ConsoleFont[];
  /** Glyph results below this confidence count as 'unknown'. Default 0.5. */
  minConfidence?: number;
  /** A grid hint from the previous result (see ScreenText.layout). */
  layout?: GlyphLayout;
  /** Options for glyph matching. */
  glyphs?: Omit<GlyphMatchOptions, 'layout'>;
  /** For QEMU's temporary files (memory and screen dumps). Default os.tmpdir(). */
  tmpDir?: string;
}

let defaults: Promise<readonly ConsoleFont[]> | undefined;

/** The default console fonts (loaded once, at first use, from the installed font package). */
export function defaultFonts(): Promise<readonly ConsoleFont[]> {
  defaults ??= loadConsoleFonts();
  return defaults;
}

// Glyph tables are built once per fonts array.
const tableCache = new WeakMap<readonly ConsoleFont[], GlyphTable[]>();
function tablesFor(fonts: readonly ConsoleFont[]): GlyphTable[] {
  let t = tableCache.get(fonts);
  if (!t) tableCache.set(fonts, (t = buildGlyphTables(fonts)));
  return t;
}

/**
 * Read the screen's text: VGA text memory when `qmp` is given and the guest is in text mode;
 * else glyph recognition on `frame` (or on a screendump taken through `qmp`).
 */
export async function readScreenText(opts: ReadScreenTextOptions): Promise<ScreenText> {
  const {qmp, minConfidence = 0.5} = opts;
  let why = '';
  if (qmp) {
    const vga = await readVgaText(qmp, {tmpDir: opts.tmpDir});
    if (vga.kind === 'text') {
      const fg = new Uint32Array(vga.attrs.length);
      const bg = new Uint32Array(vga.attrs.length);
      vga.attrs.forEach((a, i) => ((fg[i] = VGA_PALETTE[a & 15]!), (bg[i] = VGA_PALETTE[(a >> 4) & 7]!)));
      const {lines, cols, rows, cursor} = vga;
      return {mode: 'vga-text', lines, confidence: 1, cols, rows, fg, bg, cursor, detail: `VGA text memory, ${cols}x${rows}`};
    }
    why = `${vga.reason}; `;
  }
  const frame = opts.frame ?? (qmp ? await screendump(qmp, opts.tmpDir) : undefined);
  if (!frame) return unknown(`${why}no frame to read`);
  const fonts = opts.fonts ?? (await defaultFonts());
  if (fonts.length === 0) return unknown(`${why}no console fonts installed (Debian package console-data)`);
  const screen = matchGlyphs(frame, tablesFor(fonts), {...opts.glyphs, layout: opts.layout});
  if (!screen) return unknown(`${why}no text in the fonts' glyphs on the ${frame.width}x${frame.height} frame`);
  const {lines, confidence, cols, rows, fg, bg, cursor, layout} = screen;
  const {picture, shapes} = screen.stats;
  const pictured = picture ? `; ${picture} cells of picture read as spaces${shapes ? ` (${shapes} of them shapes that could be text)` : ''}` : '';
  const detail = `${why}glyphs ${layout.cellWidth}x${layout.glyphHeight} (${Object.keys(screen.fontHits).join(', ')}), ${Math.round(confidence * 1000) / 10}% recognised${pictured}`;
  if (confidence < minConfidence) return {...unknown(detail), cols, rows, layout};
  return {mode: 'glyphs', lines, confidence, cols, rows, fg, bg, cursor, layout, detail};
}

function unknown(detail: string): ScreenText {
  return {mode: 'unknown', lines: [], confidence: 0, cols: 0, rows: 0, detail};
}

/** Where a piece of text was found: row and column of its first character. */
export interface TextMatch {
  row: number;
  col: number;
  /** The matched text. */
  text: string;
}

/**
 * Find `needle` on the screen. Rows that fill the whole width continue on the next row (text
 * the console wrapped), so a needle split by wrapping is found too. Returns the first match in
 * reading order, or undefined.
 */
export function findText(screen: Pick<ScreenText, 'lines' | 'cols'>, needle: string | RegExp): TextMatch | undefined {
  const re = typeof needle === 'string' ? undefined : new RegExp(needle.source, needle.flags.replace(/[gy]/g, ''));
  const {lines, cols} = screen;
  for (let start = 0; start < lines.length; ) {
    // One logical line: rows joined while each fills the width.
    let end = start;
    let text = lines[start]!;
    const offsets = [0];
    while (cols > 0 && lines[end]!.length >= cols && end + 1 < lines.length) {
      end++;
      offsets.push(text.length);
      text += lines[end]!;
    }
    let at = -1;
    let found = '';
    if (re) {
      const m = re.exec(text);
      if (m) (at = m.index), (found = m[0]);
    } else {
      at = text.indexOf(needle as string);
      found = needle as string;
    }
    if (at >= 0) {
      let k = offsets.length - 1;
      while (offsets[k]! > at) k--;
      return {row: start + k, col: at - offsets[k]!, text: found};
    }
    start = end + 1;
  }
  return undefined;
}
