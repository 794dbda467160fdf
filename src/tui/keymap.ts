/**
 * Every key of the build screen, as data (DESIGN.md principle 9): one table of bindings
 * {id, keys, description, context, action}. The key handler, the status-bar hints, the help
 * overlay and README's key table (scripts/keys-doc.mjs) are all generated from it, so they
 * cannot disagree. No react/ink at run time here (only ink's `Key` type), so the table also
 * loads in a plain Node script.
 *
 * Contexts say where a key works; when several are active the first in
 * {@link activeContexts}' order wins, which is how `n` means "next match" in the Log pane while
 * a search is active and "step" at a debug pause otherwise.
 */
import type {Key} from 'ink';
import type {PaneId, UiCommand} from './types.js';

/** Where a binding applies. */
export type KeyContext =
  | 'global'
  | 'steps'
  | 'log'
  | 'search'
  | 'sections'
  | 'console'
  | 'preseed'
  | 'answer'
  | 'paused'
  | 'error-prompt'
  | 'append-confirm'
  | 'quit-prompt'
  | 'help';

/** One key: how it is shown and how it is recognised in ink's `useInput(input, key)`. */
export interface KeySpec {
  /** Canonical identity, for finding duplicates: `j`, `G`, `<up>`, `C-c`, `<enter>`. */
  id: string;
  /** As the help overlay and README show it. */
  display: string;
  match(input: string, key: Key): boolean;
}

/** What a key does inside the screen (it may also emit commands, see view-state.ts). */
export type ViewAction =
  | {type: 'move'; by: number}
  | {type: 'page'; by: number}
  | {type: 'top'}
  | {type: 'bottom'}
  | {type: 'focus'; to: 'steps' | 'pane'}
  | {type: 'prev-tab'}
  | {type: 'toggle-breakpoint'}
  | {type: 'quit'}
  | {type: 'quit-answer'; choice: 'cleanup' | 'keep' | 'stay'}
  | {type: 'follow'}
  | {type: 'search-start'}
  | {type: 'search-submit'}
  | {type: 'search-cancel'}
  | {type: 'search-backspace'}
  | {type: 'search-next'; dir: 1 | -1}
  | {type: 'clear'}
  | {type: 'cycle-source'}
  | {type: 'expand'}
  | {type: 'first-failed'}
  | {type: 'help-close'}
  | {type: 'console-interactive'}
  /** Append an answer's preseed line (asks first): the offered answer, or the Preseed pane's selected one. */
  | {type: 'append-ask'; from: 'offer' | 'selected'}
  | {type: 'copy-answer'; from: 'offer' | 'selected'}
  | {type: 'dismiss-answer'}
  | {type: 'append-confirm'; yes: boolean};

export type KeyAction = {command: UiCommand} | {view: ViewAction};

/** Facts a binding's `when` may look at. */
export interface KeyState {
  /** A search query is set in the Log pane. */
  searching: boolean;
  /** The build waits at a pause or a question, where it can stop and keep the VM. */
  canKeep: boolean;
  /** The Console shows more than fits (a large text screen, or pixels at 1:1): the pan keys pan. */
  consolePannable?: boolean;
}

export interface Binding {
  id: string;
  context: KeyContext;
  keys: KeySpec[];
  description: string;
  /** Short label for the status bar; bindings without one are only in the help. */
  hint?: string;
  action: KeyAction;
  /** Only active when this holds (otherwise the key falls through to the next context). */
  when?: (s: KeyState) => boolean;
}

// ---------------------------------------------------------------------------------------------
// Key matchers

/** No Ctrl or Meta held. */
export const plain = (key: Key): boolean => !key.ctrl && !key.meta;

/** A printable character (`j`, `G`, `?`, `1`). */
export function char(c: string, display = c): KeySpec {
  return {id: c, display, match: (input, key) => input === c && plain(key)};
}

/** Ctrl + a letter. */
export function ctrl(c: string): KeySpec {
  return {id: `C-${c}`, display: `Ctrl-${c.toUpperCase()}`, match: (input, key) => key.ctrl && input === c};
}

