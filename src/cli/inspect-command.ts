/**
 * `vmbench inspect <template|profile> [--json]`: what a template holds, as `packer inspect`
 * shows it — variables (required ones, defaults; sensitive ones as <sensitive>), the builds
 * vmbench would run with their provisioners and post-processors (only/except applied per
 * build, which Packer's inspect does not do), and what loads with a warning or an error.
 * It reads without checking (as Packer's does), so it works on a template that does not
 * validate yet.
 */
import {ProfileError, readDocuments, type ProfileFormat} from '../profiles/loader.js';
import type {ProfileDocument, ProfileIssue} from '../profiles/document.js';
import {loadOptions} from '../session/load-options.js';
import {resolveProfileArg} from '../session/paths.js';
import type {CliValues} from './commands.js';

export const SENSITIVE = '<sensitive>';

export interface InspectVariable {
  name: string;
  /** The default as written (templates unrendered), or <sensitive>; absent when required. */
  default?: string;
  required: boolean;
  sensitive: boolean;
}

export interface InspectStep {
  type: string;
  /** What it runs or writes, in a few words (a script, the first inline line, an output). */
  detail?: string;
}

export interface InspectBuild {
  name: string;
  provisioners: InspectStep[];
  /** Sequences: each starts from the build's image. */
  post_processors: InspectStep[][];
}

export interface InspectModel {
  file: string;
  format: ProfileFormat;
  description?: string;
  variables: InspectVariable[];
  builds: InspectBuild[];
  warnings: string[];
  errors: string[];
}

const FORMAT_NAMES: Record<ProfileFormat, string> = {'vmbench': 'vmbench profile', 'packer-json': 'Packer JSON template', 'packer-hcl2': 'Packer HCL2 template'};

/** A short description of one provisioner or post-processor. */
function stepOf(raw: unknown): InspectStep {
  const o = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
  const list = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : typeof v === 'string' ? [v] : []);
  const first = (v: unknown): string | undefined => list(v)[0];
  const inline = list(o.inline);
  const detail =
    typeof o.name === 'string' ? o.name
    : o.script !== undefined ? String(o.script)
    : o.scripts !== undefined ? list(o.scripts).join(', ')
    : inline.length ? `inline: ${inline[0]}${inline.length > 1 ? ` (+${inline.length - 1} more)` : ''}`
    : o.playbook_file !== undefined ? String(o.playbook_file)
    : o.destination !== undefined ? `${first(o.sources) ?? String(o.source ?? o.content ?? '')} → ${String(o.destination)}`
    : o.output !== undefined ? String(o.output)
    : undefined;
  return {type: String(o.type ?? '?'), ...(detail !== undefined ? {detail} : {})};
}

