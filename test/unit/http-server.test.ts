import {mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync} from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import {afterEach, describe, expect, it} from 'vitest';
import {contentKey, resolveUnder, startHttpServer, type RunningHttpServer} from '../../src/http/server.js';

/** Packer serves http_directory as it is: neither Go templates nor cloud-init's Jinja are touched. */
const PRESEED = 'url=http://{{ .HTTPIP }}:{{ .HTTPPort }}/x\nname={{ .Name }}\nbad={{ .Nope }}\n';
const USER_DATA = '## template: jinja\n#cloud-config\nhostname: {{ v1.local_hostname }}\n{% if v1.region %}r: {{ v1.region }}{% endif %}\n';

/** Raw GET so the client does not normalise `..` away before it reaches the server. */
function get(port: number, rawPath: string): Promise<{status: number; body: Buffer}> {
  return new Promise((resolve, reject) => {
    const req = http.request({host: '127.0.0.1', port, path: rawPath, method: 'GET'}, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({status: res.statusCode ?? 0, body: Buffer.concat(chunks)}));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('resolveUnder', () => {
  it.each([
    ['/preseed.cfg', '/srv/preseed.cfg'],
    ['/a/b.cfg?x=1', '/srv/a/b.cfg'],
    ['/a%2Fb.cfg', '/srv/a/b.cfg'],
    ['/../etc/passwd', undefined],
    ['/a/../../etc/passwd', undefined],
    ['/%2e%2e/etc/passwd', undefined],
    ['/..%5c..%5cetc', undefined],
    ['/a%00b', undefined],
    ['/%E0%A4%A', undefined],
  ])('%s → %s', (url, expected) => {
    expect(resolveUnder('/srv', url)).toBe(expected);
  });
});

describe('contentKey (Packer looks http_content up by the cleaned path)', () => {
  it.each([
    ['/preseed.cfg', '/preseed.cfg'],
    ['/preseed.cfg?x=1', '/preseed.cfg'],
    ['/a/../b.cfg', '/b.cfg'],
    ['//a//b/', '/a/b'],
    ['/', '/'],
    ['/%7Euser', '/~user'],
    ['/%E0%A4%A', undefined],
  ])('%s → %s', (url, expected) => {
    expect(contentKey(url)).toBe(expected);
  });
});

describe('startHttpServer', () => {
  let server: RunningHttpServer | undefined;
  let dir = '';
  afterEach(async () => {
    await server?.close();
    if (dir) rmSync(dir, {recursive: true, force: true});
  });

  async function start(lines: string[]) {
    dir = mkdtempSync(path.join(os.tmpdir(), 'vmbench-http-'));
    const root = path.join(dir, 'http');
    mkdirSync(root);
    writeFileSync(path.join(root, 'preseed.cfg'), PRESEED);
    writeFileSync(path.join(root, 'user-data'), USER_DATA);
    writeFileSync(path.join(root, 'blob.bin'), Buffer.from([0, 1, 2, 123, 123, 0]));
    writeFileSync(path.join(dir, 'secret.txt'), 'top secret');
    symlinkSync(path.join(dir, 'secret.txt'), path.join(root, 'link.txt'));
    let port = 0;
    server = await startHttpServer({
      root,
      bindAddress: '127.0.0.1',
      portMin: 18100,
      portMax: 18199,
      log: (stream, line) => lines.push(`${stream} ${line}`),
    });
    return server;
  }

  async function startContent(content: Record<string, () => string | Buffer>, lines: string[] = []) {
    server = await startHttpServer({content, bindAddress: '127.0.0.1', portMin: 18100, portMax: 18199, log: (stream, line) => lines.push(`${stream} ${line}`)});
    return server;
  }

  it('serves http_directory byte for byte, in the port range: templates and Jinja arrive as written', async () => {
    const s = await start([]);
    expect(s.port).toBeGreaterThanOrEqual(18100);
    expect(s.port).toBeLessThanOrEqual(18199);
    const r = await get(s.port, '/preseed.cfg');
    expect(r.status).toBe(200);
    expect(r.body.toString()).toBe(PRESEED);
    expect((await get(s.port, '/user-data')).body.toString()).toBe(USER_DATA);
  });

  it('serves http_content by cleaned URL path, its body made per request', async () => {
    let n = 0;
    const lines: string[] = [];
    const s = await startContent({'/preseed.cfg': () => `n=${++n}\n`, '/bin': () => Buffer.from([0, 255])}, lines);
    expect((await get(s.port, '/preseed.cfg')).body.toString()).toBe('n=1\n');
    expect((await get(s.port, '/x/../preseed.cfg?v=2')).body.toString()).toBe('n=2\n');
    expect([...(await get(s.port, '/bin')).body]).toEqual([0, 255]);
    expect((await get(s.port, '/preseed.cgf')).status).toBe(404);
    expect(lines.at(-1)).toMatch(/^warn GET \/preseed.cgf → 404 .*http_content has \/bin, \/preseed.cfg \(did you mean \/preseed.cfg\?\)/);
  });

  it('answers 500 and says why when content cannot be made', async () => {
    const lines: string[] = [];
    const s = await startContent({'/x': () => { throw new Error('boom'); }}, lines);
    expect((await get(s.port, '/x')).status).toBe(500);
    expect(lines.at(-1)).toMatch(/http_content \/x: boom/);
  });

  it('serves binary files untouched', async () => {
    const s = await start([]);
    expect([...(await get(s.port, '/blob.bin')).body]).toEqual([0, 1, 2, 123, 123, 0]);
  });

  it('refuses traversal and symlinks out of the directory, and logs every request', async () => {
    const lines: string[] = [];
    const s = await start(lines);
    expect((await get(s.port, '/../secret.txt')).status).toBe(403);
    expect((await get(s.port, '/%2e%2e/secret.txt')).status).toBe(403);
    const link = await get(s.port, '/link.txt');
    expect(link.status).toBe(403);
    expect(link.body.toString()).not.toContain('secret');
    const missing = await get(s.port, '/preseed-typo.cfg');
    expect(missing.status).toBe(404);
    expect(s.requests.map((r) => r.status)).toEqual([403, 403, 403, 404]);
    expect(lines.find((l) => l.includes('/preseed-typo.cfg'))).toMatch(/^warn GET \/preseed-typo.cfg → 404 .*it has: .*preseed.cfg/);
  });

  it('frees its port on close', async () => {
    const s = await start([]);
    await s.close();
    server = undefined;
    await expect(get(s.port, '/preseed.cfg')).rejects.toThrow(/ECONNREFUSED/);
  });
});
