/**
 * Picks a free TCP port in a range by binding it. This is racy by nature (another program
 * may take it before QEMU binds), so callers retry when QEMU reports the address in use.
 */
import net from 'node:net';

function canBind(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen({host, port, exclusive: true}, () => srv.close(() => resolve(true)));
  });
}

/** A free port in [min, max], tried in random order so parallel builds rarely collide. */
export async function findFreePort(host: string, min: number, max: number, exclude: ReadonlySet<number> = new Set()): Promise<number> {
  const count = max - min + 1;
  const start = Math.floor(Math.random() * count);
  for (let i = 0; i < count; i++) {
    const port = min + ((start + i) % count);
    if (exclude.has(port)) continue;
    if (await canBind(host, port)) return port;
  }
  throw new Error(`no free port between ${min} and ${max} on ${host}`);
}
