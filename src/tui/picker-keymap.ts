/**
 * The profile picker's keys, as data like the build screen's (keymap.ts): a table of its own so
 * the build screen's contexts, actions and help stay exactly as they are.
 */
import type {Key} from 'ink';
import {backspace, char, ctrl, named, plain, type KeySpec} from './keymap.js';

/** What a key does in the profile picker. */
export type PickerAction =
  | {type: 'move'; by: number}
  | {type: 'top'}
  | {type: 'bottom'}
  | {type: 'build'}
  | {type: 'filter-start'}
  /** An unbound printable key: starts the filter with that text. */
  | {type: 'filter-type'}
  | {type: 'filter-clear'}
  | {type: 'filter-backspace'}
  | {type: 'toggle-debug'}
  | {type: 'reload'}
  | {type: 'help'}
  | {type: 'quit'};

/** 'picker-filter' while typing a filter (printable keys are text then), 'picker' otherwise. */
export type PickerContext = 'picker' | 'picker-filter';

export interface PickerBinding {
  id: string;
  context: PickerContext;
  keys: KeySpec[];
  description: string;
  hint?: string;
  action: PickerAction;
}

/** Any printable text that is not bound (letters, digits, . _ -): it starts the filter. */
const filterText: KeySpec = {id: '<text>', display: 'a–z 0–9', match: (input, key) => plain(key) && /^[\p{L}\p{N}._-]+$/u.test(input)};

/** Every key of the profile picker, in help order; the first match in the active context wins. */
export const PICKER_KEYMAP: readonly PickerBinding[] = [
  {id: 'picker-filter.clear', context: 'picker-filter', keys: [named('escape')], description: 'clear the filter', hint: 'Esc clear', action: {type: 'filter-clear'}},
  {id: 'picker-filter.backspace', context: 'picker-filter', keys: [backspace], description: 'delete a character (on an empty filter: stop filtering)', action: {type: 'filter-backspace'}},
  {id: 'picker-filter.down', context: 'picker-filter', keys: [named('downArrow')], description: 'next profile', hint: '↑↓ move', action: {type: 'move', by: 1}},
  {id: 'picker-filter.up', context: 'picker-filter', keys: [named('upArrow')], description: 'previous profile', action: {type: 'move', by: -1}},
  {id: 'picker-filter.build', context: 'picker-filter', keys: [named('return')], description: 'build the selected profile', hint: 'Enter build', action: {type: 'build'}},
  {id: 'picker-filter.quit', context: 'picker-filter', keys: [ctrl('c')], description: 'quit', action: {type: 'quit'}},

  {id: 'picker.down', context: 'picker', keys: [char('j'), named('downArrow')], description: 'next profile', hint: '↑↓/jk move', action: {type: 'move', by: 1}},
  {id: 'picker.up', context: 'picker', keys: [char('k'), named('upArrow')], description: 'previous profile', action: {type: 'move', by: -1}},
  {id: 'picker.page-down', context: 'picker', keys: [named('pageDown')], description: 'ten profiles down', action: {type: 'move', by: 10}},
  {id: 'picker.page-up', context: 'picker', keys: [named('pageUp')], description: 'ten profiles up', action: {type: 'move', by: -10}},
  {id: 'picker.top', context: 'picker', keys: [char('g'), named('home')], description: 'first profile', action: {type: 'top'}},
  {id: 'picker.bottom', context: 'picker', keys: [char('G'), named('end')], description: 'last profile', action: {type: 'bottom'}},
  {id: 'picker.build', context: 'picker', keys: [named('return')], description: 'build the selected profile', hint: 'Enter build', action: {type: 'build'}},
  {id: 'picker.debug', context: 'picker', keys: [char('d')], description: 'debug mode for the next build: pause before each step', hint: 'd debug', action: {type: 'toggle-debug'}},
  {id: 'picker.filter', context: 'picker', keys: [char('/')], description: 'filter by name, distro, method or description', hint: 'type or / filter', action: {type: 'filter-start'}},
  {id: 'picker.clear', context: 'picker', keys: [named('escape')], description: 'clear the filter', action: {type: 'filter-clear'}},
  {id: 'picker.reload', context: 'picker', keys: [ctrl('r')], description: 'read the profiles again (after editing one)', action: {type: 'reload'}},
  {id: 'picker.help', context: 'picker', keys: [char('?')], description: 'help: every key', hint: '? help', action: {type: 'help'}},
  {id: 'picker.quit', context: 'picker', keys: [char('q'), ctrl('c')], description: 'quit', hint: 'q quit', action: {type: 'quit'}},
  {id: 'picker.type', context: 'picker', keys: [filterText], description: 'any other letter starts the filter with it', action: {type: 'filter-type'}},
];

/** The picker binding for a key, or undefined (in 'picker-filter', printable text is the caller's). */
export function resolvePickerKey(input: string, key: Key, context: PickerContext, table: readonly PickerBinding[] = PICKER_KEYMAP): PickerBinding | undefined {
  return table.find((b) => b.context === context && b.keys.some((k) => k.match(input, key)));
}

/** Status-bar hints for the picker in `context`. */
export function pickerHints(context: PickerContext, table: readonly PickerBinding[] = PICKER_KEYMAP): string[] {
  return table.filter((b) => b.context === context && b.hint).map((b) => b.hint!);
}
