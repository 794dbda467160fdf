/**
 * Pushing a containerDisk archive to a registry with the host's skopeo:
 * `skopeo copy --digestfile D [--dest-authfile A] [--dest-tls-verify=false] oci-archive:FILE docker://REF`.
 * Credentials come from VMBENCH_REGISTRY_USER + VMBENCH_REGISTRY_PASSWORD (written to a 0600
 * auth.json in a private temporary folder, removed afterwards) or from a credentials file (a
 * containers-auth.json or docker config.json, checked here and handed to skopeo as it is). They
 * are never on skopeo's command line, never logged, and skopeo's own output is redacted before it
 * reaches a log line or an error message. A cancelled push kills skopeo and removes the folder.
 */
import {spawn} from 'node:child_process';
import {readFile, rm, writeFile} from 'node:fs/promises';
import path from 'node:path';
import {nodeAt, offsetOf, parseJsonSource, type JsonNode, type JsonSource} from '../profiles/packer/json-source.js';
import {redact} from '../profiles/sensitive.js';
import {ContainerDiskError, imageNameProblem, imageTagProblem, type ContainerDiskArchive} from './containerdisk.js';
import {watchedTempDir} from '../qemu/watchdog.js';
import {watchProcess} from '../qemu/watchdog.js';

export const USER_ENV = 'VMBENCH_REGISTRY_USER';
export const PASSWORD_ENV = 'VMBENCH_REGISTRY_PASSWORD';

export interface PushOptions {
  /** The archive writeContainerDisk wrote. */
  archive: string;
  format: ContainerDiskArchive;
  /** `docker://host/repo:tag` or `host/repo:tag`. */
  ref: string;
  /** Default true; false also lets skopeo fall back to plain HTTP. */
  tlsVerify?: boolean;
  /** containers-auth.json / docker config.json; the environment's credentials win over it. */
  credentialsFile?: string;
  /** For the credentials and for skopeo (PATH); default process.env. */
  env?: Readonly<Record<string, string | undefined>>;
  signal?: AbortSignal;
  /** skopeo's progress lines, redacted. */
  log?: (line: string) => void;
  /** The skopeo command (default `skopeo`, looked up on env's PATH). */
  skopeo?: string;
}

export interface PushResult {
  /** The destination as given to skopeo (docker://…). */
  destination: string;
  /** The manifest digest skopeo reports (--digestfile). */
  digest: string;
  /** Where the credentials came from. */
  credentials: 'environment' | 'file' | 'none';
}

export interface PushTarget {
  /** docker://name[:tag] */
  destination: string;
  /** The registry host the credentials are for (docker.io when the name has none). */
  registry: string;
}

/** Check a push reference and name its registry. */
export function pushTarget(ref: string): PushTarget {
  const bare = ref.startsWith('docker://') ? ref.slice('docker://'.length) : ref;
  const transport = /^([a-z][a-z0-9-]*):\/\//i.exec(bare)?.[1] ?? /^(oci|oci-archive|docker-archive|docker-daemon|dir|containers-storage|sif|tarball):/.exec(bare)?.[1];
  if (transport) throw new ContainerDiskError(`push: ${JSON.stringify(ref)}: only registry references (docker://host/repo:tag) can be pushed to, not ${transport}:`);
  if (bare.includes('@')) throw new ContainerDiskError(`push: ${JSON.stringify(ref)}: push to a tag, not a digest`);
  const slash = bare.lastIndexOf('/');
  const colon = bare.lastIndexOf(':');
  const name = colon > slash ? bare.slice(0, colon) : bare;
  const tag = colon > slash ? bare.slice(colon + 1) : undefined;
  const nameProblem = imageNameProblem(name);
  if (nameProblem) throw new ContainerDiskError(`push: the repository ${nameProblem}`);
  const tagProblem = tag === undefined ? undefined : imageTagProblem(tag);
  if (tagProblem) throw new ContainerDiskError(`push: the tag ${tagProblem}`);
  const first = name.split('/')[0]!;
  const registry = name.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost') ? first : 'docker.io';
  return {destination: `docker://${bare}`, registry};
}

