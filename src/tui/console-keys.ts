/**
 * The Console pane's own keys, one handling for every screen that shows a VM's console (a
 * build's Console pane, a kept VM's screen): cycle the mode, zoom, pan, and hand the keyboard to
 * the VM. Where a screen differs is only in what it says when typing cannot start yet.
 */
import type {ConsolePane} from './console-pane.js';

export type ConsoleKeyName = 'mode' | 'zoom' | 'pan' | 'type';
/** The build view's commands and the kept-VM screen's actions, by the console key they are. */
export const CONSOLE_KEY_OF = {
  'console-mode': 'mode',
  'console-zoom': 'zoom',
  'console-pan': 'pan',
  'console-interactive': 'type',
  'vm-mode': 'mode',
  'vm-zoom': 'zoom',
  'vm-pan': 'pan',
  'vm-type': 'type',
} as const satisfies Record<string, ConsoleKeyName>;

export interface ConsoleKeyContext {
  /** Undefined: this terminal cannot show the console (no pixels, no capture). */
  pane: ConsolePane | undefined;
  /** Why typing cannot start yet (no VM screen so far), or undefined when it can. */
  notYet: () => string | undefined;
  /** A line for the user (why a key did nothing). */
  say: (message: string) => void;
  /** The keyboard went to the VM (true) or came back (false, on Ctrl-]). */
  setCaptured: (captured: boolean) => void;
}

/** Act on one console key. */
export function consoleKey(key: {type: keyof typeof CONSOLE_KEY_OF; dx?: number; dy?: number}, c: ConsoleKeyContext): void {
  const {pane} = c;
  switch (CONSOLE_KEY_OF[key.type]) {
    case 'mode':
      pane?.cycleMode();
      return;
    case 'zoom':
      pane?.toggleZoom();
      return;
    case 'pan':
      pane?.pan(key.dx ?? 0, key.dy ?? 0);
      return;
    case 'type': {
      if (!pane) return c.say('no console in this terminal: keys cannot be passed to the VM');
      const why = c.notYet();
      if (why) return c.say(why);
      pane.capture(() => c.setCaptured(false));
      c.setCaptured(true);
      return;
    }
  }
}
