/**
 * The command line, read against the command table (commands.ts): which command, its
 * positionals and option values. Packer's spellings are accepted beside vmbench's — `-var N=V`,
 * `-var-file=F`, `-only=a,b`, `-force`, `-on-error=abort`, `-debug` (one dash, long names) — by
 * rewriting them to `--name` before node:util parseArgs, which reads only two-dash long options.
 * Unknown commands and options are answered with the closest known one ("did you mean").
 */
import {parseArgs} from 'node:util';
import {closest} from '../util/suggest.js';
import {COMMANDS, findCommand, optionsOf, PACKER_ONLY_FLAGS, UsageError, type CliValues, type CommandSpec, type OptionSpec} from './commands.js';

export {UsageError};

export interface ParsedCommandLine {
  /** Undefined: no command (the workbench, or --help / --version). */
  command?: CommandSpec;
  args: string[];
  values: CliValues;
}

/** Every option of every command, by name (to tell an option of another command from a typo). */
const ALL_OPTIONS = new Map<string, {spec: OptionSpec; commands: string[]}>();
for (const c of [undefined, ...COMMANDS]) {
  for (const o of optionsOf(c)) {
    const e = ALL_OPTIONS.get(o.name) ?? {spec: o, commands: []};
    if (c) e.commands.push(c.name);
    ALL_OPTIONS.set(o.name, e);
  }
}

const takesValue = (o: OptionSpec | undefined): boolean => o?.type === 'string';

/** The option a token names (`--name`, `--name=v`, `-name` of Packer, `-x` short), if any. */
function optionOfToken(tok: string, options: readonly OptionSpec[]): {spec: OptionSpec; inline: boolean} | undefined {
  if (tok.startsWith('--')) {
    const name = tok.slice(2).split('=')[0]!;
    const spec = options.find((o) => o.name === name);
    return spec && {spec, inline: tok.includes('=')};
  }
  if (/^-[^-]$/.test(tok)) {
    const spec = options.find((o) => o.short === tok[1]);
    return spec && {spec, inline: false};
  }
  return undefined;
}

/**
 * Packer's single-dash long options (`-var`, `-only=a,b`) as `--name…`, for the options that
 * accept it. Values are left alone (a `-var` value may itself start with a dash), and so is
 * everything after `--`.
 */
export function translatePackerFlags(argv: readonly string[], options: readonly OptionSpec[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const tok = argv[i]!;
    if (tok === '--') {
      out.push(...argv.slice(i));
      break;
    }
    let t = tok;
    const m = /^-([a-z][a-z-]+)(=.*)?$/.exec(tok);
    if (m && options.some((o) => o.packer && o.name === m[1])) t = `-${tok}`;
    out.push(t);
    const hit = optionOfToken(t, options);
    if (hit && takesValue(hit.spec) && !hit.inline && i + 1 < argv.length) out.push(argv[++i]!);
  }
  return out;
}

/** The command's name and where it stands: the first token that is neither an option nor an option's value. */
function findCommandToken(argv: readonly string[]): number {
  const all = [...ALL_OPTIONS.values()].map((e) => e.spec);
  for (let i = 0; i < argv.length; i++) {
    const tok = argv[i]!;
    if (tok === '--') return i + 1 < argv.length ? i + 1 : -1;
    if (!tok.startsWith('-') || tok === '-') return i;
    const t = /^-[a-z][a-z-]+/.test(tok) ? `-${tok}` : tok;
    const hit = optionOfToken(t, all);
    if (hit && takesValue(hit.spec) && !hit.inline) i++;
  }
  return -1;
}

