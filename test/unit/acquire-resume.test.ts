/**
 * Downloads that behave, against a real local HTTP server with Range support: a cut connection
 * resumed by the next acquire (Range: bytes=N- with If-Range), a server that ignores Range and a
 * changed ETag both restarting cleanly, a checksum mismatch deleting everything, a cancel leaving
 * only the resumable part, SHA256SUMS / SHA512SUMS lists in every form, and progress at a
 * bounded rate.
 */
import {createHash, randomBytes} from 'node:crypto';
import {existsSync, readdirSync, readFileSync, statSync, writeFileSync} from 'node:fs';
import {createServer, type IncomingMessage, type Server, type ServerResponse} from 'node:http';
import type {AddressInfo} from 'node:net';
import path from 'node:path';
import {afterAll, beforeAll, beforeEach, describe, expect, it} from 'vitest';
import {acquireIso, type AcquireOptions} from '../../src/iso/acquire.js';
import {DownloadMeter} from '../../src/iso/progress.js';
import {readUrlRecord} from '../../src/iso/url-records.js';
import {scratchDirs} from '../support/scratch.js';

const fresh = scratchDirs('vmbench-resume-');
const FILE = randomBytes(4 * 1024 * 1024 + 123);
const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const sha512 = (b: Buffer): string => createHash('sha512').update(b).digest('hex');

/** How the server behaves for /f/*: set per test. */
interface Behaviour {
  body: Buffer;
  etag?: string;
  lastModified?: string;
  /** Cut the connection after this many bytes of the response body (the first `cuts` responses). */
  cutAt?: number;
  cuts?: number;
  ignoreRange?: boolean;
  /** Send the body in chunks of this size, `delayMs` apart. */
  chunk?: number;
  delayMs?: number;
}

interface Hit {
  url: string;
  method: string;
  range?: string;
  ifRange?: string;
  status?: number;
}

let server: Server;
let base = '';
let b: Behaviour;
const hits: Hit[] = [];
const lists: Record<string, string> = {};

async function send(res: ServerResponse, data: Buffer, beh: Behaviour, cut: number | undefined): Promise<void> {
  const size = beh.chunk ?? 256 * 1024;
  for (let i = 0; i < data.length; i += size) {
    if (res.destroyed) return;
    const piece = data.subarray(i, Math.min(data.length, i + size));
    if (cut !== undefined && i + piece.length > cut) {
      res.write(piece.subarray(0, Math.max(0, cut - i)));
      // Let the bytes go out, then drop the connection mid-body.
      await new Promise((r) => setTimeout(r, 20));
      res.socket?.destroy();
      return;
    }
    if (!res.write(piece)) await new Promise((r) => res.once('drain', r));
    if (beh.delayMs) await new Promise((r) => setTimeout(r, beh.delayMs));
  }
  res.end();
}

function serve(req: IncomingMessage, res: ServerResponse): void {
  const hit: Hit = {url: req.url ?? '', method: req.method ?? 'GET', range: req.headers.range, ifRange: req.headers['if-range'] as string | undefined};
  hits.push(hit);
  const listed = lists[hit.url];
  if (listed !== undefined) {
    res.end(listed);
    return;
  }
  if (!hit.url.startsWith('/f/')) {
    res.writeHead(404);
    res.end();
    return;
  }
  const beh = b;
  const headers: Record<string, string | number> = {'accept-ranges': beh.ignoreRange ? 'none' : 'bytes', 'content-type': 'application/octet-stream'};
  if (beh.etag) headers.etag = beh.etag;
  if (beh.lastModified) headers['last-modified'] = beh.lastModified;
  const cut = beh.cutAt !== undefined && (beh.cuts ?? 1) > 0 ? beh.cutAt : undefined;
  if (cut !== undefined) beh.cuts = (beh.cuts ?? 1) - 1;
  const m = /^bytes=(\d+)-$/.exec(hit.range ?? '');
  const validatorOk = !hit.ifRange || hit.ifRange === beh.etag || hit.ifRange === beh.lastModified;
  if (m && !beh.ignoreRange && validatorOk) {
    const start = Number(m[1]);
    if (start >= beh.body.length) {
      hit.status = 416;
      res.writeHead(416, {...headers, 'content-range': `bytes */${beh.body.length}`});
      res.end();
      return;
    }
    hit.status = 206;
    res.writeHead(206, {...headers, 'content-length': beh.body.length - start, 'content-range': `bytes ${start}-${beh.body.length - 1}/${beh.body.length}`});
    if (req.method === 'HEAD') return void res.end();
    void send(res, beh.body.subarray(start), beh, cut);
    return;
  }
  hit.status = 200;
  res.writeHead(200, {...headers, 'content-length': beh.body.length});
  if (req.method === 'HEAD') return void res.end();
  void send(res, beh.body, beh, cut);
}

