/**
 * The screen as a grid of cells, for reading newt windows: text rows become one character per
 * cell (a wide CJK glyph takes two cells, as on the terminal, so columns line up with the
 * per-cell colours), boxes are found by their line-drawing borders, and colours are sorted into
 * the few classes newt's palettes use. Pure helpers for newt-screen.ts.
 */
import {codePointWidth, displayWidth} from '../../util/cell-width.js';

/** What parseNewtScreen reads: a ScreenText (src/screen/screen-text.ts) or anything shaped like it. */
export interface ScreenLike {
  lines: readonly string[];
  cols: number;
  rows: number;
  /** Per cell (row-major, cols × rows) colours, 0xRRGGBB. Ignored when their size does not match. */
  fg?: Uint32Array;
  bg?: Uint32Array;
}

/** A box drawn with ┌ ┐ └ ┘ borders, in screen cells; `title` is the text between ┤ and ├ on its top border. */
export interface GridBox {
  top: number;
  bottom: number;
  left: number;
  right: number;
  title?: string;
}

/** The colour classes of newt's palettes (bterm, VGA text mode and the Linux console all use the CGA colours). */
export type ColourClass = 'black' | 'blue' | 'red' | 'grey' | 'white' | 'other';

/** Box-drawing characters, with the ASCII-free stand-ins a glyph reader may give for unknown cells. */
const UNKNOWN = '\uFFFD';
const H = new Set(['─', UNKNOWN]);
const V = new Set(['│', UNKNOWN]);

/** The screen's text and colours, addressed by cell. */
export class CellGrid {
  readonly rows: number;
  readonly cols: number;
  /** cells[row][col]: one character, ' ' when blank, '' for the right half of a wide character. */
  readonly cells: string[][];
  private readonly fg?: Uint32Array;
  private readonly bg?: Uint32Array;

  constructor(screen: ScreenLike) {
    const widest = Math.max(0, ...screen.lines.map((l) => displayWidth(l)));
    this.cols = Math.max(screen.cols, widest);
    this.rows = Math.max(screen.rows, screen.lines.length);
    this.cells = [];
    for (let r = 0; r < this.rows; r++) {
      const row: string[] = [];
      for (const ch of screen.lines[r] ?? '') {
        row.push(ch);
        if (codePointWidth(ch.codePointAt(0)!) === 2) row.push('');
      }
      while (row.length < this.cols) row.push(' ');
      this.cells.push(row);
    }
    const size = screen.cols * screen.rows;
    if (screen.fg?.length === size && screen.bg?.length === size && screen.cols === this.cols) {
      this.fg = screen.fg;
      this.bg = screen.bg;
    }
  }

  /** Whether per-cell colours are known. */
  get hasColours(): boolean {
    return this.bg !== undefined;
  }

  at(row: number, col: number): string {
    return this.cells[row]?.[col] ?? ' ';
  }

  /** The text of cells [from, to) on a row (wide characters once). */
  text(row: number, from = 0, to = this.cols): string {
    return (this.cells[row] ?? []).slice(from, to).join('');
  }

  /** The first non-blank column in [from, to), or -1. */
  firstInk(row: number, from: number, to: number): number {
    for (let c = from; c < to; c++) if (this.at(row, c).trim()) return c;
    return -1;
  }

  /** The last non-blank column in [from, to), or -1. */
  lastInk(row: number, from: number, to: number): number {
    for (let c = to - 1; c >= from; c--) if (this.at(row, c).trim()) return c;
    return -1;
  }

  bgClass(row: number, col: number): ColourClass | undefined {
    return this.bg ? colourClass(this.bg[row * this.cols + col]!) : undefined;
  }

  fgClass(row: number, col: number): ColourClass | undefined {
    return this.fg ? colourClass(this.fg[row * this.cols + col]!) : undefined;
  }

  /** The most common background class over the cells `pick` accepts (undefined without colours or cells). */
  dominantBg(pick: (row: number, col: number) => boolean): ColourClass | undefined {
    if (!this.bg) return undefined;
    const counts = new Map<ColourClass, number>();
    for (let r = 0; r < this.rows; r++) {
      for (let c = 0; c < this.cols; c++) {
        if (!pick(r, c)) continue;
        const k = colourClass(this.bg[r * this.cols + c]!);
        counts.set(k, (counts.get(k) ?? 0) + 1);
      }
    }
    let best: ColourClass | undefined;
    let most = 0;
    for (const [k, n] of counts) if (n > most) [best, most] = [k, n];
    return best;
  }

  /** Every complete box on the screen (all four borders intact), largest first. */
  boxes(): GridBox[] {
    const found: GridBox[] = [];
    for (let r = 0; r < this.rows; r++) {
      for (let c = 0; c < this.cols; c++) {
        if (this.at(r, c) !== '┌') continue;
        const box = this.boxAt(r, c);
        if (box) found.push(box);
      }
    }
    const area = (b: GridBox) => (b.bottom - b.top) * (b.right - b.left);
    return found.sort((a, b) => area(b) - area(a));
  }

  /** The box whose top-left corner is at (top, left), if its borders are all there. */
  private boxAt(top: number, left: number): GridBox | undefined {
    let right = -1;
    let title: string | undefined;
    for (let c = left + 1; c < this.cols; c++) {
      const ch = this.at(top, c);
      if (ch === '┐') {
        right = c;
        break;
      }
      if (ch === '┤' && title === undefined) {
        // The title runs to the matching ├ (newt draws "┤ [!!] Title ├").
        let end = c + 1;
        while (end < this.cols && this.at(top, end) !== '├' && this.at(top, end) !== '┐') end++;
        if (this.at(top, end) !== '├') return undefined;
        title = this.text(top, c + 1, end).trim();
        c = end;
        continue;
      }
      if (!H.has(ch)) return undefined;
    }
    if (right < left + 2) return undefined;
    for (let r = top + 1; r < this.rows; r++) {
      const l = this.at(r, left);
      const rt = this.at(r, right);
      if (l === '└' && rt === '┘') {
        for (let c = left + 1; c < right; c++) if (!H.has(this.at(r, c))) return undefined;
        return r > top + 1 ? {top, bottom: r, left, right, title} : undefined;
      }
      if (!V.has(l) || !V.has(rt)) return undefined;
    }
    return undefined;
  }
}

/**
 * Sort a colour into newt's classes. Tolerant: bterm draws CGA colours exactly (0x0000aa),
 * QEMU's VGA palette differs slightly (0x0000a8), a 16-bit framebuffer rounds (0x0000ad).
 */
export function colourClass(rgb: number): ColourClass {
  const r = (rgb >> 16) & 0xff;
  const g = (rgb >> 8) & 0xff;
  const b = rgb & 0xff;
  const max = Math.max(r, g, b);
  const min = Math.min(r, g, b);
  if (max < 0x40) return 'black';
  if (max - min < 0x30) return min > 0xd0 ? 'white' : min > 0x60 ? 'grey' : 'other';
  if (b > 0x60 && r < 0x40 && g < 0x40) return 'blue';
  if (r > 0x60 && g < 0x40 && b < 0x40) return 'red';
  return 'other';
}
