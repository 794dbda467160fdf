/**
 * Turns what a terminal sends in raw mode into VNC key events, for typing into the VM from the
 * console view. ink's useInput cannot do this (F1–F12 and Insert arrive empty, Backspace arrives
 * as "delete"), so this is its own small escape-sequence parser. Pure apart from the timer that
 * tells a lone Escape from the start of a sequence.
 */
import {StringDecoder} from 'node:string_decoder';
import {Keysym, keysymForChar} from './keysyms.js';

export interface Modifiers {
  ctrl: boolean;
  alt: boolean;
  shift: boolean;
}

/** One key as pressed in the terminal. */
export interface KeyStroke {
  keysym: number;
  mods: Modifiers;
  /** The bytes it came from, for logs and tests. */
  raw: string;
}

const NO_MODS: Modifiers = {ctrl: false, alt: false, shift: false};

/** `CSI n ~` numbers (xterm, VT220) to keysyms. */
const TILDE: Record<number, number> = {
  1: Keysym.Home, 2: Keysym.Insert, 3: Keysym.Delete, 4: Keysym.End, 5: Keysym.Prior, 6: Keysym.Next, 7: Keysym.Home, 8: Keysym.End,
  11: Keysym.F1, 12: Keysym.F2, 13: Keysym.F3, 14: Keysym.F4, 15: Keysym.F5, 17: Keysym.F6, 18: Keysym.F7, 19: Keysym.F8,
  20: Keysym.F9, 21: Keysym.F10, 23: Keysym.F11, 24: Keysym.F12,
};
/** Final letters of `CSI …X` and `SS3 X`. */
const FINAL: Record<string, number> = {
  A: Keysym.Up, B: Keysym.Down, C: Keysym.Right, D: Keysym.Left, H: Keysym.Home, F: Keysym.End,
  P: Keysym.F1, Q: Keysym.F2, R: Keysym.F3, S: Keysym.F4,
};
/** The Linux console's F1–F5: `ESC [ [ A` … `ESC [ [ E`. */
const LINUX_F: Record<string, number> = {A: Keysym.F1, B: Keysym.F2, C: Keysym.F3, D: Keysym.F4, E: Keysym.F5};

/** xterm's modifier parameter: 1 + (shift | alt<<1 | ctrl<<2). */
function modsFromParam(p: number | undefined): Modifiers {
  const m = (p ?? 1) - 1;
  return {shift: (m & 1) !== 0, alt: (m & 2) !== 0, ctrl: (m & 4) !== 0};
}

/** One byte below 0x20 (or DEL) to a key. */
function controlKey(code: number, raw: string): KeyStroke {
  switch (code) {
    case 0x0d:
    case 0x0a:
      return {keysym: Keysym.Return, mods: NO_MODS, raw};
    case 0x09:
      return {keysym: Keysym.Tab, mods: NO_MODS, raw};
    case 0x7f:
    case 0x08:
      return {keysym: Keysym.BackSpace, mods: NO_MODS, raw};
    case 0x1b:
      return {keysym: Keysym.Escape, mods: NO_MODS, raw};
    case 0x00:
      return {keysym: 0x20, mods: {...NO_MODS, ctrl: true}, raw};
    default: {
      // Ctrl-A … Ctrl-Z, Ctrl-\ ] ^ _ : the letter (lower case) or symbol with Control held.
      const ch = code <= 0x1a ? String.fromCharCode(code + 0x60) : String.fromCharCode(code + 0x40);
      return {keysym: ch.charCodeAt(0), mods: {...NO_MODS, ctrl: true}, raw};
    }
  }
}

/** A printable character: shift comes from the US layout, as for boot commands. */
function charKey(ch: string, raw: string, alt = false): KeyStroke {
  const {keysym, shift} = keysymForChar(ch);
  return {keysym, mods: {ctrl: false, alt, shift}, raw};
}

export interface TermKeyParserOptions {
  /** The byte that leaves passthrough instead of reaching the VM (default Ctrl-] = 0x1d). */
  leaveByte?: number;
  /** How long to wait after ESC for the rest of a sequence (default 40 ms). */
  escTimeoutMs?: number;
}