/** An auth.json entry's key names `registry` (containers-auth.json: host or host/namespace; docker: with https:// and /v1/). */
function keyMatches(key: string, registry: string): boolean {
  const k = key.replace(/^https?:\/\//, '').replace(/\/v[12]\/?$/, '').replace(/\/$/, '');
  const host = k.split('/')[0]!;
  return host === registry || (registry === 'docker.io' && (host === 'index.docker.io' || host === 'registry-1.docker.io'));
}

export interface CredentialsFileInfo {
  /** Values that must never be shown: auth strings, passwords, tokens. */
  secrets: string[];
  /** Whether an entry (or a credential helper) covers the registry. */
  covers: boolean;
}

const decodeAuth = (auth: string): string | undefined => {
  const text = Buffer.from(auth, 'base64').toString('utf8');
  return text.includes(':') && Buffer.from(text).toString('base64').replace(/=+$/, '') === auth.replace(/=+$/, '') ? text : undefined;
};

/** Read and check a credentials file: errors name the file, line and field; never a secret. */
export async function readCredentialsFile(file: string, registry: string): Promise<CredentialsFileInfo> {
  const text = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
    throw new ContainerDiskError(`credentials_file ${file} cannot be read: ${err.code === 'ENOENT' ? 'no such file' : err.message}`);
  });
  let src: JsonSource;
  try {
    src = parseJsonSource(text, file);
  } catch (err) {
    throw new ContainerDiskError(`credentials_file ${(err as Error).message}`);
  }
  const at = (node: JsonNode, field: string, message: string): ContainerDiskError => {
    const {line, col} = src.pos(offsetOf(node, true));
    return new ContainerDiskError(`credentials_file ${file}:${line}:${col}: ${field}: ${message}`);
  };
  if (src.root.type !== 'object') throw at(src.root, '(top level)', 'must be an object with "auths" (containers-auth.json or docker config.json)');
  const auths = nodeAt(src.root, ['auths']);
  const helpers = nodeAt(src.root, ['credHelpers']);
  const store = nodeAt(src.root, ['credsStore']);
  if (!auths && !helpers && !store) throw at(src.root, 'auths', 'missing: the file has no "auths" (nor credHelpers or credsStore) to push with');
  const secrets = new Set<string>();
  let covers = false;
  if (auths) {
    if (auths.type !== 'object') throw at(auths, 'auths', 'must be an object of registry: {auth: base64(user:password)}');
    for (const prop of auths.children ?? []) {
      const key = prop.children?.[0]?.value as string;
      const entry = prop.children?.[1];
      if (!entry || entry.type !== 'object') throw at(entry ?? prop, `auths.${key}`, 'must be an object such as {"auth": "<base64 of user:password>"}');
      for (const field of entry.children ?? []) {
        const k = field.children?.[0]?.value as string;
        const v = field.children?.[1];
        if (!v || !['auth', 'password', 'identitytoken', 'registrytoken'].includes(k)) continue;
        if (v.type !== 'string') throw at(v, `auths.${key}.${k}`, 'must be a string');
        const value = v.value as string;
        if (value) secrets.add(value);
        if (k === 'auth' && value) {
          const plain = decodeAuth(value);
          if (!plain) throw at(v, `auths.${key}.auth`, 'must be the base64 of user:password');
          secrets.add(plain);
          secrets.add(plain.slice(plain.indexOf(':') + 1));
        }
      }
      if (keyMatches(key, registry)) covers = true;
    }
  }
  if (helpers?.type === 'object' && helpers.children?.some((p) => keyMatches(p.children?.[0]?.value as string, registry))) covers = true;
  if (store) covers = true;
  return {secrets: [...secrets].filter((s) => s.length > 0), covers};
}

/** skopeo's transport for each archive kind. */
const TRANSPORT: Record<ContainerDiskArchive, string> = {oci: 'oci-archive', docker: 'docker-archive'};

/** A hint for what skopeo's error most likely means. */
function hintFor(stderr: string, tlsVerify: boolean): string | undefined {
  if (/unauthorized|authentication required|401|403|denied/i.test(stderr)) return `check ${USER_ENV}/${PASSWORD_ENV} or credentials_file`;
  if (tlsVerify && /x509|certificate/i.test(stderr)) return 'tls_verify: false pushes to a registry whose certificate is not trusted here';
  if (/server gave HTTP response to HTTPS client/i.test(stderr)) return 'tls_verify: false lets skopeo push over plain HTTP';
  return undefined;
}

