/**
 * Entry point. Kept tiny and import-light so `vmbench --help` starts fast: the command table
 * (commands.ts) is data, and each command's module is imported only when that command runs.
 */
import {parseCommandLine, UsageError} from './argv.js';
import type {CliValues} from './commands.js';

export type {CliValues} from './commands.js';

export async function main(argv: string[]): Promise<void> {
  let parsed;
  try {
    parsed = parseCommandLine(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    const see = err.command ? `vmbench ${err.command.name} --help` : 'vmbench --help';
    process.stderr.write(`${err.message}${err.message.includes('--help') ? '' : ` (see ${see})`}\n`);
    process.exitCode = 2;
    return;
  }
  const {command, args, values} = parsed;
  applyColorChoice(values);
  if (values.version && !command) {
    const {readFileSync} = await import('node:fs');
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {version: string};
    process.stdout.write(`vmbench ${pkg.version}\n`);
    return;
  }
  if (values.help) {
    const help = await import('./help.js');
    process.stdout.write(`${command ? help.commandHelp(command) : help.overview()}\n`);
    return;
  }
  if (!command) {
    // No command: the interactive workbench (it explains itself and exits 2 without a terminal).
    const {workbenchCommand} = await import('./workbench-command.js');
    process.exitCode = await workbenchCommand(values);
    return;
  }
  try {
    process.exitCode = await command.run(args, values);
  } catch (err) {
    // Bad usage found by the command itself is exit status 2; anything else is a crash (bin/vmbench).
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`${err.message}\n`);
    process.exitCode = 2;
  }
}

/**
 * Packer's `-color=false` means what NO_COLOR means, so everything below reads one variable
 * (https://no-color.org: present and not empty turns colour off).
 */
function applyColorChoice(values: CliValues): void {
  const c = values.color?.toLowerCase();
  if (c === 'false' || c === '0' || c === 'no') process.env.NO_COLOR = '1';
}
