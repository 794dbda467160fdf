/**
 * Picks a free TCP port in a range for a build's SSH forward, VNC display and HTTP server.
 *
 * Binding a port to see that it is free and closing it again is racy on its own: two builds
 * running side by side (`vmbench build a b --jobs 2`, or two terminals) can both find the same
 * port free before either QEMU binds it. So a port is first *leased*: a small file named after
 * the port in a per-user directory, created atomically (written to a temporary name, then
 * hard-linked to its final name, which fails when the name exists). Only the build holding the
 * lease probes and uses the port. A lease lasts LEASE_MS — long enough for QEMU or the HTTP
 * server to bind the port, after which the bind itself keeps others off — and is given back when
 * the process exits. A lease whose process is gone or whose time is up is stale: it is moved
 * aside (rename: one claimant wins) and checked again before the port is taken over.
 *
 * An address that is not this host's (EADDRNOTAVAIL) is an error naming the profile's field, not
 * a busy port; a used-up range says which range (and fields) it was.
 *
 * Left to the callers' retries (start-vm and the HTTP server retry on "address in use"):
 * programs other than vmbench, and other users' builds (the directory is per user).
 */
import {randomBytes} from 'node:crypto';
import {linkSync, mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync} from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/** How long a lease keeps other vmbench processes off a port it handed out. */
export const LEASE_MS = 120_000;

/** Where leases live: one file per port, `<pid> <expires ms> <token>`. */
export function portLeaseDir(): string {
  return path.join(os.tmpdir(), `vmbench-ports-${process.getuid?.() ?? 'user'}`);
}

/** Whether `port` can be bound on `host`: true, false (taken, or not ours to bind), or the error that no port would fix. */
function canBind(host: string, port: number): Promise<true | false | NodeJS.ErrnoException> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'EADDRINUSE' || err.code === 'EACCES' ? false : err));
    srv.listen({host, port, exclusive: true}, () => srv.close(() => resolve(true)));
  });
}

/** What a port search is for, in the profile's words: the address field and the range's fields. */
export interface PortFields {
  /** e.g. "vnc_bind_address" (omitted when the address is not the profile's to choose). */
  address?: string;
  /** e.g. ["vnc_port_min", "vnc_port_max"]. */
  range: readonly [string, string];
}

/** An address no port of which can be bound here (not this host's, or not an address at all); names the field. */
export class BindAddressError extends Error {
  constructor(
    readonly host: string,
    readonly code: string | undefined,
    field: string | undefined,
  ) {
    const what = code === 'EADDRNOTAVAIL' ? 'is not an address of this host' : code === 'ENOTFOUND' || code === 'EAI_AGAIN' ? 'is not a name this host can resolve' : `cannot be listened on (${code ?? 'error'})`;
    super(`${field ? `${field} ` : ''}${host} ${what}${code && !what.includes(code) ? ` (${code})` : ''}: use 127.0.0.1 (the default) or one of this host's own addresses`);
    this.name = 'BindAddressError';
  }
}

/** The error for an error `listen` gave on `host` that is not "address in use"; undefined for that one. */
export function bindError(err: NodeJS.ErrnoException, host: string, field?: string): BindAddressError | undefined {
  if (err.code === 'EADDRINUSE' || err.code === 'EACCES') return undefined;
  return new BindAddressError(host, err.code, field);
}

interface Lease {
  pid: number;
  expires: number;
  token: string;
}

