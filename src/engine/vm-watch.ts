/**
 * Watches the VM while wait-ssh waits for its sshd, so a guest that will never get there fails
 * the build at once instead of after ssh_timeout (Packer just keeps printing "Waiting for SSH to
 * become available..." while the Debian installer sits at an error dialog). The signs:
 *
 * - the Debian installer stops at a dialog (engine/installer-watch.ts: an error, or a question
 *   the preseed left unanswered — a pause instead in debug mode);
 * - the screen shows an error: built-in boot/installer failure patterns plus the profile's
 *   ssh_watch_error_patterns (engine/screen-patterns.ts), matched against the screen as text;
 * - the evidence names a cause (engine/diagnosis.ts: no network, answer file 404, a boot
 *   command nobody acted on);
 * - the screen has not changed for ssh_watch_screen_stall (off by default, see checkStall);
 * - the profile serves files (http_directory, http_content) and the guest has fetched nothing for
 *   ssh_watch_http_timeout after the boot command: it never asked for its answer file.
 *
 * The screen is read the cheap way (glyphs on the VNC frame, which costs the guest nothing) and
 * only when the frame's change counter moved. The sources are passed in, so the watcher is
 * unit-tested with a fake screen, a fake clock and a fake request list.
 */
import {createHash} from 'node:crypto';
import path from 'node:path';
import {setTimeout as sleepFor} from 'node:timers/promises';
import type {ScreenText} from '../screen/screen-text.js';
import {formatDuration} from '../util/duration.js';
import {verdictMessage, type Verdict} from './diagnosis.js';
import type {InstallerEvent, LogFn} from './events.js';
import type {BuildEvidence} from './evidence.js';
import type {InstallerStop, InstallerTracker} from './installer-watch.js';
import {findErrorPattern, logicalLines, screenExcerpt, tellingLogLines, type ErrorPattern} from './screen-patterns.js';
import {StepError} from './step.js';
import type {BuildState} from './state.js';

/** URLs in a rendered boot command (`url=http://…/x.cfg`, `ks=10.0.2.2:8000/ks.cfg`). */
export function bootCommandUrls(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/\b[a-z][a-z0-9+.-]*:\/\/[^\s<>"'`]+|\b\d{1,3}(?:\.\d{1,3}){3}:\d+(?:\/[^\s<>"'`]*)?/gi)) {
    if (!out.some((u) => u.includes(m[0]))) out.push(m[0]);
  }
  return out;
}

export interface HttpWatch {
  /** 0 = off. */
  timeoutMs: number;
  /** What the guest sees: http://10.0.2.2:<port>/. */
  guestIp: string;
  port: number;
  /** URLs the boot command contains (what the guest was told to fetch). */
  urls: readonly string[];
  /** The served directory, for hints. */
  dir?: string;
  /** The files are served from http_content (not a directory). */
  content?: boolean;
}

/** Why the guest may not have fetched anything: the URL's host or port, else the usual suspects. */
export function httpHint(http: HttpWatch, failed: readonly {path: string; status: number}[]): string {
  for (const u of http.urls) {
    let url: URL;
    try {
      url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(u) ? u : `http://${u}`);
    } catch {
      continue;
    }
    const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
    if (port !== http.port) return `the boot command's URL ${u} uses port ${port}, but vmbench serves on port ${http.port} in this build (it is chosen anew each time): write {{ .HTTPPort }}`;
    if (url.hostname !== http.guestIp) return `the guest reaches vmbench's HTTP server at ${http.guestIp} ({{ .HTTPIP }}), but the boot command's URL ${u} names ${url.hostname}`;
  }
  if (failed.length) return `check the file name in the boot command's URL against what ${http.content ? 'http_content' : `http_directory${http.dir ? ` (${http.dir})` : ''}`} holds`;
  if (!http.urls.length) return 'the boot command names no URL of the HTTP server: tell the guest where its answer file is (e.g. url=http://{{ .HTTPIP }}:{{ .HTTPPort }}/preseed.cfg), or set ssh_watch_http_timeout: 0';
  return 'check the URL in the boot command for a typo, that the kernel line reached the boot prompt (see the screenshot) and that the guest’s network came up (serial log); ssh_watch_http_timeout sets how long to wait (0 = off)';
}

