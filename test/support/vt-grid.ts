/**
 * A tiny terminal for tests: applies the bytes the painters write (CUP, CUF, ECH, SGR colours
 * and reverse video, cursor save/restore, synchronized-output marks) to a grid of cells, so a
 * test can read back what a real terminal would show — characters, colours, and which cells a
 * frame wrote at all. Wide characters take two cells, as in a terminal.
 */
import {codePointWidth} from '../../src/util/cell-width.js';

export interface VtCell {
  ch: string;
  /** 0xRRGGBB, a 256-colour index as `p<n>`, or undefined for the default. */
  fg?: number | string;
  bg?: number | string;
  inverse?: boolean;
}

export class VtGrid {
  readonly cells: VtCell[][];
  /** Cells written by the last apply() (`row,col`, 1-based). */
  written = new Set<string>();
  private row = 1;
  private col = 1;
  private saved: [number, number] = [1, 1];
  private pen: Omit<VtCell, 'ch'> = {};

  constructor(
    readonly cols: number,
    readonly rows: number,
  ) {
    this.cells = Array.from({length: rows}, () => Array.from({length: cols}, () => ({ch: ' '})));
  }

  /** Apply a frame's bytes; throws on a sequence it does not know (a painter should not write it). */
  apply(bytes: string | Buffer): this {
    const s = typeof bytes === 'string' ? bytes : bytes.toString('utf8');
    this.written = new Set();
    const re = /\x1b\[([?]?)([0-9;]*)([A-Za-z@])|\x1b([78])|([^\x1b])/gsu;
    for (const m of s.matchAll(re)) {
      if (m[4] === '7') this.saved = [this.row, this.col];
      else if (m[4] === '8') [this.row, this.col] = this.saved;
      else if (m[3]) this.csi(m[1]!, m[2]!, m[3]);
      else if (m[5]) this.print(m[5]);
    }
    return this;
  }

  /** Row `r` (1-based) as text; the second cell of a wide character is left out. */
  text(r: number, from = 1, to = this.cols): string {
    return this.cells[r - 1]!
      .slice(from - 1, to)
      .map((c) => c.ch)
      .join('');
  }

  cell(r: number, c: number): VtCell {
    return this.cells[r - 1]![c - 1]!;
  }

  private csi(priv: string, params: string, final: string): void {
    if (priv) return; // ?2026h/l, ?25l: modes, nothing drawn
    const p = params.split(';').map((x) => (x === '' ? undefined : Number(x)));
    switch (final) {
      case 'H':
        this.row = p[0] ?? 1;
        this.col = p[1] ?? 1;
        return;
      case 'C':
        this.col += p[0] ?? 1;
        return;
      case 'X':
        for (let i = 0; i < (p[0] ?? 1); i++) this.put(this.row, this.col + i, {ch: ' '});
        return;
      case 'm':
        return this.sgr(p.map((x) => x ?? 0));
      default:
        throw new Error(`VtGrid: unexpected sequence CSI ${params}${final}`);
    }
  }

  private sgr(p: number[]): void {
    for (let i = 0; i < p.length; i++) {
      const v = p[i]!;
      if (v === 0) this.pen = {};
      else if (v === 7) this.pen.inverse = true;
      else if (v === 27) this.pen.inverse = false;
      else if (v === 39) this.pen.fg = undefined;
      else if (v === 49) this.pen.bg = undefined;
      else if (v === 38 || v === 48) {
        const which = v === 38 ? 'fg' : 'bg';
        if (p[i + 1] === 2) {
          this.pen[which] = (p[i + 2]! << 16) | (p[i + 3]! << 8) | p[i + 4]!;
          i += 4;
        } else if (p[i + 1] === 5) {
          this.pen[which] = `p${p[i + 2]}`;
          i += 2;
        }
      } else throw new Error(`VtGrid: unexpected SGR ${v}`);
    }
  }

  private print(ch: string): void {
    const w = codePointWidth(ch.codePointAt(0)!);
    if (w === 0) {
      const prev = this.cells[this.row - 1]?.[this.col - 2];
      if (prev) prev.ch += ch;
      return;
    }
    this.put(this.row, this.col, {ch, ...this.pen});
    if (w === 2) this.put(this.row, this.col + 1, {ch: '', ...this.pen});
    this.col += w;
  }

  private put(r: number, c: number, cell: VtCell): void {
    if (r < 1 || r > this.rows || c < 1 || c > this.cols) throw new Error(`VtGrid: write outside the terminal at ${r};${c}`);
    this.cells[r - 1]![c - 1] = cell;
    this.written.add(`${r},${c}`);
  }
}
