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
  | {type: 'info'; time: number; key: string; value: string};

/** A log function bound to one source: what adapters (qemu, vnc, ssh, http) receive. */
export type LogFn = (stream: LogStream, line: string) => void;

/** Does nothing: the default for adapters used without a build. */
export const noLog: LogFn = () => {};
