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
 * - Kept VMs (`loadVms`, polled every `vmPollMs` while the picker or a VM's screen shows): the
 *   picker lists them; opening one connects to its screen (`openVm`, a VNC feed) and gives the
 *   same ConsolePane that feed; stopping it is `stopVm` (vmbench stop's own function). A VM that
 *   goes away meanwhile (stopped elsewhere) takes the screen back to the picker, saying so.
 */
import React, {useCallback, useEffect, useRef, useState} from 'react';
import {Box, Text, useInput, useStdin, useStdout} from 'ink';
import {BuildScreen} from './BuildScreen.js';
import {KeptVmScreen} from './KeptVmScreen.js';
import {sameVms, type KeptVm} from './kept-vms.js';
import type {PickerAction} from './picker-keymap.js';
import type {VmFeed} from './vm-feed.js';
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

export interface AppProps {
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
  /** VMs kept on purpose and orphaned QEMUs (`vmbench ps`'s entries that are not running builds). */
  loadVms?: () => KeptVm[];
  /** Connects to a kept VM's screen (throws or rejects when it cannot). */
  openVm?: (vm: KeptVm) => VmFeed | Promise<VmFeed>;
  /** Stops a kept VM the way `vmbench stop` does; resolves with the line to show, rejects with why not. */
  stopVm?: (vm: KeptVm) => Promise<string>;
  /** How often the kept VMs are read again while the picker or a VM's screen shows (default 2 s). */
  vmPollMs?: number;
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

/** A kept VM's screen: the VM, its feed once connected, a stop under way. */
interface VmRun {
  vm: KeptVm;
  feed?: VmFeed;
  stopping?: boolean;
  message?: string;
}

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
  const [vms, setVms] = useState<KeptVm[]>(() => props.loadVms?.() ?? []);
  const [vmRun, setVmRun] = useState<VmRun | undefined>();
  const [feedLook, setFeedLook] = useState<{state: string; live: boolean}>({state: 'connecting', live: false});
  /** The feed of the VM screen showing now (closed when it is left or the App unmounts). */
  const vmFeed = useRef<VmFeed | undefined>(undefined);
  /** Which opening of a VM screen is current: a feed arriving for an older one is closed. */
  const vmToken = useRef<object | undefined>(undefined);
  /** The VM of the screen is being stopped (at once, not at the next render: the poll must not call it gone). */
  const vmStopping = useRef(false);
  const quitAfterBuild = useRef(false);
  const resultAt = useRef(0);
  /** The profile built last: the picker comes back with it selected. */
  const lastDir = useRef<string | undefined>(undefined);
  const pending = useRef<WorkbenchEvent[]>([]);
  const flushTimer = useRef<NodeJS.Timeout | undefined>(undefined);
  const propsRef = useRef(props);
  propsRef.current = props;
  const pane = props.consolePane;

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
    setVms(propsRef.current.loadVms?.() ?? []);
    setScreen('picker');
  }, [pane]);

  // ---- kept VMs -------------------------------------------------------------------------------

  /** Leave a kept VM's screen (the VM runs on unless it was stopped); `line` goes to the picker's status row. */
  const leaveVm = useCallback(
    (line?: string): void => {
      vmToken.current = undefined;
      vmStopping.current = false;
      pane?.stop();
      pane?.setFrames(() => undefined);
      pane?.setTextSource(undefined);
      pane?.setStatusListener(undefined);
      const feed = vmFeed.current;
      vmFeed.current = undefined;
      void feed?.close().catch(() => undefined);
      setCaptured(false);
      setVmRun(undefined);
      setNotice(line);
      setVms(propsRef.current.loadVms?.() ?? []);
      setScreen('picker');
    },
    [pane],
  );

  const openKeptVm = useCallback(
    (vm: KeptVm): void => {
      const open = propsRef.current.openVm;
      if (!open) return setNotice(`${vm.id}: this workbench cannot show a VM's screen`);
      const token = {};
      vmToken.current = token;
      setNotice(undefined);
      setConsoleStatus(undefined);
      setCaptured(false);
      setFeedLook({state: 'connecting', live: false});
      setVmRun({vm});
      setScreen('vm');
      Promise.resolve()
        .then(() => open(vm))
        .then(
          (feed) => {
            if (vmToken.current !== token) return void feed.close().catch(() => undefined);
            vmFeed.current = feed;
            pane?.setFrames(() => feed.frames());
            pane?.setTextSource(() => feed.readText());
            pane?.setStatusListener(setConsoleStatus);
            pane?.setNotice((m) => setVmRun((r) => (r ? {...r, message: m} : r)));
            setVmRun((r) => (r && r.vm === vm ? {...r, feed} : r));
          },
          (err: unknown) => {
            if (vmToken.current === token) leaveVm(`${vm.id}: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
          },
        );
    },
    [pane, leaveVm],
  );

  const onVmAction = useCallback(
    (a: PickerAction): void => {
      const r = vmRun;
      if (!r) return;
      switch (a.type) {
        case 'vm-back':
          return leaveVm();
        case 'vm-mode':
        case 'vm-zoom':
        case 'vm-pan':
        case 'vm-type':
          return consoleKey(a, {
            pane,
            notYet: () => (r.feed?.frames() ? undefined : "not connected to the VM's screen yet: typing works once it shows"),
            say: (m) => setVmRun((cur) => (cur ? {...cur, message: m} : cur)),
            setCaptured: (on) => {
              if (on) setVmRun((cur) => (cur ? {...cur, message: undefined} : cur));
              setCaptured(on);
            },
          });
        case 'vm-stop': {
          if (!a.yes) return;
          const stop = propsRef.current.stopVm;
          if (!stop) return setVmRun((cur) => (cur ? {...cur, message: 'this workbench cannot stop VMs: use vmbench stop'} : cur));
          const token = vmToken.current;
          vmStopping.current = true;
          pane?.release();
          setVmRun((cur) => (cur ? {...cur, stopping: true, message: undefined} : cur));
          // Our own VNC connection goes first: it would only try again and again once QEMU is gone.
          const feed = vmFeed.current;
          vmFeed.current = undefined;
          void (feed?.close() ?? Promise.resolve())
            .catch(() => undefined)
            .then(() => stop(r.vm))
            .then(
              (line) => vmToken.current === token && leaveVm(line),
              (err: unknown) => vmToken.current === token && leaveVm(`could not stop ${r.vm.id}: ${err instanceof Error ? err.message : String(err)}`),
            );
          return;
        }
      }
    },
    [vmRun, pane, leaveVm],
  );

  // The kept VMs, read again now and then: one kept meanwhile shows up, one stopped elsewhere goes
  // (and takes its screen back to the picker). The state changes only when the list does.
  const onVmScreen = screen === 'vm' ? vmRun?.vm : undefined;
  useEffect(() => {
    const load = propsRef.current.loadVms;
    if (!load || (screen !== 'picker' && screen !== 'vm')) return;
    const every = propsRef.current.vmPollMs ?? 2000;
    const timer = setInterval(() => {
      let list: KeptVm[];
      try {
        list = load();
      } catch {
        return;
      }
      setVms((prev) => (sameVms(prev, list) ? prev : list));
      if (onVmScreen && !vmStopping.current && !list.some((v) => v.pid === onVmScreen.pid)) leaveVm(`${onVmScreen.id} (${onVmScreen.profile}) is not running any more`);
    }, every);
    return () => clearInterval(timer);
  }, [screen, onVmScreen, leaveVm]);

  // How the VM's screen connection is doing, for the title and the box's note.
  useEffect(() => {
    if (screen !== 'vm') return;
    const look = (): void => {
      const feed = vmFeed.current;
      const state = feed?.state ?? 'connecting';
      const fb = feed?.frames()?.framebuffer;
      const live = !!fb && fb.width > 0 && fb.height > 0;
      setFeedLook((prev) => (prev.state === state && prev.live === live ? prev : {state, live}));
    };
    look();
    const timer = setInterval(look, 200);
    return () => clearInterval(timer);
  }, [screen]);

  // The workbench leaves with a VM's screen open: its connection goes too.
  useEffect(
    () => () => {
      vmToken.current = undefined;
      void vmFeed.current?.close().catch(() => undefined);
      vmFeed.current = undefined;
    },
    [],
  );

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
          setVms(propsRef.current.loadVms?.() ?? []);
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
