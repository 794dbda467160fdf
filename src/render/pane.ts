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

/**
 * The zoom and pan a pane was asked for, and the view it last drew. After each computed view the
 * clamped pan is kept, so panning back from past an edge starts moving at once.
 */
export class ViewKeeper {
  private req: ViewRequest;
  /** The view used by the last render, if any. */
  last: View | undefined;

  constructor(req: ViewRequest = {}) {
    this.req = {...req};
  }

  set(req: ViewRequest): void {
    this.req = {...req};
  }

  /** The view of `screen` on a grid of `width` × `height` for the requested zoom and pan. */
  compute(screen: {width: number; height: number}, width: number, height: number): View {
    const view = computeView(screen.width, screen.height, width, height, this.req);
    if (this.req.zoom !== undefined && this.req.zoom !== 'fit') this.req = {...this.req, panX: view.src.x, panY: view.src.y};
    return view;
  }
}

/** Geometry of the backends that draw in real pixels (kitty, sixel). */
export interface PixelPaneOptions extends PaneGeometry {
  /** Cell size in pixels (from `CSI 16 t`, see detect.ts). Default 8×16. */
  cellWidth?: number;
  cellHeight?: number;
  synchronized?: boolean;
  view?: ViewRequest;
}

/**
 * What kitty and sixel panes share: a box of cells at a terminal position, its cell size in
 * pixels, the view, and the last drawn pixels (`prev`) that any move, resize or invalidation
 * forgets so the next render repaints everything.
 */
export abstract class PixelPane {
  protected cols = 0;
  protected rows = 0;
  protected originRow: number;
  protected originCol: number;
  protected readonly cw: number;
  protected readonly ch: number;
  protected readonly sync: boolean;
  protected readonly views: ViewKeeper;
  protected prev: Uint32Array | undefined;

  constructor(opts: PixelPaneOptions) {
    this.originRow = opts.originRow ?? 1;
    this.originCol = opts.originCol ?? 1;
    this.cw = opts.cellWidth ?? 8;
    this.ch = opts.cellHeight ?? 16;
    this.sync = opts.synchronized ?? true;
    this.views = new ViewKeeper(opts.view);
  }

  get view(): View | undefined {
    return this.views.last;
  }

  setView(req: ViewRequest): void {
    this.views.set(req);
  }

  resize(cols: number, rows: number): void {
    this.cols = Math.max(0, cols | 0);
    this.rows = Math.max(0, rows | 0);
    this.resized();
    this.invalidate();
  }

  /** After `cols`/`rows` changed (e.g. to reallocate a pixel grid). */
  protected resized(): void {}

  moveTo(originRow: number, originCol: number): void {
    this.originRow = originRow;
    this.originCol = originCol;
    this.invalidate();
  }

  invalidate(): void {
    this.views.last = undefined;
    this.prev = undefined;
  }
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
  private readonly views: ViewKeeper;
  private screenKey = '';

  constructor(opts: HalfBlockPaneOptions) {
    this.painter = new CellPainter({...opts});
    this.background = opts.background ?? 0;
    this.views = new ViewKeeper(opts.view);
    this.grid = {width: 0, height: 0, pixels: new Uint32Array(0)};
    this.resize(opts.cols, opts.rows);
  }

  get view(): View | undefined {
    return this.views.last;
  }

  setView(req: ViewRequest): void {
    this.views.set(req);
  }

  resize(cols: number, rows: number): void {
    this.painter.resize(cols, rows);
    const {cols: c, rows: r} = this.painter.size;
    this.grid = {width: c, height: r * 2, pixels: new Uint32Array(c * r * 2)};
    this.views.last = undefined;
  }

  moveTo(originRow: number, originCol: number): void {
    this.painter.moveTo(originRow, originCol);
  }

  invalidate(): void {
    this.painter.invalidate();
  }

  clear(): Buffer {
    this.views.last = undefined;
    return this.painter.clear();
  }

  render(screen: PixelSource, damage?: readonly Rect[]): Buffer {
    const {grid} = this;
    if (grid.width === 0 || grid.height === 0) return Buffer.alloc(0);
    const view = this.views.compute(screen, grid.width, grid.height);
    // A zoomed view can be identical on two screen sizes; a size change still needs a full pass.
    const key = `${screen.width}x${screen.height}`;
    const fresh = !sameView(this.views.last, view) || key !== this.screenKey || !damage;
    downscale(screen, view, grid.pixels, fresh ? {background: this.background} : {damage});
    this.views.last = view;
    this.screenKey = key;
    return this.painter.paint(grid);
  }
}