export class TermKeyParser {
  private buf = '';
  private timer: NodeJS.Timeout | undefined;
  private readonly decoder = new StringDecoder('utf8');
  private readonly leave: string;
  private readonly escTimeoutMs: number;

  constructor(
    private readonly onKey: (key: KeyStroke) => void,
    private readonly onLeave: () => void,
    opts: TermKeyParserOptions = {},
  ) {
    this.leave = String.fromCharCode(opts.leaveByte ?? 0x1d);
    this.escTimeoutMs = opts.escTimeoutMs ?? 40;
  }

  push(data: Buffer | string): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.buf += typeof data === 'string' ? data : this.decoder.write(data);
    this.drain(false);
    if (this.buf) {
      this.timer = setTimeout(() => this.drain(true), this.escTimeoutMs);
      this.timer.unref?.();
    }
  }

  /** Parse what is buffered; `final` treats an unfinished sequence as plain keys. */
  private drain(final: boolean): void {
    while (this.buf) {
      const n = this.one(final);
      if (n === 0) return;
      this.buf = this.buf.slice(n);
    }
  }

  /** Consume one key from the buffer; 0 = need more bytes. */
  private one(final: boolean): number {
    const b = this.buf;
    const ch = String.fromCodePoint(b.codePointAt(0)!);
    if (ch === this.leave) {
      this.onLeave();
      return 1;
    }
    if (ch !== '\x1b') {
      const code = ch.codePointAt(0)!;
      this.onKey(code < 0x20 || code === 0x7f ? controlKey(code, ch) : charKey(ch, ch));
      return ch.length;
    }
    if (b.length === 1) {
      if (!final) return 0;
      this.onKey(controlKey(0x1b, '\x1b'));
      return 1;
    }
    const second = b[1]!;
    if (second === '[' || second === 'O') {
      const m = second === '[' ? /^\x1b\[(\[[A-E]|[0-9;]*[A-Za-z~])/.exec(b) : /^\x1bO([0-9;]*[A-Za-z])/.exec(b);
      if (!m) {
        if (!final && /^\x1b[[O][0-9;[]*$/.test(b)) return 0;
        // Unknown or cut-off sequence: drop it rather than type escape garbage into the VM.
        const end = /^\x1b[[O][0-9;[]*./.exec(b);
        return end ? end[0].length : b.length;
      }
      const body = m[1]!;
      const raw = m[0];
      if (body.startsWith('[')) {
        const k = LINUX_F[body[1]!];
        if (k) this.onKey({keysym: k, mods: NO_MODS, raw});
        return raw.length;
      }
      const final_ = body[body.length - 1]!;
      const params = body.slice(0, -1).split(';').filter(Boolean).map(Number);
      let keysym: number | undefined;
      let mods = modsFromParam(params[1]);
      if (final_ === '~') keysym = TILDE[params[0] ?? 0];
      else if (final_ === 'Z') [keysym, mods] = [Keysym.Tab, {...NO_MODS, shift: true}];
      else keysym = FINAL[final_];
      if (keysym !== undefined) this.onKey({keysym, mods, raw});
      return raw.length;
    }
    // ESC + key = Alt + key (how terminals send Meta).
    const next = String.fromCodePoint(b.codePointAt(1)!);
    const code = next.codePointAt(0)!;
    const raw = `\x1b${next}`;
    const k = code < 0x20 || code === 0x7f ? controlKey(code, raw) : charKey(next, raw);
    this.onKey({...k, mods: {...k.mods, alt: true}, raw});
    return 1 + next.length;
  }
}

/** The VNC key events for one stroke: modifiers down, key down, key up, modifiers up. */
export function keyEventsFor(k: KeyStroke): Array<[keysym: number, down: boolean]> {
  const mods: number[] = [];
  if (k.mods.ctrl) mods.push(Keysym.Control_L);
  if (k.mods.alt) mods.push(Keysym.Alt_L);
  if (k.mods.shift) mods.push(Keysym.Shift_L);
  return [...mods.map((m) => [m, true] as [number, boolean]), [k.keysym, true], [k.keysym, false], ...mods.reverse().map((m) => [m, false] as [number, boolean])];
}