beforeAll(async () => {
  server = createServer(serve);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));
beforeEach(() => {
  b = {body: FILE, etag: '"v1"', lastModified: 'Mon, 01 Jan 2024 00:00:00 GMT'};
  hits.length = 0;
});

interface Run {
  opts: AcquireOptions;
  logs: string[];
  progress: [number, number | undefined][];
  cache: string;
  isoDir: string;
}

function setup(over: Partial<AcquireOptions> = {}): Run {
  const dir = fresh('p');
  const logs: string[] = [];
  const progress: [number, number | undefined][] = [];
  const cache = path.join(dir, 'cache');
  const opts: AcquireOptions = {
    urls: [`${base}/f/disk.qcow2`],
    checksum: `sha256:${sha256(FILE)}`,
    profileDir: dir,
    cacheDir: cache,
    targetExtension: 'qcow2',
    signal: new AbortController().signal,
    log: (_s, line) => logs.push(line),
    progress: (_l, c, t) => progress.push([c, t]),
    ...over,
  };
  return {opts, logs, progress, cache, isoDir: path.join(cache, 'iso')};
}

const gets = (): Hit[] => hits.filter((h) => h.url.startsWith('/f/') && h.method === 'GET');

describe('resuming a download', () => {
  it('a connection cut half-way: the part is kept, and the next acquire asks for the rest and verifies the whole', async () => {
    const r = setup();
    b.cutAt = 2 * 1024 * 1024 + 5;
    await expect(acquireIso(r.opts)).rejects.toThrow(/could not get the ISO from http\S+: .*connection lost at/);
    const key = sha256(FILE);
    // Only the part and its record; nothing at the final path.
    expect(readdirSync(r.isoDir).sort()).toEqual([`${key}.qcow2.part`, `${key}.qcow2.part.json`]);
    const part = readFileSync(path.join(r.isoDir, `${key}.qcow2.part`));
    expect(part.length).toBeGreaterThan(0);
    expect(part.length).toBeLessThanOrEqual(b.cutAt);
    expect(part.equals(FILE.subarray(0, part.length))).toBe(true);
    expect(JSON.parse(readFileSync(path.join(r.isoDir, `${key}.qcow2.part.json`), 'utf8'))).toMatchObject({url: r.opts.urls[0], etag: '"v1"', total: FILE.length});
    expect(r.logs.join('\n')).toMatch(/kept the partial download .*: the next build resumes it/);

    hits.length = 0;
    const again = setup({cacheDir: r.cache});
    const got = await acquireIso(again.opts);
    expect(got).toEqual({path: path.join(r.isoDir, `${key}.qcow2`), how: 'download', resumedAt: part.length});
    expect(gets()).toEqual([expect.objectContaining({range: `bytes=${part.length}-`, ifRange: '"v1"', status: 206})]);
    expect(sha256(readFileSync(got.path))).toBe(key);
    expect(readdirSync(r.isoDir)).toEqual([`${key}.qcow2`]);
    expect(again.logs.join('\n')).toContain(`resuming at `);
    expect(again.logs.find((l) => l.startsWith('resuming at'))).toMatch(new RegExp(`^resuming at [\\d.]+ MiB of 4\\.0 MiB \\(byte ${part.length}\\)`));
    // Progress counts the part: it starts where the part ended and ends at the total.
    expect(again.progress[0]).toEqual([part.length, FILE.length]);
    expect(again.progress.at(-1)).toEqual([FILE.length, FILE.length]);
    // The picker's record: where it is and how big.
    expect(readUrlRecord(r.cache, r.opts.urls[0]!)).toMatchObject({path: got.path, bytes: FILE.length, size: FILE.length, checksumSpec: r.opts.checksum});
  });

  it('a server that ignores Range: starts again from byte 0 and still gets it right', async () => {
    const r = setup();
    b.cutAt = 1024 * 1024;
    await expect(acquireIso(r.opts)).rejects.toThrow(/connection lost/);
    b.ignoreRange = true;
    hits.length = 0;
    const again = setup({cacheDir: r.cache});
    const got = await acquireIso(again.opts);
    expect(got.how).toBe('download');
    expect(got.resumedAt).toBeUndefined();
    expect(gets()).toEqual([expect.objectContaining({range: expect.stringMatching(/^bytes=\d+-$/), status: 200})]);
    expect(sha256(readFileSync(got.path))).toBe(sha256(FILE));
    expect(again.logs.join('\n')).toMatch(/cannot resume at .*: the server does not resume downloads; starting again/);
    expect(readdirSync(r.isoDir)).toEqual([path.basename(got.path)]);
  });

  it('a changed ETag: If-Range fails, the server sends the new file whole, and that is what is kept (no checksum)', async () => {
    const r = setup({checksum: 'none'});
    b.cutAt = 3 * 1024 * 1024;
    await expect(acquireIso(r.opts)).rejects.toThrow(/connection lost/);
    expect(readdirSync(r.isoDir).some((f) => f.endsWith('.part'))).toBe(true);
    // The file is republished: other bytes, another ETag.
    const v2 = Buffer.from(FILE);
    v2.fill(9, 0, 1000);
    b = {body: v2, etag: '"v2"', lastModified: 'Tue, 02 Jan 2024 00:00:00 GMT'};
    hits.length = 0;
    const again = setup({cacheDir: r.cache, checksum: 'none'});
    const got = await acquireIso(again.opts);
    expect(gets()).toEqual([expect.objectContaining({ifRange: '"v1"', status: 200})]);
    expect(got.resumedAt).toBeUndefined();
    expect(readFileSync(got.path).equals(v2)).toBe(true);
    expect(again.logs.join('\n')).toMatch(/cannot resume at .*: the file changed on the server; starting again/);
  });

  it('a weak ETag is not used for If-Range: Last-Modified is', async () => {
    b.etag = 'W/"weak"';
    const r = setup();
    b.cutAt = 1024 * 1024;
    await expect(acquireIso(r.opts)).rejects.toThrow(/connection lost/);
    hits.length = 0;
    await acquireIso(setup({cacheDir: r.cache}).opts);
    expect(gets()).toEqual([expect.objectContaining({ifRange: b.lastModified, status: 206})]);
  });

  it('with no checksum and no validator a cut part cannot be trusted: it is removed', async () => {
    b = {body: FILE, cutAt: 1024 * 1024};
    const r = setup({checksum: 'none'});
    await expect(acquireIso(r.opts)).rejects.toThrow(/connection lost/);
    expect(readdirSync(r.isoDir)).toEqual([]);
  });

  it('a part that already holds the whole file (cancelled before it was verified): a 416 finishes it without downloading', async () => {
    const r = setup();
    const dest = path.join(r.isoDir, `${sha256(FILE)}.qcow2`);
    const {mkdirSync} = await import('node:fs');
    mkdirSync(r.isoDir, {recursive: true});
    writeFileSync(`${dest}.part`, FILE);
    writeFileSync(`${dest}.part.json`, JSON.stringify({url: r.opts.urls[0], etag: '"v1"', total: FILE.length}));
    const got = await acquireIso(r.opts);
    expect(got).toMatchObject({path: dest, how: 'download', resumedAt: FILE.length});
    expect(gets()).toEqual([expect.objectContaining({range: `bytes=${FILE.length}-`, status: 416})]);
    expect(readdirSync(r.isoDir)).toEqual([path.basename(dest)]);
  });
});

