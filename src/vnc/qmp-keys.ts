/**
 * A KeySender that types through QMP `input-send-event` instead of VNC, and the mapping from
 * X11 keysyms to QEMU's layout-independent key names (QKeyCode, qapi/ui.json).
 *
 * Why a second backend: it needs no VNC session (a headless build without `-vnc`, or a VNC
 * server another viewer holds in exclusive mode), each event is acknowledged by QEMU, so a
 * key that cannot be delivered fails the command instead of vanishing, and the key names
 * are physical keys, so QEMU's `-k` keymap plays no part. Both backends end in the same
 * place: `qemu_input_event_send()` → the PS/2 keyboard's 16-byte queue (hw/input/ps2.c), so
 * they need the same pacing (see typer.ts).
 *
 * The mapping is the US layout, like Packer's and like QEMU's default `-k en-us`: a keysym
 * names the key that produces it, and Shift is the typer's business (it wraps upper-case
 * letters and `SHIFTED_SYMBOLS` in Shift_L, as for VNC). So `A` and `a` are both the `a` key,
 * `!` is the `1` key.
 */
import {Keysym} from './keysyms.js';
import type {KeySender} from './key-sender.js';

/** The one QMP call this sender needs (QmpClient from src/qemu/qmp.ts satisfies it). */
export interface QmpCommandRunner {
  execute<T = unknown>(command: string, args?: object): Promise<T>;
}

/** Unshifted and shifted US-layout characters → the key (QKeyCode) that types them. */
const US_KEYS: ReadonlyArray<readonly [string, string]> = [
  ['`~', 'grave_accent'], ['1!', '1'], ['2@', '2'], ['3#', '3'], ['4$', '4'], ['5%', '5'],
  ['6^', '6'], ['7&', '7'], ['8*', '8'], ['9(', '9'], ['0)', '0'], ['-_', 'minus'], ['=+', 'equal'],
  ['[{', 'bracket_left'], [']}', 'bracket_right'], ['\\|', 'backslash'], [';:', 'semicolon'],
  ["'\"", 'apostrophe'], [',<', 'comma'], ['.>', 'dot'], ['/?', 'slash'], [' ', 'spc'],
];

/** Non-character keysyms → QKeyCode. */
const SPECIAL_QCODES: ReadonlyArray<readonly [number, string]> = [
  [Keysym.BackSpace, 'backspace'], [Keysym.Tab, 'tab'], [Keysym.Return, 'ret'], [Keysym.Escape, 'esc'],
  [Keysym.Delete, 'delete'], [Keysym.Home, 'home'], [Keysym.End, 'end'], [Keysym.Left, 'left'],
  [Keysym.Up, 'up'], [Keysym.Right, 'right'], [Keysym.Down, 'down'], [Keysym.Prior, 'pgup'],
  [Keysym.Next, 'pgdn'], [Keysym.Insert, 'insert'], [Keysym.Menu, 'menu'],
  [Keysym.Shift_L, 'shift'], [Keysym.Shift_R, 'shift_r'], [Keysym.Control_L, 'ctrl'],
  [Keysym.Control_R, 'ctrl_r'], [Keysym.Alt_L, 'alt'], [Keysym.Alt_R, 'alt_r'],
  // QEMU's en-us keymap sends Meta_L/Meta_R as the Alt keys (keysyms.ts); do the same here so
  // <leftOption> means the same key on both backends. Super is the "Windows" key, QEMU's meta_l.
  [Keysym.Meta_L, 'alt'], [Keysym.Meta_R, 'alt_r'], [Keysym.Super_L, 'meta_l'], [Keysym.Super_R, 'meta_r'],
];

const QCODES: ReadonlyMap<number, string> = new Map<number, string>([
  ...SPECIAL_QCODES,
  ...Array.from({length: 12}, (_, i) => [Keysym.F1 + i, `f${i + 1}`] as [number, string]),
  ...Array.from({length: 26}, (_, i) => {
    const lower = String.fromCharCode(0x61 + i);
    return [
      [0x61 + i, lower],
      [0x41 + i, lower],
    ] as [number, string][];
  }).flat(),
  ...US_KEYS.flatMap(([chars, qcode]) => [...chars].map((c) => [c.charCodeAt(0), qcode] as [number, string])),
]);

/**
 * The QEMU key name (QKeyCode) of the US-layout key that types `keysym`, or undefined when no
 * key on a US keyboard does (`é`, `€`, most Unicode keysyms).
 */
export function qcodeForKeysym(keysym: number): string | undefined {
  return QCODES.get(keysym);
}

/**
 * Types over QMP: each key event is one `input-send-event` command, awaited, so QEMU has
 * accepted it (and put it in the guest's keyboard queue) before the typer's pause starts.
 */
/** How long a briefly stopped VM may refuse input before typing fails. */
const PAUSED_RETRY_MS = 1000;

export class QmpKeySender implements KeySender {
  constructor(private readonly qmp: QmpCommandRunner) {}

  /**
   * @throws RangeError (synchronously) for a keysym no US-layout key produces: QEMU would
   *   reject or drop it, and a silently missing character corrupts the command.
   * @returns a promise that rejects with QEMU's error (VM not running, connection closed).
   */
  keyEvent(keysym: number, down: boolean): Promise<void> {
    const qcode = qcodeForKeysym(keysym);
    if (qcode === undefined) {
      throw new RangeError(`no US-layout key types keysym 0x${keysym.toString(16)}; QMP typing supports US-layout characters only`);
    }
    return this.send(qcode, down);
  }

  /**
   * QEMU refuses input while the VM is stopped. vmbench itself stops it for ~20 ms to read VGA
   * registers exactly (src/screen/vga-text.ts) — e.g. the console view or <waitFor> reading the
   * screen while a boot command is typed — so a refusal is retried for a while before it counts.
   */
  private async send(qcode: string, down: boolean): Promise<void> {
    const deadline = Date.now() + PAUSED_RETRY_MS;
    for (;;) {
      try {
        await this.qmp.execute('input-send-event', {events: [{type: 'key', data: {down, key: {type: 'qcode', data: qcode}}}]});
        return;
      } catch (err) {
        if (!/not running/i.test((err as Error).message) || Date.now() >= deadline) throw err;
        await new Promise((r) => setTimeout(r, 10));
      }
    }
  }
}