export type NamedKey = 'upArrow' | 'downArrow' | 'leftArrow' | 'rightArrow' | 'pageUp' | 'pageDown' | 'home' | 'end' | 'return' | 'escape' | 'tab';
const NAMED: Record<NamedKey, {id: string; display: string}> = {
  upArrow: {id: '<up>', display: '↑'},
  downArrow: {id: '<down>', display: '↓'},
  leftArrow: {id: '<left>', display: '←'},
  rightArrow: {id: '<right>', display: '→'},
  pageUp: {id: '<pgup>', display: 'PgUp'},
  pageDown: {id: '<pgdn>', display: 'PgDn'},
  home: {id: '<home>', display: 'Home'},
  end: {id: '<end>', display: 'End'},
  return: {id: '<enter>', display: 'Enter'},
  escape: {id: '<esc>', display: 'Esc'},
  tab: {id: '<tab>', display: 'Tab'},
};

/** A named key without Shift (Tab, arrows, Enter, Esc, PgUp…). */
export function named(name: NamedKey): KeySpec {
  const {id, display} = NAMED[name];
  return {id, display, match: (_input, key) => key[name] && !key.shift && !key.ctrl};
}

const shiftTab: KeySpec = {id: '<S-tab>', display: 'Shift-Tab', match: (_i, key) => key.tab && key.shift};
export const backspace: KeySpec = {id: '<bs>', display: 'Backspace', match: (_i, key) => key.backspace || key.delete};
const space: KeySpec = {id: ' ', display: 'Space', match: (input, key) => input === ' ' && plain(key)};

// ---------------------------------------------------------------------------------------------
// The table

const cmd = (command: UiCommand): KeyAction => ({command});
const view = (v: ViewAction): KeyAction => ({view: v});
const tab = (pane: PaneId): KeyAction => cmd({type: 'tab', pane});

function movement(context: 'steps' | 'log' | 'sections' | 'preseed' | 'help', what: string): Binding[] {
  const b: Binding[] = [
    {id: `${context}.down`, context, keys: [char('j'), named('downArrow')], description: `${what} down`, action: view({type: 'move', by: 1})},
    {id: `${context}.up`, context, keys: [char('k'), named('upArrow')], description: `${what} up`, action: view({type: 'move', by: -1})},
    {id: `${context}.page-down`, context, keys: [named('pageDown'), ctrl('d')], description: 'page down', action: view({type: 'page', by: 1})},
    {id: `${context}.page-up`, context, keys: [named('pageUp'), ctrl('u')], description: 'page up', action: view({type: 'page', by: -1})},
    {id: `${context}.top`, context, keys: [char('g'), named('home')], description: 'to the top', action: view({type: 'top'})},
    {id: `${context}.bottom`, context, keys: [char('G'), named('end')], description: context === 'log' ? 'to the bottom and follow' : 'to the bottom', action: view({type: 'bottom'})},
  ];
  if (context === 'log' || context === 'sections') b[0]!.hint = 'j/k scroll';
  return b;
}

/** The Console's pan keys: only while there is more to see than fits (else h / l move the focus). */
function pan(): Binding[] {
  const dirs: [string, NamedKey, string, number, number][] = [
    ['left', 'leftArrow', 'h', -1, 0],
    ['down', 'downArrow', 'j', 0, 1],
    ['up', 'upArrow', 'k', 0, -1],
    ['right', 'rightArrow', 'l', 1, 0],
  ];
  return dirs.map(([dir, arrow, letter, dx, dy], i) => ({
    id: `console.pan-${dir}`,
    context: 'console' as const,
    keys: [char(letter), named(arrow)],
    description: `pan ${dir} (a text screen larger than the pane, or pixels at 1:1)`,
    ...(i === 0 ? {hint: 'hjkl pan'} : {}),
    action: cmd({type: 'console-pan', dx, dy}),
    when: (s: KeyState) => !!s.consolePannable,
  }));
}

