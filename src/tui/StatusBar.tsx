/**
 * Two rows at the bottom: what the build is doing (status, current step, elapsed time, debug
 * mode, a pause or a question waiting for you), and the keys that work right now — taken from
 * the keymap for the active contexts, so the hints can never disagree with the keys.
 */
import {Box} from 'ink';
import {Line, type Seg} from './Line.js';
import {memo} from 'react';
import {BUILD_ICON, displayWidth, formatClock, formatCount, truncate} from './format.js';
import type {BuildViewState} from './types.js';

export interface StatusBarProps {
  state: Pick<BuildViewState, 'status' | 'steps' | 'currentStep' | 'startedAt' | 'endedAt' | 'pause' | 'errorPrompt' | 'debug' | 'progress' | 'reason'> & {diagnosis?: BuildViewState['diagnosis']};
  hints: readonly string[];
  width: number;
  now: number;
  /** The keyboard goes to the VM (Console passthrough). */
  keyboardCaptured?: boolean;
}

const STATUS_COLOR: Record<BuildViewState['status'], string> = {idle: 'gray', running: 'cyan', done: 'green', failed: 'red', cancelled: 'yellow'};

function progressText(p: NonNullable<BuildViewState['progress']>): string {
  if (p.total) return `${p.label} ${Math.floor((100 * p.current) / p.total)}%`;
  return `${p.label} ${formatCount(p.current)}`;
}

/** The first row's text after the status word. */
export function statusLine(state: StatusBarProps['state'], now: number): string {
  const parts: string[] = [];
  const i = state.steps.findIndex((s) => s.id === state.currentStep);
  const step = state.steps[i];
  if (step) parts.push(`step ${i + 1}/${state.steps.length} ${step.title}`);
  if (state.startedAt !== undefined) parts.push(`⏱ ${formatClock((state.endedAt ?? now) - state.startedAt)}`);
  if (state.progress && state.progress.step === state.currentStep) parts.push(progressText(state.progress));
  const dbg = [state.debug.pauseBefore && 'before', state.debug.pauseAfter && 'after', state.debug.pauseQuestions && 'questions'].filter(Boolean);
  const bps = state.steps.filter((s) => s.breakpoint).length;
  if (dbg.length) parts.push(`pause ${dbg.join('+')}`);
  if (bps) parts.push(`● ${bps}`);
  // The named cause of a stop says more than the failed step's own error.
  if (state.diagnosis && (state.status === 'failed' || state.errorPrompt)) parts.push(state.diagnosis.cause);
  else if (state.status !== 'running' && state.reason) parts.push(state.reason.split('\n')[0]!);
  return parts.join(' · ');
}

export const StatusBar = memo(function StatusBar({state, hints, width, now, keyboardCaptured}: StatusBarProps) {
  const word = ` ${BUILD_ICON[state.status]} ${state.status} `;
  let banner = '';
  let bannerColor = 'yellow';
  if (keyboardCaptured) banner = ' ⌨ typing into the VM — Ctrl-] leaves ';
  else if (state.errorPrompt) {
    banner = ` ✖ ${state.errorPrompt.title} failed — answer below `;
    bannerColor = 'red';
  } else if (state.pause?.kind === 'installer-question') {
    banner = ` ? the installer asks: ${state.pause.label ?? 'a question'} — answer in the Console (i), then c `;
  } else if (state.pause) {
    const where = state.pause.phase === 'checkpoint' ? `at "${state.pause.label ?? 'a pause point'}" in` : state.pause.phase;
    banner = ` ⏸ paused ${where} ${state.pause.title} `;
  }
  const bannerText = truncate(banner, Math.max(0, width - displayWidth(word)));
  const rest = Math.max(0, width - displayWidth(word) - displayWidth(bannerText));
  // Hints that do not fit are left out whole rather than cut in the middle.
  let hintLine = '';
  for (const h of hints) {
    const next = hintLine ? `${hintLine}  ${h}` : ` ${h}`;
    if (displayWidth(next) > width) break;
    hintLine = next;
  }
  const status: Seg[] = [
    {text: word, inverse: true, color: STATUS_COLOR[state.status]},
    {text: bannerText, inverse: true, color: bannerColor},
    {text: truncate(rest > 0 ? ` ${statusLine(state, now)}` : '', rest)},
  ];
  return (
    <Box flexDirection="column" width={width} height={2}>
      <Line width={width} segs={status} />
      <Line width={width} segs={[{text: hintLine, color: 'gray'}]} />
    </Box>
  );
});
