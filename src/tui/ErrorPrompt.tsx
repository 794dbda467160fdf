/**
 * Questions that block the build until answered, drawn above the status bar.
 *
 * A failed step (on-error=ask): r retry, a keep, x clean up. Enter alone answers "abort and keep
 * the VM and files" — the one answer that destroys nothing (retry first undoes the half-done
 * step; clean up removes the VM). Packer's prompt did the opposite, and users lost VMs to it.
 *
 * With a diagnosis of the stop (the engine's named cause), the cause comes first, then its
 * evidence, the hint and the screenshot's path; the step's own error is in the Log pane.
 *
 * Quitting while a build runs: x stops and cleans up, a stops and keeps the VM (at a pause or
 * a question), Enter / Esc / q stay.
 */
import {Box, Text} from 'ink';
import {memo} from 'react';
import {truncate} from './format.js';
import {wrapWords} from './InfoPane.js';
import type {BuildViewState, DiagnosisView} from './types.js';

export const ERROR_PROMPT_HEIGHT = 6;
/** Evidence lines the question box shows at most (the result screen shows them all). */
const EVIDENCE_ROWS = 2;

/** The diagnosis's rows: cause, evidence, hint, screenshot. */
export function diagnosisLines(d: DiagnosisView, evidenceRows = Infinity, fallbackHint?: string): {text: string; color?: string; bold?: boolean}[] {
  const out: {text: string; color?: string; bold?: boolean}[] = [{text: `cause: ${d.cause}`, color: 'red', bold: true}];
  const ev = d.evidence.filter(Boolean);
  for (const e of ev.slice(0, evidenceRows)) out.push({text: `  · ${e.split('\n').join(' — ')}`});
  if (ev.length > evidenceRows) out.push({text: `  · … ${ev.length - evidenceRows} more on the result screen and in build.log`, color: 'gray'});
  const hint = d.hint ?? fallbackHint;
  if (hint) out.push({text: `hint: ${hint}`, color: 'yellow'});
  if (d.screenshot) out.push({text: `screenshot: ${d.screenshot}`, color: 'gray'});
  return out;
}

/** Rows the question box needs (borders included). */
export function errorPromptHeight(diagnosis?: DiagnosisView, hint?: string): number {
  return diagnosis ? 4 + diagnosisLines(diagnosis, EVIDENCE_ROWS, hint).length : ERROR_PROMPT_HEIGHT;
}
export const QUIT_PROMPT_HEIGHT = 3;

export interface ErrorPromptProps {
  prompt: NonNullable<BuildViewState['errorPrompt']>;
  /** The named cause of the stop, when the engine found one. */
  diagnosis?: DiagnosisView;
  width: number;
}

export const ErrorPrompt = memo(function ErrorPrompt({prompt, diagnosis, width}: ErrorPromptProps) {
  const inner = Math.max(0, width - 2);
  if (diagnosis) {
    const lines = diagnosisLines(diagnosis, EVIDENCE_ROWS, prompt.hint);
    return (
      <Box flexDirection="column" borderStyle="round" borderColor="red" width={width} height={errorPromptHeight(diagnosis, prompt.hint)}>
        <Text bold color="red">
          {truncate(`✖ ${prompt.title} (${prompt.stepId}) failed`, inner)}
        </Text>
        {lines.map((l, i) => (
          <Text key={i} color={l.color} bold={l.bold}>
            {truncate(l.text, inner)}
          </Text>
        ))}
        <Options width={inner} />
      </Box>
    );
  }
  const message = prompt.message.split('\n').filter(Boolean).join(' — ');
  const lines = wrapWords(message, inner);
  const body = prompt.hint ? [truncate(lines.join(' '), inner), `hint: ${prompt.hint}`] : [lines[0] ?? '', truncate(lines.slice(1).join(' '), inner)];
  while (body.length < 2) body.push('');
  return (
    <Box flexDirection="column" borderStyle="round" borderColor="red" width={width} height={ERROR_PROMPT_HEIGHT}>
      <Text bold color="red">
        {truncate(`✖ ${prompt.title} (${prompt.stepId}) failed`, inner)}
      </Text>
      {body.slice(0, 2).map((l, i) => (
        <Text key={i} color={i === 1 && prompt.hint ? 'yellow' : undefined}>
          {truncate(l, inner)}
        </Text>
      ))}
      <Options width={inner} />
    </Box>
  );
});

const OPTIONS: readonly (readonly [string, string, string | undefined][])[] = [
  [[' r', ' retry   ', undefined], ['a / Enter', ' stop, keep the VM and files (default)   ', 'green'], ['x', ' clean up', 'red']],
  [[' r', ' retry · ', undefined], ['a/Enter', ' keep VM (default) · ', 'green'], ['x', ' clean up', 'red']],
  [[' r', ' retry ', undefined], ['a/⏎', ' keep ', 'green'], ['x', ' clean', 'red']],
];

/** The answers, in the longest wording that fits. */
function Options({width}: {width: number}) {
  const choice = OPTIONS.find((o) => o.reduce((n, [k, t]) => n + k.length + t.length, 0) <= width) ?? OPTIONS[OPTIONS.length - 1]!;
  return (
    <Text wrap="truncate-end">
      {choice.map(([k, t, color], i) => (
        <Text key={i}>
          <Text bold color={color}>
            {k}
          </Text>
          <Text>{t}</Text>
        </Text>
      ))}
    </Text>
  );
}

export interface QuitPromptProps {
  /** The build is at a pause or a question, where it can stop and keep the VM. */
  canKeep: boolean;
  width: number;
}

export const QuitPrompt = memo(function QuitPrompt({canKeep, width}: QuitPromptProps) {
  const inner = Math.max(0, width - 2);
  const text = `Build running: x clean up & quit${canKeep ? ' · a keep the VM & quit' : ''} · Esc stay`;
  return (
    <Box borderStyle="round" borderColor="yellow" width={width} height={QUIT_PROMPT_HEIGHT}>
      <Text color="yellow">{truncate(text, inner)}</Text>
    </Box>
  );
});
