/**
 * Entry point. Kept tiny and import-light so `vmbench --help` starts fast: each command's
 * module is imported only when that command runs.
 */
import {parseArgs} from 'node:util';

export const USAGE = `vmbench — build VM images with QEMU, every stage visible and steerable

Usage:
  vmbench [--debug]                   the workbench (in a terminal): pick a profile, build, watch
  vmbench build <profile> [options]   build an image (profile name or path)
  vmbench validate <profile>          check a profile and report every problem with file:line
  vmbench profiles                    list the profiles it can find
  vmbench screenshot [build-id] [-o F] save a PNG of a running build's VM screen
  vmbench sections <log> [--json]     the BEGIN{…}/END{…} section tree of a vmbench or Packer log
  vmbench setup [--yes] [--set K=V]   check this host (QEMU, KVM, disk, tools) and edit settings;
                                      --yes accepts defaults, --set key=value edits one setting,
                                      --ssh-key makes ~/.ssh/vmbench_ed25519 (never overwrites)
  vmbench --help | --version

Build options (in a terminal, \`vmbench build\` shows the workbench's build view):
  --plain               print events as lines (default without a terminal or with CI set)
  --json                print one JSON event per line
  --debug               pause before every step (Enter runs it, s skips, a aborts);
                        a screenshot of the VM is saved at every pause and on failure
  --console             show the VM's screen full-screen while building, with key passthrough
  --on-error=MODE       cleanup (default) | abort (keep VM and files) | ask
  --force               replace an existing output directory
  --output DIR          output directory (default: the profile's output_directory)
  --var NAME=VALUE      set a profile variable (repeatable)
  --cache-dir DIR       ISO cache (default: $XDG_CACHE_HOME/vmbench)
  --log-dir DIR         where build.log, serial.log and events.jsonl go
  -v, --verbose         include debug lines

Exit status: 0 success, 1 build failed, 2 bad usage or profile, 130 cancelled.
Ctrl-C once: cancel and clean up. Twice: stop at once (QEMU is killed, files are kept).`;

export async function main(argv: string[]): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        help: {type: 'boolean', short: 'h'},
        version: {type: 'boolean'},
        plain: {type: 'boolean'},
        json: {type: 'boolean'},
        debug: {type: 'boolean'},
        console: {type: 'boolean'},
        'on-error': {type: 'string'},
        force: {type: 'boolean'},
        output: {type: 'string', short: 'o'},
        var: {type: 'string', multiple: true},
        'cache-dir': {type: 'string'},
        'log-dir': {type: 'string'},
        verbose: {type: 'boolean', short: 'v'},
        yes: {type: 'boolean', short: 'y'},
        set: {type: 'string', multiple: true},
        'ssh-key': {type: 'boolean'},
      },
    });
  } catch (err) {
    process.stderr.write(`vmbench: ${(err as Error).message}\n\n${USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  const {values, positionals} = parsed;
  const [command, ...rest] = positionals;
  if (values.version) {
    const {readFileSync} = await import('node:fs');
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {version: string};
    process.stdout.write(`vmbench ${pkg.version}\n`);
    return;
  }
  if (!command && !values.help) {
    // No command: the interactive workbench (it explains itself and exits 2 without a terminal).
    const {workbenchCommand} = await import('./workbench-command.js');
    process.exitCode = await workbenchCommand(values);
    return;
  }
  if (values.help || !command) {
    process.stdout.write(`${USAGE}\n`);
    if (!command && !values.help) process.exitCode = 2;
    return;
  }
  switch (command) {
    case 'build': {
      const {buildCommand} = await import('./build-command.js');
      process.exitCode = await buildCommand(rest, values);
      return;
    }
    case 'validate': {
      const {validateCommand} = await import('./validate-command.js');
      process.exitCode = await validateCommand(rest, values);
      return;
    }
    case 'screenshot': {
      const {screenshotCommand} = await import('./screenshot-command.js');
      process.exitCode = await screenshotCommand(rest, values);
      return;
    }
    case 'sections': {
      const {sectionsCommand} = await import('./sections-command.js');
      process.exitCode = await sectionsCommand(rest, values);
      return;
    }
    case 'setup': {
      const {setupCommand} = await import('./setup-command.js');
      process.exitCode = await setupCommand(rest, values);
      return;
    }
    case 'profiles': {
      const {profilesCommand} = await import('./validate-command.js');
      process.exitCode = await profilesCommand();
      return;
    }
    default:
      process.stderr.write(`vmbench: unknown command "${command}"\n\n${USAGE}\n`);
      process.exitCode = 2;
  }
}

export type CliValues = {
  plain?: boolean;
  json?: boolean;
  debug?: boolean;
  console?: boolean;
  'on-error'?: string;
  force?: boolean;
  output?: string;
  var?: string[];
  'cache-dir'?: string;
  'log-dir'?: string;
  verbose?: boolean;
  /** setup: accept defaults without asking. */
  yes?: boolean;
  /** setup: key=value settings edits (repeatable). */
  set?: string[];
  /** setup: generate the SSH key pair. */
  'ssh-key'?: boolean;
};
