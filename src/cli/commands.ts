/**
 * The command table: every `vmbench` command with its arguments and its own options. Parsing
 * (argv.ts), `--help` (help.ts) and shell completion (completion.ts) are all generated from it,
 * so a new option is one entry here. Import-light on purpose: a command's module is imported
 * only when that command runs (`vmbench --help` starts in ~50 ms).
 */

/** An option as `--name`; `packer: true` also accepts Packer's single-dash `-name` spelling. */
export interface OptionSpec {
  name: string;
  short?: string;
  type: 'boolean' | 'string';
  multiple?: boolean;
  /** The value's placeholder in help (`NAME=VALUE`, `DIR`). */
  value?: string;
  description: string;
  /** Packer spells it with one dash (`-var`, `-only`, `-force`): accepted as well. */
  packer?: boolean;
  /** What the shell completes for the value. */
  complete?: {choices: readonly string[]} | 'file' | 'dir';
  /** Left out of help and completion (still accepted). */
  hidden?: boolean;
  /** The only values it takes (the parser refuses others, with the closest one). */
  choices?: readonly string[];
  /** Why a value it refuses is refused (Packer's values vmbench does not have). */
  refused?: Readonly<Record<string, string>>;
}

/** What a positional argument is, for completion. */
export type ArgKind = 'profile' | 'file' | 'dir' | 'shell' | 'command' | 'none';

export interface CommandSpec {
  name: string;
  /** `<profile>`, `[build-id]`: shown in usage lines. */
  args: string;
  /** One line for the command list. */
  summary: string;
  /** More text for `vmbench <command> --help`. */
  details?: string;
  /** Completion for the 1st, 2nd, … positional (the last repeats). */
  argKinds: readonly ArgKind[];
  options: readonly OptionSpec[];
  /** Runs the command; the module is imported only now. */
  run(args: string[], values: CliValues): Promise<number>;
}

/** Every option value any command can receive, as node:util parseArgs gives them. */
export interface CliValues {
  help?: boolean;
  version?: boolean;
  plain?: boolean;
  json?: boolean;
  debug?: boolean;
  console?: boolean;
  'on-error'?: string;
  force?: boolean;
  output?: string;
  var?: string[];
  /** Variable files (`-var-file`), in order; later ones win. */
  'var-file'?: string[];
  /** Packer's `-only`: builds to keep (comma lists allowed, repeatable). */
  only?: string[];
  /** Packer's `-except`: builds to leave out. */
  except?: string[];
  /** Packer's `-color=false`: no colours (as NO_COLOR). */
  color?: string;
  'cache-dir'?: string;
  'log-dir'?: string;
  verbose?: boolean;
  /** setup: accept defaults without asking. */
  yes?: boolean;
  /** setup: key=value settings edits (repeatable). */
  set?: string[];
  /** setup: generate the SSH key pair. */
  'ssh-key'?: boolean;
  /** profiles: names only (shell completion). */
  names?: boolean;
  /** build: more artifacts for this build (raw,vmdk,vdi,vhd,vhdx,containerdisk…), comma lists, repeatable. */
  also?: string[];
  /** build: a timestamp on the output folder's name. */
  timestamp?: boolean;
  /** build: how many builds run side by side. */
  jobs?: string;
  /** build: Packer's -parallel-builds=N, the same as --jobs. */
  'parallel-builds'?: string;
  /** build: a file listing the profiles to build, one a line. */
  list?: string;
  /** kube job: the registry reference the containerDisk is pushed to. */
  push?: string;
  /** kube job: where the Containerfile of vmbench's own image is written. */
  containerfile?: string;
  /** kube job: vmbench's container image the Job runs. */
  image?: string;
  /** kube job: how the pod gets /dev/kvm (device-plugin, privileged, none). */
  kvm?: string;
}

export const HELP: OptionSpec = {name: 'help', short: 'h', type: 'boolean', description: 'this help', packer: true};
export const VERSION: OptionSpec = {name: 'version', type: 'boolean', description: 'print the version', packer: true};

const O = {
  var: {name: 'var', type: 'string', multiple: true, value: 'NAME=VALUE', description: 'set a template/profile variable (repeatable)', packer: true},
  varFile: {name: 'var-file', type: 'string', multiple: true, value: 'FILE', description: 'variables from a file (*.pkrvars.hcl, JSON); later files win', packer: true, complete: 'file'},
  only: {name: 'only', type: 'string', multiple: true, value: 'A,B', description: "only these builds of a template (names or types, Packer's -only)", packer: true},
  except: {name: 'except', type: 'string', multiple: true, value: 'A,B', description: 'all builds but these', packer: true},
  color: {name: 'color', type: 'string', value: 'BOOL', description: 'false: no colours (as NO_COLOR; Packer\'s -color=false)', packer: true, complete: {choices: ['true', 'false']}},
  json: (what: string): OptionSpec => ({name: 'json', type: 'boolean', description: what}),
} satisfies Record<string, OptionSpec | ((s: string) => OptionSpec)>;

