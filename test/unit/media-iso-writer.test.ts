// writeIso (src/media/iso-writer.ts) checked by real readers: xorriso, bsdtar, isoinfo, blkid, and
// the repo's own ISO reader (src/iso/iso9660.ts). Contents must come back byte for byte.
import {createHash, randomBytes} from 'node:crypto';
import {readdirSync, readFileSync, statSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import {openIso} from '../../src/iso/iso9660.js';
import {writeIso, writeIsoTree, MediaError, type MediaEntry} from '../../src/media/iso-writer.js';
import {buildTree} from '../../src/media/media-tree.js';
import {blkid, read, snapshot} from '../support/media-readers.js';
import {scratchDirs} from '../support/scratch.js';

const fresh = scratchDirs('vmbench-iso-writer-');
const DATE = new Date('2024-05-06T07:08:09Z');

const big = randomBytes(300_000);
const longName = `${'long-name-'.repeat(20)}.md`; // 203 bytes: its Rock Ridge name needs a continuation area
const deep = 'a/b/c/d/e/f/g/h/i/j/k'; // 12 levels with the root: relocated past level 8

/** The tree every reader must give back, and the entries that describe it. */
function fixture(dir: string): {entries: MediaEntry[]; want: Map<string, Buffer | null>; modes: Map<string, number>} {
  const host = path.join(dir, 'host.bin');
  const hostBytes = randomBytes(2_500_000); // three 1 MiB copy chunks
  writeFileSync(host, hostBytes, {mode: 0o640});
  const entries: MediaEntry[] = [
    {path: 'user-data', content: '#cloud-config\n'},
    {path: '/meta-data', content: 'instance-id: iid-1\n'},
    {path: 'scripts/setup.sh', content: '#!/bin/sh\necho hi\n', mode: 0o755},
    {path: 'scripts/secret.key', content: 'k', mode: 0o600},
    {path: 'scripts/readonly.txt', content: 'r', mode: 0o444},
    {path: 'Mixed Case Name.cfg', content: 'hello'},
    {path: 'a.txt', content: 'lower'},
    {path: 'A.TXT', content: 'upper'},
    {path: 'ünïcödé-名前.txt', content: 'unicode'},
    {path: `docs/${longName}`, content: 'long'},
    {path: `${deep}/deep.txt`, content: 'twelve levels'},
    {path: 'big/random.bin', content: big},
    {path: 'big/host.bin', file: host},
    {path: 'empty.txt', content: ''},
    {path: 'empty-dir', directory: true, mode: 0o700},
  ];
  const want = new Map<string, Buffer | null>();
  const modes = new Map<string, number>();
  for (const e of entries) {
    const p = e.path.replace(/^\//, '');
    const parts = p.split('/');
    for (let i = 1; i < parts.length; i++) {
      want.set(parts.slice(0, i).join('/'), null);
      modes.set(parts.slice(0, i).join('/'), 0o755);
    }
    want.set(p, e.directory ? null : e.file ? hostBytes : Buffer.from(e.content!));
    modes.set(p, e.mode ?? (e.file ? 0o640 : e.directory ? 0o755 : 0o644));
  }
  return {entries, want, modes};
}

function expectSame(got: Map<string, Buffer | null>, want: Map<string, Buffer | null>): void {
  expect([...got.keys()].sort()).toEqual([...want.keys()].sort());
  for (const [p, bytes] of want) {
    if (bytes === null) expect(got.get(p), p).toBeNull();
    else expect(got.get(p)?.equals(bytes), `${p} read back byte for byte`).toBe(true);
  }
}

describe('writeIso', () => {
  it("writes a cloud-init seed labelled 'cidata' exactly as genisoimage does, as blkid and isoinfo read it", async () => {
    const dir = fresh('seed');
    const iso = path.join(dir, 'seed.iso');
    const summary = await writeIso({label: 'cidata', files: [{path: 'user-data', content: '#cloud-config\n'}, {path: 'meta-data', content: 'instance-id: x\n'}]}, iso);
    expect(summary).toMatchObject({file: iso, files: 2, directories: 0, label: 'cidata'});
    expect(readFileSync(iso).length).toBe(summary.bytes);
    // Packer runs `xorriso -as genisoimage -rock -joliet -volid cidata`: blkid must say the same of both.
    const ref = path.join(dir, 'ref.iso');
    writeFileSync(path.join(dir, 'user-data'), '#cloud-config\n');
    read('xorriso', ['-as', 'genisoimage', '-quiet', '-rock', '-joliet', '-volid', 'cidata', '-output', ref, path.join(dir, 'user-data')]);
    const ours = blkid(iso);
    const theirs = blkid(ref);
    expect(ours).toMatchObject({TYPE: 'iso9660', LABEL: 'cidata', VERSION: 'Joliet Extension'});
    expect(ours.LABEL).toBe(theirs.LABEL);
    expect(read('isoinfo', ['-d', '-i', iso]).stdout).toMatch(/^Volume id: cidata$/m);
    expect(read('isoinfo', ['-d', '-J', '-i', iso]).stdout).toMatch(/Joliet with UCS level 3 found/);
    expect(read('isoinfo', ['-R', '-f', '-i', iso]).stdout.trim().split('\n').sort()).toEqual(['/meta-data', '/user-data']);
  });

  it('gives back every name, mode and byte to xorriso, bsdtar and the repo reader (Rock Ridge + Joliet)', async () => {
    const dir = fresh('tree');
    const {entries, want, modes} = fixture(dir);
    const iso = path.join(dir, 'tree.iso');
    const summary = await writeIso({label: 'VMBENCH_TEST', files: entries, date: DATE}, iso);
    expect(summary).toMatchObject({files: 14, directories: 15});

    // libarchive (bsdtar) follows Rock Ridge, relocation (CL/RE) and continuation areas.
    const bs = path.join(dir, 'bsdtar');
    read('mkdir', [bs]);
    read('bsdtar', ['-xf', iso, '-C', bs]);
    const fromBsdtar = snapshot(bs);
    expectSame(fromBsdtar.files, want);
    for (const [p, mode] of modes) expect(fromBsdtar.modes.get(p), `mode of ${p}`).toBe(mode);

    // libisofs (xorriso): extract the whole tree; it shows the relocation directory as .rr_moved.
    const xo = path.join(dir, 'xorriso');
    read('xorriso', ['-osirrox', 'on', '-indev', iso, '-extract', '/', xo]);
    const fromXorriso = snapshot(xo);
    fromXorriso.files.delete('.rr_moved');
    expectSame(fromXorriso.files, want);
    for (const [p, mode] of modes) expect(fromXorriso.modes.get(p), `mode of ${p}`).toBe(mode);

    // cdrkit's isoinfo: the Joliet tree has the real names (≤ 64 characters), the primary tree 8.3 names.
    // (isoinfo prints Joliet's ";1" and cannot print non-Latin-1 names; the Joliet-only case below reads those.)
    const joliet = read('isoinfo', ['-J', '-f', '-i', iso]).stdout.trim().split('\n').map((l) => l.replace(/;1$/, ''));
    expect(joliet).toEqual(expect.arrayContaining(['/user-data', '/Mixed Case Name.cfg', '/a.txt', '/A.TXT', `/${deep}/deep.txt`]));
    expect(joliet).toContain(`/docs/${longName.slice(0, 61)}.md`);
    const plain = read('isoinfo', ['-f', '-i', iso]).stdout.trim().split('\n');
    expect(plain).toEqual(expect.arrayContaining(['/USER_DAT.;1', '/A.TXT;1', '/A1.TXT;1', '/SCRIPTS/SETUP.SH;1', '/RR_MOVED']));

    // The repo's own reader (Rock Ridge naming; relocated directories shown where they belong).
    const image = await openIso(iso);
    try {
      expect(image.volumeId).toBe('VMBENCH_TEST');
      expect(image.naming).toBe('rock-ridge');
      const got = new Map<string, Buffer | null>();
      for await (const e of image.walk('/')) {
        if (e.path.startsWith('/.rr_moved')) continue;
        const rel = e.path.slice(1);
        got.set(rel, e.type === 'dir' ? null : await image.read(e));
        expect(e.mode! & 0o7777, `mode of ${rel}`).toBe(modes.get(rel));
        const mtime = rel === 'big/host.bin' ? statSync(path.join(dir, 'host.bin')).mtime : DATE;
        expect(e.mtime?.getTime(), `mtime of ${rel}`).toBe(Math.floor(mtime.getTime() / 1000) * 1000);
      }
      expectSame(got, want);
    } finally {
      await image.close();
    }
  });

  it.each([
    ['Joliet only', {joliet: true, rockRidge: false}, 'joliet'],
    ['plain ISO 9660', {joliet: false, rockRidge: false}, 'iso9660'],
    ['Rock Ridge only', {joliet: false, rockRidge: true}, 'rock-ridge'],
  ] as const)('%s: readers find the files under the names that scheme gives', async (_, flags, naming) => {
    const dir = fresh(naming);
    const iso = path.join(dir, 'x.iso');
    const files: MediaEntry[] = [
      {path: 'user-data', content: 'u'},
      {path: 'Scripts/Run Me.sh', content: 'r'},
      {path: `${deep}/deep.txt`, content: 'd'},
      {path: 'ünïcödé-名前.txt', content: 'w'},
    ];
    await writeIso({files, label: 'X', ...flags, date: DATE}, iso);
    const image = await openIso(iso);
    try {
      expect(image.naming).toBe(naming);
      const names = {
        joliet: ['user-data', 'Scripts/Run Me.sh', `${deep}/deep.txt`, 'ünïcödé-名前.txt'],
        iso9660: ['USER_DAT', 'SCRIPTS/RUN_ME.SH', `${deep.toUpperCase()}/DEEP.TXT`, '_N_C_D__.TXT'],
        'rock-ridge': ['user-data', 'Scripts/Run Me.sh', `${deep}/deep.txt`, 'ünïcödé-名前.txt'],
      }[naming];
      expect((await image.read(names[0]!)).toString()).toBe('u');
      expect((await image.read(names[1]!)).toString()).toBe('r');
      expect((await image.read(names[2]!)).toString()).toBe('d');
      expect((await image.stat(names[3]!))?.name).toBe(names[3]);
    } finally {
      await image.close();
    }
    const bs = path.join(dir, 'out');
    read('mkdir', [bs]);
    read('bsdtar', ['-xf', iso, '-C', bs]);
    expect(readFileSync(path.join(bs, naming === 'iso9660' ? 'USER_DAT' : 'user-data'), 'utf8')).toBe('u');
    if (naming !== 'iso9660') expect(readFileSync(path.join(bs, 'ünïcödé-名前.txt'), 'utf8')).toBe('w');
  });

  it('records a file larger than one extent in several extents that every reader joins', async () => {
    const dir = fresh('multi');
    const iso = path.join(dir, 'multi.iso');
    const bytes = randomBytes(50_000); // 7 extents of 8 KiB, the last one short
    await writeIso({files: [{path: 'multi.bin', content: bytes}, {path: 'after.txt', content: 'after'}], date: DATE}, iso, {maxExtentBytes: 8192});
    const listing = read('isoinfo', ['-l', '-i', iso]).stdout;
    expect(listing.match(/MULTI\.BIN;1/g)).toHaveLength(7);
    for (const tool of ['bsdtar', 'xorriso'] as const) {
      const out = path.join(dir, tool);
      if (tool === 'bsdtar') {
        read('mkdir', [out]);
        read('bsdtar', ['-xf', iso, '-C', out]);
      } else read('xorriso', ['-osirrox', 'on', '-indev', iso, '-extract', '/', out]);
      expect(readFileSync(path.join(out, 'multi.bin')).equals(bytes), tool).toBe(true);
      expect(readFileSync(path.join(out, 'after.txt'), 'utf8')).toBe('after');
    }
    const image = await openIso(iso);
    try {
      expect((await image.read('multi.bin')).equals(bytes)).toBe(true);
    } finally {
      await image.close();
    }
  });

  it('writes directories spanning many blocks (300 long names, continuation areas over several blocks)', async () => {
    const dir = fresh('wide');
    const iso = path.join(dir, 'wide.iso');
    const files = Array.from({length: 300}, (_, i): MediaEntry => ({path: `many/${'x'.repeat(180)}-${String(i).padStart(3, '0')}.txt`, content: `#${i}\n`}));
    await writeIso({files, date: DATE}, iso);
    const out = path.join(dir, 'out');
    read('mkdir', [out]);
    read('bsdtar', ['-xf', iso, '-C', out]);
    const names = readdirSync(path.join(out, 'many')).sort();
    expect(names).toHaveLength(300);
    expect(readFileSync(path.join(out, 'many', names[299]!), 'utf8')).toBe('#299\n');
    expect(read('xorriso', ['-indev', iso, '-find', '/many', '-type', 'f']).stdout.trim().split('\n')).toHaveLength(300);
  });

  it('writes the same bytes for the same input and date', async () => {
    const dir = fresh('same');
    const files: MediaEntry[] = [{path: 'b', content: 'b'}, {path: 'a/x', content: 'x'}];
    const sum = async (name: string): Promise<string> => {
      await writeIso({files, label: 'cidata', date: DATE}, path.join(dir, name));
      return createHash('sha256').update(readFileSync(path.join(dir, name))).digest('hex');
    };
    expect(await sum('1.iso')).toBe(await sum('2.iso'));
  });

  it('never leaves a half-written image: an abort mid-copy keeps the old file and removes the temporary one', async () => {
    const dir = fresh('abort');
    const {entries} = fixture(dir);
    const iso = path.join(dir, 'out.iso');
    writeFileSync(iso, 'previous image');
    // A signal that aborts at its fourth check: inside the copy of the 2.5 MB host file.
    let checks = 0;
    const reason = new Error('stopped by the test');
    const signal = {
      get aborted() {
        return checks >= 4;
      },
      reason,
      throwIfAborted() {
        if (++checks >= 4) throw reason;
      },
    } as unknown as AbortSignal;
    await expect(writeIso({files: entries}, iso, {signal})).rejects.toBe(reason);
    expect(checks).toBeGreaterThanOrEqual(4);
    expect(readFileSync(iso, 'utf8')).toBe('previous image');
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('fails naming the file when a host file changed size after it was planned', async () => {
    const dir = fresh('changed');
    const host = path.join(dir, 'grows.txt');
    writeFileSync(host, 'now longer than planned');
    const root = buildTree([{path: 'grows.txt', kind: 'file', size: 3, source: {kind: 'file', file: host}}], DATE, 'writeIso');
    const iso = path.join(dir, 'x.iso');
    await expect(writeIsoTree(root, iso, {label: 'X', date: DATE, joliet: true, rockRidge: true})).rejects.toThrow(`writeIso: "grows.txt": ${host} changed while the image was written (now larger, planned 3 bytes)`);
    expect(readdirSync(dir)).toEqual(['grows.txt']);
  });

  it.each([
    [{files: [{path: 'a', content: 'x'}, {path: 'a', content: 'y'}]}, 'writeIso: files[1] "a": a is already given by files[0]'],
    [{files: [{path: 'a', content: 'x', file: '/etc/hostname'}]}, 'writeIso: files[0] "a": give exactly one of content, file or directory'],
    [{files: [{path: 'a', file: '/nonexistent/x'}]}, 'writeIso: files[0] "a": cannot read /nonexistent/x: ENOENT'],
    [{files: [{path: 'a', file: '/etc'}]}, 'writeIso: files[0] "a": /etc is not a regular file'],
    [{files: [{path: 'a', content: 'x', mode: 0o10000}]}, 'writeIso: files[0] "a": mode must be permission bits between 0 and 0o7777, not 4096'],
    [{files: [], label: 'a-label-that-is-longer-than-32-chars'}, 'writeIso: the volume label "a-label-that-is-longer-than-32-chars" is 36 characters; an ISO 9660 volume label holds at most 32'],
  ])('refuses bad input with a message naming it (%#)', async (spec, message) => {
    const dir = fresh('bad');
    const err = await writeIso(spec as Parameters<typeof writeIso>[0], path.join(dir, 'x.iso')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MediaError);
    expect((err as Error).message).toBe(message);
    expect(readdirSync(dir)).toEqual([]);
  });
});