export interface WatchSources {
  /** A counter that changes whenever the screen does (Framebuffer.version); undefined without a frame. */
  frameVersion(): number | undefined;
  /** The screen as text, or undefined when it cannot be read as text. */
  readScreen(): Promise<ScreenText | undefined>;
  /** A fingerprint of the pixels, for screens that are not text (graphical installers). */
  frameHash(): string | undefined;
  /** The guest's HTTP requests so far. */
  httpRequests(): readonly {method?: string; path: string; status: number}[];
}

/** The Debian installer on screen (engine/installer-watch.ts) and what to do when it stops. */
export interface InstallerWatch {
  tracker: InstallerTracker;
  emit(event: InstallerEvent): void;
  /**
   * A dialog stands on screen. Resolves true when the user took it over (a debug pause: the
   * watcher goes on), false when the build should stop with it.
   */
  onStop(stop: InstallerStop): Promise<boolean>;
  /** The installer's own log, read before failing (its console 4); undefined when unavailable. */
  log?(): Promise<string[] | undefined>;
  /** Other evidence worth showing with a stop (failed HTTP requests). */
  evidence?(): string[];
}

export interface WatchOptions {
  patterns: readonly ErrorPattern[];
  /** Follow the Debian installer's dialogs. */
  installer?: InstallerWatch;
  /** Evidence store to tell what the screen showed and when it changed. */
  evidence?: BuildEvidence;
  /** Evidence-based verdicts (engine/diagnosis.ts), checked every poll. */
  diagnose?: (now: number) => Verdict | undefined;
  /** Called with every verdict the watcher fails with (a 'diagnosis' event). */
  onVerdict?: (v: {cause: string; evidence: string[]; hint?: string}) => void;
  /** 0 = off. */
  stallMs: number;
  http?: HttpWatch;
  /** Default 1000 ms: a failure shows within a second or two; reading costs nothing while the frame is still. */
  pollMs?: number;
  log: LogFn;
  signal?: AbortSignal;
  /** For tests: a fake clock. */
  now?: () => number;
  sleep?: (ms: number, signal: AbortSignal) => Promise<unknown>;
}

export interface VmWatch {
  /** Rejects with a StepError when the VM looks stuck; otherwise never settles. */
  readonly failed: Promise<never>;
  /** Stop watching; resolves once no timer or screen read of the watcher is left. */
  stop(): Promise<void>;
}

/** How often the screen is checked for a change while the user answers an installer question at a pause. */
const FOLLOW_MS = 100;

/** An unreadable screen is retried with backoff: the QMP fallback of readScreen pauses the VM. */
const TEXT_RETRY_MIN_MS = 1000;
const TEXT_RETRY_MAX_MS = 4000;

