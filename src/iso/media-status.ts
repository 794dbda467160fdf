/**
 * Where a profile's ISO (or, with disk_image, its disk image) stands before a build, read from
 * the disk only — no network, fast enough for the picker's every row: already in the cache (and
 * where), part-downloaded, still to download (and how big, when a download's headers or a HEAD
 * request said), a local file that is or is not there, or built by the profile's own script.
 *
 * A checksum given in the profile names the cache file directly (the cache is keyed by it); one
 * from a `file:` list is only known once the list was read, so the URL record a download leaves
 * (url-records.ts) says where it went.
 */
import {existsSync, readFileSync, statSync} from 'node:fs';
import path from 'node:path';
import {cacheKey, parseChecksumSpec} from '../engine/checksum.js';
import type {Profile} from '../profiles/schema.js';
import {buildKey, downloadTarget, isRemote, localPath} from './acquire.js';
import {partFile, partRecordFile, type PartRecord} from './download.js';
import {readUrlRecord} from './url-records.js';

export type MediaFields = Pick<Profile, 'iso_urls' | 'iso_checksum' | 'iso_build' | 'iso_target_path' | 'iso_target_extension' | 'disk_image'>;

export interface MediaStatus {
  /** An installer ISO, or a disk image to start from (disk_image). */
  kind: 'iso' | 'image';
  /** Where it comes from: a download, a local file, the profile's build script, or nowhere (no iso_url). */
  source: 'download' | 'local' | 'script' | 'none';
  /**
   * download: `cached` (verified, at `path`), `partial` (a part of `bytes` to resume), `missing`;
   * local: `present` / `absent`; script: `built` (its last ISO is at `path`) / `unbuilt`.
   */
  state: 'cached' | 'partial' | 'missing' | 'present' | 'absent' | 'built' | 'unbuilt';
  /** The URL it is (or would be) downloaded from. */
  url?: string;
  /** The file: cached, local, built, or the part being downloaded. */
  path?: string;
  /** Its size on disk. */
  bytes?: number;
  /** The whole download's size, when known. */
  size?: number;
  /** Where `size` came from: the file itself, or what a server said (a download, a HEAD request). */
  sizeFrom?: 'file' | 'server';
  /** The ISO build script (iso_build). */
  script?: string;
}

const fileSize = (file: string): number | undefined => {
  try {
    const st = statSync(file);
    return st.isFile() ? st.size : undefined;
  } catch {
    return undefined;
  }
};

function readPart(dest: string): PartRecord | undefined {
  try {
    return JSON.parse(readFileSync(partRecordFile(dest), 'utf8')) as PartRecord;
  } catch {
    return undefined;
  }
}

/** Where a download of `url` is kept once verified, when that can be told without the network. */
function cachedPathOf(m: MediaFields, url: string, profileDir: string, cacheDir: string): string | undefined {
  let spec;
  try {
    spec = parseChecksumSpec(m.iso_checksum);
  } catch {
    return undefined;
  }
  if (spec.type !== 'file') return downloadTarget({cacheDir, profileDir, targetPath: m.iso_target_path}, `${cacheKey(spec, url)}.${m.iso_target_extension || 'iso'}`);
  const rec = readUrlRecord(cacheDir, url);
  return rec?.checksumSpec === m.iso_checksum ? (rec.path ?? rec.partOf) : undefined;
}

