/**
 * The installer timeline under the step list: the stages the installer went through as seen on
 * the VM's screen, each with its duration (the current one's runs), and the questions it asked
 * (? until answered in the Console, then ✎ with the answer). The newest rows are shown.
 */
import {Box, Text} from 'ink';
import {memo} from 'react';
import {formatDuration} from '../util/duration.js';
import {fit, fitStart, topBorder} from './format.js';
import {timelineRows} from './installer-view.js';
import {Line} from './Line.js';
import type {BuildViewState} from './types.js';

export interface InstallerTimelineProps {
  installer: BuildViewState['installer'];
  build: BuildViewState['status'];
  width: number;
  /** Rows including the borders. */
  height: number;
  now: number;
}

const DUR = 7;

export const InstallerTimeline = memo(function InstallerTimeline({installer, build, width, height, now}: InstallerTimelineProps) {
  const inner = Math.max(0, width - 2);
  const rows = timelineRows(installer, build, now);
  const room = Math.max(0, height - 2);
  const shown = rows.slice(Math.max(0, rows.length - room));
  const stages = installer.timeline.filter((e) => e.kind === 'stage').length;
  const questions = installer.timeline.length - stages;
  const title = `Installer ${stages} stage${stages === 1 ? '' : 's'}${questions ? ` · ${questions}?` : ''}`;
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text color="gray">{topBorder(width, title)}</Text>
      <Box flexDirection="column" borderStyle="round" borderTop={false} borderColor="gray" width={width} height={height - 1}>
        {shown.length === 0 ? <Text color="gray">{fit(' nothing read off the screen yet', inner)}</Text> : null}
        {shown.map((r, i) => (
          <Line
            key={i}
            width={inner}
            segs={[
              {text: r.icon, color: r.color},
              {text: ' '},
              {text: fit(r.text, Math.max(0, inner - 2 - (r.duration === undefined ? 0 : DUR))), bold: r.current, color: r.icon === '?' ? 'yellow' : undefined},
              {text: r.duration === undefined ? '' : fitStart(formatDuration(r.duration), DUR), color: r.current ? 'cyan' : 'gray'},
            ]}
          />
        ))}
      </Box>
    </Box>
  );
});
