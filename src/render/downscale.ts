/**
 * Area-averaged scaling of a screen (or the part of it a zoom/pan viewport shows) onto a grid of
 * terminal "pixels" — for half-blocks that is cols × rows·2, for sixel the pane's pixel size.
 *
 * Integer maths throughout: every target pixel owns a rectangle of whole source pixels (the
 * source is partitioned, so each source pixel counts exactly once) and gets their rounded mean.
 * That keeps uniform areas exactly their colour, which a fractional-coverage filter would smear
 * at block edges, and costs one add per source pixel and channel — a 1280×800 screen is ~1 M adds.
 */
import type {PixelSource, Rect} from '../vnc/framebuffer.js';

/** Screen pixels per grid pixel (1 = one screen pixel per half-cell pixel), or fit the whole screen. */
export type Zoom = 'fit' | number;

/** What the user asked to see; {@link computeView} turns it into rectangles. */
export interface ViewRequest {
  /** Default 'fit'. */
  zoom?: Zoom;
  /** Left edge of the viewport in screen pixels; clamped so the viewport stays on the screen. */
  panX?: number;
  /** Top edge of the viewport in screen pixels; clamped likewise. */
  panY?: number;
}

/** Which part of the screen is shown and where it lands on the target grid. */
export interface View {
  readonly gridWidth: number;
  readonly gridHeight: number;
  /** The screen area shown; `src.x`/`src.y` are the pan after clamping. */
  readonly src: Rect;
  /** Where it is drawn in the grid; `dst.x`/`dst.y` are the letterbox offsets. */
  readonly dst: Rect;
}

const clamp = (v: number, lo: number, hi: number): number => (v < lo ? lo : v > hi ? hi : v);

/**
 * The rectangles for showing a `screenW`×`screenH` screen on a `gridW`×`gridH` grid.
 * 'fit' keeps the aspect ratio (grid pixels are taken as square, which half-cells nearly are)
 * and centres the picture; a numeric zoom shows a `gridW·zoom`×`gridH·zoom` viewport at the pan
 * position, clamped to the screen, centred when the screen is smaller than the viewport.
 */
export function computeView(screenW: number, screenH: number, gridW: number, gridH: number, req: ViewRequest = {}): View {
  const zoom = req.zoom ?? 'fit';
  if (screenW <= 0 || screenH <= 0 || gridW <= 0 || gridH <= 0) {
    return {gridWidth: Math.max(0, gridW), gridHeight: Math.max(0, gridH), src: {x: 0, y: 0, width: 0, height: 0}, dst: {x: 0, y: 0, width: 0, height: 0}};
  }
  let src: Rect;
  let dw: number;
  let dh: number;
  if (zoom === 'fit') {
    src = {x: 0, y: 0, width: screenW, height: screenH};
    // Compare gridW/screenW with gridH/screenH by cross-multiplying: no float rounding decides a side.
    if (gridW * screenH <= gridH * screenW) {
      dw = gridW;
      dh = clamp(Math.round((screenH * gridW) / screenW), 1, gridH);
    } else {
      dh = gridH;
      dw = clamp(Math.round((screenW * gridH) / screenH), 1, gridW);
    }
  } else {
    if (!(zoom > 0)) throw new RangeError(`zoom must be 'fit' or > 0, got ${zoom}`);
    const vw = Math.min(screenW, Math.max(1, Math.round(gridW * zoom)));
    const vh = Math.min(screenH, Math.max(1, Math.round(gridH * zoom)));
    const x = clamp(Math.round(req.panX ?? 0), 0, screenW - vw);
    const y = clamp(Math.round(req.panY ?? 0), 0, screenH - vh);
    src = {x, y, width: vw, height: vh};
    dw = clamp(Math.round(vw / zoom), 1, gridW);
    dh = clamp(Math.round(vh / zoom), 1, gridH);
  }
  return {gridWidth: gridW, gridHeight: gridH, src, dst: {x: (gridW - dw) >> 1, y: (gridH - dh) >> 1, width: dw, height: dh}};
}

/** The 1:1 view (zoom 1): one screen pixel per grid pixel, pan clamped. */
export function cropView(screenW: number, screenH: number, gridW: number, gridH: number, panX = 0, panY = 0): View {
  return computeView(screenW, screenH, gridW, gridH, {zoom: 1, panX, panY});
}

/**
 * Source span [start[i], end[i]) for each of `n` target pixels over `len` source pixels from `off`.
 * When enlarging (len < n) spans would be empty, so each takes at least one pixel (nearest).
 */
