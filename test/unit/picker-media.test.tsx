/**
 * What the picker and `vmbench profiles` say about a profile's ISO or disk image: cached (and
 * where) — also for a checksum from a `file:` list, known from the record a real download left —
 * part-downloaded, to download with its size (from the cache, or a HEAD request in the
 * background that never blocks the picker and says "size unknown" when no answer comes), a
 * local file, or built by the profile's script (tiny). Real files, a real HTTP server.
 */
import {createHash, randomBytes} from 'node:crypto';
import {mkdirSync, writeFileSync} from 'node:fs';
import {createServer, type Server} from 'node:http';
import type {AddressInfo} from 'node:net';
import path from 'node:path';
import React from 'react';
import {render} from 'ink-testing-library';
import {afterAll, afterEach, beforeAll, describe, expect, it, vi} from 'vitest';
import {acquireIso} from '../../src/iso/acquire.js';
import {mediaCell, mediaStatus, type MediaFields} from '../../src/iso/media-status.js';
import {probeRemoteSize} from '../../src/iso/remote-size.js';
import {readUrlRecord, updateUrlRecord} from '../../src/iso/url-records.js';
import {main} from '../../src/cli/main.js';
import {describeProfile, type ProfileEntry} from '../../src/tui/profiles-data.js';
import {ProfilePicker} from '../../src/tui/ProfilePicker.js';
import {BUILTIN_PROFILES} from '../../src/session/paths.js';
import {scratchDirs} from '../support/scratch.js';

const fresh = scratchDirs('vmbench-media-');
const IMG = randomBytes(1024 * 1024 + 7);
const sha256 = createHash('sha256').update(IMG).digest('hex');

let server: Server;
let base = '';
const heads: string[] = [];
beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.method === 'HEAD') heads.push(req.url ?? '');
    if (req.url === '/img.qcow2') {
      res.writeHead(200, {'content-length': IMG.length, etag: '"x"'});
      return void res.end(req.method === 'HEAD' ? undefined : IMG);
    }
    if (req.url === '/SHA256SUMS') return void res.end(`${sha256}  img.qcow2\n`);
    // Refuses HEAD; answers a one-byte range with the size in Content-Range.
    if (req.url === '/no-head.iso') {
      if (req.method === 'HEAD') return void res.writeHead(405).end();
      res.writeHead(206, {'content-range': `bytes 0-0/${5 * 1024 ** 3}`, 'content-length': 1});
      return void res.end('x');
    }
    // Never answers: the probe must give up on its own.
    if (req.url === '/hang.iso') return;
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});

const fields = (over: Partial<MediaFields>): MediaFields => ({iso_urls: [], iso_checksum: 'none', iso_target_extension: 'iso', disk_image: false, ...over});