export function watchVm(sources: WatchSources, opts: WatchOptions): VmWatch {
  const now = opts.now ?? Date.now;
  const sleep = opts.sleep ?? ((ms, signal) => sleepFor(ms, undefined, {signal}));
  const poll = opts.pollMs ?? 1000;
  const ctl = new AbortController();
  const onAbort = (): void => ctl.abort();
  opts.signal?.addEventListener('abort', onAbort, {once: true});
  if (opts.signal?.aborted) ctl.abort();
  let reject!: (err: Error) => void;
  const failed = new Promise<never>((_, rej) => (reject = rej));
  failed.catch(() => {}); // whoever races it sees the rejection; nobody racing is fine too

  const started = now();
  const screenWanted = opts.patterns.length > 0 || opts.stallMs > 0 || !!opts.installer || !!opts.evidence;
  let lastVersion: number | undefined;
  let everRead = false;
  let lines: string[] | undefined;
  let lastScreen: ScreenText | undefined;
  let textRetryAt = 0;
  let textBackoff = TEXT_RETRY_MIN_MS;
  let recent: string[] = []; // the last two distinct fingerprints: a blinking cursor is not a change
  let lastChange: number | undefined;
  const said = new Set<string>();
  const once = (key: string, stream: 'info' | 'warn' | 'debug', line: string): void => {
    if (!said.has(key)) (said.add(key), opts.log(stream, line));
  };
  const hash = (s: string): string => createHash('sha1').update(s).digest('hex');

  const checkScreen = async (t: number): Promise<StepError | undefined> => {
    const version = sources.frameVersion();
    const changed = version === undefined || version !== lastVersion || !everRead;
    if (!changed && opts.installer && lastScreen) {
      // A dialog stays still on screen: it becomes a stop without a new picture.
      const stop = opts.installer.tracker.tick(t);
      if (stop) return (await settleInstallerStop(opts.installer, stop, lastScreen, t)) ?? undefined;
    }
    if (!changed || t < textRetryAt) return undefined;
    lastVersion = version;
    everRead = true;
    const screen = await sources.readScreen().catch(() => undefined);
    lastScreen = screen;
    const read = screen && logicalLines(screen.lines, screen.cols);
    let print: string | undefined;
    let problem: StepError | undefined;
    if (screen && read) {
      lines = read;
      textBackoff = TEXT_RETRY_MIN_MS;
      once('text', 'debug', 'reading the VM screen as text to spot installer and boot errors while waiting for SSH');
      print = `text:${hash(read.join('\n'))}`;
      const installer = opts.installer && (await checkInstaller(opts.installer, screen, t));
      if (installer && installer !== 'newt') problem = installer;
      const found = installer === 'newt' ? undefined : findErrorPattern(read, opts.patterns);
      if (!problem && found) {
        const {pattern, text} = found;
        problem = fail(
          {cause: `the VM's screen shows ${pattern.what}: "${text}" — it will not get to SSH from here`, evidence: [screenExcerpt(read)]},
          pattern.from === 'built-in'
            ? 'fix what the screen (and the screenshot in the log directory) says; if this text is expected on this VM, set ssh_watch_default_patterns: false'
            : 'the profile’s ssh_watch_error_patterns matched: fix what the screen (and the screenshot in the log directory) says',
        );
      }
    } else {
      lines = undefined;
      textRetryAt = t + textBackoff;
      textBackoff = Math.min(textBackoff * 2, TEXT_RETRY_MAX_MS);
      const px = sources.frameHash();
      if (px) print = `px:${px}`;
      if (opts.patterns.length) once('notext', 'debug', 'the VM screen cannot be read as text now: error patterns are checked once it can');
    }
    opts.evidence?.screenRead(lines, t, print !== undefined && !recent.includes(print));
    if (print !== undefined && !recent.includes(print)) {
      recent = [print, ...recent].slice(0, 2);
      lastChange = t;
      said.delete('stall-half');
    }
    return problem;
  };

  /** A verdict as the StepError the watcher rejects with; the front ends also get it as an event. */
  const fail = (v: {cause: string; evidence: string[]; hint?: string}, hint = v.hint): StepError => {
    opts.onVerdict?.({...v, hint});
    return new StepError(verdictMessage(v), hint);
  };

  /** 'newt' while a d-i dialog is on screen (the tracker handles it), a StepError for a stop. */
  const checkInstaller = async (iw: InstallerWatch, screen: ScreenText, t: number): Promise<StepError | 'newt' | undefined> => {
    const {events, stop, newt} = iw.tracker.onScreen(screen, t);
    for (const e of events) iw.emit(e);
    if (!stop) return newt.kind === 'error' || newt.kind === 'question' ? 'newt' : undefined;
    return (await settleInstallerStop(iw, stop, screen, t)) ?? 'newt';
  };

  /**
   * A pause may outlast the watcher (SSH connected, QEMU died, the step aborted): stopping the
   * watcher ends the wait (resolves undefined) instead of leaving stop() waiting on the user.
   */
  const untilStopped = <T>(p: Promise<T>): Promise<T | undefined> =>
    ctl.signal.aborted
      ? Promise.resolve(undefined)
      : new Promise<T | undefined>((resolve, reject) => {
          const onAbort = (): void => resolve(undefined);
          ctl.signal.addEventListener('abort', onAbort, {once: true});
          p.then(
            (v) => (ctl.signal.removeEventListener('abort', onAbort), resolve(v)),
            (e: unknown) => (ctl.signal.removeEventListener('abort', onAbort), reject(e)),
          );
        });

  /** Read the screen into the tracker until stopped (the main loop waits on a pause meanwhile). */
  const followWhilePaused = (iw: InstallerWatch): {stop: () => void; done: Promise<void>} => {
    const halt = new AbortController();
    const done = (async () => {
      let seen: number | undefined;
      while (!halt.signal.aborted && !ctl.signal.aborted) {
        await sleep(FOLLOW_MS, AbortSignal.any([halt.signal, ctl.signal])).catch(() => undefined);
        if (halt.signal.aborted || ctl.signal.aborted) return;
        // Every change is read (a keystroke redraws the entry): the last read before the
        // question leaves the screen holds the answer.
        const version = sources.frameVersion();
        if (version !== undefined && version === seen) continue;
        seen = version;
        const screen = await sources.readScreen().catch(() => undefined);
        if (screen) for (const e of iw.tracker.onScreen(screen, now(), {stops: false}).events) iw.emit(e);
      }
    })();
    return {stop: () => halt.abort(), done};
  };

  /** Hand a stop to the user (debug) or turn it into the watcher's failure, with the installer's log. */
  const settleInstallerStop = async (iw: InstallerWatch, stop: InstallerStop, screen: ScreenText, t: number): Promise<StepError | undefined> => {
    if (stop.kind === 'question') {
      iw.emit(iw.tracker.questionEvent(stop, t));
      // While the build is paused the user answers in the console: keep reading the screen so
      // the answer is seen as it is typed, and reported once the question leaves the screen.
      iw.tracker.userAnswers(stop);
      const follow = followWhilePaused(iw);
      const paused = await untilStopped(iw.onStop(stop)).finally(() => follow.stop());
      await follow.done;
      if (paused !== false) {
        // Went on without answering? Then the question is asked again if it still waits.
        iw.tracker.wentOn(stop, now());
        return undefined;
      }
      iw.tracker.cancelAnswering();
    } else if ((await untilStopped(iw.onStop(stop))) !== false) return undefined;
    const log = await iw.log?.().catch(() => undefined);
    const evidence = [...stop.evidence, ...(iw.evidence?.() ?? [])];
    if (log?.length) {
      iw.emit({type: 'installer', time: now(), kind: 'log', lines: log});
      const telling = tellingLogLines(log);
      if (telling.length) evidence.push(`the installer's log (console 4) says: ${telling.map((l) => l.trim()).join(' | ')}`);
    }
    evidence.push(screenExcerpt(screen.lines.filter((l) => l.trim())));
    return fail({cause: stop.cause, evidence, hint: stop.hint});
  };

  // Why ssh_watch_screen_stall is off by default: real installs sit still legitimately for long
  // stretches — d-i's progress bar does not move while a late_command or one big package unpacks
  // (many minutes under TCG), an installed system shows a still login prompt while first-boot
  // scripts run, the console may blank itself. A false stall kills a build that would have
  // succeeded; a missed one only costs what Packer costs today (ssh_timeout). The patterns and
  // the HTTP check catch the usual stuck screens; a profile that knows its installer opts in.
  const checkStall = (t: number): StepError | undefined => {
    if (!(opts.stallMs > 0) || lastChange === undefined) return undefined;
    const still = t - lastChange;
    if (still >= opts.stallMs) {
      return new StepError(
        `the VM's screen has not changed for ${formatDuration(still)} while waiting for SSH (ssh_watch_screen_stall ${formatDuration(opts.stallMs)}): the guest looks stuck\n${screenExcerpt(lines)}`,
        'a dialog may be waiting for input or the boot hung (see the screenshot in the log directory); if the guest is busy without drawing anything, raise ssh_watch_screen_stall or set it to 0',
      );
    }
    if (still >= opts.stallMs / 2) once('stall-half', 'info', `the VM's screen has not changed for ${formatDuration(still)} (ssh_watch_screen_stall ${formatDuration(opts.stallMs)})`);
    return undefined;
  };

  let httpDone = !(opts.http && opts.http.timeoutMs > 0);
  const checkHttp = (t: number): StepError | undefined => {
    const http = opts.http;
    if (httpDone || !http) return undefined;
    const requests = sources.httpRequests();
    // One file served is the answer file being fetched (the server logged it): nothing more to watch.
    if (requests.some((r) => r.status < 400)) {
      httpDone = true;
      return undefined;
    }
    const waited = t - started;
    if (waited < http.timeoutMs) {
      if (waited >= http.timeoutMs / 2) once('http-half', 'info', `the guest has not fetched anything from the HTTP server yet (${formatDuration(waited)} after the boot command; giving up at ${formatDuration(http.timeoutMs)})`);
      return undefined;
    }
    httpDone = true;
    const server = `http://${http.guestIp}:${http.port}/`;
    const named = http.urls.length ? `; the boot command names ${http.urls.join(', ')}` : '; the boot command names no URL';
    const asked = requests.slice(0, 3).map((r) => `${r.method ?? 'GET'} ${r.path} → ${r.status}`);
    const what = requests.length
      ? `the guest never got its answer file: its only HTTP requests failed (${asked.join(', ')}${requests.length > 3 ? ', …' : ''})`
      : `the guest never requested its answer file: no HTTP request reached vmbench's server (${server})`;
    return new StepError(
      `${what} within ${formatDuration(waited)} after the boot command (ssh_watch_http_timeout)${named}\n${screenExcerpt(lines)}`,
      httpHint(http, requests),
    );
  };

  const loop = (async (): Promise<void> => {
    try {
      for (;;) {
        if (ctl.signal.aborted) return;
        const t = now();
        const verdict = opts.diagnose?.(t);
        const problem = (screenWanted ? await checkScreen(t) : undefined) ?? checkStall(t) ?? (verdict && fail(verdict)) ?? checkHttp(t);
        if (ctl.signal.aborted) return;
        if (problem) return reject(problem);
        await sleep(poll, ctl.signal);
      }
    } catch (err) {
      // A watcher bug must not fail a build that may well succeed: say so and stop watching.
      if (!ctl.signal.aborted) opts.log('warn', `stopped watching the VM: ${(err as Error).message}`);
    } finally {
      opts.signal?.removeEventListener('abort', onAbort);
    }
  })();

  return {
    failed,
    async stop() {
      ctl.abort();
      await loop;
    },
  };
}

