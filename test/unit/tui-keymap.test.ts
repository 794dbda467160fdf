/**
 * The keymap table: no key bound twice where it would be ambiguous, every UiCommand reachable
 * from some key, shadowing between contexts only where intended, and the help, hints and
 * README table all generated from the same rows.
 */
import type {Key} from 'ink';
import {describe, expect, it} from 'vitest';
import {activeContexts, helpRows, hints, KEYMAP, markdownKeyTable, resolveKey, type Binding, type KeyContext, type KeyState} from '../../src/tui/keymap.js';
import {LogRing, ringList} from '../../src/tui/log-ring.js';
import {initialState, reduceBatch} from '../../src/tui/reducer.js';
import type {BuildViewState, PaneId, UiCommand, WorkbenchEvent} from '../../src/tui/types.js';
import {applyKeyAction, initialView, sectionRows, type ViewContext} from '../../src/tui/view-state.js';
import {failedBuild, pausedBuild, wholeBuild} from '../fakes/fake-controller.js';

/** ink's Key for a plain key press, with overrides. */
function key(over: Partial<Key> = {}): Key {
  return {
    upArrow: false,
    downArrow: false,
    leftArrow: false,
    rightArrow: false,
    pageDown: false,
    pageUp: false,
    home: false,
    end: false,
    return: false,
    escape: false,
    ctrl: false,
    shift: false,
    tab: false,
    backspace: false,
    delete: false,
    meta: false,
    super: false,
    hyper: false,
    capsLock: false,
    numLock: false,
    ...over,
  };
}

/** Every UiCommand type (a Record so a new command type without a key is a type error here). */
const ALL_COMMANDS: Record<UiCommand['type'], true> = {
  continue: true,
  step: true,
  skip: true,
  'abort-keep': true,
  'cleanup-quit': true,
  'answer-error': true,
  'toggle-breakpoint': true,
  'toggle-pause-before': true,
  'toggle-pause-after': true,
  'toggle-pause-questions': true,
  'append-answer': true,
  'copy-answer': true,
  screenshot: true,
  interrupt: true,
  tab: true,
  'next-tab': true,
  help: true,
  quit: true,
  'console-interactive': true,
  'console-mode': true,
  'console-zoom': true,
  'console-pan': true,
};

/** A build whose installer asked a question, got an answer (preseed file known) and one for boot_command. */
function answeredBuild(): WorkbenchEvent[] {
  const time = 0;
  return [
    ...pausedBuild(),
    {type: 'installer', time, kind: 'question', title: '[!] Configure the network', prompt: 'Hostname:', template: 'netcfg/get_hostname'},
    {type: 'installer', time, kind: 'answer', template: 'netcfg/get_hostname', value: 'web1', preseedLine: 'd-i netcfg/get_hostname string web1', preseedFile: '/p/http/preseed.cfg'},
    {type: 'installer', time, kind: 'answer', template: 'netcfg/get_domain', value: 'lan', preseedLine: 'd-i netcfg/get_domain string lan', bootParameter: 'domain=lan'},
  ];
}

function ctxFor(state: BuildViewState): ViewContext {
  return {
    state,
    logList: ringList(state.logs),
    logRows: 10,
    matchesFor: () => ringList(new LogRing(1)),
    sectionRows: sectionRows(state.sections.length, undefined, undefined),
    sectionsHeight: 10,
    stepsHeight: 10,
    helpRows: 50,
    helpHeight: 10,
  };
}

const ks: KeyState = {searching: true, canKeep: true};

