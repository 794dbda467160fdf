/**
 * The build screen's view logic without ink: layout arithmetic, the Sections row model, log
 * scrolling anchored by seq, search jumps, the quit question and the breakpoint command.
 */
import {beforeEach, describe, expect, it} from 'vitest';
import {LogRing, LogViews, ringList} from '../../src/tui/log-ring.js';
import {initialState, reduceBatch} from '../../src/tui/reducer.js';
import type {BuildViewState, WorkbenchEvent} from '../../src/tui/types.js';
import {applyKeyAction, initialView, logTopIndex, screenLayout, sectionRows, selectedStepIndex, typeIntoSearch, type ViewContext, type ViewState} from '../../src/tui/view-state.js';
import {pausedBuild, wholeBuild} from '../fakes/fake-controller.js';

function ctxFor(state: BuildViewState, v: ViewState, rows = 10): ViewContext {
  const views = new LogViews();
  return {
    state,
    logList: views.list(state.logs, v.log.source),
    logRows: rows,
    matchesFor: (source, query) => views.matches(state.logs, source, query),
    sectionRows: sectionRows(state.sections.length, v.sections.expanded, undefined),
    sectionsHeight: rows,
    stepsHeight: rows,
    helpRows: 40,
    helpHeight: 10,
  };
}

const lines = (n: number, text = (i: number) => `line ${i}`): WorkbenchEvent[] =>
  Array.from({length: n}, (_, i) => ({type: 'log', time: 0, source: i % 2 ? 'serial' : 'qemu', stream: 'stdout', line: text(i + 1)}));

describe('screenLayout', () => {
  it.each([
    // width, height, prompt → steps width, pane rect, status row
    [80, 24, 0, 28, {row: 1, col: 29, width: 50, height: 19}, 21],
    [80, 24, 6, 28, {row: 1, col: 29, width: 50, height: 13}, 21],
    [200, 60, 0, 36, {row: 1, col: 37, width: 162, height: 55}, 57],
    [120, 40, 3, 28, {row: 1, col: 29, width: 90, height: 32}, 37],
    [60, 20, 0, 19, {row: 1, col: 20, width: 39, height: 15}, 17],
  ])('%d×%d (prompt %d)', (w, h, prompt, stepsW, pane, statusRow) => {
    const L = screenLayout(w, h, prompt);
    expect(L.rows).toBe(h - 1);
    expect(L.steps.width).toBe(stepsW);
    expect(L.pane).toEqual(pane);
    expect(L.status.row).toBe(statusRow);
    // Everything stacks to exactly rows − 1 (ink's flicker trap), side by side to the width.
    expect(L.steps.height + (L.prompt?.height ?? 0) + L.status.height).toBe(h - 1);
    expect(L.steps.width + L.panel.width).toBe(w);
  });
});

describe('sectionRows', () => {
  const lines5 = {length: 5, seqAt: (i: number) => 100 + i, indexOfSeq: () => 0};
  it('inserts the expanded section lines after it, nothing materialised', () => {
    const r = sectionRows(4, 1, lines5);
    expect(r.length).toBe(9);
    expect([0, 1, 2, 6, 7, 8].map((i) => r.at(i))).toEqual([
      {kind: 'section', index: 0},
      {kind: 'section', index: 1},
      {kind: 'line', index: 1, seq: 100},
      {kind: 'line', index: 1, seq: 104},
      {kind: 'section', index: 2},
      {kind: 'section', index: 3},
    ]);
    expect(r.rowOf(3)).toBe(8);
    expect(r.rowOf(1)).toBe(1);
    expect(r.at(9)).toBeUndefined();
  });
  it('a note row first when earlier lines were dropped', () => {
    const r = sectionRows(2, 0, lines5, 1);
    expect(r.at(1)).toEqual({kind: 'note', index: 0});
    expect(r.at(2)).toEqual({kind: 'line', index: 0, seq: 100});
    expect(r.length).toBe(8);
  });
});

