/**
 * Types parsed boot-command actions through a KeySender, with Packer's pacing: a pause after
 * every key event (Packer's boot_key_interval, default 100 ms there; ours is configurable and
 * smaller). QEMU does not add Shift for upper-case keysyms, so shifted characters are wrapped
 * in Shift_L down/up here.
 *
 * Whatever way typing ends — done, aborted, or the connection failed — every key still held
 * down is released, so the guest is never left with a stuck Ctrl or Shift.
 */
import type {BootAction} from './boot-command.js';
import type {KeySender} from './key-sender.js';

const SHIFT_L = 0xffe1;
const SHIFT_R = 0xffe2;

export interface TypeBootCommandOptions {
  /** Pause after each key event (down or up), in ms. 0 sends events back to back. */
  keyIntervalMs: number;
  /** Aborting rejects promptly with the signal's reason (after releasing held keys). */
  signal?: AbortSignal;
  /** Called as each action starts (for progress display). */
  onAction?: (action: BootAction, index: number) => void;
}

/**
 * Type `actions` into the VM. Resolves when the last key event has been sent and its interval
 * has passed; rejects with the signal's reason on abort or with the KeySender's error.
 */
export async function typeBootCommand(keys: KeySender, actions: readonly BootAction[], opts: TypeBootCommandOptions): Promise<void> {
  const {keyIntervalMs, signal, onAction} = opts;
  // Keys currently down, in the order they went down (released in reverse).
  const held = new Set<number>();

  const send = async (keysym: number, down: boolean) => {
    signal?.throwIfAborted();
    keys.keyEvent(keysym, down);
    if (down) held.add(keysym);
    else held.delete(keysym);
    await sleep(keyIntervalMs, signal);
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
          await sleep(action.ms, signal);
          break;
      }
    }
  } finally {
    releaseAll(keys, held);
  }
}

/** Best effort: on a dead connection the releases fail too, and the original error matters more. */
function releaseAll(keys: KeySender, held: Set<number>): void {
  for (const keysym of [...held].reverse()) {
    try {
      keys.keyEvent(keysym, false);
    } catch {
      // the connection is gone; nothing more can be released
    }
  }
  held.clear();
}

/** Abortable sleep on the global timers (so fake timers in tests control it). */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  if (ms <= 0) return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, {once: true});
  });
}
