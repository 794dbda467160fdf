/**
 * Gets the install ISO (or, with disk_image, the disk image): a local path, an http(s) download
 * into a cache keyed by checksum, or a profile's own build script (vmbench extension). Downloads
 * resume after a cut or a cancel and are hashed as they arrive (download.ts). A mismatching
 * checksum is an error and the bad download is deleted, never cached. What was fetched is noted
 * in the cache's URL records (url-records.ts) for the picker.
 */
import {existsSync, statSync} from 'node:fs';
import {mkdir, readFile, rm} from 'node:fs/promises';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import type {LogFn} from '../engine/events.js';
import {StepError} from '../engine/step.js';
import {cacheKey, hashFile, parseChecksumSpec, pickFromChecksumList, type Checksum} from '../engine/checksum.js';
import {downloadFile, type DownloadOptions} from './download.js';
import {updateUrlRecord} from './url-records.js';

export interface AcquireOptions {
  urls: string[];
  checksum: string;
  /** Script (relative to profileDir) that builds the ISO into a cache dir and prints its path. */
  build?: string;
  profileDir: string;
  cacheDir: string;
  /**
   * Packer's iso_target_path: where a download is kept instead of the cache — a file, or (a
   * path without an extension) a directory for `<key>.<extension>`. Relative to profileDir.
   */
  targetPath?: string;
  /** Packer's iso_target_extension: the extension of a download's file (default "iso"). */
  targetExtension?: string;
  signal: AbortSignal;
  log: LogFn;
  progress: (label: string, current: number, total?: number) => void;
  /** Progress timing (tests). */
  meter?: DownloadOptions['meter'];
}

export interface AcquiredIso {
  path: string;
  /** How it was obtained, for the log. */
  how: 'local' | 'cache' | 'download' | 'built';
  /** A download that continued a part left by an earlier run: the byte it resumed at. */
  resumedAt?: number;
}

export const isRemote = (u: string): boolean => /^https?:\/\//i.test(u);
export const localPath = (u: string, base: string): string => (u.startsWith('file://') ? fileURLToPath(u) : path.resolve(base, u));

async function readText(location: string, base: string, signal: AbortSignal): Promise<string> {
  if (!isRemote(location)) return readFile(localPath(location, base), 'utf8');
  const res = await fetch(location, {signal});
  if (!res.ok) throw new Error(`${location}: HTTP ${res.status}`);
  return res.text();
}

/** Turn the iso_checksum spec into a concrete checksum for this URL (fetching file: lists). */
export async function resolveChecksum(spec: string, url: string, base: string, signal: AbortSignal): Promise<Checksum> {
  const parsed = parseChecksumSpec(spec);
  if (parsed.type !== 'file') return parsed;
  const name = path.basename(url.split('?')[0] ?? url);
  return pickFromChecksumList(await readText(parsed.location, base, signal), name, parsed.hashType);
}

async function verify(file: string, sum: Checksum, what: string, signal: AbortSignal): Promise<void> {
  if (sum.type === 'none') return;
  const got = await hashFile(file, sum.type, signal);
  if (got !== sum.hex.toLowerCase()) {
    throw new StepError(
      `checksum mismatch for ${what}: expected ${sum.type}:${sum.hex.toLowerCase()}, got ${sum.type}:${got}`,
      'check iso_checksum in the profile, or that the ISO URL points at the image you meant',
    );
  }
}

/** Note in the cache's URL records where `url` is kept now (for the picker). */
function remember(opts: AcquireOptions, key: string, file: string, bytes?: number): void {
  let size = bytes;
  try {
    size ??= statSync(file).size;
  } catch {
    return;
  }
  updateUrlRecord(opts.cacheDir, key, {path: file, bytes: size, checksumSpec: opts.checksum, ...(isRemote(key) ? {size, sizeTime: Date.now()} : {})});
}

/** Where a download of `name` goes: the cache, or iso_target_path (a file, or a directory when it has no extension). */
export function downloadTarget(opts: Pick<AcquireOptions, 'cacheDir' | 'profileDir' | 'targetPath'>, name: string): string {
  if (!opts.targetPath) return path.join(opts.cacheDir, 'iso', name);
  const target = path.resolve(opts.profileDir, opts.targetPath);
  return path.extname(target) ? target : path.join(target, name);
}

