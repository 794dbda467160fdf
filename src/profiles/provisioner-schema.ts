/**
 * Provisioners: their typed shapes and one field table per type, which the checker
 * (check-profile.ts) validates each provisioner against. Packer's names and defaults.
 */
import type {FieldSpec} from './schema.js';

/**
 * Packer's options for every provisioner (packer/provisioner.go wraps each one): retried up to
 * max_retries more times, each attempt first paused for pause_before and bounded by timeout
 * (the pause counts against it, as in Packer). Absent means 0: no pause, no retry, no limit.
 */
export interface ProvisionerCommon {
  /** Milliseconds to wait before each attempt. */
  pause_before?: number;
  /** How many times a failed provisioner runs again. */
  max_retries?: number;
  /** Milliseconds an attempt may take; then what it runs is stopped and the attempt fails. */
  timeout?: number;
}

/**
 * Packer's generated data (packer-plugin-sdk's PopulateProvisionHookData): what a shell-local
 * command or a post-processor's template may read as `{{ .Name }}` when it runs.
 */
export const GENERATED_FIELDS = [
  'ID', 'Host', 'Port', 'User', 'Password', 'ConnType', 'PackerRunUUID', 'PackerHTTPIP', 'PackerHTTPPort', 'PackerHTTPAddr',
  'SSHPublicKey', 'SSHPrivateKey', 'SSHPrivateKeyFile', 'SSHAgentAuth', 'WinRMPassword',
] as const;