describe('checksum while downloading', () => {
  it('a mismatch deletes the download: no part, no record, nothing at the final path', async () => {
    const r = setup({checksum: `sha256:${'0'.repeat(64)}`});
    await expect(acquireIso(r.opts)).rejects.toThrow(`checksum mismatch for ${base}/f/disk.qcow2: expected sha256:${'0'.repeat(64)}, got sha256:${sha256(FILE)}`);
    expect(readdirSync(r.isoDir)).toEqual([]);
  });

  it('a mismatch after a resume deletes the part as well, and says it had resumed', async () => {
    const wrong = `sha512:${'1'.repeat(128)}`;
    const r = setup({checksum: wrong});
    b.cutAt = 2 * 1024 * 1024;
    await expect(acquireIso(r.opts)).rejects.toThrow(/connection lost/);
    expect(readdirSync(r.isoDir)).toHaveLength(2);
    const err = await acquireIso(setup({cacheDir: r.cache, checksum: wrong}).opts).catch((e: Error & {hint?: string}) => e);
    expect((err as Error).message).toContain(`got sha512:${sha512(FILE)}`);
    expect(JSON.stringify(err)).toMatch(/resumed at \d+ bytes/);
    expect(readdirSync(r.isoDir)).toEqual([]);
  });
});

describe('cancelling a download (Ctrl-C)', () => {
  it('leaves only the resumable part, never a file at the final path, and the next run finishes it', async () => {
    b.chunk = 64 * 1024;
    b.delayMs = 5;
    const ac = new AbortController();
    const r = setup({signal: ac.signal, progress: (_l, c) => c > 1024 * 1024 && ac.abort(new Error('Ctrl-C'))});
    await expect(acquireIso(r.opts)).rejects.toThrow();
    const key = sha256(FILE);
    expect(readdirSync(r.isoDir).sort()).toEqual([`${key}.qcow2.part`, `${key}.qcow2.part.json`]);
    const partLen = statSync(path.join(r.isoDir, `${key}.qcow2.part`)).size;
    expect(partLen).toBeGreaterThan(1024 * 1024);
    expect(partLen).toBeLessThan(FILE.length);
    b.delayMs = 0;
    hits.length = 0;
    const got = await acquireIso(setup({cacheDir: r.cache}).opts);
    expect(got.resumedAt).toBe(partLen);
    expect(sha256(readFileSync(got.path))).toBe(key);
    expect(readdirSync(r.isoDir)).toEqual([`${key}.qcow2`]);
  });
});

