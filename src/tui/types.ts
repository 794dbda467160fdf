/**
 * Contracts of the workbench (issue 5), shared by the pure core (reducer, keymap, formatters),
 * the presentational panes, and the controller that drives a real build. No react/ink here.
 *
 * Data flow: engine BuildEvents + ControlEvents → reducer → BuildViewState → panes.
 * Keys → keymap → UiCommand → controller (engine commands) or reducer (view-only commands).
 */
import type {BuildEvent, LogSource, LogStream, StepRecord} from '../engine/events.js';
import type {ErrorDecision, GatePhase} from '../engine/runner.js';
import type {CheckpointKind} from '../engine/step.js';
import type {ScreenTextRead} from '../render/screen-view.js';
import type {FrameSource} from '../vnc/frame-source.js';

/** Events the controller adds to the engine's own: pauses and questions the UI must answer. */
export type ControlEvent =
  /** `kind` 'installer-question': the installer asks something (answer it in the Console). */
  | {type: 'pause'; time: number; phase: GatePhase; stepId: string; title: string; label?: string; kind?: CheckpointKind}
  | {type: 'resumed'; time: number}
  | {type: 'ask-error'; time: number; stepId: string; title: string; message: string; hint?: string}
  | {type: 'answered'; time: number}
  /** `pauseQuestions`: pause when the installer asks a question (on by default in debug mode). */
  | {type: 'debug-mode'; time: number; pauseBefore: boolean; pauseAfter: boolean; breakpoints: string[]; pauseQuestions?: boolean}
  /** What became of `append-answer` for answer `index` (the installer's answers in order, from 0). */
  | {type: 'answer-saved'; time: number; index: number; file: string; line: string; ok: boolean; message: string}
  /** Facts for the Info pane (ports, VNC address, ssh command line, output and log paths). */
  | {type: 'facts'; time: number; facts: Record<string, string>};

export type WorkbenchEvent = BuildEvent | ControlEvent;

/** Where a Log pane line came from: the engine's sources, and the installer's own log (its console 4). */
export type LineSource = LogSource | 'installer';

/** One line in the Log pane. `seq` counts from 1 over the whole build (also lines dropped from the ring). */
export interface LogLine {
  seq: number;
  time: number;
  source: LineSource;
  stream: LogStream;
  line: string;
  step?: string;
  section?: string[];
}

export interface StepView extends StepRecord {
  breakpoint: boolean;
}

/**
 * Read-only view of the log ring (see log-ring.ts): the newest `length` ≤ `capacity` lines,
 * addressed by `seq`. It is one mutable object shared by successive view states (copying
 * 10,000 lines per event would not keep up with 10,000 lines per second): `total` changes
 * exactly when lines are pushed, so it doubles as the ring's version for memoisation.
 */
export interface LogBuffer {
  readonly capacity: number;
  /** Lines held now (≤ capacity). */
  readonly length: number;
  /** Lines ever pushed; also the seq of the newest line. */
  readonly total: number;
  /** Lines pushed out of the ring (they are only in build.log): total − length. */
  readonly dropped: number;
  /** Seq of the oldest line held (total + 1 when empty). */
  readonly firstSeq: number;
  /** The line with this seq, or undefined when it was dropped or never pushed. */
  bySeq(seq: number): LogLine | undefined;
  /** The i-th line held, 0 = oldest. */
  at(i: number): LogLine | undefined;
}

export interface SectionView {
  /** Key: path joined with '/'. */
  key: string;
  name: string;
  path: string[];
  depth: number;
  status: 'ok' | 'failed' | 'incomplete' | 'open';
  startedAt: number;
  durationMs?: number;
  lines: {stdout: number; stderr: number};
  /** Log seq range of the section (first line after its begin, last line before its end; open: no end). */
  firstSeq?: number;
  lastSeq?: number;
}

export type PaneId = 'log' | 'console' | 'sections' | 'info' | 'preseed';

/** One row of the installer timeline: a stage seen on screen, or a question it asked. */
export type TimelineEntry =
  /** `endedAt` is unset while the stage is the current one. */
  | {kind: 'stage'; name: string; startedAt: number; endedAt?: number}
  /** `answer`: the value the user answered with, once given (its preseed line is in `answers`). */
  | {kind: 'question'; time: number; title: string; prompt: string; template?: string; preseedLine?: string; bootParameter?: string; answer?: string};