describe('keymap table', () => {
  it('binds no key twice within one context', () => {
    const dups: string[] = [];
    const contexts = new Set(KEYMAP.map((b) => b.context));
    for (const c of contexts) {
      const seen = new Map<string, string>();
      for (const b of KEYMAP.filter((x) => x.context === c)) {
        for (const k of b.keys) {
          if (seen.has(k.id)) dups.push(`${c}: ${k.id} in ${seen.get(k.id)} and ${b.id}`);
          seen.set(k.id, b.id);
        }
      }
    }
    expect(dups).toEqual([]);
  });

  it('has unique binding ids and a description for every binding', () => {
    expect(new Set(KEYMAP.map((b) => b.id)).size).toBe(KEYMAP.length);
    for (const b of KEYMAP) expect(b.description.length, b.id).toBeGreaterThan(3);
  });

  it('reaches every UiCommand from some key', () => {
    const states = [wholeBuild(), failedBuild(), pausedBuild(), answeredBuild()].map((evs) => reduceBatch(initialState('p'), evs));
    const reached = new Set<string>();
    for (const b of KEYMAP) {
      for (const state of states) {
        for (const v of [initialView(), initialView({quitPrompt: true}), initialView({appendConfirm: 0})]) {
          for (const c of applyKeyAction(v, b.action, ctxFor(state), b.context).commands) reached.add(c.type);
        }
      }
    }
    expect([...reached].sort()).toEqual(Object.keys(ALL_COMMANDS).sort());
  });

  it('shadows keys across simultaneously active contexts only where intended', () => {
    const shadows = new Set<string>();
    for (const focus of ['steps', 'pane'] as const) {
      for (const pane of ['log', 'console', 'sections', 'info', 'preseed'] as PaneId[]) {
        for (const [errorPrompt, paused, offer] of [[false, false, false], [true, false, false], [false, true, false], [false, false, true], [true, false, true], [false, true, true]]) {
          // BuildScreen offers an answer everywhere but in the Preseed pane (which lists them all).
          if (offer && pane === 'preseed') continue;
          const contexts = activeContexts({help: false, quitPrompt: false, searchEditing: false, errorPrompt: errorPrompt!, paused: paused!, focus, pane, answerOffer: offer});
          const owner = new Map<string, KeyContext>();
          for (const c of contexts) {
            for (const b of KEYMAP.filter((x) => x.context === c)) {
              for (const k of b.keys) {
                const first = owner.get(k.id);
                if (first && first !== c) shadows.add(`${k.id}: ${first} > ${c}`);
                else owner.set(k.id, c);
              }
            }
          }
        }
      }
    }
    expect([...shadows].sort()).toEqual([
      // Esc puts an offered answer away before it clears a search (while the offer shows).
      '<enter>: error-prompt > console',
      '<enter>: error-prompt > sections',
      '<esc>: answer > log',
      // The Console's pan keys, only while there is something to pan (`when`); else they focus.
      '<left>: console > global',
      '<right>: console > global',
      'h: console > global',
      'l: console > global',
      'n: log > paused',
    ]);
  });
});

