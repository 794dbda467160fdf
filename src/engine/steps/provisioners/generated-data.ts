/**
 * Packer's generated data for a build (packer-plugin-sdk PopulateProvisionHookData): the values a
 * shell-local command and a post-processor's templates read as `{{ .Name }}`, and the
 * PACKER_HTTP_* variables shell-local passes on. Also the run's UUID (Packer's PACKER_RUN_UUID).
 */
import {randomUUID} from 'node:crypto';
import type {GENERATED_FIELDS} from '../../../profiles/provisioner-schema.js';
import type {BuildState} from '../../state.js';

/** Packer's placeholders when a builder has no HTTP server (commonsteps). */
const NO_HTTP = {ip: 'ERR_HTTP_IP_NOT_IMPLEMENTED_BY_BUILDER', port: 'ERR_HTTP_PORT_NOT_IMPLEMENTED_BY_BUILDER', addr: 'ERR_HTTP_ADDR_NOT_IMPLEMENTED_BY_BUILDER'};

/** One UUID per vmbench process, as Packer has one per `packer build` (all its builds share it). */
const PROCESS_RUN_UUID = randomUUID();

/** This run's UUID: PACKER_RUN_UUID from the build's environment when set (a wrapper's), else the process's own. */
export function runUuid(env: Record<string, string | undefined>): string {
  return env.PACKER_RUN_UUID || PROCESS_RUN_UUID;
}

export type GeneratedData = Record<(typeof GENERATED_FIELDS)[number], string>;

/** The generated data as the build stands now (the HTTP address stays known after the server stopped). */
export function generatedData(state: BuildState): GeneratedData {
  const {profile, http} = state;
  const ip = http?.guestIp ?? NO_HTTP.ip;
  const port = http ? String(http.port) : NO_HTTP.port;
  return {
    ID: 'ERR_ID_NOT_IMPLEMENTED_BY_BUILDER',
    Host: '127.0.0.1',
    Port: state.sshHostPort === undefined ? '' : String(state.sshHostPort),
    User: profile.ssh_username,
    Password: profile.ssh_password ?? '',
    ConnType: 'ssh',
    PackerRunUUID: runUuid(state.options.env),
    PackerHTTPIP: ip,
    PackerHTTPPort: port,
    PackerHTTPAddr: http ? `${ip}:${port}` : NO_HTTP.addr,
    SSHPublicKey: state.sshKey?.publicKey ?? '',
    SSHPrivateKey: state.sshKey?.privateKey ?? '',
    SSHPrivateKeyFile: profile.ssh_private_key_file ?? '',
    SSHAgentAuth: String(profile.ssh_agent_auth),
    WinRMPassword: '',
  };
}

/** The PACKER_HTTP_* variables shell-local sets, only those the builder really has. */
export function httpEnv(data: GeneratedData): Record<string, string> {
  const env: Record<string, string> = {};
  if (data.PackerHTTPAddr !== NO_HTTP.addr) env.PACKER_HTTP_ADDR = data.PackerHTTPAddr;
  if (data.PackerHTTPIP !== NO_HTTP.ip) env.PACKER_HTTP_IP = data.PackerHTTPIP;
  if (data.PackerHTTPPort !== NO_HTTP.port) env.PACKER_HTTP_PORT = data.PackerHTTPPort;
  return env;
}
