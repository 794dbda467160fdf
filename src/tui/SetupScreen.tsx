/**
 * The guided set-up (first run, `vmbench setup`): four pages, one at a time so each fits 80×24.
 *
 *   1 Checks    live status of every check (spinner while running); ↑/↓ shows a check's full
 *               detail and its fix command
 *   2 Settings  ↑/↓ move, Enter edit, Esc cancel the edit; a bad value is refused with an
 *               inline error; ranges upside down are flagged on their row and block saving
 *   3 SSH key   "generate? (y/N)", then the path (default ~/.ssh/vmbench_ed25519); the key is
 *               made only when saving, and an existing key is never overwritten
 *   4 Save      s saves, q quits without saving
 *
 * Everywhere (outside a text field): Tab / Shift-Tab next / previous page, 1–4 jump, s save,
 * q quit without saving, Ctrl-C quit. The screen saves nothing itself: `onDone` gets the settings
 * (or undefined), so the workbench's App can show it on first run and store them as it likes.
 */
import React, {useCallback, useEffect, useReducer, useRef, useState} from 'react';
import {Box, Text, useInput, useStdout} from 'ink';
import {crossCheck, defaultSshKeyFile, displayValue, type Settings} from '../settings/schema.js';
import {diffSettings, summarize} from '../setup/format.js';
import type {CheckUpdate} from '../setup/runner.js';
import {generateSshKey, type SshKeyOutcome} from '../setup/ssh-key.js';
import type {CheckResult} from '../setup/types.js';
import {type Field, FIELDS, type Page, PAGES, reduceCheck, reduceChecksDone, reduceKey, type Row, type SshStep, type State} from './setup-state.js';

export interface SetupScreenProps {
  /** Runs the checks, reporting each one's progress; must stop when the signal aborts. */
  runChecks: (onUpdate: (u: CheckUpdate) => void, signal: AbortSignal) => Promise<CheckResult[]>;
  initial: Settings;
  /** Called once: the settings to save, or undefined when the user quit without saving. */
  onDone: (settings: Settings | undefined) => void;
  /** Shown on the Save page. */
  settingsFile?: string;
  /** Problems with the settings file (shown on the Settings page). */
  warnings?: string[];
  /** Makes the key pair on save; default src/setup/ssh-key.ts. */
  makeSshKey?: (file: string) => SshKeyOutcome;
  /** Layout width; default the terminal's (capped at 100). Pages are at most 23 rows tall. */
  columns?: number;
}

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const ICON: Record<CheckResult['status'], {icon: string; color: string}> = {
  ok: {icon: '✔', color: 'green'},
  warn: {icon: '!', color: 'yellow'},
  fail: {icon: '✘', color: 'red'},
  skip: {icon: '–', color: 'gray'},
};