/** The inspect model of a front end's documents; every sensitive value is replaced by <sensitive>. */
export function inspectModel(file: string, format: ProfileFormat, documents: ProfileDocument[], knownSecrets: readonly string[] = []): InspectModel {
  const first = documents[0];
  const sensitiveNames = new Set(first?.sensitiveVariables ?? []);
  const declared = (first?.inputVariables ?? first?.raw.variables ?? {}) as Record<string, unknown>;
  const secrets = [...knownSecrets, ...(first?.sensitiveValues ?? [])];
  for (const n of sensitiveNames) if (typeof declared[n] === 'string' || typeof declared[n] === 'number') secrets.push(String(declared[n]));
  const redact = (s: string): string => secrets.filter((x) => x.length > 0).reduce((t, x) => t.split(x).join(SENSITIVE), s);
  const variables = Object.entries(declared).map(([name, v]): InspectVariable => {
    const sensitive = sensitiveNames.has(name);
    const required = v === null || v === undefined;
    const shown = required ? undefined : sensitive ? SENSITIVE : redact(typeof v === 'string' ? v : JSON.stringify(v));
    return {name, required, sensitive, ...(shown !== undefined ? {default: shown} : {})};
  });
  const clean = (s: InspectStep): InspectStep => (s.detail === undefined ? s : {...s, detail: redact(s.detail)});
  const builds = documents.map((d): InspectBuild => ({
    name: typeof d.raw.name === 'string' ? d.raw.name : d.defaultName,
    provisioners: (Array.isArray(d.raw.provisioners) ? d.raw.provisioners : []).map((p) => clean(stepOf(p))),
    post_processors: (Array.isArray(d.raw.post_processors) ? d.raw.post_processors : []).map((seq) => (Array.isArray(seq) ? seq : [seq]).map((p) => clean(stepOf(p)))),
  }));
  const line = (i: ProfileIssue): string => redact(`${i.file}:${i.line}:${i.col}: ${i.field ? `${i.field}: ` : ''}${i.message}`);
  const uniq = (xs: string[]): string[] => [...new Set(xs)];
  return {
    file,
    format,
    ...(typeof first?.raw.description === 'string' && first.raw.description ? {description: redact(first.raw.description)} : {}),
    variables,
    builds,
    warnings: uniq(documents.flatMap((d) => (d.warnings ?? []).map(line))),
    errors: uniq(documents.flatMap((d) => (d.issues ?? []).map(line))),
  };
}

/** The model as text, in `packer inspect`'s sections. */
export function formatInspect(m: InspectModel): string {
  const out: string[] = [`${m.file}: ${FORMAT_NAMES[m.format]}${m.description ? ` — ${m.description}` : ''}`, ''];
  const section = (title: string, lines: string[], none: string): void => {
    out.push(`${title}:`, '', ...(lines.length ? lines.map((l) => `  ${l}`) : [`  <${none}>`]), '');
  };
  const required = m.variables.filter((v) => v.required);
  if (required.length) section('Required variables', required.map((v) => `${v.name}${v.sensitive ? ` ${SENSITIVE}` : ''}`), 'none');
  const optional = m.variables.filter((v) => !v.required);
  const width = Math.max(0, ...optional.map((v) => v.name.length));
  section('Optional variables and their defaults', optional.map((v) => `${v.name.padEnd(width)} = ${v.default}`), 'No optional variables');
  const step = (s: InspectStep): string => `${s.type}${s.detail ? ` (${s.detail})` : ''}`;
  const builds = m.builds.flatMap((b) => [
    b.name,
    `  provisioners:    ${b.provisioners.map(step).join(', ') || '<none>'}`,
    `  post-processors: ${b.post_processors.map((seq) => seq.map(step).join(' → ')).join('; ') || '<none>'}`,
  ]);
  section('Builds', builds, 'No qemu builds (after -only/-except)');
  if (m.warnings.length) section('Warnings', m.warnings, 'none');
  if (m.errors.length) section('Errors (vmbench validate checks everything)', m.errors, 'none');
  return out.join('\n');
}

export async function inspectCommand(args: string[], values: CliValues): Promise<number> {
  if (args.length !== 1) {
    process.stderr.write('usage: vmbench inspect <template|profile> [--json] [-var NAME=VALUE] [-var-file FILE] [-only NAME]\n');
    return 2;
  }
  try {
    const target = resolveProfileArg(args[0]!);
    const opts = loadOptions(values, null);
    const {format, documents} = readDocuments(target, opts);
    // A secret given with -var for a sensitive variable is redacted too.
    const sensitive = new Set(documents[0]?.sensitiveVariables ?? []);
    const given = Object.entries(opts.vars ?? {}).filter(([k]) => sensitive.has(k)).map(([, v]) => v);
    const model = inspectModel(target, format, documents, given);
    process.stdout.write(values.json ? `${JSON.stringify(model, null, 2)}\n` : `${formatInspect(model)}\n`);
    return 0;
  } catch (err) {
    process.stderr.write(`${err instanceof ProfileError ? err.message : `vmbench: ${(err as Error).message}`}\n`);
    return 2;
  }
}
