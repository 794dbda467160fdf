/**
 * Provisioning output as its BEGIN/END section tree: status icon, duration, line counts.
 * Enter shows a section's own lines under it (read from the ring by section path, only the
 * rows that fit); `e` jumps to the first failing section and opens it.
 */
import {Box, Text} from 'ink';
import {Line, type Seg} from './Line.js';
import {memo, type ReactElement} from 'react';
import {formatDuration} from '../util/duration.js';
import {fit, fitStart, formatCount, sanitizeLine, SECTION_COLOR, SECTION_ICON, truncate} from './format.js';
import {windowStart} from './StepList.js';
import type {LogBuffer, SectionView} from './types.js';
import type {SectionRows} from './view-state.js';

export interface SectionsPaneProps {
  sections: readonly SectionView[];
  rows: SectionRows;
  ring: LogBuffer;
  /** The ring's version: re-render when it changes (an open section's lines grow). */
  version: number;
  cursor: number;
  expanded?: number;
  focused: boolean;
  width: number;
  /** Rows including the header row. */
  height: number;
}

function summary(s: SectionView): string {
  const n = s.lines.stdout + s.lines.stderr;
  const parts = [s.durationMs !== undefined ? formatDuration(s.durationMs) : s.status === 'open' ? 'running' : '', `${formatCount(n)} ln`];
  if (s.lines.stderr) parts.push(`${formatCount(s.lines.stderr)} err`);
  return parts.filter(Boolean).join('  ');
}

export const SectionsPane = memo(function SectionsPane({sections, rows, ring, cursor, expanded, focused, width, height}: SectionsPaneProps) {
  const body = Math.max(0, height - 1);
  const failed = sections.filter((s) => s.status === 'failed').length;
  const head =
    sections.length === 0
      ? 'no sections yet: provisioning output marked BEGIN{name} … END{name} shows here'
      : `${formatCount(sections.length)} sections${failed ? ` · ${failed} failed (e jumps there)` : ''} · Enter shows lines`;
  const start = windowStart(cursor, rows.length, body);
  const out: ReactElement[] = [];
  for (let r = start; r < rows.length && out.length < body; r++) {
    const row = rows.at(r)!;
    const sel = r === cursor;
    const s = sections[row.index]!;
    const indent = '  '.repeat(s.depth);
    if (row.kind === 'section') {
      const tail = summary(s);
      const tailW = Math.min(tail.length + 1, Math.max(0, width - 4 - indent.length));
      const nameW = Math.max(0, width - 3 - indent.length - tailW);
      const segs: Seg[] = [
        {text: sel ? '›' : ' ', color: 'cyan'},
        {text: indent},
        {text: SECTION_ICON[s.status], color: SECTION_COLOR[s.status]},
        {text: ' '},
        {text: fit(s.name, nameW), inverse: sel && focused, bold: row.index === expanded},
        {text: fitStart(tail, tailW), color: 'gray'},
      ];
      out.push(<Line key={out.length} width={width} segs={segs} />);
    } else if (row.kind === 'note') {
      out.push(<Line key={out.length} width={width} segs={[{text: truncate(`${indent}  … earlier lines of this section are only in build.log`, width), color: 'gray', inverse: sel && focused}]} />);
    } else {
      const line = ring.bySeq(row.seq);
      const text = truncate(sanitizeLine(line?.line ?? ''), Math.max(0, width - indent.length - 4));
      const segs: Seg[] = [
        {text: sel ? '›' : ' ', color: 'cyan'},
        {text: `${indent} │ `, color: 'gray'},
        {text, color: line?.stream === 'stderr' ? 'red' : undefined, inverse: sel && focused},
      ];
      out.push(<Line key={out.length} width={width} segs={segs} />);
    }
  }
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text color="gray">{truncate(head, width)}</Text>
      {out}
    </Box>
  );
});