export function SetupScreen(props: SetupScreenProps): React.ReactElement {
  const {stdout} = useStdout();
  const width = Math.min(props.columns ?? stdout?.columns ?? 80, 100);
  const propsRef = useRef(props);
  propsRef.current = props;
  const stateRef = useRef<State | undefined>(undefined);
  stateRef.current ??= {
    page: 'checks',
    rows: [],
    running: true,
    runId: 0,
    checkCursor: 0,
    movedCheckCursor: false,
    draft: props.initial,
    cursor: 0,
    ssh: {step: 'ask', path: {text: props.initial.sshKeyFile || defaultSshKeyFile()}},
    done: false,
  };
  const [, rerender] = useReducer((n: number) => n + 1, 0);
  const update = useCallback((fn: (s: State) => State): State => {
    stateRef.current = fn(stateRef.current!);
    rerender();
    return stateRef.current;
  }, []);
  const [tick, setTick] = useState(0);
  const state = stateRef.current;

  // Run the checks (again on `r`); unmounting or re-running stops the previous run.
  useEffect(() => {
    const ac = new AbortController();
    update((s) => ({...s, running: true, rows: []}));
    propsRef.current
      .runChecks((u) => !ac.signal.aborted && update((s) => reduceCheck(s, u)), ac.signal)
      .catch(() => undefined)
      .finally(() => !ac.signal.aborted && update(reduceChecksDone));
    return () => ac.abort(new Error('setup screen closed'));
  }, [state.runId, update]);

  // One timer drives every spinner, only while something runs.
  useEffect(() => {
    if (!state.running) return;
    const t = setInterval(() => setTick((n) => n + 1), 100);
    return () => clearInterval(t);
  }, [state.running]);

  const finish = (settings: Settings | undefined): void => {
    update((s) => ({...s, done: true}));
    propsRef.current.onDone(settings);
  };

  const save = (): void => {
    const s = stateRef.current!;
    const cross = crossCheck(s.draft);
    if (cross.length) {
      update((x) => ({...x, page: 'settings', saveError: `cannot save: ${cross.map((i) => `${i.key} ${i.message}`).join('; ')}`}));
      return;
    }
    let out = s.draft;
    if (s.ssh.step === 'chosen') {
      const r = (propsRef.current.makeSshKey ?? generateSshKey)(s.ssh.path.text);
      if (r.status === 'error') {
        update((x) => ({...x, page: 'save', saveError: r.message}));
        return;
      }
      out = {...out, sshKeyFile: s.ssh.path.text};
    }
    finish(out);
  };

  useInput((input, key) => {
    const {state: next, effect} = reduceKey(stateRef.current!, input, key);
    if (next !== stateRef.current) update(() => next);
    if (effect === 'quit') finish(undefined);
    else if (effect === 'save') save();
  });

  const finished = state.rows.filter((r): r is CheckResult => r.status !== 'running');
  const counts = summarize(finished);
  const runningCount = state.rows.length - finished.length;
  const crossIssues = crossCheck(state.draft);
  const editingText = !!state.editing || (state.page === 'ssh' && state.ssh.step === 'path');
  return (
    <Box flexDirection="column" width={width}>
      <Header page={state.page} />
      <Box flexDirection="column" marginTop={1}>
        {state.page === 'checks' && <ChecksPage rows={state.rows} cursor={state.checkCursor} tick={tick} width={width} />}
        {state.page === 'settings' && (
          <SettingsPage draft={state.draft} initial={props.initial} cursor={state.cursor} editing={state.editing} width={width} warnings={props.warnings ?? []} crossIssues={crossIssues} />
        )}
        {state.page === 'ssh' && <SshPage ssh={state.ssh} current={props.initial.sshKeyFile} />}
        {state.page === 'save' && <SavePage draft={state.draft} initial={props.initial} ssh={state.ssh} file={props.settingsFile} />}
      </Box>
      <Box flexDirection="column" marginTop={1}>
        {state.saveError && (
          <Text color="red" wrap="truncate-end">
            {state.saveError}
          </Text>
        )}
        <Text dimColor wrap="truncate-end">
          {state.rows.length ? `checks: ${counts}${runningCount ? `, ${runningCount} running` : ''}` : 'checks: starting…'}
        </Text>
        <Footer page={state.page} editing={editingText} running={state.running} />
      </Box>
    </Box>
  );
}

/** Only to say "kept, not overwritten" before saving; generateSshKey checks again with O_EXCL. */
function Header({page}: {page: Page}): React.ReactElement {
  return (
    <Box>
      <Text bold>vmbench setup </Text>
      {PAGES.map((p, i) => (
        <Text key={p.id} inverse={p.id === page} bold={p.id === page}>
          {` ${i + 1} ${p.label} `}
        </Text>
      ))}
    </Box>
  );
}

function ChecksPage({rows, cursor, tick, width}: {rows: Row[]; cursor: number; tick: number; width: number}): React.ReactElement {
  const titleWidth = 26;
  const selected = rows[cursor];
  return (
    <Box flexDirection="column">
      {rows.map((r, i) => {
        const mark = r.status === 'running' ? {icon: SPINNER[tick % SPINNER.length]!, color: 'cyan'} : ICON[r.status];
        return (
          <Box key={r.id}>
            <Text inverse={i === cursor}>{i === cursor ? '›' : ' '}</Text>
            <Box width={2}>
              <Text color={mark.color}>{` ${mark.icon}`}</Text>
            </Box>
            <Box width={titleWidth} marginLeft={1}>
              <Text wrap="truncate-end">{r.title}</Text>
            </Box>
            <Box width={Math.max(10, width - titleWidth - 5)} marginLeft={1}>
              <Text wrap="truncate-end" color={r.status === 'running' ? 'gray' : undefined}>
                {r.status === 'running' ? 'checking…' : r.detail}
              </Text>
            </Box>
          </Box>
        );
      })}
      {selected && selected.status !== 'running' && (
        <Box flexDirection="column" marginTop={1} width={width}>
          <Text wrap="wrap">
            <Text bold>{selected.title}: </Text>
            {clip(selected.detail, width * 3 - selected.title.length - 8)}
          </Text>
          {selected.fix && (
            <Text wrap="wrap">
              <Text color="cyan">fix: </Text>
              {clip(selected.fix, width * 3 - 6)}
            </Text>
          )}
        </Box>
      )}
    </Box>
  );
}

