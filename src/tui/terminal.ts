/**
 * The terminal around the workbench: the alternate screen, a hidden cursor, raw input — and
 * putting all of it back on every way out: a normal quit, an error, a signal, an uncaught
 * exception, or `process.exit` from anywhere. ink 6 has no alternate-screen option
 * (LIBRARIES.md), so this writes `CSI ?1049h` before ink renders and `CSI ?1049l` after.
 *
 * Restoring is idempotent and synchronous (TTY writes are synchronous in Node), so it also
 * works from a process 'exit' handler, and it swallows write errors: after SIGHUP there is no
 * terminal left to restore.
 */

const ESC = '\x1b';

/** Entering: alternate screen, cursor home, clear, hide cursor, no line wrap at the last column. */
export const ENTER = `${ESC}[?1049h${ESC}[H${ESC}[2J${ESC}[?25l`;
/**
 * Leaving: end any synchronized update left open by a crash mid-frame, reset colours, leave
 * kitty's keyboard protocol if something turned it on, show the cursor, main screen back.
 */
export const LEAVE = `${ESC}[?2026l${ESC}[0m${ESC}[<u${ESC}[?25h${ESC}[?1049l`;

export interface TerminalStreams {
  stdin: {isTTY?: boolean; isRaw?: boolean; setRawMode?(mode: boolean): unknown; pause?(): unknown};
  stdout: {isTTY?: boolean; write(data: string): unknown};
}

/** The process hooks a session installs (injectable for tests). */
export interface ProcessHooks {
  on(event: 'exit', cb: () => void): unknown;
  off(event: 'exit', cb: () => void): unknown;
}

export interface FullscreenSession {
  /** Put the terminal back (idempotent); `before` bytes are written first (e.g. a painter's clear). */
  restore(before?: string | Buffer): void;
  readonly active: boolean;
}

/**
 * Switch to the alternate screen and arrange for the terminal to be put back whatever happens.
 * `onExitBytes` is asked for bytes to write just before leaving (the console painter's clear:
 * kitty images outlive the alternate screen on some terminals).
 */
export function enterFullscreen(streams: TerminalStreams, opts: {proc?: ProcessHooks; beforeLeave?: () => string | Buffer | undefined} = {}): FullscreenSession {
  const proc = opts.proc ?? process;
  const wasRaw = !!streams.stdin.isRaw;
  let active = true;
  const safeWrite = (data: string | Buffer): void => {
    try {
      streams.stdout.write(typeof data === 'string' ? data : data.toString('latin1'));
    } catch {
      // no terminal any more
    }
  };
  const restore = (before?: string | Buffer): void => {
    if (!active) return;
    active = false;
    proc.off('exit', onExit);
    try {
      const extra = opts.beforeLeave?.();
      if (extra && extra.length) safeWrite(extra);
    } catch {
      // a painter that cannot clear must not stop the terminal coming back
    }
    if (before && before.length) safeWrite(before);
    safeWrite(LEAVE);
    try {
      if (streams.stdin.isTTY) streams.stdin.setRawMode?.(wasRaw);
    } catch {
      // stdin closed
    }
  };
  const onExit = (): void => restore();
  proc.on('exit', onExit);
  safeWrite(ENTER);
  return {
    restore,
    get active() {
      return active;
    },
  };
}

export interface CrashGuardOptions {
  /** Runs first: stop the build (kill QEMU), restore the terminal. Must not throw. */
  onCrash: (err: unknown) => void;
  /** Where the error is reported after the terminal is back. */
  stderr?: {write(data: string): unknown};
  exit?: (code: number) => void;
  proc?: NodeJS.EventEmitter;
}

/**
 * Uncaught exceptions and unhandled rejections: restore the terminal, say what happened on the
 * normal screen (an error printed on the alternate screen vanishes with it), exit 1.
 * Returns a function that removes the handlers.
 */
export function installCrashGuard(opts: CrashGuardOptions): () => void {
  const proc = opts.proc ?? process;
  const stderr = opts.stderr ?? process.stderr;
  const exit = opts.exit ?? ((code: number) => process.exit(code));
  let crashed = false;
  const handler = (err: unknown): void => {
    if (crashed) return;
    crashed = true;
    try {
      opts.onCrash(err);
    } catch {
      // keep going: the report below matters more
    }
    try {
      stderr.write(`vmbench: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    } catch {
      // nowhere to report
    }
    exit(1);
  };
  proc.on('uncaughtException', handler);
  proc.on('unhandledRejection', handler);
  return () => {
    proc.off('uncaughtException', handler);
    proc.off('unhandledRejection', handler);
  };
}

/** Signals that end the workbench from outside; Ctrl-C arrives as a key in raw mode, SIGINT only from `kill`. */
export const EXIT_SIGNALS = ['SIGTERM', 'SIGHUP', 'SIGINT'] as const;
export type ExitSignal = (typeof EXIT_SIGNALS)[number];

/** Exit status for a signal (128 + its number), as shells report it. */
export function signalExitCode(sig: ExitSignal): number {
  return sig === 'SIGHUP' ? 129 : sig === 'SIGINT' ? 130 : 143;
}
