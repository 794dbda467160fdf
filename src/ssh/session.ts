/**
 * Wrap an authenticated ssh2 Client as an {@link SshSession}.
 */
import type {Client} from 'ssh2';
import type {LogFn} from '../engine/events.js';
import {execCommand, type Connection} from './exec.js';
import {uploadContent, type UploadState} from './upload.js';
import type {SshSession} from './types.js';

/** `label` is "user@host:port", used in log lines only. */
export function createSession(client: Client, label: string, log: LogFn): SshSession {
  let isClosed = false;
  let closing = false;
  let resolveClosed!: () => void;
  const closed = new Promise<void>((resolve) => {
    resolveClosed = resolve;
  });
  const markClosed = () => {
    if (isClosed) return;
    isClosed = true;
    log(closing ? 'debug' : 'warn', closing ? `SSH connection to ${label} closed` : `SSH connection to ${label} lost`);
    resolveClosed();
  };
  // Every error ssh2 emits after 'ready' (socket error, server DISCONNECT, keepalive timeout,
  // protocol error) is followed by the socket closing, so an error means the session is over.
  client.on('error', (err) => {
    log(closing ? 'debug' : 'warn', `SSH connection to ${label}: ${err.message}`);
    markClosed();
  });
  // 'end' (peer closed its side) comes before 'close' and before ssh2 fails the open channels,
  // so exec can tell a dropped connection from a normal channel close.
  client.on('end', markClosed);
  client.on('close', markClosed);

  const conn: Connection = {client, isClosed: () => isClosed};
  const uploadState: UploadState = {sftpMissing: false};

  return {
    exec: (command, opts) => execCommand(conn, command, opts),
    upload: (content, remotePath, opts) => uploadContent(conn, uploadState, log, content, remotePath, opts),
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
  };
}
