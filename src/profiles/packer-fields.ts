/**
 * What vmbench does with each option of Packer's qemu builder (Packer 1.6's builder/qemu and
 * the packer-plugin-qemu that followed it, with the SDK's ISO, HTTP, floppy, CD, boot, shutdown
 * and communicator options), shared by the JSON and HCL2 front ends:
 *
 * - supported: the name is a vmbench profile field (PROFILE_FIELDS), so it is passed on as it
 *   is. Never listed here: a field becomes supported the moment schema.ts gains it, and the
 *   rule below is then only its fallback for older vmbench versions of the table.
 * - renamed: Packer's name for a vmbench field.
 * - same: vmbench already behaves as the value asks (dropped, nothing to say).
 * - unused: accepted, not used, the build still runs as intended → a warning with file:line.
 * - unsupported: the build could not run as the template means → an error with file:line.
 * - translated: the front end rewrites it together with other fields (iso_checksum_type).
 * Any other name is an unknown field, with a did-you-mean.
 */
import {closest} from '../util/suggest.js';
import {PROFILE_FIELDS} from './schema.js';

export type PackerFieldRule =
  | {kind: 'renamed'; to: string; why: string}
  | {kind: 'same'; why: string}
  | {kind: 'unused'; why: string}
  | {kind: 'unsupported'; why: string}
  | {kind: 'translated'; why: string};

export type Disposition = ({kind: 'supported'; name: string}) | PackerFieldRule | {kind: 'unknown'; suggestion?: string};

/** A rule, or a rule that depends on the value (`communicator: "ssh"` is fine, `"winrm"` is not). */
type Entry = PackerFieldRule | ((value: unknown) => PackerFieldRule);

const unused = (why: string): PackerFieldRule => ({kind: 'unused', why});
const unsupported = (why: string): PackerFieldRule => ({kind: 'unsupported', why});
const same = (why: string): PackerFieldRule => ({kind: 'same', why});
const renamed = (to: string, why: string): PackerFieldRule => ({kind: 'renamed', to, why});
/** Fine when the value is Packer's default (what vmbench does anyway), else `otherwise`. */
const onlyDefault = (def: unknown, why: string, otherwise: PackerFieldRule): Entry => (v) => (v === def || v === undefined ? same(why) : otherwise);

const NO_WINDOW = 'vmbench never opens a QEMU window: the screen is shown in the terminal (QEMU runs with -display none)';
const OWN_KEY = 'vmbench makes its own temporary ed25519 key for each build';
const LOCAL_VM = 'the VM runs on this host and vmbench reaches it through a forwarded port on 127.0.0.1';
const PACKER_SETS = 'Packer sets this itself from its command line; in a template it has no effect';

