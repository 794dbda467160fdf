/**
 * The data sources vmbench evaluates itself, as their Packer plugins do. Others are named with a
 * warning and a use of one is an error (packer-hcl.ts), unless try()/can() guards it.
 *
 * `sshkey` (github.com/ivoronin/sshkey): a key pair kept in a cache folder under a name made of
 * `name` (default "packer") and `type` ("rsa", the default, or "ed25519"), made on first use and
 * read again afterwards, so a preseed or cloud-init seed and the build's SSH login agree across
 * runs. Outputs `private_key_path` (a 0600 file) and `public_key` (an authorized_keys line whose
 * comment is the name). vmbench keeps the key in its own cache ($XDG_CACHE_HOME/vmbench/sshkey),
 * not in Packer's: an ed25519 key is written in OpenSSH's format (which vmbench's SSH client and
 * OpenSSH both read), an RSA key (2048 bits, as the plugin) as PKCS#1 PEM, as the plugin does.
 */
import {generateKeyPairSync} from 'node:crypto';
import {mkdirSync, readFileSync, renameSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {cacheDir} from '../../util/xdg.js';
import {generateKeyPair, publicKeyOf} from '../../ssh/keys.js';

/** Data source types vmbench evaluates. */
export const EVALUATED_DATA_SOURCES: ReadonlySet<string> = new Set(['sshkey']);

/** A data source's configuration could not be used: the message names the attribute. */
export class DataSourceError extends Error {
  constructor(
    readonly attribute: string | undefined,
    message: string,
  ) {
    super(message);
  }
}

const text = (config: Record<string, unknown>, key: string, fallback: string): string => {
  const v = config[key];
  if (v === undefined || v === null || v === '') return fallback;
  if (typeof v !== 'string') throw new DataSourceError(key, `expected a string, got ${typeof v}`);
  return v;
};

/** Where the sshkey data source keeps the key named `name` of `type` (the plugin's file name). */
export function sshkeyPath(name: string, type: string, dir = path.join(cacheDir(), 'sshkey')): string {
  const tag = name.split(path.sep).join('_');
  return path.join(dir, `ssh_private_key_${tag}_${type}.pem`);
}

/** `data "sshkey"`: the key pair's outputs, made (and kept) on first use. */
export function sshkeyDataSource(config: Record<string, unknown>, dir?: string): {private_key_path: string; public_key: string} {
  for (const k of Object.keys(config)) if (k !== 'name' && k !== 'type') throw new DataSourceError(k, 'unknown argument (sshkey takes name and type)');
  const name = text(config, 'name', 'packer');
  const type = text(config, 'type', 'rsa');
  if (type !== 'rsa' && type !== 'ed25519') throw new DataSourceError('type', `"${type}" is not a key type sshkey makes (rsa or ed25519)`);
  const file = sshkeyPath(name, type, dir);
  const tag = name.split(path.sep).join('_');
  let key: string;
  try {
    key = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new DataSourceError(undefined, `cannot read the key ${file}: ${(err as Error).message}`);
    key = type === 'ed25519' ? generateKeyPair(tag).privateKey : generateKeyPairSync('rsa', {modulusLength: 2048, publicKeyEncoding: {type: 'pkcs1', format: 'pem'}, privateKeyEncoding: {type: 'pkcs1', format: 'pem'}}).privateKey;
    mkdirSync(path.dirname(file), {recursive: true, mode: 0o700});
    // Whole or not at all: another build may read it at the same moment.
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, key, {mode: 0o600});
    renameSync(tmp, file);
  }
  try {
    return {private_key_path: file, public_key: publicKeyOf(key, tag)};
  } catch (err) {
    throw new DataSourceError(undefined, `the key ${file} cannot be read as an SSH private key (${(err as Error).message}): remove it to have a new one made`);
  }
}
