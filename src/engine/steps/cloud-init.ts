/**
 * cloud-init — uses: state.ssh, profile.cloud_init.wait/timeout, profile.ssh_username.
 * After SSH answers, waits for cloud-init to finish (`cloud-init status --wait --long`): a cloud
 * image's sshd often starts before cloud-init's later stages (packages, runcmd) are done, and
 * provisioning then would race them. A failure is named from cloud-init's own status and its
 * logs (copied to the log folder under cloud-init/). A guest without cloud-init is said, not
 * failed.
 *
 * cloud-clean — uses: profile.cloud_init.clean. Before shutdown, seed 000's clean-up so the
 * image boots as a new instance: `cloud-init clean --logs --seed`, an empty /etc/machine-id,
 * no SSH host keys, empty logs and journal. Runs as root (sudo -n for another user).
 */
import {mkdir, writeFile} from 'node:fs/promises';
import path from 'node:path';
import {cloudInitSucceeded, failureLines, parseCloudInitStatus} from '../../cloud/status.js';
import {formatDuration} from '../../util/duration.js';
import {StepError, type Step, type StepContext} from '../step.js';
import type {BuildState} from '../state.js';
import {sshSession} from './ssh-session.js';

/** Run as root: directly, or through sudo without a password prompt. */
const asRoot = (state: BuildState, command: string): string =>
  state.profile.ssh_username === 'root' ? `sh -c ${quote(command)}` : `sudo -n sh -c ${quote(command)}`;
const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

async function run(ctx: StepContext<BuildState>, command: string, opts: {signal?: AbortSignal; echo?: boolean} = {}): Promise<{code: number | null; out: string[]; err: string[]}> {
  const ssh = await sshSession(ctx, ctx.state.profile.ssh_timeout);
  const out: string[] = [];
  const err: string[] = [];
  const r = await ssh.exec(command, {
    signal: opts.signal ?? ctx.signal,
    onStdout: (l) => {
      out.push(l);
      if (opts.echo && l.trim() && !/^\.+$/.test(l.trim()) && !l.startsWith('vmbench-exit=')) ctx.log('ssh', 'stdout', l);
    },
    onStderr: (l) => {
      err.push(l);
      if (opts.echo) ctx.log('ssh', 'stderr', l);
    },
  });
  if (r.disconnected) throw new StepError(`the SSH connection was lost${r.lostReason ? ` (${r.lostReason})` : ''} while running: ${command.split('\n')[0]}`);
  return {code: r.exitCode, out, err};
}

async function saveLog(ctx: StepContext<BuildState>, name: string, text: string): Promise<string> {
  const dir = path.join(ctx.state.options.logDir, 'cloud-init');
  await mkdir(dir, {recursive: true, mode: 0o700});
  const file = path.join(dir, name);
  await writeFile(file, text, {mode: 0o600});
  return file;
}

export const cloudInitWait: Step<BuildState> = {
  id: 'cloud-init',
  title: 'Wait for cloud-init',
  applies: (state) => state.profile.communicator !== 'none' && state.profile.cloud_init?.wait === true,
  async run(ctx) {
    const {timeout} = ctx.state.profile.cloud_init!;
    const started = Date.now();
    const has = await run(ctx, 'command -v cloud-init >/dev/null 2>&1 && echo yes || echo no');
    if (has.out.join('').trim() !== 'yes') {
      ctx.log('vmbench', 'warn', 'the guest has no cloud-init command: nothing to wait for (its seed was attached all the same)');
      return;
    }
    ctx.log('vmbench', 'info', `waiting for cloud-init to finish (cloud-init status --wait, at most ${formatDuration(timeout)})`);
    const limit = AbortSignal.timeout(timeout);
    const signal = AbortSignal.any([ctx.signal, limit]);
    let status;
    try {
      status = await run(ctx, 'cloud-init status --wait --long 2>&1; echo "vmbench-exit=$?"', {signal, echo: true});
    } catch (err) {
      if (limit.aborted && !ctx.signal.aborted) {
        const now = await run(ctx, 'cloud-init status --long 2>&1').catch(() => undefined);
        throw new StepError(`cloud-init had not finished after ${formatDuration(timeout)} (status: ${parseCloudInitStatus(now?.out.join('\n') ?? '').status})`, 'raise cloud_init.timeout, or look at cloud-init/cloud-init-output.log in the guest for the stage that hangs');
      }
      throw err;
    }
    const text = status.out.filter((l) => !l.startsWith('vmbench-exit=')).join('\n');
    const parsed = parseCloudInitStatus(text);
    const took = formatDuration(Date.now() - started);
    if (cloudInitSucceeded(parsed)) {
      ctx.log('vmbench', 'info', `cloud-init finished: ${parsed.status}${parsed.detail[0] ? ` (${parsed.detail[0]})` : ''}; waited ${took}`);
      for (const w of parsed.warnings) ctx.log('vmbench', 'warn', `cloud-init: ${w}`);
      return;
    }
    // Failed: what cloud-init says, then its logs.
    const logs = await run(ctx, asRoot(ctx.state, 'tail -n 400 /var/log/cloud-init.log; echo "--- vmbench: cloud-init-output.log ---"; tail -n 200 /var/log/cloud-init-output.log') + ' 2>&1').catch(() => undefined);
    const all = logs?.out.join('\n') ?? '';
    const [mainLog = '', outputLog = ''] = all.split('--- vmbench: cloud-init-output.log ---');
    await saveLog(ctx, 'status.txt', `${text}\n`);
    if (mainLog.trim()) await saveLog(ctx, 'cloud-init.log', mainLog.trim() + '\n');
    if (outputLog.trim()) await saveLog(ctx, 'cloud-init-output.log', outputLog.trim() + '\n');
    const lines = [...failureLines(outputLog, 6), ...failureLines(mainLog, 6)];
    for (const l of lines) ctx.log('vmbench', 'error', `cloud-init log: ${l}`);
    const cause = parsed.errors[0] ?? lines.at(-1) ?? `status ${parsed.status}`;
    throw new StepError(
      `cloud-init failed (status: ${parsed.status}): ${cause}`,
      'the user-data in cloud_init is the likely cause: see cloud-init/ in the log folder (status, cloud-init.log, cloud-init-output.log and the seed vmbench wrote)',
    );
  },
};

