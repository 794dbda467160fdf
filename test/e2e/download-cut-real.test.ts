/**
 * Issue 13's fault "an ISO download cut half-way (resumed next time)", through the command line:
 * the tiny profile with its ISO served over HTTP by a local server that cuts the first response
 * half-way. The first build fails with one line naming the cut, keeps only the resumable part
 * (nothing at the final path, no QEMU started); the second asks for the rest (Range), verifies the
 * whole against iso_checksum and builds.
 */
import {createHash} from 'node:crypto';
import {existsSync, readdirSync, readFileSync} from 'node:fs';
import {createServer, type Server} from 'node:http';
import type {AddressInfo} from 'node:net';
import path from 'node:path';
import {execa} from 'execa';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {tinyIso} from '../support/iso-images.js';
import {assertBuilt, BIN, tinyProfileCopy, tmpDir} from './helpers.js';

let server: Server;
let url = '';
let iso: Buffer;
const requests: {range?: string; status: number}[] = [];

beforeAll(async () => {
  assertBuilt();
  iso = readFileSync(tinyIso());
  let first = true;
  server = createServer((req, res) => {
    const range = req.headers.range;
    const m = range ? /^bytes=(\d+)-$/.exec(range) : null;
    const start = m ? Number(m[1]) : 0;
    const status = m ? 206 : 200;
    requests.push({range, status});
    res.writeHead(status, {
      'content-length': String(iso.length - start),
      etag: '"tiny-iso-1"',
      'accept-ranges': 'bytes',
      ...(m ? {'content-range': `bytes ${start}-${iso.length - 1}/${iso.length}`} : {}),
    });
    if (first) {
      // The first response stops half-way: the connection is cut under the client.
      first = false;
      res.write(iso.subarray(0, Math.floor(iso.length / 2)), () => setTimeout(() => req.socket.destroy(), 100));
      return;
    }
    res.end(iso.subarray(start));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/tiny.iso`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('an ISO download cut half-way', () => {
  it('fails with the cause in one line, keeps the part, and the next build resumes it', {timeout: 240_000}, async () => {
    const sha = createHash('sha256').update(iso).digest('hex');
    const profile = tinyProfileCopy((y) => y.replace(/^iso_build: .*\n/m, '').replace(/^iso_checksum: .*$/m, `iso_url: ${url}\niso_checksum: sha256:${sha}`));
    const work = tmpDir('vmbench-e2e-cut-');
    const cache = path.join(work, 'cache');
    const run = () => execa('node', [BIN, 'build', profile, '--plain', '--output', path.join(work, 'out'), '--cache-dir', cache], {reject: false, all: true, env: {CI: 'true', XDG_STATE_HOME: path.join(work, 'state')}});

    const r1 = await run();
    expect(r1.exitCode, String(r1.all).slice(-2000)).toBe(1);
    const last = r1.stderr.split('\n').find((l) => l.startsWith('vmbench: build failed')) ?? r1.stderr;
    expect(last).toMatch(/^vmbench: build failed at fetch-iso: .*(cut|closed|reset|aborted|incomplete|premature|ended)/i);
    expect(String(r1.all)).not.toMatch(/QEMU running/);
    expect(existsSync(path.join(work, 'out'))).toBe(false);
    const files = readdirSync(cache, {recursive: true}) as string[];
    expect(files.some((f) => f.endsWith('.part'))).toBe(true);
    expect(files.some((f) => f.endsWith('.iso'))).toBe(false);

    const r2 = await run();
    expect(r2.exitCode, String(r2.all).slice(-3000)).toBe(0);
    expect(String(r2.all)).toMatch(/resuming at /);
    expect(requests.at(-1)).toMatchObject({range: expect.stringMatching(/^bytes=\d+-$/), status: 206});
    expect(existsSync(path.join(work, 'out', 'tiny.qcow2'))).toBe(true);
    expect((readdirSync(cache, {recursive: true}) as string[]).filter((f) => f.endsWith('.part'))).toEqual([]);
  });
});
