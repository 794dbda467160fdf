/** Shared helpers for end-to-end tests that run the real CLI against real QEMU. */
import {cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {execa, type ResultPromise} from 'execa';
import {afterAll} from 'vitest';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BIN = path.join(ROOT, 'bin', 'vmbench');

/** The ISO cache is shared by all e2e runs (the tiny ISO is cached by content hash). */
export const CACHE = process.env.VMBENCH_TEST_CACHE ?? path.join(os.tmpdir(), 'vmbench-test-cache');

export function assertBuilt(): void {
  if (!existsSync(path.join(ROOT, 'dist', 'cli', 'main.js'))) throw new Error('dist/ is missing: run `npm run build` (npm test does it)');
}

/** Every directory tmpDir made in this test file; removed after the file's tests (kept with VMBENCH_KEEP_TEST_DIRS=1). */
const made: string[] = [];
afterAll(() => {
  if (process.env.VMBENCH_KEEP_TEST_DIRS === '1') return;
  for (const d of made.splice(0)) rmSync(d, {recursive: true, force: true});
});

export function tmpDir(prefix = 'vmbench-e2e-'): string {
  const d = mkdtempSync(path.join(os.tmpdir(), prefix));
  made.push(d);
  return d;
}

/** Copy the tiny profile so a test can change it; `edit` gets and returns the YAML text. */
export function tinyProfileCopy(edit: (yaml: string) => string = (y) => y): string {
  const dir = path.join(tmpDir('vmbench-profile-'), 'tiny');
  cpSync(path.join(ROOT, 'profiles', 'tiny'), dir, {recursive: true});
  const file = path.join(dir, 'profile.yaml');
  writeFileSync(file, edit(readFileSync(file, 'utf8')));
  return dir;
}

/** The file exists and holds more than whitespace (a shell's `echo $? > file` has run). */
export function hasText(file: string): boolean {
  try {
    return readFileSync(file, 'utf8').trim() !== '';
  } catch {
    return false;
  }
}

/**
 * A copy of the tiny profile whose `provisioners:` block (and what follows it up to the next
 * top-level key) is `block`, which starts with `provisioners:` itself (or `post_processors:`…).
 * A replacer function: a replacement string would turn a script's `$$` into `$`.
 */
export function tinyWithProvisioners(block: string): string {
  return tinyProfileCopy((y) => y.replace(/^provisioners:\n(?: {2}.*\n|\n(?= ))*/m, () => block));
}

export function runCli(args: string[], env: Record<string, string> = {}): ResultPromise<{reject: false; all: true}> {
  const state = tmpDir('vmbench-state-');
  return execa('node', [BIN, ...args], {
    reject: false,
    all: true,
    env: {CI: 'true', XDG_STATE_HOME: state, XDG_CACHE_HOME: path.join(state, 'cache'), ...env},
    stdin: 'ignore',
  });
}

/**
 * runCli for a long build, once more if QEMU itself crashed (killed by SIGSEGV/SIGABRT/SIGBUS/
 * SIGILL, which vmbench never sends): a TCG crash seen once in many CI runs, while a ~2 minute
 * guest booted. vmbench named it rightly; the test is about the profile, so it says so loudly
 * and builds again. A second crash, or any other failure, is the test's result.
 */
export async function runCliSurvivingQemuCrash(args: string[], env: Record<string, string> = {}): Promise<Awaited<ReturnType<typeof runCli>>> {
  const first = await runCli(args, env);
  const crash = first.exitCode !== 0 ? /QEMU exited \(killed by (SIGSEGV|SIGABRT|SIGBUS|SIGILL)\)/.exec(first.all ?? '') : null;
  if (!crash) return first;
  console.warn(`[e2e] QEMU itself crashed (${crash[1]}), not by vmbench's hand; building once more: ${args.join(' ')}`);
  return runCli(args, env);
}

/** Alive and not a zombie: a process killed after its parent exited waits for init to reap it (late, in some containers). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

export function portListening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({host: '127.0.0.1', port});
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

/** Parse --json output into events. */
export function events(stdout: string): Array<Record<string, unknown> & {type: string}> {
  return stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown> & {type: string});
}

/** A private tmux server (its own socket) for real-terminal tests; `kill()` ends only it. */
export function tmuxServer(socket: string) {
  const tmux = (...args: string[]) => execa('tmux', ['-L', socket, ...args], {reject: false});
  const screen = async (session: string): Promise<string> => (await tmux('capture-pane', '-p', '-t', session)).stdout;
  /** Polls the pane until `pred` holds (never a fixed sleep); the error shows the last screen. */
  async function waitForScreen(session: string, pred: (s: string) => boolean, what: string, timeoutMs = 60_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    while (Date.now() < deadline) {
      last = await screen(session);
      if (pred(last)) return last;
      await new Promise((r) => setTimeout(r, 150));
    }
    throw new Error(`timed out waiting for ${what}; the terminal shows:\n${last}`);
  }
  return {tmux, screen, waitForScreen, kill: () => tmux('kill-server')};
}

export type BuildEventLine = Record<string, unknown> & {type: string};

const spawnBuild = (args: string[], env: Record<string, string>) =>
  execa('node', [BIN, 'build', ...args, '--json'], {reject: false, all: true, env: {CI: 'true', ...env}, stdin: 'ignore'});

/** A `vmbench build … --json` child whose events are read as they come. */
export interface WatchedBuild {
  child: ReturnType<typeof spawnBuild>;
  events: BuildEventLine[];
  /** The SSH, VNC and HTTP ports its `info` events named. */
  ports: number[];
  /** QEMU's pid once the build said it runs, else 0. */
  qemuPid(): number;
  /** The first event (already seen or still to come) `pred` accepts; rejects if the build ends first. */
  when(pred: (e: BuildEventLine) => boolean): Promise<BuildEventLine>;
}

/** Starts `vmbench build <args> --json` (CI set, stdin closed) and watches its events, for tests that act mid-build. */
export function watchBuild(args: string[], env: Record<string, string> = {}): WatchedBuild {
  const child = spawnBuild(args, env);
  const seen: BuildEventLine[] = [];
  const ports: number[] = [];
  let qemu = 0;
  const waiters: {pred: (e: BuildEventLine) => boolean; resolve: (e: BuildEventLine) => void}[] = [];
  let buf = '';
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    const lines = buf.split('\n');
    buf = lines.pop()!;
    for (const e of events(lines.join('\n'))) {
      seen.push(e);
      const m = e.type === 'log' ? /QEMU running \(pid (\d+)/.exec(String(e.line)) : null;
      if (m) qemu = Number(m[1]);
      if (e.type === 'info' && (e.key === 'ssh' || e.key === 'vnc' || e.key === 'http')) {
        const p = /:(\d+)/.exec(String(e.value));
        if (p) ports.push(Number(p[1]));
      }
      for (const w of waiters.splice(0)) (w.pred(e) ? w.resolve(e) : waiters.push(w));
    }
  });
  return {
    child,
    events: seen,
    ports,
    qemuPid: () => qemu,
    when: (pred) =>
      new Promise<BuildEventLine>((resolve, reject) => {
        const hit = seen.find(pred);
        if (hit) return resolve(hit);
        waiters.push({pred, resolve});
        void child.then((r) => reject(new Error(`the build ended (exit ${r.exitCode}) before the awaited event:\n${String(r.all).slice(-2000)}`)));
      }),
  };
}

/** A step's `running` event, for watchBuild().when. */
export const stepRunning =
  (id: string) =>
  (e: BuildEventLine): boolean =>
    e.type === 'step' && e.id === id && e.status === 'running';

