/**
 * The Log pane, virtualised: only the rows that fit are read from the ring, whatever it holds.
 * Follow mode pins the view to the newest line; scrolling pauses it on the same lines (the view
 * is anchored by seq) while new ones arrive below. Rows never wrap: long lines are cut to the
 * width, escape sequences removed, the source tag coloured, search matches highlighted.
 */
import {Box, Text} from 'ink';
import {memo, type ReactElement} from 'react';
import {formatCount, highlight, sanitizeLine, SOURCE_COLOR, SOURCE_TAG, truncate} from './format.js';
import {Line, type Seg} from './Line.js';
import type {LineList} from './log-ring.js';
import type {LogBuffer, LogLine} from './types.js';
import {logTopIndex, type LogView} from './view-state.js';

export interface LogPaneProps {
  ring: LogBuffer;
  /** The ring's version (`logTotal`): re-render when it changes. */
  version: number;
  list: LineList;
  view: LogView;
  /** Matches of the active query (for "3/12"), if any. */
  matches?: LineList;
  width: number;
  /** Rows including the header row. */
  height: number;
}

const STREAM_COLOR: Partial<Record<LogLine['stream'], string>> = {stderr: 'red', error: 'red', warn: 'yellow'};

/** The header: mode, filter, search, lines dropped from the ring. `shown`: log lines on screen. */
function header({ring, list, view, matches}: LogPaneProps, top: number, shown: number): string {
  const parts: string[] = [];
  if (view.follow) parts.push('▼ follow');
  else {
    const below = Math.max(0, list.length - top - shown);
    parts.push(below > 0 ? `⏸ paused, ${formatCount(below)} below (G follows)` : '⏸ paused (G follows)');
  }
  parts.push(view.source === 'all' ? 'all sources' : `only ${view.source}`);
  if (view.draft !== undefined) parts.push(`/${view.draft}▏`);
  else if (view.query) {
    const n = matches?.length ?? 0;
    const at = view.current !== undefined && matches ? matches.indexOfSeq(view.current) + 1 : 0;
    parts.push(n ? `/${view.query} ${at ? `${formatCount(at)}/` : ''}${formatCount(n)}` : `/${view.query}: no match`);
  }
  if (ring.dropped > 0) parts.push(`… ${formatCount(ring.dropped)} older lines in build.log`);
  return parts.join(' · ');
}

/** One log row as segments: current-match marker, source tag, text with the matches highlighted. */
export function rowSegs(line: LogLine, query: string, current: boolean, width: number): Seg[] {
  const text = truncate(sanitizeLine(line.line), Math.max(0, width - 6));
  const color = STREAM_COLOR[line.stream];
  const dim = line.stream === 'debug';
  const segs: Seg[] = [
    {text: current ? '▸' : ' ', color: 'yellow'},
    {text: SOURCE_TAG[line.source], color: SOURCE_COLOR[line.source]},
    {text: ' '},
  ];
  for (const h of highlight(text, query)) segs.push(h.match ? {text: h.text, bg: 'yellow', color: 'black'} : {text: h.text, color, dim});
  return segs;
}

export const LogPane = memo(function LogPane(props: LogPaneProps) {
  const {ring, list, view, width, height} = props;
  const rows = Math.max(0, height - 1);
  const top = logTopIndex(view, list, rows);
  const query = view.draft ?? view.query;
  // The "older lines" notice takes the first row only when scrolled to the very top.
  const notice = top === 0 && ring.dropped > 0 && !view.follow;
  const out: ReactElement[] = [];
  if (notice) out.push(<Line key={0} width={width} segs={[{text: truncate(`… ${formatCount(ring.dropped)} older lines in build.log`, width), color: 'gray'}]} />);
  for (let i = top; out.length < rows && i < list.length; i++) {
    const seq = list.seqAt(i);
    const line = ring.bySeq(seq);
    if (line) out.push(<Line key={out.length} width={width} segs={rowSegs(line, query, seq === view.current, width)} />);
  }
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Line width={width} segs={[{text: truncate(header(props, top, notice ? rows - 1 : rows), width), color: 'gray'}]} />
      {list.length === 0 ? <Text color="gray">{truncate(view.source === 'all' ? ' no output yet' : ` no ${view.source} lines`, width)}</Text> : out}
    </Box>
  );
});