describe('mediaStatus', () => {
  it('a checksum in the profile names the cache file: missing, then partial, then cached', () => {
    const cache = fresh('c');
    const m = fields({iso_urls: [`${base}/img.qcow2`], iso_checksum: `sha256:${sha256}`, iso_target_extension: 'qcow2', disk_image: true});
    expect(mediaStatus(m, '/p', cache)).toEqual({kind: 'image', source: 'download', state: 'missing', url: `${base}/img.qcow2`});
    const dest = path.join(cache, 'iso', `${sha256}.qcow2`);
    mkdirSync(path.dirname(dest), {recursive: true});
    writeFileSync(`${dest}.part`, IMG.subarray(0, 1000));
    writeFileSync(`${dest}.part.json`, JSON.stringify({url: `${base}/img.qcow2`, total: IMG.length}));
    const partial = mediaStatus(m, '/p', cache);
    expect(partial).toMatchObject({state: 'partial', bytes: 1000, size: IMG.length, path: `${dest}.part`});
    expect(mediaCell(partial)).toBe('partial 0%');
    writeFileSync(dest, IMG);
    const cached = mediaStatus(m, '/p', cache);
    expect(cached).toMatchObject({state: 'cached', path: dest, bytes: IMG.length});
    expect(mediaCell(cached)).toBe('cached 1.0M');
  });

  it('a file: checksum list: cached is known from the record a real download left, without the network', async () => {
    const cache = fresh('c');
    const p = fresh('p');
    const m = fields({iso_urls: [`${base}/img.qcow2`], iso_checksum: `file:${base}/SHA256SUMS`, iso_target_extension: 'qcow2', disk_image: true});
    expect(mediaStatus(m, p, cache).state).toBe('missing');
    const got = await acquireIso({urls: m.iso_urls, checksum: m.iso_checksum, targetExtension: 'qcow2', profileDir: p, cacheDir: cache, signal: new AbortController().signal, log: () => {}, progress: () => {}});
    expect(mediaStatus(m, p, cache)).toEqual({kind: 'image', source: 'download', state: 'cached', url: `${base}/img.qcow2`, path: got.path, bytes: IMG.length, size: IMG.length, sizeFrom: 'file'});
    // Another list (the profile changed): the record is not this checksum's.
    expect(mediaStatus({...m, iso_checksum: `file:${base}/OTHER`}, p, cache).state).toBe('missing');
  });

  it('a size the cache learned (a HEAD request) shows while the file is still to download', () => {
    const cache = fresh('c');
    updateUrlRecord(cache, 'https://example.test/a.iso', {size: 650 * 1024 * 1024});
    const s = mediaStatus(fields({iso_urls: ['https://example.test/a.iso'], iso_checksum: `file:https://example.test/SUMS`}), '/p', cache);
    expect(s).toEqual({kind: 'iso', source: 'download', state: 'missing', url: 'https://example.test/a.iso', size: 650 * 1024 * 1024, sizeFrom: 'server'});
    expect(mediaCell(s)).toBe('↓ 650M');
  });

  it('local files (present or not), no iso_url, and the script-built ISO before and after a build', () => {
    const p = fresh('p');
    const cache = fresh('c');
    writeFileSync(path.join(p, 'here.iso'), 'abc');
    expect(mediaStatus(fields({iso_urls: ['gone.iso', 'here.iso']}), p, cache)).toMatchObject({source: 'local', state: 'present', path: path.join(p, 'here.iso'), bytes: 3});
    expect(mediaStatus(fields({iso_urls: ['gone.iso']}), p, cache)).toMatchObject({source: 'local', state: 'absent', path: path.join(p, 'gone.iso')});
    expect(mediaCell(mediaStatus(fields({iso_urls: ['gone.iso']}), p, cache))).toBe('no file');
    expect(mediaStatus(fields({}), p, cache)).toMatchObject({source: 'none', state: 'missing'});
    const tiny = describeProfile(path.join(BUILTIN_PROFILES, 'tiny'), 'builtin', {root: '/nowhere', names: []}, undefined, cache);
    expect(tiny.media).toEqual({kind: 'iso', source: 'script', state: 'unbuilt', script: path.join(BUILTIN_PROFILES, 'tiny', 'build-iso.sh')});
    expect(mediaCell(tiny.media)).toBe('by script');
    // What acquire records after running the script.
    const iso = path.join(cache, 'iso-build', 'tiny-0123.iso');
    mkdirSync(path.dirname(iso), {recursive: true});
    writeFileSync(iso, Buffer.alloc(3 * 1024 * 1024));
    updateUrlRecord(cache, `build:${path.join(BUILTIN_PROFILES, 'tiny', 'build-iso.sh')}`, {path: iso});
    const built = describeProfile(path.join(BUILTIN_PROFILES, 'tiny'), 'builtin', {root: '/nowhere', names: []}, undefined, cache).media;
    expect(built).toMatchObject({source: 'script', state: 'built', path: iso, bytes: 3 * 1024 * 1024});
    expect(mediaCell(built)).toBe('built 3.0M');
  });
});

