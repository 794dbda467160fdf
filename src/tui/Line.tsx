/**
 * One row of styled text of a known width, for rows whose text keeps changing (log lines,
 * counters, clocks).
 *
 * Why not plain <Text>: ink 6.8 caches the size of every distinct string it lays out in a
 * module-level Map that is never emptied (measure-text.js; ink issue #986), so a log pane that
 * shows ever-new lines grows the heap without bound (measured: ~130 bytes per line shown).
 * Here ink lays out a row of `width` spaces — one string per width, measured once — and the
 * real row is swapped in by a <Transform> while ink writes the frame. The rows are cut to
 * `width` beforehand (format.ts), so the swap never changes the layout.
 */
import {Transform, useStdout} from 'ink';
import {memo} from 'react';

export type Color = 'black' | 'red' | 'green' | 'yellow' | 'blue' | 'magenta' | 'cyan' | 'white' | 'gray' | 'blueBright';

export interface Seg {
  text: string;
  color?: string;
  bg?: string;
  bold?: boolean;
  dim?: boolean;
  inverse?: boolean;
}

const FG: Record<Color, number> = {black: 30, red: 31, green: 32, yellow: 33, blue: 34, magenta: 35, cyan: 36, white: 37, gray: 90, blueBright: 94};

/**
 * How much styling a terminal gets: none (not a terminal, FORCE_COLOR=0), attributes only —
 * bold, dim, inverse — (NO_COLOR), or colours too.
 */
export type Styling = 'none' | 'attributes' | 'colors';

/**
 * The segments as one string, with SGR escape codes as `styling` allows (`true`: colours,
 * `false`: none); each segment resets after itself.
 */
export function styled(segs: readonly Seg[], styling: boolean | Styling): string {
  const mode: Styling = styling === true ? 'colors' : styling === false ? 'none' : styling;
  let out = '';
  for (const s of segs) {
    if (!s.text) continue;
    const codes: number[] = [];
    if (mode !== 'none') {
      if (s.bold) codes.push(1);
      if (s.dim) codes.push(2);
      if (s.inverse) codes.push(7);
    }
    if (mode === 'colors') {
      const fg = s.color ? FG[s.color as Color] : undefined;
      if (fg) codes.push(fg);
      const bg = s.bg ? FG[s.bg as Color] : undefined;
      if (bg) codes.push(bg + 10);
    }
    out += codes.length ? `\x1b[${codes.join(';')}m${s.text}\x1b[0m` : s.text;
  }
  return out;
}

const decided = new WeakMap<object, Styling>();

/**
 * The styling for a stream: NO_COLOR wins (a terminal keeps attributes, no colours), then
 * FORCE_COLOR, then what the output stream says (`hasColors()` on a terminal; test streams
 * have none, so tests see plain text).
 */
export function stylingFor(stream: NodeJS.WriteStream | object, env: NodeJS.ProcessEnv = process.env): Styling {
  const s = stream as Partial<NodeJS.WriteStream>;
  const terminal = !!s.isTTY && typeof s.hasColors === 'function' && s.hasColors();
  if (env.NO_COLOR) return terminal || (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false') ? 'attributes' : 'none';
  if (env.FORCE_COLOR !== undefined) return env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false' ? 'colors' : 'none';
  return terminal ? 'colors' : 'none';
}

/** Whether to colour (see stylingFor). */
export function colorsFor(stream: NodeJS.WriteStream | object, env: NodeJS.ProcessEnv = process.env): boolean {
  return stylingFor(stream, env) === 'colors';
}

function useStyling(): Styling {
  const {stdout} = useStdout();
  let c = decided.get(stdout);
  if (c === undefined) {
    c = stylingFor(stdout);
    decided.set(stdout, c);
  }
  return c;
}

const pads = new Map<number, string>();
const pad = (width: number): string => {
  let p = pads.get(width);
  if (p === undefined) pads.set(width, (p = ' '.repeat(Math.max(1, width))));
  return p;
};

export interface LineProps {
  /** Cells the row takes; the text must already fit (see format.ts truncate). */
  width: number;
  segs: readonly Seg[];
}

/** A row of segments; see the file comment for why it is not a <Text>. */
export const Line = memo(function Line({width, segs}: LineProps) {
  const text = styled(segs, useStyling());
  return <Transform transform={() => text}>{pad(width)}</Transform>;
});
