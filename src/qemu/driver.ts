/**
 * Runs QEMU with execa in its own process group (so the terminal's Ctrl-C reaches only us and
 * we decide how the VM stops) and stops it politely: QMP quit, then SIGTERM, then SIGKILL.
 */
import {execa, type ResultPromise} from 'execa';
import type {LogFn} from '../engine/events.js';
import {LineSplitter} from '../util/lines.js';
import {forgetQemu, rememberQemu} from './reaper.js';

export interface QemuExit {
  code: number | null;
  signal: string | null;
}

export interface QemuProcess {
  readonly pid: number;
  readonly exited: Promise<QemuExit>;
  /** True once the process has exited. */
  hasExited(): boolean;
  /** The last lines QEMU wrote to stderr (why it died, usually). */
  stderrTail(): string;
  /** Write to the serial console (QEMU's stdin is the guest's ttyS0). */
  writeSerial(data: string): void;
  /** QMP quit (if given) → SIGTERM → SIGKILL, each with a grace period; resolves when it has exited. */
  stop(opts?: {quit?: () => Promise<unknown>; graceMs?: number}): Promise<QemuExit>;
  /** Synchronous SIGKILL of the whole process group, for a second Ctrl-C. */
  killNow(): void;
  /**
   * A VM kept on purpose: it must outlive us, so nothing of it (the child process, its stdio
   * pipes) keeps node alive any more. Its serial output is still read while we run.
   */
  detach(): void;
}

export interface StartQemuOptions {
  binary: string;
  args: string[];
  /** Serial console output, line by line. */
  serial: LogFn;
  /** QEMU's own stderr messages. */
  log: LogFn;
  /** A string unique to this VM in its command line, for reaping it after a crash of ours. */
  marker: string;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms).unref());

export function startQemu(opts: StartQemuOptions): QemuProcess {
  const child: ResultPromise = execa(opts.binary, opts.args, {
    detached: true,
    cleanup: false,
    buffer: false,
    reject: false,
    stdin: 'pipe',
    stdout: 'pipe',
    stderr: 'pipe',
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${opts.binary}`);
  rememberQemu(pid, opts.marker);
  const tail: string[] = [];
  const serial = new LineSplitter((l) => opts.serial('stdout', l), 250);
  const errors = new LineSplitter((l) => {
    tail.push(l);
    if (tail.length > 20) tail.shift();
    opts.log('stderr', l);
  });
  child.stdout?.on('data', (d: Buffer) => serial.push(d));
  child.stderr?.on('data', (d: Buffer) => errors.push(d));
  child.stdin?.on('error', () => {}); // EPIPE after QEMU exits is expected
  let done = false;
  const exited: Promise<QemuExit> = child.then((r) => {
    serial.flush();
    errors.flush();
    done = true;
    forgetQemu(pid);
    return {code: r.exitCode ?? null, signal: r.signal ?? null};
  });

  const signalGroup = (sig: NodeJS.Signals): void => {
    try {
      process.kill(-pid, sig);
    } catch {
      // already gone
    }
  };
  const waitExit = (ms: number): Promise<boolean> => Promise.race([exited.then(() => true), sleep(ms).then(() => done)]);

  return {
    pid,
    exited,
    hasExited: () => done,
    stderrTail: () => tail.join('\n'),
    writeSerial: (data) => {
      if (!done) child.stdin?.write(data);
    },
    async stop({quit, graceMs = 3000} = {}) {
      if (done) return exited;
      if (quit) {
        await Promise.race([quit().catch(() => undefined), sleep(graceMs)]);
        if (await waitExit(graceMs)) return exited;
      }
      signalGroup('SIGTERM');
      if (await waitExit(graceMs)) return exited;
      signalGroup('SIGKILL');
      return exited;
    },
    killNow: () => {
      if (!done) signalGroup('SIGKILL');
    },
    detach: () => {
      child.unref();
      for (const s of [child.stdin, child.stdout, child.stderr]) (s as unknown as {unref?: () => void} | null)?.unref?.();
    },
  };
}

/** QEMU's messages for port clashes — worth a retry with other ports. */
export function isPortClash(stderr: string): boolean {
  return /Address already in use|Could not set up host forwarding rule|Failed to find an available port/i.test(stderr);
}
