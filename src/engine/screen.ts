/**
 * The VM's screen for the engine and the console view: a VNC frame feed opened on first use
 * (a build that never looks at the screen pays nothing), and the screen as text — exact from
 * video memory while the guest is in VGA text mode.
 */
import {looksLikeTextMode, readVgaText} from '../qemu/vga-text.js';
import {FrameSource} from '../vnc/frame-source.js';
import type {BuildState} from './state.js';
import type {LogFn} from './events.js';

/** The live frame feed, opened on first use while the VM runs. */
export function liveFrames(state: BuildState, log?: LogFn): FrameSource | undefined {
  if (state.frames) return state.frames;
  if (!state.vncPort || !state.qemu || state.qemu.hasExited()) return undefined;
  state.frames = new FrameSource({host: state.profile.vnc_bind_address, port: state.vncPort}, {log}).start();
  return state.frames;
}

/** The screen's text lines, or undefined when the screen is not in a mode we can read yet. */
export async function readScreenLines(state: BuildState): Promise<string[] | undefined> {
  const frames = liveFrames(state);
  const qmp = state.qmp;
  if (!frames || !qmp) return undefined;
  if (frames.framebuffer.width === 0) await frames.waitForFrame(undefined, {timeoutMs: 2000}).catch(() => undefined);
  const fb = frames.framebuffer;
  if (!looksLikeTextMode(fb.width, fb.height)) return undefined;
  return (await readVgaText(qmp)).lines;
}