describe('file: checksum lists', () => {
  const name = 'disk.qcow2';
  const forms = (hex: string, tag: 'SHA256' | 'SHA512'): Record<string, string> => ({
    'GNU text': `${'e'.repeat(hex.length)}  other.qcow2\n${hex}  ${name}\n`,
    'GNU binary': `${hex} *${name}\n`,
    'GNU ./name': `${hex}  ./${name}\n`,
    'GNU binary ./name': `${hex} *./${name}\n`,
    BSD: `${tag} (other.qcow2) = ${'e'.repeat(hex.length)}\n${tag} (${name}) = ${hex}\n`,
    'BSD ./name, CRLF': `${tag} (./${name}) = ${hex.toUpperCase()}\r\n`,
  });

  it.each([
    ['SHA256SUMS', 'SHA256', sha256(FILE)],
    ['SHA512SUMS', 'SHA512', sha512(FILE)],
  ] as const)('%s in every form, over http and from a local file', async (listName, tag, hex) => {
    const r = setup();
    for (const [form, text] of Object.entries(forms(hex, tag))) {
      const slug = form.replace(/\W+/g, '-');
      lists[`/lists/${slug}/${listName}`] = text;
      writeFileSync(path.join(r.opts.profileDir, `${slug}-${listName}`), text);
      for (const spec of [`file:${base}/lists/${slug}/${listName}`, `file:${slug}-${listName}`, `file:file://${path.join(r.opts.profileDir, `${slug}-${listName}`)}`]) {
        const got = await acquireIso({...r.opts, checksum: spec});
        expect(path.basename(got.path), `${form}: ${spec}`).toBe(`${hex}.qcow2`);
      }
    }
    // One download (hashed with the list's type as it arrived), the rest from the cache.
    expect(gets()).toHaveLength(1);
  });

  it('a SHA512SUMS entry that does not match: the mismatch names sha512 and nothing is kept', async () => {
    lists['/lists/bad/SHA512SUMS'] = `${'2'.repeat(128)}  disk.qcow2\n`;
    const r = setup({checksum: `file:${base}/lists/bad/SHA512SUMS`});
    await expect(acquireIso(r.opts)).rejects.toThrow(`expected sha512:${'2'.repeat(128)}, got sha512:${sha512(FILE)}`);
    expect(readdirSync(r.isoDir)).toEqual([]);
  });

  it('a list that does not hold the file names what it holds', async () => {
    lists['/lists/other/SHA256SUMS'] = `${'3'.repeat(64)}  other.qcow2\n`;
    await expect(acquireIso(setup({checksum: `file:${base}/lists/other/SHA256SUMS`}).opts)).rejects.toThrow(/no checksum for disk\.qcow2 in the checksum list; it lists other\.qcow2/);
  });
});

