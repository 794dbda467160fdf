/**
 * The HTTP server that hands the guest its preseed / user-data / kickstart, like Packer's
 * (packer-plugin-sdk StepHTTPServer): files under `root` (http_directory) are served byte for
 * byte — cloud-init's `{{ }}` Jinja and anything else that looks like a template arrives as
 * written — and `content` (http_content) by URL path, its body made per request (so the
 * template's {{ .HTTPPort }} is known). Bound to loopback unless http_bind_address says otherwise
 * (Packer's default is 0.0.0.0; vmbench's is 127.0.0.1): QEMU's user networking shows it to the
 * guest as 10.0.2.2 either way. An address that is not this host's is an error naming the field. Every request is logged, because a preseed 404 is the most common
 * silent failure.
 */
import {createServer, type IncomingMessage, type Server, type ServerResponse} from 'node:http';
import {readFile, realpath, stat, readdir} from 'node:fs/promises';
import path from 'node:path';
import type {LogFn} from '../engine/events.js';
import {bindError, findFreePort, type PortFields} from '../util/ports.js';
import {closest} from '../util/suggest.js';

export interface HttpRequestRecord {
  time: number;
  method: string;
  path: string;
  status: number;
  bytes: number;
}

export interface HttpServerOptions {
  /** Directory served byte for byte (http_directory). */
  root?: string;
  /**
   * Files by URL path (http_content, keys like "/preseed.cfg"): each request gets the body the
   * function makes then; a function that throws answers 500. Neither root nor content: every
   * request 404s (still logged).
   */
  content?: Record<string, () => string | Buffer>;
  bindAddress: string;
  portMin: number;
  portMax: number;
  log: LogFn;
  /** The profile's names for the address and range, for errors (default http_bind_address, http_port_min..http_port_max). */
  fields?: PortFields;
}

export interface RunningHttpServer {
  port: number;
  readonly requests: readonly HttpRequestRecord[];
  close(): Promise<void>;
}

/**
 * The http_content key a URL path names: Go's path.Clean of the decoded path, as Packer's
 * MapServer looks it up ("/a/../b.cfg" → "/b.cfg"); undefined for an undecodable path. Pure.
 */
export function contentKey(urlPath: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath.split('?')[0] ?? '');
  } catch {
    return undefined;
  }
  const clean = path.posix.normalize(`/${decoded}`).replace(/\/+$/, '');
  return clean || '/';
}

/** Map a URL path into root, or undefined if it escapes it. Pure, for tests. */
export function resolveUnder(root: string, urlPath: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath.split('?')[0] ?? '');
  } catch {
    return undefined;
  }
  if (decoded.includes('\0')) return undefined;
  const segments = decoded.split(/[\\/]+/).filter(Boolean);
  if (segments.some((s) => s === '..')) return undefined;
  const full = path.resolve(root, ...segments);
  const rel = path.relative(root, full);
  if (rel.startsWith('..') || path.isAbsolute(rel)) return undefined;
  return full;
}

export async function startHttpServer(opts: HttpServerOptions): Promise<RunningHttpServer> {
  const requests: HttpRequestRecord[] = [];
  const root = opts.root ? await realpath(opts.root) : undefined;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const method = req.method ?? 'GET';
    const urlPath = req.url ?? '/';
    const answer = (status: number, body: Buffer | string, note = ''): void => {
      const buf = typeof body === 'string' ? Buffer.from(body) : body;
      res.writeHead(status, {'content-type': status === 200 ? 'application/octet-stream' : 'text/plain', 'content-length': buf.length});
      res.end(method === 'HEAD' ? undefined : buf);
      requests.push({time: Date.now(), method, path: urlPath, status, bytes: buf.length});
      const from = req.socket.remoteAddress ?? '?';
      opts.log(status >= 400 ? 'warn' : 'info', `${method} ${urlPath} → ${status} (${buf.length} B) from ${from}${note ? ` — ${note}` : ''}`);
    };
    if (method !== 'GET' && method !== 'HEAD') return answer(405, 'method not allowed\n');
    if (opts.content) {
      const key = contentKey(urlPath);
      const make = key !== undefined && Object.hasOwn(opts.content, key) ? opts.content[key] : undefined;
      if (make) {
        try {
          return answer(200, make());
        } catch (err) {
          return answer(500, 'content error\n', `http_content ${key}: ${(err as Error).message}`);
        }
      }
      if (!root) {
        const have = Object.keys(opts.content).sort();
        const near = key ? closest(key, have) : undefined;
        return answer(404, 'not found\n', `http_content has ${have.length ? have.join(', ') : 'nothing'}${near ? ` (did you mean ${near}?)` : ''}`);
      }
    }
    if (!root) return answer(404, 'not found\n', 'the profile has no http_directory or http_content');
    const file = resolveUnder(root, urlPath);
    if (!file) return answer(403, 'forbidden\n', 'path escapes http_directory, refused');
    try {
      // Symlinks must not lead out of the served directory either.
      const real = await realpath(file);
      if (real !== root && !real.startsWith(root + path.sep)) return answer(403, 'forbidden\n', 'symlink escapes http_directory, refused');
      const st = await stat(real);
      if (!st.isFile()) return answer(404, 'not found\n', 'not a file');
      return answer(200, await readFile(real));
    } catch {
      let have = '';
      try {
        have = (await readdir(root)).slice(0, 8).join(', ');
      } catch {
        // ignore
      }
      return answer(404, 'not found\n', `no such file in ${root}${have ? ` (it has: ${have})` : ''}`);
    }
  };

  const fields = opts.fields ?? {address: 'http_bind_address', range: ['http_port_min', 'http_port_max'] as const};
  for (let attempt = 0; ; attempt++) {
    const port = await findFreePort(opts.bindAddress, opts.portMin, opts.portMax, undefined, fields);
    const server: Server = createServer((req, res) => void handle(req, res));
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({host: opts.bindAddress, port, exclusive: true}, resolve);
      });
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      if (e.code === 'EADDRINUSE' && attempt < 5) continue;
      throw bindError(e, opts.bindAddress, fields.address) ?? err;
    }
    server.keepAliveTimeout = 1000;
    return {
      port,
      requests,
      close: () =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    };
  }
}
