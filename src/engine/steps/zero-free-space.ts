/**
 * zero-free-space — uses: state.ssh, profile.zero_free_space. What seed 002's zero_freespace
 * section does by hand before shutdown, built in: for each writable local file system of the
 * guest (one mount per device), fill its free space with a file of zeros, sync, delete it — or,
 * when the disk passes discards through (disk_discard: unmap), fstrim it instead, which frees
 * the blocks in the image at once. The disk then holds zeros where deleted data was, and qemu-img convert
 * leaves zero clusters out of the image (and of every --also copy). "No space left on device"
 * is the expected end of each dd, not an error. Runs as root (sudo -n for another user). Its
 * output is a provisioning section, zero_free_space. Cleanup: none — a step stopped part-way
 * fails the build (its disk is discarded), and a retry's dd overwrites the same zero file.
 */
import {StepError, type Step} from '../step.js';
import type {BuildState} from '../state.js';
import {sshSession} from './ssh-session.js';

const ZERO_FILE = '.vmbench-zero';
const FS_TYPES = 'ext2|ext3|ext4|xfs|btrfs|f2fs|jfs|reiserfs|vfat|exfat|nilfs2';

/**
 * The guest's shell script (POSIX sh, busybox too): prints `trimmed <mount>` or `zeroed <mount>
 * <MiB>` for each file system. With `trim` (the disk passes discards through: disk_discard
 * unmap), fstrim frees a file system's unused blocks in the image at once, and only a file
 * system fstrim cannot trim is filled with zeros — under emulation every zero written costs time.
 */
export function zeroScript(trim: boolean): string {
  return [
    'set -u',
    `mounts=$(awk '$4 ~ /(^|,)rw(,|$)/ && $3 ~ /^(${FS_TYPES})$/ && !seen[$1]++ {print $2}' /proc/mounts)`,
    'for m in $mounts; do',
    ...(trim ? ['  if command -v fstrim >/dev/null 2>&1 && fstrim "$m" >/dev/null 2>&1; then echo "trimmed $m"; continue; fi'] : []),
    `  f="\${m%/}/${ZERO_FILE}"`,
    '  dd if=/dev/zero of="$f" bs=1M 2>/dev/null || true',
    '  n=$(wc -c < "$f" 2>/dev/null || echo 0)',
    '  sync; rm -f "$f"; sync',
    '  echo "zeroed $m $((n / 1048576)) MiB"',
    'done',
    'true',
  ].join('\n');
}

const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
const asRoot = (state: BuildState, command: string): string =>
  state.profile.ssh_username === 'root' ? `sh -c ${quote(command)}` : `sudo -n sh -c ${quote(command)}`;

export const zeroFreeSpace: Step<BuildState> = {
  id: 'zero-free-space',
  title: 'Zero free space',
  applies: (state) => state.profile.zero_free_space && state.profile.communicator !== 'none',
  async run(ctx) {
    const {state} = ctx;
    const ssh = await sshSession(ctx, state.profile.ssh_timeout);
    const err: string[] = [];
    let zeroed = 0;
    const trimmed: string[] = [];
    ctx.log('provisioner', 'stdout', 'BEGIN{zero_free_space}');
    const r = await ssh.exec(asRoot(state, zeroScript(state.profile.disk_discard === 'unmap')), {
      signal: ctx.signal,
      onStdout: (l) => {
        const m = /^zeroed (\S+) (\d+) MiB$/.exec(l);
        if (m) zeroed += Number(m[2]);
        if (l.startsWith('trimmed ')) trimmed.push(l.slice(8));
        ctx.log('provisioner', 'stdout', l);
      },
      onStderr: (l) => {
        err.push(l);
        ctx.log('provisioner', 'stderr', l);
      },
    });
    ctx.log('provisioner', 'stdout', 'END{zero_free_space}');
    if (r.disconnected) throw new StepError('the SSH connection was lost while zeroing free space');
    if (r.exitCode !== 0) {
      const sudo = err.some((l) => /sudo:.*password/i.test(l));
      throw new StepError(`zeroing free space failed (exit ${r.exitCode ?? 'unknown'})${sudo ? `: ${state.profile.ssh_username} may not run sudo without a password` : ''}`, 'see the zero_free_space section; set zero_free_space: false to skip it');
    }
    ctx.log('vmbench', 'info', `${trimmed.length ? `trimmed ${trimmed.join(', ')} (the disk passes discards through); ` : ''}zeroed ${zeroed} MiB of free space; the conversion leaves it out of the image`);
  },
};
