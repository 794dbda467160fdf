/**
 * Packer's `iso_checksum` forms and checksum-list files, following go-getter's checksum.go
 * (which Packer uses for this), plus streaming file hashing. Pure except {@link hashFile}.
 *
 * Forms: `none`, `md5:hex`, `sha1:hex`, `sha256:hex`, `sha512:hex`, bare hex (type from its
 * length), and `file:<url-or-path>` naming a GNU- or BSD-style list. vmbench also accepts
 * `sha256:file:<url>` to pick only entries of that type; Packer rejects that form.
 */

import {createHash} from 'node:crypto';
import {createReadStream} from 'node:fs';

/** Hash algorithms Packer accepts for ISO checksums. */
export type ChecksumType = 'md5' | 'sha1' | 'sha256' | 'sha512';
/** A checksum to verify against, or none. `hex` is lower-case. */
export type Checksum = {type: 'none'} | {type: ChecksumType; hex: string};
/** What `iso_checksum` says: a checksum, or where to find a list that holds it. */
export type ChecksumSpec = Checksum | {type: 'file'; location: string; hashType?: ChecksumType};

/** An `iso_checksum` or checksum list that cannot be used; the message says why. */
export class ChecksumError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ChecksumError';
  }
}

/** Hex digits per type; distinct, which is what lets a bare hex value name its type. */
const HEX_LENGTH: Readonly<Record<ChecksumType, number>> = {md5: 32, sha1: 40, sha256: 64, sha512: 128};
const TYPES = Object.keys(HEX_LENGTH) as ChecksumType[];
const HEX = /^[0-9a-f]+$/i;

function isChecksumType(s: string): s is ChecksumType {
  return Object.hasOwn(HEX_LENGTH, s);
}

function typeFromLength(hex: string): ChecksumType | undefined {
  return TYPES.find((t) => HEX_LENGTH[t] === hex.length);
}

/**
 * Parse an `iso_checksum` value. Type prefixes and `none` are case-insensitive (go-getter
 * lower-cases the type), hex is returned lower-case.
 *
 * @throws ChecksumError for an empty value, an unknown type, non-hex digits, or a length
 *   that does not fit the type.
 */
export function parseChecksumSpec(spec: string): ChecksumSpec {
  const s = spec.trim();
  if (s === '') throw new ChecksumError('iso_checksum is empty: give a checksum, file:<url of a list>, or none');
  if (s.toLowerCase() === 'none') return {type: 'none'};

  const colon = s.indexOf(':');
  if (colon < 0) {
    const type = checkHex(s, undefined);
    return {type, hex: s.toLowerCase()};
  }
  const prefix = s.slice(0, colon).toLowerCase();
  const rest = s.slice(colon + 1);
  if (prefix === 'file') return fileSpec(rest, undefined, s);
  if (!isChecksumType(prefix)) {
    const hint = /^(https?|ftp|file)$/.test(prefix) ? `; for a checksum list write file:${s}` : '';
    throw new ChecksumError(
      `unknown checksum type "${s.slice(0, colon)}" in ${JSON.stringify(s)} (use md5, sha1, sha256, sha512, file or none)${hint}`,
    );
  }
  if (rest.toLowerCase().startsWith('file:')) return fileSpec(rest.slice(5), prefix, s);
  checkHex(rest, prefix);
  return {type: prefix, hex: rest.toLowerCase()};
}

function fileSpec(location: string, hashType: ChecksumType | undefined, spec: string): ChecksumSpec {
  if (location.trim() === '') throw new ChecksumError(`${JSON.stringify(spec)} names no checksum list after file:`);
  return hashType ? {type: 'file', location, hashType} : {type: 'file', location};
}

/** Validate hex digits and length; returns the type (inferred from the length when not given). */
function checkHex(hex: string, type: ChecksumType | undefined): ChecksumType {
  if (!HEX.test(hex)) {
    const hint = /\.(iso|img|sum|txt)$/i.test(hex) || hex.includes('/')
      ? '; it looks like a file name: for a checksum list write file:<url or path>'
      : '';
    throw new ChecksumError(`not a hex checksum: ${JSON.stringify(hex)}${hint}`);
  }
  if (type) {
    if (hex.length !== HEX_LENGTH[type]) {
      throw new ChecksumError(`a ${type} checksum has ${HEX_LENGTH[type]} hex digits, this one has ${hex.length}`);
    }
    return type;
  }
  const inferred = typeFromLength(hex);
  if (!inferred) {
    throw new ChecksumError(
      `cannot tell the checksum type of ${hex.length} hex digits (md5 32, sha1 40, sha256 64, sha512 128); ` +
        'prefix it with its type, e.g. sha256:…',
    );
  }
  return inferred;
}

/** One usable line of a checksum list. `name` is undefined for a line holding only a hash. */
interface ListEntry {
  type: ChecksumType;
  hex: string;
  name: string | undefined;
}

/** BSD-style tags other tools write for the same algorithms (OpenSSL 3 `dgst`: `SHA2-256(name)= hex`). */
const TAG_ALIASES: Readonly<Record<string, ChecksumType>> = {'sha2-256': 'sha256', 'sha2-512': 'sha512', 'sha-256': 'sha256', 'sha-512': 'sha512', 'sha-1': 'sha1'};

// BSD: `SHA256 (name) = hex`. GNU: `hex  name`, `hex *name` (binary), `hex ?name` (shasum -p).
const BSD_LINE = /^([A-Za-z0-9-]+) ?\((.*)\) ?= ?([0-9A-Fa-f]+)$/;
const GNU_LINE = /^([0-9A-Fa-f]+)[ \t]+[*?]?(.+)$/;
const BARE_LINE = /^([0-9A-Fa-f]+)$/;

