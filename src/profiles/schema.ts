/**
 * The profile schema: Packer's qemu-builder option names (snake_case, so Packer's docs apply
 * as they are), one table of field specs that the loader validates against.
 */
import {DEFAULT_PATTERN} from '../sections/parser.js';
import type {Provisioner} from './provisioner-schema.js';
import type {PostProcessor} from './post-processor-schema.js';
import type {CloudInitOptions} from './cloud-init-schema.js';

export type {AnsibleProvisioner, FileProvisioner, Provisioner, ShellProvisioner} from './provisioner-schema.js';
export type {PostProcessor} from './post-processor-schema.js';



export interface Profile {
  name: string;
  description: string;
  distro: string;
  install_method: string;
  variables: Record<string, string>;

  iso_urls: string[];
  iso_checksum: string;
  /** vmbench extension: a script (relative to the profile) that builds the ISO and prints its path. */
  iso_build?: string;

  output_directory: string;
  vm_name: string;
  format: 'qcow2' | 'raw';
  /** MiB, as Packer's disk_size. */
  disk_size: number;
  disk_interface: 'virtio' | 'ide' | 'sata' | 'scsi' | 'virtio-scsi';
  net_device: string;
  memory: number;
  cpus: number;
  accelerator: 'auto' | 'kvm' | 'tcg';
  machine_type: string;
  qemu_binary: string;
  qemuargs: string[][];
  disk_compression: boolean;

  http_directory?: string;
  http_bind_address: string;
  http_port_min: number;
  http_port_max: number;

  vnc_bind_address: string;
  vnc_port_min: number;
  vnc_port_max: number;

  /** Milliseconds. */
  boot_wait: number;
  boot_command: string[];
  /** `[command, description]` pairs typed in order; each is a pause point in debug mode. */
  boot_steps: {command: string; description: string}[];
  /** Milliseconds between key events (Packer: 100 ms); default depends on boot_keys_via. */
  boot_key_interval?: number;
  /** How keys reach the VM: QMP input-send-event (default, fast) or VNC key events (see bench/TYPING.md on losses). */
  boot_keys_via: 'qmp' | 'vnc';

  ssh_username: string;
  ssh_password?: string;
  ssh_private_key_file?: string;
  /** Packer's: also offer the keys of the ssh-agent at $SSH_AUTH_SOCK. */
  ssh_agent_auth: boolean;
  ssh_port: number;
  ssh_host_port_min: number;
  ssh_host_port_max: number;
  /** Milliseconds. */
  ssh_timeout: number;
  ssh_handshake_attempts: number;
  /** vmbench: extra regex (source) that marks the screen as failed while waiting for SSH. */
  ssh_watch_error_patterns?: string;
  /** vmbench: also match the built-in installer/boot error patterns (engine/vm-watch.ts). */
  ssh_watch_default_patterns: boolean;
  /** vmbench: milliseconds of an unchanging screen that fail the wait for SSH; 0 = off. */
  ssh_watch_screen_stall: number;
  /** vmbench: milliseconds for the guest's first HTTP request; 0 = off, unset = derived. */
  ssh_watch_http_timeout?: number;

  /** Packer's: remove this build's temporary public key from the guest's authorized_keys before shutdown. */
  ssh_clear_authorized_keys: boolean;

  shutdown_command: string;
  /** Milliseconds. */
  shutdown_timeout: number;

  /** Section markers in provisioning output (regex source; group `name` or 1 is the name). */
  section_begin: string;
  section_end: string;

  provisioners: Provisioner[];

  /** vmbench: a NoCloud seed written by vmbench, the wait for cloud-init and its clean-up (issue 11). */
  cloud_init?: CloudInitOptions;