function readLease(file: string): Lease | undefined {
  try {
    const [pid, expires, token] = readFileSync(file, 'utf8').trim().split(' ');
    const l = {pid: Number(pid), expires: Number(expires), token: token ?? ''};
    return Number.isInteger(l.pid) && l.pid > 0 && Number.isFinite(l.expires) ? l : undefined;
  } catch {
    return undefined;
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A lease nobody holds any more. A file that cannot be read as a lease is stale too (it was written whole, see claim). */
function stale(l: Lease | undefined, now: number): boolean {
  return !l || l.expires <= now || !processAlive(l.pid);
}

/** The ports this process holds leases on: token and end (given back at exit). */
const held = new Map<number, {token: string; expires: number}>();
let exitHook = false;

const code = (err: unknown): string | undefined => (err as NodeJS.ErrnoException).code;

/**
 * Take the lease on `port`, or return false when a live lease holds it. The lease is written
 * whole under a temporary name and hard-linked into place: the link fails when the port's file
 * exists, so two claimants never both succeed and nobody reads half a lease.
 */
function claim(dir: string, port: number): boolean {
  const file = path.join(dir, String(port));
  const token = randomBytes(6).toString('hex');
  const tmp = path.join(dir, `.${port}.${process.pid}.${token}`);
  const expires = Date.now() + LEASE_MS;
  writeFileSync(tmp, `${process.pid} ${expires} ${token}\n`, {mode: 0o600});
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        linkSync(tmp, file);
        held.set(port, {token, expires});
        return true;
      } catch (err) {
        if (code(err) !== 'EEXIST') throw err;
      }
      if (!stale(readLease(file), Date.now())) return false;
      // Stale: move it aside (only one claimant's rename succeeds) and look at what was moved —
      // another claimant may have replaced the stale lease with a live one in the meantime.
      const aside = `${tmp}.stale`;
      try {
        renameSync(file, aside);
      } catch (err) {
        if (code(err) === 'ENOENT') continue; // someone else moved it: try the link again
        throw err;
      }
      const moved = readLease(aside);
      if (!stale(moved, Date.now())) {
        // A live lease was taken by mistake: put it back (unless yet another claimant got in).
        try {
          linkSync(aside, file);
        } catch {
          // that claimant holds the port now
        }
        unlinkSync(aside);
        return false;
      }
      unlinkSync(aside);
    }
    return false;
  } finally {
    try {
      unlinkSync(tmp);
    } catch {
      // already gone
    }
  }
}

/** Give back leases this process holds (a port it no longer needs, or all of them at exit). */
export function releasePorts(ports: Iterable<number> = [...held.keys()]): void {
  const dir = portLeaseDir();
  for (const port of [...ports]) {
    const lease = held.get(port);
    if (!lease) continue;
    held.delete(port);
    const file = path.join(dir, String(port));
    if (readLease(file)?.token !== lease.token) continue; // it expired and someone else holds it now
    try {
      unlinkSync(file);
    } catch {
      // gone already
    }
  }
}

/**
 * A free port in [min, max], tried in random order, leased to this process for LEASE_MS so no
 * other vmbench build is handed the same port before the caller binds it.
 */
export async function findFreePort(host: string, min: number, max: number, exclude: ReadonlySet<number> = new Set(), fields?: PortFields): Promise<number> {
  const dir = portLeaseDir();
  mkdirSync(dir, {recursive: true, mode: 0o700});
  if (!exitHook) {
    exitHook = true;
    process.on('exit', () => releasePorts());
  }
  const count = max - min + 1;
  const start = Math.floor(Math.random() * count);
  for (let i = 0; i < count; i++) {
    const port = min + ((start + i) % count);
    if (exclude.has(port)) continue;
    const mine = held.get(port);
    if (mine && mine.expires > Date.now()) continue; // handed out by this process a moment ago
    if (mine) held.delete(port); // our lease ran out: the file says whether the port is free again
    if (!claim(dir, port)) continue;
    const bound = await canBind(host, port);
    if (bound === true) return port;
    releasePorts([port]); // something else (not vmbench, or another user) has it bound
    // An address that is not this host's fails for every port alike: say so, not "busy".
    if (bound !== false) throw new BindAddressError(host, bound.code, fields?.address);
  }
  const range = fields ? ` (${fields.range[0]}..${fields.range[1]})` : '';
  throw new Error(`no free port between ${min} and ${max} on ${host}${range}: all ${count} are taken — widen the range${fields ? ` with ${fields.range[0]}/${fields.range[1]}` : ''} or stop what holds them`);
}
