/**
 * Stopping a shell provisioner's command on the guest (a timeout, Ctrl-C). An SSH signal reaches
 * only the session's shell — dropbear and OpenSSH deliver it to that one process — so what the
 * script started (a `sleep`, a package manager) would live on, orphaned. Instead, before the
 * channel is closed, a second command finds every process whose command line holds the
 * uploaded script's unique path, adds their descendants (through /proc's parent pids), and
 * sends them SIGTERM, then SIGKILL a second later. Plain POSIX sh with shell built-ins and tr,
 * so busybox guests run it too. The path is never written whole in the command (not even to
 * remove the script), so the stopping shell does not find itself.
 */
import {shellQuote} from '../../../ssh/index.js';

/**
 * The guest command that stops everything running `remotePath` and prints the pids it signalled;
 * with `remove`, it deletes the script afterwards.
 */
export function guestStopCommand(remotePath: string, opts: {remove?: boolean} = {}): string {
  const cut = Math.max(1, remotePath.length - 3);
  const [head, tail] = [remotePath.slice(0, cut), remotePath.slice(cut)];
  return [
    `p=${shellQuote(head)}; p="$p"${shellQuote(tail)}`,
    'all=""',
    // cmdline separates arguments with NULs, which busybox's grep stops at: tr them first.
    `for d in /proc/[0-9]*; do case "$(tr '\\0' ' ' < "$d/cmdline" 2>/dev/null)" in *"$p"*) all="$all \${d#/proc/}";; esac; done`,
    'if [ -n "$all" ]; then',
    '  more=1',
    '  while [ "$more" = 1 ]; do more=0',
    '    for d in /proc/[0-9]*; do',
    '      pid=${d#/proc/}',
    '      case " $all " in *" $pid "*) continue;; esac',
    '      { read -r st < "$d/stat"; } 2>/dev/null || continue',
    '      set -- ${st##*) }',
    '      case " $all " in *" $2 "*) all="$all $pid"; more=1;; esac',
    '    done',
    '  done',
    '  kill -TERM $all 2>/dev/null; sleep 1; kill -KILL $all 2>/dev/null',
    '  echo $all',
    'fi',
    ...(opts.remove ? ['rm -f "$p"'] : []),
  ].join('\n');
}