/** What `<profile|template>` may be. */
const TARGET = 'The profile is a name (see vmbench profiles), a profile.yaml or its folder, a Packer JSON\ntemplate, a *.pkr.hcl file or a folder of them.';

const TEMPLATE_OPTIONS: readonly OptionSpec[] = [O.var, O.varFile, O.only, O.except];

const BUILD_OPTIONS: readonly OptionSpec[] = [
  {name: 'plain', type: 'boolean', description: 'print events as lines (default without a terminal or with CI set)'},
  O.json('print one JSON event per line'),
  {name: 'debug', type: 'boolean', description: 'pause before every step (Enter runs it, s skips, a aborts), with a screenshot', packer: true},
  {name: 'console', type: 'boolean', description: "show the VM's screen full-screen while building, with key passthrough"},
  {
    name: 'on-error',
    type: 'string',
    value: 'MODE',
    description: 'cleanup (default) | abort (keep VM and files) | ask',
    packer: true,
    complete: {choices: ['cleanup', 'abort', 'ask']},
    choices: ['cleanup', 'abort', 'ask'],
    refused: {'run-cleanup-provisioner': 'vmbench runs no error-cleanup-provisioner; cleanup removes the VM and files as Packer does after it'},
  },
  {name: 'force', type: 'boolean', description: 'replace an existing output directory', packer: true},
  {name: 'output', short: 'o', type: 'string', value: 'DIR', description: "output directory (default: the profile's output_directory)", complete: 'dir'},
  ...TEMPLATE_OPTIONS,
  {name: 'cache-dir', type: 'string', value: 'DIR', description: 'ISO cache (default: $XDG_CACHE_HOME/vmbench)', complete: 'dir'},
  {name: 'log-dir', type: 'string', value: 'DIR', description: 'where build.log, serial.log and events.jsonl go', complete: 'dir'},
  {name: 'verbose', short: 'v', type: 'boolean', description: 'include debug lines'},
  {
    name: 'also',
    type: 'string',
    multiple: true,
    value: 'FORMATS',
    description: 'more artifacts beside the image, comma-separated: raw, qcow2 (compressed), vmdk, vdi, vhd, vhd-fixed, vhdx, containerdisk, containerdisk-docker',
    complete: {choices: ['raw', 'qcow2', 'vmdk', 'vdi', 'vhd', 'vhd-fixed', 'vhdx', 'containerdisk', 'containerdisk-docker']},
  },
  {name: 'push', type: 'string', value: 'REF', description: 'push the containerDisk (--also containerdisk) to this registry reference; credentials from VMBENCH_REGISTRY_USER/VMBENCH_REGISTRY_PASSWORD'},
  {name: 'timestamp', type: 'boolean', description: 'add the start time to the output folder\'s name (output-NAME-YYYYMMDD-HHMMSS)'},
  {name: 'jobs', short: 'j', type: 'string', value: 'N', description: 'with several profiles: how many build side by side (default: what the CPU/memory budget allows)'},
  {name: 'parallel-builds', type: 'string', value: 'N', description: "Packer's name of --jobs (0: no cap)", packer: true, hidden: true},
  {name: 'list', type: 'string', value: 'FILE', description: 'build the profiles listed in FILE (one a line, # comments)', complete: 'file'},
];

const lazy =
  <M, K extends keyof M>(load: () => Promise<M>, key: K) =>
  async (args: string[], values: CliValues): Promise<number> =>
    ((await load())[key] as (a: string[], v: CliValues) => Promise<number>)(args, values);

