/**
 * Types parsed boot-command actions through a KeySender, with Packer's pacing: a pause after
 * every key event (Packer's boot_key_interval, 100 ms there). QEMU does not add Shift for
 * upper-case keysyms, so shifted characters are wrapped in Shift_L down/up here.
 *
 * Why keys get lost without a pause (QEMU 7.2, measured in bench/TYPING.md):
 *  - VNC: every RFB KeyEvent goes through QEMU's keyboard queue (ui/kbd-state.c
 *    `qkbd_state_key_event` → ui/input.c `qemu_input_event_send_key_delay`), which releases one
 *    event per `key-delay-ms` (a `-vnc` option, default 10 ms) and holds at most 1024 entries —
 *    3 per key event, so ~341 events. Past that, events are dropped without a word. A client
 *    faster than 10 ms/event therefore loses keys once its backlog passes ~341 events: with
 *    5 ms/event, about 680 events (≈ 230 characters) into a command.
 *  - Both VNC and QMP `input-send-event` end in the PS/2 keyboard's 16-byte queue
 *    (hw/input/ps2.c `ps2_queue`), which also drops silently when full. The guest empties it
 *    one byte per interrupt, fast while its vCPU runs, not at all while the host deschedules it
 *    — which is what loses keys on a loaded TCG host when typing over QMP too fast.
 *  A dropped key-up leaves the key held in the guest: a lost Shift_L-up is a stuck Shift. Over
 *  VNC a second key-up cannot free it — QEMU ignores key-ups for keys it believes are up
 *  (ui/kbd-state.c), and it saw the first one — only a QMP key-up or a new press does.
 *
 * So the pause per event depends on the backend: see {@link KEY_INTERVAL_MS}.
 *
 * Whatever way typing ends — done, aborted, or the connection failed — every key still held
 * down is released, so the guest is never left with a stuck Ctrl or Shift.
 */
import type {BootAction, KeyAction} from './boot-command.js';
import type {KeySender} from './key-sender.js';
import {Keysym, keysymForChar} from './keysyms.js';
import {sleep} from '../util/sleep.js';

const SHIFT_L = 0xffe1;
const SHIFT_R = 0xffe2;

/** How keys reach QEMU: RFB KeyEvents on the VNC connection, or QMP `input-send-event`. */
export type KeyBackend = 'vnc' | 'qmp';

/**
 * Default pause after each key event, per backend — lossless with margin for a 1,000-character
 * line on a 2-core host under full load (TCG), per the measurements in bench/TYPING.md.
 *
 * - `qmp`: events go straight into the guest's 16-byte PS/2 queue; 1 ms pauses (≈2 ms per
 *   event with the QMP round trip) lost characters under load, 5 ms never did.
 * - `vnc`: QEMU itself releases VNC key events only every 10 ms (`key-delay-ms`); pausing
 *   less only fills its 341-event queue until it drops keys. 12 ms keeps 20% headroom, so a
 *   host too busy to fire QEMU's timer on time does not build a backlog.
 */
export const KEY_INTERVAL_MS: Readonly<Record<KeyBackend, number>> = {qmp: 5, vnc: 12};

export interface TypeBootCommandOptions {
  /** Pause after each key event (down or up), in ms. 0 sends events back to back. */
  keyIntervalMs: number;
  /**
   * Key events sent back to back before each pause (default 1: pause after every event, as
   * Packer does). With `burst` > 1 the average rate is `burst / keyIntervalMs`; keep bursts
   * small (≤ 8 events): the PS/2 queue holds 16 bytes and arrow/Home/Ctrl_R events take 2.
   */
  burst?: number;
  /** Aborting rejects promptly with the signal's reason (after releasing held keys). */
  signal?: AbortSignal;
  /** Called as each action starts (for progress display). */
  onAction?: (action: BootAction, index: number) => void;
}

/**
 * Type `actions` into the VM. Resolves when the last key event has been sent and its interval
 * has passed; rejects with the signal's reason on abort or with the KeySender's error.
 *
 * @throws RangeError for a non-finite or negative `keyIntervalMs` or a `burst` below 1.
 */
export async function typeBootCommand(keys: KeySender, actions: readonly BootAction[], opts: TypeBootCommandOptions): Promise<void> {
  const {keyIntervalMs, burst = 1, signal, onAction} = opts;
  if (!Number.isFinite(keyIntervalMs) || keyIntervalMs < 0) throw new RangeError(`keyIntervalMs must be ≥ 0, got ${keyIntervalMs}`);
  if (!Number.isInteger(burst) || burst < 1) throw new RangeError(`burst must be an integer ≥ 1, got ${burst}`);
  // Keys currently down, in the order they went down (released in reverse).
  const held = new Set<number>();
  // Events sent since the last pause.
  let unpaused = 0;

  const send = async (keysym: number, down: boolean) => {
    signal?.throwIfAborted();
    // A send that threw or rejected did not reach QEMU (QMP answers errors only for commands
    // it did not run), so only delivered presses count as held.
    await keys.keyEvent(keysym, down);
    if (down) held.add(keysym);
    else held.delete(keysym);
    if (++unpaused >= burst) {
      unpaused = 0;
      await sleep(keyIntervalMs, signal);
    }
  };

  try {
    for (const [index, action] of actions.entries()) {
      signal?.throwIfAborted();
      onAction?.(action, index);
      switch (action.kind) {
        case 'press': {
          // With a Shift already held by <leftShiftOn>, wrapping would release it too early.
          const wrap = action.shift && !held.has(SHIFT_L) && !held.has(SHIFT_R);
          if (wrap) await send(SHIFT_L, true);
          await send(action.keysym, true);
          await send(action.keysym, false);
          if (wrap) await send(SHIFT_L, false);
          break;
        }
        case 'down':
          await send(action.keysym, true);
          break;
        case 'up':
          await send(action.keysym, false);
          break;
        case 'wait':
          unpaused = 0; // a wait is a longer pause
          await sleep(action.ms, signal);
          break;
      }
    }
    // The last burst gets its pause too, so a command typed right after starts on a quiet queue.
    if (unpaused > 0) await sleep(keyIntervalMs, signal);
  } finally {
    await releaseAll(keys, held);
  }
}

/**
 * Key presses that type `text` literally — no `<token>` parsing, so a `<` in it is a `<` — for
 * retyping a line exactly as it should read. Control characters map as in keysymForChar.
 *
 * @throws RangeError for a control character with no key (see keysymForChar).
 */
export function textActions(text: string): KeyAction[] {
  return [...text].map((ch) => ({kind: 'press', ...keysymForChar(ch), text: ch, offset: 0}));
}

/** `count` BackSpace presses. */
export function backspaceActions(count: number): KeyAction[] {
  return Array.from({length: count}, () => ({kind: 'press', keysym: Keysym.BackSpace, shift: false, text: '<bs>', offset: 0}));
}

/** Best effort: on a dead connection the releases fail too, and the original error matters more. */
async function releaseAll(keys: KeySender, held: Set<number>): Promise<void> {
  for (const keysym of [...held].reverse()) {
    try {
      await keys.keyEvent(keysym, false);
    } catch {
      // the connection is gone; nothing more can be released
    }
  }
  held.clear();
}