export async function acquireIso(opts: AcquireOptions): Promise<AcquiredIso> {
  if (opts.build) return buildIso(opts);
  const failures: string[] = [];
  for (const url of opts.urls) {
    let sum: Checksum;
    try {
      sum = await resolveChecksum(opts.checksum, url, opts.profileDir, opts.signal);
    } catch (err) {
      if (err instanceof StepError || opts.signal.aborted) throw err;
      throw new StepError(`iso_checksum: ${(err as Error).message}`);
    }
    if (sum.type === 'none') opts.log('warn', 'iso_checksum is none: the ISO is not verified');
    if (!isRemote(url)) {
      const file = localPath(url, opts.profileDir);
      if (!existsSync(file)) {
        failures.push(`${url}: no such file (${file})`);
        continue;
      }
      opts.log('info', `using local ISO ${file}`);
      await verify(file, sum, file, opts.signal);
      return {path: file, how: 'local'};
    }
    const dest = downloadTarget(opts, `${cacheKey(sum, url)}.${opts.targetExtension ?? 'iso'}`);
    await mkdir(path.dirname(dest), {recursive: true});
    if (existsSync(dest)) {
      try {
        await verify(dest, sum, dest, opts.signal);
        opts.log('info', `using cached ISO ${dest}`);
        remember(opts, url, dest);
        return {path: dest, how: 'cache'};
      } catch (err) {
        if (opts.signal.aborted) throw err;
        opts.log('warn', `cached ISO ${dest} no longer matches its checksum: downloading again`);
        await rm(dest, {force: true});
      }
    }
    // For the picker: where this URL's part is, before the checksum list's hash names it.
    updateUrlRecord(opts.cacheDir, url, {partOf: dest, checksumSpec: opts.checksum});
    try {
      const got = await downloadFile({url, dest, checksum: sum, signal: opts.signal, log: opts.log, progress: opts.progress, meter: opts.meter});
      remember(opts, url, dest, got.bytes);
      return {path: dest, how: 'download', ...(got.resumedAt !== undefined ? {resumedAt: got.resumedAt} : {})};
    } catch (err) {
      if (err instanceof StepError || opts.signal.aborted) throw err;
      failures.push(`${url}: ${(err as Error).message}`);
      opts.log('warn', `download failed: ${url}: ${(err as Error).message}`);
    }
  }
  // One line (the CLI ends with it): the one failure, or each of several after a semicolon.
  if (failures.length <= 1) throw new StepError(`could not get the ISO${failures.length ? ` from ${failures[0]}` : ': no iso_url given'}`, failures.length ? 'run the build again: a download cut off resumes where it stopped' : undefined);
  throw new StepError(`could not get the ISO from any of ${failures.length} URLs: ${failures.join('; ')}`, 'run the build again: a download cut off resumes where it stopped');
}

/** The URL record key of an ISO built by a profile's script. */
export const buildKey = (script: string): string => `build:${path.resolve(script)}`;

async function buildIso(opts: AcquireOptions): Promise<AcquiredIso> {
  const script = path.resolve(opts.profileDir, opts.build!);
  const out = path.join(opts.cacheDir, 'iso-build');
  await mkdir(out, {recursive: true});
  opts.log('info', `getting the ISO from the profile's build script ${script}`);
  const {execa} = await import('execa');
  const r = await execa('bash', [script, out], {cancelSignal: opts.signal, reject: false, stderr: ['pipe'], lines: true});
  for (const line of r.stderr as unknown as string[]) opts.log('debug', line);
  if (r.isCanceled) throw opts.signal.reason;
  if (r.exitCode !== 0) {
    const msg = (r.stderr as unknown as string[]).slice(-5).join('\n  ');
    throw new StepError(`ISO build script ${script} failed (exit ${r.exitCode}):\n  ${msg}`);
  }
  const lines = (r.stdout as unknown as string[]).filter(Boolean);
  const iso = lines[lines.length - 1];
  if (!iso || !existsSync(iso)) throw new StepError(`ISO build script ${script} printed no existing ISO path (got ${JSON.stringify(iso)})`);
  // A checksum still applies to a built ISO when the profile gives one.
  await verify(iso, await resolveChecksum(opts.checksum, iso, opts.profileDir, opts.signal), iso, opts.signal);
  remember(opts, buildKey(script), iso);
  return {path: iso, how: 'built'};
}
