/**
 * Engine and control events → the build's view state (DESIGN.md principle 6). Pure apart from
 * one deliberate exception: log lines go into the state's ring in place (see LogBuffer in
 * types.ts), because copying 10,000 lines for each of 10,000 lines a second cannot keep up.
 * Every other field is replaced, never mutated, so `===` tells a pane whether its slice changed;
 * `logTotal` is the ring's version.
 */
import {answerSaved, emptyInstaller, endInstaller, reduceInstaller} from './installer-view.js';
import {DEFAULT_LOG_CAPACITY, LogRing} from './log-ring.js';
import type {BuildViewState, SectionView, StepView, WorkbenchEvent} from './types.js';

export interface InitialStateOptions {
  /** Lines the Log pane keeps in memory (default 10,000). */
  logCapacity?: number;
  /** Debug mode already chosen (e.g. `--debug`); a later 'debug-mode' event overrides it. */
  debug?: {pauseBefore?: boolean; pauseAfter?: boolean; breakpoints?: string[]; pauseQuestions?: boolean};
}

/** The state before any event: no steps, an empty ring. */
export function initialState(profile: string, opts: InitialStateOptions = {}): BuildViewState {
  const logs = new LogRing(opts.logCapacity ?? DEFAULT_LOG_CAPACITY);
  return {
    profile,
    status: 'idle',
    steps: [],
    logs,
    logCapacity: logs.capacity,
    logTotal: 0,
    sections: [],
    facts: {},
    artifacts: [],
    debug: {
      pauseBefore: opts.debug?.pauseBefore ?? false,
      pauseAfter: opts.debug?.pauseAfter ?? false,
      breakpoints: [...(opts.debug?.breakpoints ?? [])],
      // Debug mode pauses on the installer's questions unless told otherwise.
      pauseQuestions: opts.debug?.pauseQuestions ?? !!opts.debug?.pauseBefore,
    },
    installer: emptyInstaller(),
  };
}

/** The ring is a LogRing when the state came from {@link initialState}; guard anyway. */
function ring(state: BuildViewState): LogRing {
  if (!(state.logs instanceof LogRing)) throw new TypeError('BuildViewState.logs must be the LogRing made by initialState()');
  return state.logs;
}

function pushLog(state: BuildViewState, e: Extract<WorkbenchEvent, {type: 'log'}>): void {
  ring(state).push(e);
}

/** The installer's own log (its console 4, read at a stop): one Log pane line each, source 'installer'. */
function pushInstallerLog(state: BuildViewState, e: {time: number; lines: string[]}): void {
  for (const line of e.lines) ring(state).push({time: e.time, source: 'installer', stream: 'stdout', line});
}

function updateStep(steps: StepView[], id: string, patch: (s: StepView) => StepView, title = id): StepView[] {
  const i = steps.findIndex((s) => s.id === id);
  if (i === -1) return [...steps, patch({id, title, status: 'pending', breakpoint: false})];
  const next = steps.slice();
  next[i] = patch(steps[i]!);
  return next;
}

function sectionEvent(state: BuildViewState, e: Extract<WorkbenchEvent, {type: 'section'}>): SectionView[] {
  const key = e.path.join('/');
  const total = state.logs.total;
  if (e.event === 'begin') {
    // The engine feeds a line to the section parser before logging it, so the BEGIN line
    // itself is the next one pushed.
    const s: SectionView = {key, name: e.name, path: [...e.path], depth: Math.max(0, e.path.length - 1), status: 'open', startedAt: e.time, lines: {...e.lines}, firstSeq: total + 1};
    return [...state.sections, s];
  }
  // The innermost (newest) open section with this path is the one that ends.
  let i = state.sections.length - 1;
  while (i >= 0 && !(state.sections[i]!.key === key && state.sections[i]!.status === 'open')) i--;
  const ended = (prev?: SectionView): SectionView => ({
    key,
    name: e.name,
    path: [...e.path],
    depth: Math.max(0, e.path.length - 1),
    status: e.status,
    startedAt: prev?.startedAt ?? e.time - (e.durationMs ?? 0),
    durationMs: e.durationMs,
    lines: {...e.lines},
    firstSeq: prev?.firstSeq,
    lastSeq: total,
  });
  if (i === -1) return [...state.sections, ended()];
  const next = state.sections.slice();
  next[i] = ended(state.sections[i]);
  return next;
}

function withBreakpoints(steps: StepView[], breakpoints: readonly string[]): StepView[] {
  const set = new Set(breakpoints);
  return steps.map((s) => (s.breakpoint === set.has(s.id) ? s : {...s, breakpoint: set.has(s.id)}));
}

