/**
 * `vmbench import <template> <dir>`: one build of a Packer template written as a vmbench profile
 * to edit — dir/profile.yaml with comments saying what was translated or dropped, the
 * http_directory and the provisioners' scripts copied beside it, other files referenced by a
 * path relative to the new profile (Packer reads relative paths from the directory it runs in; a
 * profile reads them from its own folder). The written profile is loaded again before the
 * command says it is done, so `vmbench validate dir` accepts it.
 *
 * Values keep their templates (`{{ user `x` }}`), so variables still work; a variable's value
 * given with -var or -var-file is never written (it may be a secret).
 */
import {cpSync, existsSync, mkdirSync, readdirSync, statSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {Document, isMap, type Pair, type Scalar} from 'yaml';
import {loadProfile, ProfileError, readDocuments, type LoadedProfile} from '../profiles/loader.js';
import type {ProfileDocument} from '../profiles/document.js';
import {withoutSkippedPostProcessors} from '../profiles/post-processor-schema.js';
import {loadOptions} from '../session/load-options.js';
import {resolveProfileArg} from '../session/paths.js';
import type {CliValues} from './commands.js';

const isUrl = (s: string): boolean => /^[a-z][a-z0-9+.-]*:\/\//i.test(s);
const templated = (v: unknown): boolean => typeof v === 'string' && v.includes('{{');

/** What happened to a file the profile uses. */
interface FileNote {
  what: 'copied' | 'referenced';
  from: string;
  to: string;
}

/** Rewrites the build's paths for a profile in `dest`, copying what belongs to it. */
class PathMover {
  readonly files: FileNote[] = [];
  /** Fields left out because their value holds a sensitive variable's value. */
  readonly withheld: string[] = [];
  /** Post-processors of the template that vmbench skips, left out of the profile. */
  readonly skippedPostProcessors: string[] = [];
  private taken = new Set<string>();

  constructor(
    private readonly base: string,
    private readonly dest: string,
  ) {}

  /**
   * A path the profile refers to: the same file, written relative to the profile's folder. A
   * templated path (`{{ template_dir }}/x`) is written as it rendered: template_dir would name
   * the profile's folder now.
   */
  reference(raw: unknown, rendered: unknown): unknown {
    if (typeof raw !== 'string' || typeof rendered !== 'string' || isUrl(rendered)) return raw;
    if (!templated(raw) && path.isAbsolute(raw)) return raw;
    const abs = path.resolve(this.base, rendered);
    const to = path.relative(this.dest, abs) || '.';
    this.files.push({what: 'referenced', from: abs, to});
    return to;
  }

  /** A file or folder that belongs to the profile: copied into it under `sub/`, the new relative path returned. */
  copy(raw: unknown, rendered: unknown, sub: string): unknown {
    if (typeof raw !== 'string' || typeof rendered !== 'string' || isUrl(rendered)) return raw;
    const abs = path.resolve(this.base, rendered);
    if (!existsSync(abs)) return this.reference(raw, rendered);
    const st = statSync(abs);
    // A device or socket (`/dev/null` as "no script") is no file to copy: it stays as written.
    if (!st.isFile() && !st.isDirectory()) return raw;
    // The template's own folder (`http_directory = "."`), or a folder that holds the new
    // profile: copying it would take everything (or itself) along. Referenced instead.
    const inside = (child: string, parent: string): boolean => !path.relative(parent, child).startsWith('..') && !path.isAbsolute(path.relative(parent, child));
    if (st.isDirectory() && (abs === this.base || inside(this.dest, abs))) return this.reference(raw, rendered);
    let name = path.join(sub, path.basename(abs));
    for (let i = 2; this.taken.has(name); i++) name = path.join(sub, `${i}-${path.basename(abs)}`);
    this.taken.add(name);
    cpSync(abs, path.join(this.dest, name), {recursive: true});
    this.files.push({what: 'copied', from: abs, to: name});
    return name;
  }
}

/** `{{ user `name` }}` and nothing else: the variable's name. */
const USER_ONLY = /^\{\{-?\s*user\s+[`"](\w+)[`"]\s*-?\}\}$/;

/** The profile's fields: the template's (vmbench names), with paths moved. */
function profileFields(doc: ProfileDocument, loaded: LoadedProfile, mover: PathMover): Record<string, unknown> {
  const raw = {...doc.raw};
  // A path given by a variable (`iso_url: {{ user `iso` }}`) moves in the variable's default.
  const vars = {...((raw.variables ?? {}) as Record<string, unknown>)};
  raw.variables = doc.raw.variables === undefined ? undefined : vars;
  const viaVariable = (value: unknown, move: (v: unknown) => unknown): unknown => {
    const name = typeof value === 'string' ? USER_ONLY.exec(value.trim())?.[1] : undefined;
    if (name && typeof vars[name] === 'string' && !templated(vars[name])) vars[name] = move(vars[name]);
    return name ? value : move(value);
  };
  const p = loaded.profile as unknown as Record<string, unknown>;
  // name, description and variables first, as a profile reads best; then the builder's options in the template's order.
  const out: Record<string, unknown> = {name: loaded.profile.name};
  if (raw.description !== undefined) out.description = raw.description;
  if (raw.variables !== undefined) out.variables = raw.variables;
  for (const [key, value] of Object.entries(raw)) {
    if (key === 'provisioners' || key === 'post_processors' || key === 'name' || key in out) continue;
    out[key] = value;
  }
  if (raw.http_directory !== undefined) out.http_directory = viaVariable(raw.http_directory, (v) => mover.copy(v, templated(v) ? p.http_directory : v, '.'));
  if (raw.iso_url !== undefined) out.iso_url = viaVariable(raw.iso_url, (v) => mover.reference(v, v));
  if (Array.isArray(raw.iso_urls)) out.iso_urls = raw.iso_urls.map((u) => viaVariable(u, (v) => mover.reference(v, v)));
  if (typeof raw.iso_checksum === 'string' && raw.iso_checksum.startsWith('file:')) out.iso_checksum = `file:${String(mover.reference(raw.iso_checksum.slice(5), raw.iso_checksum.slice(5)))}`;
  for (const key of ['ssh_private_key_file', 'iso_build', 'efi_firmware_code', 'efi_firmware_vars']) if (raw[key] !== undefined) out[key] = mover.reference(raw[key], p[key]);
  for (const key of ['cd_files', 'floppy_files', 'floppy_dirs']) {
    if (Array.isArray(raw[key])) out[key] = (raw[key] as unknown[]).map((v, i) => mover.reference(v, (p[key] as unknown[] | undefined)?.[i]));
  }
  const checked = loaded.profile.provisioners as unknown as Array<Record<string, unknown>>;
  if (Array.isArray(raw.provisioners)) {
    out.provisioners = raw.provisioners.map((item, i) => {
      const r = {...(item as Record<string, unknown>)};
      const c = checked[i] ?? {};
      if (r.type === 'shell' || r.type === 'shell-local') {
        if (r.script !== undefined) r.script = mover.copy(r.script, c.script, 'scripts');
        if (Array.isArray(r.scripts)) r.scripts = r.scripts.map((s, j) => mover.copy(s, (c.scripts as unknown[] | undefined)?.[j], 'scripts'));
      } else if (r.type === 'file') {
        if (r.direction === 'download') r.destination = mover.reference(r.destination, c.destination);
        else {
          // The checked provisioner holds sources, then source (Packer appends it last).
          const rendered = (c.sources as unknown[] | undefined) ?? [];
          if (Array.isArray(r.sources)) r.sources = r.sources.map((s, j) => mover.reference(s, rendered[j]));
          if (r.source !== undefined) r.source = mover.reference(r.source, rendered.at(-1));
        }
      } else if (r.type === 'ansible' && r.playbook_file !== undefined) r.playbook_file = mover.reference(r.playbook_file, c.playbook_file);
      return r;
    });
  }
  if (Array.isArray(raw.post_processors)) {
    // Post-processors vmbench skips (vagrant, cloud uploads) are left out, and named in the header.
    const {kept, skipped} = withoutSkippedPostProcessors(raw.post_processors);
    if (kept.length) out.post_processors = kept;
    mover.skippedPostProcessors.push(...skipped);
  } else if (raw.post_processors !== undefined) out.post_processors = raw.post_processors;
  // An evaluated value holding a sensitive variable's value is never written: the user sets it.
  const secrets = (doc.sensitiveValues ?? []).filter((v) => v.length >= 3);
  const holdsSecret = (v: unknown): boolean =>
    typeof v === 'string' ? secrets.some((x) => v.includes(x)) : !!v && typeof v === 'object' && Object.values(v).some(holdsSecret);
  for (const key of Object.keys(out)) {
    if (key === 'name' || !holdsSecret(out[key])) continue;
    if (key === 'provisioners' && Array.isArray(out[key])) {
      const list = out[key] as unknown[];
      list.forEach((p, i) => holdsSecret(p) && mover.withheld.push(`provisioners[${i}] (${String((p as Record<string, unknown>).type)})`));
      out[key] = list.filter((p) => !holdsSecret(p));
    } else {
      delete out[key];
      mover.withheld.push(key);
    }
  }
  return out;
}

/** profile.yaml's text: the fields, a header, and a comment on every key that was translated. */
function profileYaml(fields: Record<string, unknown>, doc: ProfileDocument, template: string, mover: PathMover, format: string): string {
  const variables = (fields.variables ?? {}) as Record<string, unknown>;
  const required = Object.keys(variables).filter((k) => variables[k] === null);
  for (const k of required) variables[k] = '';
  const y = new Document(fields);
  const header = [
    ` Imported by \`vmbench import\` from ${template} (${format}, build "${String(fields.name)}").`,
    ' Relative paths here are relative to this folder (Packer reads them from the directory it runs in).',
    ...mover.files.map((f) => ` ${f.what} ${f.what === 'copied' ? `${f.from} → ${f.to}` : `${f.from} as ${f.to}`}`),
  ];
  const dropped = (doc.warnings ?? []).filter((w) => /accepted but not used|skipped/.test(w.message));
  if (dropped.length) header.push(' Not carried over (accepted by vmbench, not used):', ...dropped.map((w) => `   ${w.field}: ${w.message}`));
  if (mover.withheld.length) header.push(` Left out because they hold a sensitive variable's value (set them here yourself): ${mover.withheld.join(', ')}`);
  if (mover.skippedPostProcessors.length) header.push(` Post-processors left out (vmbench does not run them): ${mover.skippedPostProcessors.join(', ')}`);
  y.commentBefore = header.join('\n');
  if (!isMap(y.contents)) return y.toString({lineWidth: 0});
  const pairOf = (key: string): Pair | undefined => y.contents && isMap(y.contents) ? (y.contents.items as Pair[]).find((p) => (p.key as Scalar).value === key) : undefined;
  const comment = (key: string, text: string): void => {
    const k = pairOf(key)?.key as Scalar | undefined;
    if (k) k.commentBefore = k.commentBefore ? `${k.commentBefore}\n ${text}` : ` ${text}`;
  };
  // A renamed option's note is about its old name: it goes on the new one.
  for (const n of doc.notes ?? []) comment(pairOf(n.field) ? n.field : (/written as (\w+)/.exec(n.message)?.[1] ?? n.field), `${n.field}: ${n.message}`);
  for (const w of doc.warnings ?? []) if (/checksum style/.test(w.message)) comment('iso_checksum', w.message);
  const sensitive = doc.sensitiveVariables ?? [];
  if (required.length || sensitive.length) {
    comment(
      'variables',
      [
        ...required.map((k) => `${k}: required in the template: give it with --var ${k}=VALUE`),
        ...(sensitive.length ? [`sensitive in the template (never print them): ${sensitive.join(', ')}`] : []),
      ].join('\n '),
    );
  }
  return y.toString({lineWidth: 0});
}

export async function importCommand(args: string[], values: CliValues): Promise<number> {
  if (args.length !== 2) {
    process.stderr.write('usage: vmbench import <template> <dir> [-var NAME=VALUE] [-var-file FILE] [-only NAME] [--force]\n');
    return 2;
  }
  const [arg, destArg] = args as [string, string];
  const dest = path.resolve(destArg);
  try {
    const target = resolveProfileArg(arg);
    const opts = loadOptions(values, null);
    // The build, checked with every variable given; its fields as the template writes them.
    const loaded = loadProfile(target, opts);
    const {format, documents} = readDocuments(target, {only: opts.only, except: opts.except});
    // A JSON template's fields keep their {{ user }} templates, read without the values given. An
    // HCL2 template's are evaluated: read without -var/-var-file, a field that needs a variable
    // given only there would be lost, so its fields are the build's own (sensitive ones withheld).
    const doc = format === 'packer-hcl2' ? loaded.document! : (documents.find((d) => d.defaultName === loaded.document?.defaultName) ?? loaded.document!);
    if (existsSync(dest) && (!statSync(dest).isDirectory() || (readdirSync(dest).length && !values.force))) {
      process.stderr.write(`vmbench import: ${destArg} exists and is not an empty folder (--force writes into it)\n`);
      return 2;
    }
    mkdirSync(dest, {recursive: true});
    const mover = new PathMover(loaded.dir, dest);
    const fields = profileFields(doc, loaded, mover);
    const file = path.join(dest, 'profile.yaml');
    writeFileSync(file, profileYaml(fields, doc, path.resolve(target), mover, format));
    for (const f of mover.files) process.stdout.write(`${f.what} ${f.from} ${f.what === 'copied' ? '→' : 'as'} ${f.to}\n`);
    process.stdout.write(`wrote ${path.join(destArg, 'profile.yaml')}\n`);
    // Read it back as `vmbench validate` would: the import is only done when it loads.
    const vars = Object.fromEntries(Object.entries(opts.vars ?? {}).filter(([k]) => Object.hasOwn((fields.variables ?? {}) as object, k)));
    const back = loadProfile(dest, {vars, defaults: opts.defaults});
    process.stdout.write(`${file}: ok (${back.profile.name}, ${back.profile.provisioners.length} provisioners)${back.warnings?.length ? `, ${back.warnings.length} warning(s): vmbench validate ${destArg}` : ''}\n`);
    return 0;
  } catch (err) {
    process.stderr.write(`${err instanceof ProfileError ? err.message : `vmbench import: ${(err as Error).message}`}\n`);
    return 2;
  }
}
