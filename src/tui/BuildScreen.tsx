/**
 * The build view: step list on the left, tabbed panes on the right (Log, Console, Sections,
 * Info), a question box when one is pending, the status bar at the bottom.
 *
 * It owns only view state (pane, focus, scroll, search…): build state comes in as `state`
 * (from the reducer) and everything meant for the build goes out through `onCommand`, so the
 * screen runs against a fake controller in tests exactly as against a real build.
 *
 * Keys: one useInput, resolved through the keymap table (disabled while the App passes the
 * keyboard through to the VM). View commands (`tab`, `next-tab`, `help`) are applied here and
 * also passed on to `onCommand` for information; `quit` asks first while a build runs.
 *
 * The Console pane's pixels are drawn by the App's painter into a box this layout keeps empty;
 * `consoleSlot` reports that box (0-based terminal row/column, plus `origin`) whenever it
 * changes, and `undefined` while the Console is not visible.
 */
import {Box, Text, useInput, type Key} from 'ink';
import {useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState} from 'react';
import {describeView, type ScreenViewStatus} from '../render/screen-view.js';
import {ANSWER_PROMPT_HEIGHT, AnswerPrompt, APPEND_PROMPT_HEIGHT, AppendPrompt} from './AnswerPrompt.js';
import {errorPromptHeight, ErrorPrompt, QUIT_PROMPT_HEIGHT, QuitPrompt} from './ErrorPrompt.js';
import {fit} from './format.js';
import {helpGeometry, helpLines, HelpOverlay} from './HelpOverlay.js';
import {InfoPane} from './InfoPane.js';
import {InstallerTimeline} from './InstallerTimeline.js';
import {activeContexts, helpRows, hints, resolveKey, type KeyContext, type KeyState} from './keymap.js';
import {LogViews} from './log-ring.js';
import {LogPane} from './LogPane.js';
import {PreseedPane} from './PreseedPane.js';
import {SectionsPane} from './SectionsPane.js';
import {StatusBar} from './StatusBar.js';
import {StepList} from './StepList.js';
import {Tabs} from './Tabs.js';
import type {BuildViewState, UiCommand} from './types.js';
import {applyKeyAction, initialView, offeredAnswer, screenLayout, sectionRows, selectedStepIndex, typeIntoSearch, type Rect, type ViewContext, type ViewResult, type ViewState} from './view-state.js';

export interface BuildScreenProps {
  state: BuildViewState;
  /** Terminal columns. */
  width: number;
  /** Terminal rows: the screen draws `height − 1` of them (a full-height frame makes ink clear the screen every time). */
  height: number;
  onCommand(cmd: UiCommand): void;
  /** Where the Console's pixels go (absolute, 0-based), or undefined when the Console is hidden. */
  consoleSlot?: (rect: Rect | undefined) => void;
  /** The App passes keys to the VM: this screen ignores the keyboard meanwhile. */
  keyboardCaptured?: boolean;
  /** The VM has a screen to paint (default: a VNC address is known and the build runs). */
  consoleLive?: boolean;
  /** What the Console's painter shows (text or pixels, the window of a large text screen). */
  consoleStatus?: ScreenViewStatus;
  /** Terminal position of the screen's top-left corner (default 0,0). */
  origin?: {row: number; col: number};
  /** Time source for elapsed times (tests pass a fixed one). */
  clock?: () => number;
  /** Start with this view (tests; a remembered pane). */
  initialView?: Partial<ViewState>;
}

/** Re-renders once a second while `ticking`, for the elapsed-time displays. */
function useTick(ticking: boolean): void {
  const [, setTick] = useState(0);
  useEffect(() => {
    if (!ticking) return;
    const t = setInterval(() => setTick((n) => n + 1), 1000);
    return () => clearInterval(t);
  }, [ticking]);
}

function ConsolePlaceholder({live, width, height}: {live: boolean; width: number; height: number}) {
  if (live) return <Box width={width} height={height} />;
  const lines = ['Console', "The VM's screen appears here once QEMU runs.", 'i or Enter: type into the VM · S: screenshot'];
  const top = Math.max(0, Math.floor((height - lines.length) / 2));
  return (
    <Box flexDirection="column" width={width} height={height} paddingTop={top}>
      {lines.slice(0, Math.max(0, height - top)).map((l, i) => (
        <Text key={i} color={i === 0 ? 'white' : 'gray'} bold={i === 0}>
          {fit(' '.repeat(Math.max(0, Math.floor((width - l.length) / 2))) + l, width)}
        </Text>
      ))}
    </Box>
  );
}

