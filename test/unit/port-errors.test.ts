/** Listen errors that are not "port busy": an address not of this host, and a used-up range, in the profile's words. */
import net from 'node:net';
import {afterEach, describe, expect, it} from 'vitest';
import {startHttpServer} from '../../src/http/server.js';
import {BindAddressError, findFreePort, releasePorts} from '../../src/util/ports.js';

afterEach(() => releasePorts());

/** 192.0.2.0/24 is TEST-NET-1: never a local address. */
const ELSEWHERE = '192.0.2.1';

describe('port search errors', () => {
  it('an address this host does not have is a one-line error naming the field, not a busy range', async () => {
    const err = await findFreePort(ELSEWHERE, 30_000, 30_099, undefined, {address: 'vnc_bind_address', range: ['vnc_port_min', 'vnc_port_max']}).catch((e: Error) => e);
    expect(err).toBeInstanceOf(BindAddressError);
    expect((err as Error).message).toBe(`vnc_bind_address ${ELSEWHERE} is not an address of this host (EADDRNOTAVAIL): use 127.0.0.1 (the default) or one of this host's own addresses`);
    expect((err as Error).message).not.toContain('\n');
  });

  it('the HTTP server says which field holds such an address', async () => {
    const err = await startHttpServer({bindAddress: ELSEWHERE, portMin: 30_100, portMax: 30_199, log: () => {}}).catch((e: Error) => e);
    expect((err as Error).message).toMatch(/^http_bind_address 192\.0\.2\.1 is not an address of this host/);
  });

  it('a range with every port taken says which range and fields', async () => {
    const holder = net.createServer();
    await new Promise<void>((r) => holder.listen({host: '127.0.0.1', port: 0}, r));
    const port = (holder.address() as net.AddressInfo).port;
    try {
      const err = await findFreePort('127.0.0.1', port, port, undefined, {range: ['ssh_host_port_min', 'ssh_host_port_max']}).catch((e: Error) => e);
      expect((err as Error).message).toBe(`no free port between ${port} and ${port} on 127.0.0.1 (ssh_host_port_min..ssh_host_port_max): all 1 are taken — widen the range with ssh_host_port_min/ssh_host_port_max or stop what holds them`);
      const http = await startHttpServer({bindAddress: '127.0.0.1', portMin: port, portMax: port, log: () => {}}).catch((e: Error) => e);
      expect((http as Error).message).toContain('(http_port_min..http_port_max)');
    } finally {
      holder.close();
    }
  });
});