/** Bad usage: the message names what was wrong and, when it can, what was meant. Exit status 2. */
export class UsageError extends Error {
  constructor(
    message: string,
    /** The command whose usage to point at. */
    readonly command?: CommandSpec,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

export const COMMANDS: readonly CommandSpec[] = [
  {
    name: 'build',
    args: '<profile|template>...',
    summary: 'build an image from a profile or a Packer template',
    details:
      `${TARGET}\n` +
      "In a terminal `vmbench build` shows the workbench's build view; --plain/--json print lines.\n" +
      'vmbench build a b c (or --list FILE): several builds side by side, each in its own process, as\n' +
      "many at once as the host's CPUs and memory allow (--jobs N caps it), then a summary table;\n" +
      '--output DIR puts each build in DIR/<name>. A template with several builds builds them all\n' +
      'the same way, as packer build does (-only/-except choose among them).\n' +
      'Exit status: 0 success, 1 build failed (also when its VM is kept: --on-error=abort, the\n' +
      "workbench's keep; see vmbench ps / vmbench stop), 2 bad usage or profile, 130 cancelled.\n" +
      'Ctrl-C once: cancel and clean up. Twice: stop at once (QEMU is killed, the unfinished build removed).',
    argKinds: ['profile'],
    options: BUILD_OPTIONS,
    run: lazy(() => import('./build-command.js'), 'buildCommand'),
  },
  {
    name: 'validate',
    args: '<profile|template>',
    summary: 'check a profile or template: every problem with file:line',
    details:
      `${TARGET}\n` +
      'Exit status: 0 when the build can run as intended (warnings, if any, are printed with file:line),\n' +
      "2 when it cannot (errors, or a file it refers to is missing). Packer's -syntax-only is not needed:\n" +
      'validate never starts anything.',
    argKinds: ['profile'],
    options: [...TEMPLATE_OPTIONS, O.json('the result as one JSON object: {ok, builds, errors, warnings}')],
    run: lazy(() => import('./validate-command.js'), 'validateCommand'),
  },
  {
    name: 'inspect',
    args: '<profile|template>',
    summary: 'what a template holds: variables, builds, provisioners',
    details: TARGET,
    argKinds: ['profile'],
    options: [...TEMPLATE_OPTIONS, O.json('as JSON')],
    run: lazy(() => import('./inspect-command.js'), 'inspectCommand'),
  },
  {
    name: 'import',
    args: '<template> <dir>',
    summary: 'write a Packer template as a vmbench profile into dir',
    argKinds: ['profile', 'dir'],
    options: [...TEMPLATE_OPTIONS, {name: 'force', type: 'boolean', description: 'write into a directory that is not empty', packer: true}],
    run: lazy(() => import('./import-command.js'), 'importCommand'),
  },
  {
    name: 'init',
    args: '<profile> <dir>',
    summary: 'copy a profile into dir to start your own from',
    details:
      'The profile is a built-in or user profile name (see vmbench profiles), or a profile folder or\n' +
      'profile.yaml. Everything in its folder is copied (answer files, scripts), build outputs are not;\n' +
      'the copy is validated and the next command printed. A folder that is not empty is refused\n' +
      'without --force; a file already there is never replaced. A Packer template: use vmbench import.',
    argKinds: ['profile', 'dir'],
    options: [{name: 'force', type: 'boolean', description: 'copy into a folder that is not empty (never replacing a file)', packer: true}],
    run: lazy(() => import('./init-command.js'), 'initCommand'),
  },
  {
    name: 'profiles',
    args: '',
    summary: 'the profiles it can find, their ISOs (cached?) and last builds',
    argKinds: ['none'],
    options: [
      O.json('as a JSON array'),
      {name: 'cache-dir', type: 'string', value: 'DIR', description: 'ISO cache to look in (default: the settings\' one)', complete: 'dir'},
      {name: 'names', type: 'boolean', description: 'names only, one a line (shell completion)', hidden: true},
    ],
    run: lazy(() => import('./profiles-command.js'), 'profilesCommand'),
  },
  {
    name: 'screenshot',
    args: '[build-id]',
    summary: "save a PNG of a running build's VM screen",
    argKinds: ['none'],
    options: [{name: 'output', short: 'o', type: 'string', value: 'FILE', description: 'where the PNG goes', complete: 'file'}],
    run: lazy(() => import('./screenshot-command.js'), 'screenshotCommand'),
  },
  {
    name: 'ps',
    args: '',
    summary: 'running builds and kept VMs, with their VNC/SSH addresses',
    details: 'A VM kept on purpose (--on-error=abort, the workbench\'s "keep") runs on after vmbench exits:\nit is listed here until vmbench stop ends it. --json adds its VNC password.',
    argKinds: ['none'],
    options: [O.json('as a JSON array')],
    run: lazy(() => import('./ps-command.js'), 'psCommand'),
  },
  {
    name: 'stop',
    args: '<build-id|pid>',
    summary: 'stop a kept VM, or cancel a running build',
    details:
      'Takes a build id (or a unique prefix) or a PID, as vmbench ps lists them. A kept VM: QMP quit,\n' +
      'SIGTERM, then SIGKILL, each after a grace; its files stay. A running build: SIGINT to its\n' +
      'vmbench, which cleans up as on Ctrl-C.\n' +
      'Exit status: 0 stopped, 1 not found or still running, 2 ambiguous.',
    argKinds: ['none'],
    options: [],
    run: lazy(() => import('./stop-command.js'), 'stopCommand'),
  },
  {
    name: 'sections',
    args: '<log>',
    summary: 'the BEGIN{…}/END{…} sections of a build.log or a Packer log',
    argKinds: ['file'],
    options: [O.json('as JSON')],
    run: lazy(() => import('./sections-command.js'), 'sectionsCommand'),
  },
  {
    name: 'setup',
    args: '',
    summary: 'check this host (QEMU, KVM, disk, tools), edit settings',
    argKinds: ['none'],
    options: [
      {name: 'yes', short: 'y', type: 'boolean', description: 'accept the defaults without asking'},
      {name: 'plain', type: 'boolean', description: 'checks as lines, nothing saved'},
      {name: 'set', type: 'string', multiple: true, value: 'KEY=VALUE', description: 'edit one setting (repeatable)'},
      {name: 'ssh-key', type: 'boolean', description: 'make ~/.ssh/vmbench_ed25519 (never overwrites)'},
    ],
    run: lazy(() => import('./setup-command.js'), 'setupCommand'),
  },
  {
    name: 'kube',
    args: 'job <profile>',
    summary: 'a Kubernetes Job building the profile, and its Containerfile',
    details:
      'vmbench kube job <profile> prints a Job manifest running `vmbench build --json` in a container:\n' +
      '/dev/kvm through the KubeVirt device plugin resource when the node has it, TCG otherwise; the\n' +
      'output goes to a volume, or is pushed as a KubeVirt containerDisk with --push REF.\n' +
      'See docs/kubernetes.md for running a matrix of profiles as a fleet of Jobs.',
    argKinds: ['none', 'profile'],
    options: [
      {name: 'push', type: 'string', value: 'REF', description: 'push the image as a containerDisk to this registry reference (docker://… or host/repo:tag)'},
      {name: 'image', type: 'string', value: 'REF', description: "vmbench's own container image the Job runs"},
      {name: 'containerfile', type: 'string', value: 'FILE', description: "also write the Containerfile of vmbench's image to FILE", complete: 'file'},
      {
        name: 'kvm',
        type: 'string',
        value: 'MODE',
        description: "how the pod gets /dev/kvm: device-plugin (default: KubeVirt's devices.kubevirt.io/kvm resource) | privileged (hostPath /dev/kvm, privileged container) | none (TCG)",
        complete: {choices: ['device-plugin', 'privileged', 'none']},
        choices: ['device-plugin', 'privileged', 'none'],
      },
      ...TEMPLATE_OPTIONS,
    ],
    run: lazy(() => import('./kube-command.js'), 'kubeCommand'),
  },
  {
    name: 'completion',
    args: '<bash|zsh|fish>',
    summary: 'a shell completion script for bash, zsh or fish',
    details:
      'bash:  echo \'eval "$(vmbench completion bash)"\' >> ~/.bashrc\n' +
      'zsh:   echo \'eval "$(vmbench completion zsh)"\' >> ~/.zshrc\n' +
      'fish:  vmbench completion fish > ~/.config/fish/completions/vmbench.fish',
    argKinds: ['shell'],
    options: [],
    run: lazy(() => import('./completion.js'), 'completionCommand'),
  },
  {
    name: 'help',
    args: '[command]',
    summary: "a command's options (as vmbench <command> --help)",
    argKinds: ['command'],
    options: [],
    run: async (args) => (await import('./help.js')).helpCommand(args),
  },
];

/** `vmbench` alone: the workbench. */
export const WORKBENCH_OPTIONS: readonly OptionSpec[] = [
  {name: 'debug', type: 'boolean', description: 'arm debug mode in the picker', packer: true},
  {name: 'cache-dir', type: 'string', value: 'DIR', description: 'ISO cache (default: $XDG_CACHE_HOME/vmbench)', complete: 'dir'},
];

export function findCommand(name: string): CommandSpec | undefined {
  return COMMANDS.find((c) => c.name === name);
}

/** Every command takes these (Packer's -color=false means what NO_COLOR means). */
export const COMMON_OPTIONS: readonly OptionSpec[] = [O.color, HELP];

/** The options `vmbench <command>` takes, with the common ones (and --version without a command). */
export function optionsOf(command: CommandSpec | undefined): OptionSpec[] {
  return command ? [...command.options, ...COMMON_OPTIONS] : [...WORKBENCH_OPTIONS, ...COMMON_OPTIONS, VERSION];
}

/** Packer's single-dash flags that vmbench does not take, with what to use instead. */
export const PACKER_ONLY_FLAGS: Readonly<Record<string, string>> = {
  'machine-readable': 'vmbench has --json (one event per line)',
  'timestamp-ui': 'build.log has a time on every line',
  'syntax-only': 'validate never starts anything; leave it out',
  'evaluate-datasources': 'vmbench has no data sources',
  'warn-on-undeclared-var': 'undeclared variables are always reported',
  'no-warn-undeclared-var': 'leave it out',
};