describe('log view', () => {
  // A fresh state per test: pushing lines into a state's ring is seen by every state sharing it.
  let base: BuildViewState;
  beforeEach(() => {
    base = reduceBatch(initialState('p'), lines(100));
  });
  const act = (v: ViewState, view: Parameters<typeof applyKeyAction>[1], state = base) => applyKeyAction(v, view, ctxFor(state, v), 'log');

  it('follows the newest lines; scrolling up pauses on the same lines while new ones arrive', () => {
    let v = initialView();
    expect(logTopIndex(v.log, ringList(base.logs), 10)).toBe(90);
    v = act(v, {view: {type: 'move', by: -1}}).view;
    expect(v.log).toMatchObject({follow: false, top: 90});
    const more = reduceBatch(base, lines(50));
    expect(logTopIndex(v.log, ringList(more.logs), 10)).toBe(89);
    expect(ringList(more.logs).seqAt(89)).toBe(90);
    v = act(v, {view: {type: 'bottom'}}, more).view;
    expect(v.log.follow).toBe(true);
  });

  it('f toggles follow, g goes to the top, pages move by a screen', () => {
    let v = act(initialView(), {view: {type: 'follow'}}).view;
    expect(v.log).toMatchObject({follow: false, top: 91});
    v = act(v, {view: {type: 'top'}}).view;
    expect(v.log.top).toBe(1);
    v = act(v, {view: {type: 'page', by: 1}}).view;
    expect(v.log.top).toBe(10);
    v = act(v, {view: {type: 'follow'}}).view;
    expect(v.log.follow).toBe(true);
  });

  it('a paused view whose top line was dropped from the ring shows the oldest line held', () => {
    const small = reduceBatch(initialState('p', {logCapacity: 20}), lines(20));
    const v = initialView({log: {follow: false, top: 3, source: 'all', query: ''}});
    const later = reduceBatch(small, lines(10));
    expect(logTopIndex(v.log, ringList(later.logs), 5)).toBe(0);
  });

  it('search: Enter jumps to the newest match when following, n / N move and wrap', () => {
    const state = reduceBatch(initialState('p'), lines(100, (i) => (i % 25 === 0 ? `eth0 link up ${i}` : `noise ${i}`)));
    let v = act(initialView(), {view: {type: 'search-start'}}, state).view;
    expect(v.log.draft).toBe('');
    for (const ch of 'ETH0'.toLowerCase()) v = typeIntoSearch(v, ch);
    v = typeIntoSearch(v, '\x1b');
    expect(v.log.draft).toBe('eth0');
    v = act(v, {view: {type: 'search-submit'}}, state).view;
    expect(v.log).toMatchObject({query: 'eth0', current: 100, draft: undefined});
    v = act(v, {view: {type: 'search-next', dir: -1}}, state).view;
    expect(v.log.current).toBe(75);
    expect(v.log.follow).toBe(false);
    v = act(v, {view: {type: 'search-next', dir: 1}}, state).view;
    v = act(v, {view: {type: 'search-next', dir: 1}}, state).view;
    expect(v.log.current).toBe(25);
    v = act(v, {view: {type: 'search-next', dir: -1}}, state).view;
    expect(v.log.current).toBe(100);
    // The match is on screen.
    const top = logTopIndex(v.log, ringList(state.logs), 10);
    expect(top).toBeLessThanOrEqual(99);
    expect(top + 10).toBeGreaterThan(99);
    v = act(v, {view: {type: 'clear'}}, state).view;
    expect(v.log.query).toBe('');
  });

  it('search from a scrolled-back view starts at the top of the view', () => {
    const state = reduceBatch(initialState('p'), lines(100, (i) => (i % 25 === 0 ? `hit ${i}` : `x ${i}`)));
    let v = initialView({log: {follow: false, top: 30, source: 'all', query: '', draft: 'hit'}});
    v = act(v, {view: {type: 'search-submit'}}, state).view;
    expect(v.log.current).toBe(50);
  });

  it('F cycles the source filter and Esc clears it', () => {
    let v = act(initialView(), {view: {type: 'cycle-source'}}).view;
    expect(v.log.source).toBe('qemu');
    v = act(v, {view: {type: 'cycle-source'}}).view;
    expect(v.log.source).toBe('serial');
    v = act(v, {view: {type: 'clear'}}).view;
    expect(v.log.source).toBe('all');
  });
});