/** Defaults for ssh_watch_http_timeout when the profile leaves it unset. */
export const HTTP_WATCH_DEFAULT_MS = {kvm: 5 * 60_000, tcg: 15 * 60_000} as const;

/**
 * How long the guest may take to fetch its first file. Unset, it is derived: only when the boot
 * command points the guest at a URL (else the guest may legitimately fetch nothing until much
 * later, e.g. a provisioner's download), 5 min under KVM — installers ask for their answer file
 * in the first minute or two — and 15 min under TCG, where a live ISO (subiquity's casper,
 * cloud-init) can take several minutes to boot before it asks.
 */
export function httpWatchTimeout(
  profile: Pick<BuildState['profile'], 'http_directory' | 'ssh_watch_http_timeout'> & {http_content?: Record<string, string>},
  accel: 'kvm' | 'tcg' | undefined,
  bootNamesServer: boolean,
): number {
  if (!profile.http_directory && !Object.keys(profile.http_content ?? {}).length) return 0;
  if (profile.ssh_watch_http_timeout !== undefined) return Math.max(0, profile.ssh_watch_http_timeout);
  return bootNamesServer ? HTTP_WATCH_DEFAULT_MS[accel ?? 'tcg'] : 0;
}

/** What the fault watcher needs of a QMP connection (qemu/qmp.ts's QmpClient has it). */
export interface QmpEvents {
  on(name: 'event', cb: (event: {event: string; data?: Record<string, unknown>}) => void): () => void;
  execute<T = unknown>(command: string, args?: object): Promise<T>;
}

