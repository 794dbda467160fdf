/**
 * The user's own ed25519 key pair (optional step of setup), made with src/ssh/keys.ts. An
 * existing key is never overwritten: the files are created with O_EXCL, so even a key that
 * appears between the check and the write is left alone.
 */
import {existsSync, mkdirSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {generateKeyPair} from '../ssh/keys.js';

export type SshKeyOutcome =
  | {status: 'created'; privateKey: string; publicKey: string; publicLine: string}
  | {status: 'exists'; privateKey: string; message: string}
  | {status: 'error'; privateKey: string; message: string};

/** Generate `<file>` (0600) and `<file>.pub` (0644) unless either exists; the parent is made 0700 if missing. */
export function generateSshKey(file: string, comment = `vmbench@${os.hostname()}`): SshKeyOutcome {
  const pub = `${file}.pub`;
  const existing = [file, pub].filter((f) => existsSync(f));
  if (existing.length) return {status: 'exists', privateKey: file, message: `${existing.join(' and ')} already exist${existing.length === 1 ? 's' : ''}; kept as it is (choose another path to make a new key)`};
  try {
    mkdirSync(path.dirname(file), {recursive: true, mode: 0o700});
    const pair = generateKeyPair(comment);
    // 'wx': fail instead of overwriting. The private key goes first: a lone .pub is harmless.
    writeFileSync(file, pair.privateKey, {mode: 0o600, flag: 'wx'});
    writeFileSync(pub, `${pair.publicKey.trim()}\n`, {mode: 0o644, flag: 'wx'});
    return {status: 'created', privateKey: file, publicKey: pub, publicLine: pair.publicKey.trim()};
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return {status: code === 'EEXIST' ? 'exists' : 'error', privateKey: file, message: code === 'EEXIST' ? `${file} appeared meanwhile; kept as it is` : `could not write ${file}: ${(err as Error).message}`};
  }
}
