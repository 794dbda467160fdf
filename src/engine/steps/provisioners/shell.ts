/**
 * The shell provisioner (Packer's `shell`): uploads each script, runs it with execute_command,
 * streams its output as provisioner log lines, checks the exit code. Scripts are removed from the
 * guest as soon as they ran.
 */
import {randomBytes} from 'node:crypto';
import {readFile} from 'node:fs/promises';
import path from 'node:path';
import {renderTemplate} from '../../../profiles/template.js';
import {shellQuote, type SshSession} from '../../../ssh/index.js';
import type {ShellProvisioner} from '../../../profiles/schema.js';
import {StepError, type StepContext} from '../../step.js';
import {dropSession, sshSession} from '../ssh-session.js';
import {guestStopCommand} from './guest-stop.js';

/** How long stopping a script on the guest may take before the channel is closed anyway. */
const STOP_TIMEOUT_MS = 10_000;
import type {BuildState} from '../../state.js';


/** Packer's environment for shell provisioners, plus the user's environment_vars. */
export function envVars(state: BuildState, p: ShellProvisioner): string {
  const vars = [`PACKER_BUILD_NAME=${state.profile.name}`, 'PACKER_BUILDER_TYPE=qemu', `VMBENCH_BUILD_ID=${state.id}`, ...p.environment_vars];
  return vars
    .map((v) => {
      const eq = v.indexOf('=');
      return eq < 0 ? `${v}=''` : `${v.slice(0, eq)}=${shellQuote(v.slice(eq + 1))}`;
    })
    .join(' ');
}

async function scriptsOf(ctx: StepContext<BuildState>, p: ShellProvisioner): Promise<{name: string; body: string}[]> {
  if (p.inline.length) return [{name: p.name ?? 'inline', body: `#!${p.inline_shebang || '/bin/sh -e'}\n${p.inline.join('\n')}\n`}];
  const files = p.script ? [p.script] : p.scripts;
  return Promise.all(
    files.map(async (f) => {
      const file = path.resolve(ctx.state.profileDir, f);
      try {
        return {name: p.name ?? path.basename(f), body: await readFile(file, 'utf8')};
      } catch (err) {
        throw new StepError(`${p.source}: script ${file}: ${(err as Error).message}`);
      }
    }),
  );
}

/** Ends what runs `remote` on the guest (see guest-stop.ts), within a few seconds, and removes the script. */
async function stopOnGuest(ctx: StepContext<BuildState>, ssh: SshSession, remote: string, name: string): Promise<void> {
  let pids = '';
  const r = await ssh
    .exec(guestStopCommand(remote, {remove: true}), {signal: AbortSignal.timeout(STOP_TIMEOUT_MS), onStdout: (l) => (pids += ` ${l}`), onStderr: (l) => ctx.log('vmbench', 'debug', `${name}: stopping: ${l}`)})
    .catch((err: Error) => err);
  if (r instanceof Error || r.exitCode !== 0) ctx.log('vmbench', 'warn', `${name}: could not stop it on the guest: ${r instanceof Error ? r.message : `exit ${r.exitCode ?? r.signal ?? 'unknown'}${r.disconnected ? ', the connection was lost' : ''}`}`);
  else ctx.log('vmbench', 'info', pids.trim() ? `${name}: stopped it on the guest (processes${pids.trimEnd()})` : `${name}: nothing of it was still running on the guest`);
}

/** Runs one shell provisioner (all its scripts, in order). */
export async function runShell(ctx: StepContext<BuildState>, p: ShellProvisioner): Promise<void> {
  for (const script of await scriptsOf(ctx, p)) {
    const ssh = await sshSession(ctx, p.start_retry_timeout);
    const remote = `${p.remote_folder.replace(/\/$/, '')}/script_${randomBytes(4).toString('hex')}.sh`;
    const how = await ssh.upload(script.body, remote, {mode: 0o755});
    ctx.log('vmbench', 'info', `uploaded ${script.name} to ${remote} (${how.method})`);
    const command = renderTemplate(p.execute_command, {fields: {Vars: envVars(ctx.state, p), Path: remote}});
    ctx.log('vmbench', 'info', `provisioning with shell script ${script.name}`);
    const started = Date.now();
    // Stopped (a timeout, Ctrl-C): first everything the script started on the guest, then the channel.
    if (ctx.signal.aborted) throw ctx.signal.reason;
    const stop = new AbortController();
    let stopping: Promise<void> | undefined;
    const onAbort = (): void => void (stopping = stopOnGuest(ctx, ssh, remote, script.name).finally(() => stop.abort(ctx.signal.reason)));
    ctx.signal.addEventListener('abort', onAbort, {once: true});
    const r = await ssh
      .exec(command, {
        signal: stop.signal,
        onStdout: (l) => ctx.log('provisioner', 'stdout', l),
        onStderr: (l) => ctx.log('provisioner', 'stderr', l),
      })
      .catch((err: unknown) => {
        if (stopping) return undefined;
        throw err;
      })
      .finally(() => ctx.signal.removeEventListener('abort', onAbort));
    // Being stopped, the command ends (killed) before the stopping does: the session stays until both are done.
    if (stopping || !r) {
      await stopping;
      throw ctx.signal.reason;
    }
    const took = `${((Date.now() - started) / 1000).toFixed(1)}s`;
    // Sections the script left open: incomplete, and the innermost failed when the script failed.
    const lost = r.exitCode === null && !p.expect_disconnect;
    const openPath = ctx.state.sections?.parser.openPath ?? [];
    const inSection = openPath.length ? ` in section ${openPath.join('/')}` : '';
    ctx.state.sections?.scriptEnded(script.name, lost ? -1 : r.exitCode === null || p.valid_exit_codes.includes(r.exitCode) ? 0 : r.exitCode);
    if (r.disconnected || r.exitCode === null) {
      dropSession(ctx);
      if (p.expect_disconnect) {
        ctx.log('vmbench', 'info', `${script.name}: connection closed as expected after ${took}; the next step reconnects`);
        continue;
      }
      const why = r.disconnected ? `the SSH connection was lost${r.lostReason ? ` (${r.lostReason})` : ''}` : `it ended without an exit status${r.signal ? ` (killed by ${r.signal})` : ''}`;
      throw new StepError(`${script.name}: ${why}${inSection} after ${took}, before the script finished`, 'set expect_disconnect: true if the script reboots the guest');
    }
    if (!p.valid_exit_codes.includes(r.exitCode)) {
      throw new StepError(`${script.name} exited with code ${r.exitCode}${inSection} after ${took} (valid: ${p.valid_exit_codes.join(', ')})`, `the script's last output lines are above; it is defined at ${p.source}`);
    }
    ctx.log('vmbench', 'info', `${script.name}: exit ${r.exitCode} after ${took}`);
    await ssh.exec(`rm -f ${shellQuote(remote)}`, {signal: ctx.signal}).catch(() => undefined);
  }
}
