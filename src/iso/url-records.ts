/**
 * What vmbench knows about a download without fetching anything: one small JSON file per URL
 * (or per ISO build script) under `<cache>/urls/`, naming the file it was saved as, its size and
 * the iso_checksum it was checked against, and the size a server gave for it (a download's
 * headers, or the picker's HEAD request). The picker reads these to say "cached" for a profile
 * whose checksum comes from a `file:` list — the cache file's name is that list's hash, which
 * is not known offline — and to show a download's size without asking the server again.
 *
 * Written plainly (a record torn by a crash reads as no record); never needed for a build.
 */
import {createHash} from 'node:crypto';
import {mkdirSync, readFileSync, writeFileSync} from 'node:fs';
import path from 'node:path';

export interface UrlRecord {
  /** The URL, or `build:<script path>` for an ISO a profile's script builds. */
  key: string;
  /** The verified file it was saved as (the cache, iso_target_path, or a build script's output). */
  path?: string;
  /** Where a download of it is under way (or was cut): `<partOf>.part` holds the bytes so far. */
  partOf?: string;
  /** That file's size. */
  bytes?: number;
  /** The iso_checksum it was checked against (as the profile wrote it). */
  checksumSpec?: string;
  /** The whole file's size as the server gave it. */
  size?: number;
  /** When `size` was learned (ms since epoch). */
  sizeTime?: number;
  /** When the record was last written. */
  time: number;
}

export const recordsDir = (cacheDir: string): string => path.join(cacheDir, 'urls');

export function recordPath(cacheDir: string, key: string): string {
  return path.join(recordsDir(cacheDir), `${createHash('sha256').update(key).digest('hex').slice(0, 32)}.json`);
}

export function readUrlRecord(cacheDir: string, key: string): UrlRecord | undefined {
  try {
    const r = JSON.parse(readFileSync(recordPath(cacheDir, key), 'utf8')) as UrlRecord;
    return r && r.key === key ? r : undefined;
  } catch {
    return undefined;
  }
}

/** Merge `patch` into the URL's record. Never throws: the record is a convenience. */
export function updateUrlRecord(cacheDir: string, key: string, patch: Partial<Omit<UrlRecord, 'key' | 'time'>>): void {
  try {
    const next: UrlRecord = {...readUrlRecord(cacheDir, key), ...patch, key, time: Date.now()};
    mkdirSync(recordsDir(cacheDir), {recursive: true});
    writeFileSync(recordPath(cacheDir, key), `${JSON.stringify(next)}\n`);
  } catch {
    // a read-only cache: the picker knows less, nothing breaks
  }
}