function SettingsPage(p: {
  draft: Settings;
  initial: Settings;
  cursor: number;
  editing?: Field;
  width: number;
  warnings: string[];
  crossIssues: {key: string; message: string}[];
}): React.ReactElement {
  const labelWidth = 24;
  const spec = FIELDS[p.cursor]!;
  return (
    <Box flexDirection="column">
      {p.warnings.slice(0, 2).map((w, i) => (
        <Text key={i} color="yellow" wrap="truncate-end">
          {w}
        </Text>
      ))}
      {FIELDS.map((f, i) => {
        const here = i === p.cursor;
        const value = here && p.editing ? `${p.editing.text}█` : displayValue(f, p.draft[f.key]);
        const changed = p.draft[f.key] !== p.initial[f.key];
        const cross = p.crossIssues.find((c) => c.key === f.key);
        const error = here && p.editing?.error ? p.editing.error : cross?.message;
        return (
          <Box key={f.key} flexDirection="column">
            <Box>
              <Text inverse={here && !p.editing}>{here ? '›' : ' '}</Text>
              <Box width={labelWidth} marginLeft={1}>
                <Text wrap="truncate-end" bold={here}>
                  {f.label}
                </Text>
              </Box>
              <Box width={Math.max(10, p.width - labelWidth - 3)}>
                <Text wrap="truncate-start" color={here && p.editing ? 'cyan' : changed ? 'green' : undefined}>
                  {value}
                </Text>
              </Box>
            </Box>
            {error && (
              <Box marginLeft={labelWidth + 2}>
                <Text color="red" wrap="truncate-end">
                  {`✘ ${error}`}
                </Text>
              </Box>
            )}
          </Box>
        );
      })}
      <Box marginTop={1}>
        <Text dimColor wrap="truncate-end">{`${spec.key}: ${spec.doc}`}</Text>
      </Box>
    </Box>
  );
}

function SshPage({ssh, current}: {ssh: SshStep; current: string}): React.ReactElement {
  return (
    <Box flexDirection="column">
      <Text wrap="wrap">Your own ed25519 key pair, to log into the VMs you build (optional: every build makes a temporary key of its own).</Text>
      <Text>{`Current: ${current || 'none'}`}</Text>
      <Box marginTop={1} flexDirection="column">
        {ssh.step === 'ask' && <Text bold>Generate a key pair? (y/N)</Text>}
        {ssh.step === 'no' && <Text>No key will be generated. (y to change your mind)</Text>}
        {ssh.step === 'path' && (
          <>
            <Text>Private key path (the public key goes beside it as .pub):</Text>
            <Text color="cyan" wrap="truncate-start">{`${ssh.path.text}█`}</Text>
            {ssh.path.error && <Text color="red">{`✘ ${ssh.path.error}`}</Text>}
          </>
        )}
        {ssh.step === 'chosen' &&
          (ssh.exists ? (
            <Text color="yellow" wrap="wrap">{`${ssh.path.text} exists: it is kept as it is (never overwritten) and recorded as your key when you save.`}</Text>
          ) : (
            <Text color="green" wrap="wrap">{`${ssh.path.text} (0600) and .pub will be created when you save.`}</Text>
          ))}
      </Box>
    </Box>
  );
}

function SavePage(p: {draft: Settings; initial: Settings; ssh: SshStep; file?: string}): React.ReactElement {
  const changes = diffSettings(p.initial, p.draft);
  return (
    <Box flexDirection="column">
      <Text>Save the settings (file mode 0600) to:</Text>
      <Text wrap="truncate-start">{`  ${p.file ?? 'the settings file'}`}</Text>
      <Text bold>Changes:</Text>
      {changes.length ? (
        changes.slice(0, 8).map((c) => (
          <Text key={c} wrap="truncate-end">{`  ${c}`}</Text>
        ))
      ) : (
        <Text>  none (saving marks set-up as done)</Text>
      )}
      <Text wrap="truncate-end">
        {`SSH key: ${p.ssh.step === 'chosen' ? `${p.ssh.exists ? 'use existing' : 'create'} ${p.ssh.path.text}` : 'no new key'}`}
      </Text>
      <Box marginTop={1}>
        <Text bold>s</Text>
        <Text> save   </Text>
        <Text bold>q</Text>
        <Text> quit without saving</Text>
      </Box>
    </Box>
  );
}

const FOOTERS: Record<Page, string> = {
  checks: '↑/↓ details · Enter/Tab next · r re-run · s save · q quit',
  settings: '↑/↓ move · Enter edit · Tab next · Shift-Tab back · s save · q quit',
  ssh: 'y generate · n/Enter skip · Tab next · Shift-Tab back · q quit',
  save: 's save · q quit without saving · Shift-Tab back · 1-4 pages',
};

function Footer({page, editing, running}: {page: Page; editing: boolean; running: boolean}): React.ReactElement {
  const text = editing ? 'type a value · Enter accept · Esc cancel · Backspace delete · Ctrl-U clear' : FOOTERS[page].replace(' · r re-run', running ? '' : ' · r re-run');
  return (
    <Text color="blue" wrap="truncate-end">
      {text}
    </Text>
  );
}

function clip(s: string, max: number): string {
  return s.length > max ? `${s.slice(0, Math.max(0, max - 1))}…` : s;
}
