/**
 * A screen pane: the VM's screen drawn into a box of terminal cells that another renderer (ink)
 * keeps free. One interface, three backends — half-blocks (everywhere), kitty graphics and sixel
 * (full resolution where the terminal has them); pick one with detect.ts.
 */
import type {PixelSource, Rect} from '../vnc/framebuffer.js';
import {computeView, downscale, type View, type ViewRequest} from './downscale.js';
import {CellPainter, type ColorMode} from './halfblock.js';

/**
 * What every backend offers the console. Methods returning a Buffer return bytes to write to the
 * terminal as they are (`stdout.write(buf)`); an empty Buffer means there is nothing to write.
 */
export interface ScreenPainter {
  /**
   * Bytes that show `screen` in the pane; empty when nothing visible changed. `damage` (screen
   * rectangles changed since the previous call, e.g. `Framebuffer.takeDamage()`) lets a backend
   * skip unchanged areas; omit it to have the whole screen reconsidered.
   */
  render(screen: PixelSource, damage?: readonly Rect[]): Buffer;
  /** Zoom and pan; takes effect on the next render. */
  setView(req: ViewRequest): void;
  /** The view used by the last render (pan clamped), if any. */
  readonly view: View | undefined;
  /** New pane size in cells; the next render repaints everything. */
  resize(cols: number, rows: number): void;
  /** The pane moved (1-based terminal row/column of its top-left cell); the next render repaints. */
  moveTo(originRow: number, originCol: number): void;
  /** Something else drew over the pane: the next render repaints everything. */
  invalidate(): void;
  /** Bytes that remove what this painter drew (before leaving the console or switching backend). */
  clear(): Buffer;
}

/** Where a pane is and how big, in cells. */
export interface PaneGeometry {
  cols: number;
  rows: number;
  /** 1-based terminal row of the top-left cell. Default 1. */
  originRow?: number;
  /** 1-based terminal column of the top-left cell. Default 1. */
  originCol?: number;
}

/** Options for {@link HalfBlockPane}. */
export interface HalfBlockPaneOptions extends PaneGeometry {
  mode: ColorMode;
  /** Letterbox colour, 0x00RRGGBB. Default black. */
  background?: number;
  monoThreshold?: number | 'auto';
  synchronized?: boolean;
  view?: ViewRequest;
}

const sameRect = (a: Rect, b: Rect): boolean => a.x === b.x && a.y === b.y && a.width === b.width && a.height === b.height;

/** True when two views map the same screen area onto the same grid area. */
export function sameView(a: View | undefined, b: View): boolean {
  return !!a && a.gridWidth === b.gridWidth && a.gridHeight === b.gridHeight && sameRect(a.src, b.src) && sameRect(a.dst, b.dst);
}

/**
 * Half-block backend: downscales into a cols × rows·2 grid (only the damaged part when told
 * what changed and the view is unchanged) and lets a {@link CellPainter} emit changed cells.
 */
export class HalfBlockPane implements ScreenPainter {
  private readonly painter: CellPainter;
  private readonly background: number;
  private grid: {width: number; height: number; pixels: Uint32Array};
  private req: ViewRequest;
  private last: View | undefined;
  private screenKey = '';

  constructor(opts: HalfBlockPaneOptions) {
    this.painter = new CellPainter({...opts});
    this.background = opts.background ?? 0;
    this.req = opts.view ?? {};
    this.grid = {width: 0, height: 0, pixels: new Uint32Array(0)};
    this.resize(opts.cols, opts.rows);
  }

  get view(): View | undefined {
    return this.last;
  }

  setView(req: ViewRequest): void {
    this.req = {...req};
  }

  resize(cols: number, rows: number): void {
    this.painter.resize(cols, rows);
    const {cols: c, rows: r} = this.painter.size;
    this.grid = {width: c, height: r * 2, pixels: new Uint32Array(c * r * 2)};
    this.last = undefined;
  }

  moveTo(originRow: number, originCol: number): void {
    this.painter.moveTo(originRow, originCol);
  }

  invalidate(): void {
    this.painter.invalidate();
  }

  clear(): Buffer {
    this.last = undefined;
    return this.painter.clear();
  }

  render(screen: PixelSource, damage?: readonly Rect[]): Buffer {
    const {grid} = this;
    if (grid.width === 0 || grid.height === 0) return Buffer.alloc(0);
    const view = computeView(screen.width, screen.height, grid.width, grid.height, this.req);
    // A zoomed view can be identical on two screen sizes; a size change still needs a full pass.
    const key = `${screen.width}x${screen.height}`;
    const fresh = !sameView(this.last, view) || key !== this.screenKey || !damage;
    downscale(screen, view, grid.pixels, fresh ? {background: this.background} : {damage});
    this.last = view;
    this.screenKey = key;
    // Keep the clamped pan, so panning back from past an edge starts moving at once.
    if (this.req.zoom !== undefined && this.req.zoom !== 'fit') this.req = {...this.req, panX: view.src.x, panY: view.src.y};
    return this.painter.paint(grid);
  }
}
