/**
 * The step list: status icon, title, duration (live for the running step), ● breakpoint,
 * ⏸ where the build is paused, › the selected row. Only the rows that fit are rendered.
 */
import {Box, Text} from 'ink';
import {Line, type Seg} from './Line.js';
import {memo} from 'react';
import {formatDuration} from '../util/duration.js';
import {fit, fitStart, STEP_COLOR, STEP_ICON, topBorder, truncate} from './format.js';
import type {BuildViewState, StepView} from './types.js';

export interface StepListProps {
  steps: readonly StepView[];
  selected: number;
  focused: boolean;
  pause?: BuildViewState['pause'];
  width: number;
  /** Rows including the borders. */
  height: number;
  now: number;
}

const DUR = 8;

function duration(s: StepView, now: number, pause: StepListProps['pause']): string {
  if (pause?.stepId === s.id) return pause.phase !== 'checkpoint' ? `⏸ ${pause.phase}` : pause.kind === 'installer-question' ? '⏸ asks' : '⏸ point';
  if (s.status === 'running' && s.startedAt !== undefined) return formatDuration(Math.max(0, now - s.startedAt));
  return s.durationMs !== undefined ? formatDuration(s.durationMs) : '';
}

/** First row to show so that `selected` is visible (kept near the middle when scrolling). */
export function windowStart(selected: number, count: number, rows: number): number {
  if (count <= rows) return 0;
  return Math.max(0, Math.min(selected - Math.floor(rows / 2), count - rows));
}

export const StepList = memo(function StepList({steps, selected, focused, pause, width, height, now}: StepListProps) {
  const inner = Math.max(0, width - 2);
  const rows = Math.max(0, height - 2);
  const start = windowStart(selected, steps.length, rows);
  const visible = steps.slice(start, start + rows);
  const done = steps.filter((s) => s.status === 'done').length;
  const titleW = Math.max(0, inner - 4 - DUR);
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text color={focused ? 'green' : 'gray'}>{topBorder(width, steps.length ? `Steps ${done}/${steps.length}` : 'Steps')}</Text>
      <Box flexDirection="column" borderStyle="round" borderTop={false} borderColor={focused ? 'green' : 'gray'} width={width} height={height - 1}>
        {steps.length === 0 ? <Text color="gray">{truncate(' waiting for the build…', inner)}</Text> : null}
        {visible.map((s, i) => {
          const isSel = start + i === selected;
          const segs: Seg[] = [
            {text: isSel ? '›' : ' ', color: 'cyan'},
            {text: s.breakpoint ? '●' : ' ', color: 'red'},
            {text: STEP_ICON[s.status], color: STEP_COLOR[s.status]},
            {text: ' '},
            {text: fit(s.title, titleW), inverse: isSel && focused, bold: s.status === 'running' || s.status === 'paused'},
            {text: fitStart(duration(s, now, pause), DUR), color: pause?.stepId === s.id ? 'yellow' : 'gray'},
          ];
          return <Line key={i} width={inner} segs={segs} />;
        })}
      </Box>
    </Box>
  );
});
