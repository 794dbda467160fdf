/**
 * FAT names (pure): 8.3 short names as Windows derives them (upper case, invalid characters as
 * "_", a "~N" tail when the long name does not fit), the VFAT long-name entries that carry the
 * real name (13 UTF-16 units each, checksummed against the short name), and volume labels.
 */
import {MediaError} from './media-tree.js';

/** Longest VFAT long name, in UTF-16 units. */
export const MAX_LONG_NAME = 255;
/** Characters a short name may not hold (besides control characters, space and "."). */
const SHORT_BAD = new Set([...'"*+,/:;<=>?[\\]|']);
/** Characters a long name may not hold (besides control characters). */
const LONG_BAD = new Set([...'"*/:<>?\\|']);

/** A short name as its 11 stored bytes ("USER-D~1" + "   ") and as shown ("USER-D~1"). */
export interface ShortName {
  raw: Buffer;
  shown: string;
}

function shortChars(s: string): {text: string; lossy: boolean} {
  let text = '';
  let lossy = false;
  for (const c of s) {
    const up = c.toUpperCase();
    if (c === ' ' || c === '.') lossy = true;
    else if (c < '!' || c > '~' || SHORT_BAD.has(c) || up.length !== 1) {
      text += '_';
      lossy = true;
    } else text += up;
  }
  return {text, lossy};
}

/** Is `name` already a valid upper-case 8.3 name (stored as is, with no long-name entries)? */
export function isPlainShortName(name: string): boolean {
  return /^[A-Z0-9!#$%&'()\-@^_`{}~]{1,8}(\.[A-Z0-9!#$%&'()\-@^_`{}~]{1,3})?$/.test(name);
}

/**
 * The short names for one directory's long names, in order, unique within it; `needsLong[i]`
 * says whether name i needs long-name entries (it is not exactly its own short name).
 */
export function shortNames(names: readonly string[]): {short: ShortName[]; needsLong: boolean[]} {
  const used = new Set<string>();
  const short: ShortName[] = [];
  const needsLong: boolean[] = [];
  // Names that are their own short name keep it; claim those first so a mangled one never takes it.
  for (const n of names) if (isPlainShortName(n)) used.add(n);
  for (const name of names) {
    if (isPlainShortName(name)) {
      short.push(encodeShort(name));
      needsLong.push(false);
      continue;
    }
    const trimmed = name.replace(/^[. ]+/, '');
    const dot = trimmed.lastIndexOf('.');
    const b = shortChars(dot > 0 ? trimmed.slice(0, dot) : trimmed);
    const e = shortChars(dot > 0 ? trimmed.slice(dot + 1) : '');
    let base = b.text.slice(0, 8) || '_';
    const ext = e.text.slice(0, 3);
    const exact = !b.lossy && !e.lossy && b.text.length <= 8 && e.text.length <= 3 && trimmed === name;
    let shown = ext ? `${base}.${ext}` : base;
    // A name that differs only in case keeps its short form (the long name carries the case).
    if (!exact || used.has(shown)) {
      for (let n = 1; ; n++) {
        const tail = `~${n}`;
        base = b.text.slice(0, 8 - tail.length) || '_';
        shown = ext ? `${base}${tail}.${ext}` : `${base}${tail}`;
        if (!used.has(shown)) break;
        if (n > 999_999) throw new MediaError(`no free short name for "${name}"`);
      }
    }
    used.add(shown);
    short.push(encodeShort(shown));
    needsLong.push(true);
  }
  return {short, needsLong};
}

/** "NAME.EXT" → the 11 stored bytes; a leading 0xE5 is stored as 0x05 (0xE5 marks a deleted entry). */
export function encodeShort(shown: string): ShortName {
  const dot = shown.indexOf('.');
  const base = dot < 0 ? shown : shown.slice(0, dot);
  const ext = dot < 0 ? '' : shown.slice(dot + 1);
  const raw = Buffer.from(base.padEnd(8, ' ') + ext.padEnd(3, ' '), 'latin1');
  if (raw[0] === 0xe5) raw[0] = 0x05;
  return {raw, shown};
}

/** The checksum of a short name that each of its long-name entries carries. */
export function shortNameChecksum(raw: Buffer): number {
  let sum = 0;
  for (let i = 0; i < 11; i++) sum = (((sum & 1) << 7) + (sum >> 1) + raw[i]!) & 0xff;
  return sum;
}

/** Check a long name; throws naming `where`. */
export function checkLongName(name: string, where: string): void {
  if (name.length > MAX_LONG_NAME) throw new MediaError(`${where}: the name is ${name.length} characters; FAT long names hold at most ${MAX_LONG_NAME}`);
  const bad = [...name].find((c) => c < ' ' || LONG_BAD.has(c));
  if (bad !== undefined) throw new MediaError(`${where}: FAT names may not hold ${JSON.stringify(bad)}`);
  if (/[. ]$/.test(name)) throw new MediaError(`${where}: FAT names may not end in a dot or a space`);
}

/**
 * The long-name directory entries for `name`, in the order they are stored (last part first,
 * flagged 0x40), each 32 bytes.
 */
export function longNameEntries(name: string, checksum: number): Buffer[] {
  const units: number[] = [];
  for (let i = 0; i < name.length; i++) units.push(name.charCodeAt(i));
  if (units.length % 13 !== 0) units.push(0x0000);
  while (units.length % 13 !== 0) units.push(0xffff);
  const count = units.length / 13;
  const out: Buffer[] = [];
  for (let seq = count; seq >= 1; seq--) {
    const e = Buffer.alloc(32);
    e[0] = seq | (seq === count ? 0x40 : 0);
    e[11] = 0x0f; // attribute: long-name entry
    e[13] = checksum;
    const part = units.slice((seq - 1) * 13, seq * 13);
    const at = [1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30];
    part.forEach((u, i) => e.writeUInt16LE(u, at[i]!));
    out.push(e);
  }
  return out;
}

/**
 * Check a FAT volume label (floppy_label): at most 11 characters of printable ASCII without
 * the characters mkfs.fat refuses. Written as given (Packer's default "packer" stays lower case).
 */
export function checkFatLabel(label: string, what: string): Buffer {
  if (label.length === 0) throw new MediaError(`${what}: the volume label is empty`);
  if (label.length > 11) throw new MediaError(`${what}: the volume label "${label}" is ${label.length} characters; a FAT label holds at most 11`);
  const bad = [...label].find((c) => c < ' ' || c > '~' || SHORT_BAD.has(c) || c === '.');
  if (bad !== undefined) throw new MediaError(`${what}: the volume label "${label}" may not hold ${JSON.stringify(bad)}`);
  if (label.startsWith(' ')) throw new MediaError(`${what}: the volume label may not start with a space`);
  return Buffer.from(label.padEnd(11, ' '), 'latin1');
}
