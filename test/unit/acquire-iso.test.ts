/** ISO acquisition against a real local HTTP server: download, cache, checksum lists, mismatches. */
import {createHash} from 'node:crypto';
import {existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync} from 'node:fs';
import {createServer, type Server} from 'node:http';
import type {AddressInfo} from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {acquireIso, downloadTarget, type AcquireOptions} from '../../src/iso/acquire.js';
import {readUrlRecord} from '../../src/iso/url-records.js';

const ISO = Buffer.alloc(3 * 1024 * 1024 + 17, 7);
const sha256 = createHash('sha256').update(ISO).digest('hex');
const md5 = createHash('md5').update(ISO).digest('hex');

let server: Server;
let base = '';
const hits: string[] = [];
const dir = mkdtempSync(path.join(os.tmpdir(), 'vmbench-acquire-'));

beforeAll(async () => {
  server = createServer((req, res) => {
    hits.push(req.url ?? '');
    if (req.url === '/d/debian.iso') {
      res.writeHead(200, {'content-length': ISO.length});
      res.end(ISO);
    } else if (req.url === '/d/SHA256SUMS') {
      res.end(`${'a'.repeat(64)}  other.iso\n${sha256}  debian.iso\n`);
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.close();
  rmSync(dir, {recursive: true, force: true});
});

function opts(over: Partial<AcquireOptions>): AcquireOptions {
  return {
    urls: [`${base}/d/debian.iso`],
    checksum: `sha256:${sha256}`,
    profileDir: dir,
    cacheDir: path.join(dir, 'cache'),
    signal: new AbortController().signal,
    log: () => {},
    progress: () => {},
    ...over,
  };
}

describe('acquireIso', () => {
  it('downloads with progress, verifies, caches by checksum, and reuses the cache', async () => {
    const cacheDir = path.join(dir, 'c1');
    const progress: number[] = [];
    const first = await acquireIso({...opts({cacheDir}), progress: (_l, c) => progress.push(c)});
    expect(first.how).toBe('download');
    expect(path.basename(first.path)).toContain(sha256);
    expect(progress.at(-1)).toBe(ISO.length);
    const before = hits.length;
    const second = await acquireIso(opts({cacheDir}));
    expect(second).toEqual({path: first.path, how: 'cache'});
    expect(hits.length).toBe(before);
  });

  it('keeps a download at iso_target_path (a directory, or a file), with iso_target_extension', async () => {
    const inDir = await acquireIso(opts({cacheDir: path.join(dir, 'c-unused'), targetPath: 'isos', targetExtension: 'img'}));
    expect(inDir.how).toBe('download');
    expect(path.dirname(inDir.path)).toBe(path.join(dir, 'isos'));
    expect(inDir.path).toMatch(/\.img$/);
    // Only the URL record (for the picker) goes to the cache: no ISO.
    expect(existsSync(path.join(dir, 'c-unused', 'iso'))).toBe(false);
    const asFile = await acquireIso(opts({targetPath: 'isos/debian-netinst.iso'}));
    expect(asFile.path).toBe(path.join(dir, 'isos', 'debian-netinst.iso'));
    expect((await acquireIso(opts({targetPath: 'isos/debian-netinst.iso'}))).how).toBe('cache');
  });

  it.each([
    [undefined, '/cache/iso/k.iso'],
    ['/keep/debian.iso', '/keep/debian.iso'],
    ['/keep', '/keep/k.iso'],
    ['keep/', '/p/keep/k.iso'],
  ])('iso_target_path %s → %s', (targetPath, expected) => {
    expect(downloadTarget({cacheDir: '/cache', profileDir: '/p', targetPath}, 'k.iso')).toBe(expected);
  });

  it('fails on a mismatch and leaves nothing in the cache', async () => {
    const cacheDir = path.join(dir, 'c2');
    await expect(acquireIso(opts({cacheDir, checksum: `md5:${'0'.repeat(32)}`}))).rejects.toThrow(
      `checksum mismatch for ${base}/d/debian.iso: expected md5:${'0'.repeat(32)}, got md5:${md5}`,
    );
    expect(readdirSync(path.join(cacheDir, 'iso'))).toEqual([]);
  });

  it('picks the checksum from a file: list by the ISO name', async () => {
    const r = await acquireIso(opts({cacheDir: path.join(dir, 'c3'), checksum: `file:${base}/d/SHA256SUMS`}));
    expect(path.basename(r.path)).toContain(sha256);
  });

  it('falls through to the next URL when one fails, and names every failure when all do', async () => {
    const r = await acquireIso(opts({cacheDir: path.join(dir, 'c4'), urls: [`${base}/missing.iso`, `${base}/d/debian.iso`]}));
    expect(r.how).toBe('download');
    await expect(acquireIso(opts({cacheDir: path.join(dir, 'c5'), urls: [`${base}/a.iso`, `${base}/b.iso`]}))).rejects.toThrow(/a\.iso: HTTP 404[\s\S]*b\.iso: HTTP 404/);
  });

  it('uses a local file in place (relative to the profile) and verifies it', async () => {
    writeFileSync(path.join(dir, 'local.iso'), ISO);
    const r = await acquireIso(opts({urls: ['local.iso'], checksum: md5}));
    expect(r).toEqual({path: path.join(dir, 'local.iso'), how: 'local'});
    await expect(acquireIso(opts({urls: ['local.iso'], checksum: `sha1:${'1'.repeat(40)}`}))).rejects.toThrow(/checksum mismatch/);
    expect(existsSync(path.join(dir, 'local.iso'))).toBe(true);
  });

  it("runs the profile's build script and notes what it built for the picker", async () => {
    const cacheDir = path.join(dir, 'c7');
    writeFileSync(path.join(dir, 'build.sh'), 'set -e; mkdir -p "$1"; printf iso > "$1/built.iso"; echo "building" >&2; echo "$1/built.iso"\n');
    const r = await acquireIso(opts({cacheDir, urls: [], checksum: 'none', build: 'build.sh'}));
    expect(r).toEqual({path: path.join(cacheDir, 'iso-build', 'built.iso'), how: 'built'});
    expect(readUrlRecord(cacheDir, `build:${path.join(dir, 'build.sh')}`)).toMatchObject({path: r.path, bytes: 3});
  });

  it('a download aborted before its first byte leaves nothing (a part with bytes is kept: acquire-resume.test.ts)', async () => {
    const cacheDir = path.join(dir, 'c6');
    const ac = new AbortController();
    const p = acquireIso({...opts({cacheDir}), signal: ac.signal, progress: () => ac.abort(new Error('stop'))});
    await expect(p).rejects.toThrow();
    expect(readdirSync(path.join(cacheDir, 'iso'))).toEqual([]);
  });
});