export function BuildScreen(props: BuildScreenProps) {
  const {state, width, height, keyboardCaptured = false} = props;
  const [view, setView] = useState<ViewState>(() => initialView(props.initialView));
  const viewRef = useRef(view);
  viewRef.current = view;
  const views = useRef(new LogViews()).current;
  const clock = props.clock ?? Date.now;
  useTick(state.status === 'running');
  const now = clock();

  const answers = state.installer.answers;
  const confirming = view.appendConfirm !== undefined ? answers[view.appendConfirm] : undefined;
  // The offer is not shown over the Preseed pane, which lists every answer anyway, nor while a
  // question (the failed step's, quitting) takes the box: its keys work only while it shows.
  const offered = view.pane !== 'preseed' && !state.errorPrompt && !view.quitPrompt ? offeredAnswer(view, state) : undefined;
  const promptH = view.quitPrompt
    ? QUIT_PROMPT_HEIGHT
    : confirming
      ? APPEND_PROMPT_HEIGHT
      : state.errorPrompt
        ? errorPromptHeight(state.diagnosis, state.errorPrompt.hint)
        : offered !== undefined
          ? ANSWER_PROMPT_HEIGHT
          : 0;
  const L = screenLayout(width, height, promptH, {timeline: state.installer.timeline.length > 0, stepCount: state.steps.length});
  const ring = state.logs;
  const logRows = Math.max(1, L.pane.height - 1);
  const list = views.list(ring, view.log.source);
  const matches = view.log.query ? views.matches(ring, view.log.source, view.log.query) : undefined;

  const expanded = view.sections.expanded !== undefined ? state.sections[view.sections.expanded] : undefined;
  // Two sections with the same path (two scripts using the same name): tell them apart by seq range.
  const duplicate = expanded && state.sections.some((s) => s !== expanded && s.key === expanded.key);
  const sectionLines = expanded ? views.section(ring, expanded.path, duplicate ? {fromSeq: expanded.firstSeq, toSeq: expanded.lastSeq} : {}) : undefined;
  const droppedBefore = expanded?.firstSeq !== undefined && ring.dropped > 0 && expanded.firstSeq < ring.firstSeq ? 1 : 0;
  const rows = sectionRows(state.sections.length, view.sections.expanded, sectionLines, droppedBefore);

  const help = useMemo(() => helpLines(helpRows()), []);
  const helpInner = {width: Math.max(0, width - 2), height: Math.max(0, L.panel.height - 2)};
  const helpGeo = helpGeometry(help.length, helpInner.width, helpInner.height);

  const ctx: ViewContext = {
    state,
    logList: list,
    logRows,
    matchesFor: (source, query) => views.matches(ring, source, query),
    sectionRows: rows,
    sectionsHeight: Math.max(1, L.pane.height - 1),
    stepsHeight: Math.max(1, L.steps.height - 2),
    helpRows: help.length,
    helpHeight: helpGeo.visible,
  };
  const contexts = activeContexts({
    help: view.help,
    quitPrompt: view.quitPrompt,
    searchEditing: view.log.draft !== undefined,
    errorPrompt: !!state.errorPrompt,
    paused: !!state.pause,
    focus: view.focus,
    pane: view.pane,
    appendConfirm: !!confirming,
    answerOffer: offered !== undefined,
  });
  const keyState: KeyState = {searching: !!view.log.query, canKeep: !!(state.pause || state.errorPrompt), consolePannable: view.pane === 'console' && !!props.consoleStatus?.pannable};
  const live = useRef({ctx, contexts, keyState, onCommand: props.onCommand});
  live.current = {ctx, contexts, keyState, onCommand: props.onCommand};

  // Reads everything through refs, so one handler serves every render (no re-subscribing).
  const onKey = useCallback((input: string, key: Key) => {
    const {ctx: c, contexts: active, keyState: ks, onCommand} = live.current;
    const v = viewRef.current;
    // Ctrl-C works in every mode, overlays included.
    const b = resolveKey(input, key, active, ks) ?? resolveKey(input, key, ['global'] as KeyContext[], ks);
    let result: ViewResult;
    if (b && (active.includes(b.context) || b.id === 'global.interrupt')) result = applyKeyAction(v, b.action, c, b.context);
    else if (active[0] === 'search' && !key.ctrl && !key.meta) result = {view: typeIntoSearch(v, input), commands: []};
    else return;
    if (result.view !== v) {
      viewRef.current = result.view;
      setView(result.view);
    }
    for (const cmd of result.commands) onCommand(cmd);
  }, []);
  useInput(onKey, {isActive: !keyboardCaptured});

  // The Console's box, in terminal coordinates, whenever it changes.
  const origin = props.origin ?? {row: 0, col: 0};
  const slot = view.pane === 'console' && !view.help && L.pane.width > 0 && L.pane.height > 0 ? {...L.pane, row: L.pane.row + origin.row, col: L.pane.col + origin.col} : undefined;
  const slotKey = slot ? `${slot.row},${slot.col},${slot.width},${slot.height}` : '';
  const reportSlot = useRef(props.consoleSlot);
  reportSlot.current = props.consoleSlot;
  // A layout effect: reported in the same commit that moves the box, not some time after it.
  useLayoutEffect(() => {
    reportSlot.current?.(slot);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [slotKey]);
  useLayoutEffect(() => () => reportSlot.current?.(undefined), []);

  // The installer asks a question and the build paused for it: the answer goes in the Console.
  const questionPause = state.pause?.kind === 'installer-question' ? state.pause : undefined;
  useEffect(() => {
    if (!questionPause) return;
    const v = viewRef.current;
    if (v.pane === 'console' && v.focus === 'pane') return;
    const next = {...v, pane: 'console' as const, focus: 'pane' as const};
    viewRef.current = next;
    setView(next);
    live.current.onCommand({type: 'tab', pane: 'console'});
  }, [questionPause]);

  const selectedStep = selectedStepIndex(view, state);
  const cursor = Math.min(view.sections.cursor, Math.max(0, rows.length - 1));
  const paneFocused = view.focus === 'pane';
  const consoleLive = props.consoleLive ?? (state.status === 'running' && Object.keys(state.facts).some((k) => k.toLowerCase() === 'vnc'));

  let pane;
  switch (view.pane) {
    case 'log':
      pane = <LogPane ring={ring} version={state.logTotal} list={list} view={view.log} matches={matches} width={L.pane.width} height={L.pane.height} />;
      break;
    case 'console':
      pane = <ConsolePlaceholder live={consoleLive} width={L.pane.width} height={L.pane.height} />;
      break;
    case 'sections':
      pane = (
        <SectionsPane
          sections={state.sections}
          rows={rows}
          ring={ring}
          version={state.logTotal}
          cursor={cursor}
          expanded={view.sections.expanded}
          focused={paneFocused}
          width={L.pane.width}
          height={L.pane.height}
        />
      );
      break;
    case 'info':
      pane = <InfoPane facts={state.facts} artifacts={state.artifacts} profile={state.profile} width={L.pane.width} height={L.pane.height} />;
      break;
    case 'preseed':
      pane = <PreseedPane installer={state.installer} cursor={view.preseed.cursor} focused={paneFocused} width={L.pane.width} height={L.pane.height} />;
      break;
  }
  const consoleNote = view.pane === 'console' && props.consoleStatus ? describeView(props.consoleStatus) : undefined;

  return (
    <Box flexDirection="column" width={width} height={L.rows}>
      {view.help ? (
        <HelpOverlay lines={help} scroll={view.helpScroll} width={width} height={L.panel.height} />
      ) : (
        <Box flexDirection="row" width={width} height={L.panel.height}>
          <Box flexDirection="column" width={L.steps.width} height={L.panel.height}>
            <StepList steps={state.steps} selected={selectedStep} focused={!paneFocused} pause={state.pause} width={L.steps.width} height={L.steps.height} now={now} />
            {L.timeline ? <InstallerTimeline installer={state.installer} build={state.status} width={L.timeline.width} height={L.timeline.height} now={now} /> : null}
          </Box>
          <Box flexDirection="column" width={L.panel.width} height={L.panel.height}>
            <Tabs active={view.pane} width={L.panel.width} focused={paneFocused} extra={consoleNote} />
            <Box borderStyle="round" borderTop={false} borderColor={paneFocused ? 'green' : 'gray'} width={L.panel.width} height={Math.max(0, L.panel.height - 1)}>
              {pane}
            </Box>
          </Box>
        </Box>
      )}
      {!L.prompt ? null : view.quitPrompt ? (
        <QuitPrompt canKeep={keyState.canKeep} width={width} />
      ) : confirming ? (
        <AppendPrompt answer={confirming} width={width} />
      ) : state.errorPrompt ? (
        <ErrorPrompt prompt={state.errorPrompt} diagnosis={state.diagnosis} width={width} />
      ) : offered !== undefined && answers[offered] ? (
        <AnswerPrompt answer={answers[offered]!} width={width} />
      ) : null}
      <StatusBar state={state} hints={hints(contexts, keyState)} width={width} now={now} keyboardCaptured={keyboardCaptured} />
    </Box>
  );
}
