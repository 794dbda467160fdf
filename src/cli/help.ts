/** `vmbench --help` and `vmbench <command> --help`, written from the command table. */
import {COMMANDS, COMMON_OPTIONS, findCommand, WORKBENCH_OPTIONS, type CommandSpec, type OptionSpec} from './commands.js';
import {closest} from '../util/suggest.js';

const usageLine = (c: CommandSpec): string => `vmbench ${c.name}${c.args ? ` ${c.args}` : ''}${c.options.some((o) => !o.hidden) ? ' [options]' : ''}`;

/** `  -o, --output DIR     what it does` lines, aligned. */
export function optionLines(options: readonly OptionSpec[]): string[] {
  const shown = options.filter((o) => !o.hidden);
  const left = shown.map((o) => `${o.short ? `-${o.short}, ` : '    '}--${o.name}${o.value ? ` ${o.value}` : ''}`);
  const w = Math.min(28, Math.max(...left.map((l) => l.length)) + 2);
  return shown.map((o, i) => {
    const l = left[i]!;
    const text = o.description;
    return l.length >= w ? `  ${l}\n  ${' '.repeat(w)}${text}` : `  ${l.padEnd(w)}${text}`;
  });
}

/** The overview: every command, one line each. */
export function overview(): string {
  const rows: [string, string][] = [
    ['vmbench', 'the workbench (in a terminal): pick, build, watch'],
    ...COMMANDS.map((c): [string, string] => [`vmbench ${c.name}${c.args ? ` ${c.args}` : ''}`, c.summary]),
    ['vmbench --help | --version', ''],
  ];
  const w = Math.min(36, Math.max(...rows.map(([l]) => l.length)) + 2);
  const lines = rows.map(([l, r]) => (!r ? `  ${l}` : l.length >= w ? `  ${l}\n  ${' '.repeat(w)}${r}` : `  ${l.padEnd(w)}${r}`));
  return [
    'vmbench — build VM images with QEMU, every stage visible and steerable',
    '',
    'Usage:',
    ...lines,
    '',
    'Options of the workbench:',
    ...optionLines([...WORKBENCH_OPTIONS, ...COMMON_OPTIONS]),
    '',
    "`vmbench <command> --help` lists a command's options. Packer's spellings work too:",
    '-var NAME=VALUE, -var-file=FILE, -only=a,b, -except=x, -force, -on-error=abort, -debug.',
    'NO_COLOR (any value) turns colours off everywhere.',
  ].join('\n');
}

/** One command's help: usage, what it does, its options. */
export function commandHelp(c: CommandSpec): string {
  const packer = [...c.options, ...COMMON_OPTIONS].filter((o) => o.packer && !o.hidden && o.name !== 'help').map((o) => `-${o.name}`);
  return [
    `usage: ${usageLine(c)}`,
    '',
    c.summary.charAt(0).toUpperCase() + c.summary.slice(1) + '.',
    ...(c.details ? ['', c.details] : []),
    '',
    'Options:',
    ...optionLines([...c.options, ...COMMON_OPTIONS]),
    ...(packer.length ? ['', `Packer's one-dash spellings are accepted too: ${packer.join(', ')}.`] : []),
  ].join('\n');
}

/** `vmbench help [command]`. */
export async function helpCommand(args: string[]): Promise<number> {
  if (!args.length) {
    process.stdout.write(`${overview()}\n`);
    return 0;
  }
  const c = findCommand(args[0]!);
  if (!c) {
    const guess = closest(args[0]!, COMMANDS.map((x) => x.name));
    process.stderr.write(`vmbench: no command "${args[0]}"${guess ? ` — did you mean "${guess}"?` : ''}\n`);
    return 2;
  }
  process.stdout.write(`${commandHelp(c)}\n`);
  return 0;
}
