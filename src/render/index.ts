/**
 * Pixel rendering for the VM's screen in a terminal pane (engine-side: no react/ink).
 * {@link createScreenPainter} picks the backend; detect.ts says which one the terminal supports.
 */
import type {GraphicsMode} from './detect.js';
import type {ColorMode} from './halfblock.js';
import {KittyPane, type KittyFormat} from './kitty.js';
import {HalfBlockPane, type PaneGeometry, type ScreenPainter} from './pane.js';
import {SixelPane} from './sixel.js';
import type {ViewRequest} from './downscale.js';

export * from './detect.js';
export * from './downscale.js';
export * from './halfblock.js';
export * from './kitty.js';
export * from './pane.js';
export * from './palette.js';
export * from './sixel.js';
export * from './text-pane.js';
export * from './screen-view.js';
export {encodePng} from './png.js';
export {ByteWriter} from './bytes.js';

/** Options for {@link createScreenPainter}; each backend uses the ones that concern it. */
export interface ScreenPainterOptions extends PaneGeometry {
  /** Half-block colours (see detectColorMode). */
  colorMode: ColorMode;
  /** Cell size in pixels, for kitty/sixel (probeTerminal reports it). Default 8×16. */
  cellWidth?: number;
  cellHeight?: number;
  kittyFormat?: KittyFormat;
  background?: number;
  view?: ViewRequest;
}

/** The painter for a graphics mode. */
export function createScreenPainter(mode: GraphicsMode, opts: ScreenPainterOptions): ScreenPainter {
  if (mode === 'kitty') return new KittyPane({...opts, ...(opts.kittyFormat ? {format: opts.kittyFormat} : {})});
  if (mode === 'sixel') return new SixelPane(opts);
  return new HalfBlockPane({...opts, mode: opts.colorMode});
}
