/**
 * serve-http — uses: profile.http_directory/http_content/http_* , state.sshKey. Produces: state.http.
 * As Packer does: files under http_directory are served byte for byte; http_content entries are
 * served by URL path with their build fields ({{ .HTTPIP }} {{ .HTTPPort }} {{ .Name }}
 * {{ .SSHPublicKey }}) filled in per request — user variables were filled in when the profile loaded.
 * Cleanup: closes the server (and its port).
 */
import path from 'node:path';
import {startHttpServer} from '../../http/server.js';
import {buildFields, fillBuildFields, SLIRP_HOST_IP} from '../build-fields.js';
import type {BuildState} from '../state.js';
import type {Step} from '../step.js';

export {buildFields, SLIRP_HOST_IP} from '../build-fields.js';

/** What the server serves, for messages: "http/ (directory)", "http_content /tiny.cfg". */
export function servedDescription(profile: BuildState['profile']): string {
  const keys = Object.keys(profile.http_content);
  if (keys.length) return `http_content ${keys.join(', ')}`;
  return profile.http_directory ? `${profile.http_directory}/ (http_directory)` : '(nothing)';
}

export const serveHttp: Step<BuildState> = {
  id: 'serve-http',
  title: 'Serve HTTP files',
  async run(ctx) {
    const {profile, profileDir} = ctx.state;
    const root = profile.http_directory ? path.resolve(profileDir, profile.http_directory) : undefined;
    const entries = Object.entries(profile.http_content);
    const content = entries.length
      ? Object.fromEntries(entries.map(([url, text]) => [url, () => fillBuildFields(text, buildFields(ctx.state))]))
      : undefined;
    const server = await startHttpServer({
      root,
      content,
      bindAddress: profile.http_bind_address,
      portMin: profile.http_port_min,
      portMax: profile.http_port_max,
      log: (stream, line) => ctx.log('http', stream, line),
    });
    ctx.state.http = {server, guestIp: SLIRP_HOST_IP, port: server.port};
    ctx.emit({type: 'info', time: Date.now(), key: 'http', value: `http://${SLIRP_HOST_IP}:${server.port}/ (host ${profile.http_bind_address}:${server.port})`});
    ctx.log('vmbench', 'info', `serving ${root ?? servedDescription(profile)} on ${profile.http_bind_address}:${server.port} — the guest sees http://${SLIRP_HOST_IP}:${server.port}/`);
  },
  async cleanup(ctx) {
    await ctx.state.http?.server.close();
    ctx.state.http = undefined;
  },
};
