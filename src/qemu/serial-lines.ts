/**
 * The guest's serial console as log lines: what a terminal would show of each line (escape
 * sequences removed, only the text after the last carriage return — systemd and progress bars
 * redraw a line in place), blank redraws dropped, and a redrawn status line that only changes
 * its numbers ("A start job is running … (1min 26s / 6min 21s)", a spinner) said once instead
 * of twice a second. Stateful per console.
 */
import {stripAnsi} from '../sections/types.js';

/** The line as the digits-and-spinner-free shape two redraws of one status line share. */
const shape = (line: string): string => line.replace(/\d+/g, '#').replace(/[\s*]+/g, ' ').trim();

export function serialLineCleaner(): (raw: string) => string | undefined {
  let lastShape = '';
  let lastWasRedraw = false;
  return (raw) => {
    const redraw = raw.includes('\r');
    const text = stripAnsi(raw).split('\r').map((s) => s.trimEnd()).filter(Boolean).pop() ?? '';
    if (!text.trim()) return undefined;
    const s = shape(text);
    // Only redrawn lines are folded: ordinary lines that look alike (a counter) all stay.
    if (redraw && lastWasRedraw && s === lastShape) return undefined;
    lastShape = s;
    lastWasRedraw = redraw;
    return text;
  };
}
