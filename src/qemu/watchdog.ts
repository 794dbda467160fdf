/**
 * A build's watchdog: a tiny `sh` started detached (its own session, so the terminal's signals
 * miss it) whose stdin is a pipe from vmbench. The kernel closes that pipe when vmbench dies,
 * however it dies (SIGKILL, OOM killer, a crash), so end-of-file without a word first means
 * "the owner is gone": the watchdog then kills the build's QEMUs (each checked against its
 * command line, so a reused PID is never hit) unless the run directory's record says `kept`, and
 * removes the build's temporary folders.
 *
 * vmbench says `bye` when the build ended and everything was cleaned up (or when it killed QEMU
 * itself: the second Ctrl-C), and `keep` when the user chose to keep the VM — both end the
 * watchdog, which therefore never outlives its build by more than the owner's exit.
 *
 * Why this shape: `setpriv --pdeathsig` cannot work with keep (the owner exits while the kept VM
 * must live on); polling the owner's PID wakes up for nothing and can be fooled by PID reuse, a
 * pipe's end-of-file is immediate and exact. Why sh and not node: ~1 MB instead of ~40 MB and a
 * few ms to start, on hosts that run several TCG builds side by side; its part is small
 * (read lines, check /proc, kill, rm). libuv opens the pipe close-on-exec, so QEMU (started
 * later) does not inherit its write end — which would keep the watchdog from ever seeing EOF.
 *
 * Host-side processes (shell-local, ansible-playbook, qemu-img conversions, virt-sparsify) are
 * watched too: `proc PID STARTTIME GROUP`. The start time (field 22 of /proc/PID/stat, read when
 * the process was started) proves the PID still names that process; GROUP 1 means it leads its
 * own process group, which is killed whole. A command that already ended is not looked for any
 * further: a background job it left behind after a normal exit is left alone, as in Packer.
 *
 * Lines it reads: `qemu PID MARKER`, `proc PID STARTTIME GROUP`, `dir PATH`, `keep`, `bye`.
 */
import {AsyncLocalStorage} from 'node:async_hooks';
import {spawn, type ChildProcess} from 'node:child_process';
import {readFileSync} from 'node:fs';
import {mkdtemp} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/** The watchdog's program (POSIX sh; `$1` is the run directory of the QEMU records). */
export const WATCHDOG_SCRIPT = `
qemus=''
procs=''
dirs=''
while read -r verb arg; do
  case $verb in
    keep|bye) exit 0 ;;
    qemu) qemus="$qemus$arg
" ;;
    proc) procs="$procs$arg
" ;;
    dir) dirs="$dirs$arg
" ;;
  esac
done
# End of file without keep or bye: the vmbench that started us is gone.
printf '%s' "$qemus" | while IFS= read -r q; do
  [ -n "$q" ] || continue
  pid=\${q%% *}
  marker=\${q#* }
  rec="$1/qemu-$pid.json"
  if [ -f "$rec" ] && grep -q '"kept": *true' "$rec"; then continue; fi
  cmd=$(tr '\\000' ' ' < "/proc/$pid/cmdline" 2>/dev/null) || continue
  case $cmd in
    *"$marker"*) kill -9 "-$pid" 2>/dev/null || kill -9 "$pid" 2>/dev/null; rm -f "$rec" ;;
  esac
done
printf '%s' "$procs" | while IFS=' ' read -r pid start group; do
  [ -n "$pid" ] || continue
  st=$(cat "/proc/$pid/stat" 2>/dev/null) || continue
  set -- \${st##*) }
  [ "\${20}" = "$start" ] || continue
  [ "$group" = 1 ] && kill -9 "-$pid" 2>/dev/null
  kill -9 "$pid" 2>/dev/null
done
printf '%s' "$dirs" | while IFS= read -r d; do
  [ -n "$d" ] && rm -rf -- "$d"
done
exit 0
`;

const current = new AsyncLocalStorage<Watchdog>();

/** The watchdog of the build whose code is running now (QEMUs started from it report to it). */
export function currentWatchdog(): Watchdog | undefined {
  return current.getStore();
}

/** Field 22 of /proc/PID/stat (the start time in clock ticks since boot), or undefined. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces or ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/**
 * A host-side process of the running build (`group`: it leads its own process group, started
 * detached), killed by the build's watchdog should vmbench die while it runs. No-op outside a
 * build or without a PID.
 */
export function watchProcess(pid: number | undefined, group: boolean): void {
  if (pid !== undefined) currentWatchdog()?.watchProcess(pid, group);
}

/**
 * A private temporary folder (mkdtemp: 0700) in the system's temp folder, removed by the running
 * build's watchdog should vmbench die before its own clean-up removes it — these hold key copies,
 * credentials, answer files. Outside a build (no watchdog) it is a plain mkdtemp.
 */
export async function watchedTempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  currentWatchdog()?.watchDir(dir);
  return dir;
}

export class Watchdog {
  private readonly child: ChildProcess;
  private ended = false;
  private readonly qemus = new Set<number>();
  private readonly dirs = new Set<string>();
  private readonly procs = new Set<number>();

  /** Start one; `runDir` is where the QEMU records are (reaper.ts). Never throws. */
  constructor(runDir: string) {
    this.child = spawn('sh', ['-c', WATCHDOG_SCRIPT, 'vmbench-watchdog', runDir], {detached: true, stdio: ['pipe', 'ignore', 'ignore']});
    // Neither the watchdog nor its pipe may keep vmbench alive.
    this.child.on('error', () => (this.ended = true));
    this.child.stdin?.on('error', () => (this.ended = true));
    this.child.unref();
    (this.child.stdin as unknown as {unref?: () => void} | null)?.unref?.();
  }

  /** The watchdog's PID (undefined if it could not start). */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Run `fn` (a build) so that every QEMU it starts is watched by this watchdog. */
  run<T>(fn: () => T): T {
    return current.run(this, fn);
  }

  private send(line: string): void {
    if (this.ended || !this.child.stdin?.writable) return;
    // Pipes are written synchronously by libuv while the (64 KiB) buffer has room: a line is
    // in the kernel before `process.exit` could lose it.
    this.child.stdin.write(`${line}\n`);
  }

  /** Kill this QEMU (checked by its marker) if vmbench dies; once per PID. */
  watchQemu(pid: number, marker: string): void {
    if (this.qemus.has(pid) || /[\n\r]/.test(marker)) return;
    this.qemus.add(pid);
    this.send(`qemu ${pid} ${marker}`);
  }

  /** Kill this host-side process (and its group when it leads one) if vmbench dies while it runs. */
  watchProcess(pid: number, group: boolean): void {
    if (this.procs.has(pid)) return;
    const start = processStartTime(pid);
    if (start === undefined || !/^\d+$/.test(start)) return;
    this.procs.add(pid);
    this.send(`proc ${pid} ${start} ${group ? 1 : 0}`);
  }

  /** Remove this temporary folder if vmbench dies; once per path. */
  watchDir(dir: string): void {
    if (this.dirs.has(dir) || /[\n\r]/.test(dir) || !dir.startsWith('/')) return;
    this.dirs.add(dir);
    this.send(`dir ${dir}`);
  }

  private end(word: 'keep' | 'bye'): void {
    this.send(word);
    this.ended = true;
    this.child.stdin?.end();
  }

  /** The build ended and cleaned up after itself (or killed its QEMU itself): nothing to do. */
  release(): void {
    this.end('bye');
  }

  /** The user keeps the VM and its files: leave everything as it is. */
  keep(): void {
    this.end('keep');
  }
}
