// Pure naming and layout rules of the ISO 9660 and FAT writers (src/media/*-names.ts, fat-format.ts, media-tree.ts).
import {describe, expect, it} from 'vitest';
import {checkVolumeLabel, compareIsoIds, isoNames, jolietId, jolietNames} from '../../src/media/iso-names.js';
import {checkFatLabel, checkLongName, isPlainShortName, longNameEntries, shortNameChecksum, shortNames} from '../../src/media/fat-names.js';
import {dosDateTime, getFat12, setFat12} from '../../src/media/fat-format.js';
import {buildTree, MediaError, type ResolvedEntry} from '../../src/media/media-tree.js';
import {rrNM} from '../../src/media/iso-records.js';

describe('ISO 9660 level-1 names', () => {
  it.each([
    [[{name: 'user-data', dir: false}], ['USER_DAT.;1']],
    [[{name: 'meta-data', dir: false}, {name: 'meta-data.json', dir: false}], ['META_DAT.;1', 'META_DAT.JSO;1']],
    [[{name: 'a.txt', dir: false}, {name: 'A.TXT', dir: false}, {name: 'a.Txt', dir: false}], ['A.TXT;1', 'A1.TXT;1', 'A2.TXT;1']],
    [[{name: 'scripts', dir: true}, {name: 'Scripts', dir: true}], ['SCRIPTS', 'SCRIPTS1']],
    [[{name: 'very-long-directory.d', dir: true}], ['VERY_LON']],
    [[{name: '.bashrc', dir: false}, {name: 'archive.tar.gz', dir: false}], ['_BASHRC.;1', 'ARCHIVE_.GZ;1']],
    [[{name: 'ünïcode', dir: false}, {name: 'x', dir: false}], ['_N_CODE.;1', 'X.;1']],
    [[{name: 'abcdefgh1', dir: false}, {name: 'abcdefgh2', dir: false}, {name: 'abcdefgh3', dir: false}], ['ABCDEFGH.;1', 'ABCDEFG1.;1', 'ABCDEFG2.;1']],
  ])('%j → %j', (items, want) => {
    expect(isoNames(items)).toEqual(want);
  });

  it('never gives a name already taken (RR_MOVED reserved in the root)', () => {
    expect(isoNames([{name: 'rr_moved', dir: true}], ['RR_MOVED'])).toEqual(['RR_MOVE1']);
  });

  it.each([
    ['A.;1', 'B.;1', -1],
    ['A.1;1', 'A.12;1', -1], // byte order would put "A.12;1" first: ";" sorts after digits
    ['AB.C;1', 'A.CD;1', 1],
    ['A', 'A_', -1],
    ['RR_MOVED', 'RR_MOVED', 0],
  ])('compareIsoIds(%s, %s) = %i', (a, b, sign) => {
    expect(Math.sign(compareIsoIds(a, b))).toBe(sign);
  });
});

describe('Joliet names', () => {
  const long = 'n'.repeat(70) + '.yaml';
  it.each([
    [['user-data', 'Mixed Case.cfg'], ['user-data', 'Mixed Case.cfg']],
    [['a:b', 'a*b', 'what?'], ['a_b', 'a_b~1', 'what_']],
    [[long], ['n'.repeat(59) + '.yaml']],
    [[long, 'n' + long], ['n'.repeat(59) + '.yaml', 'n'.repeat(57) + '~1.yaml']],
  ])('%j → %j', (names, want) => {
    const got = jolietNames(names.map((name) => ({name, dir: false})));
    expect(got).toEqual(want);
    for (const g of got) expect(g.length).toBeLessThanOrEqual(64);
    expect(new Set(got).size).toBe(got.length);
  });

  it('writes UCS-2 big-endian with ";1" after file names only', () => {
    expect(jolietId('ab', false).toString('hex')).toBe('00610062003b0031');
    expect(jolietId('ab', true).toString('hex')).toBe('00610062');
  });
});

describe('volume labels', () => {
  it.each([
    ['cidata', 'cidata'],
    ['CIDATA', 'CIDATA'],
    ['Packer Build 2024', 'Packer Build 2024'],
  ])('ISO label %j is written as given', (label, want) => {
    expect(checkVolumeLabel(label, 'w')).toBe(want);
  });
  it.each([
    ['', /empty/],
    ['x'.repeat(33), /33 characters; an ISO 9660 volume label holds at most 32/],
    ['caf\u00e9', /printable ASCII/],
  ])('ISO label %j is refused', (label, msg) => {
    expect(() => checkVolumeLabel(label, 'writeIso')).toThrow(msg);
  });
  it.each([
    ['packer', 'packer     '],
    ['CIDATA', 'CIDATA     '],
  ])('FAT label %j', (label, raw) => {
    expect(checkFatLabel(label, 'w').toString('latin1')).toBe(raw);
  });
  it.each([
    ['twelve chars', /at most 11/],
    ['a.b', /may not hold "\."/],
    ['a*', /may not hold "\*"/],
  ])('FAT label %j is refused', (label, msg) => {
    expect(() => checkFatLabel(label, 'writeFloppy')).toThrow(msg);
  });
});

