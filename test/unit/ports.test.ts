/**
 * Port choice for builds running side by side: many searches at once (in one process, and in
 * several processes) never hand out the same port; stale leases are taken over, live ones not.
 */
import {execFileSync, spawn} from 'node:child_process';
import {existsSync, mkdirSync, readdirSync, unlinkSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {afterEach, describe, expect, it} from 'vitest';
import {findFreePort, LEASE_MS, portLeaseDir, releasePorts} from '../../src/util/ports.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');

/** The first of 10 ports nobody else is likely to be using right now. */
function block(): number {
  return 20_000 + Math.floor(Math.random() * 2000) * 10;
}

/** A PID that belonged to a process that has exited. */
function deadPid(): number {
  const pid = Number(execFileSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).toString());
  expect(() => process.kill(pid, 0)).toThrow();
  return pid;
}

const written: string[] = [];
afterEach(() => {
  releasePorts();
  for (const f of written.splice(0)) if (existsSync(f)) unlinkSync(f);
});

function lease(port: number, pid: number, expires: number): void {
  mkdirSync(portLeaseDir(), {recursive: true});
  const f = path.join(portLeaseDir(), String(port));
  written.push(f);
  writeFileSync(f, `${pid} ${expires} t3st\n`);
}

describe('findFreePort', () => {
  it('hands out distinct ports to searches started at once, and says when the range is used up', async () => {
    const min = block();
    const ports = await Promise.all(Array.from({length: 6}, () => findFreePort('127.0.0.1', min, min + 5)));
    expect(new Set(ports).size).toBe(6);
    expect([...ports].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5].map((i) => min + i));
    await expect(findFreePort('127.0.0.1', min, min + 5)).rejects.toThrow(`no free port between ${min} and ${min + 5} on 127.0.0.1`);
    // Given back, a port is free for the next build.
    releasePorts([ports[0]!]);
    await expect(findFreePort('127.0.0.1', min, min + 5)).resolves.toBe(ports[0]);
  });

  it("keeps off a port another live process holds a lease on, until the lease's time is up", async () => {
    const port = block();
    lease(port, process.ppid, Date.now() + LEASE_MS);
    await expect(findFreePort('127.0.0.1', port, port)).rejects.toThrow(/no free port/);
    lease(port, process.ppid, Date.now() - 1);
    await expect(findFreePort('127.0.0.1', port, port)).resolves.toBe(port);
  });

  it('takes over the lease of a process that is gone, and skips a port something has bound', async () => {
    const port = block();
    lease(port, deadPid(), Date.now() + LEASE_MS);
    await expect(findFreePort('127.0.0.1', port, port)).resolves.toBe(port);
    releasePorts();
    const net = await import('node:net');
    const srv = net.createServer();
    await new Promise<void>((r) => srv.listen({host: '127.0.0.1', port: port + 1}, r));
    try {
      await expect(findFreePort('127.0.0.1', port + 1, port + 1)).rejects.toThrow(/no free port/);
      // …and leaves no lease behind on it.
      expect(readdirSync(portLeaseDir())).not.toContain(String(port + 1));
    } finally {
      srv.close();
    }
  });

  it('hands out distinct ports to several processes searching at once', {timeout: 30_000}, async () => {
    const dist = path.join(ROOT, 'dist', 'util', 'ports.js');
    if (!existsSync(dist)) throw new Error('dist/ is missing: run `npx tsc -p tsconfig.json`');
    const min = block();
    // Each child takes two ports (as start-vm takes SSH and VNC) and holds its leases until told.
    const script = `const {findFreePort} = await import(${JSON.stringify(dist)});
      const p = await Promise.all([findFreePort('127.0.0.1', ${min}, ${min + 7}), findFreePort('127.0.0.1', ${min}, ${min + 7})]);
      process.stdout.write(p.join(' ') + '\\n');
      process.stdin.resume(); process.stdin.on('end', () => process.exit(0));`;
    const children = Array.from({length: 4}, () => spawn(process.execPath, ['--input-type=module', '-e', script], {stdio: ['pipe', 'pipe', 'inherit']}));
    try {
      const got = await Promise.all(
        children.map(
          (c) =>
            new Promise<number[]>((resolve, reject) => {
              let out = '';
              c.stdout!.on('data', (d: Buffer) => {
                out += d.toString();
                if (out.includes('\n')) resolve(out.trim().split(' ').map(Number));
              });
              c.once('exit', (code) => reject(new Error(`child exited (${code}) before answering`)));
            }),
        ),
      );
      const all = got.flat();
      expect(all).toHaveLength(8);
      expect(new Set(all).size).toBe(8);
    } finally {
      await Promise.all(children.map((c) => new Promise((r) => (c.once('exit', r), c.stdin!.end()))));
    }
    // The children gave their leases back as they exited.
    expect(readdirSync(portLeaseDir()).filter((f) => Number(f) >= min && Number(f) <= min + 7)).toEqual([]);
  });
});