/** One event → the next state. Unknown events leave the state as it is (same object). */
export function reduce(state: BuildViewState, event: WorkbenchEvent): BuildViewState {
  switch (event.type) {
    case 'log':
      pushLog(state, event);
      return {...state, logTotal: state.logs.total};
    case 'build':
      if (event.status === 'started') {
        const bps = new Set(state.debug.breakpoints ?? []);
        return {
          ...state,
          profile: event.profile,
          status: 'running',
          startedAt: event.time,
          endedAt: undefined,
          reason: undefined,
          steps: event.steps.map((s) => ({id: s.id, title: s.title, status: 'pending', breakpoint: bps.has(s.id)})),
          currentStep: undefined,
          sections: [],
          artifacts: [],
          pause: undefined,
          errorPrompt: undefined,
          progress: undefined,
          installer: emptyInstaller(),
          diagnosis: undefined,
        };
      }
      return {...state, status: event.status, endedAt: event.time, reason: event.reason, pause: undefined, errorPrompt: undefined, progress: undefined, installer: endInstaller(state.installer, event.time)};
    case 'step': {
      const e = event;
      const steps = updateStep(
        state.steps,
        e.id,
        (s) => {
          // The runner's pause *after* a step reports the finished step as 'paused' and never
          // reports 'done' again: keep it done (the pause marker comes from `state.pause`).
          if (e.status === 'paused' && s.status === 'done') return s;
          const next: StepView = {...s, title: e.title || s.title, status: e.status};
          if (e.status === 'running') {
            // A retry starts the clock again and forgets the failed attempt.
            if (s.status !== 'paused' || s.startedAt === undefined) next.startedAt = e.time;
            next.durationMs = undefined;
            next.error = undefined;
          }
          if (e.durationMs !== undefined) next.durationMs = e.durationMs;
          if (e.error !== undefined) next.error = e.error;
          return next;
        },
        e.title,
      );
      const current = e.status === 'running' || e.status === 'paused' || e.status === 'failed' ? e.id : state.currentStep;
      const progress = state.progress?.step === e.id && e.status !== 'running' && e.status !== 'paused' ? undefined : state.progress;
      // A step running again (a retry, the next step) makes an earlier diagnosis history.
      const diagnosis = e.status === 'running' && state.steps.find((s) => s.id === e.id)?.status !== 'paused' ? undefined : state.diagnosis;
      return {...state, steps, currentStep: current, progress, diagnosis};
    }
    case 'section':
      return {...state, sections: sectionEvent(state, event)};
    case 'progress':
      return {...state, progress: {step: event.step, label: event.label, current: event.current, total: event.total}};
    case 'artifact':
      return {...state, artifacts: [...state.artifacts, {path: event.path, format: event.format, bytes: event.bytes}]};
    case 'info':
      return {...state, facts: {...state.facts, [event.key]: event.value}};
    case 'facts':
      return {...state, facts: {...state.facts, ...event.facts}};
    case 'pause': {
      const pause: NonNullable<BuildViewState['pause']> = {phase: event.phase, stepId: event.stepId, title: event.title};
      if (event.label !== undefined) pause.label = event.label;
      if (event.kind !== undefined) pause.kind = event.kind;
      return {...state, pause, currentStep: event.stepId};
    }
    case 'resumed':
      return state.pause ? {...state, pause: undefined} : state;
    case 'ask-error': {
      const errorPrompt: NonNullable<BuildViewState['errorPrompt']> = {stepId: event.stepId, title: event.title, message: event.message};
      if (event.hint !== undefined) errorPrompt.hint = event.hint;
      return {...state, errorPrompt, currentStep: event.stepId};
    }
    case 'answered':
      return state.errorPrompt ? {...state, errorPrompt: undefined} : state;
    case 'debug-mode':
      return {
        ...state,
        debug: {pauseBefore: event.pauseBefore, pauseAfter: event.pauseAfter, breakpoints: [...event.breakpoints], pauseQuestions: event.pauseQuestions ?? state.debug.pauseQuestions},
        steps: withBreakpoints(state.steps, event.breakpoints),
      };
    case 'installer':
      if (event.kind === 'log') {
        pushInstallerLog(state, event);
        return {...state, logTotal: state.logs.total};
      }
      return {...state, installer: reduceInstaller(state.installer, event)};
    case 'diagnosis': {
      const diagnosis: NonNullable<BuildViewState['diagnosis']> = {time: event.time, cause: event.cause, evidence: [...event.evidence]};
      if (event.hint !== undefined) diagnosis.hint = event.hint;
      if (event.screenshot !== undefined) diagnosis.screenshot = event.screenshot;
      return {...state, diagnosis};
    }
    case 'answer-saved':
      return {...state, installer: answerSaved(state.installer, event.index, {ok: event.ok, file: event.file, message: event.message})};
    default:
      return state;
  }
}

/**
 * A batch of events (e.g. everything that arrived during one frame) → the next state. Log
 * lines cost one ring push each and no copy of the state; other events go through
 * {@link reduce}. Returns the same object when the batch is empty.
 */
export function reduceBatch(state: BuildViewState, events: readonly WorkbenchEvent[]): BuildViewState {
  let s = state;
  let pushed = false;
  for (const e of events) {
    if (e.type === 'log') {
      pushLog(s, e);
      pushed = true;
    } else if (e.type === 'installer' && e.kind === 'log') {
      pushInstallerLog(s, e);
      pushed = true;
    } else {
      s = reduce(s, e);
    }
  }
  if (pushed || s.logTotal !== s.logs.total) s = {...s, logTotal: s.logs.total};
  return s;
}
