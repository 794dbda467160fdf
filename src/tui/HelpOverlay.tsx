/**
 * `?`: every key, generated from the keymap table and grouped by where it works. Flows into as
 * many columns as the width allows; scrolls (j/k) when even that is not enough.
 */
import {Box, Text} from 'ink';
import {memo} from 'react';
import {fit, topBorder, truncate} from './format.js';
import {CONTEXT_TITLES, type HelpRow} from './keymap.js';

export interface HelpLine {
  header: boolean;
  keys: string;
  text: string;
}

/** The help as lines: a header per context, then its keys. */
export function helpLines(rows: readonly HelpRow[]): HelpLine[] {
  const out: HelpLine[] = [];
  let last: string | undefined;
  for (const r of rows) {
    if (r.context !== last) {
      if (last !== undefined) out.push({header: false, keys: '', text: ''});
      out.push({header: true, keys: '', text: CONTEXT_TITLES[r.context]});
      last = r.context;
    }
    out.push({header: false, keys: r.keys, text: r.description});
  }
  return out;
}

/** How the help is laid out in an inner area of `width` × `height`. */
export function helpGeometry(lineCount: number, width: number, height: number): {columns: number; colWidth: number; visible: number} {
  const columns = Math.max(1, Math.min(Math.floor(width / 44), Math.ceil(lineCount / Math.max(1, height))));
  return {columns, colWidth: Math.floor(width / columns), visible: columns * Math.max(0, height)};
}

export interface HelpOverlayProps {
  lines: readonly HelpLine[];
  scroll: number;
  width: number;
  /** Rows including the borders. */
  height: number;
}

export const HelpOverlay = memo(function HelpOverlay({lines, scroll, width, height}: HelpOverlayProps) {
  const inner = Math.max(0, width - 2);
  const rows = Math.max(0, height - 2);
  const {columns, colWidth} = helpGeometry(lines.length, inner, rows);
  const shown = lines.slice(scroll, scroll + columns * rows);
  const keysW = Math.min(18, Math.max(6, Math.floor(colWidth * 0.35)));
  const more = scroll + columns * rows < lines.length;
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text color="cyan">{topBorder(width, `Keys — ? or Esc closes${more || scroll ? ' · j/k scroll' : ''}`)}</Text>
      <Box borderStyle="round" borderTop={false} borderColor="cyan" width={width} height={height - 1} flexDirection="row">
        {Array.from({length: columns}, (_, c) => (
          <Box key={c} flexDirection="column" width={c === columns - 1 ? inner - colWidth * (columns - 1) : colWidth}>
            {shown.slice(c * rows, (c + 1) * rows).map((l, i) =>
              l.header ? (
                <Text key={i} bold color="cyan">
                  {truncate(l.text, colWidth - 1)}
                </Text>
              ) : (
                <Text key={i} wrap="truncate-end">
                  <Text color="yellow">{fit(l.keys ? ` ${l.keys}` : '', keysW)}</Text>
                  <Text>{truncate(l.text, Math.max(0, colWidth - keysW - 1))}</Text>
                </Text>
              ),
            )}
          </Box>
        ))}
      </Box>
    </Box>
  );
});
