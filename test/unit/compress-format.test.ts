/** compress's format from the output name (Packer's detectFromFilename), and the tar headers it writes. */
import {randomBytes} from 'node:crypto';
import {createWriteStream, readFileSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {Readable} from 'node:stream';
import {pipeline} from 'node:stream/promises';
import {gzipSync} from 'node:zlib';
import {execa} from 'execa';
import {describe, expect, it} from 'vitest';
import {effectiveLevel} from '../../src/engine/post-processors/compress.js';
import {createParallelGzip} from '../../src/engine/post-processors/pgzip.js';
import {entryHeaders, paxRecord, tarStream} from '../../src/engine/post-processors/tar.js';
import {compressFormat} from '../../src/profiles/compress-format.js';
import {scratchDirs} from '../support/scratch.js';

const fresh = scratchDirs('vmbench-tar-');

describe('compressFormat (Packer detectFromFilename)', () => {
  it.each([
    ['packer_{{.BuildName}}_{{.BuilderType}}', undefined, {archive: 'tar', compression: 'gzip'}],
    ['out/image.tar.gz', undefined, {archive: 'tar', compression: 'gzip'}],
    ['out/image.qcow2.gz', undefined, {archive: undefined, compression: 'gzip'}],
    ['image.tar', undefined, {archive: 'tar'}],
    ['image.zip', undefined, {archive: 'zip'}],
    ['image.tar.xz', undefined, {archive: 'tar', compression: 'xz'}],
    ['image.lz4', undefined, {archive: undefined, compression: 'lz4'}],
    ['image.bzip2', undefined, {archive: undefined, compression: 'bzip2'}],
    ['image', 'tar.gz', {archive: 'tar', compression: 'gzip'}],
    ['image.raw', 'xz', {archive: undefined, compression: 'xz'}],
  ])('%s (format %s)', (output, format, expected) => {
    expect(compressFormat(output, format)).toEqual(expected);
  });

  it.each([
    ['image.qcow2.zst', {compression: 'zstd', note: "Packer's compress does not know .zst and would write a gzip'd tar under this name; vmbench writes zstd"}],
    ['image.tar.bz2', {archive: 'tar', compression: 'bzip2', note: "Packer's compress does not know .bz2 and would write a gzip'd tar under this name; vmbench writes bzip2 (a tar)"}],
    ['image.img', {archive: 'tar', compression: 'gzip', note: expect.stringMatching(/^\.img is not a compression Packer's compress knows, so this is a gzip'd tar \(as in Packer\)/)}],
    ['image.bgzf', {error: 'bgzf (blocked gzip) is not supported by vmbench: use .gz, or .tar.gz for several files'}],
  ])('%s: says what differs', (output, expected) => {
    expect(compressFormat(output)).toMatchObject(expected);
  });

  it.each([
    [-1, 9, undefined],
    [0, 9, undefined],
    [4, 9, 4],
    [12, 9, 9],
    [12, 19, 12],
  ])('level %i (max %i) is %s', (level, max, expected) => {
    expect(effectiveLevel(level, max)).toBe(expected);
  });
});

describe('tar writer', () => {
  it('writes what GNU tar reads back: names, modes, sizes, a PAX path for long names', async () => {
    const dir = fresh('t');
    const long = `${'x'.repeat(120)}.img`;
    writeFileSync(path.join(dir, 'a.txt'), 'alpha\n', {mode: 0o640});
    writeFileSync(path.join(dir, long), Buffer.alloc(1000, 1));
    const chunks: Buffer[] = [];
    for await (const c of tarStream([path.join(dir, 'a.txt'), path.join(dir, long)])) chunks.push(c);
    const tar = Buffer.concat(chunks);
    expect(tar.length % 512).toBe(0);
    writeFileSync(path.join(dir, 'out.tar'), tar);
    const list = await execa('tar', ['-tvf', path.join(dir, 'out.tar')]);
    const lines = list.stdout.split('\n');
    expect(lines[0]).toMatch(/^-rw-r----- \S+ +6 \d{4}-\d\d-\d\d \d\d:\d\d a\.txt$/);
    expect(lines[1]).toMatch(new RegExp(`^-rw-r--r-- \\S+ +1000 .* ${long}$`));
    const x = fresh('x');
    await execa('tar', ['-xf', path.join(dir, 'out.tar'), '-C', x]);
    expect((await execa('cmp', [path.join(dir, long), path.join(x, long)], {reject: false})).exitCode).toBe(0);
  });

  it('puts sizes of 8 GiB and more in a PAX header', () => {
    const blocks = entryHeaders('disk.raw', {mode: 0o644, uid: 0, gid: 0, size: 9_000_000_000, mtimeMs: 0});
    expect(blocks[0]!.toString('latin1', 156, 157)).toBe('x');
    expect(blocks[1]!.toString()).toContain('19 size=9000000000\n');
    expect(paxRecord('path', 'a')).toBe('9 path=a\n');
  });
});

describe('parallel gzip', () => {
  /** Text-like data: compressible, with repeats further back than one block. */
  const text = (n: number): Buffer => {
    const words = ['qemu', 'packer', 'vmbench', 'image', 'disk', 'boot', 'kernel', 'initrd', '\n'];
    let s = '';
    for (let i = 0; s.length < n; i++) s += `${words[(i * 7 + (i >> 5)) % words.length]} ${i % 1000} `;
    return Buffer.from(s.slice(0, n));
  };

  it.each([
    ['nothing', Buffer.alloc(0)],
    ['a few bytes', Buffer.from('hello\n')],
    ['exactly one block', text(1 << 20)],
    ['several blocks and a bit', text((3 << 20) + 7)],
    ['random bytes', randomBytes((2 << 20) + 123)],
  ])('%s: gunzip gives the input back, CRC and length checked (gzip -t)', async (_, data) => {
    const dir = fresh('gz');
    const file = path.join(dir, 'x.gz');
    // Small chunks, so blocks are cut across writes.
    const chunks = function* (): Generator<Buffer> {
      for (let i = 0; i < data.length; i += 100_000) yield data.subarray(i, i + 100_000);
    };
    await pipeline(Readable.from(chunks()), createParallelGzip({level: 6, parallel: 3}), createWriteStream(file));
    expect((await execa('gzip', ['-t', file], {reject: false})).exitCode).toBe(0);
    const back = await execa('gzip', ['-dc', file], {encoding: 'buffer', stripFinalNewline: false});
    expect(Buffer.from(back.stdout).equals(data)).toBe(true);
  });

  it('compresses as well as one zlib stream (the previous block is the next one’s dictionary)', async () => {
    const dir = fresh('ratio');
    const data = text(4 << 20);
    const file = path.join(dir, 'x.gz');
    await pipeline(Readable.from([data]), createParallelGzip({level: 6}), createWriteStream(file));
    const ours = readFileSync(file).length;
    expect(ours).toBeLessThan(gzipSync(data, {level: 6}).length * 1.01);
  });
});
