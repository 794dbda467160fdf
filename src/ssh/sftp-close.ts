/**
 * Closing an SFTP channel properly: dropbear answers an exec on the next channel with "Unable
 * to exec" while the SFTP channel is still closing, so callers wait for 'close' (bounded).
 */
import type {SFTPWrapper} from 'ssh2';

/** SFTP channels that have closed (so nobody waits for their 'close' again). */
const closedSftp = new WeakSet<SFTPWrapper>();

/** Remembers when the channel closes, so nobody waits for its 'close' again. */
export function markClosedOnClose(sftp: SFTPWrapper): void {
  sftp.once('close', () => closedSftp.add(sftp));
}

/**
 * Ends the SFTP channel and waits for it to close: dropbear answers an exec on the next channel
 * with "Unable to exec" while the SFTP channel is still closing (seen with the tiny guest).
 */
export function endAndWaitClosed(s: SFTPWrapper, timeoutMs = 2000): Promise<void> {
  if (closedSftp.has(s)) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    s.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
    s.end();
  });
}
