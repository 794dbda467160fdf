/**
 * The VM's screen for the engine and the console view: a VNC frame feed opened on first use
 * (a build that never looks at the screen pays nothing), and the screen as text.
 *
 * Text comes from recognising console-font glyphs on the VNC frame first — it costs the guest
 * nothing — and from VGA memory via QMP only when that fails (no frame yet, fonts missing):
 * the exact read pauses the VM for ~20 ms, too much to do several times a second.
 */
import {defaultFonts, readScreenText, type ScreenText} from '../screen/screen-text.js';
import type {ConsoleFont} from '../screen/font.js';
import type {InstallerAssets} from '../installer/assets.js';
import type {GlyphLayout} from '../screen/glyph-match.js';
import {FrameSource} from '../vnc/frame-source.js';
import type {BuildState} from './state.js';
import type {LogFn} from './events.js';

/** The live frame feed, opened on first use while the VM runs. */
export function liveFrames(state: BuildState, log?: LogFn): FrameSource | undefined {
  if (state.frames) return state.frames;
  // A connection opened while the VM goes down would retry forever and nobody would close it.
  if (!state.vncPort || !state.qemu || state.qemu.hasExited() || state.vmStopping) return undefined;
  state.frames = new FrameSource({host: state.profile.vnc_bind_address, port: state.vncPort}, {log, password: state.vncPassword}).start();
  return state.frames;
}

/** The grid found on the last frame: passing it back skips the grid search (ms instead of tens). */
const layouts = new WeakMap<BuildState, GlyphLayout>();

const fontSets = new WeakMap<BuildState, {assets?: InstallerAssets; fonts: Promise<readonly ConsoleFont[]>}>();

/**
 * The fonts this build's screens are read with: the installer's own (bterm's unifont.bgf, read
 * from the ISO by fetch-iso) first, then the default console fonts. One array per build, kept:
 * glyph tables are built once per fonts array (screen-text.ts caches them by its identity).
 */
export function screenFonts(state: BuildState): Promise<readonly ConsoleFont[]> {
  const assets = state.installerAssets;
  let set = fontSets.get(state);
  if (!set || set.assets !== assets) {
    const own = assets?.fonts ?? [];
    const fonts = own.length === 0 ? defaultFonts() : defaultFonts().then((d) => [...own, ...d], () => own);
    set = {assets, fonts};
    fontSets.set(state, set);
  }
  return set.fonts;
}

/** The largest display QEMU shows for a VGA text mode (80x25 at 9x16 is 720x400; 80x30 is 720x480). */
const TEXT_MODE_MAX = {width: 720, height: 480};

/** The screen as text, or undefined when it cannot be read (yet). */
export async function readScreen(state: BuildState): Promise<ScreenText | undefined> {
  const frames = liveFrames(state);
  const qmp = state.qmp;
  if (!frames) return undefined;
  if (frames.framebuffer.width === 0) await frames.waitForFrame(undefined, {timeoutMs: 2000}).catch(() => undefined);
  if (frames.framebuffer.width > 0) {
    const fonts = await screenFonts(state);
    const byGlyphs = await readScreenText({frame: frames.framebuffer, layout: layouts.get(state), fonts}).catch(() => undefined);
    if (byGlyphs && byGlyphs.mode !== 'unknown') {
      if (byGlyphs.layout) layouts.set(state, byGlyphs.layout);
      return byGlyphs;
    }
    layouts.delete(state);
    // VGA memory only helps in a text mode (QEMU shows those at 720x400 and the like); reading
    // it pauses the VM, so a blank graphics screen (an installer between dialogs) is not worth it.
    if (frames.framebuffer.width > TEXT_MODE_MAX.width || frames.framebuffer.height > TEXT_MODE_MAX.height) return undefined;
  }
  if (!qmp || state.qemu?.hasExited()) return undefined;
  const exact = await readScreenText({qmp}).catch(() => undefined);
  return exact && exact.mode !== 'unknown' ? exact : undefined;
}

export async function readScreenLines(state: BuildState): Promise<string[] | undefined> {
  return (await readScreen(state))?.lines;
}
