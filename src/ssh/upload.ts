/**
 * Upload bytes to the guest: SFTP when the server has the subsystem, else `cat > path` over exec.
 *
 * Minimal guests (dropbear, busybox images) often lack sftp-server. ssh2 reports that as
 * 'Unable to start subsystem: sftp' when the server refuses the request (client.js reqSubsystem),
 * or 'Received exit code N while establishing SFTP session' when sshd accepts it but the
 * configured sftp-server binary is missing (client.js sftp() onExit). Other SFTP errors
 * (permission denied, no such directory) are real and are not papered over by the fallback.
 */
import {endAndWaitClosed} from './sftp-close.js';
import type {SFTPWrapper} from 'ssh2';
import {execCommand, type Connection} from './exec.js';
import type {LogFn} from '../engine/events.js';

/** Per-connection memory: after one refusal, skip SFTP for the rest of the session. */
export interface UploadState {
  sftpMissing: boolean;
}

/** Quote for a POSIX shell: the only character special inside '…' is ' itself. */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

function isMissingSftp(err: Error): boolean {
  return /Unable to start subsystem: sftp|while establishing SFTP session|unexpected SFTP session termination/i.test(err.message);
}

function openSftp(conn: Connection): Promise<SFTPWrapper> {
  return new Promise((resolve, reject) => {
    try {
      conn.client.sftp((err, sftp) => (err ? reject(err) : resolve(sftp)));
    } catch (err) {
      reject(err instanceof Error ? err : new Error(String(err))); // 'Not connected'
    }
  });
}

function sftpCall(fn: (cb: (err?: Error | null) => void) => void): Promise<void> {
  return new Promise((resolve, reject) => fn((err) => (err ? reject(err) : resolve())));
}

/** See {@link SshSession.upload}. */
export async function uploadContent(
  conn: Connection,
  state: UploadState,
  log: LogFn,
  content: string | Buffer,
  remotePath: string,
  opts: {mode?: number} = {},
): Promise<{method: 'sftp' | 'exec'}> {
  const data = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
  if (opts.mode !== undefined && !(Number.isInteger(opts.mode) && opts.mode >= 0 && opts.mode <= 0o7777)) {
    throw new Error(`invalid file mode ${opts.mode} for ${remotePath}`);
  }
  if (!state.sftpMissing) {
    let sftp: SFTPWrapper | undefined;
    try {
      sftp = await openSftp(conn);
    } catch (err) {
      const e = err instanceof Error ? err : new Error(String(err));
      if (!isMissingSftp(e)) throw new Error(`SFTP upload to ${remotePath} failed: ${e.message}`);
      state.sftpMissing = true;
      log('info', `server has no SFTP (${e.message}); uploading with exec cat instead`);
    }
    if (sftp) {
      const s = sftp;
      try {
        // writeFile = OPEN(write|create|truncate, mode) + WRITEs in server-sized pieces + CLOSE.
        await sftpCall((cb) => s.writeFile(remotePath, data, opts.mode === undefined ? {} : {mode: opts.mode}, cb));
        // The OPEN mode only applies to a new file and passes through the server's umask.
        if (opts.mode !== undefined) await sftpCall((cb) => s.chmod(remotePath, opts.mode!, cb));
      } catch (err) {
        throw new Error(`SFTP upload to ${remotePath} failed: ${err instanceof Error ? err.message : String(err)}`);
      } finally {
        // Wait for the channel to close: dropbear answers an exec on the next channel with
        // "Unable to exec" while the SFTP channel is still closing (seen with the tiny guest).
        await endAndWaitClosed(s);
      }
      log('debug', `uploaded ${data.length} bytes to ${remotePath} via SFTP`);
      return {method: 'sftp'};
    }
  }
  return uploadViaExec(conn, log, data, remotePath, opts.mode);
}

async function uploadViaExec(conn: Connection, log: LogFn, data: Buffer, remotePath: string, mode: number | undefined): Promise<{method: 'exec'}> {
  const target = shellQuote(remotePath);
  let command = `cat > ${target}`;
  if (mode !== undefined) command += ` && chmod ${mode.toString(8).padStart(4, '0')} ${target}`;
  const stderr: string[] = [];
  const result = await execCommand(conn, command, {stdin: data, onStderr: (line) => stderr.push(line)});
  if (result.exitCode !== 0) {
    const status = result.disconnected
      ? `connection lost${result.lostReason ? `: ${result.lostReason}` : ''}`
      : result.exitCode === null ? 'no exit status' : `exit ${result.exitCode}`;
    const detail = stderr.length ? `: ${stderr.slice(-3).join(' / ')}` : '';
    throw new Error(`upload to ${remotePath} via exec cat failed (${status})${detail}`);
  }
  log('debug', `uploaded ${data.length} bytes to ${remotePath} via exec cat`);
  return {method: 'exec'};
}
