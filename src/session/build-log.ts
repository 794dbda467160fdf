/**
 * The build log a build leaves on disk whatever front end runs it: build.log (every event as a
 * timed plain line), serial.log (the guest's serial console) and events.jsonl — owner-only,
 * written as each event comes, and a failure to write them is the build's failure. The one-line
 * event format lives here too, as both the log and the CLI's plain reporter print it.
 */
import {appendFileSync, chmodSync, closeSync, fchmodSync, fstatSync, mkdirSync, openSync, writeSync} from 'node:fs';
import path from 'node:path';
import type {BuildEvent} from '../engine/events.js';
import {formatDuration} from '../util/duration.js';

const ICON: Record<string, string> = {running: '==>', done: '-->', failed: '!!!', skipped: '---', cancelled: 'xxx', paused: '||'};

/** One event as a line of text, or undefined for events plain output leaves out. */
export function formatEvent(e: BuildEvent, verbose = false): string | undefined {
  switch (e.type) {
    case 'build':
      if (e.status === 'started') return `vmbench: building ${e.profile} (${e.steps.length} steps)`;
      return `vmbench: build ${e.status} in ${formatDuration(e.durationMs)}${e.reason && e.status !== 'done' ? `: ${e.reason.split('\n')[0]}` : ''}`;
    case 'step': {
      if (e.status === 'pending' || (e.status === 'paused' && !verbose)) return undefined;
      const icon = ICON[e.status] ?? '   ';
      if (e.status === 'running') return `${icon} ${e.id}: ${e.title}`;
      const took = e.durationMs !== undefined ? ` (${formatDuration(e.durationMs)})` : '';
      return `${icon} ${e.id}: ${e.status}${took}${e.error ? `: ${e.error}` : ''}`;
    }
    case 'log':
      if (e.stream === 'debug' && !verbose) return undefined;
      return `    ${e.source}${e.stream === 'stderr' || e.stream === 'warn' || e.stream === 'error' ? `(${e.stream})` : ''}: ${e.line}`;
    case 'progress':
      return verbose ? `    progress ${e.step} ${e.label}: ${e.current}${e.total !== undefined ? `/${e.total}` : ''}` : undefined;
    case 'artifact':
      return `--> artifact: ${e.path} (${e.format}, ${e.bytes} bytes)`;
    case 'info':
      return `    info ${e.key}: ${e.value}`;
    case 'installer':
      return formatInstaller(e);
    case 'diagnosis':
      // The failed step's message leads with the same cause; the full record goes to build.log.
      return verbose ? [`    diagnosis: ${e.cause}`, ...e.evidence.map((x) => `      - ${x}`), ...(e.hint ? [`      hint: ${e.hint}`] : [])].join('\n') : undefined;
    case 'section': {
      if (e.event === 'begin') return undefined;
      const n = e.lines.stdout + e.lines.stderr;
      const took = e.durationMs !== undefined ? `${formatDuration(e.durationMs)}, ` : '';
      return `    section ${e.path.join('/')}: ${e.status} (${took}${n} line${n === 1 ? '' : 's'}${e.lines.stderr ? `, ${e.lines.stderr} stderr` : ''})`;
    }
  }
}

function formatInstaller(e: Extract<BuildEvent, {type: 'installer'}>): string {
  switch (e.kind) {
    case 'stage':
      return `    installer: ${e.stage}`;
    case 'question':
      return `    installer: asks "${e.prompt}" (${e.title})${e.template ? ` — ${e.template}` : ''}${e.bootParameter ? `; boot parameter: ${e.bootParameter}` : e.preseedLine ? `; preseed: ${e.preseedLine}` : ''}`;
    case 'answer':
      return `    installer: answered ${e.template} = ${JSON.stringify(e.value)}; ${e.bootParameter ? `boot parameter: ${e.bootParameter}` : `preseed line: ${e.preseedLine}`}`;
    case 'log':
      return [`    installer log (its console 4), last ${e.lines.length} lines:`, ...e.lines.map((l) => `      | ${l}`)].join('\n');
  }
}

/** What a failed write's errno says, in the words of strerror(3), for the one-line cause. */
const ERRNO_TEXT: Record<string, string> = {
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EIO: 'input/output error',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  EFBIG: 'file too large',
  ENOENT: 'no such file or directory',
  ENOTDIR: 'not a directory',
  EISDIR: 'is a directory',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files in system',
};

