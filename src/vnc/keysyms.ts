/**
 * X11 keysyms (X11/keysymdef.h) for what vmbench types over VNC, and the mapping from
 * Packer's boot-command special-key names to them.
 *
 * Why keysyms and not scancodes: RFB KeyEvent carries a keysym; QEMU's VNC server turns it
 * into a scancode through its keymap (`-k`, en-us by default). That keymap lookup ignores the
 * "needs Shift" bit of an entry, so QEMU never adds Shift by itself: to get `A` or `!` the
 * client must hold Shift_L around the key, exactly as Packer's vnc_driver.go does.
 */

/** Named X11 keysyms used by the boot-command grammar and the typer. */
export const Keysym = {
  BackSpace: 0xff08,
  Tab: 0xff09,
  Return: 0xff0d,
  Escape: 0xff1b,
  Delete: 0xffff,
  Home: 0xff50,
  Left: 0xff51,
  Up: 0xff52,
  Right: 0xff53,
  Down: 0xff54,
  /** Page Up (X11 calls it Prior). */
  Prior: 0xff55,
  /** Page Down (X11 calls it Next). */
  Next: 0xff56,
  End: 0xff57,
  Insert: 0xff63,
  Menu: 0xff67,
  F1: 0xffbe,
  F2: 0xffbf,
  F3: 0xffc0,
  F4: 0xffc1,
  F5: 0xffc2,
  F6: 0xffc3,
  F7: 0xffc4,
  F8: 0xffc5,
  F9: 0xffc6,
  F10: 0xffc7,
  F11: 0xffc8,
  F12: 0xffc9,
  Shift_L: 0xffe1,
  Shift_R: 0xffe2,
  Control_L: 0xffe3,
  Control_R: 0xffe4,
  Meta_L: 0xffe7,
  Meta_R: 0xffe8,
  Alt_L: 0xffe9,
  Alt_R: 0xffea,
  Super_L: 0xffeb,
  Super_R: 0xffec,
  space: 0x20,
} as const;

/**
 * Packer's special keys, lower-cased name → keysym, with the same values as Packer's
 * bootcommand/vnc_driver.go so a template types the same keys under vmbench.
 */
export const SPECIAL_KEYS: ReadonlyMap<string, number> = new Map<string, number>([
  ['bs', Keysym.BackSpace],
  ['del', Keysym.Delete],
  ['enter', Keysym.Return],
  ['return', Keysym.Return],
  ['esc', Keysym.Escape],
  ['tab', Keysym.Tab],
  ['f1', Keysym.F1],
  ['f2', Keysym.F2],
  ['f3', Keysym.F3],
  ['f4', Keysym.F4],
  ['f5', Keysym.F5],
  ['f6', Keysym.F6],
  ['f7', Keysym.F7],
  ['f8', Keysym.F8],
  ['f9', Keysym.F9],
  ['f10', Keysym.F10],
  ['f11', Keysym.F11],
  ['f12', Keysym.F12],
  ['up', Keysym.Up],
  ['down', Keysym.Down],
  ['left', Keysym.Left],
  ['right', Keysym.Right],
  // Packer sends a plain space keysym here, not a special key.
  ['spacebar', Keysym.space],
  ['insert', Keysym.Insert],
  ['home', Keysym.Home],
  ['end', Keysym.End],
  ['pageup', Keysym.Prior],
  ['pagedown', Keysym.Next],
  ['menu', Keysym.Menu],
  ['leftalt', Keysym.Alt_L],
  ['rightalt', Keysym.Alt_R],
  ['leftctrl', Keysym.Control_L],
  ['rightctrl', Keysym.Control_R],
  ['leftshift', Keysym.Shift_L],
  ['rightshift', Keysym.Shift_R],
  ['leftsuper', Keysym.Super_L],
  ['rightsuper', Keysym.Super_R],
  // Packer maps the macOS names to Alt/Meta ("verified against the built-in VNC server on
  // macOS"), not to Super. QEMU's en-us keymap sends Meta_L/Meta_R as the Alt scancodes, so
  // under QEMU all four are Alt. We keep Packer's values so templates behave identically.
  ['leftcommand', Keysym.Alt_L],
  ['rightcommand', Keysym.Alt_R],
  ['leftoption', Keysym.Meta_L],
  ['rightoption', Keysym.Meta_R],
]);

/** US-layout symbols typed with Shift held: Packer's `shiftedChars` (bootcommand/driver.go). */
export const SHIFTED_SYMBOLS = '~!@#$%^&*()_+{}|:"<>?';

/** Control characters that have an X11 function-key keysym (0xff00 | ASCII code). */
const CONTROL_KEYSYMS: ReadonlyMap<number, number> = new Map([
  [0x08, Keysym.BackSpace],
  [0x09, Keysym.Tab],
  [0x0a, Keysym.Return],
  [0x0d, Keysym.Return],
  [0x1b, Keysym.Escape],
  [0x7f, Keysym.Delete],
]);

const UPPER = /^\p{Lu}$/u;

/**
 * The keysym for one character (one code point) and whether Shift must be held for it.
 *
 * Printable ASCII and Latin-1 map to their code point (X11 keysyms equal Latin-1 there);
 * other code points use X11's Unicode keysyms, `0x01000000 | codepoint`. `\b \t \n \r ESC DEL`
 * map to BackSpace, Tab, Return, Return, Escape and Delete, for interactive typing (the
 * boot-command parser itself never passes control characters here; see boot-command.ts).
 * Shift is set for upper-case letters (Unicode `Lu`, like Go's `unicode.IsUpper` that Packer
 * uses) and for the shifted US-layout symbols in {@link SHIFTED_SYMBOLS}.
 *
 * @throws RangeError when `ch` is not exactly one code point, or is a control character
 *   with no keysym.
 */
export function keysymForChar(ch: string): {keysym: number; shift: boolean} {
  const cp = ch.codePointAt(0);
  if (cp === undefined || String.fromCodePoint(cp).length !== ch.length) {
    throw new RangeError(`keysymForChar expects one character, got ${JSON.stringify(ch)}`);
  }
  const control = CONTROL_KEYSYMS.get(cp);
  if (control !== undefined) return {keysym: control, shift: false};
  if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) {
    throw new RangeError(`no keysym for control character U+${cp.toString(16).padStart(4, '0').toUpperCase()}`);
  }
  const shift = UPPER.test(ch) || SHIFTED_SYMBOLS.includes(ch);
  return {keysym: cp <= 0xff ? cp : 0x01000000 | cp, shift};
}

const NAMES: ReadonlyMap<number, string> = new Map(Object.entries(Keysym).map(([name, sym]) => [sym, name]));

/** Readable name of a keysym for logs: `Return`, `'a'`, `U+20AC`, or hex when unknown. */
export function keysymName(keysym: number): string {
  const named = NAMES.get(keysym);
  if (named !== undefined && keysym !== Keysym.space) return named;
  if ((keysym >= 0x20 && keysym < 0x7f) || (keysym >= 0xa0 && keysym <= 0xff)) {
    return `'${String.fromCodePoint(keysym)}'`;
  }
  if (keysym >= 0x01000100 && keysym <= 0x0110ffff) {
    return `U+${(keysym & 0xffffff).toString(16).toUpperCase().padStart(4, '0')}`;
  }
  return `0x${keysym.toString(16)}`;
}
