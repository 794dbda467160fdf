import {createHash, randomBytes} from 'node:crypto';
import {mkdtemp, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {
  cacheKey,
  ChecksumError,
  hashFile,
  parseChecksumSpec,
  pickFromChecksumList,
  type ChecksumType,
} from '../../src/engine/checksum.js';

// Digests of the empty string: fixed values, so the tests don't reuse node:crypto to check it.
const MD5 = 'd41d8cd98f00b204e9800998ecf8427e';
const SHA1 = 'da39a3ee5e6b4b0d3255bfef95601890afd80709';
const SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const SHA512 =
  'cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e';

describe('parseChecksumSpec', () => {
  it.each([
    ['none', {type: 'none'}],
    ['NONE', {type: 'none'}],
    [`md5:${MD5}`, {type: 'md5', hex: MD5}],
    [`sha1:${SHA1}`, {type: 'sha1', hex: SHA1}],
    [`sha256:${SHA256}`, {type: 'sha256', hex: SHA256}],
    [`sha512:${SHA512}`, {type: 'sha512', hex: SHA512}],
    [`SHA256:${SHA256.toUpperCase()}`, {type: 'sha256', hex: SHA256}],
    [`  sha256:${SHA256}\n`, {type: 'sha256', hex: SHA256}],
    [MD5, {type: 'md5', hex: MD5}],
    [SHA1, {type: 'sha1', hex: SHA1}],
    [SHA256.toUpperCase(), {type: 'sha256', hex: SHA256}],
    [SHA512, {type: 'sha512', hex: SHA512}],
    ['file:https://releases.example.test/24.04/SHA256SUMS', {type: 'file', location: 'https://releases.example.test/24.04/SHA256SUMS'}],
    ['file:./local/path/file.sum', {type: 'file', location: './local/path/file.sum'}],
    ['file:file://./local/path/file.sum', {type: 'file', location: 'file://./local/path/file.sum'}],
    ['FILE:/abs/SHA256SUMS', {type: 'file', location: '/abs/SHA256SUMS'}],
    ['sha256:file:https://x.test/SUMS', {type: 'file', location: 'https://x.test/SUMS', hashType: 'sha256'}],
  ])('%s', (spec, expected) => {
    expect(parseChecksumSpec(spec)).toEqual(expected);
  });

  it.each([
    ['', 'iso_checksum is empty'],
    ['   ', 'iso_checksum is empty'],
    ['sha3:abcd', 'unknown checksum type "sha3"'],
    [`crc32:${MD5}`, 'unknown checksum type "crc32"'],
    ['https://x.test/SHA256SUMS', 'for a checksum list write file:https://x.test/SHA256SUMS'],
    [`sha256:${MD5}`, 'a sha256 checksum has 64 hex digits, this one has 32'],
    [`md5:${SHA256}`, 'a md5 checksum has 32 hex digits, this one has 64'],
    [`sha256:${SHA256.slice(1)}g`, 'not a hex checksum'],
    ['abc123', 'cannot tell the checksum type of 6 hex digits'],
    [SHA256.slice(0, 63), 'cannot tell the checksum type of 63 hex digits'],
    ['debian-12.iso', 'it looks like a file name'],
    ['file:', 'names no checksum list'],
    ['sha256:file:', 'names no checksum list'],
    ['sha256:', 'not a hex checksum'],
  ])('%j is rejected (%s)', (spec, why) => {
    expect(() => parseChecksumSpec(spec)).toThrow(ChecksumError);
    expect(() => parseChecksumSpec(spec)).toThrow(why);
  });
});

describe('pickFromChecksumList', () => {
  const h = (c: string, n = 64): string => c.repeat(n);
  const gnu = [
    `${h('a')}  debian-12.5.0-amd64-netinst.iso`,
    `${h('b')} *debian-12.5.0-amd64-DVD-1.iso`,
    `${h('c')} ?shasum-portable.iso`,
    `${h('d')}  ./dotted.iso`,
    `${h('e')}  ./amd64/mini.iso`,
    `${h('1', 40)}  sha1-listed.iso`,
    `${h('F')}  UPPER.iso`,
    `${h('2')}  name with spaces.iso`,
    '',
  ].join('\n');

  it.each([
    ['debian-12.5.0-amd64-netinst.iso', h('a')],
    ['https://cdimage.example.test/12.5.0/amd64/iso-cd/debian-12.5.0-amd64-netinst.iso', h('a')],
    ['https://m.example.test/debian-12.5.0-amd64-DVD-1.iso?x=1#frag', h('b')], // `*` binary marker
    ['shasum-portable.iso', h('c')], // `?` from shasum -p
    ['dotted.iso', h('d')], // leading ./ ignored
    ['./dotted.iso', h('d')],
    ['/srv/isos/mini.iso', h('e')], // unique entry in a subdirectory
    ['UPPER.iso', h('f')], // hex comes back lower-case
    ['https://x.test/name%20with%20spaces.iso', h('2')],
  ])('GNU list: %s', (iso, hex) => {
    expect(pickFromChecksumList(gnu, iso)).toEqual({type: 'sha256', hex});
  });

  it('infers the type from each entry length', () => {
    expect(pickFromChecksumList(gnu, 'sha1-listed.iso')).toEqual({type: 'sha1', hex: h('1', 40)});
  });

  it('parses BSD lists, mixed types, CRLF line ends and openssl spacing', () => {
    const bsd = [
      `MD5 (tiny.iso) = ${MD5}`,
      `SHA256 (tiny.iso) = ${SHA256}`,
      `SHA512 (other.iso) = ${SHA512}`,
      `SHA1(openssl.iso)= ${SHA1}`,
      `SHA256 (with space.iso) = ${SHA256.toUpperCase()}`,
    ].join('\r\n');
    expect(pickFromChecksumList(bsd, 'tiny.iso')).toEqual({type: 'md5', hex: MD5}); // first wins
    expect(pickFromChecksumList(bsd, 'tiny.iso', 'sha256')).toEqual({type: 'sha256', hex: SHA256});
    expect(pickFromChecksumList(bsd, 'other.iso')).toEqual({type: 'sha512', hex: SHA512});
    expect(pickFromChecksumList(bsd, 'openssl.iso')).toEqual({type: 'sha1', hex: SHA1});
    expect(pickFromChecksumList(bsd, 'with space.iso')).toEqual({type: 'sha256', hex: SHA256});
  });

  it("reads OpenSSL 3's tags (SHA2-256, SHA2-512) as sha256 and sha512", () => {
    const list = `SHA2-256(a.iso)= ${SHA256}\nSHA2-512(b.qcow2)= ${SHA512.toUpperCase()}\n`;
    expect(pickFromChecksumList(list, 'a.iso')).toEqual({type: 'sha256', hex: SHA256});
    expect(pickFromChecksumList(list, 'https://x.test/b.qcow2', 'sha512')).toEqual({type: 'sha512', hex: SHA512});
  });

  it('skips comments, PGP armour and lines of unknown types', () => {
    const signed = [
      '-----BEGIN PGP SIGNED MESSAGE-----',
      'Hash: SHA256',
      '',
      '# Fedora-Server-dvd-x86_64-40.iso: 2612854784 bytes',
      `SHA384 (x.iso) = ${h('9', 96)}`,
      `SHA256 (x.iso) = ${SHA256}`,
      '-----BEGIN PGP SIGNATURE-----',
      'iQIzBAEBCAAdFiEE',
      '-----END PGP SIGNATURE-----',
    ].join('\n');
    expect(pickFromChecksumList(signed, 'x.iso')).toEqual({type: 'sha256', hex: SHA256});
  });

  it('uses the hash of a file that holds only a hash, as go-getter does', () => {
    expect(pickFromChecksumList(`${SHA512}\n`, 'anything.iso')).toEqual({type: 'sha512', hex: SHA512});
  });

  it('names a few listed files when the ISO is missing', () => {
    expect(() => pickFromChecksumList(gnu, 'https://x.test/debian-11.iso')).toThrow(
      'no checksum for debian-11.iso in the checksum list; it lists debian-12.5.0-amd64-netinst.iso, ' +
        'debian-12.5.0-amd64-DVD-1.iso, shasum-portable.iso, ./dotted.iso, ./amd64/mini.iso, … (8 in all)',
    );
  });

  it('says when the type filter hid the entry', () => {
    expect(() => pickFromChecksumList(`${h('a')}  a.iso\n${MD5}  b.iso`, 'a.iso', 'md5')).toThrow(
      'no md5 checksum for a.iso in the checksum list; it lists b.iso',
    );
  });

  it('rejects an empty list and an ambiguous subdirectory match', () => {
    expect(() => pickFromChecksumList('\n# nothing\n', 'a.iso')).toThrow('no checksum entries found');
    const twoArch = `${h('a')}  ./amd64/mini.iso\n${h('b')}  ./i386/mini.iso\n`;
    expect(() => pickFromChecksumList(twoArch, 'mini.iso')).toThrow(ChecksumError);
    expect(() => pickFromChecksumList(twoArch, 'mini.iso')).toThrow('listed more than once');
  });

  it('prefers the exact name over a subdirectory entry', () => {
    const list = `${h('a')}  ./amd64/mini.iso\n${h('b')}  mini.iso\n`;
    expect(pickFromChecksumList(list, 'mini.iso')).toEqual({type: 'sha256', hex: h('b')});
  });
});

describe('hashFile', () => {
  let dir: string;
  let file: string;
  let empty: string;
  const content = randomBytes(3 * 1024 * 1024 + 17); // several 1 MiB reads and a tail

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vmbench-checksum-'));
    file = join(dir, 'disk.iso');
    empty = join(dir, 'empty.iso');
    await writeFile(file, content);
    await writeFile(empty, '');
  });
  afterAll(async () => {
    await rm(dir, {recursive: true, force: true});
  });

  it.each(['md5', 'sha1', 'sha256', 'sha512'] as ChecksumType[])('%s matches node:crypto', async (type) => {
    const expected = createHash(type).update(content).digest('hex');
    const actual = await hashFile(file, type);
    expect(actual).toBe(expected);
    expect(actual).toMatch(/^[0-9a-f]+$/);
  });

  it.each([
    ['md5', MD5],
    ['sha1', SHA1],
    ['sha256', SHA256],
    ['sha512', SHA512],
  ] as [ChecksumType, string][])('%s of an empty file is the known empty digest', async (type, hex) => {
    expect(await hashFile(empty, type)).toBe(hex);
  });

  it('rejects when aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(hashFile(file, 'sha256', controller.signal)).rejects.toMatchObject({name: 'AbortError'});
  });

  it('rejects for a missing file', async () => {
    await expect(hashFile(join(dir, 'nope.iso'), 'md5')).rejects.toMatchObject({code: 'ENOENT'});
  });
});

describe('cacheKey', () => {
  it('is the lower-case checksum hex when known, whatever the URL', () => {
    expect(cacheKey({type: 'sha256', hex: SHA256.toUpperCase()}, 'https://a.test/x.iso')).toBe(SHA256);
    expect(cacheKey({type: 'md5', hex: MD5}, 'https://b.test/y.iso')).toBe(MD5);
  });

  it('is the sha256 of the URL when there is no checksum', () => {
    const url = 'https://a.test/x.iso';
    const key = cacheKey({type: 'none'}, url);
    expect(key).toBe(createHash('sha256').update(url).digest('hex'));
    expect(key).not.toBe(cacheKey({type: 'none'}, 'https://a.test/y.iso'));
    expect(key).toMatch(/^[0-9a-f]{64}$/);
  });
});
