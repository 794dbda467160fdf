import {createHash, randomBytes} from 'node:crypto';
import {readFileSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {afterEach, beforeAll, describe, expect, it} from 'vitest';
import {openIso, type IsoImage} from '../../src/iso/iso9660.js';
import {installerFixtureIso, makeIso, type Tree} from '../support/iso-images.js';
import {scratchDirs} from '../support/scratch.js';

const fresh = scratchDirs('vmbench-iso9660-');
const opened: IsoImage[] = [];
afterEach(async () => {
  for (const iso of opened.splice(0)) await iso.close();
});
async function open(file: string): Promise<IsoImage> {
  const iso = await openIso(file);
  opened.push(iso);
  return iso;
}

const big = randomBytes(300_000); // spans many 2 KiB blocks
const many = Object.fromEntries(Array.from({length: 150}, (_, i) => [`many/file-with-a-long-name-${String(i).padStart(3, '0')}.txt`, `#${i}\n`]));
const TREE: Tree = {
  'boot/grub/grub.cfg': 'menuentry x {\n  initrd /install/initrd.gz\n}\n',
  'install/initrd.gz': big,
  'Mixed-Case Name.cfg': 'hello',
  noext: 'no extension',
  'a/b/c/d/e/f/g/h/i/deep.txt': 'nine levels down',
  'link-to-grub': {link: 'boot/grub/grub.cfg'},
  ...many,
};

describe('openIso on images xorriso made', () => {
  it('reads Rock Ridge names, modes and links (-r -J)', async () => {
    const iso = await open(makeIso(fresh('rr'), TREE, ['-r', '-J'], 'MY_VOLUME'));
    expect(iso.volumeId).toBe('MY_VOLUME');
    expect(iso.naming).toBe('rock-ridge');
    const root = (await iso.list('/')).map((e) => e.name).sort();
    expect(root).toEqual(['Mixed-Case Name.cfg', 'a', 'boot', 'install', 'link-to-grub', 'many', 'noext']);
    expect((await iso.read('/boot/grub/grub.cfg')).toString()).toContain('initrd /install/initrd.gz');
    expect((await iso.read('a/b/c/d/e/f/g/h/i/deep.txt')).toString()).toBe('nine levels down');
    const link = await iso.stat('link-to-grub');
    expect(link).toMatchObject({type: 'symlink', linkTarget: 'boot/grub/grub.cfg'});
    const initrd = await iso.stat('/install/initrd.gz');
    expect(initrd).toMatchObject({type: 'file', size: big.length, path: '/install/initrd.gz'});
    expect(initrd!.mode! & 0o170000).toBe(0o100000);
    expect(initrd!.mtime!.getFullYear()).toBeGreaterThanOrEqual(2024);
    expect((await iso.read(initrd!)).equals(big)).toBe(true);
    // Positional reads across block boundaries, and clipped at the end of the file.
    expect((await iso.readRange(initrd!, 2000, 5000)).equals(big.subarray(2000, 7000))).toBe(true);
    expect((await iso.readRange(initrd!, big.length - 10, 100)).equals(big.subarray(big.length - 10))).toBe(true);
    // A directory larger than one block (records never cross a block boundary).
    const listed = await iso.list('/many');
    expect(listed).toHaveLength(150);
    expect(listed.map((e) => e.name)).toContain('file-with-a-long-name-149.txt');
    expect((await iso.read('/many/file-with-a-long-name-149.txt')).toString()).toBe('#149\n');
  });

  it('falls back to Joliet names when there is no Rock Ridge (--norock -J)', async () => {
    const iso = await open(makeIso(fresh('joliet'), TREE, ['--norock', '-J']));
    expect(iso.naming).toBe('joliet');
    expect((await iso.list('/')).map((e) => e.name)).toContain('Mixed-Case Name.cfg');
    expect((await iso.read('/Mixed-Case Name.cfg')).toString()).toBe('hello');
    expect((await iso.read('/many/file-with-a-long-name-007.txt')).toString()).toBe('#7\n');
    expect((await iso.stat('/install/initrd.gz'))?.size).toBe(big.length);
  });

  it('reads plain ISO 9660 names without ";1" or a trailing dot, matching case-insensitively', async () => {
    const iso = await open(makeIso(fresh('plain'), TREE, ['--norock']));
    expect(iso.naming).toBe('iso9660');
    const names = (await iso.list('/')).map((e) => e.name);
    expect(names).toContain('NOEXT');
    expect(names.every((n) => !n.includes(';') && !n.endsWith('.'))).toBe(true);
    expect((await iso.read('noext')).toString()).toBe('no extension');
    expect((await iso.read('/boot/grub/grub.cfg')).toString()).toContain('initrd');
    expect((await iso.read('/install/initrd.gz')).equals(big)).toBe(true);
  });

  it('follows Rock Ridge deep-directory relocation (CL/RE) and hides the relocation directory', async () => {
    const args = ['-compliance', 'deep_paths_off'];
    const dir = fresh('reloc');
    const iso = await open(makeIso(dir, TREE, ['-r', '-rr_reloc_dir', 'rr_moved'], 'RELOC', args));
    expect((await iso.read('/a/b/c/d/e/f/g/h/i/deep.txt')).toString()).toBe('nine levels down');
    expect((await iso.list('/')).map((e) => e.name)).not.toContain('rr_moved');
    // The relocation is real: without Rock Ridge names the moved directory sits in rr_moved.
    const plain = await open(makeIso(fresh('reloc-plain'), TREE, ['--norock', '-rr_reloc_dir', 'rr_moved'], 'RELOC', args));
    expect((await plain.list('/')).map((e) => e.name)).toContain('RR_MOVED');
  });

  it('walks the tree depth first, can stay out of directories and stops at maxEntries', async () => {
    const iso = await open(makeIso(fresh('walk'), TREE, ['-r']));
    const all: string[] = [];
    for await (const e of iso.walk('/', {descend: (d) => d.name !== 'many'})) all.push(e.path);
    expect(all).toContain('/a/b/c/d/e/f/g/h/i/deep.txt');
    expect(all).toContain('/many');
    expect(all.some((p) => p.startsWith('/many/'))).toBe(false);
    let n = 0;
    for await (const _ of iso.walk('/', {maxEntries: 5})) n++;
    expect(n).toBe(5);
  });

  it('says what is wrong: missing files, directories read as files, files listed as directories', async () => {
    const iso = await open(makeIso(fresh('errors'), TREE, ['-r']));
    expect(await iso.stat('/nope/x')).toBeUndefined();
    await expect(iso.read('/nope')).rejects.toThrow(/image\.iso: no such file \/nope/);
    await expect(iso.read('/boot')).rejects.toThrow(/\/boot is a directory/);
    await expect(iso.list('/noext')).rejects.toThrow(/\/noext is not a directory/);
    await expect(iso.list('/missing')).rejects.toThrow(/no such directory \/missing/);
    await expect(iso.read('/install/initrd.gz', {maxBytes: 1000})).rejects.toThrow(/300000 bytes, more than the 1000 allowed/);
  });
});

/**
 * A hand-made image (sector 16 primary descriptor, 17 terminator, 18 root directory, files after)
 * for records xorriso does not write for small test files: multi-extent files, broken records.
 */
function handMade(records: {name: string; lba: number; size: number; flags: number; len?: number}[], sectors = 24): Buffer {
  const img = Buffer.alloc(sectors * 2048);
  const rec = (at: number, name: Buffer, lba: number, size: number, flags: number, len?: number): number => {
    const l = len ?? 33 + name.length + (name.length % 2 === 0 ? 1 : 0);
    img[at] = l;
    img.writeUInt32LE(lba, at + 2);
    img.writeUInt32BE(lba, at + 6);
    img.writeUInt32LE(size, at + 10);
    img.writeUInt32BE(size, at + 14);
    img[at + 25] = flags;
    img[at + 32] = name.length;
    name.copy(img, at + 33);
    return at + l;
  };
  const pvd = 16 * 2048;
  img[pvd] = 1;
  img.write('CD001', pvd + 1, 'latin1');
  img[pvd + 6] = 1;
  img.write('HANDMADE'.padEnd(32), pvd + 40, 'latin1');
  img.writeUInt16LE(2048, pvd + 128);
  rec(pvd + 156, Buffer.from([0]), 18, 2048, 2);
  img[17 * 2048] = 255;
  img.write('CD001', 17 * 2048 + 1, 'latin1');
  let at = rec(18 * 2048, Buffer.from([0]), 18, 2048, 2);
  at = rec(at, Buffer.from([1]), 18, 2048, 2);
  for (const r of records) at = rec(at, Buffer.from(r.name, 'latin1'), r.lba, r.size, r.flags, r.len);
  return img;
}

describe('openIso on hand-made images', () => {
  it('reads a multi-extent file as its extents joined', async () => {
    const img = handMade([
      {name: 'PART.BIN;1', lba: 19, size: 2048, flags: 0x80},
      {name: 'PART.BIN;1', lba: 21, size: 100, flags: 0},
      {name: 'NEXT.TXT;1', lba: 22, size: 4, flags: 0},
    ]);
    img.fill(0x41, 19 * 2048, 20 * 2048);
    img.fill(0x42, 21 * 2048, 21 * 2048 + 100);
    img.write('next', 22 * 2048, 'latin1');
    const file = path.join(fresh('multi'), 'multi.iso');
    writeFileSync(file, img);
    const iso = await open(file);
    expect(iso.volumeId).toBe('HANDMADE');
    expect((await iso.list('/')).map((e) => [e.name, e.size])).toEqual([
      ['PART.BIN', 2148],
      ['NEXT.TXT', 4],
    ]);
    const data = await iso.read('part.bin');
    expect(data.length).toBe(2148);
    expect(data.subarray(2040, 2056).toString('latin1')).toBe('AAAAAAAABBBBBBBB');
    expect((await iso.readRange('PART.BIN', 2047, 2)).toString('latin1')).toBe('AB');
    expect((await iso.read('next.txt')).toString()).toBe('next');
  });

  it('rejects files that are not ISO images, broken records and truncated images, naming the file', async () => {
    const dir = fresh('broken');
    const junk = path.join(dir, 'junk.iso');
    writeFileSync(junk, randomBytes(40 * 2048));
    await expect(openIso(junk)).rejects.toThrow(/junk\.iso: not an ISO 9660 image \(no CD001 volume descriptor at sector 16\)/);
    const tiny = path.join(dir, 'small.iso');
    writeFileSync(tiny, 'short');
    await expect(openIso(tiny)).rejects.toThrow(/small\.iso: not an ISO 9660 image/);
    const bad = path.join(dir, 'bad-record.iso');
    writeFileSync(bad, handMade([{name: 'X.TXT;1', lba: 19, size: 1, flags: 0, len: 20}]));
    const badIso = await open(bad);
    await expect(badIso.list('/')).rejects.toThrow(/bad-record\.iso: bad directory record at byte 68 of \//);
    const cut = path.join(dir, 'cut.iso');
    writeFileSync(cut, handMade([{name: 'FAR.BIN;1', lba: 500, size: 4096, flags: 0}]));
    const cutIso = await open(cut);
    await expect(cutIso.read('/FAR.BIN')).rejects.toThrow(/cut\.iso: truncated ISO image/);
  });
});

describe('openIso on the real Debian installer fixture ISO', () => {
  let fixture = '';
  beforeAll(() => {
    fixture = installerFixtureIso();
  }, 120_000);

  it('finds the installer initrd and reads it byte for byte', async () => {
    const iso = await open(fixture);
    expect(iso.volumeId).toBe('DEBIAN_INSTALLER_12');
    expect(iso.naming).toBe('rock-ridge');
    expect((await iso.read('/isolinux.cfg')).toString()).toContain('include debian-installer/amd64/boot-screens/menu.cfg');
    const initrd = await iso.read('/debian-installer/amd64/initrd.gz');
    const pkg = readFileSync('/usr/lib/debian-installer/images/12/amd64/text/debian-installer/amd64/initrd.gz');
    const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
    expect(sha(initrd)).toBe(sha(pkg));
  });
});