/** Every binding of the build screen, in help order. */
export const KEYMAP: readonly Binding[] = [
  // At a failed step's question: the default (Enter) keeps everything, never cleans up.
  {id: 'error.retry', context: 'error-prompt', keys: [char('r')], description: 'retry the failed step', hint: 'r retry', action: cmd({type: 'answer-error', decision: 'retry'})},
  {id: 'error.keep', context: 'error-prompt', keys: [char('a'), named('return')], description: 'stop and keep the VM and files (the default)', hint: 'a/Enter keep VM', action: cmd({type: 'answer-error', decision: 'abort'})},
  {id: 'error.cleanup', context: 'error-prompt', keys: [char('x')], description: 'stop and clean up (VM and files removed)', hint: 'x clean up', action: cmd({type: 'answer-error', decision: 'cleanup'})},

  {id: 'quit.cleanup', context: 'quit-prompt', keys: [char('x')], description: 'stop the build, clean up and quit', hint: 'x clean up & quit', action: view({type: 'quit-answer', choice: 'cleanup'})},
  {id: 'quit.keep', context: 'quit-prompt', keys: [char('a')], description: 'stop, keep the VM and files, and quit (at a pause or a question)', hint: 'a keep VM & quit', action: view({type: 'quit-answer', choice: 'keep'}), when: (s) => s.canKeep},
  {id: 'quit.stay', context: 'quit-prompt', keys: [named('escape'), named('return'), char('n'), char('q')], description: 'stay (the default)', hint: 'Esc stay', action: view({type: 'quit-answer', choice: 'stay'})},

  {id: 'search.submit', context: 'search', keys: [named('return')], description: 'find (jumps to the nearest match)', hint: 'Enter find', action: view({type: 'search-submit'})},
  {id: 'search.cancel', context: 'search', keys: [named('escape')], description: 'cancel the search', hint: 'Esc cancel', action: view({type: 'search-cancel'})},
  {id: 'search.backspace', context: 'search', keys: [backspace], description: 'delete a character', action: view({type: 'search-backspace'})},

  {id: 'help.close', context: 'help', keys: [char('?'), named('escape'), char('q')], description: 'close the help', hint: 'Esc close', action: view({type: 'help-close'})},
  ...movement('help', 'scroll'),

  {id: 'log.search', context: 'log', keys: [char('/')], description: 'search the log (smart case)', hint: '/ search', action: view({type: 'search-start'})},
  {id: 'log.next', context: 'log', keys: [char('n')], description: 'next match', hint: 'n/N match', action: view({type: 'search-next', dir: 1}), when: (s) => s.searching},
  {id: 'log.prev', context: 'log', keys: [char('N')], description: 'previous match', action: view({type: 'search-next', dir: -1}), when: (s) => s.searching},
  {id: 'log.follow', context: 'log', keys: [char('f')], description: 'follow new lines on / off', hint: 'f follow', action: view({type: 'follow'})},
  {id: 'log.source', context: 'log', keys: [char('F')], description: 'filter by source: all, qemu, serial, http, ssh, provisioner, vnc, installer, vmbench', hint: 'F source', action: view({type: 'cycle-source'})},
  {id: 'log.clear', context: 'log', keys: [named('escape')], description: 'clear the search, then the source filter', action: view({type: 'clear'})},
  ...movement('log', 'scroll'),

  {id: 'sections.expand', context: 'sections', keys: [named('return'), space], description: "show / hide the section's lines", hint: 'Enter expand', action: view({type: 'expand'})},
  {id: 'sections.first-failed', context: 'sections', keys: [char('e')], description: 'jump to the first failing section', hint: 'e first failure', action: view({type: 'first-failed'})},
  ...movement('sections', 'cursor'),

  {id: 'console.type', context: 'console', keys: [named('return')], description: 'type into the VM (Ctrl-] leaves)', hint: 'Enter/i type into VM', action: view({type: 'console-interactive'})},
  {id: 'console.mode', context: 'console', keys: [char('t')], description: 'the screen as text / as pixels / automatic (text whenever it can be read)', hint: 't text/pixels', action: cmd({type: 'console-mode'})},
  {id: 'console.zoom', context: 'console', keys: [char('z')], description: 'pixels: zoom 1:1 or fit (text is always 1:1: z puts its window back on the content)', hint: 'z zoom', action: cmd({type: 'console-zoom'})},
  ...pan(),

  {id: 'preseed.append', context: 'preseed', keys: [char('p')], description: "append the selected answer's line to the preseed file (asks first)", hint: 'p append to preseed', action: view({type: 'append-ask', from: 'selected'})},
  {id: 'preseed.copy', context: 'preseed', keys: [char('y')], description: "copy the selected answer's line into the log", hint: 'y copy to log', action: view({type: 'copy-answer', from: 'selected'})},
  ...movement('preseed', 'selection'),

  {id: 'answer.append', context: 'answer', keys: [char('p')], description: "append the answer's preseed line to the preseed file (asks first)", hint: 'p append to preseed', action: view({type: 'append-ask', from: 'offer'})},
  {id: 'answer.copy', context: 'answer', keys: [char('y')], description: "copy the answer's line into the log", hint: 'y copy to log', action: view({type: 'copy-answer', from: 'offer'})},
  {id: 'answer.dismiss', context: 'answer', keys: [named('escape')], description: 'put the offer away (the Preseed pane keeps every answer)', hint: 'Esc dismiss', action: view({type: 'dismiss-answer'})},

  {id: 'append.yes', context: 'append-confirm', keys: [char('y')], description: 'append the line', hint: 'y append', action: view({type: 'append-confirm', yes: true})},
  {id: 'append.no', context: 'append-confirm', keys: [char('n'), named('escape')], description: 'do not append (the default)', hint: 'n/Esc no', action: view({type: 'append-confirm', yes: false})},

  ...movement('steps', 'selection'),

  {id: 'paused.continue', context: 'paused', keys: [char('c')], description: 'continue (to the next breakpoint or pause)', hint: 'c continue', action: cmd({type: 'continue'})},
  {id: 'paused.step', context: 'paused', keys: [char('n')], description: 'step: run on and pause at the very next step', hint: 'n step', action: cmd({type: 'step'})},
  {id: 'paused.skip', context: 'paused', keys: [char('s')], description: 'skip the step (before it runs)', hint: 's skip', action: cmd({type: 'skip'})},
  {id: 'paused.keep', context: 'paused', keys: [char('a')], description: 'abort and keep the VM and files', hint: 'a abort (keep VM)', action: cmd({type: 'abort-keep'})},
  {id: 'paused.cleanup', context: 'paused', keys: [char('x')], description: 'abort, clean up and quit', hint: 'x clean up', action: cmd({type: 'cleanup-quit'})},

  {id: 'global.help', context: 'global', keys: [char('?')], description: 'help: every key', hint: '? help', action: cmd({type: 'help'})},
  {id: 'global.quit', context: 'global', keys: [char('q')], description: 'quit (asks first while a build runs)', hint: 'q quit', action: view({type: 'quit'})},
  {id: 'global.interrupt', context: 'global', keys: [ctrl('c')], description: 'cancel the build and clean up (twice: stop at once, removing the unfinished build)', action: cmd({type: 'interrupt'})},
  {id: 'global.next-tab', context: 'global', keys: [named('tab')], description: 'next pane', hint: 'Tab pane', action: cmd({type: 'next-tab'})},
  {id: 'global.prev-tab', context: 'global', keys: [shiftTab], description: 'previous pane', action: view({type: 'prev-tab'})},
  {id: 'global.tab-log', context: 'global', keys: [char('1')], description: 'Log pane', action: tab('log')},
  {id: 'global.tab-console', context: 'global', keys: [char('2')], description: 'Console pane (the VM screen)', action: tab('console')},
  {id: 'global.tab-sections', context: 'global', keys: [char('3')], description: 'Sections pane', action: tab('sections')},
  {id: 'global.tab-info', context: 'global', keys: [char('4')], description: 'Info pane (VNC address, ssh command, paths)', action: tab('info')},
  {id: 'global.tab-preseed', context: 'global', keys: [char('5')], description: "Preseed pane (the installer's questions and your answers, ready to paste)", action: tab('preseed')},
  {id: 'global.focus-steps', context: 'global', keys: [char('h'), named('leftArrow')], description: 'focus the step list', action: view({type: 'focus', to: 'steps'})},
  {id: 'global.focus-pane', context: 'global', keys: [char('l'), named('rightArrow')], description: 'focus the pane', action: view({type: 'focus', to: 'pane'})},
  {id: 'global.breakpoint', context: 'global', keys: [char('b')], description: 'breakpoint on the selected step on / off', hint: 'b breakpoint', action: view({type: 'toggle-breakpoint'})},
  {id: 'global.pause-before', context: 'global', keys: [char('B')], description: 'pause before every step on / off', action: cmd({type: 'toggle-pause-before'})},
  {id: 'global.pause-after', context: 'global', keys: [char('A')], description: 'pause after every step on / off', action: cmd({type: 'toggle-pause-after'})},
  {id: 'global.pause-questions', context: 'global', keys: [char('Q')], description: 'pause when the installer asks a question on / off (on in debug mode)', action: cmd({type: 'toggle-pause-questions'})},
  {id: 'global.screenshot', context: 'global', keys: [char('S')], description: 'screenshot of the VM screen (PNG next to the build log)', action: cmd({type: 'screenshot'})},
  {id: 'global.console-interactive', context: 'global', keys: [char('i')], description: 'type into the VM (opens the Console; Ctrl-] leaves)', action: view({type: 'console-interactive'})},
];