describe('FAT short names', () => {
  it.each([
    [['KS.CFG'], ['KS.CFG'], [false]],
    [['ks.cfg'], ['KS.CFG'], [true]],
    [['user-data', 'meta-data'], ['USER-D~1', 'META-D~1'], [true, true]],
    [['KS.CFG', 'ks.cfg'], ['KS.CFG', 'KS~1.CFG'], [false, true]],
    [['ks.cfg', 'KS.CFG'], ['KS~1.CFG', 'KS.CFG'], [true, false]],
    [['archive.tar.gz', '.hidden', 'a b.txt', 'x+y.ini'], ['ARCHIV~1.GZ', 'HIDDEN~1', 'AB~1.TXT', 'X_Y~1.INI'], [true, true, true, true]],
    [['Autounattend.xml', 'autounattend.xml'], ['AUTOUN~1.XML', 'AUTOUN~2.XML'], [true, true]],
  ])('%j → %j', (names, shown, long) => {
    const {short, needsLong} = shortNames(names);
    expect(short.map((s) => s.shown)).toEqual(shown);
    expect(needsLong).toEqual(long);
  });

  it('stores the 11 bytes padded, and a leading 0xE5 as 0x05', () => {
    expect(shortNames(['user-data']).short[0]!.raw.toString('latin1')).toBe('USER-D~1   ');
    expect(isPlainShortName('README')).toBe(true);
    expect(isPlainShortName('readme')).toBe(false);
    expect(isPlainShortName('TOOLONGNAME.TXT')).toBe(false);
  });

  it('checksums a short name as mtools does', () => {
    // 0xb0: the checksum mcopy wrote in the long-name entry of "user-data" (short name USER-D~1).
    expect(shortNameChecksum(Buffer.from('USER-D~1   ', 'latin1'))).toBe(0xb0);
    expect(shortNameChecksum(Buffer.from('KS      CFG', 'latin1'))).not.toBe(shortNameChecksum(Buffer.from('KS~1    CFG', 'latin1')));
  });

  it.each([
    ['ks.cfg', 1],
    ['exactly-13-ch', 1],
    ['fourteen-chars', 2],
    ['x'.repeat(255), 20],
  ])('long name %j takes %i entries, stored last part first', (name, count) => {
    const entries = longNameEntries(name, 0x42);
    expect(entries).toHaveLength(count);
    expect(entries[0]![0]).toBe(count | 0x40);
    expect(entries.at(-1)![0]! & 0x1f).toBe(1);
    for (const e of entries) expect([e[11], e[13]]).toEqual([0x0f, 0x42]);
    // Reassemble the name from the entries, as a reader does.
    const at = [1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30];
    const units = [...entries].reverse().flatMap((e) => at.map((o) => e.readUInt16LE(o)));
    const end = units.indexOf(0);
    expect(String.fromCharCode(...(end < 0 ? units : units.slice(0, end)))).toBe(name);
    if (name.length % 13 !== 0) expect(units.slice(end + 1).every((u) => u === 0xffff)).toBe(true);
  });

  it.each([
    ['a:b', /may not hold ":"/],
    ['trailing.', /may not end in a dot/],
    ['x'.repeat(256), /at most 255/],
  ])('long name %j is refused', (name, msg) => {
    expect(() => checkLongName(name, 'writeFloppy: "x"')).toThrow(msg);
  });
});

describe('FAT12 entries and DOS dates', () => {
  it('packs 12-bit entries in pairs without disturbing neighbours', () => {
    const fat = Buffer.alloc(12);
    const values = [0xff0, 0xfff, 0x003, 0xabc, 0x123, 0xfff, 0x800];
    values.forEach((v, i) => setFat12(fat, i, v));
    expect(values.map((_, i) => getFat12(fat, i))).toEqual(values);
    expect(fat.subarray(0, 3).toString('hex')).toBe('f0ffff');
  });
  it.each([
    ['2024-05-06T07:08:09.500Z', {date: ((2024 - 1980) << 9) | (5 << 5) | 6, time: (7 << 11) | (8 << 5) | 4, tenths: 150}],
    ['1970-01-01T00:00:00Z', {date: (1 << 5) | 1, time: 0, tenths: 0}],
  ])('%s', (iso, want) => {
    expect(dosDateTime(new Date(iso))).toEqual(want);
  });
});

describe('Rock Ridge NM entries', () => {
  it.each([
    ['user-data', 1],
    ['x'.repeat(250), 1],
    ['x'.repeat(251), 2],
  ])('%j takes %i entries; all but the last say "continues"', (name, count) => {
    const nm = rrNM(name);
    expect(nm).toHaveLength(count);
    expect(nm.map((e) => e[4])).toEqual([...Array(count - 1).fill(1), 0]);
    expect(Buffer.concat(nm.map((e) => e.subarray(5))).toString()).toBe(name);
  });
});

describe('buildTree', () => {
  const date = new Date('2024-01-02T03:04:05Z');
  const file = (p: string, size = 1): ResolvedEntry => ({path: p, kind: 'file', size, source: {kind: 'bytes', bytes: Buffer.alloc(size)}});
  it('implies parents, sorts names, and lets a listed directory set its mode', () => {
    const root = buildTree([file('b/x'), file('/a'), {path: './b', kind: 'dir', size: 0, mode: 0o700}], date, 'w');
    expect(root.children.map((c) => c.name)).toEqual(['a', 'b']);
    const b = root.children[1]!;
    expect(b).toMatchObject({kind: 'dir', mode: 0o700, path: 'b'});
  });
  it.each([
    [[file('a'), file('a')], /files\[1\] "a": a is already given by files\[0\]/],
    [[file('a'), file('a/b')], /files\[1\] "a\/b": a is a file \(files\[0\]\), not a directory/],
    [[file('a/b'), file('a')], /files\[1\] "a": a is a directory \(from files\[0\]\)/],
    [[file('../etc/passwd')], /"\.\." may not appear/],
    [[file('/')], /path names no file/],
    [[file('x'.repeat(256))], /longer than 255 bytes/],
  ])('refuses %#', (entries, msg) => {
    expect(() => buildTree(entries, date, 'w')).toThrow(MediaError);
    expect(() => buildTree(entries, date, 'w')).toThrow(msg);
  });
});
