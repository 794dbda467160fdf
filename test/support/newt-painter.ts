/**
 * Synthetic newt screens in VGA text mode (80×25, the BIOS palette), drawn the way cdebconf's
 * newt frontend lays its windows out (newt.c): a bordered window with "┤ [!!] Title ├" on its top
 * border, text one cell inside, buttons on the second-last row, a black shadow, the help line on
 * the last screen row. For the d-i screen parser's tests where no real frame exists.
 */
import {VGA_PALETTE} from '../../src/screen/vga-text.js';
import type {ScreenLike} from '../../src/installer/debian/newt-grid.js';

export const C = {
  black: VGA_PALETTE[0]!,
  blue: VGA_PALETTE[1]!,
  red: VGA_PALETTE[4]!,
  grey: VGA_PALETTE[7]!,
  white: VGA_PALETTE[15]!,
  yellow: VGA_PALETTE[14]!,
};

export class Painter {
  readonly cells: string[][];
  readonly fg: number[];
  readonly bg: number[];

  constructor(
    readonly cols = 80,
    readonly rows = 25,
    root = C.blue,
  ) {
    this.cells = Array.from({length: rows}, () => Array<string>(cols).fill(' '));
    this.fg = Array<number>(cols * rows).fill(C.grey);
    this.bg = Array<number>(cols * rows).fill(root);
  }

  put(row: number, col: number, text: string, fg = C.black, bg = C.grey): this {
    [...text].forEach((ch, i) => {
      if (col + i >= this.cols) return;
      this.cells[row]![col + i] = ch;
      this.fg[row * this.cols + col + i] = fg;
      this.bg[row * this.cols + col + i] = bg;
    });
    return this;
  }

  /** newt's help line on the last row: black on grey across the screen. */
  help(text = '<Tab> moves; <Space> selects; <Enter> activates buttons'): this {
    return this.put(this.rows - 1, 0, text.padEnd(this.cols), C.black, C.grey);
  }

  /**
   * A window: grey box with border and shadow, the title (marker included) centred on the top
   * border in red. Returns the box's columns and rows.
   */
  window(top: number, left: number, width: number, height: number, title?: string): {top: number; left: number; right: number; bottom: number} {
    const right = left + width - 1;
    const bottom = top + height - 1;
    for (let r = top; r <= bottom; r++) this.put(r, left, ' '.repeat(width));
    for (let r = top + 1; r <= bottom + 1; r++) this.put(r, right + 1, '  ', C.black, C.black);
    this.put(bottom + 1, left + 2, ' '.repeat(width), C.black, C.black);
    this.put(top, left, `┌${'─'.repeat(width - 2)}┐`);
    for (let r = top + 1; r < bottom; r++) this.put(r, left, '│').put(r, right, '│');
    this.put(bottom, left, `└${'─'.repeat(width - 2)}┘`);
    if (title) {
      const t = ` ${title} `;
      const at = left + Math.floor((width - t.length - 2) / 2);
      this.put(top, at, '┤').put(top, at + 1, t, C.red).put(top, at + 1 + t.length, '├');
    }
    return {top, left, right, bottom};
  }

  /** A compact button `<Label>`, red when focused. */
  button(row: number, col: number, label: string, focused = false): this {
    return this.put(row, col, `<${label}>`, focused ? C.white : C.black, focused ? C.red : C.grey);
  }

  /** newt's entry: the value then `_` padding, on its blue. */
  entry(row: number, col: number, width: number, value: string): this {
    return this.put(row, col, value.padEnd(width, '_'), C.grey, C.blue);
  }

  screen(opts: {colours?: boolean} = {}): ScreenLike {
    const lines = this.cells.map((r) => r.join('').trimEnd());
    while (lines.length && !lines.at(-1)) lines.pop();
    const s: ScreenLike = {lines, cols: this.cols, rows: this.rows};
    if (opts.colours === false) return s;
    return {...s, fg: Uint32Array.from(this.fg), bg: Uint32Array.from(this.bg)};
  }
}
