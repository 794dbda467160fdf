/**
 * A fake bootloader prompt for the read-back tests: a KeySender that echoes typed keys on an
 * 80-column text screen (an EchoReader), as isolinux's `boot:` prompt does, with faults to
 * inject: key events dropped, a prompt that is not there yet, a bootloader that fails on Enter,
 * a screen read by glyphs that misreads a character.
 */
import type {KeySender} from '../../src/vnc/key-sender.js';
import type {EchoReader} from '../../src/engine/verified-typing.js';
import type {EchoScreen} from '../../src/engine/typed-readback.js';

const RETURN = 0xff0d;
const BACKSPACE = 0xff08;

export class FakePrompt implements KeySender, EchoReader {
  /** Rows above the prompt line. */
  history: string[] = ['ISOLINUX 6.04', 'vmbench tiny ISO - type: tiny url=http://HOST:PORT/tiny.cfg'];
  /** What the bootloader has in its line buffer. */
  line = '';
  /** Lines entered with Enter, in order. */
  entered: string[] = [];
  /** Every key event offered (down and up), including dropped ones. */
  events = 0;
  /** Drop the key event with this index (0-based, counting downs and ups). */
  drop: (index: number, keysym: number, down: boolean) => boolean = () => false;
  /** When false, keys go nowhere and the screen stays as it is. */
  ready = true;
  /** When set, Enter runs a boot: a line whose first word is not this kernel fails as isolinux does. */
  kernel: string | undefined;
  /** Read as recognised glyphs (not exact): `misread` maps a character to what the reader sees. */
  exact = true;
  misread: Record<string, string> = {};
  /** No echo (a password prompt): the line buffer fills, the screen does not. */
  echo = true;
  /** Return undefined from read() (a graphical screen). */
  unreadable = false;
  /** Show no cursor. */
  cursorless = false;
  /**
   * Draw like a Linux console instead of a line editor: characters go where the cursor is, and
   * a backspace cannot go up to the previous row (the old text stays on screen there).
   */
  console = false;
  private grid: string[] = [];
  private at = {row: 0, col: 0};
  /** Reads so far. */
  reads = 0;
  /** Counts screen changes, like Framebuffer.version. */
  changes = 0;

  constructor(readonly prompt = 'boot: ') {}

  keyEvent(keysym: number, down: boolean): void {
    const index = this.events++;
    if (!this.ready || this.drop(index, keysym, down) || !down) return;
    this.changes++;
    if (keysym === RETURN) return this.enter();
    if (keysym === BACKSPACE) {
      if (this.line && this.at.col > 0) this.put(' ', -1);
      return void (this.line = this.line.slice(0, -1));
    }
    if (keysym >= 0xff00) return; // Shift and other non-character keys
    this.line += String.fromCodePoint(keysym);
    this.put(String.fromCodePoint(keysym), 1);
  }

  /** Console mode: draw `ch` at the cursor (after moving back, for a backspace). */
  private put(ch: string, move: 1 | -1): void {
    if (!this.console) return;
    if (this.grid.length === 0) this.grid = [...this.history, this.prompt];
    if (this.at.row === 0 && this.at.col === 0) this.at = {row: this.grid.length - 1, col: this.prompt.length};
    if (move < 0) this.at.col--;
    const row = (this.grid[this.at.row] ?? '').padEnd(this.at.col);
    this.grid[this.at.row] = row.slice(0, this.at.col) + ch + row.slice(this.at.col + 1);
    if (move > 0 && ++this.at.col === 80) this.at = {row: this.at.row + 1, col: 0};
  }

  private enter(): void {
    this.entered.push(this.line);
    this.history.push(this.promptLine());
    const name = this.line.split(' ')[0]!;
    if (this.kernel !== undefined && name !== this.kernel) this.history.push(`Loading ${name}... failed: No such file or directory`);
    else if (this.kernel === undefined) this.history.push('(entered)');
    this.line = '';
  }

  private promptLine(): string {
    return this.prompt + (this.echo ? this.line : '');
  }

  async read(): Promise<EchoScreen | undefined> {
    this.reads++;
    if (this.unreadable) return undefined;
    const rows = [...this.history];
    let cursor: EchoScreen['cursor'];
    if (this.console && this.grid.length) {
      rows.splice(0, rows.length, ...this.grid, ...Array.from({length: this.at.row + 1 - this.grid.length}, () => ''));
      cursor = {...this.at};
    } else {
      const current = this.promptLine();
      const wrapped: string[] = [];
      for (let i = 0; i === 0 || i < current.length; i += 80) wrapped.push(current.slice(i, i + 80));
      rows.push(...wrapped);
      cursor = {row: rows.length - 1, col: wrapped.at(-1)!.length};
    }
    if (this.cursorless) cursor = undefined;
    const lines = rows.map((r) => [...r].map((ch) => (this.exact ? ch : (this.misread[ch] ?? ch))).join('').trimEnd());
    return {lines: [...lines, ...Array.from({length: Math.max(0, 25 - lines.length)}, () => '')], cols: 80, cursor, exact: this.exact};
  }

  version(): number {
    return this.changes;
  }
}