  // --- Packer qemu-builder options (issue 10): disks, media, firmware, CPU, VNC, communicator.
  /** iso_url is a disk image to start from: copied (or the backing file, with use_backing_file), resized to disk_size unless skip_resize_disk, booted from disk. */
  disk_image: boolean;
  use_backing_file: boolean;
  skip_resize_disk: boolean;
  /** Extra disks, qemu-img sizes as written ("10G"), created empty and kept as `<vm_name>-<n>`. */
  disk_additional_size: string[];
  disk_cache: 'writethrough' | 'writeback' | 'none' | 'unsafe' | 'directsync';
  disk_discard: 'unmap' | 'ignore';
  disk_detect_zeroes: 'unmap' | 'on' | 'off';
  /** Skip the final `qemu-img convert` (forced for raw, and with use_backing_file, as in Packer). */
  skip_compaction: boolean;
  /** Extra qemu-img arguments per command, inserted where Packer puts them. */
  qemu_img_args: {create: string[]; convert: string[]; resize: string[]};
  /** Where a downloaded ISO is kept: a file, or a directory (no extension) for `<hash>.<iso_target_extension>`. */
  iso_target_path?: string;
  iso_target_extension: string;
  /** Files and directories (globs allowed) put on a CD image vmbench writes; cd_content adds files by content. */
  cd_files: string[];
  cd_content: Record<string, string>;
  cd_label: string;
  /** How CDs are attached: unset = QEMU's default (`media=cdrom`), else Packer's if=/virtio-scsi forms. */
  cdrom_interface?: 'ide' | 'sata' | 'scsi' | 'virtio' | 'virtio-scsi';
  floppy_files: string[];
  floppy_dirs: string[];
  floppy_content: Record<string, string>;
  floppy_label: string;
  /** Served at their URL paths ("/preseed.cfg"), rendered with the build fields when served. */
  http_content: Record<string, string>;
  /** For http_content entries that are one `{{ file }}`/`{{ templatefile }}` action: the file (absolute) they came from. */
  http_content_files: Record<string, string>;
  /** `-bios FILE` (or a read-only pflash drive with use_pflash). */
  firmware?: string;
  use_pflash: boolean;
  /** UEFI with OVMF: code read-only, vars copied per build into the output directory (efivars.fd). */
  efi_boot: boolean;
  efi_firmware_code: string;
  efi_firmware_vars: string;
  efi_drop_efivars: boolean;
  /** CPU topology (0 = not given); cpus defaults to their product when given. */
  sockets: number;
  cores: number;
  threads: number;
  cpu_model?: string;
  /** VNC with a password (random per build unless vnc_password): viewers must give it. */
  vnc_use_password: boolean;
  vnc_password?: string;
  /** `none`: no SSH at all; the build waits for the guest to power off by itself (shutdown_timeout). */
  communicator: 'ssh' | 'none';
  /** Milliseconds: once SSH answers, wait this long and connect again (Packer's pause_before_connecting). */
  pause_before_connecting: number;
  /** Host to connect to instead of 127.0.0.1 (the forwarded port is used either way). */
  ssh_host?: string;
  /** Milliseconds between SSH keep-alives; 0 = off. */
  ssh_keep_alive_interval: number;
  /** Request a pseudo-terminal for every remote command (stderr then arrives merged into stdout). */
  ssh_pty: boolean;
  ssh_file_transfer_method: 'scp' | 'sftp';

  /**
   * Run after the image is converted (Packer's post-processors): a list of sequences, each
   * starting from the build's image and handing its artifact on to the next in the sequence. A
   * lone post-processor is a sequence of one.
   */
  post_processors: PostProcessor[][];

  /** vmbench: checksum files written in the output folder (SHA256SUMS, SHA512SUMS…), read by `sha256sum -c`. */
  checksums: string[];
  /** vmbench: manifest.json in the output folder (Packer's manifest format plus vmbench's own record). */
  manifest: boolean;
  /** vmbench: the output folder's name gets the build's start time (output-NAME-YYYYMMDD-HHMMSS). */
  output_timestamp: boolean;
  /** vmbench: fill the guest's free space with zeros before shutdown, so conversion drops it. */
  zero_free_space: boolean;
}

export type FieldKind = 'string' | 'int' | 'bool' | 'duration' | 'size-mib' | 'string[]' | 'string[][]' | 'int[]' | 'map' | 'string-map' | 'regex';

export interface FieldSpec {
  kind: FieldKind;
  /** Allowed values for an enumerated string. */
  oneOf?: readonly string[];
  /** Bounds: of an int, of a size-mib in MiB, of a duration in ms (a duration is 0 to 7 days unless told). */
  min?: number;
  max?: number;
  doc: string;
  /**
   * A string that names a file or folder on this host: `file-name` is one name (no "/", not "."
   * or ".."), `folder` a folder path (normalized; not empty), `host` any path; none may hold a
   * NUL, a newline or another control character.
   */
  path?: 'file-name' | 'folder' | 'host';
  /** `{{ .Field }}`s the step fills in when it runs (besides BUILD_FIELDS.boot and .execute), kept as written at load. */
  buildFields?: readonly string[];
  /** Accepted but meaningless here: a warning with this reason, and the value is dropped. */
  ignored?: string;
  /** A Packer option vmbench cannot honour: an error with this reason (rather than "unknown field"). */
  unsupported?: string;
}

