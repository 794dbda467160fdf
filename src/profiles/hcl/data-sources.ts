/**
 * The data sources vmbench evaluates itself, as their Packer plugins do. Others are named with a
 * warning and a use of one is an error (packer-hcl.ts), unless try()/can() guards it.
 *
 * `http` (Packer's own): one request (`url`, `method` GET by default, `request_headers`,
 * `request_body`), a 2xx answer required; outputs `url`, `body` and the response's headers as
 * `request_headers` (Packer's name for them), names in Go's canonical form, repeated headers
 * joined with ", ". Templates are loaded synchronously, so the request runs in a short-lived
 * node child (its global fetch) with a 60 s limit; one answer per request per process.
 *
 * `sshkey` (github.com/ivoronin/sshkey): a key pair kept in a cache folder under a name made of
 * `name` (default "packer") and `type` ("rsa", the default, or "ed25519"), made on first use and
 * read again afterwards, so a preseed or cloud-init seed and the build's SSH login agree across
 * runs. Outputs `private_key_path` (a 0600 file) and `public_key` (an authorized_keys line whose
 * comment is the name). vmbench keeps the key in its own cache ($XDG_CACHE_HOME/vmbench/sshkey),
 * not in Packer's: an ed25519 key is written in OpenSSH's format (which vmbench's SSH client and
 * OpenSSH both read), an RSA key (2048 bits, as the plugin) as PKCS#1 PEM, as the plugin does.
 */
import {execFileSync} from 'node:child_process';
import {generateKeyPairSync} from 'node:crypto';
import {mkdirSync, readFileSync, renameSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {cacheDir} from '../../util/xdg.js';
import {generateKeyPair, publicKeyOf} from '../../ssh/keys.js';

/** Data source types vmbench evaluates. */
export const EVALUATED_DATA_SOURCES: ReadonlySet<string> = new Set(['http', 'sshkey']);

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

const HTTP_METHODS = ['HEAD', 'GET', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH'];
const HTTP_TIMEOUT_MS = 60_000;
/** What the child does: one fetch, its answer (or why not) as JSON on stdout. */
const FETCH_SCRIPT = `
const r = JSON.parse(require('node:fs').readFileSync(0, 'utf8'));
fetch(r.url, {method: r.method, headers: r.headers, body: r.body === '' ? undefined : r.body, redirect: 'follow', signal: AbortSignal.timeout(r.timeout)}).then(
  async (res) => {
    const headers = {};
    res.headers.forEach((v, k) => (headers[k] = k in headers ? headers[k] + ', ' + v : v));
    process.stdout.write(JSON.stringify({status: res.status, headers, body: await res.text()}));
  },
  (e) => process.stdout.write(JSON.stringify({error: String((e.cause && e.cause.message) || e.message)})),
);`;
const answers = new Map<string, {url: string; body: string; request_headers: Record<string, string>}>();
/** "content-type" → "Content-Type", as Go's net/http names them. */
const canonical = (name: string): string => name.split('-').map((w) => w.charAt(0).toUpperCase() + w.slice(1).toLowerCase()).join('-');

/** `data "http"`: the answer to one request, made once per process. */
export function httpDataSource(config: Record<string, unknown>): {url: string; body: string; request_headers: Record<string, string>} {
  for (const k of Object.keys(config)) {
    if (!['url', 'method', 'request_headers', 'request_body'].includes(k)) throw new DataSourceError(k, 'unknown argument (http takes url, method, request_headers and request_body)');
  }
  const url = text(config, 'url', '');
  if (!url) throw new DataSourceError('url', 'the url must be specified');
  if (!/^https?:\/\//i.test(url)) throw new DataSourceError('url', `"${url}" is not an http:// or https:// URL`);
  const method = text(config, 'method', 'GET');
  if (!HTTP_METHODS.includes(method)) throw new DataSourceError('method', `must be one of ${HTTP_METHODS.join(', ')} (got "${method}")`);
  const rawHeaders = config.request_headers ?? {};
  if (typeof rawHeaders !== 'object' || rawHeaders === null || Array.isArray(rawHeaders)) throw new DataSourceError('request_headers', 'expected a map of header names to values');
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(rawHeaders)) {
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') throw new DataSourceError('request_headers', `the value of ${k} is not a string`);
    headers[k] = String(v);
  }
  const body = text(config, 'request_body', '');
  const request = {url, method, headers, body, timeout: HTTP_TIMEOUT_MS};
  const key = JSON.stringify(request);
  const known = answers.get(key);
  if (known) return known;
  let out: string;
  try {
    out = execFileSync(process.execPath, ['-e', FETCH_SCRIPT], {input: key, encoding: 'utf8', maxBuffer: 64 << 20, timeout: HTTP_TIMEOUT_MS + 5000, stdio: ['pipe', 'pipe', 'pipe']});
  } catch (err) {
    throw new DataSourceError(undefined, `${method} ${url}: ${(err as Error).message.split('\n')[0]}`);
  }
  const res = JSON.parse(out) as {status?: number; headers?: Record<string, string>; body?: string; error?: string};
  if (res.error !== undefined) throw new DataSourceError(undefined, `${method} ${url}: ${res.error}`);
  if (res.status === undefined || res.status < 200 || res.status >= 300) throw new DataSourceError(undefined, `${method} ${url}: HTTP request error. Response code: ${res.status}`);
  const answer = {url, body: res.body ?? '', request_headers: Object.fromEntries(Object.entries(res.headers ?? {}).map(([k, v]) => [canonical(k), v]))};
  answers.set(key, answer);
  return answer;
}

/** Evaluate a data source of a type in {@link EVALUATED_DATA_SOURCES} from its configuration. */
export function evaluateDataSource(type: string, config: Record<string, unknown>): Record<string, unknown> {
  if (type === 'sshkey') return sshkeyDataSource(config);
  if (type === 'http') return httpDataSource(config);
  throw new DataSourceError(undefined, `vmbench does not evaluate ${type} data sources`);
}
