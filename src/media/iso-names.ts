/**
 * Names in an ISO 9660 image (pure): the volume label, the primary tree's level-1 names (8.3,
 * upper-case d-characters, ";1" on files — what genisoimage and xorriso write by default, read
 * by every ISO reader), Joliet's UCS-2 names (≤ 64 characters, no * / : ; ? \), and the two sort
 * orders directories must be recorded in. Rock Ridge keeps the real name, so mangled primary
 * names are seen only by readers without Rock Ridge or Joliet.
 */
import {MediaError} from './media-tree.js';

/** Longest volume identifier in the primary volume descriptor. */
export const MAX_LABEL = 32;
/** Joliet's volume identifier holds 16 UCS-2 characters. */
export const JOLIET_LABEL = 16;
/** Joliet's limit for a name (without ";1"). */
export const JOLIET_NAME = 64;

/**
 * Check a volume label (cd_label). Written as given, like genisoimage and xorriso do: cloud-init's
 * NoCloud looks for the label "cidata" in lower case, and blkid reports the primary descriptor's
 * (or Joliet's) identifier byte for byte. Printable ASCII only, at most 32 characters.
 */
export function checkVolumeLabel(label: string, what: string): string {
  if (label.length === 0) throw new MediaError(`${what}: the volume label is empty`);
  if (label.length > MAX_LABEL) throw new MediaError(`${what}: the volume label "${label}" is ${label.length} characters; an ISO 9660 volume label holds at most ${MAX_LABEL}`);
  const bad = [...label].find((c) => c < ' ' || c > '~');
  if (bad !== undefined) throw new MediaError(`${what}: the volume label "${label}" has the character ${JSON.stringify(bad)}; use printable ASCII`);
  return label;
}

const D_CHAR = /[A-Z0-9_]/;

function dChars(s: string): string {
  let out = '';
  for (const c of s.toUpperCase()) out += D_CHAR.test(c) ? c : '_';
  return out;
}

/**
 * Level-1 identifiers for the names of one directory, in the same order: "NAME.EXT;1" for files
 * (base ≤ 8, extension ≤ 3), "NAME" (≤ 8) for directories; unique within the directory (a
 * clash ends the base with a number: USER_DAT, USER_DA1, ...). `taken` names already used.
 */
export function isoNames(items: readonly {name: string; dir: boolean}[], taken: Iterable<string> = []): string[] {
  const used = new Set(taken);
  return items.map(({name, dir}) => {
    let base: string;
    let ext = '';
    const dot = name.lastIndexOf('.');
    if (dir || dot <= 0) base = dChars(name);
    else {
      base = dChars(name.slice(0, dot));
      ext = dChars(name.slice(dot + 1)).slice(0, 3);
    }
    base = base.slice(0, 8) || '_';
    const make = (b: string): string => (dir ? b : `${b}.${ext};1`);
    let id = make(base);
    for (let n = 1; used.has(id); n++) {
      const suffix = String(n);
      id = make(base.slice(0, Math.max(1, 8 - suffix.length)) + suffix);
    }
    used.add(id);
    return id;
  });
}

/** Characters Joliet forbids in names (besides control characters). */
const JOLIET_BAD = new Set(['*', '/', ':', ';', '?', '\\']);

/**
 * Joliet names for one directory, in the same order: the real name with forbidden characters
 * replaced by "_", cut to 64 UTF-16 units (keeping an extension), unique within the directory;
 * files get ";1" as genisoimage writes. Returned as the names (without ";1"); see `jolietId`.
 */
export function jolietNames(items: readonly {name: string; dir: boolean}[]): string[] {
  const used = new Set<string>();
  return items.map(({name}) => {
    let clean = '';
    for (const c of name) clean += c < ' ' || JOLIET_BAD.has(c) ? '_' : c;
    let out = cut(clean, JOLIET_NAME);
    for (let n = 1; used.has(out); n++) out = cut(clean, JOLIET_NAME, `~${n}`);
    used.add(out);
    return out;
  });
}

/** `name` cut to `max` UTF-16 units with `tag` before its extension; never splits a surrogate pair. */
function cut(name: string, max: number, tag = ''): string {
  if (name.length + tag.length <= max) {
    const dot = name.lastIndexOf('.');
    return dot > 0 ? name.slice(0, dot) + tag + name.slice(dot) : name + tag;
  }
  const dot = name.lastIndexOf('.');
  const ext = dot > 0 && name.length - dot <= 16 ? name.slice(dot) : '';
  const stem = name.slice(0, name.length - ext.length);
  let keep = max - ext.length - tag.length;
  if (/[\ud800-\udbff]/.test(stem[keep - 1] ?? '')) keep--;
  return stem.slice(0, keep) + tag + ext;
}

/** A Joliet identifier's bytes: UCS-2 big-endian, ";1" after file names. */
export function jolietId(name: string, dir: boolean): Buffer {
  return ucs2be(dir ? name : `${name};1`);
}

export function ucs2be(s: string): Buffer {
  return Buffer.from(s, 'utf16le').swap16();
}

/**
 * ISO 9660's order for primary identifiers (ECMA-119 9.3): by name, then extension, each
 * compared as if padded with spaces, then by version. Plain byte order gets "A.1;1" and "A.12;1"
 * wrong because ";" sorts after the digits.
 */
export function compareIsoIds(a: string, b: string): number {
  const split = (id: string): [string, string, string] => {
    const semi = id.indexOf(';');
    const body = semi < 0 ? id : id.slice(0, semi);
    const version = semi < 0 ? '' : id.slice(semi + 1);
    const dot = body.indexOf('.');
    return dot < 0 ? [body, '', version] : [body.slice(0, dot), body.slice(dot + 1), version];
  };
  const [an, ae, av] = split(a);
  const [bn, be, bv] = split(b);
  return padCompare(an, bn) || padCompare(ae, be) || padCompare(av, bv);
}

function padCompare(a: string, b: string): number {
  const n = Math.max(a.length, b.length);
  const pa = a.padEnd(n, ' ');
  const pb = b.padEnd(n, ' ');
  return pa < pb ? -1 : pa > pb ? 1 : 0;
}

/** Joliet directories are sorted by the identifiers' UCS-2 bytes. */
export function compareBytes(a: Buffer, b: Buffer): number {
  return Buffer.compare(a, b);
}
