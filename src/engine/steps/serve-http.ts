/**
 * serve-http — uses: profile.http_directory/http_* , state.sshKey. Produces: state.http.
 * Files are rendered with {{ .HTTPIP }} {{ .HTTPPort }} {{ .Name }} {{ .SSHPublicKey }}.
 * Cleanup: closes the server (and its port).
 */
import path from 'node:path';
import {startHttpServer} from '../../http/server.js';
import {renderTemplate} from '../../profiles/template.js';
import type {BuildState} from '../state.js';
import type {Step} from '../step.js';

/** SLIRP's fixed address for the host, as seen from the guest. */
export const SLIRP_HOST_IP = '10.0.2.2';

/** Template fields for boot commands and served files. */
export function buildFields(state: BuildState): Record<string, string> {
  return {
    HTTPIP: SLIRP_HOST_IP,
    HTTPPort: String(state.http?.port ?? ''),
    // Packer's .Name is the VM name; without the image extension it makes a usable hostname.
    Name: state.profile.vm_name.replace(/\.(qcow2|raw|img)$/, ''),
    SSHPublicKey: state.sshKey?.publicKey.trim() ?? '',
  };
}

export const serveHttp: Step<BuildState> = {
  id: 'serve-http',
  title: 'Serve HTTP files',
  async run(ctx) {
    const {profile, profileDir} = ctx.state;
    const root = profile.http_directory ? path.resolve(profileDir, profile.http_directory) : undefined;
    const server = await startHttpServer({
      root,
      bindAddress: profile.http_bind_address,
      portMin: profile.http_port_min,
      portMax: profile.http_port_max,
      render: (text) => renderTemplate(text, {fields: buildFields(ctx.state), user: profile.variables, env: ctx.state.options.env}),
      log: (stream, line) => ctx.log('http', stream, line),
    });
    ctx.state.http = {server, guestIp: SLIRP_HOST_IP, port: server.port};
    ctx.emit({type: 'info', time: Date.now(), key: 'http', value: `http://${SLIRP_HOST_IP}:${server.port}/ (host ${profile.http_bind_address}:${server.port})`});
    ctx.log('vmbench', 'info', `serving ${root ?? '(nothing)'} on ${profile.http_bind_address}:${server.port} — the guest sees http://${SLIRP_HOST_IP}:${server.port}/`);
  },
  async cleanup(ctx) {
    await ctx.state.http?.server.close();
    ctx.state.http = undefined;
  },
};