/** An answer the user gave the installer in the Console, with the preseed line for it. */
export interface AnswerView {
  time: number;
  template: string;
  value: string;
  preseedLine: string;
  /** Set when the question came before the answer file: only boot_command can answer it. */
  bootParameter?: string;
  /** The answer file the guest fetched (absolute path), where the line could be appended. */
  preseedFile?: string;
  /** After `append-answer`: where it went, or why not. */
  saved?: {ok: boolean; file: string; message: string};
}

/** What the installer on the VM's screen did (installer events), for the timeline and the Preseed pane. */
export interface InstallerView {
  timeline: TimelineEntry[];
  answers: AnswerView[];
}

/** The named cause of a stop (the engine's diagnosis event). */
export interface DiagnosisView {
  time: number;
  cause: string;
  evidence: string[];
  hint?: string;
  screenshot?: string;
}

export interface BuildViewState {
  profile: string;
  status: 'idle' | 'running' | 'done' | 'failed' | 'cancelled';
  startedAt?: number;
  endedAt?: number;
  reason?: string;
  steps: StepView[];
  currentStep?: string;
  /**
   * Newest lines, at most `logCapacity`; older ones are in build.log on disk. A ring shared
   * (not copied) from state to state; `logTotal` is its version (see LogBuffer).
   */
  logs: LogBuffer;
  logCapacity: number;
  /** Total lines received (logs.length ≤ logTotal); changes exactly when `logs` does. */
  logTotal: number;
  /** Sections in begin order (a flattened tree: depth gives the nesting). */
  sections: SectionView[];
  facts: Record<string, string>;
  artifacts: {path: string; format: string; bytes: number}[];
  pause?: {phase: GatePhase; stepId: string; title: string; label?: string; kind?: CheckpointKind};
  errorPrompt?: {stepId: string; title: string; message: string; hint?: string};
  /** `breakpoints`: step ids, also those announced before the build listed its steps. */
  debug: {pauseBefore: boolean; pauseAfter: boolean; breakpoints?: string[]; pauseQuestions?: boolean};
  installer: InstallerView;
  /** The latest diagnosis of a stop (cleared when a step starts running again). */
  diagnosis?: DiagnosisView;
  /** The latest progress report of the running step (cleared when that step ends). */
  progress?: {step: string; label: string; current: number; total?: number};
}

/** What a key (or a click on a prompt) asks for. */
export type UiCommand =
  // Engine commands (handled by the controller)
  | {type: 'continue'}
  | {type: 'step'}
  | {type: 'skip'}
  | {type: 'abort-keep'}
  | {type: 'cleanup-quit'}
  | {type: 'answer-error'; decision: ErrorDecision}
  | {type: 'toggle-breakpoint'; stepId: string}
  | {type: 'toggle-pause-before'}
  | {type: 'toggle-pause-after'}
  /** Pause when the installer asks a question, on / off. */
  | {type: 'toggle-pause-questions'}
  /** Append answer `index`'s preseed line to the answer file the guest fetched (asked first by the UI). */
  | {type: 'append-answer'; index: number}
  /** Put answer `index`'s line in the log (build.log too): no clipboard needed to copy it from there. */
  | {type: 'copy-answer'; index: number}
  | {type: 'screenshot'}
  | {type: 'interrupt'}
  // View commands (handled in the UI)
  | {type: 'tab'; pane: PaneId}
  | {type: 'next-tab'}
  | {type: 'help'}
  | {type: 'quit'}
  /** Type into the VM: the App shell captures the keyboard for the Console (Ctrl-] leaves). */
  | {type: 'console-interactive'}
  /** The Console: text / pixels / automatic in turn; zoom; one pan step (−1, 0, 1 each way). */
  | {type: 'console-mode'}
  | {type: 'console-zoom'}
  | {type: 'console-pan'; dx: number; dy: number};

/** The running build as the UI sees it. Implemented over runBuild by the controller. */
export interface BuildController {
  /** Every event so far is replayed to a new subscriber, then new ones as they come. */
  subscribe(listener: (e: WorkbenchEvent) => void): () => void;
  command(cmd: UiCommand): void;
  /** The live VM screen and its keyboard for the Console pane, once the VM runs. */
  frames(): FrameSource | undefined;
  /** The screen as text when it can be read (see engine/screen.ts readScreen), with its cell colours. */
  readText(): Promise<ScreenTextRead | undefined>;
  /** Resolves when the build has ended and everything is cleaned up (or kept on purpose). */
  readonly done: Promise<{status: 'done' | 'failed' | 'cancelled'; kept: boolean}>;
}
