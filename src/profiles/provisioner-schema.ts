/**
 * Provisioners: their typed shapes and one field table per type, which the checker
 * (check-profile.ts) validates each provisioner against. Packer's names and defaults.
 */
import type {FieldSpec} from './schema.js';

export interface ShellProvisioner {
  type: 'shell';
  /** A name for logs and sections; defaults to the script's base name. */
  name?: string;
  script?: string;
  scripts: string[];
  inline: string[];
  environment_vars: string[];
  /** Packer's default: `chmod +x {{ .Path }}; {{ .Vars }} {{ .Path }}`. */
  execute_command: string;
  valid_exit_codes: number[];
  expect_disconnect: boolean;
  /** Milliseconds to wait for SSH again before a script, after a disconnect (Packer: 5m). */
  start_retry_timeout: number;
  remote_folder: string;
  /** Where it stands in the profile, for error messages. */
  source: string;
}

/**
 * Packer's `file` provisioner: copies files or directory trees to the guest (upload) or from it
 * (download) over SSH; see SshSession.uploadPath for the trailing-slash rules.
 */
export interface FileProvisioner {
  type: 'file';
  /** A name for logs; defaults to "file". */
  name?: string;
  /**
   * Packer's `sources` followed by its `source` (Packer appends `source` last). Local paths are
   * relative to the profile's directory; a trailing slash is kept (it matters for directories).
   */
  sources: string[];
  /** Packer's `content`: text written to `destination` (upload only), instead of sources. */
  content?: string;
  destination: string;
  direction: 'upload' | 'download';
  /** Accepted for Packer compatibility: vmbench checks upload sources when the provisioner runs. */
  generated: boolean;
  /** Where it stands in the profile, for error messages (not Packer's `source`: see `sources`). */
  source: string;
}

/**
 * Packer's remote `ansible` provisioner: runs ansible-playbook on the host against the VM,
 * straight to its forwarded SSH port (Packer's `use_proxy: false`).
 */
export interface AnsibleProvisioner {
  type: 'ansible';
  name?: string;
  /** Relative to the profile's directory. */
  playbook_file: string;
  extra_arguments: string[];
  /** NAME=value pairs added to ansible-playbook's environment (after vmbench's own). */
  ansible_env_vars: string[];
  /** Default: the profile's ssh_username. */
  user?: string;
  groups: string[];
  host_alias: string;
  /** Default: ansible-playbook (looked up on PATH; a relative path is relative to the profile). */
  command: string;
  keep_inventory_file: boolean;
  source: string;
}

export type Provisioner = ShellProvisioner | FileProvisioner | AnsibleProvisioner;

export const SHELL_FIELDS: Record<string, FieldSpec> = {
  type: {kind: 'string', doc: 'provisioner type'},
  name: {kind: 'string', doc: 'name shown in logs'},
  script: {kind: 'string', doc: 'script file (relative to the profile)'},
  scripts: {kind: 'string[]', doc: 'script files run in order'},
  inline: {kind: 'string[]', doc: 'commands run as one script'},
  environment_vars: {kind: 'string[]', doc: 'NAME=value pairs'},
  execute_command: {kind: 'string', doc: 'how to run the script; {{ .Vars }} {{ .Path }}'},
  valid_exit_codes: {kind: 'int[]', doc: 'exit codes that count as success'},
  expect_disconnect: {kind: 'bool', doc: 'the script may drop the SSH connection (reboot)'},
  start_retry_timeout: {kind: 'duration', doc: 'how long to wait for SSH to come back after an expected disconnect (default 5m)'},
  remote_folder: {kind: 'string', doc: 'where scripts are uploaded'},
};

export const FILE_FIELDS: Record<string, FieldSpec> = {
  type: {kind: 'string', doc: 'provisioner type'},
  name: {kind: 'string', doc: 'name shown in logs'},
  source: {kind: 'string', doc: 'file or directory to copy (local for upload, relative to the profile; on the guest for download); a directory ending in / copies its contents'},
  sources: {kind: 'string[]', doc: 'several files or directories copied into destination (which should end in /)'},
  content: {kind: 'string', doc: 'text written to destination instead of a source (upload only)'},
  destination: {kind: 'string', doc: 'where it goes (on the guest for upload; local for download, relative to the profile); a directory upload needs it to exist'},
  direction: {kind: 'string', oneOf: ['upload', 'download'], doc: 'upload (default) or download'},
  generated: {kind: 'bool', doc: 'the source is made during the build (accepted; vmbench checks sources when the provisioner runs anyway)'},
};

