import ssh2 from 'ssh2';
import type {ParsedKey} from 'ssh2';

/** Generations tried before giving up; each is bad with probability 1/256, so this never runs out in practice. */
const MAX_TRIES = 16;

/**
 * Temporary key pair for one build (ed25519), like Packer's `ssh_temporary_key_pair`:
 * `privateKey` is an unencrypted OpenSSH private key, `publicKey` an authorized_keys line
 * (`ssh-ed25519 AAAA… comment`) for `{{ .SSHPublicKey }}`. Never log `privateKey`.
 *
 * ssh2 1.17's generator is wrong about 1 time in 256: converting Node's DER output it strips
 * *every* leading zero byte of the public key's BIT STRING (keygen.js, "Remove leading zero
 * bytes") instead of only the unused-bits byte, so a public key that starts with 0x00 comes out
 * 31 bytes long and both halves are malformed (ssh2's own parseKey rejects them; OpenSSH's sshd
 * would not accept the authorized_keys line). So each pair is checked and regenerated if bad.
 */
export function generateKeyPair(comment = 'vmbench'): {privateKey: string; publicKey: string} {
  // Through the default export: ssh2 is CommonJS and `import {utils} from 'ssh2'` fails at run
  // time under Node's ESM loader (only statically detectable exports are named exports).
  // A newline in the comment would break the authorized_keys line.
  const cleanComment = comment.replace(/[\r\n]+/g, ' ');
  for (let i = 0; i < MAX_TRIES; i++) {
    const pair = ssh2.utils.generateKeyPairSync('ed25519', {comment: cleanComment});
    if (wellFormed(pair.private, true) && wellFormed(pair.public, false)) return {privateKey: pair.private, publicKey: pair.public};
  }
  throw new Error(`could not generate a well-formed ed25519 key pair in ${MAX_TRIES} tries`);
}

/** Parses, is the right half, and holds a 32-byte ed25519 public key (4+11 name + 4+32 key). */
function wellFormed(text: string, isPrivate: boolean): boolean {
  const parsed = ssh2.utils.parseKey(text);
  const key = Array.isArray(parsed) ? (parsed as ParsedKey[])[0] : parsed;
  if (key === undefined || key instanceof Error) return false;
  return key.type === 'ssh-ed25519' && key.isPrivateKey() === isPrivate && key.getPublicSSH().length === 51;
}

/**
 * The OpenSSH public key line ("ssh-ed25519 AAAA… comment") of a private key, for handing to a
 * guest (cloud-init's seed). Throws with the parser's reason for an unreadable or encrypted key.
 */
export function publicKeyOf(privateKey: string, comment = ''): string {
  const parsed = ssh2.utils.parseKey(privateKey);
  const key = Array.isArray(parsed) ? (parsed as ParsedKey[])[0] : parsed;
  if (key === undefined) throw new Error('no key found');
  if (key instanceof Error) throw key;
  const body = key.getPublicSSH().toString('base64');
  return `${key.type} ${body}${comment ? ` ${comment}` : key.comment ? ` ${key.comment}` : ''}`;
}
