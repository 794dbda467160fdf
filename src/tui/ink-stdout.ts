/**
 * What ink writes, followed: the stdout ink renders to in the workbench, and the small terminal
 * model that tells which rows ink wrote and what it put there. The Console pane uses both to
 * share the screen with ink (the mechanism is described in console-pane.ts).
 */
import {EventEmitter} from 'node:events';
import {noColorRequested, withoutColors} from './no-color.js';

const ESC = '\x1b';
export const BSU = '\x1b[?2026h';
export const ESU = '\x1b[?2026l';

// ---------------------------------------------------------------------------------------------
// Tracking what ink writes

/**
 * Follows a stream of terminal output well enough to know which rows it wrote and what it put
 * there: printable text, SGR, erase in line/display, cursor moves (absolute and relative), CR,
 * LF with scrolling at the bottom, save/restore cursor. Other sequences (modes, OSC, DCS) are
 * skipped. Anything it misreads errs on the side of "row touched" (a needless repaint, never a
 * missing one).
 */
export class TerminalRowTracker {
  row = 1;
  col = 1;
  /** Raw bytes (text + SGR) ink last wrote on each row, from column 1. */
  private lines = new Map<number, string>();
  /** The row's text is being rewritten from column 1: the next text replaces what was recorded. */
  private fresh = true;
  private saved = {row: 1, col: 1};
  private touchedRows = new Set<number>();
  private touchedAll = false;
  /** An escape sequence cut between two writes. */
  private pending = '';

  constructor(private readonly termRows: () => number) {}

  /** Rows written since the last call (`all` after a clear or scroll). */
  takeTouched(): {rows: Set<number>; all: boolean} {
    const r = {rows: this.touchedRows, all: this.touchedAll};
    this.touchedRows = new Set();
    this.touchedAll = false;
    return r;
  }

  /** True when rows [from, to] were touched (per a takeTouched result). */
  static hits(t: {rows: Set<number>; all: boolean}, from: number, to: number): boolean {
    if (t.all) return true;
    for (const r of t.rows) if (r >= from && r <= to) return true;
    return false;
  }

  /** The bytes that put ink's last content of rows [from, to] back (cursor saved and restored). */
  replay(from: number, to: number): string {
    let out = `${ESC}7`;
    for (let r = from; r <= to; r++) out += `${ESC}[${r};1H${ESC}[0m${this.lines.get(r) ?? ''}${ESC}[0m${ESC}[K`;
    return `${out}${ESC}8`;
  }

  /** What the tracker holds for a row (tests). */
  lineAt(row: number): string | undefined {
    return this.lines.get(row);
  }

  feed(data: string): void {
    const s = this.pending + data;
    this.pending = '';
    let i = 0;
    let textStart = -1;
    const flushText = (end: number): void => {
      if (textStart < 0) return;
      this.text(s.slice(textStart, end));
      textStart = -1;
    };
    while (i < s.length) {
      const c = s.charCodeAt(i);
      if (c === 0x1b) {
        flushText(i);
        const n = this.escape(s, i);
        if (n === 0) {
          this.pending = s.slice(i);
          return;
        }
        i += n;
        continue;
      }
      if (c === 0x0a || c === 0x0d || c === 0x08 || c === 0x07 || c < 0x20) {
        flushText(i);
        if (c === 0x0a) this.lineFeed();
        else if (c === 0x0d) this.toCol(1);
        else if (c === 0x08) this.col = Math.max(1, this.col - 1);
        i++;
        continue;
      }
      if (textStart < 0) textStart = i;
      i++;
    }
    flushText(i);
  }

  private text(t: string): void {
    if (!t) return;
    this.append(t);
    this.touchedRows.add(this.row);
    this.col += [...t].length;
  }

  private append(t: string): void {
    if (this.fresh || !this.lines.has(this.row)) this.lines.set(this.row, '');
    this.fresh = false;
    this.lines.set(this.row, this.lines.get(this.row)! + t);
  }

  private toCol(c: number): void {
    this.col = Math.max(1, c);
    if (this.col === 1) this.fresh = true;
  }

