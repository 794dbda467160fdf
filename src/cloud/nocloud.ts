/**
 * The NoCloud seed (cloud-init's "NoCloud" datasource: a volume labelled `cidata` holding
 * user-data, meta-data and optionally network-config / vendor-data), written by vmbench instead
 * of `cloud-localds` (seed 000). The profile's user-data is kept and the build's public keys are
 * merged into it for the SSH user:
 * - a `#cloud-config` document is edited as YAML (comments kept): the keys go to the user's
 *   entry in `users` (created when absent; `default` is kept first so the image's own default
 *   user still exists) — or, for root, to root with `disable_root: false`;
 * - any other format (a script, a Jinja template, multipart MIME) is sent as it is, inside a
 *   multipart message after a small cloud-config part of vmbench's own that adds the keys.
 */
import {randomUUID} from 'node:crypto';
import {isMap, isSeq, parseDocument, YAMLMap, YAMLSeq, type Document} from 'yaml';
import {isCloudConfig, type CloudInitOptions} from '../profiles/cloud-init-schema.js';

export interface SeedInput {
  options: CloudInitOptions;
  /** The user vmbench logs in as (ssh_username). */
  username: string;
  /** OpenSSH public keys ("ssh-ed25519 AAAA… comment") vmbench may log in with. */
  publicKeys: readonly string[];
  /** meta-data's instance-id when the profile gives none (a new one per build makes cloud-init run). */
  instanceId: string;
  /** meta-data's local-hostname when the profile gives none. */
  hostname: string;
}

/** The seed's files, by name on the volume. */
export type SeedFiles = Record<string, string>;

/** A hostname cloud-init and the guest accept: letters, digits and dashes, at most 63 characters. */
export function seedHostname(name: string): string {
  const h = name.toLowerCase().replace(/\.[a-z0-9]+$/, '').replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 63).replace(/-+$/, '');
  return h || 'vmbench';
}

function mergeKeysIntoCloudConfig(text: string, username: string, keys: readonly string[]): string {
  const doc = parseDocument(text) as Document.Parsed;
  if (!isMap(doc.contents)) doc.contents = doc.createNode({}) as unknown as typeof doc.contents;
  const root = doc.contents as unknown as YAMLMap;
  const addKeys = (entry: YAMLMap): void => {
    const found: unknown = entry.get('ssh_authorized_keys', true);
    const seq = isSeq(found) ? found : new YAMLSeq();
    if (seq !== found) entry.set('ssh_authorized_keys', seq);
    const have = new Set(seq.items.map((i) => String((i as {value?: unknown}).value ?? i)));
    for (const k of keys) if (!have.has(k)) seq.add(doc.createNode(k));
  };
  if (username === 'root') {
    // cloud-init writes the top-level keys to the default user, and to root too unless
    // disable_root (whose default, true, makes root's keys refuse logins).
    root.set('disable_root', false);
    addKeys(root);
    return doc.toString();
  }
  const found: unknown = root.get('users', true);
  const seq = isSeq(found) ? found : new YAMLSeq();
  if (seq !== found) {
    // No users list: cloud-init's own is [default]. Keep it, and add ours.
    seq.add(doc.createNode('default'));
    root.set('users', seq);
  }
  let mine = seq.items.find((u): u is YAMLMap => isMap(u) && String(u.get('name')) === username);
  if (!mine) {
    mine = doc.createNode({
      name: username,
      // What the default user of cloud images gets: the build runs sudo without a password.
      sudo: 'ALL=(ALL) NOPASSWD:ALL',
      shell: '/bin/bash',
      lock_passwd: true,
    }) as YAMLMap;
    seq.add(mine);
  }
  addKeys(mine);
  return doc.toString();
}

/** user-data for a format vmbench does not edit: a MIME multipart with vmbench's keys first. */
function multipartWithKeys(text: string, username: string, keys: readonly string[]): string {
  const boundary = `vmbench-${randomUUID()}`;
  const ours = mergeKeysIntoCloudConfig(
    // Lists from several cloud-config parts are appended, not replaced (cloud-init's merge_how).
    '#cloud-config\nmerge_how:\n  - name: list\n    settings: [append]\n  - name: dict\n    settings: [no_replace, recurse_list]\n',
    username,
    keys,
  );
  const type = text.startsWith('Content-Type: multipart/') ? 'multipart/mixed' : text.startsWith('#!') ? 'text/x-shellscript' : text.startsWith('## template: jinja') ? 'text/jinja2' : 'text/plain';
  return [
    `Content-Type: multipart/mixed; boundary="${boundary}"`,
    'MIME-Version: 1.0',
    '',
    `--${boundary}`,
    'Content-Type: text/cloud-config; charset="utf-8"',
    'Content-Disposition: attachment; filename="vmbench-keys.cfg"',
    '',
    ours,
    `--${boundary}`,
    // A multipart message already is a part with its own headers (nested).
    ...(type === 'multipart/mixed' ? [] : [`Content-Type: ${type}; charset="utf-8"`, 'Content-Disposition: attachment; filename="user-data"', '']),
    text,
    `--${boundary}--`,
    '',
  ].join('\n');
}

/** The profile's meta-data, with instance-id and local-hostname added where absent. */
function metaData(text: string, instanceId: string, hostname: string): string {
  const doc = parseDocument(text.trim() ? text : '{}');
  if (!isMap(doc.contents)) doc.contents = doc.createNode({}) as unknown as typeof doc.contents;
  const root = doc.contents as unknown as YAMLMap;
  if (!root.has('instance-id')) root.set('instance-id', instanceId);
  if (!root.has('local-hostname')) root.set('local-hostname', hostname);
  const out = doc.toString();
  return out.startsWith('{') ? `instance-id: ${instanceId}\nlocal-hostname: ${hostname}\n` : out;
}

/** The seed's files: user-data with the keys merged, meta-data, and the optional ones. */
export function nocloudSeed(input: SeedInput): SeedFiles {
  const {options, username, publicKeys} = input;
  const keys = publicKeys.map((k) => k.trim()).filter(Boolean);
  const ud = options.user_data.trim() ? options.user_data : '#cloud-config\n';
  const files: SeedFiles = {
    'user-data': isCloudConfig(ud) ? ensureHeader(mergeKeysIntoCloudConfig(ud, username, keys)) : multipartWithKeys(ud, username, keys),
    'meta-data': metaData(options.meta_data, input.instanceId, input.hostname),
  };
  if (options.network_config.trim()) files['network-config'] = options.network_config;
  if (options.vendor_data.trim()) files['vendor-data'] = options.vendor_data;
  return files;
}

/** YAML serialisation keeps a leading comment, but make sure the marker line is first. */
function ensureHeader(text: string): string {
  return isCloudConfig(text) ? text : `#cloud-config\n${text}`;
}
