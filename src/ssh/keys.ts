import ssh2 from 'ssh2';

/**
 * Temporary key pair for one build (ed25519), like Packer's `ssh_temporary_key_pair`:
 * `privateKey` is an unencrypted OpenSSH private key, `publicKey` an authorized_keys line
 * (`ssh-ed25519 AAAA… comment`) for `{{ .SSHPublicKey }}`. Never log `privateKey`.
 */
export function generateKeyPair(comment = 'vmbench'): {privateKey: string; publicKey: string} {
  // Through the default export: ssh2 is CommonJS and `import {utils} from 'ssh2'` fails at run
  // time under Node's ESM loader (only statically detectable exports are named exports).
  // A newline in the comment would break the authorized_keys line.
  const pair = ssh2.utils.generateKeyPairSync('ed25519', {comment: comment.replace(/[\r\n]+/g, ' ')});
  return {privateKey: pair.private, publicKey: pair.public};
}
