// writeFloppy (src/media/fat-writer.ts) checked by real readers: fsck.fat -n (dosfstools), mtools
// (mdir, mcopy, mlabel, mattrib) and blkid. Contents must come back byte for byte.
import {createHash, randomBytes} from 'node:crypto';
import {readdirSync, readFileSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import {FLOPPY_BYTES, writeFloppy, MediaError, type MediaEntry} from '../../src/media/fat-writer.js';
import {blkid, read, snapshot} from '../support/media-readers.js';
import {scratchDirs} from '../support/scratch.js';

const fresh = scratchDirs('vmbench-fat-writer-');
const DATE = new Date('2024-05-06T07:08:10Z');

/** fsck.fat in check-only mode must find nothing to say beyond its summary line. */
function expectClean(img: string): void {
  const r = read('fsck.fat', ['-n', img], {ok: false});
  expect(r.status, r.stdout + r.stderr).toBe(0);
  const said = r.stdout.split('\n').filter((l) => l && !l.startsWith('fsck.fat ') && !/^.+: \d+ files, \d+\/\d+ clusters$/.test(l));
  expect(said).toEqual([]);
}

describe('writeFloppy', () => {
  it('writes files and directories mtools copies back byte for byte, with long and short names, checked clean by fsck.fat', async () => {
    const dir = fresh('tree');
    const host = path.join(dir, 'host.bin');
    const hostBytes = randomBytes(900_000); // most of the floppy, read from a host file
    writeFileSync(host, hostBytes);
    const entries: MediaEntry[] = [
      {path: 'KS.CFG', content: 'upper 8.3\n'},
      {path: 'ks.cfg', content: 'lower case twin\n'},
      {path: 'user-data', content: '#cloud-config\n'},
      {path: 'Autounattend.xml', content: '<unattend/>\r\n'},
      {path: 'scripts/setup.ps1', content: 'Write-Host hi\r\n'},
      {path: 'scripts/ünïcödé name.txt', content: 'unicode'},
      {path: `long/${'n'.repeat(240)}.txt`, content: 'long'},
      {path: 'a/b/c/d/e/f/g/h/i/deep.txt', content: 'deep'},
      {path: 'drivers/host.bin', file: host},
      {path: 'empty.txt', content: ''},
      {path: 'empty-dir', directory: true},
      ...Array.from({length: 40}, (_, i): MediaEntry => ({path: `many/file-number-${i}.txt`, content: `#${i}\n`})), // a directory of several clusters
    ];
    const img = path.join(dir, 'floppy.img');
    const summary = await writeFloppy({files: entries, label: 'packer', date: DATE}, img);
    expect(summary).toMatchObject({file: img, bytes: 1_474_560, files: 50, label: 'packer'});
    expect(readFileSync(img).length).toBe(FLOPPY_BYTES);
    expectClean(img);

    const out = path.join(dir, 'out');
    read('mkdir', [out]);
    read('mcopy', ['-s', '-n', '-m', '-i', img, '::/', out]);
    const {files} = snapshot(out);
    const want = new Map<string, Buffer | null>();
    for (const e of entries) {
      const parts = e.path.split('/');
      for (let i = 1; i < parts.length; i++) want.set(parts.slice(0, i).join('/'), null);
      want.set(e.path, e.directory ? null : e.file ? hostBytes : Buffer.from(e.content!));
    }
    expect([...files.keys()].sort()).toEqual([...want.keys()].sort());
    for (const [p, bytes] of want) if (bytes) expect(files.get(p)?.equals(bytes), p).toBe(true);

    // Short names beside the long ones, as mdir shows them ("SHORT EXT size date time long").
    const root = read('mdir', ['-i', img, '::/']).stdout;
    expect(root).toMatch(/^KS\s+CFG\s+10 2024-05-06\s+7:08 *$/m); // no long name: already 8.3
    expect(root).toMatch(/^KS~1\s+CFG\s+16 .* ks\.cfg$/m);
    expect(root).toMatch(/^USER-D~1\s+14 .* user-data$/m);
    expect(root).toMatch(/^AUTOUN~1\s+XML\s+13 .* Autounattend\.xml$/m);
    expect(root).toMatch(/^EMPTY-~1\s+<DIR> .* empty-dir$/m);
    expect(read('mdir', ['-i', img, '::/scripts']).stdout).toMatch(/ ünïcödé name\.txt$/m);
    // Timestamps: the entries' date (2-second steps).
    expect(read('mdir', ['-i', img, '::/many']).stdout).toMatch(/^FILE-N~1\s+TXT\s+3 2024-05-06\s+7:08\s+file-number-0\.txt$/m);
  });

  it("writes the volume label as given, where blkid and mlabel read it (Packer's default 'packer', cloud-init's 'cidata')", async () => {
    const dir = fresh('label');
    for (const label of ['packer', 'cidata', 'CIDATA', 'WIN SETUP']) {
      const img = path.join(dir, `${label}.img`);
      await writeFloppy({files: [{path: 'a', content: 'a'}], label, date: DATE}, img);
      expect(blkid(img)).toMatchObject({TYPE: 'vfat', VERSION: 'FAT12', LABEL: label, LABEL_FATBOOT: label});
      expect(read('mlabel', ['-i', img, '-s', '::']).stdout.trim()).toBe(`Volume label is ${label}`);
      expectClean(img);
    }
    const img = path.join(dir, 'default.img');
    await writeFloppy({files: []}, img);
    expect(blkid(img).LABEL).toBe('packer');
  });

  it('marks a file without the owner write bit read-only', async () => {
    const dir = fresh('attr');
    const img = path.join(dir, 'f.img');
    await writeFloppy({files: [{path: 'ro.txt', content: 'r', mode: 0o444}, {path: 'rw.txt', content: 'w', mode: 0o644}], date: DATE}, img);
    const attrs = read('mattrib', ['-i', img, '::/ro.txt', '::/rw.txt']).stdout;
    expect(attrs).toMatch(/^\s*A\s+R\s+::\/ro\.txt$/m);
    expect(attrs).toMatch(/^\s*A\s+::\/rw\.txt$/m);
  });

  it('fills the floppy to the last cluster, and names what does not fit', async () => {
    const dir = fresh('full');
    const img = path.join(dir, 'full.img');
    // 2847 clusters of 512 bytes; one goes to the subdirectory.
    const exact = randomBytes(2846 * 512);
    const summary = await writeFloppy({files: [{path: 'd/all.bin', content: exact}], date: DATE}, img);
    expect(summary.freeBytes).toBe(0);
    expectClean(img);
    const out = path.join(dir, 'all.bin');
    read('mcopy', ['-n', '-i', img, '::/d/all.bin', out]);
    expect(readFileSync(out).equals(exact)).toBe(true);

    const err = await writeFloppy({files: [{path: 'd/all.bin', content: Buffer.alloc(2846 * 512 + 1)}]}, path.join(dir, 'over.img')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MediaError);
    expect((err as Error).message).toBe('writeFloppy: the files need 1,458,176 bytes in 512-byte clusters (directories included); a 1.44 MB floppy holds 1,457,664');
    expect(readdirSync(dir).sort()).toEqual(['all.bin', 'full.img']);
  });

  it('holds 223 files in the root (224 entries with the label), and says to use a subdirectory past that', async () => {
    const dir = fresh('root');
    const names = (n: number): MediaEntry[] => Array.from({length: n}, (_, i) => ({path: `F${i}.TXT`, content: `${i}`}));
    const img = path.join(dir, 'r.img');
    await writeFloppy({files: names(223), date: DATE}, img);
    expectClean(img);
    expect(read('mdir', ['-b', '-i', img, '::/']).stdout.trim().split('\n')).toHaveLength(223);
    await expect(writeFloppy({files: names(224)}, path.join(dir, 'x.img'))).rejects.toThrow(
      "writeFloppy: the root directory needs 225 entries (the label, and one per file plus one per 13 characters of a long name); a 1.44 MB floppy's root holds 224: put files in a subdirectory",
    );
  });

  it('writes the same bytes for the same input and date', async () => {
    const dir = fresh('same');
    const files: MediaEntry[] = [{path: 'b.txt', content: 'b'}, {path: 'dir/long name.txt', content: 'x'}];
    const sum = async (name: string): Promise<string> => {
      await writeFloppy({files, date: DATE}, path.join(dir, name));
      return createHash('sha256').update(readFileSync(path.join(dir, name))).digest('hex');
    };
    expect(await sum('1.img')).toBe(await sum('2.img'));
  });

  it.each([
    [{files: [{path: 'a:b', content: 'x'}]}, 'writeFloppy: "a:b": FAT names may not hold ":"'],
    [{files: [{path: 'a', content: 'x'}], label: 'twelve-chars'}, 'writeFloppy: the volume label "twelve-chars" is 12 characters; a FAT label holds at most 11'],
    [{files: [{path: 'a', content: 'x'}, {path: 'a/b', content: 'y'}]}, 'writeFloppy: files[1] "a/b": a is a file (files[0]), not a directory'],
  ])('refuses bad input with a message naming it (%#)', async (spec, message) => {
    const dir = fresh('bad');
    await expect(writeFloppy(spec as Parameters<typeof writeFloppy>[0], path.join(dir, 'x.img'))).rejects.toThrow(message);
    expect(readdirSync(dir)).toEqual([]);
  });
});