describe('steps, quit, console', () => {
  it('the selection follows the current step until moved; b toggles the selected one', () => {
    const state = reduceBatch(initialState('p'), pausedBuild());
    let v = initialView();
    expect(selectedStepIndex(v, state)).toBe(5);
    const ctx = ctxFor(state, v);
    expect(applyKeyAction(v, {view: {type: 'toggle-breakpoint'}}, ctx, 'global').commands).toEqual([{type: 'toggle-breakpoint', stepId: 'start-vm'}]);
    v = applyKeyAction(v, {view: {type: 'move', by: 1}}, ctx, 'steps').view;
    expect(v.selectedStep).toBe(6);
    expect(applyKeyAction(v, {view: {type: 'toggle-breakpoint'}}, ctx, 'global').commands).toEqual([{type: 'toggle-breakpoint', stepId: 'type-boot-command'}]);
    v = applyKeyAction(v, {view: {type: 'bottom'}}, ctx, 'steps').view;
    expect(v.selectedStep).toBe(11);
  });

  it('q asks while a build runs, quits at once otherwise; "stay" sends nothing', () => {
    const running = reduceBatch(initialState('p'), pausedBuild());
    const done = reduceBatch(initialState('p'), wholeBuild());
    const q = applyKeyAction(initialView(), {view: {type: 'quit'}}, ctxFor(running, initialView()), 'global');
    expect(q).toEqual({view: expect.objectContaining({quitPrompt: true}), commands: []});
    expect(applyKeyAction(q.view, {view: {type: 'quit-answer', choice: 'stay'}}, ctxFor(running, q.view), 'quit-prompt').commands).toEqual([]);
    expect(applyKeyAction(q.view, {view: {type: 'quit-answer', choice: 'keep'}}, ctxFor(running, q.view), 'quit-prompt').commands).toEqual([{type: 'abort-keep'}, {type: 'quit'}]);
    expect(applyKeyAction(q.view, {view: {type: 'quit-answer', choice: 'cleanup'}}, ctxFor(running, q.view), 'quit-prompt').commands).toEqual([{type: 'cleanup-quit'}]);
    expect(applyKeyAction(initialView(), {view: {type: 'quit'}}, ctxFor(done, initialView()), 'global').commands).toEqual([{type: 'quit'}]);
  });

  it('i opens the Console and asks the App for the keyboard', () => {
    const r = applyKeyAction(initialView(), {view: {type: 'console-interactive'}}, ctxFor(initialState('p'), initialView()), 'global');
    expect(r.view.pane).toBe('console');
    expect(r.commands).toEqual([{type: 'tab', pane: 'console'}, {type: 'console-interactive'}]);
  });

  it('view commands switch panes here and are passed on', () => {
    const ctx = ctxFor(initialState('p'), initialView());
    const r = applyKeyAction(initialView(), {command: {type: 'next-tab'}}, ctx, 'global');
    expect([r.view.pane, r.view.focus, r.commands]).toEqual(['console', 'pane', [{type: 'next-tab'}]]);
    const p = applyKeyAction(initialView(), {view: {type: 'prev-tab'}}, ctx, 'global');
    expect([p.view.pane, p.commands]).toEqual(['preseed', [{type: 'tab', pane: 'preseed'}]]);
  });

  it('an empty ring is no problem for any log action', () => {
    const state = initialState('p', {logCapacity: 5});
    for (const a of ['move', 'page', 'top', 'bottom', 'follow', 'search-submit', 'search-next', 'cycle-source'] as const) {
      const v = initialView({log: {follow: true, top: 0, source: 'all', query: 'x', draft: 'x'}});
      expect(() => applyKeyAction(v, {view: {type: a, by: 1, dir: 1} as never}, ctxFor(state, v), 'log')).not.toThrow();
    }
    expect(new LogRing(1).length).toBe(0);
  });
});
