/**
 * A kept VM's screen for the workbench: the VNC frame feed (src/vnc/frame-source.ts, with the
 * VM's recorded address and password) and its text, read by console-font glyph recognition on
 * the frame — what the build view's Console gets from a running build (src/engine/screen.ts),
 * without QMP: a kept VM's single QMP slot stays free for `vmbench stop`.
 *
 * The ConsolePane takes `frames` and `readText` as they are (setFrames / setTextSource).
 */
import type {LogFn} from '../engine/events.js';
import type {ScreenTextRead} from '../render/screen-view.js';
import type {GlyphLayout} from '../screen/glyph-match.js';
import {defaultFonts, readScreenText} from '../screen/screen-text.js';
import {FrameSource} from '../vnc/frame-source.js';
import type {ConsoleFrames} from './console-pane.js';
import type {KeptVm} from './kept-vms.js';

export interface VmFeed {
  /** The live screen and keyboard; undefined once closed. */
  frames(): ConsoleFrames | undefined;
  /** The screen as text, or undefined when it does not read as text. */
  readText(): Promise<ScreenTextRead | undefined>;
  /** The VNC connection's state ('connecting', 'live', 'reconnecting', 'stopped'). */
  readonly state: string;
  /** Close the connection for good (resolves once the socket is gone). Idempotent. */
  close(): Promise<void>;
}

/** Connect to a kept VM's VNC server; throws when its record has no VNC address. */
export function openVmFeed(vm: Pick<KeptVm, 'id' | 'vnc'>, opts: {log?: LogFn} = {}): VmFeed {
  const vnc = vm.vnc;
  if (!vnc) throw new Error(`${vm.id} has no VNC address in its record: its screen cannot be shown`);
  const source = new FrameSource({host: vnc.host, port: vnc.port}, {password: vnc.password, log: opts.log}).start();
  let closed = false;
  // The grid found on the last frame: passing it back skips the grid search.
  let layout: GlyphLayout | undefined;
  return {
    frames: () => (closed ? undefined : source),
    async readText() {
      const fb = source.framebuffer;
      if (closed || fb.width === 0) return undefined;
      const r = await readScreenText({frame: fb, layout, fonts: await defaultFonts()}).catch(() => undefined);
      if (!r || r.mode === 'unknown') {
        layout = undefined;
        return undefined;
      }
      layout = r.layout;
      return r;
    },
    get state() {
      return closed ? 'stopped' : source.state;
    },
    close() {
      closed = true;
      return source.stop();
    },
  };
}
