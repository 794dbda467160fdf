/**
 * Run one command over an open connection and stream its output as lines.
 *
 * ssh2 facts this relies on (node_modules/ssh2/lib):
 * - Both stdout and stderr must be read: they share the channel's window, and an unread stream
 *   stops ssh2 from sending WINDOW_ADJUST, so the remote command stalls (Channel.js _read).
 * - The channel's 'close' fires only after stdout has ended (utils.js onCHANNEL_CLOSE waits for
 *   'end'), and stderr gets its own 'close'; Channel streams use emitClose:false, so each fires once.
 * - 'exit' carries (code) for exit-status or (null, 'SIG…') for exit-signal (client.js
 *   CHANNEL_REQUEST); a server may send neither — then the exit code stays null.
 * - On a dropped connection the client emits 'close' first and then closes every channel
 *   (ChannelManager.cleanup), so "connection gone" is already known when the channel closes.
 */
import type {Client, ClientChannel} from 'ssh2';
import {LineSplitter} from '../util/lines.js';
import type {ExecOptions, ExecResult} from './types.js';

/** The bits of a session that exec needs. */
export interface Connection {
  readonly client: Client;
  isClosed(): boolean;
  /** Why the connection was lost (undefined while alive or when we closed it). */
  lostReason(): string | undefined;
  /** Run every command in a pseudo-terminal (Packer's ssh_pty): stderr then arrives in stdout. */
  readonly pty?: boolean;
}

/** The result for a command cut off by the connection ending. */
function disconnectedResult(conn: Connection, exitCode: number | null = null, signal?: string): ExecResult {
  const result: ExecResult = signal === undefined ? {exitCode, disconnected: true} : {exitCode, signal, disconnected: true};
  const reason = conn.lostReason();
  if (reason !== undefined) result.lostReason = reason;
  return result;
}

const noop = () => {};

/** An Error with name 'AbortError', like fetch and execa use. */
export function abortError(what: string): Error {
  const err = new Error(`${what} aborted`);
  err.name = 'AbortError';
  return err;
}

/** See {@link SshSession.exec}. */
export function execCommand(conn: Connection, command: string, opts: ExecOptions = {}): Promise<ExecResult> {
  const {signal} = opts;
  return new Promise<ExecResult>((resolve, reject) => {
    if (signal?.aborted) return reject(abortError('SSH command'));
    if (conn.isClosed()) return resolve(disconnectedResult(conn));

    let channel: ClientChannel | undefined;
    let done = false;
    const finish = (settle: () => void) => {
      if (done) return;
      done = true;
      signal?.removeEventListener('abort', onAbort);
      settle();
    };
    const onAbort = () => {
      if (channel) {
        sendSignal(channel, 'TERM');
        channel.close();
      }
      finish(() => reject(abortError('SSH command')));
    };
    signal?.addEventListener('abort', onAbort, {once: true});

    const onChannel = (err: Error | undefined, ch: ClientChannel) => {
      if (err) {
        // Also how a dropped connection reaches a channel that was still opening.
        finish(() => (conn.isClosed() ? resolve(disconnectedResult(conn)) : reject(new Error(`SSH exec failed to start: ${err.message}`))));
        return;
      }
      if (done) {
        // Aborted while the channel was opening: the server may already have started the command.
        sendSignal(ch, 'TERM');
        ch.close();
        return;
      }
      channel = ch;
      const out = new LineSplitter(opts.onStdout ?? noop);
      const errOut = new LineSplitter(opts.onStderr ?? noop);
      let exitCode: number | null = null;
      let exitSignal: string | undefined;
      let open = 2; // stdout 'close' + stderr 'close'
      const onStreamClosed = () => {
        if (--open > 0) return;
        out.flush();
        errOut.flush();
        if (conn.isClosed()) return finish(() => resolve(disconnectedResult(conn, exitCode, exitSignal)));
        finish(() => resolve(exitSignal === undefined ? {exitCode, disconnected: false} : {exitCode, signal: exitSignal, disconnected: false}));
      };
      ch.on('data', (chunk: Buffer) => out.push(chunk));
      ch.stderr.on('data', (chunk: Buffer) => errOut.push(chunk));
      ch.on('exit', (code: number | null, sig?: string) => {
        if (typeof code === 'number') exitCode = code;
        else if (typeof sig === 'string') exitSignal = sig;
      });
      ch.once('close', onStreamClosed);
      ch.stderr.once('close', onStreamClosed);
      // Like Go's x/crypto/ssh with a nil Stdin: send EOF right away so a command that reads
      // stdin (apt, read, cat) does not wait forever.
      if (opts.stdin === undefined) ch.end();
      else ch.end(opts.stdin);
    };

    try {
      if (conn.pty) conn.client.exec(command, {pty: true}, onChannel);
      else conn.client.exec(command, onChannel);
    } catch {
      // client.exec() throws 'Not connected' once the socket is no longer writable.
      finish(() => resolve(disconnectedResult(conn)));
    }
  });
}

/**
 * Ask the server to signal the remote command. ssh2's Channel.signal() refuses once our side of
 * the channel is ended (writable false, state 'eof'), which it always is after stdin was sent, yet
 * RFC 4254 §6.9 allows the request at any time and OpenSSH ≥ 7.9 delivers it. So go one level
 * down when the public method would silently do nothing. Best effort: sshd does not kill a
 * non-pty command when its channel closes, so without this the command would keep running.
 */
function sendSignal(ch: ClientChannel, name: string): void {
  const internal = ch as unknown as {
    outgoing?: {id?: number; state?: string};
    _client?: {_protocol?: {signal?: (id: number, name: string) => void}};
  };
  try {
    const id = internal.outgoing?.id;
    const protocol = internal._client?._protocol;
    if (internal.outgoing?.state === 'eof' && typeof id === 'number' && typeof protocol?.signal === 'function') {
      protocol.signal(id, name);
    } else {
      ch.signal(name);
    }
  } catch {
    // The connection may already be gone; closing the channel below is all we can do.
  }
}