export interface VmFaultWatch {
  /** Rejects with a StepError as soon as QEMU reports that the VM's disk cannot be written; never resolves. */
  readonly failed: Promise<never>;
  /** The fault seen so far, if any. */
  fault(): StepError | undefined;
  stop(): void;
}

/** The file behind a block node, from `query-named-block-nodes` (flat). */
async function nodeFile(qmp: QmpEvents, node: string | undefined): Promise<string | undefined> {
  if (!node) return undefined;
  const nodes = await qmp.execute<Array<{'node-name'?: string; file?: string; image?: {filename?: string}}>>('query-named-block-nodes', {flat: true});
  const hit = nodes.find((n) => n['node-name'] === node);
  const file = hit?.image?.filename ?? hit?.file;
  return file && !file.startsWith('json:') ? file : undefined;
}

/**
 * The sentence a failed disk write becomes: "no space left on device in DIR" for a full host
 * folder (QEMU's werror=enospc pauses the guest; it would wait there until a timeout), else
 * QEMU's own reason. Pure.
 */
export function diskFaultMessage(e: {nospace?: boolean; reason?: string; operation?: string}, dir: string | undefined): string {
  const where = dir ? ` in ${dir}` : '';
  if (e.nospace) return `the VM's disk could not be written: no space left on device${where}`;
  const reason = (e.reason ?? 'I/O error').replace(/^./, (c) => c.toLowerCase());
  return `the VM's disk could not be ${e.operation === 'read' ? 'read' : 'written'}: ${reason}${where}`;
}

