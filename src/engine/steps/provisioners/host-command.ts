/**
 * Runs one command on this host for a build (shell-local, post-processors): its output streamed
 * as provisioner log lines, in its own process group so that stopping it (Ctrl-C, a provisioner's
 * timeout) reaches everything it started — SIGTERM, then SIGKILL after a grace period, and the
 * group is swept once more when the command is gone. If vmbench itself exits meanwhile, the group
 * goes too — even when it is SIGKILLed, through the build's watchdog (qemu/watchdog.ts). A background
 * job the command leaves after a normal exit is left alone, as in Packer.
 */
import {execa} from 'execa';
import {LineSplitter} from '../../../util/lines.js';
import type {LogSource, LogStream} from '../../events.js';
import {watchProcess} from '../../../qemu/watchdog.js';

const KILL_GRACE_MS = 3000;

export interface HostCommandOptions {
  cwd: string;
  env: Record<string, string>;
  signal: AbortSignal;
  log: (source: LogSource, stream: LogStream, line: string) => void;
  /** Named in the "stopping" message. */
  what: string;
}

export interface HostCommandResult {
  /** Undefined when it was killed by a signal, or could not start. */
  exitCode?: number;
  signal?: string;
  /** Set when the program could not be started (ENOENT, EACCES). */
  startError?: string;
  durationMs: number;
}

function killGroup(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pid, sig);
  } catch {
    // Nothing left in the group.
  }
}

/** Run `argv` to its end (or until `signal` aborts, then rejects with the signal's reason). */
export async function runHostCommand(argv: readonly string[], opts: HostCommandOptions): Promise<HostCommandResult> {
  if (opts.signal.aborted) throw opts.signal.reason;
  const started = Date.now();
  const child = execa(argv[0]!, argv.slice(1), {
    cwd: opts.cwd,
    env: opts.env,
    extendEnv: false,
    detached: true,
    buffer: false,
    reject: false,
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'pipe',
  });
  const pid = child.pid;
  watchProcess(pid, true);
  const out = new LineSplitter((l) => opts.log('provisioner', 'stdout', l));
  const errOut = new LineSplitter((l) => opts.log('provisioner', 'stderr', l));
  child.stdout?.on('data', (d: Buffer) => out.push(d));
  child.stderr?.on('data', (d: Buffer) => errOut.push(d));
  let killTimer: NodeJS.Timeout | undefined;
  const onAbort = (): void => {
    if (pid === undefined) return;
    opts.log('vmbench', 'info', `stopping ${opts.what} (process group ${pid})`);
    killGroup(pid, 'SIGTERM');
    killTimer = setTimeout(() => killGroup(pid, 'SIGKILL'), KILL_GRACE_MS);
  };
  opts.signal.addEventListener('abort', onAbort, {once: true});
  const onExit = (): void => void (pid !== undefined && killGroup(pid, 'SIGKILL'));
  process.once('exit', onExit);
  try {
    const r = await child;
    out.flush();
    errOut.flush();
    if (opts.signal.aborted) throw opts.signal.reason;
    const durationMs = Date.now() - started;
    const code = (r as {code?: string}).code;
    if (pid === undefined || code === 'ENOENT' || code === 'EACCES' || (r.failed && r.exitCode === undefined && !r.signal)) {
      return {startError: (r as {shortMessage?: string}).shortMessage ?? r.message ?? 'could not start', durationMs};
    }
    return r.exitCode === undefined ? {signal: r.signal ?? 'unknown signal', durationMs} : {exitCode: r.exitCode, durationMs};
  } finally {
    opts.signal.removeEventListener('abort', onAbort);
    process.removeListener('exit', onExit);
    clearTimeout(killTimer);
    // Stopped: whatever it started that ignored SIGTERM goes too.
    if (pid !== undefined && opts.signal.aborted) killGroup(pid, 'SIGKILL');
  }
}
