/**
 * Typed events the engine emits. Reporters (plain, JSON, TUI) only ever see these.
 * Nothing in here may import react/ink: the engine knows nothing of the UI.
 */

/** Lifecycle of one step, as shown in step lists and plain output. */
export type StepStatus = 'pending' | 'running' | 'paused' | 'done' | 'failed' | 'skipped' | 'cancelled';

/** Where a log line came from. */
export type LogSource = 'vmbench' | 'qemu' | 'serial' | 'http' | 'ssh' | 'provisioner' | 'vnc';

/** stdout/stderr for process output; a level for vmbench's own messages. */
export type LogStream = 'stdout' | 'stderr' | 'debug' | 'info' | 'warn' | 'error';

export type BuildEvent =
  | {type: 'build'; status: 'started'; time: number; profile: string; steps: {id: string; title: string}[]}
  | {type: 'build'; status: 'done' | 'failed' | 'cancelled'; time: number; durationMs: number; reason?: string}
  | {type: 'step'; time: number; id: string; title: string; status: StepStatus; durationMs?: number; error?: string}
  | {type: 'log'; time: number; source: LogSource; stream: LogStream; line: string; step?: string; section?: string[]}
  /** A provisioning section opened or closed (see engine/sections.ts). */
  | {type: 'section'; time: number; event: 'begin' | 'end'; name: string; path: string[]; status: 'ok' | 'failed' | 'incomplete' | 'open'; durationMs?: number; lines: {stdout: number; stderr: number}}
  | {type: 'progress'; time: number; step: string; label: string; current: number; total?: number}
  | {type: 'artifact'; time: number; path: string; format: string; bytes: number}
  | {type: 'info'; time: number; key: string; value: string}
  /** What the OS installer on the VM's screen is doing, read off the screen (engine/installer-watch.ts). */
  | InstallerEvent
  /**
   * The named cause of a stop (engine/diagnosis.ts): the most likely cause first, then the
   * evidence for it (screen text, HTTP requests, QEMU and serial output, SSH attempts, typing).
   */
  | {type: 'diagnosis'; time: number; cause: string; evidence: string[]; hint?: string; screenshot?: string};

/** The installer's progress and questions, as seen on screen. */
export type InstallerEvent =
  /** A new stage of the installer's work: a progress title or a dialog's window title ("Configure the network"). */
  | {type: 'installer'; time: number; kind: 'stage'; stage: string}
  /**
   * The installer waits for an answer: the question as shown, and — when its debconf template
   * was found — the template, and the preseed line that would answer it (`value` a placeholder
   * until the user answers). `bootParameter` is set when the question came before the answer
   * file was loaded, so only the kernel command line can answer it.
   */
  | {type: 'installer'; time: number; kind: 'question'; title: string; prompt: string; template?: string; preseedLine?: string; bootParameter?: string}
  /** The user answered a question in the console: the preseed line for that answer. */
  | {type: 'installer'; time: number; kind: 'answer'; template: string; value: string; preseedLine: string; bootParameter?: string; preseedFile?: string}
  /** The installer's own log (its virtual console 4), read at a stop. */
  | {type: 'installer'; time: number; kind: 'log'; lines: string[]};

/** A log function bound to one source: what adapters (qemu, vnc, ssh, http) receive. */
export type LogFn = (stream: LogStream, line: string) => void;

/** Does nothing: the default for adapters used without a build. */
export const noLog: LogFn = () => {};

/** A step as its events describe it (the workbench's step list, the multi-build list). */
export interface StepRecord {
  id: string;
  title: string;
  status: StepStatus;
  startedAt?: number;
  durationMs?: number;
  error?: string;
}
