/**
 * The `cloud_init` field (vmbench extension, issue 11): a cloud image is handed its first-boot
 * configuration through a NoCloud seed that vmbench writes itself (engine/steps/cloud-seed.ts),
 * instead of a seed made by hand with `cloud-localds` (seed 000). The texts are templated when
 * the profile loads like any profile string, so `{{ file `x` }}` / `{{ templatefile `x` }}` read
 * them from the profile's folder.
 */
import {parseDocument} from 'yaml';
import type {FieldSpec} from './schema.js';

export interface CloudInitOptions {
  /** user-data as written (any cloud-init format); the build's public key is merged in. */
  user_data: string;
  /** meta-data (YAML mapping); vmbench adds instance-id and local-hostname when absent. */
  meta_data: string;
  /** network-config (v1/v2); empty = none (cloud-init's default: DHCP on the first NIC). */
  network_config: string;
  /** vendor-data; empty = none. */
  vendor_data: string;
  /** After SSH answers: wait for `cloud-init status --wait` and fail naming its errors. */
  wait: boolean;
  /** Milliseconds for that wait. */
  timeout: number;
  /** Before shutdown: seed 000's clean-up (cloud-init clean, machine-id, SSH host keys, logs). */
  clean: boolean;
}

export const CLOUD_INIT_FIELDS: Record<string, FieldSpec> = {
  user_data: {kind: 'string', doc: 'user-data (#cloud-config YAML or any cloud-init format); the build’s SSH public key for ssh_username is merged in. Usually {{ file `cloud-init/user-data` }}'},
  meta_data: {kind: 'string', doc: 'meta-data (YAML); instance-id and local-hostname are added when absent'},
  network_config: {kind: 'string', doc: 'network-config (cloud-init network config v1 or v2); default none (DHCP on the first NIC)'},
  vendor_data: {kind: 'string', doc: 'vendor-data; default none'},
  wait: {kind: 'bool', doc: 'after SSH answers, wait for cloud-init to finish (cloud-init status --wait) and fail naming its errors (default true)'},
  timeout: {kind: 'duration', doc: 'how long to wait for cloud-init to finish (default 15m)'},
  clean: {kind: 'bool', doc: 'before shutdown: cloud-init clean --logs --seed, an empty machine-id, no SSH host keys, empty logs, so the image boots as new (default true)'},
};

export const CLOUD_INIT_DEFAULTS: CloudInitOptions = {
  user_data: '#cloud-config\n',
  meta_data: '',
  network_config: '',
  vendor_data: '',
  wait: true,
  timeout: 15 * 60_000,
  clean: true,
};

/** One problem in a cloud-init text: a message and, where known, the 1-based line inside the text. */
export interface CloudTextProblem {
  message: string;
  line?: number;
}

/** A #cloud-config document (the only user-data format vmbench parses and merges into). */
export const isCloudConfig = (text: string): boolean => /^#cloud-config\s*$/.test(text.split('\n', 1)[0] ?? '');

/** Check a YAML text (cloud-config, meta-data, network-config): it must parse, and be a mapping. */
export function checkYamlMapping(text: string, what: string): CloudTextProblem | undefined {
  if (!text.trim() || /^\s*(#[^\n]*\n?\s*)*$/.test(text)) return undefined;
  const doc = parseDocument(text, {uniqueKeys: false});
  const err = doc.errors[0];
  if (err) {
    const line = err.linePos?.[0]?.line;
    return {message: `${what} is not valid YAML: ${err.message.split('\n')[0]}`, line};
  }
  const value: unknown = doc.toJS();
  if (value !== null && value !== undefined && (typeof value !== 'object' || Array.isArray(value))) {
    return {message: `${what} must be a YAML mapping (name: value lines), not a ${Array.isArray(value) ? 'list' : typeof value}`, line: 1};
  }
  return undefined;
}

/** Problems of each text (keyed by field), checked as cloud-init would read them. */
export function checkCloudInitTexts(opts: CloudInitOptions): Record<string, CloudTextProblem> {
  const out: Record<string, CloudTextProblem> = {};
  const ud = opts.user_data;
  if (isCloudConfig(ud)) {
    const p = checkYamlMapping(ud, 'user_data (#cloud-config)');
    if (p) out.user_data = p;
  } else if (ud.trim() && !/^(#!|#include|#cloud-boothook|#part-handler|## template: jinja|Content-Type: multipart\/|#cloud-config-archive|#upstart-job)/i.test(ud)) {
    out.user_data = {message: 'user_data starts with neither #cloud-config nor another cloud-init format marker (#!, #include, ## template: jinja, multipart MIME): cloud-init would ignore it', line: 1};
  }
  for (const key of ['meta_data', 'network_config'] as const) {
    const p = checkYamlMapping(opts[key], key);
    if (p) out[key] = p;
  }
  return out;
}