export const ANSIBLE_FIELDS: Record<string, FieldSpec> = {
  type: {kind: 'string', doc: 'provisioner type'},
  name: {kind: 'string', doc: 'name shown in logs'},
  playbook_file: {kind: 'string', doc: 'the playbook (relative to the profile)'},
  extra_arguments: {kind: 'string[]', doc: 'more ansible-playbook arguments, e.g. ["-v", "-e", "x=1"]'},
  ansible_env_vars: {kind: 'string[]', doc: 'NAME=value pairs for ansible-playbook’s environment, e.g. ANSIBLE_STDOUT_CALLBACK=yaml'},
  user: {kind: 'string', doc: 'user ansible logs in as (default: ssh_username)'},
  groups: {kind: 'string[]', doc: 'inventory groups the VM belongs to'},
  host_alias: {kind: 'string', doc: 'the VM’s name in the inventory (default: default)'},
  command: {kind: 'string', doc: 'the ansible-playbook executable (default: ansible-playbook on PATH)'},
  keep_inventory_file: {kind: 'bool', doc: 'keep the generated inventory file (it holds no secrets)'},
  use_proxy: {kind: 'bool', doc: 'accepted for Packer compatibility; vmbench always connects ansible straight to the VM (use_proxy: false)'},
};

/** One provisioner type: its fields, and how checked fields become the typed provisioner. */
export interface ProvisionerType {
  fields: Record<string, FieldSpec>;
  /** Returns the provisioner, or a message for the whole mapping (e.g. a missing required field). */
  build(fields: Record<string, unknown>, source: string): Provisioner | string;
}

export const PROVISIONER_TYPES: Record<string, ProvisionerType> = {
  shell: {
    fields: SHELL_FIELDS,
    build(t, source) {
      const shell: ShellProvisioner = {
        type: 'shell',
        scripts: [],
        inline: [],
        environment_vars: [],
        execute_command: 'chmod +x {{ .Path }}; {{ .Vars }} {{ .Path }}',
        valid_exit_codes: [0],
        expect_disconnect: false,
        start_retry_timeout: 5 * 60_000,
        remote_folder: '/tmp',
        ...t,
        source,
      };
      const count = (shell.script ? 1 : 0) + (shell.scripts.length ? 1 : 0) + (shell.inline.length ? 1 : 0);
      return count === 1 ? shell : 'a shell provisioner needs exactly one of script, scripts or inline';
    },
  },
  file: {
    fields: FILE_FIELDS,
    build(t, source) {
      const {source: path, sources, use_proxy: _, ...rest} = t as {source?: string; sources?: string[]; use_proxy?: unknown};
      const file: FileProvisioner = {
        type: 'file',
        destination: '',
        direction: 'upload',
        generated: false,
        ...(rest as Partial<FileProvisioner>),
        // Packer appends `source` after `sources`.
        sources: [...(sources ?? []), ...(path !== undefined ? [path] : [])],
        source,
      };
      const problems: string[] = [];
      if (file.content !== undefined && file.sources.length) problems.push('content cannot be combined with source or sources');
      else if (file.content === undefined && !file.sources.length) problems.push('a file provisioner needs source, sources or content');
      if (file.content !== undefined && file.direction === 'download') problems.push('content only works with direction: upload');
      if (!file.destination) problems.push('a file provisioner needs a destination');
      else if (file.sources.length > 1 && !file.destination.endsWith('/')) problems.push('with several sources, destination must be a directory ending in /');
      if (file.sources.some((s) => !s)) problems.push('source must not be empty');
      return problems.length ? problems.join('; ') : file;
    },
  },
  ansible: {
    fields: ANSIBLE_FIELDS,
    build(t, source) {
      const {use_proxy: _, ...rest} = t;
      const ansible: AnsibleProvisioner = {
        type: 'ansible',
        playbook_file: '',
        extra_arguments: [],
        ansible_env_vars: [],
        groups: [],
        host_alias: 'default',
        command: 'ansible-playbook',
        keep_inventory_file: false,
        ...(rest as Partial<AnsibleProvisioner>),
        source,
      };
      const problems: string[] = [];
      if (!ansible.playbook_file) problems.push('an ansible provisioner needs playbook_file');
      const badVar = ansible.ansible_env_vars.find((v) => !/^[A-Za-z_][A-Za-z0-9_]*=/.test(v));
      if (badVar !== undefined) problems.push(`ansible_env_vars: ${JSON.stringify(badVar)} is not NAME=value`);
      if (!/^[^\s\[\]#=]+$/.test(ansible.host_alias)) problems.push(`host_alias ${JSON.stringify(ansible.host_alias)} must be one word (no spaces, brackets, # or =)`);
      const badGroup = ansible.groups.find((g) => !/^[A-Za-z0-9_.-]+$/.test(g));
      if (badGroup !== undefined) problems.push(`groups: ${JSON.stringify(badGroup)} is not a valid inventory group name`);
      if (!ansible.command) problems.push('command must not be empty');
      return problems.length ? problems.join('; ') : ansible;
    },
  },
};