  private moveTo(row: number, col: number): void {
    const max = Math.max(1, this.termRows());
    this.row = Math.min(max, Math.max(1, row));
    this.fresh = false;
    this.toCol(col);
  }

  private lineFeed(): void {
    const max = Math.max(1, this.termRows());
    if (this.row >= max) {
      // Scrolling moves every row: whatever was on screen is somewhere else now.
      const next = new Map<number, string>();
      for (const [r, l] of this.lines) if (r > 1) next.set(r - 1, l);
      this.lines = next;
      this.touchedAll = true;
    } else this.row++;
    // The terminal translates LF to CR LF (ONLCR stays on in raw mode).
    this.fresh = false;
    this.toCol(1);
  }

  private eraseRows(from: number, to: number): void {
    for (let r = from; r <= to; r++) {
      this.lines.delete(r);
      this.touchedRows.add(r);
    }
  }

  /** Consume one escape sequence at s[i]; returns its length, 0 when it is cut off. */
  private escape(s: string, i: number): number {
    if (i + 1 >= s.length) return 0;
    const kind = s[i + 1]!;
    if (kind === '[') {
      const m = /^\x1b\[([?>=!<]?)([0-9;:]*)([ -\/]*)([@-~])/.exec(s.slice(i, i + 64));
      if (!m) return s.length - i < 64 ? 0 : 2;
      this.csi(m[1]!, m[2]!, m[4]!, m[0]);
      return m[0].length;
    }
    if (kind === ']' || kind === 'P' || kind === '_' || kind === '^') {
      // OSC / DCS / APC / PM: up to BEL or ST.
      const rest = s.slice(i + 2);
      const bel = kind === ']' ? rest.indexOf('\x07') : -1;
      const st = rest.indexOf('\x1b\\');
      const end = bel >= 0 && (st < 0 || bel < st) ? bel + 1 : st >= 0 ? st + 2 : -1;
      return end < 0 ? 0 : 2 + end;
    }
    if (kind === '7') {
      this.saved = {row: this.row, col: this.col};
      return 2;
    }
    if (kind === '8') {
      this.moveTo(this.saved.row, this.saved.col);
      return 2;
    }
    if (kind === 'c') {
      // RIS: the terminal is reset and blank.
      this.lines.clear();
      this.touchedAll = true;
      this.moveTo(1, 1);
      return 2;
    }
    if (kind === '(' || kind === ')' || kind === '#') return i + 2 < s.length ? 3 : 0;
    return 2;
  }

  private csi(priv: string, params: string, final: string, raw: string): void {
    if (priv) return; // modes (?25l, ?2026h, …), kitty keyboard, DA: no cells change
    const nums = params.split(/[;:]/).map((p) => (p === '' ? undefined : Number(p)));
    const n = (k: number, d = 1): number => nums[k] ?? d;
    const max = Math.max(1, this.termRows());
    switch (final) {
      case 'm':
        this.append(raw);
        return;
      case 'A':
        return this.moveTo(this.row - Math.max(1, n(0)), this.col);
      case 'B':
        return this.moveTo(this.row + Math.max(1, n(0)), this.col);
      case 'C':
        this.col += Math.max(1, n(0));
        this.fresh = false;
        return;
      case 'D':
        return this.toCol(this.col - Math.max(1, n(0)));
      case 'E':
        return this.moveTo(this.row + Math.max(1, n(0)), 1);
      case 'F':
        return this.moveTo(this.row - Math.max(1, n(0)), 1);
      case 'G':
      case '`':
        this.fresh = false;
        return this.toCol(n(0));
      case 'd':
        return this.moveTo(n(0), this.col);
      case 'H':
      case 'f':
        return this.moveTo(n(0), n(1));
      case 'K': {
        const mode = n(0, 0);
        // Whole line, or to the end from column 1: nothing of the old line is left. (A partial
        // erase keeps what was recorded: ink's `line + CSI K` leaves exactly that.)
        if (mode === 2 || (mode === 0 && this.col <= 1)) {
          this.lines.set(this.row, '');
          this.fresh = false;
        }
        this.touchedRows.add(this.row);
        return;
      }
      case 'J': {
        const mode = n(0, 0);
        if (mode === 2 || mode === 3) {
          this.lines.clear();
          this.touchedAll = true;
        } else if (mode === 0) this.eraseRows(this.row, max);
        else this.eraseRows(1, this.row);
        return;
      }
      case 'X':
      case 'P':
      case '@':
        this.touchedRows.add(this.row);
        return;
      case 'L':
      case 'M':
      case 'S':
      case 'T':
        // Insert/delete lines and scrolls shift rows around: assume everything moved.
        this.touchedAll = true;
        return;
      default:
        return;
    }
  }
}

/**
 * The stdout ink renders to: forwards everything to the terminal, tracks which rows ink wrote
 * ({@link TerminalRowTracker}) and, once an ink frame is complete, lets `afterFrame` append bytes
 * (the console's repaint) inside the same synchronized update.
 *
 * ink 6 needs from its stdout: write(data, cb?), columns, rows, isTTY, 'resize' events, and the
 * writable-state fields it reads on unmount; everything else is forwarded to the real stream.
 */
export class InkStdout extends EventEmitter {
  readonly tracker: TerminalRowTracker;
  private inSync = false;
  private readonly onResize = (): void => {
    this.emit('resize');
  };