/** Every top-level field a profile may have (Packer names), with defaults below. */
export const PROFILE_FIELDS: Record<string, FieldSpec> = {
  name: {kind: 'string', doc: 'profile name (defaults to its directory name)'},
  description: {kind: 'string', doc: 'one line shown in the profile picker'},
  distro: {kind: 'string', doc: 'distribution shown in the profile picker'},
  install_method: {kind: 'string', oneOf: ['preseed', 'autoinstall', 'kickstart', 'cloud-image', 'custom'], doc: 'how the guest installs itself'},
  variables: {kind: 'map', doc: 'user variables, used as {{ user `name` }}, overridden with --var name=value'},
  iso_url: {kind: 'string', doc: 'ISO location: a local path or an http(s) URL'},
  iso_urls: {kind: 'string[]', doc: 'ISO locations tried in order'},
  iso_checksum: {kind: 'string', doc: 'none | md5:… | sha1:… | sha256:… | sha512:… | bare hex | file:<list>'},
  iso_build: {kind: 'string', path: 'host', doc: 'script in the profile that builds the ISO and prints its path (vmbench extension)'},
  output_directory: {kind: 'string', path: 'folder', doc: 'where artifacts go (default output-<name>)'},
  vm_name: {kind: 'string', path: 'file-name', doc: 'file name of the disk image (default <name>.<format>)'},
  format: {kind: 'string', oneOf: ['qcow2', 'raw'], doc: 'disk image format'},
  disk_size: {kind: 'size-mib', min: 1, max: 64 * 1024 * 1024, doc: 'disk size: MiB as a number, or a string like "2G"'},
  disk_interface: {kind: 'string', oneOf: ['virtio', 'ide', 'sata', 'scsi', 'virtio-scsi'], doc: 'disk bus (sata: an AHCI controller)'},
  net_device: {kind: 'string', doc: 'QEMU network device model'},
  memory: {kind: 'int', min: 16, max: 1024 * 1024, doc: 'guest memory in MiB'},
  cpus: {kind: 'int', min: 1, max: 1024, doc: 'guest vCPUs'},
  accelerator: {kind: 'string', oneOf: ['auto', 'kvm', 'tcg'], doc: 'auto probes KVM and falls back to TCG'},
  machine_type: {kind: 'string', doc: 'QEMU machine type'},
  qemu_binary: {kind: 'string', path: 'host', doc: 'QEMU executable'},
  qemuargs: {kind: 'string[][]', buildFields: ['HTTPDir', 'OutputDir', 'SSHHostPort'], doc: 'extra QEMU arguments; a flag given here replaces vmbench’s default for it; {{ .HTTPIP }}, {{ .HTTPPort }}, {{ .HTTPDir }}, {{ .Name }}, {{ .OutputDir }} (where the output is being written), {{ .SSHHostPort }} are filled in at VM start'},
  disk_compression: {kind: 'bool', doc: 'compress the final qcow2 (qemu-img convert -c)'},
  headless: {kind: 'bool', doc: 'accepted for Packer compatibility; vmbench never opens a window'},
  http_directory: {kind: 'string', path: 'host', doc: 'directory served to the guest over HTTP'},
  http_bind_address: {kind: 'string', doc: 'host address the HTTP server binds'},
  http_port_min: {kind: 'int', min: 1, max: 65535, doc: 'lowest HTTP port'},
  http_port_max: {kind: 'int', min: 1, max: 65535, doc: 'highest HTTP port'},
  vnc_bind_address: {kind: 'string', doc: 'address QEMU’s VNC server binds'},
  vnc_port_min: {kind: 'int', min: 5900, max: 65535, doc: 'lowest VNC port'},
  vnc_port_max: {kind: 'int', min: 5900, max: 65535, doc: 'highest VNC port'},
  boot_wait: {kind: 'duration', doc: 'wait after starting QEMU before typing, e.g. "5s"'},
  boot_command: {kind: 'string[]', doc: 'keys typed over VNC (Packer grammar + <waitFor "text">, <waitStable>)'},
  boot_steps: {kind: 'string[][]', doc: '[command, description] pairs typed in order, each a debug pause point'},
  boot_key_interval: {kind: 'duration', doc: 'pause after every key event, e.g. "10ms" (default 5ms via QMP, 12ms via VNC)'},
  boot_keys_via: {kind: 'string', oneOf: ['qmp', 'vnc'], doc: 'qmp (default): QEMU input events at 5 ms/event (~16x Packer); vnc: like Packer, at most 100 events/s'},
  ssh_username: {kind: 'string', doc: 'SSH user'},
  ssh_password: {kind: 'string', doc: 'SSH password'},
  ssh_private_key_file: {kind: 'string', path: 'host', doc: 'SSH private key file (default: $PACKER_PRIVATE_KEY)'},
  ssh_agent_auth: {kind: 'bool', doc: 'also offer the keys of the ssh-agent at $SSH_AUTH_SOCK'},
  ssh_port: {kind: 'int', min: 1, max: 65535, doc: 'guest SSH port'},
  ssh_host_port_min: {kind: 'int', min: 1, max: 65535, doc: 'lowest forwarded host port'},
  ssh_host_port_max: {kind: 'int', min: 1, max: 65535, doc: 'highest forwarded host port'},
  ssh_timeout: {kind: 'duration', doc: 'how long to wait for SSH, e.g. "20m"'},
  ssh_wait_timeout: {kind: 'duration', doc: 'old Packer name of ssh_timeout'},
  ssh_handshake_attempts: {kind: 'int', min: 1, max: 1000, doc: 'consecutive auth failures before giving up'},
  ssh_watch_error_patterns: {kind: 'regex', doc: 'vmbench: while waiting for SSH, fail at once when a screen line matches this regex (case-sensitive; join several with |), besides the built-in installer error patterns'},
  ssh_watch_default_patterns: {kind: 'bool', doc: 'vmbench: also fail on the built-in patterns (Debian installer [!!] dialogs, subiquity/anaconda errors, Kernel panic, No bootable device, emergency shells); false when the console is used by hand'},
  ssh_watch_screen_stall: {kind: 'duration', doc: 'vmbench: fail when the screen has not changed for this long while waiting for SSH, e.g. "15m" (default 0 = off: installers may sit still legitimately)'},
  ssh_watch_http_timeout: {kind: 'duration', doc: 'vmbench: when vmbench serves files (http_directory or http_content), fail when the guest has fetched nothing from the HTTP server this long after the boot command, e.g. "3m"; 0 = off; default 5m (15m under TCG) when the boot command names a URL'},
  ssh_clear_authorized_keys: {kind: 'bool', doc: 'remove the build’s temporary public key from ~/.ssh/authorized_keys (and root’s) before shutdown'},
  section_begin: {kind: 'regex', doc: 'regex for a section’s first line in provisioning output; group "name" (or 1) names it (default BEGIN{name})'},
  section_end: {kind: 'regex', doc: 'regex for a section’s last line (default END{name})'},
  shutdown_command: {kind: 'string', doc: 'command run over SSH to power the guest off (empty: hard stop)'},
  shutdown_timeout: {kind: 'duration', doc: 'how long to wait for the guest to power off'},
  disk_image: {kind: 'bool', doc: 'iso_url is a disk image (qcow2, raw…) to start from instead of an installer ISO: copied into the build, resized to disk_size unless skip_resize_disk, and booted from disk'},
  use_backing_file: {kind: 'bool', doc: 'with disk_image and format qcow2: the image becomes the backing file of a new overlay instead of being copied (the output then needs it; no compaction)'},
  skip_resize_disk: {kind: 'bool', doc: 'with disk_image: keep the image’s own size instead of resizing it to disk_size'},
  disk_additional_size: {kind: 'string[]', doc: 'extra empty disks, qemu-img sizes such as "10G", attached after the main disk and kept as <vm_name>-1, -2…'},
  disk_cache: {kind: 'string', oneOf: ['writethrough', 'writeback', 'none', 'unsafe', 'directsync'], doc: 'QEMU cache mode of the disks (default writeback)'},
  disk_discard: {kind: 'string', oneOf: ['unmap', 'ignore'], doc: 'pass the guest’s discard/TRIM to the image (unmap) or not (ignore, default)'},
  disk_detect_zeroes: {kind: 'string', oneOf: ['unmap', 'on', 'off'], doc: 'QEMU detect-zeroes for the disks (default off)'},
  skip_compaction: {kind: 'bool', doc: 'keep the disk as the VM wrote it instead of compacting it with qemu-img convert (always so for raw and use_backing_file)'},
  qemu_img_args: {kind: 'map', doc: 'extra qemu-img arguments: {create: [...], convert: [...], resize: [...]}'},
  iso_target_path: {kind: 'string', path: 'host', doc: 'where a downloaded ISO is kept: a file path, or a directory (a path without extension) for <hash>.<iso_target_extension>; default the cache'},
  iso_target_extension: {kind: 'string', path: 'file-name', doc: 'extension of a downloaded ISO in the cache (default iso); with disk_image, matching format means a plain copy'},
  cd_files: {kind: 'string[]', doc: 'files and directories (globs allowed) written onto a CD image by vmbench and attached to the VM'},
  cd_content: {kind: 'string-map', doc: 'files for the CD by content: path on the CD → text'},
  cd_label: {kind: 'string', doc: 'volume label of the CD (default packer; cloud-init’s NoCloud wants cidata)'},
  cdrom_interface: {kind: 'string', oneOf: ['ide', 'sata', 'scsi', 'virtio', 'virtio-scsi'], doc: 'bus of the CD drives (default: QEMU’s media=cdrom default)'},
  floppy_files: {kind: 'string[]', doc: 'files (globs allowed) put in the root of a 1.44 MB FAT12 floppy written by vmbench and attached as -fda'},
  floppy_dirs: {kind: 'string[]', doc: 'directories copied recursively onto the floppy'},
  floppy_content: {kind: 'string-map', doc: 'files for the floppy by content: path → text'},
  floppy_label: {kind: 'string', doc: 'volume label of the floppy (default packer)'},
  http_content: {kind: 'string-map', buildFields: ['HTTPIP', 'HTTPPort', 'Name', 'SSHPublicKey'], doc: 'files served by content: URL path ("/preseed.cfg") → text; {{ .HTTPIP }}, {{ .HTTPPort }}, {{ .Name }}, {{ .SSHPublicKey }} are filled in when served; {{ templatefile `file` }} inserts a file rendered the same way. Not with http_directory'},
  firmware: {kind: 'string', path: 'host', doc: 'firmware file given to QEMU as -bios (or as a read-only pflash drive with use_pflash)'},
  use_pflash: {kind: 'bool', doc: 'attach firmware as a read-only pflash drive instead of -bios'},
  efi_boot: {kind: 'bool', doc: 'boot with UEFI (OVMF; Debian package ovmf): efi_firmware_code read-only, efi_firmware_vars copied per build'},
  efi_firmware_code: {kind: 'string', path: 'host', doc: 'OVMF code image (default /usr/share/OVMF/OVMF_CODE.fd); setting it turns efi_boot on'},
  efi_firmware_vars: {kind: 'string', path: 'host', doc: 'OVMF variables template, copied into the output as efivars.fd (default /usr/share/OVMF/OVMF_VARS.fd); setting it turns efi_boot on'},
  efi_drop_efivars: {kind: 'bool', doc: 'leave efivars.fd out of the output'},
  sockets: {kind: 'int', min: 0, max: 64, doc: 'CPU sockets (-smp sockets=); cpus defaults to sockets × cores × threads'},
  cores: {kind: 'int', min: 0, max: 64, doc: 'cores per socket (-smp cores=)'},
  threads: {kind: 'int', min: 0, max: 64, doc: 'threads per core (-smp threads=)'},
  cpu_model: {kind: 'string', doc: 'QEMU CPU model (-cpu), e.g. host (KVM only) or max'},
  vnc_use_password: {kind: 'bool', doc: 'protect the VM’s VNC server with a password (random per build, shown with the VNC address)'},
  vnc_password: {kind: 'string', doc: 'the VNC password to use with vnc_use_password (at most 8 characters; default random)'},
  communicator: {kind: 'string', oneOf: ['ssh', 'none'], doc: 'ssh (default), or none: no SSH; the build waits up to shutdown_timeout for the guest to power off by itself'},
  pause_before_connecting: {kind: 'duration', doc: 'once SSH first answers, wait this long and connect again (e.g. while the installer reboots into the new system)'},
  ssh_host: {kind: 'string', doc: 'host to connect to instead of 127.0.0.1 (the forwarded port is used either way)'},
  ssh_keep_alive_interval: {kind: 'duration', doc: 'how often to send SSH keep-alives (default 5s; 0 turns them off)'},
  ssh_pty: {kind: 'bool', doc: 'run remote commands in a pseudo-terminal (stderr then arrives in stdout)'},
  ssh_file_transfer_method: {kind: 'string', oneOf: ['scp', 'sftp'], doc: 'accepted for Packer; either way vmbench transfers over SFTP when the guest has an SFTP server and through its shell otherwise'},
  boot_keygroup_interval: {kind: 'duration', ignored: 'Packer’s qemu builder does not use boot_keygroup_interval (it paces scan-code builders such as VirtualBox); boot_key_interval sets the pace here', doc: 'accepted for Packer; has no effect with QEMU'},
  provisioners: {kind: 'map', doc: 'list of provisioners (type: shell, shell-local, file, ansible or breakpoint)'},
  cloud_init: {kind: 'map', doc: 'vmbench: cloud-init NoCloud seed written by vmbench (label cidata, the build’s SSH key merged into user_data), attached as a CD; then the wait for cloud-init and its clean-up before shutdown. A mapping: user_data, meta_data, network_config, vendor_data, wait, timeout, clean'},
  post_processors: {kind: 'map', doc: 'list of post-processors (checksum, manifest, compress, shell-local, vagrant, convert, containerdisk) run after the image is written; a nested list is a sequence, each handing its artifact to the next'},
  checksums: {kind: 'string[]', oneOf: ['sha256', 'sha512', 'sha384', 'sha224', 'sha1', 'md5'], doc: 'vmbench: checksum files written in the output folder for `sha256sum -c`: any of sha256 (default), sha512, sha384, sha224, sha1, md5; [] for none'},
  manifest: {kind: 'bool', doc: 'vmbench: write manifest.json in the output folder: Packer’s manifest format plus profile, variables (secrets redacted), tool versions, step durations, artifact sizes (default true)'},
  output_timestamp: {kind: 'bool', doc: 'vmbench: add the build’s start time to the output folder’s name, as output-NAME-YYYYMMDD-HHMMSS (also --timestamp)'},
  zero_free_space: {kind: 'bool', doc: 'vmbench: before shutdown, fill each writable file system of the guest with zeros and delete the file (and fstrim), so the conversion drops the free space'},
};