/** The clean-up, as one shell script (POSIX sh; each part tolerates a guest without it). */
export const CLOUD_CLEAN_SCRIPT = [
  'set -u',
  // cloud-init: its state, logs and seed copies, so the next boot is a first boot.
  'if command -v cloud-init >/dev/null 2>&1; then cloud-init clean --logs --seed && echo "cleaned cloud-init state, logs and seed"; fi',
  // machine-id: empty (not absent) makes systemd create a new one at boot.
  'if [ -f /etc/machine-id ]; then : > /etc/machine-id && echo "emptied /etc/machine-id"; fi',
  'if [ -f /var/lib/dbus/machine-id ] && [ ! -L /var/lib/dbus/machine-id ]; then rm -f /var/lib/dbus/machine-id; fi',
  // SSH host keys: each instance makes its own (cloud-init's ssh module, or sshd-keygen).
  'n=$(ls /etc/ssh/ssh_host_*key* 2>/dev/null | wc -l); rm -f /etc/ssh/ssh_host_*key*; echo "removed $n SSH host key files"',
  // Logs: emptied in place (services keep their open files), journal vacuumed.
  'if command -v journalctl >/dev/null 2>&1; then journalctl --rotate >/dev/null 2>&1; journalctl --vacuum-time=1s >/dev/null 2>&1; fi',
  'find /var/log -type f \\( -name "*.log" -o -name "*.gz" -o -name "*.[0-9]" -o -name wtmp -o -name btmp -o -name lastlog -o -name syslog -o -name messages \\) 2>/dev/null | while read -r f; do case "$f" in *.gz|*.[0-9]) rm -f "$f";; *) : > "$f";; esac; done; echo "emptied /var/log"',
  'rm -f /root/.bash_history; for h in /home/*/.bash_history; do [ -f "$h" ] && rm -f "$h"; done; true',
].join('\n');

export const cloudClean: Step<BuildState> = {
  id: 'cloud-clean',
  title: 'Clean cloud-init state',
  applies: (state) => state.profile.communicator !== 'none' && state.profile.cloud_init?.clean === true,
  async run(ctx) {
    const r = await run(ctx, asRoot(ctx.state, CLOUD_CLEAN_SCRIPT));
    for (const l of r.out) if (l.trim()) ctx.log('vmbench', 'info', l);
    for (const l of r.err) if (l.trim()) ctx.log('ssh', 'stderr', l);
    if (r.code !== 0) {
      const sudo = r.err.some((l) => /sudo:.*password/i.test(l));
      throw new StepError(
        `the clean-up before shutdown failed (exit ${r.code ?? 'unknown'})${sudo ? `: ${ctx.state.profile.ssh_username} may not run sudo without a password` : ''}`,
        sudo ? 'give the user passwordless sudo in the user-data (sudo: ALL=(ALL) NOPASSWD:ALL), or log in as root' : 'see the lines above; set cloud_init.clean: false to skip it',
      );
    }
  },
};
