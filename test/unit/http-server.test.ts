import {mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync} from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import {afterEach, describe, expect, it} from 'vitest';
import {resolveUnder, startHttpServer, type RunningHttpServer} from '../../src/http/server.js';
import {renderTemplate} from '../../src/profiles/template.js';

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
    writeFileSync(path.join(root, 'preseed.cfg'), 'url=http://{{ .HTTPIP }}:{{ .HTTPPort }}/x\nname={{ .Name }}\n');
    writeFileSync(path.join(root, 'blob.bin'), Buffer.from([0, 1, 2, 123, 123, 0]));
    writeFileSync(path.join(root, 'broken.cfg'), 'x={{ .Nope }}\n');
    writeFileSync(path.join(dir, 'secret.txt'), 'top secret');
    symlinkSync(path.join(dir, 'secret.txt'), path.join(root, 'link.txt'));
    let port = 0;
    server = await startHttpServer({
      root,
      bindAddress: '127.0.0.1',
      portMin: 18100,
      portMax: 18199,
      render: (t) => renderTemplate(t, {fields: {HTTPIP: '10.0.2.2', HTTPPort: String(port), Name: 'vm1'}}),
      log: (stream, line) => lines.push(`${stream} ${line}`),
    });
    port = server.port;
    return server;
  }

  it('serves files rendered with the build fields, in the port range', async () => {
    const s = await start([]);
    expect(s.port).toBeGreaterThanOrEqual(18100);
    expect(s.port).toBeLessThanOrEqual(18199);
    const r = await get(s.port, '/preseed.cfg');
    expect(r.status).toBe(200);
    expect(r.body.toString()).toBe(`url=http://10.0.2.2:${s.port}/x\nname=vm1\n`);
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
    expect((await get(s.port, '/broken.cfg')).status).toBe(500);
    expect(s.requests.map((r) => r.status)).toEqual([403, 403, 403, 404, 500]);
    expect(lines.find((l) => l.includes('/preseed-typo.cfg'))).toMatch(/^warn GET \/preseed-typo.cfg → 404 .*it has: .*preseed.cfg/);
    expect(lines.find((l) => l.includes('/broken.cfg'))).toMatch(/Nope/);
  });

  it('frees its port on close', async () => {
    const s = await start([]);
    await s.close();
    server = undefined;
    await expect(get(s.port, '/preseed.cfg')).rejects.toThrow(/ECONNREFUSED/);
  });
});
