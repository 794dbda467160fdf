/**
 * The build screen's own state — which pane, what is focused, scroll positions, the search,
 * the expanded section, open overlays — and the pure function that applies a key's action to
 * it. Actions may also produce UiCommands for the controller (a breakpoint on the selected
 * step, the quit question's answer). No react/ink here: unit-tested like the reducer.
 *
 * Scroll positions are kept as log seqs, not row indices, so a paused view stays on the same
 * lines while 10,000 new ones a second arrive below.
 */
import {SOURCE_FILTERS} from './format.js';
import type {KeyAction, KeyContext, ViewAction} from './keymap.js';
import type {LineList} from './log-ring.js';
import type {BuildViewState, LineSource, PaneId, UiCommand} from './types.js';

export const PANES: readonly PaneId[] = ['log', 'console', 'sections', 'info', 'preseed'];

export interface LogView {
  /** Pinned to the newest line. */
  follow: boolean;
  /** Seq of the top visible line when not following. */
  top: number;
  source: 'all' | LineSource;
  /** The active query (empty: no search). */
  query: string;
  /** Typing a query: the text so far. */
  draft?: string;
  /** Seq of the current match (n / N move it). */
  current?: number;
}

export interface ViewState {
  pane: PaneId;
  focus: 'steps' | 'pane';
  help: boolean;
  helpScroll: number;
  quitPrompt: boolean;
  /** Index in the step list; −1 follows the current step until the user moves the selection. */
  selectedStep: number;
  log: LogView;
  sections: {cursor: number; expanded?: number};
  /** The Preseed pane's selected answer (index into the installer's answers). */
  preseed: {cursor: number};
  /** Answers put away (Esc) or acted on: the offer shows only newer ones. */
  answersSeen: number;
  /** Index of the answer whose line "append to the preseed file?" asks about. */
  appendConfirm?: number;
}

export function initialView(over: Partial<ViewState> = {}): ViewState {
  return {
    pane: 'log',
    focus: 'steps',
    help: false,
    helpScroll: 0,
    quitPrompt: false,
    selectedStep: -1,
    log: {follow: true, top: 0, source: 'all', query: ''},
    sections: {cursor: 0},
    preseed: {cursor: 0},
    answersSeen: 0,
    ...over,
  };
}

/** The rows of the Sections pane: sections in begin order, the expanded one followed by its lines. */
export interface SectionRows {
  readonly length: number;
  at(row: number): {kind: 'section'; index: number} | {kind: 'note'; index: number} | {kind: 'line'; index: number; seq: number} | undefined;
  /** Row of section `index`. */
  rowOf(index: number): number;
}

/**
 * Rows for `count` sections with section `expanded` showing `lines` (and a note first when
 * `droppedBefore` of its lines are only in build.log). O(1) per row; nothing is materialised.
 */
export function sectionRows(count: number, expanded: number | undefined, lines: LineList | undefined, droppedBefore = 0): SectionRows {
  const open = expanded !== undefined && expanded < count && lines !== undefined;
  const note = open && droppedBefore > 0 ? 1 : 0;
  const extra = open ? note + lines.length : 0;
  const e = open ? expanded : -1;
  return {
    length: count + extra,
    at(row) {
      if (row < 0 || row >= count + extra) return undefined;
      if (!open || row <= e) return {kind: 'section', index: row};
      if (row <= e + extra) {
        if (note && row === e + 1) return {kind: 'note', index: e};
        return {kind: 'line', index: e, seq: lines.seqAt(row - e - 1 - note)};
      }
      return {kind: 'section', index: row - extra};
    },
    rowOf(index) {
      return !open || index <= e ? index : index + extra;
    },
  };
}

/** The selected step's index: the user's choice, or the current step while following it. */
export function selectedStepIndex(v: ViewState, state: BuildViewState): number {
  const n = state.steps.length;
  if (v.selectedStep >= 0) return Math.min(v.selectedStep, Math.max(0, n - 1));
  const i = state.steps.findIndex((s) => s.id === state.currentStep);
  return i === -1 ? 0 : i;
}

