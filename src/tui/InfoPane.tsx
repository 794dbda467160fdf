/**
 * Facts about the running build: the VNC address for an external viewer (QEMU's VNC server is
 * shared, attaching does not disturb the build), an ssh command line to get into the VM by
 * hand, output and log paths, QEMU's pid and accelerator, artifacts. Long values wrap rather
 * than being cut, since they are there to be copied; a wrapped ssh command ends its lines in
 * ` \` so it still pastes into a shell as one command.
 */
import {Box, Text} from 'ink';
import {memo, type ReactElement} from 'react';
import {displayWidth, fit, infoRows, truncate} from './format.js';
import type {BuildViewState} from './types.js';

export interface InfoPaneProps {
  facts: BuildViewState['facts'];
  artifacts: BuildViewState['artifacts'];
  profile: string;
  width: number;
  height: number;
}

/** Splits `text` into lines of at most `width` cells, at spaces where possible. */
export function wrapWords(text: string, width: number, continuation = ''): string[] {
  if (width <= 0) return [];
  const room = Math.max(1, width - continuation.length);
  const out: string[] = [];
  let rest = text;
  while (displayWidth(rest) > width) {
    let cut = rest.lastIndexOf(' ', room);
    if (cut <= 0) cut = room;
    out.push(rest.slice(0, cut) + continuation);
    rest = rest.slice(cut).replace(/^ /, '');
  }
  out.push(rest);
  return out.map((l) => truncate(l, width));
}

export const InfoPane = memo(function InfoPane({facts, artifacts, profile, width, height}: InfoPaneProps) {
  const rows = infoRows({facts, artifacts, profile});
  const labelW = Math.min(13, Math.max(8, ...rows.map((r) => displayWidth(r.label) + 1)));
  const wide = width >= labelW + 30;
  const out: ReactElement[] = [];
  for (const r of rows) {
    if (out.length >= height) break;
    const valueW = wide ? width - labelW : width - 2;
    const lines = wrapWords(r.value, valueW, r.label === 'ssh' ? ' \\' : '');
    if (!wide) out.push(<Text key={out.length} color="gray">{fit(r.label, width)}</Text>);
    for (const [i, l] of lines.entries()) {
      if (out.length >= height) break;
      out.push(
        <Text key={out.length}>
          <Text color="gray">{wide ? fit(i === 0 ? r.label : '', labelW) : '  '}</Text>
          <Text color={r.label === 'ssh' || r.label === 'VNC' ? 'cyan' : undefined}>{l}</Text>
        </Text>,
      );
    }
  }
  if (rows.length <= 1 && out.length < height) out.push(<Text key="wait" color="gray">{fit('Ports, the VNC address and an ssh command appear once the VM runs.', width)}</Text>);
  return (
    <Box flexDirection="column" width={width} height={height}>
      {out}
    </Box>
  );
});
