import {describe, expect, it} from 'vitest';
import {computeView, cropView, downscale, type View} from '../../src/render/downscale.js';
import type {PixelSource} from '../../src/vnc/framebuffer.js';

function image(width: number, height: number, at: (x: number, y: number) => number): PixelSource {
  const pixels = new Uint32Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) pixels[y * width + x] = at(x, y);
  return {width, height, pixels};
}

function scaled(src: PixelSource, view: View, background?: number): PixelSource {
  const out = new Uint32Array(view.gridWidth * view.gridHeight).fill(0xdeadbe);
  downscale(src, view, out, background === undefined ? {} : {background});
  return {width: view.gridWidth, height: view.gridHeight, pixels: out};
}

const at = (p: PixelSource, x: number, y: number): number => p.pixels[y * p.width + x]!;
const hex = (v: number): string => v.toString(16).padStart(6, '0');

describe('computeView', () => {
  it.each([
    // screen, grid → shown area and where it lands (letterbox offsets)
    {screen: [720, 400], grid: [100, 60], dst: {x: 0, y: 2, width: 100, height: 56}},
    {screen: [1024, 768], grid: [100, 60], dst: {x: 10, y: 0, width: 80, height: 60}},
    {screen: [1280, 800], grid: [100, 60], dst: {x: 2, y: 0, width: 96, height: 60}},
    {screen: [640, 480], grid: [200, 60], dst: {x: 60, y: 0, width: 80, height: 60}},
    {screen: [800, 600], grid: [80, 60], dst: {x: 0, y: 0, width: 80, height: 60}},
    {screen: [4, 2], grid: [8, 8], dst: {x: 0, y: 2, width: 8, height: 4}},
  ])('fits $screen into $grid keeping the aspect ratio', ({screen, grid, dst}) => {
    const v = computeView(screen[0]!, screen[1]!, grid[0]!, grid[1]!);
    expect(v.src).toEqual({x: 0, y: 0, width: screen[0], height: screen[1]});
    expect(v.dst).toEqual(dst);
  });

  it.each([
    // 1:1 crop: pan clamped to the screen on every side
    {pan: [0, 0], src: {x: 0, y: 0, width: 100, height: 60}},
    {pan: [500, 300], src: {x: 500, y: 300, width: 100, height: 60}},
    {pan: [5000, -3], src: {x: 1180, y: 0, width: 100, height: 60}},
    {pan: [-10, 9999], src: {x: 0, y: 740, width: 100, height: 60}},
  ])('crop at pan $pan shows $src', ({pan, src}) => {
    const v = cropView(1280, 800, 100, 60, pan[0], pan[1]);
    expect(v.src).toEqual(src);
    expect(v.dst).toEqual({x: 0, y: 0, width: 100, height: 60});
  });

  it('centres a screen smaller than the 1:1 viewport', () => {
    expect(cropView(80, 40, 100, 60, 7, 7)).toMatchObject({src: {x: 0, y: 0, width: 80, height: 40}, dst: {x: 10, y: 10, width: 80, height: 40}});
  });

  it('zoom 2 shows a viewport twice the grid, clamped', () => {
    expect(computeView(1280, 800, 100, 60, {zoom: 2, panX: 100, panY: 50}).src).toEqual({x: 100, y: 50, width: 200, height: 120});
    expect(computeView(1280, 800, 100, 60, {zoom: 2, panX: 1200, panY: 790}).src).toEqual({x: 1080, y: 680, width: 200, height: 120});
  });

  it('rejects a zoom that is not positive', () => {
    expect(() => computeView(10, 10, 5, 5, {zoom: 0})).toThrow(RangeError);
  });
});

