/**
 * The workbench shell: (first run: setup) → profile picker → build view → result → picker;
 * and picker → a kept VM's screen (KeptVmScreen) → picker.
 *
 * The build view is BuildScreen driven by a BuildController from the `startBuild` factory (tests
 * inject a fake). The App's jobs around it:
 * - Batching: engine events are collected in a ref and folded into the view state with
 *   reduceBatch at most every `flushMs` (33 ms), so 10,000 log lines a second cost ~30 renders
 *   a second, not 10,000; a key press never waits behind them (BuildScreen handles keys at once).
 * - Commands: BuildScreen's engine commands go to the controller (Ctrl-C → 'interrupt': the
 *   controller cancels and cleans up, a second one stops at once); 'console-interactive' hands
 *   the keyboard to the Console pane until Ctrl-]; quitting while a build runs waits for it.
 * - The Console pane: BuildScreen's consoleSlot goes to the ConsolePane (console-pane.ts), the
 *   controller's frames() is its screen, raw stdin bytes are its keys while captured.
 * - Kept VMs: the picker lists them, and one opens on its own screen (KeptVmScreen) with the
 *   same ConsolePane; their state and actions are useKeptVmScreen's (use-kept-vm-screen.ts).
 */
import React, {useCallback, useEffect, useRef, useState} from 'react';
import {Box, Text, useInput, useStdin, useStdout} from 'ink';
import {BuildScreen} from './BuildScreen.js';
import {KeptVmScreen} from './KeptVmScreen.js';
import {useKeptVmScreen, type KeptVmProps} from './use-kept-vm-screen.js';
import type {ScreenViewStatus} from '../render/screen-view.js';
import type {ConsolePane} from './console-pane.js';
import {consoleKey} from './console-keys.js';
import {diagnosisLines} from './ErrorPrompt.js';
import {pasteLines, timelineRows} from './installer-view.js';
import {BUILD_ICON, fit, formatBytes, formatClock, sanitizeLine} from './format.js';
import {ProfilePicker} from './ProfilePicker.js';
import {entryKey, type ProfileEntry} from './profiles-data.js';
import {initialState, reduceBatch} from './reducer.js';
import type {BuildController, BuildViewState, UiCommand, WorkbenchEvent} from './types.js';

export interface AppProps extends KeptVmProps {
  /** The picker's list (read again each time the picker shows, so last results are fresh). */
  loadProfiles: () => ProfileEntry[];
  /**
   * Starts a build of the profile in `profileDir` (or a template's file or folder; `only` picks
   * one of its builds). May throw (the picker shows why).
   */
  startBuild: (profileDir: string, opts: {debug: boolean; force?: boolean; only?: string}) => BuildController;
  /** The output directory a build of the profile would replace, if it exists (the picker asks first). */
  outputExists?: (profileDir: string, only?: string) => string | undefined;
  /** Asks a server a download's size in the background (the picker's ISO/IMAGE column). */
  probeSize?: (url: string) => Promise<number | undefined>;
  /**
   * `vmbench build <profile>` in a terminal: build this profile at once (no picker), and leave
   * the workbench after its result with the build's exit status.
   */
  autoBuild?: ProfileEntry;
  /** Debug mode preset (`--debug`); the picker's `d` toggles it. */
  debug?: boolean;
  /** Paints the live VM screen; without one the Console shows BuildScreen's placeholder. */
  consolePane?: ConsolePane;
  /** A first-run screen (setup); it calls `done` when finished or skipped. */
  setup?: (done: () => void) => React.ReactNode;
  /** Leave the workbench with this exit status. */
  onExit: (code: number) => void;
  /** Longest time an engine event waits before it is drawn (default 33 ms ≈ 30 fps). */
  flushMs?: number;
  /** Fixed size (tests); default the terminal's, following resizes. */
  size?: {columns: number; rows: number};
  /** Clock for elapsed times (tests). */
  clock?: () => number;
  /**
   * Keys within this long after the result appears are ignored (default 400 ms): a key meant
   * for the build view, pressed as the build ends, must not throw the result away unseen.
   */
  resultGraceMs?: number;
}

