/**
 * Colour helpers shared by the half-block painter (256-colour fallback, monochrome threshold)
 * and the sixel encoder (its fixed palette is the same 6×6×6 cube + grey ramp).
 */

/** The six levels of xterm's 6×6×6 colour cube (indices 16–231). */
export const CUBE_LEVELS: readonly number[] = [0, 95, 135, 175, 215, 255];

/** Cube level index for one 0–255 channel: the nearest of {@link CUBE_LEVELS} (midpoints 48, 115, 155, 195, 235). */
function cubeLevel(v: number): number {
  return v < 48 ? 0 : v < 115 ? 1 : ((v - 35) / 40) | 0;
}

const sq = (v: number): number => v * v;

/**
 * Nearest xterm 256-colour index for 0x00RRGGBB, choosing between the closest cube colour
 * (16–231) and the closest grey of the ramp (232–255: 8, 18 … 238). Indices 0–15 are skipped on
 * purpose: terminals theme them, so they would not show the colour asked for.
 */
export function rgbTo256(rgb: number): number {
  const r = (rgb >>> 16) & 255;
  const g = (rgb >>> 8) & 255;
  const b = rgb & 255;
  const ri = cubeLevel(r);
  const gi = cubeLevel(g);
  const bi = cubeLevel(b);
  const cube = 16 + 36 * ri + 6 * gi + bi;
  const cr = CUBE_LEVELS[ri]!;
  const cg = CUBE_LEVELS[gi]!;
  const cb = CUBE_LEVELS[bi]!;
  if (cr === r && cg === g && cb === b) return cube;
  const avg = ((r + g + b) / 3) | 0;
  const gi2 = avg > 238 ? 23 : Math.max(0, ((avg - 3) / 10) | 0);
  const grey = 8 + 10 * gi2;
  const dCube = sq(cr - r) + sq(cg - g) + sq(cb - b);
  const dGrey = sq(grey - r) + sq(grey - g) + sq(grey - b);
  return dGrey < dCube ? 232 + gi2 : cube;
}

/** The 0x00RRGGBB colour of an xterm palette index 16–255 (what {@link rgbTo256} maps onto). */
export function xterm256ToRgb(index: number): number {
  if (index >= 232) {
    const v = 8 + 10 * (index - 232);
    return (v << 16) | (v << 8) | v;
  }
  const i = index - 16;
  return (CUBE_LEVELS[((i / 36) | 0) % 6]! << 16) | (CUBE_LEVELS[((i / 6) | 0) % 6]! << 8) | CUBE_LEVELS[i % 6]!;
}

/** Perceived brightness 0–255 (BT.601 weights in 8-bit fixed point: 77 + 150 + 29 = 256). */
export function luma(rgb: number): number {
  return (((rgb >>> 16) & 255) * 77 + ((rgb >>> 8) & 255) * 150 + (rgb & 255) * 29) >>> 8;
}

/**
 * Luma at or above which a pixel counts as "on" in monochrome, chosen per frame by Otsu's
 * method (the split of the luma histogram with the largest between-class variance). A fixed
 * 50 % fails on console text: once 9×16 glyphs are averaged down, grey text on black is ~20 %
 * bright and would vanish. A frame with almost no contrast gets 128, so a blank screen is blank.
 */
export function otsuThreshold(pixels: Uint32Array, count = pixels.length): number {
  const hist = new Uint32Array(256);
  let min = 255;
  let max = 0;
  for (let i = 0; i < count; i++) {
    const l = luma(pixels[i]!);
    hist[l]!++;
    if (l < min) min = l;
    if (l > max) max = l;
  }
  if (max - min < 24) return 128;
  let sum = 0;
  for (let i = 0; i < 256; i++) sum += i * hist[i]!;
  let wB = 0;
  let sumB = 0;
  let best = -1;
  let split = min;
  for (let t = min; t < max; t++) {
    wB += hist[t]!;
    if (wB === 0) continue;
    const wF = count - wB;
    if (wF === 0) break;
    sumB += t * hist[t]!;
    const d = sumB / wB - (sum - sumB) / wF;
    const between = wB * wF * d * d;
    if (between > best) {
      best = between;
      split = t;
    }
  }
  return split + 1;
}
