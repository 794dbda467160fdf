/**
 * The profile picker's keys, as data like the build screen's (keymap.ts): a table of its own so
 * the build screen's contexts, actions and help stay exactly as they are. It also holds the keys
 * of the kept-VM screen (a VM kept on purpose, opened from the picker's "kept VMs" list).
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
  | {type: 'quit'}
  /** Tab: the selection goes from the profiles to the kept VMs and back. */
  | {type: 'switch-list'}
  /** Open the selected kept VM's screen. */
  | {type: 'open-vm'}
  // The kept-VM screen:
  | {type: 'vm-type'}
  | {type: 'vm-mode'}
  | {type: 'vm-zoom'}
  | {type: 'vm-pan'; dx: number; dy: number}
  /** Asks first (the 'kept-vm-stop' context answers). */
  | {type: 'vm-stop-ask'}
  | {type: 'vm-stop'; yes: boolean}
  /** Back to the picker; the VM runs on. */
  | {type: 'vm-back'};

/**
 * 'picker-filter' while typing a filter (printable keys are text then), 'picker' otherwise;
 * 'picker-vms' while the selection is in the kept VMs list; 'kept-vm' on a kept VM's screen,
 * 'kept-vm-stop' while it asks whether to stop that VM.
 */
export type PickerContext = 'picker' | 'picker-filter' | 'picker-vms' | 'kept-vm' | 'kept-vm-stop';

/** How the help names each context (the picker's own keys have no label). */
export const PICKER_CONTEXT_LABELS: Record<PickerContext, string> = {
  picker: '',
  'picker-filter': 'filtering',
  'picker-vms': 'kept VMs',
  'kept-vm': 'VM screen',
  'kept-vm-stop': 'stop it?',
};

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
  {id: 'picker.vms', context: 'picker', keys: [named('tab')], description: 'select in the kept VMs list (VMs kept on purpose, or left running)', hint: 'Tab kept VMs', action: {type: 'switch-list'}},
  {id: 'picker.reload', context: 'picker', keys: [ctrl('r')], description: 'read the profiles again (after editing one)', action: {type: 'reload'}},
  {id: 'picker.help', context: 'picker', keys: [char('?')], description: 'help: every key', hint: '? help', action: {type: 'help'}},
  {id: 'picker.quit', context: 'picker', keys: [char('q'), ctrl('c')], description: 'quit', hint: 'q quit', action: {type: 'quit'}},
  {id: 'picker.type', context: 'picker', keys: [filterText], description: 'any other letter starts the filter with it', action: {type: 'filter-type'}},

  {id: 'picker-vms.down', context: 'picker-vms', keys: [char('j'), named('downArrow')], description: 'next kept VM', hint: '↑↓/jk move', action: {type: 'move', by: 1}},
  {id: 'picker-vms.up', context: 'picker-vms', keys: [char('k'), named('upArrow')], description: 'previous kept VM', action: {type: 'move', by: -1}},
  {id: 'picker-vms.open', context: 'picker-vms', keys: [named('return')], description: "open the kept VM: its screen live, type into it, stop it", hint: 'Enter open', action: {type: 'open-vm'}},
  {id: 'picker-vms.back', context: 'picker-vms', keys: [named('tab'), named('escape')], description: 'back to the profiles', hint: 'Tab profiles', action: {type: 'switch-list'}},
  {id: 'picker-vms.help', context: 'picker-vms', keys: [char('?')], description: 'help: every key', hint: '? help', action: {type: 'help'}},
  {id: 'picker-vms.quit', context: 'picker-vms', keys: [char('q'), ctrl('c')], description: 'quit (kept VMs run on)', hint: 'q quit', action: {type: 'quit'}},

  {id: 'kept-vm.type', context: 'kept-vm', keys: [char('i'), named('return')], description: 'type into the VM (Ctrl-] leaves)', hint: 'i type into VM', action: {type: 'vm-type'}},
  {id: 'kept-vm.mode', context: 'kept-vm', keys: [char('t')], description: 'the screen as text / as pixels / automatic', hint: 't text/pixels', action: {type: 'vm-mode'}},
  {id: 'kept-vm.zoom', context: 'kept-vm', keys: [char('z')], description: 'pixels: zoom 1:1 or fit', hint: 'z zoom', action: {type: 'vm-zoom'}},
  {id: 'kept-vm.pan-left', context: 'kept-vm', keys: [char('h'), named('leftArrow')], description: 'pan left (a screen larger than the box)', hint: 'hjkl pan', action: {type: 'vm-pan', dx: -1, dy: 0}},
  {id: 'kept-vm.pan-down', context: 'kept-vm', keys: [char('j'), named('downArrow')], description: 'pan down', action: {type: 'vm-pan', dx: 0, dy: 1}},
  {id: 'kept-vm.pan-up', context: 'kept-vm', keys: [char('k'), named('upArrow')], description: 'pan up', action: {type: 'vm-pan', dx: 0, dy: -1}},
  {id: 'kept-vm.pan-right', context: 'kept-vm', keys: [char('l'), named('rightArrow')], description: 'pan right', action: {type: 'vm-pan', dx: 1, dy: 0}},
  {id: 'kept-vm.stop', context: 'kept-vm', keys: [char('x')], description: 'stop the VM, as vmbench stop does (asks first; its files stay)', hint: 'x stop VM', action: {type: 'vm-stop-ask'}},
  {id: 'kept-vm.back', context: 'kept-vm', keys: [char('q'), named('escape'), ctrl('c')], description: 'back to the picker (the VM runs on)', hint: 'q back (VM runs on)', action: {type: 'vm-back'}},
  {id: 'kept-vm.help', context: 'kept-vm', keys: [char('?')], description: 'help: every key', hint: '? help', action: {type: 'help'}},
  {id: 'kept-vm-stop.yes', context: 'kept-vm-stop', keys: [char('y')], description: 'stop the VM', hint: 'y stop it', action: {type: 'vm-stop', yes: true}},
  {id: 'kept-vm-stop.no', context: 'kept-vm-stop', keys: [char('n'), named('escape')], description: 'keep it running (any other key too)', hint: 'n/Esc keep it', action: {type: 'vm-stop', yes: false}},
];

/** The picker binding for a key, or undefined (in 'picker-filter', printable text is the caller's). */
export function resolvePickerKey(input: string, key: Key, context: PickerContext, table: readonly PickerBinding[] = PICKER_KEYMAP): PickerBinding | undefined {
  return table.find((b) => b.context === context && b.keys.some((k) => k.match(input, key)));
}

/** Status-bar hints for the picker in `context`. */
export function pickerHints(context: PickerContext, table: readonly PickerBinding[] = PICKER_KEYMAP): string[] {
  return table.filter((b) => b.context === context && b.hint).map((b) => b.hint!);
}