type Outcome = Awaited<BuildController['done']>;

interface BuildRun {
  entry: ProfileEntry;
  controller: BuildController;
  /** 'running' until done resolves; then 'result' (summary) or 'browse' (BuildScreen again). */
  phase: 'running' | 'result' | 'browse';
  outcome?: Outcome;
}

/** The terminal size, following resizes. */
function useTerminalSize(fixed?: {columns: number; rows: number}): {columns: number; rows: number} {
  const {stdout} = useStdout();
  const read = (): {columns: number; rows: number} => fixed ?? {columns: stdout.columns || 80, rows: stdout.rows || 24};
  const [size, setSize] = useState(read);
  useEffect(() => {
    if (fixed) return;
    const onResize = (): void => setSize(read());
    // Before ink's own listener: ink re-renders the tree it has at the new width, and a tree
    // laid out for the old (taller) size would overflow and scroll the screen for a frame.
    stdout.prependListener('resize', onResize);
    return () => void stdout.off('resize', onResize);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [stdout, fixed]);
  return fixed ?? size;
}

export function App(props: AppProps): React.ReactElement {
  const {columns, rows} = useTerminalSize(props.size);
  const [screen, setScreen] = useState<'setup' | 'picker' | 'build' | 'vm'>(props.setup && !props.autoBuild ? 'setup' : 'picker');
  const [profiles, setProfiles] = useState<ProfileEntry[]>(() => props.loadProfiles());
  const [debug, setDebug] = useState(!!props.debug);
  const [notice, setNotice] = useState<string | undefined>();
  const [run, setRun] = useState<BuildRun | undefined>();
  const [view, setView] = useState<BuildViewState>(() => initialState(''));
  const [captured, setCaptured] = useState(false);
  const [consoleStatus, setConsoleStatus] = useState<ScreenViewStatus | undefined>();
  const quitAfterBuild = useRef(false);
  const resultAt = useRef(0);
  /** The profile built last: the picker comes back with it selected. */
  const lastDir = useRef<string | undefined>(undefined);
  const pending = useRef<WorkbenchEvent[]>([]);
  const flushTimer = useRef<NodeJS.Timeout | undefined>(undefined);
  const propsRef = useRef(props);
  propsRef.current = props;
  const pane = props.consolePane;
  const {vms, reloadVms, vmRun, feedLook, openKeptVm, onVmAction} = useKeptVmScreen({screen, setScreen, pane, props: () => propsRef.current, setNotice, setCaptured, setConsoleStatus});

  const flush = useCallback((): void => {
    if (flushTimer.current) clearTimeout(flushTimer.current);
    flushTimer.current = undefined;
    if (!pending.current.length) return;
    const batch = pending.current;
    pending.current = [];
    setView((s) => reduceBatch(s, batch));
  }, []);

  /** A line of the workbench's own in the Log pane (e.g. why a key could not reach the VM). */
  const note = useCallback(
    (line: string, stream: 'info' | 'warn' = 'warn'): void => {
      pending.current.push({type: 'log', time: Date.now(), source: 'vmbench', stream, line});
      flushTimer.current ??= setTimeout(flush, propsRef.current.flushMs ?? 33);
    },
    [flush],
  );

  const backToPicker = useCallback((): void => {
    pane?.stop();
    setCaptured(false);
    setRun(undefined);
    setProfiles(propsRef.current.loadProfiles());
    reloadVms();
    setScreen('picker');
  }, [pane, reloadVms]);

  // Follow the build: events batched per frame; the end switches to the result.
  const controller = run?.controller;
  useEffect(() => {
    if (!controller) return;
    let live = true;
    const unsubscribe = controller.subscribe((e) => {
      pending.current.push(e);
      flushTimer.current ??= setTimeout(flush, propsRef.current.flushMs ?? 33);
    });
    pane?.setFrames(() => controller.frames());
    pane?.setTextSource(() => controller.readText());
    pane?.setStatusListener(setConsoleStatus);
    pane?.setNotice((m) => note(m));
    controller.done.then(
      (outcome) => {
        if (!live) return;
        flush();
        pane?.release();
        if (quitAfterBuild.current) {
          propsRef.current.onExit(outcome.status === 'done' ? 0 : outcome.status === 'cancelled' ? 130 : 1);
          return;
        }
        resultAt.current = Date.now();
        setRun((r) => (r && r.controller === controller ? {...r, phase: 'result', outcome} : r));
      },
      (err: unknown) => {
        if (!live) return;
        flush();
        note(`the build ended with an internal error: ${err instanceof Error ? err.message : String(err)}`, 'warn');
        resultAt.current = Date.now();
        setRun((r) => (r && r.controller === controller ? {...r, phase: 'result', outcome: {status: 'failed', kept: false}} : r));
      },
    );
    return () => {
      live = false;
      unsubscribe();
      pane?.setStatusListener(undefined);
      if (flushTimer.current) clearTimeout(flushTimer.current);
      flushTimer.current = undefined;
      pending.current = [];
    };
  }, [controller, flush, note, pane]);

  // Raw keys for the VM while the Console has the keyboard (ink's parsed keys lose F-keys etc.).
  const {stdin} = useStdin();
  useEffect(() => {
    if (!pane || (screen !== 'build' && screen !== 'vm')) return;
    const onData = (d: Buffer | string): void => void pane.input(d);
    stdin.on('data', onData);
    return () => void stdin.off('data', onData);
  }, [pane, stdin, screen]);

  const build = useCallback(
    (entry: ProfileEntry, opts: {debug: boolean; force?: boolean}): void => {
      let c: BuildController;
      try {
        c = propsRef.current.startBuild(entry.dir, entry.only !== undefined ? {...opts, only: entry.only} : opts);
      } catch (err) {
        setNotice(`${entry.name}: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
        setProfiles(propsRef.current.loadProfiles());
        return;
      }
      quitAfterBuild.current = false;
      lastDir.current = entryKey(entry);
      pending.current = [];
      setNotice(undefined);
      setView(initialState(entry.name, {debug: {pauseBefore: opts.debug}}));
      setConsoleStatus(undefined);
      setRun({entry, controller: c, phase: 'running'});
      setScreen('build');
    },
    [],
  );

  const onCommand = useCallback(
    (cmd: UiCommand): void => {
      const r = run;
      if (!r) return;
      switch (cmd.type) {
        case 'tab':
          // Give the box back before ink draws the other pane (BuildScreen's report comes after).
          if (cmd.pane !== 'console') pane?.setRect(undefined);
          return;
        case 'next-tab':
        case 'help':
          pane?.setRect(undefined);
          return;
        case 'console-mode':
        case 'console-zoom':
        case 'console-pan':
        case 'console-interactive':
          return consoleKey(cmd, {
            pane,
            notYet: () => (r.controller.frames() ? undefined : 'no VM screen yet: typing into the VM works once QEMU runs'),
            say: note,
            setCaptured,
          });
        case 'quit':
          if (r.phase === 'running') quitAfterBuild.current = true;
          else if (propsRef.current.autoBuild) propsRef.current.onExit(exitStatus(r.outcome));
          else backToPicker();
          return;
        case 'cleanup-quit':
          // From the quit question or a pause: stop, clean up, then leave (when done resolves).
          quitAfterBuild.current = true;
          r.controller.command(cmd);
          return;
        default:
          r.controller.command(cmd);
      }
    },
    [run, pane, note, backToPicker],
  );

  // `vmbench build` in a terminal: straight into the build view.
  useEffect(() => {
    if (props.autoBuild) build(props.autoBuild, {debug: !!props.debug});
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);
  const exitStatus = (o: Outcome | undefined): number => (o?.status === 'done' ? 0 : o?.status === 'cancelled' ? 130 : 1);

  // The App's own keys: the result screen, and keeping ink's raw mode on while BuildScreen
  // ignores the keyboard (a useInput must stay active or ink turns raw mode off).
  // Read through a ref: a key may arrive before ink re-subscribes this handler after a render.
  const live = useRef({captured, screen, run});
  live.current = {captured, screen, run};
  useInput((input, key) => {
    const {captured: cap, screen: scr, run: r} = live.current;
    if (cap || scr !== 'build' || !r || r.phase !== 'result') return;
    if (Date.now() - resultAt.current < (propsRef.current.resultGraceMs ?? 400)) return;
    if (input === 'v' && !key.ctrl) {
      live.current = {...live.current, run: {...r, phase: 'browse'}};
      return setRun((cur) => (cur === r ? {...r, phase: 'browse'} : cur));
    }
    if (propsRef.current.autoBuild) return propsRef.current.onExit(exitStatus(r.outcome));
    live.current = {...live.current, screen: 'picker', run: undefined};
    backToPicker();
  });

  if (screen === 'setup' && props.setup) {
    return <Box width={columns}>{props.setup(() => setScreen('picker'))}</Box>;
  }
  if (screen === 'vm' && vmRun) {
    return (
      <KeptVmScreen
        vm={vmRun.vm}
        width={columns}
        height={rows}
        now={props.clock?.() ?? Date.now()}
        feedState={vmRun.stopping ? 'closed' : feedLook.state}
        screenLive={feedLook.live}
        consoleStatus={consoleStatus}
        keyboardCaptured={captured}
        stopping={vmRun.stopping}
        message={vmRun.message}
        onAction={onVmAction}
        consoleSlot={pane ? (r) => pane.setRect(r ? {row: r.row + 1, col: r.col + 1, width: r.width, height: r.height} : undefined) : undefined}
      />
    );
  }
  if (screen === 'picker' || screen === 'vm' || !run) {
    return (
      <ProfilePicker
        profiles={profiles}
        width={columns}
        height={Math.max(3, rows - 1)}
        debug={debug}
        onToggleDebug={() => setDebug((d) => !d)}
        onBuild={build}
        outputExists={props.outputExists ? (e) => props.outputExists!(e.dir, e.only) : undefined}
        probeSize={props.probeSize}
        onQuit={() => props.onExit(0)}
        onReload={() => {
          setProfiles(propsRef.current.loadProfiles());
          reloadVms();
        }}
        notice={notice}
        initialSelectedDir={lastDir.current}
        vms={vms}
        onOpenVm={openKeptVm}
      />
    );
  }
  if (run.phase === 'result') {
    return <ResultView run={run} state={view} width={columns} height={Math.max(3, rows - 1)} now={props.clock?.() ?? Date.now()} leave={props.autoBuild ? 'leave' : 'back to the profiles'} />;
  }
  return (
    <BuildScreen
      state={view}
      width={columns}
      height={rows}
      onCommand={onCommand}
      consoleSlot={pane ? (r) => pane.setRect(r ? {row: r.row + 1, col: r.col + 1, width: r.width, height: r.height} : undefined) : undefined}
      consoleStatus={consoleStatus}
      keyboardCaptured={captured}
      clock={props.clock}
    />
  );
}

/** The end of a build: what happened, where things are, the last log lines. Any key: back to the profiles. */
function ResultView({run, state, width, height, now, leave}: {run: BuildRun; state: BuildViewState; width: number; height: number; now: number; leave: string}): React.ReactElement {
  const status = run.outcome?.status ?? state.status;
  const color = status === 'done' ? 'green' : status === 'cancelled' ? 'yellow' : 'red';
  const took = state.startedAt !== undefined ? formatClock((state.endedAt ?? now) - state.startedAt) : '';
  const failed = state.steps.find((s) => s.status === 'failed');
  const head: {text: string; color?: string; dim?: boolean; bold?: boolean}[] = [];
  head.push({text: ` ${BUILD_ICON[status === 'done' || status === 'failed' || status === 'cancelled' ? status : 'failed']} ${run.entry.name}: build ${status}${took ? ` after ${took}` : ''}`, color, bold: true});
  // With a diagnosis its cause (below) says it better than the step's own error.
  if (failed) head.push({text: `   failed at ${failed.id}${state.diagnosis ? '' : `: ${(failed.error ?? state.reason ?? '').split('\n')[0]}`}`, color: 'red'});
  else if (status !== 'done' && state.reason) head.push({text: `   ${state.reason.split('\n')[0]}`, color});
  // The named cause first, then its evidence, the hint and the screenshot.
  if (state.diagnosis && status !== 'done') for (const l of diagnosisLines(state.diagnosis, 6)) head.push({text: `   ${l.text}`, color: l.color, bold: l.bold});
  const stage = timelineRows(state.installer, state.status, now).findLast((r) => r.duration !== undefined);
  if (stage) head.push({text: `   installer: ${stage.icon} ${stage.text}${stage.duration !== undefined ? ` (${formatClock(stage.duration)})` : ''} — the last of ${state.installer.timeline.filter((e) => e.kind === 'stage').length} stages seen`, dim: true});
  const paste = pasteLines(state.installer.answers);
  if (paste.preseed.length || paste.boot.length) {
    head.push({text: `   your answers in the Console, ready to paste (v, then 5: the Preseed pane):`});
    for (const l of paste.preseed.slice(0, 5)) head.push({text: `     ${l}`, color: 'cyan'});
    if (paste.preseed.length > 5) head.push({text: `     … ${paste.preseed.length - 5} more in the Preseed pane`, dim: true});
    if (paste.boot.length) head.push({text: `     boot_command: ${paste.boot.join(' ')}`, color: 'yellow'});
  }
  if (run.outcome?.kept) {
    const facts = state.facts;
    head.push({text: `   kept: the VM and its files stay${facts['QEMU pid'] ? ` (QEMU pid ${facts['QEMU pid']})` : ''}${facts.ssh ? ` · ${facts.ssh}` : ''}`, color: 'yellow'});
  }
  for (const a of state.artifacts) head.push({text: `   artifact: ${a.path} (${a.format}, ${formatBytes(a.bytes)})`, color: 'green'});
  if (state.facts['log dir']) head.push({text: `   logs: ${state.facts['log dir']}`, dim: true});
  const tailRows = Math.max(0, height - head.length - 3);
  const logs = state.logs;
  const tail: string[] = [];
  for (let i = Math.max(0, logs.length - tailRows); i < logs.length; i++) {
    const l = logs.at(i);
    if (l) tail.push(`   ${l.source}: ${sanitizeLine(l.line)}`);
  }
  return (
    <Box flexDirection="column" width={width} height={height}>
      {head.map((l, i) => (
        <Text key={`h${i}`} color={l.color} dimColor={l.dim} bold={l.bold}>
          {fit(l.text, width)}
        </Text>
      ))}
      <Text dimColor>{fit(`── last ${tail.length} of ${state.logTotal} log lines `.padEnd(width, '─'), width)}</Text>
      {tail.map((l, i) => (
        <Text key={`t${i}`}>{fit(l, width)}</Text>
      ))}
      {Array.from({length: Math.max(0, tailRows - tail.length)}, (_, i) => (
        <Text key={`p${i}`}> </Text>
      ))}
      <Text inverse>{fit(` any key: ${leave} · v: browse this build (log, sections, info; q returns)`, width)}</Text>
    </Box>
  );
}
