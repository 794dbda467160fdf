/**
 * profiles/fedora-coreos/fetch-image.sh, run the way a build runs it (vmbench's acquire step with
 * the profile's iso_build), against a local HTTP server standing in for
 * builds.coreos.fedoraproject.org: stream metadata, a .qcow2.xz made here with xz. It must
 * download, check both sums, decompress, cache, resume a partial download, and refuse a
 * mismatch (keeping nothing unverified).
 */
import {createHash, randomBytes} from 'node:crypto';
import {existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync} from 'node:fs';
import {createServer, type Server} from 'node:http';
import type {AddressInfo} from 'node:net';
import path from 'node:path';
import {execFileSync} from 'node:child_process';
import {afterAll, afterEach, beforeAll, describe, expect, it} from 'vitest';
import {acquireIso, type AcquireOptions} from '../../src/iso/acquire.js';
import {loadProfile} from '../../src/profiles/loader.js';
import {scratchDirs} from '../support/scratch.js';

const PROFILE = path.resolve('profiles/fedora-coreos');
const fresh = scratchDirs('vmbench-fcos-');
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** An "image" (random bytes compress badly, so the .xz is big enough to resume half-way). */
const IMAGE = randomBytes(512 * 1024);
const XZ = execFileSync('xz', ['-c', '-0'], {input: IMAGE});

let server: Server;
let base = '';
const requests: {url: string; range?: string; bytes: number}[] = [];
/** Stream metadata by name: release → the sums it claims. */
const streams = new Map<string, {release: string; sha256: string; uncompressed: string}>();

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = req.url ?? '';
    const meta = /^\/streams\/(\w+)\.json$/.exec(url);
    if (meta && streams.has(meta[1]!)) {
      const s = streams.get(meta[1]!)!;
      const disk = {location: `${base}/prod/${s.release}/fedora-coreos-${s.release}-qemu.x86_64.qcow2.xz`, sha256: s.sha256, 'uncompressed-sha256': s.uncompressed};
      const body = JSON.stringify({stream: meta[1], architectures: {x86_64: {artifacts: {qemu: {release: s.release, formats: {'qcow2.xz': {disk}}}}}}});
      requests.push({url, bytes: body.length});
      res.end(body);
      return;
    }
    if (/^\/prod\/[\w.]+\/fedora-coreos-[\w.]+-qemu\.x86_64\.qcow2\.xz$/.test(url)) {
      const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
      const from = range ? Number(range[1]) : 0;
      const body = XZ.subarray(from);
      requests.push({url, range: req.headers.range, bytes: body.length});
      res.writeHead(range ? 206 : 200, {'content-length': body.length, 'accept-ranges': 'bytes', ...(range ? {'content-range': `bytes ${from}-${XZ.length - 1}/${XZ.length}`} : {})});
      res.end(body);
      return;
    }
    res.writeHead(404);
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => void server.close());
afterEach(() => {
  delete process.env.FCOS_STREAM_URL;
  delete process.env.FCOS_IMAGE;
  requests.length = 0;
});

/** Acquire the image as a build of the fedora-coreos profile does, from stream `name`. */
function acquire(cacheDir: string, stream?: string): ReturnType<typeof acquireIso> {
  const {profile} = loadProfile(PROFILE);
  if (stream) process.env.FCOS_STREAM_URL = `${base}/streams/${stream}.json`;
  const logs: string[] = [];
  const opts: AcquireOptions = {
    urls: profile.iso_urls,
    checksum: profile.iso_checksum,
    build: profile.iso_build,
    profileDir: PROFILE,
    cacheDir,
    signal: new AbortController().signal,
    log: (_s, line) => logs.push(line),
    progress: () => {},
  };
  return acquireIso(opts);
}

const good = (release: string) => ({release, sha256: sha(XZ), uncompressed: sha(IMAGE)});

describe('fedora-coreos fetch-image.sh (the profile’s iso_build)', () => {
  it('downloads the stream’s image, checks both sums, decompresses it, and uses the cache next time', async () => {
    streams.set('s1', good('41.20250101.3.0'));
    const cache = fresh('cache');
    const got = await acquire(cache, 's1');
    expect(got.how).toBe('built');
    expect(path.basename(got.path)).toBe('fedora-coreos-41.20250101.3.0-qemu.x86_64.qcow2');
    expect(sha(readFileSync(got.path))).toBe(sha(IMAGE));
    // Only the image is kept: the .xz and partial files are gone.
    expect(readdirSync(path.dirname(got.path))).toEqual([path.basename(got.path)]);
    expect(requests.filter((r) => r.url.endsWith('.xz'))).toHaveLength(1);

    requests.length = 0;
    const again = await acquire(cache, 's1');
    expect(again.path).toBe(got.path);
    expect(requests.filter((r) => r.url.endsWith('.xz')), 'no download the second time').toHaveLength(0);
  });

  it('resumes a partial download where it stopped', async () => {
    streams.set('s2', good('41.20250202.3.0'));
    const cache = fresh('cache');
    const dir = path.join(cache, 'iso-build', 'fedora-coreos');
    mkdirSync(dir, {recursive: true});
    const half = Math.floor(XZ.length / 2);
    writeFileSync(path.join(dir, 'fedora-coreos-41.20250202.3.0-qemu.x86_64.qcow2.xz.part'), XZ.subarray(0, half));
    const got = await acquire(cache, 's2');
    expect(sha(readFileSync(got.path))).toBe(sha(IMAGE));
    const xz = requests.filter((r) => r.url.endsWith('.xz'));
    expect(xz).toEqual([expect.objectContaining({range: `bytes=${half}-`, bytes: XZ.length - half})]);
  });

  it('refuses a download whose sha256 is not the metadata’s, and keeps nothing', async () => {
    streams.set('s3', {...good('41.20250303.3.0'), sha256: 'f'.repeat(64)});
    const cache = fresh('cache');
    await expect(acquire(cache, 's3')).rejects.toThrow(/checksum mismatch .*expected sha256:f{64}, got sha256:[0-9a-f]{64}/);
    expect(readdirSync(path.join(cache, 'iso-build', 'fedora-coreos'))).toEqual([]);
  });

  it('refuses an image that decompresses to something else, keeping only the verified download', async () => {
    streams.set('s4', {...good('41.20250404.3.0'), uncompressed: '0'.repeat(64)});
    const cache = fresh('cache');
    await expect(acquire(cache, 's4')).rejects.toThrow(/decompressed image does not match: expected sha256:0{64}/);
    // The .xz matched its own sum: kept, so a run with corrected metadata does not download it again.
    expect(readdirSync(path.join(cache, 'iso-build', 'fedora-coreos'))).toEqual(['fedora-coreos-41.20250404.3.0-qemu.x86_64.qcow2.xz']);
    streams.set('s4', good('41.20250404.3.0'));
    requests.length = 0;
    const got = await acquire(cache, 's4');
    expect(sha(readFileSync(got.path))).toBe(sha(IMAGE));
    expect(requests.filter((r) => r.url.endsWith('.xz'))).toHaveLength(0);
  });

  it('uses FCOS_IMAGE as it is, without downloading', async () => {
    const mine = path.join(fresh('mine'), 'my.qcow2');
    writeFileSync(mine, IMAGE);
    process.env.FCOS_IMAGE = mine;
    process.env.FCOS_STREAM_URL = `${base}/streams/none.json`;
    const got = await acquire(fresh('cache'));
    expect(got.path).toBe(mine);
    expect(requests).toEqual([]);
    expect(existsSync(mine)).toBe(true);
  });
});