/** Parse one list line; undefined for blank, comment, PGP armour or unusable lines. */
function parseListLine(raw: string): ListEntry | undefined {
  let line = raw.trim();
  // go-getter v2 skips `#` comments and the `-----BEGIN PGP…` armour of signed lists.
  if (line === '' || line.startsWith('#') || line.startsWith('-')) return undefined;
  // GNU coreutils prefixes a line with `\` when it escaped `\` or newline in the name.
  const escaped = line.startsWith('\\');
  if (escaped) line = line.slice(1);
  const unescape = (name: string): string =>
    escaped ? name.replace(/\\(\\|n)/g, (_, c: string) => (c === 'n' ? '\n' : '\\')) : name;

  const bsd = BSD_LINE.exec(line);
  if (bsd) {
    const tag = bsd[1]!.toLowerCase();
    const type = TAG_ALIASES[tag] ?? tag;
    const hex = bsd[3]!;
    if (!isChecksumType(type) || hex.length !== HEX_LENGTH[type]) return undefined;
    return {type, hex: hex.toLowerCase(), name: unescape(bsd[2]!)};
  }
  const gnu = GNU_LINE.exec(line) ?? BARE_LINE.exec(line);
  if (!gnu) return undefined;
  const hex = gnu[1]!;
  const type = typeFromLength(hex);
  if (!type) return undefined;
  return {type, hex: hex.toLowerCase(), name: gnu[2] === undefined ? undefined : unescape(gnu[2])};
}

/** The file name an ISO URL or path ends in: no query, fragment, directories or `./`. */
function baseName(isoName: string): string {
  let path = isoName.trim();
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(path)) {
    try {
      path = decodeURIComponent(new URL(path).pathname);
    } catch {
      path = path.replace(/[?#].*$/, '');
    }
  }
  return path.split(/[\\/]/).pop() ?? '';
}

const stripDotSlash = (name: string): string => name.replace(/^(?:\.\/)+/, '');
const lastSegment = (name: string): string => name.split('/').pop() ?? name;

/**
 * Pick the checksum for an ISO from the text of a checksum list (GNU `hex  name`,
 * `hex *name`, `hex ?name`, or BSD `SHA256 (name) = hex`). The ISO is matched by file name
 * (`isoName` may be the full URL or path): first an exact entry, ignoring a leading `./`,
 * then a unique entry in a subdirectory (`./amd64/mini.iso`). A list holding only bare hashes
 * (no names) yields its first one, as go-getter does.
 *
 * @throws ChecksumError when the ISO is not listed (naming a few that are), or is listed in
 *   several directories with different checksums.
 */
export function pickFromChecksumList(listText: string, isoName: string, hashType?: ChecksumType): Checksum {
  const want = baseName(isoName);
  if (want === '') throw new ChecksumError(`cannot tell the file name of ${JSON.stringify(isoName)}`);
  const all = listText.split(/\r?\n/).flatMap((l) => parseListLine(l) ?? []);
  const entries = hashType ? all.filter((e) => e.type === hashType) : all;
  const named = entries.filter((e): e is ListEntry & {name: string} => e.name !== undefined);

  const exact = named.find((e) => stripDotSlash(e.name) === want);
  if (exact) return {type: exact.type, hex: exact.hex};

  const inSubdir = named.filter((e) => lastSegment(stripDotSlash(e.name)) === want);
  const distinct = new Set(inSubdir.map((e) => `${e.type}:${e.hex}`));
  if (distinct.size === 1) return {type: inSubdir[0]!.type, hex: inSubdir[0]!.hex};
  if (distinct.size > 1) {
    throw new ChecksumError(
      `${want} is listed more than once with different checksums (${inSubdir.map((e) => e.name).join(', ')}); ` +
        'give iso_checksum as type:hex instead',
    );
  }

  const bare = entries.find((e) => e.name === undefined);
  if (bare && named.length === 0) return {type: bare.type, hex: bare.hex};

  const names = named.map((e) => e.name);
  const shown = names.slice(0, 5).join(', ') + (names.length > 5 ? `, … (${names.length} in all)` : '');
  const filter = hashType && all.length !== entries.length ? ` ${hashType}` : '';
  throw new ChecksumError(
    names.length > 0
      ? `no${filter} checksum for ${want} in the checksum list; it lists ${shown}`
      : `no${filter} checksum entries found in the checksum list (looking for ${want})`,
  );
}

/**
 * Hash a file by streaming it (ISOs are gigabytes); resolves to lower-case hex.
 * Rejects with an AbortError when `signal` aborts.
 */
export async function hashFile(path: string, type: ChecksumType, signal?: AbortSignal): Promise<string> {
  signal?.throwIfAborted();
  const hash = createHash(type);
  // Large reads: hashing is I/O bound and the default 64 KiB chunks cost many event-loop turns.
  for await (const chunk of createReadStream(path, {highWaterMark: 1 << 20, signal})) {
    hash.update(chunk as Buffer);
  }
  return hash.digest('hex');
}

/**
 * A stable, file-name-safe cache key for a downloaded ISO: the checksum's hex when known
 * (so the same ISO from another mirror is found again), else the sha256 of the URL.
 */
export function cacheKey(checksum: Checksum, isoUrl: string): string {
  if (checksum.type !== 'none') return checksum.hex.toLowerCase();
  return createHash('sha256').update(isoUrl).digest('hex');
}