describe('probeRemoteSize', () => {
  it('asks with HEAD and keeps the answer in the cache', async () => {
    const cache = fresh('c');
    heads.length = 0;
    expect(await probeRemoteSize(`${base}/img.qcow2`, {cacheDir: cache})).toBe(IMG.length);
    expect(heads).toEqual(['/img.qcow2']);
    expect(readUrlRecord(cache, `${base}/img.qcow2`)?.size).toBe(IMG.length);
  });

  it('a server refusing HEAD: one byte by Range, the size from Content-Range', async () => {
    expect(await probeRemoteSize(`${base}/no-head.iso`)).toBe(5 * 1024 ** 3);
  });

  it('offline, a 404 or a server that never answers: undefined, within the timeout', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    expect(await probeRemoteSize(`http://127.0.0.1:${port}/x.iso`)).toBeUndefined();
    expect(await probeRemoteSize(`${base}/missing.iso`)).toBeUndefined();
    const t0 = Date.now();
    expect(await probeRemoteSize(`${base}/hang.iso`, {timeoutMs: 300})).toBeUndefined();
    expect(Date.now() - t0).toBeLessThan(2000);
  });
});

describe('the picker', () => {
  const tick = (ms = 0): Promise<void> => new Promise((r) => setTimeout(r, ms));
  /** Waits (up to 3 s, for a loaded machine) until the frame shows `re`; returns the frame. */
  const until = async (r: {lastFrame: () => string | undefined}, re: RegExp | string): Promise<string> => {
    const hit = (f = r.lastFrame() ?? ''): boolean => (typeof re === 'string' ? f.includes(re) : re.test(f));
    for (let i = 0; i < 300 && !hit(); i++) await tick(10);
    return r.lastFrame() ?? '';
  };
  const entry = (name: string, media: ProfileEntry['media'], extra: Partial<ProfileEntry> = {}): ProfileEntry => ({name, dir: `/p/${name}`, origin: 'builtin', distro: 'debian', installMethod: 'cloud-image', media, ...extra});
  const picker = (profiles: ProfileEntry[], probeSize?: (url: string) => Promise<number | undefined>) =>
    render(<ProfilePicker profiles={profiles} width={100} height={24} debug={false} onToggleDebug={() => {}} onBuild={() => {}} onQuit={() => {}} now={10_000} probeSize={probeSize} />);

  it('shows cached (and where), to download with the size asked in the background, size unknown when no answer came, and the script-built ISO', async () => {
    let answer!: (n: number | undefined) => void;
    const asked: string[] = [];
    const probe = vi.fn((url: string) => {
      asked.push(url);
      if (url.includes('offline')) return Promise.reject(new Error('ENOTFOUND'));
      return new Promise<number | undefined>((r) => (answer = r));
    });
    const entries = [
      entry('cloud', {kind: 'image', source: 'download', state: 'cached', url: 'https://x.test/c.qcow2', path: '/cache/iso/abc.qcow2', bytes: 350 * 1024 * 1024, size: 350 * 1024 * 1024, sizeFrom: 'file'}),
      entry('netinst', {kind: 'iso', source: 'download', state: 'missing', url: 'https://x.test/n.iso'}, {installMethod: 'preseed'}),
      entry('offline', {kind: 'iso', source: 'download', state: 'missing', url: 'https://offline.test/o.iso'}, {installMethod: 'kickstart'}),
      entry('tiny', {kind: 'iso', source: 'script', state: 'unbuilt', script: '/p/tiny/build-iso.sh'}, {distro: 'busybox', installMethod: 'custom', lastBuild: {status: 'done', time: 5_000, logDir: '/l'}}),
    ];
    const r = picker(entries, probe);
    let frame = await until(r, 'size unknown');
    expect(frame).toMatch(/PROFILE\s+DISTRO\s+METHOD\s+ISO\/IMAGE\s+LAST BUILD/);
    expect(frame).toMatch(/cloud\s+debian\s+cloud-image\s+cached 350M\s+never built/);
    // Asked in the background: the row says so, the picker is already drawn.
    expect(frame).toMatch(/netinst\s+debian\s+preseed\s+↓ …\s+never built/);
    expect(frame).toMatch(/offline\s+debian\s+kickstart\s+size unknown\s+never built/);
    expect(frame).toMatch(/tiny\s+busybox\s+custom\s+by script\s+✓ done 5s ago/);
    // The selected (first) row's detail: where the cached image is.
    expect(frame).toContain('disk image: cached (350M) at /cache/iso/abc.qcow2');
    expect(asked.sort()).toEqual(['https://offline.test/o.iso', 'https://x.test/n.iso']);
    answer(650 * 1024 * 1024);
    expect(await until(r, '↓ 650M')).toMatch(/netinst\s+debian\s+preseed\s+↓ 650M\s+never built/);
    for (const want of ['ISO: not downloaded yet (650M) from https://x.test/n.iso', 'ISO: not downloaded yet (size unknown) from https://offline.test/o.iso', "ISO: built by the profile's script build-iso.sh when a build needs it (no download)"]) {
      r.stdin.write('j');
      expect(await until(r, want)).toContain(want);
    }
    // Redraws and the same list again do not ask again.
    r.rerender(<ProfilePicker profiles={[...entries]} width={100} height={24} debug={false} onToggleDebug={() => {}} onBuild={() => {}} onQuit={() => {}} now={10_000} probeSize={probe} />);
    await tick(10);
    expect(probe).toHaveBeenCalledTimes(2);
    r.unmount();
  });

  it('without a probe (or before any answer) nothing waits: the size is unknown', async () => {
    const r = picker([entry('netinst', {kind: 'iso', source: 'download', state: 'missing', url: 'https://x.test/n.iso'})]);
    expect(await until(r, 'netinst')).toMatch(/netinst\s+debian\s+cloud-image\s+size unknown/);
    r.unmount();
  });
});

