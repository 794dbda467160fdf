/**
 * SSH adapter: wait for the guest's sshd, run commands, upload files.
 * The rest of vmbench imports from here only; ssh2 stays an implementation detail.
 */
export {waitForSsh} from './wait-for-ssh.js';
export {SshWaitError} from './wait-error.js';
export {generateKeyPair, publicKeyOf} from './keys.js';
export {hostKeyFingerprint} from './connect-once.js';
export {shellQuote} from './upload.js';
export type {
  ExecOptions,
  ExecResult,
  SshAttemptFailure,
  SshFailureKind,
  SshSession,
  SshTarget,
  WaitForSshOptions,
} from './types.js';
