/**
 * Who may reach a build's VM from outside vmbench: its VNC server (the screen and keyboard of
 * an installer shell or a root console), the HTTP server (the answer file, often with a
 * password hash) and the SSH forward. vmbench's defaults let nobody else in: VNC with a random
 * password per build, everything bound to loopback (the SSH forward always is). A profile or
 * Packer template may ask otherwise — Packer's own default http_bind_address is 0.0.0.0, and
 * templates often say vnc_bind_address 0.0.0.0 or vnc_use_password false — and then gets a
 * warning at the field's file:line saying who can now connect. Pure.
 */
import net from 'node:net';
import type {PathKey} from './document.js';
import type {Profile} from './schema.js';

export interface ExposureCheckContext {
  /** The document's fields as written (to tell "not given" from a default). */
  raw: Record<string, unknown>;
  warn(path: PathKey[], message: string): void;
}

/** 127.0.0.0/8, ::1 (and ::ffff:127.x), or the name localhost. */
export function isLoopback(address: string): boolean {
  const a = address.trim().toLowerCase().replace(/^\[|\]$/g, '');
  if (a === 'localhost') return true;
  if (net.isIPv4(a)) return a.startsWith('127.');
  if (net.isIPv6(a)) return a === '::1' || /^::ffff:127\./.test(a);
  return false;
}

const everyone = (address: string): string =>
  address === '0.0.0.0' || address === '::' || address === '' ? 'every network this host is on' : `the network of ${address}`;

export function checkExposure(profile: Pick<Profile, 'vnc_use_password' | 'vnc_bind_address' | 'http_bind_address'>, ctx: ExposureCheckContext): void {
  if (ctx.raw.vnc_use_password !== undefined && !profile.vnc_use_password) {
    ctx.warn(['vnc_use_password'], 'is false: the VM’s VNC server takes no password, so any local user (and anyone who can reach vnc_bind_address) can watch the VM’s screen and type into it');
  }
  const vnc = profile.vnc_bind_address;
  if (!isLoopback(vnc)) {
    ctx.warn(['vnc_bind_address'], `${vnc}: the VM’s VNC server is open to ${everyone(vnc)}${profile.vnc_use_password ? ', behind the build’s VNC password' : ' without a password: anyone there can watch and type into the VM'}`);
  }
  const http = profile.http_bind_address;
  if (!isLoopback(http)) {
    ctx.warn(['http_bind_address'], `${http}: the files served to the guest (its answer file) are open to ${everyone(http)}; the guest needs only 127.0.0.1 (it reaches the host as 10.0.2.2)`);
  }
}