describe('vmbench profiles', () => {
  async function run(...argv: string[]): Promise<{code: number; out: string}> {
    let out = '';
    const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
    const before = process.exitCode;
    try {
      await main(argv);
      return {code: Number(process.exitCode ?? 0), out};
    } finally {
      o.mockRestore();
      process.exitCode = before;
    }
  }
  beforeAll(() => {
    vi.stubEnv('XDG_CONFIG_HOME', fresh('config'));
    const state = fresh('state');
    vi.stubEnv('XDG_STATE_HOME', state);
    // tiny was built once and failed.
    const log = path.join(state, 'vmbench', 'builds', 'tiny-2026-01-01T10-00-00-000Z-abcd1234');
    mkdirSync(log, {recursive: true});
    writeFileSync(path.join(log, 'events.jsonl'), `${JSON.stringify({type: 'build', status: 'failed', time: Date.now() - 3_600_000, durationMs: 5, reason: 'wait-ssh: timeout'})}\n`);
  });
  afterAll(() => vi.unstubAllEnvs());
  afterEach(() => vi.restoreAllMocks());

  it('--json carries the media facts and the last build; text says the same', async () => {
    const cache = fresh('c');
    const r = await run('profiles', '--json', '--cache-dir', cache);
    expect(r.code).toBe(0);
    const list = JSON.parse(r.out) as {name: string; install_method: string; media?: {source: string; state: string}; last_build?: unknown}[];
    const tiny = list.find((p) => p.name === 'tiny')!;
    expect(tiny).toMatchObject({install_method: 'custom', media: {kind: 'iso', source: 'script', state: 'unbuilt'}});
    expect(tiny.last_build).toMatchObject({status: 'failed', reason: 'wait-ssh: timeout'});
    const deb = list.find((p) => p.name === 'debian-12')!;
    expect(deb.media).toMatchObject({kind: 'iso', source: 'download', state: 'missing', url: expect.stringMatching(/^https:\/\/cdimage\.debian\.org\/.*\.iso$/)});
    const text = await run('profiles', '--cache-dir', cache);
    expect(text.out).toMatch(/^tiny\s+busybox\s+custom\s+by script\s+✗ failed 1h ago$/m);
    expect(text.out).toMatch(/^debian-12\s+debian\s+preseed\s+(size unknown|↓ \S+)\s+never built$/m);
    expect(text.out).toMatch(/ISO: not downloaded yet \((size unknown|\S+)\) from https:\/\/cdimage\.debian\.org\//);
  });
});
