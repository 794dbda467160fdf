/**
 * Wrap an authenticated ssh2 Client as an {@link SshSession}.
 *
 * How ssh2 1.17 reports the end of a live connection (node_modules/ssh2/lib/client.js), and the
 * `lostReason` we make of it — the first report wins, later ones for the same loss are ignored:
 * - keepalive: 'error' "Keepalive timeout" (level 'client-timeout'), then it destroys the socket
 *   → 'close'. Only keepalive replies (and channel request replies) reset ssh2's count, so a
 *   peer that keeps the TCP connection open but stops answering is caught here;
 * - RST: 'error' ECONNRESET (level 'client-socket') → 'close';
 * - the peer's FIN: 'end' → 'close' (also after a DISCONNECT "by application");
 * - any other DISCONNECT: 'error' with the numeric reason as `code`, then 'end' → 'close'.
 */
import type {Client} from 'ssh2';
import type {LogFn} from '../engine/events.js';
import {formatDuration} from '../util/duration.js';
import {execCommand, type Connection} from './exec.js';
import {uploadContent, type UploadState} from './upload.js';
import {downloadPath, uploadPath} from './transfer.js';
import type {SshSession} from './types.js';

export interface SessionOptions {
  /** `keepaliveIntervalMs × keepaliveCountMax` (0 when keepalives are off), for the lost reason. */
  keepaliveBudgetMs: number;
  /** Run commands in a pseudo-terminal (Packer's ssh_pty). */
  pty?: boolean;
}

/** Why a live connection ended, from one of ssh2's 'error' events. */
export function lostReasonOf(err: Error & {code?: unknown; level?: unknown}, keepaliveBudgetMs: number): string {
  if (err.message === 'Keepalive timeout') {
    // "15s" rather than formatDuration's "15.0s" for the usual whole seconds.
    const budget = keepaliveBudgetMs >= 1000 && keepaliveBudgetMs % 1000 === 0 ? `${keepaliveBudgetMs / 1000}s` : formatDuration(keepaliveBudgetMs);
    return `keepalive: no answer for ${budget}`;
  }
  if (err.code === 'ECONNRESET' || err.code === 'EPIPE') return 'connection reset';
  if (typeof err.code === 'number') return `server disconnected: ${err.message}`;
  if (typeof err.code === 'string') return `connection error: ${err.message}`;
  return err.message;
}

/** `label` is "user@host:port", used in log lines only. */
export function createSession(client: Client, label: string, log: LogFn, opts: SessionOptions = {keepaliveBudgetMs: 0}): SshSession {
  let isClosed = false;
  let closing = false;
  let lostReason: string | undefined;
  let resolveClosed!: () => void;
  const closed = new Promise<void>((resolve) => {
    resolveClosed = resolve;
  });
  const markClosed = (reason: string) => {
    if (isClosed) return;
    isClosed = true;
    if (closing) {
      log('debug', `SSH connection to ${label} closed`);
    } else {
      lostReason = reason;
      log('warn', `SSH connection to ${label} lost: ${reason}`);
    }
    resolveClosed();
  };
  // Every error ssh2 emits after 'ready' (socket error, server DISCONNECT, keepalive timeout,
  // protocol error) is followed by the socket closing, so an error means the session is over.
  client.on('error', (err) => {
    log('debug', `SSH connection to ${label}: ${err.message}`);
    markClosed(lostReasonOf(err, opts.keepaliveBudgetMs));
  });
  // 'end' (peer closed its side) comes before 'close' and before ssh2 fails the open channels,
  // so exec can tell a dropped connection from a normal channel close.
  client.on('end', () => markClosed('server closed the connection'));
  client.on('close', () => markClosed('connection closed'));

  const conn: Connection = {client, isClosed: () => isClosed, lostReason: () => lostReason, pty: opts.pty};
  const uploadState: UploadState = {sftpMissing: false};

  return {
    exec: (command, opts) => execCommand(conn, command, opts),
    upload: (content, remotePath, opts) => uploadContent(conn, uploadState, log, content, remotePath, opts),
    uploadPath: (localPath, remotePath, opts) => uploadPath(conn, uploadState, log, localPath, remotePath, opts),
    downloadPath: (remotePath, localPath, opts) => downloadPath(conn, uploadState, log, remotePath, localPath, opts),
    close() {
      if (closing) return;
      closing = true;
      // end() sends DISCONNECT then ends the socket; destroy() is the fallback if it lingers.
      client.end();
      const timer = setTimeout(() => client.destroy(), 2000);
      timer.unref();
      void closed.then(() => clearTimeout(timer));
    },
    closed,
    get lostReason() {
      return lostReason;
    },
  };
}
