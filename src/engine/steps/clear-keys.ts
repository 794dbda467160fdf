/**
 * clear-keys — uses: state.sshKey, profile.ssh_clear_authorized_keys. Packer's cleanup of the
 * temporary key (seed 000 does it by hand in its shutdown_command): removes the lines holding
 * this build's public key from ~/.ssh/authorized_keys and /root/.ssh/authorized_keys, so the
 * image does not ship a key nobody owns. Matches the key's base64 body (not sed with the key as
 * a regex: it contains `/` and `+`), and rewrites the file in place to keep its owner and mode.
 * Cleanup: none.
 */
import {shellQuote} from '../../ssh/index.js';
import {StepError, type Step} from '../step.js';
import type {BuildState} from '../state.js';
import {sshSession} from './ssh-session.js';

/** The shell command: prints `removed <n> <file>` for each file that held the key. */
export function clearKeyCommand(publicKey: string, files = ['~/.ssh/authorized_keys', '/root/.ssh/authorized_keys']): string {
  const body = publicKey.trim().split(/\s+/)[1] ?? '';
  if (!/^[A-Za-z0-9+/=]+$/.test(body)) throw new Error('the temporary public key has no base64 body');
  const k = shellQuote(body);
  return [
    // `~` stays unquoted so the guest's shell expands it; our own paths never contain spaces.
    `for f in ${files.join(' ')}; do`,
    `  [ -f "$f" ] || continue`,
    `  n=$(grep -cF ${k} "$f")`,
    `  [ "$n" -gt 0 ] || continue`,
    `  grep -vF ${k} "$f" > "$f.vmbench-tmp"; cat "$f.vmbench-tmp" > "$f" && rm -f "$f.vmbench-tmp" && echo "removed $n $f"`,
    `done 2>&1; true`,
  ].join('\n');
}

export const clearKeys: Step<BuildState> = {
  id: 'clear-keys',
  title: 'Remove temporary SSH key',
  applies: (state) => state.profile.communicator !== 'none',
  async run(ctx) {
    const {profile, sshKey} = ctx.state;
    if (!profile.ssh_clear_authorized_keys || !sshKey) {
      ctx.log('vmbench', 'info', 'ssh_clear_authorized_keys is off: the guest keeps the authorized keys it has');
      return;
    }
    const ssh = await sshSession(ctx, profile.ssh_timeout);
    const removed: string[] = [];
    const r = await ssh.exec(clearKeyCommand(sshKey.publicKey), {
      signal: ctx.signal,
      onStdout: (l) => removed.push(l),
      onStderr: (l) => ctx.log('ssh', 'stderr', l),
    });
    if (r.exitCode === null) throw new StepError('the SSH connection was lost while removing the temporary key');
    // ~ and /root are the same file when logged in as root: count each file once.
    const files = [...new Set(removed.filter((l) => l.startsWith('removed ')))];
    for (const l of files) ctx.log('vmbench', 'info', `${l.replace(/^removed (\d+) /, 'removed $1 line(s) with the temporary key from ')}`);
    if (files.length === 0) ctx.log('vmbench', 'info', 'the temporary key was not in any authorized_keys file');
  },
};