  constructor(
    readonly real: NodeJS.WriteStream,
    /** Called after each complete ink frame with the rows it wrote; returns bytes to add. */
    private readonly afterFrame: (touched: {rows: Set<number>; all: boolean}) => Buffer | string | undefined = () => undefined,
    /** NO_COLOR: ink's colours are taken out of what it writes (attributes stay; no-color.ts). */
    private readonly noColor = noColorRequested(),
  ) {
    super();
    this.tracker = new TerminalRowTracker(() => this.rows);
    real.on('resize', this.onResize);
  }

  get columns(): number {
    return this.real.columns || 80;
  }

  get rows(): number {
    return this.real.rows || 24;
  }

  get isTTY(): boolean {
    return !!this.real.isTTY;
  }

  get writable(): boolean {
    return this.real.writable;
  }

  get destroyed(): boolean {
    return this.real.destroyed;
  }

  get writableEnded(): boolean {
    return this.real.writableEnded;
  }

  get writableLength(): number {
    return this.real.writableLength;
  }

  get _writableState(): unknown {
    return (this.real as unknown as {_writableState?: unknown})._writableState;
  }

  /** Stop listening to the terminal. */
  dispose(): void {
    this.real.off('resize', this.onResize);
  }

  write(data: string | Uint8Array, encodingOrCb?: BufferEncoding | ((err?: Error | null) => void), cb?: (err?: Error | null) => void): boolean {
    const callback = typeof encodingOrCb === 'function' ? encodingOrCb : cb;
    let text = typeof data === 'string' ? data : Buffer.from(data).toString('utf8');
    if (this.noColor && text.includes('\x1b[')) data = text = withoutColors(text);
    if (text === BSU) {
      this.inSync = true;
      return this.forward(data, callback);
    }
    if (text === ESU) {
      this.inSync = false;
      const extra = this.frameDone();
      if (extra) this.forward(extra);
      return this.forward(data, callback);
    }
    this.tracker.feed(text);
    const ok = this.forward(data, callback);
    if (!this.inSync) {
      const extra = this.frameDone();
      if (extra) this.forward(extra);
    }
    return ok;
  }

  private frameDone(): Buffer | string | undefined {
    const touched = this.tracker.takeTouched();
    if (!touched.all && touched.rows.size === 0) return undefined;
    try {
      const extra = this.afterFrame(touched);
      return extra && extra.length ? extra : undefined;
    } catch {
      return undefined; // a painter bug must never break ink's output
    }
  }

  private forward(data: string | Uint8Array, cb?: (err?: Error | null) => void): boolean {
    try {
      return cb ? this.real.write(data, cb) : this.real.write(data);
    } catch {
      // The terminal went away (SIGHUP): nothing to draw on any more.
      cb?.();
      return false;
    }
  }
}