describe('resolveKey', () => {
  const ctx = (over: Partial<Parameters<typeof activeContexts>[0]> = {}): KeyContext[] =>
    activeContexts({help: false, quitPrompt: false, searchEditing: false, errorPrompt: false, paused: false, focus: 'pane', pane: 'log', ...over});
  const id = (input: string, k: Key, contexts: KeyContext[], state: KeyState = ks): string | undefined => resolveKey(input, k, contexts, state)?.id;

  it('n is "next match" in the Log pane while searching, "step" at a pause otherwise', () => {
    expect(id('n', key(), ctx({paused: true}), {searching: true, canKeep: true})).toBe('log.next');
    expect(id('n', key(), ctx({paused: true}), {searching: false, canKeep: true})).toBe('paused.step');
    expect(id('n', key(), ctx({paused: true, focus: 'steps'}), {searching: true, canKeep: true})).toBe('paused.step');
    expect(id('n', key(), ctx({paused: false}), {searching: false, canKeep: false})).toBeUndefined();
  });

  it('Enter at the error question keeps everything; only x cleans up', () => {
    for (const pane of ['log', 'console', 'sections', 'info'] as PaneId[]) {
      const b = resolveKey('', key({return: true}), ctx({errorPrompt: true, pane}), ks)!;
      expect(b.action).toEqual({command: {type: 'answer-error', decision: 'abort'}});
    }
    const cleanups = KEYMAP.filter((b) => 'command' in b.action && b.action.command.type === 'answer-error' && b.action.command.decision === 'cleanup');
    expect(cleanups.map((b) => b.keys.map((k) => k.id))).toEqual([['x']]);
  });

  it('overlays take every key', () => {
    expect(ctx({help: true, errorPrompt: true, paused: true})).toEqual(['help']);
    expect(ctx({quitPrompt: true})).toEqual(['quit-prompt']);
    expect(ctx({searchEditing: true})).toEqual(['search']);
    expect(id('c', key(), ctx({help: true, paused: true}))).toBeUndefined();
    expect(id('', key({escape: true}), ctx({help: true}))).toBe('help.close');
  });

  it('the quit question offers "keep" only where the build can stop and keep the VM', () => {
    expect(id('a', key(), ctx({quitPrompt: true}), {searching: false, canKeep: true})).toBe('quit.keep');
    expect(id('a', key(), ctx({quitPrompt: true}), {searching: false, canKeep: false})).toBeUndefined();
    expect(id('', key({return: true}), ctx({quitPrompt: true}))).toBe('quit.stay');
  });

  it('matches ink key shapes: arrows, Tab / Shift-Tab, Ctrl, upper case', () => {
    const c = ctx();
    expect(id('', key({downArrow: true}), c)).toBe('log.down');
    expect(id('', key({tab: true}), c)).toBe('global.next-tab');
    expect(id('', key({tab: true, shift: true}), c)).toBe('global.prev-tab');
    expect(id('c', key({ctrl: true}), c)).toBe('global.interrupt');
    expect(id('d', key({ctrl: true}), c)).toBe('log.page-down');
    expect(id('G', key({shift: true}), c)).toBe('log.bottom');
    expect(id('B', key({shift: true}), c)).toBe('global.pause-before');
    expect(id('b', key({meta: true}), c)).toBeUndefined();
  });
});

describe('generated documentation', () => {
  it('helpRows lists every binding, grouped by context', () => {
    const rows = helpRows();
    expect(rows).toHaveLength(KEYMAP.length);
    const order = rows.map((r) => r.context);
    // Grouped: once a context's rows end, it does not come back.
    expect(order.filter((c, i) => c !== order[i - 1])).toEqual([...new Set(order)]);
    expect(helpRows('paused').map((r) => r.keys)).toEqual(['c', 'n', 's', 'a', 'x']);
    expect(helpRows('log').find((r) => r.description.startsWith('search'))?.keys).toBe('/');
  });

  it('markdownKeyTable has a header and one row per binding, pipes escaped', () => {
    const md = markdownKeyTable().split('\n');
    expect(md[0]).toBe('| where | keys | what it does |');
    expect(md).toHaveLength(KEYMAP.length + 2);
    for (const row of md.slice(2)) expect(row.match(/(?<!\\)\|/g)).toHaveLength(4);
    expect(md).toContain('| At a debug pause | `c` | continue (to the next breakpoint or pause) |');
  });

  it('status-bar hints come from the active contexts, highest priority first, each key once', () => {
    const h = hints(['error-prompt', 'log', 'global'], {searching: false, canKeep: true});
    expect(h.slice(0, 3)).toEqual(['r retry', 'a/Enter keep VM', 'x clean up']);
    expect(h).toContain('/ search');
    expect(h).not.toContain('n/N match');
    expect(hints(['log', 'global'], {searching: true, canKeep: false})).toContain('n/N match');
  });

  it('every binding with a hint shows a key it really has', () => {
    const bad = KEYMAP.filter((b: Binding) => b.hint && !b.keys.some((k) => b.hint!.includes(k.display) || b.hint!.startsWith(k.id)));
    expect(bad.map((b) => b.id)).toEqual([]);
  });
});

describe('README key table', () => {
  it('is the one generated from the keymap (run `node scripts/keys-doc.mjs README.md` after changing keys)', async () => {
    const {readFileSync} = await import('node:fs');
    const {markdownKeyTable} = await import('../../src/tui/keymap.js');
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const between = /<!-- keys-doc:begin -->\n([\s\S]*?)\n<!-- keys-doc:end -->/.exec(readme)?.[1];
    expect(between).toBe(markdownKeyTable());
  });
});