/** What the view reducer needs to know about the screen right now. */
export interface ViewContext {
  state: BuildViewState;
  /** The Log pane's list under the current source filter. */
  logList: LineList;
  /** Rows of log lines the Log pane shows. */
  logRows: number;
  /** Matches of `query` in the list for `source` (built on demand, then kept up to date). */
  matchesFor(source: LogView['source'], query: string): LineList;
  /** Rows of the Sections pane as they are now. */
  sectionRows: SectionRows;
  /** Rows the Sections pane shows. */
  sectionsHeight: number;
  /** Rows the step list shows. */
  stepsHeight: number;
  /** Rows of the help's content and how many fit. */
  helpRows: number;
  helpHeight: number;
}

export interface ViewResult {
  view: ViewState;
  commands: UiCommand[];
}

const clamp = (v: number, lo: number, hi: number): number => Math.max(lo, Math.min(hi, v));

/** Index in the list of the top visible log line. */
export function logTopIndex(log: LogView, list: LineList, rows: number): number {
  const max = Math.max(0, list.length - rows);
  return log.follow ? max : clamp(list.indexOfSeq(log.top), 0, max);
}

function scrollLog(v: ViewState, ctx: ViewContext, to: number): ViewState {
  const {logList: list, logRows: rows} = ctx;
  const max = Math.max(0, list.length - rows);
  const i = clamp(to, 0, max);
  // Scrolling stops following; only G (or f) pins the view to new lines again.
  return {...v, log: {...v.log, follow: false, top: list.length ? list.seqAt(i) : 0}};
}

/** Puts the line with `seq` in view (a third from the top when it was off screen). */
function revealLog(v: ViewState, ctx: ViewContext, seq: number): ViewState {
  const {logList: list, logRows: rows} = ctx;
  const idx = list.indexOfSeq(seq);
  const top = logTopIndex(v.log, list, rows);
  if (!v.log.follow && idx >= top && idx < top + rows) return v;
  return scrollLog(v, ctx, idx - Math.floor(rows / 3));
}

/** The next match after (dir 1) or before (dir −1) `from`, wrapping around. */
function nextMatch(m: LineList, from: number, dir: 1 | -1): number | undefined {
  if (m.length === 0) return undefined;
  if (dir === 1) {
    const i = m.indexOfSeq(from + 1);
    return m.seqAt(i < m.length ? i : 0);
  }
  const i = m.indexOfSeq(from) - 1;
  return m.seqAt(i >= 0 ? i : m.length - 1);
}

function moveCursor(v: ViewState, ctx: ViewContext, context: KeyContext, to: (cur: number, len: number, page: number) => number): ViewState {
  switch (context) {
    case 'steps': {
      const len = ctx.state.steps.length;
      return {...v, selectedStep: clamp(to(selectedStepIndex(v, ctx.state), len, ctx.stepsHeight), 0, Math.max(0, len - 1))};
    }
    case 'sections': {
      const len = ctx.sectionRows.length;
      return {...v, sections: {...v.sections, cursor: clamp(to(v.sections.cursor, len, ctx.sectionsHeight), 0, Math.max(0, len - 1))}};
    }
    case 'help': {
      const max = Math.max(0, ctx.helpRows - ctx.helpHeight);
      return {...v, helpScroll: clamp(to(v.helpScroll, max + 1, ctx.helpHeight), 0, max)};
    }
    case 'log': {
      const top = logTopIndex(v.log, ctx.logList, ctx.logRows);
      return scrollLog(v, ctx, to(top, ctx.logList.length, ctx.logRows));
    }
    case 'preseed': {
      const len = ctx.state.installer.answers.length;
      return {...v, preseed: {cursor: clamp(to(v.preseed.cursor, len, ctx.sectionsHeight), 0, Math.max(0, len - 1))}};
    }
    default:
      return v;
  }
}

/** The answer the offer shows (the newest one not put away), if any. */
export function offeredAnswer(v: ViewState, state: BuildViewState): number | undefined {
  const n = state.installer.answers.length;
  return n > v.answersSeen ? n - 1 : undefined;
}