export function mediaStatus(m: MediaFields, profileDir: string, cacheDir: string): MediaStatus {
  const kind = m.disk_image ? 'image' : 'iso';
  if (m.iso_build) {
    const script = path.resolve(profileDir, m.iso_build);
    const rec = readUrlRecord(cacheDir, buildKey(script));
    const bytes = rec?.path ? fileSize(rec.path) : undefined;
    return bytes !== undefined ? {kind, source: 'script', state: 'built', script, path: rec!.path, bytes, size: bytes, sizeFrom: 'file'} : {kind, source: 'script', state: 'unbuilt', script};
  }
  const urls = m.iso_urls ?? [];
  if (!urls.length) return {kind, source: 'none', state: 'missing'};
  let partial: MediaStatus | undefined;
  let firstRemote: string | undefined;
  let firstLocal: string | undefined;
  // In the order a build tries them: the first that is there is the one it would use.
  for (const url of urls) {
    if (!isRemote(url)) {
      let file: string;
      try {
        file = localPath(url, profileDir);
      } catch {
        continue; // a file: URL naming another host: acquire says why
      }
      const bytes = fileSize(file);
      if (bytes !== undefined) return {kind, source: 'local', state: 'present', path: file, bytes, size: bytes, sizeFrom: 'file'};
      firstLocal ??= file;
      continue;
    }
    firstRemote ??= url;
    const dest = cachedPathOf(m, url, profileDir, cacheDir);
    if (!dest) continue;
    const bytes = fileSize(dest);
    if (bytes !== undefined) return {kind, source: 'download', state: 'cached', url, path: dest, bytes, size: bytes, sizeFrom: 'file'};
    const have = fileSize(partFile(dest));
    if (have && !partial) {
      const total = readPart(dest)?.total;
      partial = {kind, source: 'download', state: 'partial', url, path: partFile(dest), bytes: have, ...(total ? {size: total, sizeFrom: 'server' as const} : {})};
    }
  }
  if (partial) return partial;
  if (!firstRemote) return {kind, source: 'local', state: 'absent', path: firstLocal};
  const size = readUrlRecord(cacheDir, firstRemote)?.size;
  return {kind, source: 'download', state: 'missing', url: firstRemote, ...(size ? {size, sizeFrom: 'server' as const} : {})};
}

/**
 * A row's cell, ≤ 12 cells: `cached 630M`, `↓ 630M` (to download), `↓ …` (its size being asked),
 * `size unknown`, `partial 45%`, `local 12M`, `no file`, `built 12M`, `by script`.
 * `size`: a download's size learned elsewhere (a HEAD request); `pending`: that request runs.
 */
export function mediaCell(m: MediaStatus | undefined, size: number | undefined = m?.size, pending = false): string {
  if (!m) return '';
  const n = (size ?? m.size) !== undefined ? formatSizeShort((size ?? m.size)!) : undefined;
  switch (m.state) {
    case 'cached':
      return `cached ${n ?? ''}`.trim();
    case 'partial':
      return m.size ? `partial ${Math.floor((100 * (m.bytes ?? 0)) / m.size)}%` : 'partial';
    case 'missing':
      if (m.source === 'none') return 'no iso_url';
      return n ? `↓ ${n}` : pending ? '↓ …' : 'size unknown';
    case 'present':
      return `local ${n ?? ''}`.trim();
    case 'absent':
      return 'no file';
    case 'built':
      return `built ${n ?? ''}`.trim();
    case 'unbuilt':
      return 'by script';
  }
}

/** `4.0G`, `630M`, `12K`: sizes in few cells. */
export function formatSizeShort(n: number): string {
  const units = ['B', 'K', 'M', 'G', 'T'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${n}B` : `${v < 10 ? v.toFixed(1) : Math.round(v)}${units[u]}`;
}

/** A sentence for the detail line: what it is, whether it is there, and where. */
export function mediaSentence(s: MediaStatus, size: number | undefined = s.size, sizeProbe?: 'pending' | 'unknown'): string {
  const what = s.kind === 'image' ? 'disk image' : 'ISO';
  const sz = (n: number | undefined): string => (n !== undefined ? formatSizeShort(n) : sizeProbe === 'pending' ? 'size: asking the server…' : 'size unknown');
  switch (s.state) {
    case 'cached':
      return `${what}: cached (${sz(s.bytes)}) at ${s.path}`;
    case 'partial':
      return `${what}: partly downloaded (${sz(s.bytes)} of ${sz(s.size)}), the next build resumes it: ${s.path}`;
    case 'missing':
      return s.source === 'none' ? `${what}: no iso_url` : `${what}: not downloaded yet (${sz(size)}) from ${s.url}`;
    case 'present':
      return `${what}: local file (${sz(s.bytes)}) ${s.path}`;
    case 'absent':
      return `${what}: local file missing: ${s.path}`;
    case 'built':
      return `${what}: built by ${path.basename(s.script ?? '')} (${sz(s.bytes)}) at ${s.path}`;
    case 'unbuilt':
      return `${what}: built by the profile's script ${path.basename(s.script ?? '')} when a build needs it (no download)`;
  }
}