export interface ShellProvisioner extends ProvisionerCommon {
  type: 'shell';
  /** A name for logs and sections; defaults to the script's base name. */
  name?: string;
  script?: string;
  scripts: string[];
  inline: string[];
  /** The `#!` line of the inline script, without `#!` (Packer's default: /bin/sh -e). */
  inline_shebang: string;
  environment_vars: string[];
  /** Milliseconds to wait after the scripts ran well (Packer's pause_after). */
  pause_after?: number;
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
export interface FileProvisioner extends ProvisionerCommon {
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
export interface AnsibleProvisioner extends ProvisionerCommon {
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
  /**
   * Where ansible-playbook looks for roles / collections (ANSIBLE_ROLES_PATH,
   * ANSIBLE_COLLECTIONS_PATH) and where ansible-galaxy installs them (`-p`); as written,
   * relative to the profile's directory (the commands run there).
   */
  roles_path?: string;
  collections_path?: string;
  /** A requirements file for ansible-galaxy, run before the playbook (relative to the profile). */
  galaxy_file?: string;
  /** Default: ansible-galaxy (looked up on PATH; a relative path is relative to the profile). */
  galaxy_command?: string;
  galaxy_force_install?: boolean;
  galaxy_force_with_deps?: boolean;
  source: string;
}

/**
 * Packer's `shell-local` (packer-plugin-sdk/shell-local), shared by the provisioner and the
 * post-processor: commands run on this host, not in the guest.
 */
export interface ShellLocalConfig {
  name?: string;
  /** The inline lines (Packer's deprecated `command` becomes one), written to a temporary script. */
  inline: string[];
  /** Script files (`script` is the first), relative to the profile; empty when inline is used. */
  scripts: string[];
  /** NAME=value pairs passed through {{ .Vars }}. */
  environment_vars: string[];
  /** More variables; they win over environment_vars of the same name. */
  env: Record<string, string>;
  /** How one variable is written into {{ .Vars }} (Go's %s for name, then value): `%s='%s' `. */
  env_var_format: string;
  /** The argv run for each script; `{{ .Vars }}`, `{{ .Script }}` are filled in. */
  execute_command: string[];
  /** The `#!` line of the inline script (without `#!`). */
  inline_shebang: string;
  /** Runtime OSes (Go's names) to run on; elsewhere it is skipped. Empty: everywhere. */
  only_on: string[];
  /** The inline script's file extension, without the dot. */
  tempfile_extension: string;
  valid_exit_codes: number[];
  source: string;
}

export interface ShellLocalProvisioner extends ShellLocalConfig, ProvisionerCommon {
  type: 'shell-local';
}

/** Packer's `breakpoint`: a pause with a note, until the user goes on; `disable` turns it off. */
export interface BreakpointProvisioner extends ProvisionerCommon {
  type: 'breakpoint';
  name?: string;
  note?: string;
  disable: boolean;
  source: string;
}

export type Provisioner = ShellProvisioner | FileProvisioner | AnsibleProvisioner | ShellLocalProvisioner | BreakpointProvisioner;

/** The options every provisioner accepts (Packer's provisioner wrappers and the template's selection). */
export const COMMON_FIELDS: Record<string, FieldSpec> = {
  pause_before: {kind: 'duration', doc: 'wait this long before running it (each attempt), e.g. "10s"'},
  max_retries: {kind: 'int', min: 0, doc: 'run it again up to this many times when it fails'},
  timeout: {kind: 'duration', doc: 'stop it (killing what it runs) and fail the attempt after this long, e.g. "5m"'},
  only: {kind: 'string[]', doc: 'builds it runs for (Packer templates)', ignored: 'only selects builds in a Packer template; a vmbench profile is one build, so it has no effect here'},
  except: {kind: 'string[]', doc: 'builds it skips (Packer templates)', ignored: 'except selects builds in a Packer template; a vmbench profile is one build, so it has no effect here'},
  override: {kind: 'map', doc: 'per-build settings (Packer JSON templates)', ignored: 'override sets options per build in a Packer JSON template; a vmbench profile is one build, so it has no effect here'},
};

const RUN_FIELDS = ['Vars', 'Script', 'Command', ...GENERATED_FIELDS];
/** Go's runtime.GOOS names shell-local's only_on accepts. */
const SHELL_LOCAL_OSES = ['darwin', 'freebsd', 'linux', 'openbsd', 'solaris', 'windows'];

/** shell-local's fields, for the provisioner and the post-processor alike. */
export const SHELL_LOCAL_FIELDS: Record<string, FieldSpec> = {
  type: {kind: 'string', doc: 'provisioner type'},
  name: {kind: 'string', doc: 'name shown in logs'},
  command: {kind: 'string', doc: 'one command (Packer’s deprecated form of inline)'},
  inline: {kind: 'string[]', buildFields: GENERATED_FIELDS, doc: 'commands written to a temporary script run on this host'},
  script: {kind: 'string', doc: 'script file run on this host (relative to the profile)'},
  scripts: {kind: 'string[]', doc: 'script files run in order on this host'},
  environment_vars: {kind: 'string[]', buildFields: GENERATED_FIELDS, doc: 'NAME=value pairs, passed through {{ .Vars }}'},
  env: {kind: 'string-map', buildFields: GENERATED_FIELDS, doc: 'NAME: value mapping; wins over environment_vars'},
  env_var_format: {kind: 'string', doc: "how one variable is written in {{ .Vars }} (default \"%s='%s' \")"},
  execute_command: {kind: 'string[]', buildFields: RUN_FIELDS, doc: 'the command run for each script (default ["/bin/sh", "-c", "{{.Vars}} {{.Script}}"])'},
  inline_shebang: {kind: 'string', doc: 'interpreter line of the inline script (default "/bin/sh -e")'},
  only_on: {kind: 'string[]', doc: `run only on these OSes (${SHELL_LOCAL_OSES.join(', ')})`},
  tempfile_extension: {kind: 'string', doc: 'file extension of the inline script'},
  valid_exit_codes: {kind: 'int[]', doc: 'exit codes that count as success (default [0])'},
  use_linux_pathing: {kind: 'bool', doc: 'Windows (WSL) only', ignored: 'use_linux_pathing is for Packer on Windows (WSL); vmbench runs on Linux, where it has no effect'},
};

/**
 * shell-local's checks (packer-plugin-sdk shell-local Validate): exactly one of command, inline,
 * script, scripts; `NAME=value` variables; known OS names. Returns the config or the problems.
 */
export function shellLocalConfig(t: Record<string, unknown>, source: string, defaults: {execute_command: string[]}): ShellLocalConfig | string {
  const {command, script, type: _, ...rest} = t as {command?: string; script?: string; type?: string};
  const c: ShellLocalConfig = {
    inline: [],
    scripts: [],
    environment_vars: [],
    env: {},
    env_var_format: "%s='%s' ",
    execute_command: defaults.execute_command,
    inline_shebang: '/bin/sh -e',
    only_on: [],
    tempfile_extension: '',
    valid_exit_codes: [0],
    ...(rest as Partial<ShellLocalConfig>),
    source,
  };
  const problems: string[] = [];
  const given = [command !== undefined, 'inline' in t, script !== undefined, 'scripts' in t].filter(Boolean).length;
  if (given === 0) problems.push('shell-local needs one of command, inline, script or scripts');
  else if (given > 1) problems.push('shell-local takes only one of command, inline, script or scripts');
  if (command !== undefined) c.inline = [command];
  if (script !== undefined) c.scripts = [script];
  // As Packer: an empty value means the default.
  if (!c.execute_command.length) c.execute_command = defaults.execute_command;
  if (!c.inline_shebang) c.inline_shebang = '/bin/sh -e';
  if (!c.env_var_format) c.env_var_format = "%s='%s' ";
  c.tempfile_extension = c.tempfile_extension.replace(/^\./, '');
  const badVar = c.environment_vars.find((v) => !/^[^=]+=/.test(v));
  if (badVar !== undefined) problems.push(`environment_vars: ${JSON.stringify(badVar)} is not NAME=value`);
  const badOs = c.only_on.find((o) => !SHELL_LOCAL_OSES.includes(o));
  if (badOs !== undefined) problems.push(`only_on: ${JSON.stringify(badOs)} is not an OS name (${SHELL_LOCAL_OSES.join(', ')})`);
  if ((c.env_var_format.match(/%s/g) ?? []).length !== 2) problems.push(`env_var_format ${JSON.stringify(c.env_var_format)} needs two %s: the name, then the value`);
  return problems.length ? problems.join('; ') : c;
}

/** Packer's default shell-local command on a Unix host. */
const SHELL_LOCAL_EXECUTE = ['/bin/sh', '-c', '{{.Vars}} {{.Script}}'];

export const SHELL_FIELDS: Record<string, FieldSpec> = {
  type: {kind: 'string', doc: 'provisioner type'},
  name: {kind: 'string', doc: 'name shown in logs'},
  script: {kind: 'string', doc: 'script file (relative to the profile)'},
  scripts: {kind: 'string[]', doc: 'script files run in order'},
  inline: {kind: 'string[]', doc: 'commands run as one script'},
  inline_shebang: {kind: 'string', doc: 'interpreter line of the inline script (default "/bin/sh -e")'},
  environment_vars: {kind: 'string[]', doc: 'NAME=value pairs'},
  env: {kind: 'string-map', doc: 'NAME: value mapping, added to environment_vars (a name in both: this value)'},
  execute_command: {kind: 'string', doc: 'how to run the script; {{ .Vars }} {{ .Path }}'},
  pause_after: {kind: 'duration', doc: 'wait this long after the scripts ran well, e.g. "10s"'},
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
  roles_path: {kind: 'string', doc: 'where ansible-galaxy installs roles (-p, as Packer) and ansible-playbook looks for them (ANSIBLE_ROLES_PATH); relative to the profile'},
  collections_path: {kind: 'string', doc: 'where ansible-galaxy installs collections (-p, as Packer) and ansible-playbook looks for them (ANSIBLE_COLLECTIONS_PATH); relative to the profile'},
  galaxy_file: {kind: 'string', doc: 'a requirements file (relative to the profile) whose roles and collections ansible-galaxy installs before the playbook runs; without roles_path/collections_path they go into the build’s private folder, not ~/.ansible'},
  galaxy_command: {kind: 'string', doc: 'the ansible-galaxy executable (default: ansible-galaxy on PATH)'},
  galaxy_force_install: {kind: 'bool', doc: 'ansible-galaxy --force: reinstall what is already in roles_path/collections_path'},
  galaxy_force_with_deps: {kind: 'bool', doc: 'ansible-galaxy --force-with-deps: reinstall, dependencies too'},
  ...Object.fromEntries(
    ['local_port', 'sftp_command', 'use_sftp', 'ssh_host_key_file', 'ssh_authorized_key_file', 'ansible_proxy_key_type', 'skip_version_check', 'ansible_ssh_extra_args', 'winrm_use_http', 'ansible_winrm_use_http'].map((k) => [
      k,
      {kind: 'string', doc: 'Packer: an option of its SSH proxy for ansible', ignored: `${k} configures Packer's SSH proxy for ansible; vmbench connects ansible straight to the VM, so it has no effect`} satisfies FieldSpec,
    ]),
  ),
  ...Object.fromEntries(
    ['inventory_directory', 'inventory_file_template', 'inventory_file', 'empty_groups'].map((k) => [k, {kind: 'string', doc: 'Packer: inventory options', unsupported: 'vmbench writes its own inventory (groups and host_alias set what is in it)'} satisfies FieldSpec]),
  ),
};

/** One provisioner type: its fields, and how checked fields become the typed provisioner. */
export interface ProvisionerType {
  fields: Record<string, FieldSpec>;
  /** Returns the provisioner, or a message for the whole mapping (e.g. a missing required field). */
  build(fields: Record<string, unknown>, source: string): Provisioner | string;
}

export const PROVISIONER_TYPES: Record<string, ProvisionerType> = {
  shell: {
    fields: {...SHELL_FIELDS, ...COMMON_FIELDS},
    build(fields, source) {
      // Packer's shell `env` joins environment_vars; a name in both takes env's value.
      const {env, ...t} = fields as {env?: Record<string, string>} & Record<string, unknown>;
      if (env && Object.keys(env).length) {
        const vars = ((t.environment_vars as string[] | undefined) ?? []).filter((v) => !Object.hasOwn(env, v.split('=')[0]!));
        t.environment_vars = [...vars, ...Object.entries(env).map(([k, v]) => `${k}=${v}`)];
      }
      const shell: ShellProvisioner = {
        type: 'shell',
        scripts: [],
        inline: [],
        inline_shebang: '/bin/sh -e',
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
    fields: {...FILE_FIELDS, ...COMMON_FIELDS},
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
    fields: {...ANSIBLE_FIELDS, ...COMMON_FIELDS},
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
      if (ansible.galaxy_command === '') problems.push('galaxy_command must not be empty');
      if (ansible.galaxy_file === '') problems.push('galaxy_file must not be empty');
      return problems.length ? problems.join('; ') : ansible;
    },
  },
  'shell-local': {
    fields: {...SHELL_LOCAL_FIELDS, ...COMMON_FIELDS},
    build(t, source) {
      const exec = t.execute_command as string[] | undefined;
      // Packer runs execute_command as an argv: one string names a program, which is never meant.
      if (exec?.length === 1 && /\s/.test(exec[0]!)) {
        return `execute_command is a list of arguments for shell-local, e.g. ["/bin/sh", "-c", ${JSON.stringify(exec[0])}]; as one string it names a program`;
      }
      const c = shellLocalConfig(t, source, {execute_command: SHELL_LOCAL_EXECUTE});
      return typeof c === 'string' ? c : {...c, type: 'shell-local'};
    },
  },
  breakpoint: {
    fields: {
      type: {kind: 'string', doc: 'provisioner type'},
      name: {kind: 'string', doc: 'name shown in logs'},
      note: {kind: 'string', doc: 'shown when the build pauses here'},
      disable: {kind: 'bool', doc: 'go on without pausing'},
      ...COMMON_FIELDS,
    },
    build(t, source) {
      return {disable: false, ...(t as Partial<BreakpointProvisioner>), type: 'breakpoint', source};
    },
  },
};