describe('progress at a sane rate', () => {
  it('a slow download over a real socket: events at most every 250 ms, plain lines every few seconds at most', async () => {
    b.chunk = 16 * 1024;
    b.delayMs = 4;
    const r = setup();
    const t0 = Date.now();
    await acquireIso(r.opts);
    const ms = Date.now() - t0;
    const chunks = Math.ceil(FILE.length / b.chunk);
    // Hundreds of chunks arrived; the events are bounded by time, not by chunks.
    expect(ms).toBeGreaterThan(1000);
    expect(r.progress.length).toBeLessThanOrEqual(Math.ceil(ms / 250) + 2);
    expect(r.progress.length).toBeLessThan(chunks / 4);
    expect(r.progress.at(-1)).toEqual([FILE.length, FILE.length]);
    const lines = r.logs.filter((l) => l.startsWith('downloading:'));
    expect(lines.length).toBeLessThanOrEqual(Math.ceil(ms / 2000));
    expect(r.logs.find((l) => l.startsWith('downloaded '))).toMatch(/^downloaded 4\.0 MiB in [\d.]+s, [\d.]+ (KiB|MiB)\/s$/);
  });

  it('the meter, on a simulated 1 GiB download of 120 s: ≤ 4 events a second, a line per tenth at most every 2 s, each with bytes, total, rate and time left', () => {
    let now = 0;
    const events: number[] = [];
    const lines: string[] = [];
    const total = 1024 ** 3;
    const m = new DownloadMeter({total, now: () => now, progress: (c) => events.push(c), log: (l) => lines.push(l)});
    const step = 16 * 1024;
    for (let got = 0; got < total; got += step) {
      now += (120_000 * step) / total;
      m.add(Math.min(step, total - got));
    }
    const last = m.finish();
    expect(events.length).toBeLessThanOrEqual(120_000 / 250 + 2);
    expect(events.length).toBeGreaterThan(100);
    // 10%, 20%, … 90%: 100% is the summary's.
    expect(lines).toHaveLength(9);
    for (const l of lines) expect(l).toMatch(/^downloading: [\d.]+ (MiB|GiB) of 1\.0 GiB \(\d+%\), [\d.]+ MiB\/s, (\d+m\d\ds|[\d.]+s) left$/);
    expect(lines[0]).toMatch(/\(10%\)/);
    expect(last).toMatch(/^downloaded 1\.0 GiB in 2m00s, 8\.5 MiB\/s$/);
  });

  it('an unknown size or a crawl: a line every 15 s still says it is alive', () => {
    let now = 0;
    const lines: string[] = [];
    const m = new DownloadMeter({now: () => now, progress: () => {}, log: (l) => lines.push(l)});
    for (let i = 0; i < 600; i++) {
      now += 100;
      m.add(1000);
    }
    expect(lines).toHaveLength(4);
    expect(lines[0]).toBe('downloading: 146 KiB, 9.8 KiB/s');
  });
});