/** Push `archive` to `ref` with skopeo; see the module comment. */
export async function pushContainerDisk(o: PushOptions): Promise<PushResult> {
  const env = o.env ?? process.env;
  const target = pushTarget(o.ref);
  const tlsVerify = o.tlsVerify ?? true;
  const user = env[USER_ENV];
  const password = env[PASSWORD_ENV];
  if ((user && !password) || (!user && password)) {
    throw new ContainerDiskError(`${user ? PASSWORD_ENV : USER_ENV} is not set, but ${user ? USER_ENV : PASSWORD_ENV} is: set both to push with them`);
  }
  const secrets = new Set<string>();
  let credentials: PushResult['credentials'] = 'none';
  let fileInfo: CredentialsFileInfo | undefined;
  if (user && password) {
    credentials = 'environment';
    secrets.add(password);
    secrets.add(`${user}:${password}`);
    secrets.add(Buffer.from(`${user}:${password}`).toString('base64'));
  } else if (o.credentialsFile) {
    fileInfo = await readCredentialsFile(o.credentialsFile, target.registry);
    credentials = 'file';
    fileInfo.secrets.forEach((s) => secrets.add(s));
  }
  // Longest first, so a secret that contains another is hidden whole.
  const hidden = [...secrets].sort((a, b) => b.length - a.length);
  const clean = (text: string): string => redact(text, hidden);
  if (fileInfo && !fileInfo.covers) o.log?.(`credentials_file ${o.credentialsFile} has no entry for ${target.registry}: skopeo pushes without its credentials`);

  const dir = await watchedTempDir('vmbench-push-');
  try {
    const args = ['copy', '--digestfile', path.join(dir, 'digest')];
    if (credentials === 'environment') {
      const authFile = path.join(dir, 'auth.json');
      const auth = Buffer.from(`${user}:${password}`).toString('base64');
      await writeFile(authFile, `${JSON.stringify({auths: {[target.registry]: {auth}}}, null, 2)}\n`, {mode: 0o600, flag: 'wx'});
      args.push('--dest-authfile', authFile);
    } else if (credentials === 'file') {
      args.push('--dest-authfile', path.resolve(o.credentialsFile!));
    }
    if (!tlsVerify) args.push('--dest-tls-verify=false');
    // skopeo splits `transport:path:ref` at the first colon: name the archive from its own folder.
    const archiveName = path.basename(o.archive);
    if (archiveName.includes(':')) throw new ContainerDiskError(`push: skopeo cannot read an archive whose name has a colon: ${archiveName}`, 'name the output without ":"');
    args.push(`${TRANSPORT[o.format]}:${archiveName}`, target.destination);
    o.log?.(`skopeo ${args.join(' ')}`);
    o.signal?.throwIfAborted();

    const skopeo = o.skopeo ?? 'skopeo';
    // skopeo reads the auth file; the credentials themselves stay out of its environment too.
    const childEnv = Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => typeof e[1] === 'string' && e[0] !== USER_ENV && e[0] !== PASSWORD_ENV));
    const child = spawn(skopeo, args, {cwd: path.dirname(path.resolve(o.archive)), env: childEnv, stdio: ['ignore', 'pipe', 'pipe']});
    watchProcess(child.pid, false);
    let stderr = '';
    let pending = '';
    child.stdout.on('data', (d: Buffer) => {
      const lines = (pending + d.toString()).split('\n');
      pending = lines.pop()!;
      for (const line of lines) if (line.trim()) o.log?.(clean(line));
    });
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-8000)));
    const kill = (): void => void child.kill('SIGKILL');
    o.signal?.addEventListener('abort', kill, {once: true});
    try {
      const code = await new Promise<number | string>((resolve, reject) => {
        child.once('error', (err: NodeJS.ErrnoException) =>
          reject(err.code === 'ENOENT' ? new ContainerDiskError(`${skopeo} is not installed: pushing a containerDisk needs it (Debian package skopeo)`, 'apt-get install skopeo') : err),
        );
        child.once('close', (c, sig) => resolve(c ?? sig ?? 'unknown'));
      });
      if (pending.trim()) o.log?.(clean(pending));
      o.signal?.throwIfAborted();
      if (code !== 0) {
        const said = clean(stderr.trim()).split('\n').slice(-4).join(' / ');
        throw new ContainerDiskError(`pushing to ${target.destination} failed: skopeo ${typeof code === 'number' ? `exited with code ${code}` : `was killed by ${code}`}${said ? `: ${said}` : ''}`, hintFor(stderr, tlsVerify));
      }
    } finally {
      o.signal?.removeEventListener('abort', kill);
    }
    const digest = (await readFile(path.join(dir, 'digest'), 'utf8').catch(() => '')).trim();
    if (!/^sha256:[0-9a-f]{64}$/.test(digest)) throw new ContainerDiskError(`pushing to ${target.destination}: skopeo reported no manifest digest (${JSON.stringify(clean(digest).slice(0, 80))})`);
    return {destination: target.destination, digest, credentials};
  } finally {
    await rm(dir, {recursive: true, force: true});
  }
}