describe('downscale', () => {
  it.each([
    {name: '8x4 into 4x2', w: 8, h: 4, gw: 4, gh: 2},
    {name: '720x400 into 90x50', w: 720, h: 400, gw: 90, gh: 50},
    {name: '1280x800 into 100x60 (non-integer ratio)', w: 1280, h: 800, gw: 100, gh: 60},
  ])('uniform quadrants keep their exact colours: $name', ({w, h, gw, gh}) => {
    const colours = [0x123456, 0xff0000, 0x00aa55, 0xfefefe];
    const src = image(w, h, (x, y) => colours[(x < w / 2 ? 0 : 1) + (y < h / 2 ? 0 : 2)]!);
    const view = computeView(w, h, gw, gh);
    const out = scaled(src, view);
    const {dst} = view;
    // Sample each quadrant's centre (block edges may straddle a target pixel at odd ratios).
    const qx = [dst.x + Math.floor(dst.width / 4), dst.x + Math.floor((dst.width * 3) / 4)] as const;
    const qy = [dst.y + Math.floor(dst.height / 4), dst.y + Math.floor((dst.height * 3) / 4)] as const;
    const probes = [[qx[0], qy[0], 0], [qx[1], qy[0], 1], [qx[0], qy[1], 2], [qx[1], qy[1], 3]] as const;
    for (const [x, y, c] of probes) expect(hex(at(out, x, y))).toBe(hex(colours[c]!));
  });

  it.each([
    {a: 0x000000, b: 0xffffff, mean: 0x808080},
    {a: 0xff0000, b: 0x0000ff, mean: 0x800080},
    {a: 0x102030, b: 0x305070, mean: 0x203850},
  ])('a 2x2 checker of $a/$b averages to $mean', ({a, b, mean}) => {
    const src = image(64, 32, (x, y) => ((x + y) % 2 ? b : a));
    const out = scaled(src, computeView(64, 32, 32, 16));
    expect(new Set(out.pixels)).toEqual(new Set([mean]));
  });

  it('fills the letterbox with the background and leaves no pixel unwritten', () => {
    const src = image(1024, 768, () => 0x336699);
    const view = computeView(1024, 768, 100, 60);
    const out = scaled(src, view, 0x010203);
    expect(at(out, 0, 0)).toBe(0x010203);
    expect(at(out, 99, 59)).toBe(0x010203);
    expect(at(out, 50, 30)).toBe(0x336699);
    expect(out.pixels.includes(0xdeadbe)).toBe(false);
    expect(out.pixels.filter((p) => p === 0x336699).length).toBe(view.dst.width * view.dst.height);
  });

  it('crop mode copies screen pixels 1:1 from the clamped pan position', () => {
    const src = image(300, 200, (x, y) => (x << 8) | y);
    const view = cropView(300, 200, 50, 40, 280, 10);
    const out = scaled(src, view);
    expect(view.src.x).toBe(250);
    for (const [x, y] of [[0, 0], [49, 0], [0, 39], [17, 23]] as const) expect(at(out, x, y)).toBe(((250 + x) << 8) | (10 + y));
  });

  it('enlarges by repeating pixels when the screen is smaller than the grid', () => {
    const src = image(2, 1, (x) => (x ? 0xffffff : 0x0000ff));
    const out = scaled(src, computeView(2, 1, 4, 2));
    expect(Array.from(out.pixels)).toEqual([0xff, 0xff, 0xffffff, 0xffffff, 0xff, 0xff, 0xffffff, 0xffffff]);
  });

  it('recomputes only damaged areas, with the same result as a full pass', () => {
    const src = image(1280, 800, (x, y) => (x * 7 + y * 13) & 0xffffff);
    const view = computeView(1280, 800, 100, 60);
    const out = new Uint32Array(100 * 60);
    downscale(src, view, out);
    const before = out.slice();
    src.pixels.fill(0xffffff, 400 * 1280 + 640, 400 * 1280 + 660); // a 20-pixel line
    downscale(src, view, out, {damage: [{x: 640, y: 400, width: 20, height: 1}]});
    const full = new Uint32Array(100 * 60);
    downscale(src, view, full);
    expect(Array.from(out)).toEqual(Array.from(full));
    const changed = out.reduce((n, v, i) => n + (v !== before[i] ? 1 : 0), 0);
    expect(changed).toBeGreaterThan(0);
    expect(changed).toBeLessThanOrEqual(3);
  });

  it('refuses a view that lies outside the screen', () => {
    const src = image(10, 10, () => 0);
    const view = computeView(20, 20, 5, 5);
    expect(() => downscale(src, view, new Uint32Array(25))).toThrow(/outside/);
  });
});
