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

/** The segments as one string, with SGR escape codes when `colors` (each segment resets after itself). */
export function styled(segs: readonly Seg[], colors: boolean): string {
  let out = '';
  for (const s of segs) {
    if (!s.text) continue;
    const codes: number[] = [];
    if (colors) {
      if (s.bold) codes.push(1);
      if (s.dim) codes.push(2);
      if (s.inverse) codes.push(7);
      const fg = s.color ? FG[s.color as Color] : undefined;
      if (fg) codes.push(fg);
      const bg = s.bg ? FG[s.bg as Color] : undefined;
      if (bg) codes.push(bg + 10);
    }
    out += codes.length ? `\x1b[${codes.join(';')}m${s.text}\x1b[0m` : s.text;
  }
  return out;
}

const decided = new WeakMap<object, boolean>();

/**
 * Whether to colour: NO_COLOR wins, then FORCE_COLOR, then what the output stream says
 * (`hasColors()` on a terminal; test streams have none, so tests see plain text).
 */
export function colorsFor(stream: NodeJS.WriteStream | object, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR) return false;
  if (env.FORCE_COLOR !== undefined) return env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false';
  const s = stream as Partial<NodeJS.WriteStream>;
  return !!s.isTTY && typeof s.hasColors === 'function' && s.hasColors();
}

function useColors(): boolean {
  const {stdout} = useStdout();
  let c = decided.get(stdout);
  if (c === undefined) {
    c = colorsFor(stdout);
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
  const text = styled(segs, useColors());
  return <Transform transform={() => text}>{pad(width)}</Transform>;
});
