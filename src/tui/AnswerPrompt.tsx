/**
 * Below the panes, after the user answered one of the installer's questions in the Console:
 * the preseed line for that answer, offered — `p` appends it to the answer file the guest
 * fetched (asked first, by AppendPrompt), `y` copies it into the log, Esc puts the offer away.
 * A question asked before the answer file was read can only be answered on the kernel command
 * line: then the offer shows the exact boot parameter to add to boot_command instead.
 */
import {Box, Text} from 'ink';
import {memo} from 'react';
import {truncate} from './format.js';
import type {AnswerView} from './types.js';

export const ANSWER_PROMPT_HEIGHT = 4;
export const APPEND_PROMPT_HEIGHT = 5;

export const AnswerPrompt = memo(function AnswerPrompt({answer, width}: {answer: AnswerView; width: number}) {
  const inner = Math.max(0, width - 2);
  const head = answer.bootParameter
    ? `✎ answered before the answer file was read — add to boot_command: ${answer.bootParameter}`
    : `✎ your answer as a preseed line: ${answer.preseedLine}`;
  let keys: string;
  let color: string | undefined = 'gray';
  if (answer.saved) {
    keys = `${answer.saved.message} · Esc dismiss`;
    color = answer.saved.ok ? 'green' : 'red';
  } else if (answer.bootParameter) keys = 'y copy into the log · Esc dismiss (5: every answer so far)';
  else if (answer.preseedFile) keys = `p append to ${answer.preseedFile} · y copy into the log · Esc dismiss`;
  else keys = 'no answer file was fetched over HTTP: paste it into your preseed · y copy into the log · Esc dismiss';
  return (
    <Box flexDirection="column" borderStyle="round" borderColor="cyan" width={width} height={ANSWER_PROMPT_HEIGHT}>
      <Text color="cyan">{truncate(head, inner)}</Text>
      <Text color={color}>{truncate(keys, inner)}</Text>
    </Box>
  );
});

/** "Append this line to the file?": y appends, n / Esc do not (Enter alone does nothing). */
export const AppendPrompt = memo(function AppendPrompt({answer, width}: {answer: AnswerView; width: number}) {
  const inner = Math.max(0, width - 2);
  return (
    <Box flexDirection="column" borderStyle="round" borderColor="yellow" width={width} height={APPEND_PROMPT_HEIGHT}>
      <Text color="yellow">{truncate(`Append this line to ${answer.preseedFile ?? 'the answer file'}?`, inner)}</Text>
      <Text>{truncate(`  ${answer.preseedLine}`, inner)}</Text>
      <Text>
        <Text bold>{' y'}</Text>
        <Text>{' append · '}</Text>
        <Text bold>n / Esc</Text>
        <Text>{' no'}</Text>
      </Text>
    </Box>
  );
});