export const PROFILE_DEFAULTS = {
  description: '',
  distro: 'unknown',
  install_method: 'custom',
  iso_checksum: 'none',
  format: 'qcow2',
  disk_size: 40960,
  disk_interface: 'virtio',
  net_device: 'virtio-net',
  memory: 512,
  cpus: 1,
  accelerator: 'auto',
  machine_type: 'pc',
  qemu_binary: 'qemu-system-x86_64',
  disk_compression: false,
  checksums: ['sha256'],
  manifest: true,
  output_timestamp: false,
  zero_free_space: false,
  http_bind_address: '127.0.0.1',
  http_port_min: 8000,
  http_port_max: 9000,
  vnc_bind_address: '127.0.0.1',
  vnc_port_min: 5900,
  vnc_port_max: 6000,
  boot_wait: 10_000,
  boot_keys_via: 'qmp',
  ssh_port: 22,
  ssh_host_port_min: 2222,
  ssh_host_port_max: 4444,
  ssh_timeout: 5 * 60_000,
  ssh_handshake_attempts: 10,
  ssh_watch_default_patterns: true,
  ssh_watch_screen_stall: 0,
  ssh_agent_auth: false,
  ssh_clear_authorized_keys: false,
  shutdown_command: '',
  shutdown_timeout: 5 * 60_000,
  disk_image: false,
  use_backing_file: false,
  skip_resize_disk: false,
  disk_cache: 'writeback',
  disk_discard: 'ignore',
  disk_detect_zeroes: 'off',
  skip_compaction: false,
  iso_target_extension: 'iso',
  cd_label: 'packer',
  floppy_label: 'packer',
  use_pflash: false,
  efi_boot: false,
  efi_firmware_code: '/usr/share/OVMF/OVMF_CODE.fd',
  efi_firmware_vars: '/usr/share/OVMF/OVMF_VARS.fd',
  efi_drop_efivars: false,
  sockets: 0,
  cores: 0,
  threads: 0,
  vnc_use_password: true,
  communicator: 'ssh',
  pause_before_connecting: 0,
  ssh_keep_alive_interval: 5000,
  ssh_pty: false,
  ssh_file_transfer_method: 'scp',
  section_begin: DEFAULT_PATTERN.begin.source,
  section_end: DEFAULT_PATTERN.end.source,
} as const;

/** Template fields available at build time, per place they may appear. */
export const BUILD_FIELDS = {
  boot: ['HTTPIP', 'HTTPPort', 'Name', 'SSHPublicKey'],
  http: ['HTTPIP', 'HTTPPort', 'Name', 'SSHPublicKey'],
  execute: ['Vars', 'Path'],
  qemuargs: ['HTTPIP', 'HTTPPort', 'HTTPDir', 'Name', 'OutputDir', 'SSHHostPort'],
} as const;