/**
 * Follows QEMU's BLOCK_IO_ERROR and STOP events. QEMU's default for a full host file system
 * (werror=enospc) is to pause the VM: nothing the guest shows changes any more, so without this
 * the build waits for ssh_timeout or a provisioner's timeout. An error whose action is "stop",
 * or that says the host's file system is full, is a fault; so is a STOP after which QEMU's
 * run state is io-error (the event may have been missed). A STOP alone is not (vmbench pauses
 * the VM itself to read its text screen). `defaultDir` names the folder when QEMU's node cannot
 * be traced to a file; `where` may rename a folder (the build's hidden work folder → the folder
 * the user chose, which holds it on the same file system).
 */
export function watchVmFaults(qmp: QmpEvents, opts: {defaultDir?: string; log: LogFn; where?: (dir: string) => string}): VmFaultWatch {
  const where = (dir: string | undefined): string | undefined => (dir && opts.where ? opts.where(dir) : dir);
  let reject!: (err: Error) => void;
  const failed = new Promise<never>((_, rej) => (reject = rej));
  failed.catch(() => {});
  let fault: StepError | undefined;
  let stopped = false;
  let blockError = false;
  const raise = (message: string): void => {
    if (fault || stopped) return;
    fault = new StepError(message, 'free space on that file system (or choose an output folder with room for the disk) and build again');
    opts.log('error', message);
    reject(fault);
  };
  const onBlockError = async (data: Record<string, unknown>): Promise<void> => {
    const nospace = data.nospace === true;
    if (!nospace && data.action !== 'stop') return;
    blockError = true; // the STOP that follows is this error's: its own wording waits for the file's name
    const node = typeof data['node-name'] === 'string' ? data['node-name'] : undefined;
    const file = await nodeFile(qmp, node).catch(() => undefined);
    raise(diskFaultMessage({nospace, reason: typeof data.reason === 'string' ? data.reason : undefined, operation: String(data.operation ?? '')}, where(file ? path.dirname(file) : opts.defaultDir)));
  };
  const onStop = async (): Promise<void> => {
    if (blockError) return;
    const status = await qmp.execute<{status?: string}>('query-status').catch(() => undefined);
    if (status?.status === 'io-error' && !blockError) raise(diskFaultMessage({reason: 'I/O error (QEMU paused the VM)'}, where(opts.defaultDir)));
  };
  const off = qmp.on('event', (e) => {
    if (e.event === 'BLOCK_IO_ERROR') void onBlockError(e.data ?? {});
    else if (e.event === 'STOP') void onStop();
  });
  return {
    failed,
    fault: () => fault,
    stop() {
      stopped = true;
      off();
    },
  };
}