/** "did you mean" for an option this command does not take. */
function unknownOption(tok: string, command: CommandSpec | undefined, options: readonly OptionSpec[]): UsageError {
  const where = command ? `vmbench ${command.name}` : 'vmbench';
  const raw = tok.replace(/^-+/, '').split('=')[0]!;
  const shown = tok.split('=')[0]!;
  if (PACKER_ONLY_FLAGS[raw] && !options.some((o) => o.name === raw)) return new UsageError(`${where}: ${shown} is a Packer option vmbench does not take: ${PACKER_ONLY_FLAGS[raw]}`, command);
  const other = ALL_OPTIONS.get(raw);
  if (other && !options.some((o) => o.name === raw) && other.commands.length) {
    return new UsageError(`${where}: --${raw} is an option of ${other.commands.map((c) => `vmbench ${c}`).join(', ')}, not of ${where}`, command);
  }
  const guess = raw.length > 1 ? options.find((o) => !o.hidden && o.name === closest(raw, options.filter((x) => !x.hidden).map((x) => x.name))) : undefined;
  // Suggest in the user's own spelling: `-forse` gets `-force` (Packer's), `--forse` gets `--force`.
  const spelt = guess && (guess.packer && !tok.startsWith('--') ? `-${guess.name}` : `--${guess.name}`);
  return new UsageError(`${where}: unknown option ${shown}${spelt ? ` — did you mean ${spelt}?` : ''} (see ${where} --help)`, command);
}

/** Reads the command line; throws UsageError for anything it cannot take. */
export function parseCommandLine(argv: readonly string[]): ParsedCommandLine {
  const at = findCommandToken(argv);
  let command: CommandSpec | undefined;
  let rest = [...argv];
  if (at >= 0) {
    const name = argv[at]!;
    command = findCommand(name);
    if (!command) {
      const guess = closest(name, COMMANDS.map((c) => c.name));
      throw new UsageError(`vmbench: unknown command "${name}"${guess ? ` — did you mean "vmbench ${guess}"?` : ''} (commands: ${COMMANDS.map((c) => c.name).join(', ')})`);
    }
    rest = [...argv.slice(0, at), ...argv.slice(at + 1)];
  }
  const options = optionsOf(command);
  const tokens = translatePackerFlags(rest, options);
  // Unknown options first, with a suggestion; parseArgs would only say "Unknown option".
  for (let i = 0; i < tokens.length; i++) {
    const tok = tokens[i]!;
    if (tok === '--') break;
    if (!tok.startsWith('-') || tok === '-') continue;
    if (/^-[^-]{2,}/.test(tok)) {
      // A single-dash word that is no Packer option of this command (`-forse`, `-vy`).
      // `-vy` is -v -y. `-ofile` (parseArgs' -o file) is refused: `-on-eror` would be -o "n-eror".
      const bundle = /^-[a-zA-Z]+$/.test(tok) && [...tok.slice(1)].every((ch) => options.some((o) => o.short === ch && o.type === 'boolean'));
      if (!bundle) throw unknownOption(tok, command, options);
      continue;
    }
    const hit = optionOfToken(tok, options);
    if (!hit) throw unknownOption(tok, command, options);
    if (takesValue(hit.spec) && !hit.inline) i++;
  }
  let parsed;
  try {
    parsed = parseArgs({
      args: tokens,
      allowPositionals: true,
      strict: true,
      options: Object.fromEntries(options.map((o) => [o.name, {type: o.type, ...(o.short ? {short: o.short} : {}), ...(o.multiple ? {multiple: true} : {})}])),
    });
  } catch (err) {
    throw new UsageError(`${command ? `vmbench ${command.name}` : 'vmbench'}: ${(err as Error).message}`, command);
  }
  const values = parsed.values as CliValues;
  for (const o of options) {
    const v = (values as Record<string, unknown>)[o.name];
    if (!o.choices || typeof v !== 'string' || o.choices.includes(v)) continue;
    const where = command ? `vmbench ${command.name}` : 'vmbench';
    const why = o.refused?.[v];
    const guess = why ? undefined : closest(v, o.choices);
    throw new UsageError(`${where}: --${o.name} is one of ${o.choices.join(', ')} (got "${v}")${why ? `: ${why}` : guess ? ` — did you mean ${guess}?` : ''}`, command);
  }
  // -only=a,b and --only a --only b mean the same.
  for (const k of ['only', 'except'] as const) {
    if (values[k]) values[k] = values[k].flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean);
  }
  return {command, args: parsed.positionals, values};
}