/** An answer's line can go into the answer file: the guest fetched one and the question came after it. */
export function appendable(a: {bootParameter?: string; preseedFile?: string} | undefined): boolean {
  return !!a && !a.bootParameter && !!a.preseedFile;
}

function movement(v: ViewState, a: ViewAction, ctx: ViewContext, context: KeyContext): ViewState {
  switch (a.type) {
    case 'move':
      return moveCursor(v, ctx, context, (cur) => cur + a.by);
    case 'page':
      return moveCursor(v, ctx, context, (cur, _len, page) => cur + a.by * Math.max(1, page - 1));
    case 'top':
      return moveCursor(v, ctx, context, () => 0);
    case 'bottom':
      if (context === 'log') return {...v, log: {...v.log, follow: true}};
      return moveCursor(v, ctx, context, (_cur, len) => len - 1);
    default:
      return v;
  }
}

function firstFailed(state: BuildViewState): number | undefined {
  const failed = state.sections.findIndex((s) => s.status === 'failed');
  if (failed !== -1) return failed;
  const incomplete = state.sections.findIndex((s) => s.status === 'incomplete');
  return incomplete === -1 ? undefined : incomplete;
}

function applyView(v: ViewState, a: ViewAction, ctx: ViewContext, context: KeyContext): ViewResult {
  const same = (view: ViewState, ...commands: UiCommand[]): ViewResult => ({view, commands});
  switch (a.type) {
    case 'move':
    case 'page':
    case 'top':
    case 'bottom':
      return same(movement(v, a, ctx, context));
    case 'focus':
      return same({...v, focus: a.to});
    case 'prev-tab': {
      const pane = PANES[(PANES.indexOf(v.pane) + PANES.length - 1) % PANES.length]!;
      return same({...v, pane, focus: 'pane'}, {type: 'tab', pane});
    }
    case 'toggle-breakpoint': {
      const step = ctx.state.steps[selectedStepIndex(v, ctx.state)];
      return step ? same(v, {type: 'toggle-breakpoint', stepId: step.id}) : same(v);
    }
    case 'quit':
      return ctx.state.status === 'running' ? same({...v, quitPrompt: true}) : same(v, {type: 'quit'});
    case 'quit-answer':
      if (a.choice === 'stay') return same({...v, quitPrompt: false});
      // Keeping: the App quits once the controller has stopped and kept the VM (its `done`).
      if (a.choice === 'keep') return same({...v, quitPrompt: false}, {type: 'abort-keep'}, {type: 'quit'});
      return same({...v, quitPrompt: false}, {type: 'cleanup-quit'});
    case 'follow':
      return same(v.log.follow ? scrollLog(v, ctx, logTopIndex(v.log, ctx.logList, ctx.logRows)) : {...v, log: {...v.log, follow: true}});
    case 'search-start':
      return same({...v, pane: 'log', focus: 'pane', log: {...v.log, draft: ''}});
    case 'search-cancel':
      return same({...v, log: {...v.log, draft: undefined}});
    case 'search-backspace':
      return same({...v, log: {...v.log, draft: [...(v.log.draft ?? '')].slice(0, -1).join('')}});
    case 'search-submit': {
      const query = v.log.draft ?? v.log.query;
      const next: ViewState = {...v, log: {...v.log, draft: undefined, query, current: undefined}};
      if (!query) return same(next);
      const m = ctx.matchesFor(v.log.source, query);
      if (m.length === 0) return same(next);
      // Following: the newest match. Scrolled back: the first match from the top of the view on.
      const top = logTopIndex(v.log, ctx.logList, ctx.logRows);
      const from = v.log.follow ? undefined : m.indexOfSeq(ctx.logList.length ? ctx.logList.seqAt(top) : 0);
      const seq = from === undefined || from >= m.length ? m.seqAt(m.length - 1) : m.seqAt(from);
      const shown = revealLog(next, ctx, seq);
      return same({...shown, log: {...shown.log, current: seq}});
    }
    case 'search-next': {
      if (!v.log.query) return same(v);
      const m = ctx.matchesFor(v.log.source, v.log.query);
      const list = ctx.logList;
      const from = v.log.current ?? (list.length ? list.seqAt(logTopIndex(v.log, list, ctx.logRows)) - (a.dir === 1 ? 1 : 0) : 0);
      const seq = nextMatch(m, from, a.dir);
      if (seq === undefined) return same(v);
      const shown = revealLog(v, ctx, seq);
      return same({...shown, log: {...shown.log, current: seq}});
    }
    case 'clear':
      if (v.log.query) return same({...v, log: {...v.log, query: '', current: undefined}});
      return same({...v, log: {...v.log, source: 'all'}});
    case 'cycle-source': {
      const i = SOURCE_FILTERS.indexOf(v.log.source);
      return same({...v, log: {...v.log, source: SOURCE_FILTERS[(i + 1) % SOURCE_FILTERS.length]!, current: undefined}});
    }
    case 'expand': {
      const row = ctx.sectionRows.at(v.sections.cursor);
      if (!row) return same(v);
      const index = row.index;
      const expanded = row.kind === 'section' && v.sections.expanded !== index ? index : undefined;
      // Collapsing from one of its lines puts the cursor back on the section.
      return same({...v, sections: {expanded, cursor: index}});
    }
    case 'first-failed': {
      const index = firstFailed(ctx.state);
      if (index === undefined) return same(v);
      return same({...v, pane: 'sections', focus: 'pane', sections: {expanded: index, cursor: index}});
    }
    case 'help-close':
      return same({...v, help: false});
    case 'console-interactive':
      return same({...v, pane: 'console', focus: 'pane'}, {type: 'tab', pane: 'console'}, {type: 'console-interactive'});
    case 'append-ask':
    case 'copy-answer': {
      const answers = ctx.state.installer.answers;
      const index = a.from === 'offer' ? offeredAnswer(v, ctx.state) : Math.min(v.preseed.cursor, answers.length - 1);
      if (index === undefined || index < 0 || !answers[index]) return same(v);
      if (a.type === 'copy-answer') return same(v, {type: 'copy-answer', index});
      // Only a line that can go into the file is asked about; otherwise the controller says why not.
      return appendable(answers[index]) ? same({...v, appendConfirm: index}) : same(v, {type: 'append-answer', index});
    }
    case 'dismiss-answer':
      return same({...v, answersSeen: ctx.state.installer.answers.length});
    case 'append-confirm': {
      const index = v.appendConfirm;
      const next = {...v, appendConfirm: undefined};
      return a.yes && index !== undefined ? same(next, {type: 'append-answer', index}) : same(next);
    }
  }
}