export function errnoText(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e?.code && ERRNO_TEXT[e.code]) return ERRNO_TEXT[e.code]!;
  const m = /^E[A-Z]+: ([^,]+)/.exec(e?.message ?? '');
  return m ? m[1]! : String(e?.message ?? err);
}

/** The one-line cause when the build log cannot be written. */
export function logFailureMessage(dir: string, err: unknown): string {
  return `cannot write the build log in ${dir}: ${errnoText(err)}`;
}

const LOG_FILES = ['build.log', 'serial.log', 'events.jsonl'] as const;
type LogFile = (typeof LOG_FILES)[number];

/**
 * Writes build.log (everything, with times), serial.log and events.jsonl into dir: a private
 * folder (0700 when this creates it) of owner-only files (0600). Every line is written
 * synchronously, so nothing is buffered when vmbench exits — a second Ctrl-C (process.exit), a
 * signal or an uncaught exception loses no line — and a failed write (ENOSPC, EIO, EACCES…) is
 * known at once: the first one is reported through `onError` (once) and kept in `failure`;
 * nothing more is written after it. The constructor throws that same one-line message when the
 * folder or a file cannot be created.
 */
export class BuildLogWriter {
  private readonly fds = new Map<LogFile, number>();
  private closed = false;
  /** The first write error as one line ("cannot write the build log in DIR: …"), once there was one. */
  failure?: string;
  private onError?: (message: string, err: Error) => void;
  private readonly onExit = (code: number): void => {
    // The process ends with the build still running (a second Ctrl-C, process.exit elsewhere):
    // say so last, so build.log tells how it ended.
    this.writeText('build.log', `${new Date().toISOString()} vmbench: exited with status ${code} before the build ended\n`);
    this.closeSync();
  };

  constructor(
    readonly dir: string,
    opts: {onError?: (message: string, err: Error) => void} = {},
  ) {
    this.onError = opts.onError;
    try {
      const created = mkdirSync(dir, {recursive: true, mode: 0o700});
      if (created !== undefined) chmodSync(dir, 0o700); // the umask may have taken bits off; never more than 0700
      for (const name of LOG_FILES) {
        const fd = openSync(path.join(dir, name), 'w', 0o600);
        this.fds.set(name, fd);
        // A file that was there already keeps its mode otherwise (never a device's: /dev/full, /dev/null).
        if (fstatSync(fd).isFile()) fchmodSync(fd, 0o600);
      }
    } catch (err) {
      this.closeSync();
      throw new Error(logFailureMessage(dir, err), {cause: err});
    }
    process.on('exit', this.onExit);
  }

  /** Set (or replace) who hears of the first write error. */
  set errorHandler(fn: ((message: string, err: Error) => void) | undefined) {
    this.onError = fn;
  }

  private fail(err: Error): void {
    if (this.failure !== undefined) return;
    this.failure = logFailureMessage(this.dir, err);
    this.onError?.(this.failure, err);
  }

  /** Write all of `text` to one of the files; false (and the failure noted) when it could not. */
  private writeText(name: LogFile, text: string): boolean {
    if (this.failure !== undefined) return false;
    const buf = Buffer.from(text);
    try {
      if (this.closed) {
        // After the build (a preseed line appended from the result screen).
        appendFileSync(path.join(this.dir, name), buf, {mode: 0o600});
        return true;
      }
      const fd = this.fds.get(name);
      if (fd === undefined) return false;
      for (let off = 0; off < buf.length; ) off += writeSync(fd, buf, off, buf.length - off);
      return true;
    } catch (err) {
      this.fail(err as Error);
      return false;
    }
  }

  readonly write = (e: BuildEvent): void => {
    if (e.type === 'progress') return;
    const line = formatEvent(e, true);
    if (e.type === 'log' && e.source === 'serial' && !this.closed) this.writeText('serial.log', `${e.line}\n`);
    this.writeText('events.jsonl', `${JSON.stringify(e)}\n`);
    if (line !== undefined) this.writeText('build.log', `${new Date(e.time).toISOString()} ${line}\n`);
  };

  private closeSync(): void {
    for (const [name, fd] of this.fds) {
      try {
        closeSync(fd);
      } catch (err) {
        // close(2) reports a deferred write error (NFS, some FUSE file systems).
        this.fail(err as Error);
      }
      this.fds.delete(name);
    }
  }

  /** Closes the files (their lines are already written). Lines after this are appended directly. */
  close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      process.off('exit', this.onExit);
      this.closeSync();
    }
    return Promise.resolve();
  }
}