// ---------------------------------------------------------------------------------------------
// Lookup

export interface ScreenModes {
  help: boolean;
  quitPrompt: boolean;
  searchEditing: boolean;
  errorPrompt: boolean;
  paused: boolean;
  focus: 'steps' | 'pane';
  pane: PaneId;
  /** "Append this line to the preseed file?" is asked. */
  appendConfirm?: boolean;
  /** An answer's preseed line is offered (below the panes). */
  answerOffer?: boolean;
}

const PANE_CONTEXT: Record<PaneId, KeyContext | undefined> = {log: 'log', console: 'console', sections: 'sections', info: undefined, preseed: 'preseed'};

/**
 * The contexts in effect, highest priority first. Overlays (help, the quit question, the
 * append question, typing a search) take every key; otherwise a failed step's question, an
 * offered answer, then the focused area, then a debug pause, then the global keys.
 */
export function activeContexts(m: ScreenModes): KeyContext[] {
  if (m.help) return ['help'];
  if (m.quitPrompt) return ['quit-prompt'];
  if (m.appendConfirm) return ['append-confirm'];
  if (m.searchEditing) return ['search'];
  const out: KeyContext[] = [];
  if (m.errorPrompt) out.push('error-prompt');
  if (m.answerOffer) out.push('answer');
  const area = m.focus === 'steps' ? 'steps' : PANE_CONTEXT[m.pane];
  if (area) out.push(area);
  if (m.paused) out.push('paused');
  out.push('global');
  return out;
}