/** View commands change the screen here and are passed on too (the App may want to know). */
function applyCommand(v: ViewState, c: UiCommand): ViewState {
  switch (c.type) {
    case 'tab':
      return {...v, pane: c.pane, focus: 'pane'};
    case 'next-tab':
      return {...v, pane: PANES[(PANES.indexOf(v.pane) + 1) % PANES.length]!, focus: 'pane'};
    case 'help':
      return {...v, help: true, helpScroll: 0};
    default:
      return v;
  }
}

/** Applies a key's action (from the keymap binding found in `context`). */
export function applyKeyAction(v: ViewState, action: KeyAction, ctx: ViewContext, context: KeyContext): ViewResult {
  if ('command' in action) return {view: applyCommand(v, action.command), commands: [action.command]};
  return applyView(v, action.view, ctx, context);
}

/** A printable key while typing a search: appended to the draft. */
export function typeIntoSearch(v: ViewState, text: string): ViewState {
  if (v.log.draft === undefined) return v;
  // Control characters and escape sequences never belong in a query.
  // eslint-disable-next-line no-control-regex
  const clean = text.replace(/[\x00-\x1f\x7f]/g, '');
  return clean ? {...v, log: {...v.log, draft: v.log.draft + clean}} : v;
}

// Layout: in layout.ts (pure arithmetic, the same numbers the components are given).
export {screenLayout, type Rect, type ScreenLayout} from './layout.js';