/** Packer's qemu-builder options that are not vmbench field names, with what happens to them. */
export const PACKER_QEMU_FIELDS: Readonly<Record<string, Entry>> = {
  // ISO
  iso_checksum_type: {kind: 'translated', why: 'Packer 1.5 style: joined with iso_checksum into "type:value" (what `packer fix` does)'},
  iso_checksum_url: {kind: 'translated', why: 'Packer 1.5 style: becomes iso_checksum "file:URL" (what `packer fix` does)'},
  iso_skip_cache: (v) => (v === true ? unused('vmbench always caches the ISO (a local file is used where it is)') : same('the ISO is cached')),
  // Disk
  // Machine
  vga: unsupported('vmbench does not set -vga: put ["-vga", "<type>"] in qemuargs'),
  vtpm: onlyDefault(false, 'no TPM', unsupported('an emulated TPM (swtpm) is not supported')),
  use_tpm1: onlyDefault(false, 'no TPM', unsupported('an emulated TPM (swtpm) is not supported')),
  tpm_device_type: unsupported('an emulated TPM (swtpm) is not supported'),
  net_bridge: unsupported('vmbench uses QEMU user-mode networking (SLIRP); a host bridge is not supported'),
  display: unused(NO_WINDOW),
  use_default_display: unused(NO_WINDOW),
  qmp_enable: same('vmbench always talks to QEMU over QMP, on its own socket'),
  qmp_socket_path: unused('vmbench’s QMP socket is its own (in the build’s work directory)'),
  run_once: unused('vmbench boots the CD once (-boot once=d), like Packer'),
  // VNC and boot
  // vnc_bind_address, vnc_use_password and http_bind_address are vmbench fields (passed on as
  // written) with other defaults than Packer's: VNC with a random password per build (Packer:
  // none) and HTTP on 127.0.0.1 (Packer: 0.0.0.0). A template saying otherwise gets a warning
  // at its line (network-exposure.ts).
  disable_vnc: (v) => (v === true ? unused('vmbench always runs VNC (on vnc_bind_address, 127.0.0.1 unless set, with a per-build password): it watches the screen with it') : same('VNC is on')),
  // HTTP
  http_interface: unused('the guest reaches vmbench’s HTTP server at 10.0.2.2 (QEMU user networking)'),
  http_network_protocol: onlyDefault('tcp', 'TCP', unused('vmbench’s HTTP server listens on http_bind_address')),
  // Communicator
  host_port_min: renamed('ssh_host_port_min', 'Packer 1.7’s name of ssh_host_port_min'),
  host_port_max: renamed('ssh_host_port_max', 'Packer 1.7’s name of ssh_host_port_max'),
  skip_nat_mapping: onlyDefault(false, 'SSH is forwarded from the host', unsupported(`skip_nat_mapping: ${LOCAL_VM}`)),
  ssh_key_path: renamed('ssh_private_key_file', 'Packer’s old name of ssh_private_key_file (what `packer fix` renames)'),
  ssh_disable_agent: renamed('ssh_disable_agent_forwarding', 'Packer’s old name of ssh_disable_agent_forwarding'),
  ssh_disable_agent_forwarding: onlyDefault(true, 'vmbench never forwards the SSH agent', unused('vmbench never forwards the SSH agent to the guest')),
  ssh_read_write_timeout: unused('vmbench limits commands with the provisioner’s timeout instead'),
  ssh_ciphers: unused('vmbench’s SSH client (ssh2) negotiates from its own list of ciphers'),
  ssh_key_exchange_algorithms: unused('vmbench’s SSH client (ssh2) negotiates from its own list of key exchanges'),
  ssh_certificate_file: unsupported('SSH certificate authentication is not supported'),
  ssh_keypair_name: unused('a cloud key pair name: not used for a local VM'),
  ssh_interface: unused('a cloud builder option: not used for a local VM'),
  ssh_ip_version: unused('a cloud builder option: not used for a local VM'),
  ssh_public_key: unused(OWN_KEY),
  ssh_private_key: unused(OWN_KEY),
  temporary_key_pair_type: unused(OWN_KEY),
  temporary_key_pair_bits: unused(OWN_KEY),
  temporary_key_pair_name: unused(OWN_KEY),
  ssh_local_tunnels: unsupported('SSH tunnels are not supported'),
  ssh_remote_tunnels: unsupported('SSH tunnels are not supported'),
  ...Object.fromEntries(
    ['host', 'port', 'agent_auth', 'username', 'password', 'interactive', 'private_key_file', 'certificate_file'].map((k) => [`ssh_bastion_${k}`, unsupported(`a bastion host is not supported: ${LOCAL_VM}`)]),
  ),
  ...Object.fromEntries(['host', 'port', 'username', 'password'].map((k) => [`ssh_proxy_${k}`, unsupported(`a SOCKS proxy is not supported: ${LOCAL_VM}`)])),
  ...Object.fromEntries(
    ['username', 'password', 'host', 'no_proxy', 'port', 'timeout', 'use_ssl', 'insecure', 'use_ntlm'].map((k) => [`winrm_${k}`, unsupported('WinRM is not supported: vmbench connects over SSH')]),
  ),
  // Set by Packer itself
  ...Object.fromEntries(
    ['build_name', 'builder_type', 'core_version', 'debug', 'force', 'on_error', 'user_variables', 'sensitive_variables'].map((k) => [`packer_${k}`, unused(PACKER_SETS)]),
  ),
};

/** Template-level names that are not builder options (they would be a mistake inside a builder). */
const NOT_IN_A_BUILDER = new Set(['variables', 'provisioners', 'post_processors']);

/**
 * What vmbench does with the Packer qemu-builder option `name` set to `value`. Supported means
 * a vmbench field of that name exists; `unknown` carries the nearest known name, if any.
 */
export function packerFieldDisposition(name: string, value?: unknown): Disposition {
  if (Object.hasOwn(PROFILE_FIELDS, name) && !NOT_IN_A_BUILDER.has(name)) return {kind: 'supported', name};
  const entry = Object.hasOwn(PACKER_QEMU_FIELDS, name) ? PACKER_QEMU_FIELDS[name]! : undefined;
  if (entry) {
    const rule = typeof entry === 'function' ? entry(value) : entry;
    // A renamed field whose new name vmbench lacks is as unsupported as its target.
    if (rule.kind === 'renamed' && !Object.hasOwn(PROFILE_FIELDS, rule.to)) {
      const target = PACKER_QEMU_FIELDS[rule.to];
      if (target) return typeof target === 'function' ? target(value) : target;
    }
    return rule;
  }
  return {kind: 'unknown', suggestion: closest(name, knownPackerFields())};
}

/** Every name a qemu builder may hold: vmbench's fields and Packer's options. */
export function knownPackerFields(): string[] {
  return [...Object.keys(PROFILE_FIELDS).filter((k) => !NOT_IN_A_BUILDER.has(k)), ...Object.keys(PACKER_QEMU_FIELDS)];
}