/** The binding a key press selects, or undefined. */
export function resolveKey(input: string, key: Key, contexts: readonly KeyContext[], state: KeyState, table: readonly Binding[] = KEYMAP): Binding | undefined {
  for (const context of contexts) {
    for (const b of table) {
      if (b.context !== context) continue;
      if (b.when && !b.when(state)) continue;
      if (b.keys.some((k) => k.match(input, key))) return b;
    }
  }
  return undefined;
}

/** Status-bar hints for the active contexts, highest priority first, each key shown once. */
export function hints(contexts: readonly KeyContext[], state: KeyState, table: readonly Binding[] = KEYMAP): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const context of contexts) {
    for (const b of table) {
      if (b.context !== context || !b.hint || (b.when && !b.when(state))) continue;
      const ids = b.keys.map((k) => k.id);
      if (ids.some((id) => seen.has(id))) continue;
      ids.forEach((id) => seen.add(id));
      out.push(b.hint);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Documentation

/** Human names of the contexts, in help order. */
export const CONTEXT_TITLES: Record<KeyContext, string> = {
  global: 'Anywhere',
  steps: 'Step list (h / ← to focus)',
  paused: 'At a debug pause',
  'error-prompt': 'When a step failed (on-error=ask)',
  log: 'Log pane',
  search: 'Typing a search (/)',
  sections: 'Sections pane',
  console: 'Console pane',
  preseed: 'Preseed pane',
  answer: 'When the installer got an answer (its preseed line is offered)',
  'append-confirm': 'Append to the preseed file? (asked first)',
  'quit-prompt': 'Quit question (a build is running)',
  help: 'This help',
};

const CONTEXT_ORDER: readonly KeyContext[] = ['global', 'paused', 'error-prompt', 'steps', 'log', 'search', 'sections', 'console', 'preseed', 'answer', 'append-confirm', 'quit-prompt', 'help'];

export interface HelpRow {
  context: KeyContext;
  keys: string;
  description: string;
}

/** Rows of the help: every binding (of one context, if given), grouped by context. */
export function helpRows(context?: KeyContext, table: readonly Binding[] = KEYMAP): HelpRow[] {
  const contexts = context ? [context] : CONTEXT_ORDER;
  return contexts.flatMap((c) =>
    table.filter((b) => b.context === c).map((b) => ({context: c, keys: b.keys.map((k) => k.display).join(' '), description: b.description})),
  );
}

/** README's key list, as a markdown table (printed by scripts/keys-doc.mjs). */
export function markdownKeyTable(table: readonly Binding[] = KEYMAP): string {
  const cell = (s: string): string => s.replace(/\|/g, '\\|');
  const out = ['| where | keys | what it does |', '|---|---|---|'];
  for (const r of helpRows(undefined, table)) {
    const keys = r.keys.split(' ').map((k) => `\`${k === '`' ? '` ` `' : k}\``).join(' ');
    out.push(`| ${cell(CONTEXT_TITLES[r.context])} | ${cell(keys)} | ${cell(r.description)} |`);
  }
  return out.join('\n');
}
