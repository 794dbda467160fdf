/**
 * The setup screen's state machine (SetupScreen.tsx draws it): pages, the settings form, the
 * SSH-key step, and one pure function from a key to the next state. Kept apart from the ink
 * component so it reads (and can be tested) without rendering.
 */
import {existsSync} from 'node:fs';
import type {Key} from 'ink';
import {parseValue, SETTING_SPECS, type Settings, type SettingSpec} from '../settings/schema.js';
import type {CheckUpdate} from '../setup/runner.js';
import type {CheckResult} from '../setup/types.js';

export type Page = 'checks' | 'settings' | 'ssh' | 'save';
export const PAGES: {id: Page; label: string}[] = [
  {id: 'checks', label: 'Checks'},
  {id: 'settings', label: 'Settings'},
  {id: 'ssh', label: 'SSH key'},
  {id: 'save', label: 'Save'},
];
export const FIELDS: SettingSpec[] = SETTING_SPECS.filter((s) => !s.internal && s.key !== 'sshKeyFile');

export type Row = CheckResult | {id: string; title: string; status: 'running'};

/** A one-line text field being edited. */
export interface Field {
  text: string;
  error?: string;
}

/** Apply a key to a text field: the new field, or 'accept' / 'cancel'. */
export function editKey(f: Field, input: string, key: Key): Field | 'accept' | 'cancel' {
  if (key.return) return 'accept';
  if (key.escape) return 'cancel';
  // Terminals send DEL (0x7f) for Backspace; ink calls that `delete`.
  if (key.backspace || key.delete) return {text: f.text.slice(0, -1)};
  if (key.ctrl && input === 'u') return {text: ''};
  if (key.ctrl || key.meta || key.tab || key.upArrow || key.downArrow || key.leftArrow || key.rightArrow) return f;
  const printable = input.replace(/[\x00-\x1f\x7f]/g, '');
  return printable ? {text: f.text + printable} : f;
}

export interface SshStep {
  step: 'ask' | 'path' | 'chosen' | 'no';
  path: Field;
  exists?: boolean;
}

export interface State {
  page: Page;
  rows: Row[];
  running: boolean;
  /** Bumped by `r`: the effect that runs the checks depends on it. */
  runId: number;
  checkCursor: number;
  movedCheckCursor: boolean;
  draft: Settings;
  cursor: number;
  editing?: Field;
  ssh: SshStep;
  saveError?: string;
  done: boolean;
}

export type Effect = 'quit' | 'save' | undefined;

/**
 * One key → the next state, plus what the component must do (quit, save). Pure. Keys are
 * handled against the newest state (held in a ref), not the render's closure: ink re-subscribes
 * useInput's handler in a passive effect, so keys that arrive before it runs (fast typing,
 * pastes, tmux send-keys) would otherwise see stale state and be lost.
 */
export function reduceKey(s: State, input: string, key: Key): {state: State; effect?: Effect} {
  if (s.done) return {state: s};
  if (key.ctrl && input === 'c') return {state: s, effect: 'quit'};
  const page = (delta: number): State => {
    const i = PAGES.findIndex((p) => p.id === s.page);
    return {...s, page: PAGES[Math.min(PAGES.length - 1, Math.max(0, i + delta))]!.id};
  };

  if (s.editing) {
    const next = editKey(s.editing, input, key);
    if (next === 'cancel') return {state: {...s, editing: undefined}};
    if (next !== 'accept') return {state: {...s, editing: next}};
    const spec = FIELDS[s.cursor]!;
    try {
      const value = parseValue(spec, s.editing.text);
      return {state: {...s, draft: {...s.draft, [spec.key]: value}, editing: undefined, saveError: undefined}};
    } catch (err) {
      return {state: {...s, editing: {...s.editing, error: (err as Error).message}}};
    }
  }
  if (s.page === 'ssh' && s.ssh.step === 'path') {
    const next = editKey(s.ssh.path, input, key);
    if (next === 'cancel') return {state: {...s, ssh: {...s.ssh, step: 'ask'}}};
    if (next !== 'accept') return {state: {...s, ssh: {...s.ssh, path: next}}};
    if (!s.ssh.path.text.trim()) return {state: {...s, ssh: {...s.ssh, path: {...s.ssh.path, error: 'enter a path for the private key'}}}};
    const file = parseValue({key: 'sshKeyFile', kind: 'path', label: '', doc: ''}, s.ssh.path.text) as string;
    return {state: {...s, ssh: {step: 'chosen', path: {text: file}, exists: keyExists(file)}}};
  }

  if (input === 'q') return {state: s, effect: 'quit'};
  if (input === 's') return {state: s, effect: 'save'};
  if (key.tab) return {state: page(key.shift ? -1 : 1)};
  if (/^[1-4]$/.test(input)) return {state: {...s, page: PAGES[Number(input) - 1]!.id}};

  switch (s.page) {
    case 'checks':
      if (key.upArrow || key.downArrow) {
        const c = Math.max(0, Math.min(s.rows.length - 1, s.checkCursor + (key.upArrow ? -1 : 1)));
        return {state: {...s, checkCursor: c, movedCheckCursor: true}};
      }
      if (input === 'r' && !s.running) return {state: {...s, runId: s.runId + 1, rows: [], running: true, movedCheckCursor: false}};
      if (key.return) return {state: page(1)};
      return {state: s};
    case 'settings':
      if (key.upArrow) return {state: {...s, cursor: Math.max(0, s.cursor - 1)}};
      if (key.downArrow) return {state: {...s, cursor: Math.min(FIELDS.length - 1, s.cursor + 1)}};
      if (key.return) return {state: {...s, editing: {text: String(s.draft[FIELDS[s.cursor]!.key])}}};
      return {state: s};
    case 'ssh':
      if (input === 'y' || input === 'Y') return {state: {...s, ssh: {...s.ssh, step: 'path', path: {text: s.ssh.path.text}}}};
      if (input === 'n' || input === 'N') return {state: {...s, ssh: {...s.ssh, step: 'no'}}};
      if (key.return) return {state: {...page(1), ssh: s.ssh.step === 'ask' ? {...s.ssh, step: 'no'} : s.ssh}};
      return {state: s};
    case 'save':
      return key.return ? {state: s, effect: 'save'} : {state: s};
  }
}

/** A check's update → the next state (rows in first-seen order). Pure. */
export function reduceCheck(s: State, u: CheckUpdate): State {
  const rows = s.rows.some((r) => r.id === u.id) ? s.rows.map((r) => (r.id === u.id ? u : r)) : [...s.rows, u];
  return {...s, rows};
}

/** Checks finished: point at the first failure (else warning) unless the user moved. */
export function reduceChecksDone(s: State): State {
  if (s.movedCheckCursor) return {...s, running: false};
  const fail = s.rows.findIndex((r) => r.status === 'fail');
  const warn = s.rows.findIndex((r) => r.status === 'warn');
  return {...s, running: false, checkCursor: fail >= 0 ? fail : Math.max(warn, 0)};
}

/** An existing key (or its .pub) is never overwritten. */
export function keyExists(file: string): boolean {
  return existsSync(file) || existsSync(`${file}.pub`);
}
