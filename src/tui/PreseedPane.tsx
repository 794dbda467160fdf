/**
 * The Preseed pane: every answer given to the installer in this build, with the preseed line for
 * it, ready to paste — the selected one can be appended to the answer file the guest fetched
 * (`p`, asked first) or copied into the log (`y`) — then the same lines as one plain block (last
 * answer per question), the boot parameters for questions asked before the answer file was read
 * (they belong in boot_command), and the questions not answered yet with the line that would.
 */
import {Box, Text} from 'ink';
import {memo, type ReactElement} from 'react';
import {fit, truncate} from './format.js';
import {pasteLines} from './installer-view.js';
import {Line} from './Line.js';
import {windowStart} from './StepList.js';
import type {AnswerView, BuildViewState} from './types.js';

export interface PreseedPaneProps {
  installer: BuildViewState['installer'];
  cursor: number;
  focused: boolean;
  width: number;
  height: number;
}

const STATUS_W = 14;

function status(a: AnswerView): {text: string; color: string} {
  if (a.bootParameter) return {text: 'boot_command', color: 'yellow'};
  if (a.saved) return a.saved.ok ? {text: '✔ in the file', color: 'green'} : {text: '✖ not added', color: 'red'};
  return {text: a.preseedFile ? '' : 'no file', color: 'gray'};
}

/** What to say under the list about the selected answer. */
export function answerDetail(a: AnswerView): string {
  if (a.saved) return a.saved.message;
  if (a.bootParameter) return `asked before the answer file was read: add \`${a.bootParameter}\` to boot_command`;
  if (!a.preseedFile) return 'the guest fetched no answer file over HTTP: paste the line into your preseed';
  return `p appends it to ${a.preseedFile}`;
}

export const PreseedPane = memo(function PreseedPane({installer, cursor, focused, width, height}: PreseedPaneProps) {
  const {answers} = installer;
  const rows: ReactElement[] = [];
  const text = (t: string, color?: string, key = rows.length): ReactElement => (
    <Text key={key} color={color}>
      {fit(t, width)}
    </Text>
  );
  const unanswered = installer.timeline.filter((e) => e.kind === 'question' && e.answer === undefined);
  if (answers.length === 0 && unanswered.length === 0) {
    const lines = [
      'No questions from the installer yet.',
      'In debug mode the build pauses when the installer asks something (Q turns that on / off);',
      'answer it in the Console (i types into the VM) and its preseed line appears here.',
    ];
    return (
      <Box flexDirection="column" width={width} height={height}>
        {lines.slice(0, height).map((l, i) => text(` ${l}`, i ? 'gray' : undefined, i))}
      </Box>
    );
  }
  const sel = Math.min(cursor, answers.length - 1);
  let cursorRow = 0;
  if (answers.length) rows.push(text(` Your answers (${answers.length}) — p: append to the preseed file · y: copy into the log`, 'gray'));
  for (const [i, a] of answers.entries()) {
    if (i === sel) cursorRow = rows.length;
    const st = status(a);
    const line = a.bootParameter ?? a.preseedLine;
    rows.push(
      <Line
        key={rows.length}
        width={width}
        segs={[
          {text: i === sel ? '›' : ' ', color: 'cyan'},
          {text: ' '},
          {text: fit(line, Math.max(0, width - 3 - STATUS_W)), inverse: i === sel && focused},
          {text: ' '},
          {text: fit(st.text, STATUS_W), color: st.color},
        ]}
      />,
    );
  }
  if (answers[sel]) rows.push(text(`   ${truncate(answerDetail(answers[sel]!), Math.max(0, width - 3))}`, answers[sel]!.saved?.ok === false ? 'red' : 'gray'));
  const paste = pasteLines(answers);
  if (paste.preseed.length) {
    rows.push(text(''));
    rows.push(text('── ready to paste into the preseed (last answer per question) ──', 'gray'));
    for (const l of paste.preseed) rows.push(text(l));
  }
  if (paste.boot.length) {
    rows.push(text(''));
    rows.push(text('── add to boot_command (asked before the answer file was read) ──', 'gray'));
    rows.push(text(paste.boot.join(' ')));
  }
  if (unanswered.length) {
    rows.push(text(''));
    rows.push(text('── asked, not answered (yet) ──', 'gray'));
    for (const q of unanswered) {
      if (q.kind !== 'question') continue;
      rows.push(text(`? ${q.prompt || q.title}`, 'yellow'));
      const hint = q.bootParameter ? `boot_command: ${q.bootParameter}` : q.preseedLine;
      if (hint) rows.push(text(`  ${hint}`, 'gray'));
    }
  }
  const start = windowStart(cursorRow, rows.length, height);
  return (
    <Box flexDirection="column" width={width} height={height}>
      {rows.slice(start, start + height)}
    </Box>
  );
});