function spans(off: number, len: number, n: number): Int32Array {
  const s = new Int32Array(n * 2);
  for (let i = 0; i < n; i++) {
    const a = Math.floor((i * len) / n);
    const b = Math.floor(((i + 1) * len) / n);
    s[2 * i] = off + a;
    s[2 * i + 1] = off + (b > a ? b : a + 1);
  }
  return s;
}

/** Indices [from, to) of the spans that overlap the source interval [lo, hi). */
function overlapping(s: Int32Array, lo: number, hi: number): [number, number] {
  const n = s.length >> 1;
  let from = 0;
  while (from < n && s[2 * from + 1]! <= lo) from++;
  let to = from;
  while (to < n && s[2 * to]! < hi) to++;
  return [from, to];
}

/** Options for {@link downscale}. */
export interface DownscaleOptions {
  /** Letterbox colour (0x00RRGGBB). Default black. */
  background?: number;
  /**
   * Only recompute grid pixels whose source area overlaps these screen rectangles (e.g. from
   * `Framebuffer.takeDamage()`). Only valid when `out` holds this view's previous result.
   */
  damage?: readonly Rect[];
}

/**
 * Scales `view.src` of `src` into `view.dst` of `out` (a `gridWidth`×`gridHeight` buffer,
 * row-major 0x00RRGGBB), filling the letterbox with the background on a full pass.
 * Allocates only two small span tables per call.
 */
export function downscale(src: PixelSource, view: View, out: Uint32Array, opts: DownscaleOptions = {}): void {
  const {gridWidth: gw, gridHeight: gh, dst, src: area} = view;
  if (out.length < gw * gh) throw new RangeError(`out holds ${out.length} pixels, the grid needs ${gw * gh}`);
  if (area.x + area.width > src.width || area.y + area.height > src.height) {
    throw new RangeError(`view ${area.width}x${area.height}+${area.x}+${area.y} lies outside the ${src.width}x${src.height} screen`);
  }
  if (!opts.damage) {
    if (dst.width !== gw || dst.height !== gh) out.fill(opts.background ?? 0, 0, gw * gh);
    if (dst.width === 0 || dst.height === 0) return;
    scaleBlock(src, view, out, 0, dst.width, 0, dst.height);
    return;
  }
  if (dst.width === 0 || dst.height === 0) return;
  const xs = spans(area.x, area.width, dst.width);
  const ys = spans(area.y, area.height, dst.height);
  for (const d of opts.damage) {
    const [x0, x1] = overlapping(xs, d.x, d.x + d.width);
    const [y0, y1] = overlapping(ys, d.y, d.y + d.height);
    if (x0 < x1 && y0 < y1) scaleBlock(src, view, out, x0, x1, y0, y1, xs, ys);
  }
}

/** Averages target pixels [tx0,tx1)×[ty0,ty1) of view.dst (coordinates relative to dst). */
function scaleBlock(
  src: PixelSource, view: View, out: Uint32Array, tx0: number, tx1: number, ty0: number, ty1: number,
  xs = spans(view.src.x, view.src.width, view.dst.width), ys = spans(view.src.y, view.src.height, view.dst.height),
): void {
  const px = src.pixels;
  const sw = src.width;
  const gw = view.gridWidth;
  const {x: ox, y: oy} = view.dst;
  // 1:1 (crop mode): a straight row copy, no averaging.
  if (view.src.width === view.dst.width && view.src.height === view.dst.height) {
    for (let ty = ty0; ty < ty1; ty++) {
      const from = (view.src.y + ty) * sw + view.src.x;
      out.set(px.subarray(from + tx0, from + tx1), (oy + ty) * gw + ox + tx0);
    }
    return;
  }
  for (let ty = ty0; ty < ty1; ty++) {
    const sy0 = ys[2 * ty]!;
    const sy1 = ys[2 * ty + 1]!;
    let o = (oy + ty) * gw + ox + tx0;
    for (let tx = tx0; tx < tx1; tx++, o++) {
      const sx0 = xs[2 * tx]!;
      const sx1 = xs[2 * tx + 1]!;
      const n = (sx1 - sx0) * (sy1 - sy0);
      if (n === 1) {
        out[o] = px[sy0 * sw + sx0]!;
        continue;
      }
      let r = 0;
      let g = 0;
      let b = 0;
      for (let sy = sy0; sy < sy1; sy++) {
        const row = sy * sw;
        for (let i = row + sx0, end = row + sx1; i < end; i++) {
          const p = px[i]!;
          r += (p >>> 16) & 255;
          g += (p >>> 8) & 255;
          b += p & 255;
        }
      }
      // Round to nearest: a 2×2 of 0 and 255 gives 128, not 127.
      const h = n >>> 1;
      out[o] = ((((r + h) / n) & 255) << 16) | ((((g + h) / n) & 255) << 8) | (((b + h) / n) & 255);
    }
  }
}
