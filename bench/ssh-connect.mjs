#!/usr/bin/env node
// Benchmark: time from "the SSH port opens" to "session ready" in waitForSsh. Each run starts
// waitForSsh against a free port where nothing listens yet (as before QEMU's forward or the
// guest's sshd is up), starts an ssh2 Server on that port 1–2 s later (spread evenly over the
// runs, so the start falls at every phase of the retry backoff), and records listen → ready.
// The anchor, measured in the same run and interleaved: waitForSsh against a server that is
// already listening — one attempt, i.e. the bare TCP + SSH handshake + auth cost of our client.
// Prints both medians, the ratio, and the target. Not a test: figures only.
//
//   node bench/ssh-connect.mjs [--runs N]      (default 10, after 1 untimed warm-up)
//
// Target (issue "SSH communicator"): median listen → ready under 1 s. For scale: Packer's SSH
// communicator waits ~7 s between attempts after a failure (see README, build-vs-packer).
// Needs dist/ (npm run build).
import {existsSync} from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath, pathToFileURL} from 'node:url';
import ssh2 from 'ssh2';
import {runsOption} from './lib/runs.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
if (!existsSync(path.join(ROOT, 'dist/ssh/index.js'))) {
  console.error('ssh-connect: dist/ is missing — run `npm run build` first');
  process.exit(2);
}
const {waitForSsh} = await import(pathToFileURL(path.join(ROOT, 'dist/ssh/index.js')).href);

const TARGET_MS = 1000;
const PACKER_RETRY_S = 7;
const DELAY_MIN_MS = 1000;
const DELAY_SPAN_MS = 1000;
const PASSWORD = 'bench-password';

const runs = runsOption('ssh-connect', 10);

/** An ed25519 host key; ssh2's generator makes a malformed one 1 time in 256, so check it. */
function hostKey() {
  for (;;) {
    const pair = ssh2.utils.generateKeyPairSync('ed25519');
    if (!(ssh2.utils.parseKey(pair.private) instanceof Error) && !(ssh2.utils.parseKey(pair.public) instanceof Error)) return pair.private;
  }
}
const HOST_KEY = hostKey();

/** A password-only ssh2 Server, like test/fakes/fake-ssh-server.ts (TCP_NODELAY on, as there). */
function sshServer() {
  const sockets = new Set();
  const ssh = new ssh2.Server({hostKeys: [HOST_KEY]}, (conn) => {
    conn.on('error', () => {});
    conn.on('authentication', (ctx) => (ctx.method === 'password' && ctx.password === PASSWORD ? ctx.accept() : ctx.reject(['password'])));
  });
  const tcp = net.createServer((sock) => {
    sock.setNoDelay(true);
    sock.on('error', () => {});
    sockets.add(sock);
    sock.once('close', () => sockets.delete(sock));
    ssh.injectSocket(sock);
  });
  return {
    /** Resolves with performance.now() at the moment the port accepts connections. */
    listen: (port) => new Promise((resolve, reject) => {
      tcp.once('error', reject);
      tcp.listen(port, '127.0.0.1', () => resolve(performance.now()));
    }),
    port: () => tcp.address().port,
    close: () => new Promise((resolve) => {
      for (const s of sockets) s.destroy();
      tcp.close(() => resolve());
    }),
  };
}

async function freePort() {
  const srv = net.createServer();
  await new Promise((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const {port} = srv.address();
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

const target = (port) => ({host: '127.0.0.1', port, username: 'root', password: PASSWORD});

/** Anchor: one connect to a server that already listens. */
async function anchorOnce() {
  const server = sshServer();
  await server.listen(0);
  let attempts = 1;
  const t0 = performance.now();
  const session = await waitForSsh(target(server.port()), {timeoutMs: 10_000, onAttempt: (n) => (attempts = n + 1)});
  const ms = performance.now() - t0;
  session.close();
  await session.closed;
  await server.close();
  return {ms, attempts};
}

/** Measured: the port opens `delayMs` into the wait. */
async function lateOnce(delayMs) {
  const port = await freePort();
  const server = sshServer();
  let attempts = 1;
  const waiting = waitForSsh(target(port), {timeoutMs: 30_000, onAttempt: (n) => (attempts = n + 1)});
  const listenedAt = new Promise((resolve, reject) => setTimeout(() => server.listen(port).then(resolve, reject), delayMs));
  const session = await waiting;
  const readyAt = performance.now();
  const ms = readyAt - (await listenedAt);
  session.close();
  await session.closed;
  await server.close();
  return {ms, attempts};
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
};
const fmt = (x) => `${x.toFixed(0)} ms`.padStart(8);

try {
  await anchorOnce(); // warm-up: JIT, crypto, first module loads
  await lateOnce(DELAY_MIN_MS);
  const anchor = [];
  const late = [];
  for (let i = 0; i < runs; i++) {
    anchor.push(await anchorOnce());
    const delay = DELAY_MIN_MS + (DELAY_SPAN_MS * (i + 0.5)) / runs;
    late.push({delay, ...(await lateOnce(delay))});
  }
  const a = anchor.map((r) => r.ms);
  const l = late.map((r) => r.ms);
  console.log(`ssh-connect: ${runs} run(s) each, interleaved (after 1 warm-up); node ${process.version}, ${os.cpus().length} core(s), load ${os.loadavg()[0].toFixed(2)}`);
  console.log(`${'case'.padEnd(46)} ${'median'.padStart(8)} ${'p90'.padStart(8)} ${'min'.padStart(8)} ${'max'.padStart(8)}`);
  console.log(`${'anchor: connect to a listening server'.padEnd(46)} ${fmt(median(a))} ${fmt(pct(a, 90))} ${fmt(Math.min(...a))} ${fmt(Math.max(...a))}`);
  console.log(`${'port opens 1–2 s into the wait → ready'.padEnd(46)} ${fmt(median(l))} ${fmt(pct(l, 90))} ${fmt(Math.min(...l))} ${fmt(Math.max(...l))}`);
  console.log(`per run (port opened at → listen-to-ready, attempts): ${late.map((r) => `${(r.delay / 1000).toFixed(2)}s→${r.ms.toFixed(0)}ms/${r.attempts}`).join('  ')}`);
  const med = median(l);
  console.log(`ratio (median, measured / anchor): ${(med / median(a)).toFixed(1)}×; waiting overhead above a bare connect: ${(med - median(a)).toFixed(0)} ms`);
  console.log(`target: median listen → ready under ${TARGET_MS} ms — ${med < TARGET_MS ? 'met' : 'NOT met'} (p90 ${pct(l, 90).toFixed(0)} ms)`);
  console.log(`for scale: Packer waits ~${PACKER_RETRY_S} s between SSH attempts after a failure, i.e. ~${(PACKER_RETRY_S / 2).toFixed(1)} s on average from "port open" to its next try`);
} catch (err) {
  console.error(`ssh-connect: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
}
