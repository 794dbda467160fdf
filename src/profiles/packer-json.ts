/**
 * The Packer JSON template front end (issue 10): each `qemu` builder of a template becomes one
 * document for the checker, with the template's variables, its provisioners and post-processors
 * for that build (only/except/override applied), and Packer's option names and shapes mapped to
 * vmbench's (packer/builder-fields.ts). Every field keeps its place in the file for
 * file:line:col messages; what vmbench does not use is a warning, what it cannot do an error.
 *
 * Relative paths in a template are relative to the directory vmbench runs in, as in Packer
 * (`{{ template_dir }}` names the template's own).
 */
import {readFileSync} from 'node:fs';
import path from 'node:path';
import {closest} from '../util/suggest.js';
import {ProfileError, type PathKey, type ProfileDocument, type ProfileIssue, type SourcePos} from './document.js';
import type {FrontEnd, LoadOptions} from './loader.js';
import {mapPackerBuilder} from './packer/builder-fields.js';
import {nodeAt, offsetOf, parseJsonSource, type JsonSource} from './packer/json-source.js';
import {postProcessorsFor, provisionersFor, type Placed, type SequenceIssue} from './packer/sequences.js';

/** Top-level keys of a JSON template (Packer 1.6's rawTemplate), and what vmbench does with each. */
const ROOT_KEYS: Record<string, 'use' | {unused: string} | {unsupported: string}> = {
  'builders': 'use',
  'variables': 'use',
  'sensitive-variables': 'use',
  'provisioners': 'use',
  'post-processors': 'use',
  'description': 'use',
  'min_packer_version': {unused: 'vmbench does not check Packer versions'},
  'push': {unused: 'Packer’s push (to Atlas) was removed from Packer itself'},
  'error-cleanup-provisioner': {unsupported: 'a provisioner run when the build fails is not supported yet'},
};

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/** Packer's -only/-except patterns: builder names, with * and ? as globs. */
export function matchesBuildName(pattern: string, name: string): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  return re.test(name);
}

export const packerJsonDocuments: FrontEnd = (file, opts) => {
  const src = parseJsonSource(readFileSync(file, 'utf8'), file);
  const at = (p: readonly PathKey[], key = false): SourcePos => {
    const n = nodeAt(src.root, p);
    return src.pos(n ? offsetOf(n, key) : 0);
  };
  const issue = (p: readonly PathKey[], message: string, o: {key?: boolean; warning?: boolean; field?: string} = {}): ProfileIssue => ({
    file,
    ...at(p, o.key),
    field: o.field ?? fieldOf(p),
    message,
    ...(o.warning ? {warning: true} : {}),
  });
  const tpl = src.value;
  if (!isObject(tpl)) throw new ProfileError([issue([], 'a Packer JSON template is a mapping with "builders"')]);

  const errors: ProfileIssue[] = [];
  const warnings: ProfileIssue[] = [...src.duplicates];
  for (const key of Object.keys(tpl)) {
    const rule = ROOT_KEYS[key];
    // Root keys that start with "_" are comments (Packer's rule).
    if (key.startsWith('_')) continue;
    if (!rule) {
      const near = closest(key, Object.keys(ROOT_KEYS));
      errors.push(issue([key], `unknown top-level key of a Packer template${near ? ` (did you mean "${near}"?)` : ''}`, {key: true}));
    } else if (typeof rule === 'object' && 'unused' in rule) warnings.push(issue([key], `accepted but not used: ${rule.unused}`, {key: true, warning: true}));
    else if (typeof rule === 'object') errors.push(issue([key], `not supported: ${rule.unsupported}`, {key: true}));
  }

  // Builders: every qemu one is a build; the others are listed and skipped, as -only would.
  const builders = Array.isArray(tpl.builders) ? tpl.builders : [];
  if (!Array.isArray(tpl.builders) || !builders.length) errors.push(issue(tpl.builders === undefined ? [] : ['builders'], 'a template needs "builders": a list with at least one {"type": "qemu", …}'));
  const named: Array<{name: string; type: string; index: number; fields: Record<string, unknown>}> = [];
  builders.forEach((b, i) => {
    if (!isObject(b)) return errors.push(issue(['builders', i], 'expected a mapping with a type'));
    if (typeof b.type !== 'string' || !b.type) return errors.push(issue(['builders', i], "builder: missing 'type'"));
    const name = typeof b.name === 'string' && b.name ? b.name : b.type;
    if (named.some((x) => x.name === name)) return errors.push(issue(['builders', i, 'name'], `a builder named "${name}" already exists`));
    const {type, name: _n, ...fields} = b;
    named.push({name, type, index: i, fields});
  });
  const names = named.map((b) => b.name);
  for (const [flag, list] of [['-only', opts.only], ['-except', opts.except]] as const) {
    for (const pattern of list ?? []) {
      if (names.some((n) => matchesBuildName(pattern, n))) continue;
      const near = closest(pattern, names);
      errors.push(issue(['builders'], `${flag}=${pattern}: no builder is named so${near ? ` (did you mean "${near}"?)` : ''} (builders: ${names.join(', ') || 'none'})`, {key: true, field: flag}));
    }
  }
  const chosen = named.filter((b) => (!opts.only?.length || opts.only.some((p) => matchesBuildName(p, b.name))) && !opts.except?.some((p) => matchesBuildName(p, b.name)));
  for (const b of chosen.filter((x) => x.type !== 'qemu')) {
    warnings.push(issue(['builders', b.index, 'type'], `skipped: "${b.name}" is a ${b.type} builder, not a qemu builder (vmbench builds with QEMU only)`, {warning: true, field: `builders[${b.index}]`}));
  }

  const variables = templateVariables(src, opts, errors, issue);
  const sensitive = Array.isArray(tpl['sensitive-variables']) ? tpl['sensitive-variables'].filter((x): x is string => typeof x === 'string') : [];
  if (tpl['sensitive-variables'] !== undefined && sensitive.length !== (tpl['sensitive-variables'] as unknown[]).length) errors.push(issue(['sensitive-variables'], 'expected a list of variable names'));
  sensitive.forEach((n, i) => {
    if (!Object.hasOwn(variables, n)) warnings.push(issue(['sensitive-variables', i], `no variable "${n}" is declared`, {warning: true}));
  });

  const templateDir = path.dirname(path.resolve(file));
  const documents = chosen
    .filter((b) => b.type === 'qemu')
    .map((b, k): ProfileDocument => {
      const links = new Map<string, PathKey[]>([[JSON.stringify([]), ['builders', b.index]]]);
      const link = (docPath: PathKey[], tplPath: PathKey[]): void => void links.set(JSON.stringify(docPath), tplPath);
      const docErrors: ProfileIssue[] = [];
      const docWarnings: ProfileIssue[] = k === 0 ? [...warnings] : [];
      const mapped = mapPackerBuilder(b.fields, b.name);
      for (const i of mapped.issues) (i.warning ? docWarnings : docErrors).push(issue(['builders', b.index, i.key], i.message, {key: true, warning: i.warning}));
      const notes = mapped.notes.map((i) => issue(Object.hasOwn(b.fields, i.key) ? ['builders', b.index, i.key] : ['builders', b.index], i.message, {key: true, field: i.key}));
      for (const [to, fromKey] of Object.entries(mapped.from)) link([to], ['builders', b.index, fromKey]);
      if (!Object.hasOwn(b.fields, 'vm_name')) link(['vm_name'], ['builders', b.index]);

      const seqIssues: SequenceIssue[] = [];
      const provisioners = provisionersFor(tpl.provisioners, b.name, names, seqIssues);
      const post = postProcessorsFor(tpl['post-processors'], b.name, names, seqIssues);
      // The template's own shape errors are reported once, with the first build.
      if (k === 0) for (const s of seqIssues) (s.warning ? docWarnings : docErrors).push(issue(s.path, s.message, {key: s.key, warning: s.warning}));
      const linkPlaced = (docPath: PathKey[], p: Placed): void => {
        link(docPath, p.path);
        for (const [field, tplPath] of Object.entries(p.fieldPaths ?? {})) link([...docPath, field], tplPath);
      };
      provisioners.forEach((p, i) => linkPlaced(['provisioners', i], p));
      post.forEach((seq, i) => {
        link(['post_processors', i], seq.path);
        if (seq.nested) seq.items.forEach((p, j) => linkPlaced(['post_processors', i, j], p));
        else linkPlaced(['post_processors', i], seq.items[0]!);
      });
      link(['variables'], ['variables']);
      link(['description'], ['description']);
      link(['provisioners'], ['provisioners']);
      link(['post_processors'], ['post-processors']);

      const raw: Record<string, unknown> = {...mapped.raw};
      if (typeof tpl.description === 'string' && raw.description === undefined) raw.description = tpl.description;
      if (Object.keys(variables).length) raw.variables = variables;
      if (provisioners.length) raw.provisioners = provisioners.map((p) => p.value);
      if (post.length) raw.post_processors = post.map((s) => (s.nested ? s.items.map((p) => p.value) : s.items[0]!.value));
      return {
        file,
        defaultName: b.name,
        raw,
        position: (p, o) => locate(src, links, p, o?.key),
        quoted: (p) => locateNode(src, links, p)?.type === 'string',
        warnings: docWarnings,
        notes,
        issues: [...(k === 0 ? errors : []), ...docErrors],
        template: {buildName: b.name, buildType: 'qemu', templateDir, envOnlyInVariables: true},
        sensitiveVariables: sensitive,
      };
    });
  // No qemu build to carry them: the template's own errors are still errors.
  if (!documents.length && errors.length) throw new ProfileError(errors);
  // Nothing vmbench can build: say why at the builders, naming what was skipped (as HCL2 does).
  if (!documents.length && named.length) {
    const list = named.map((b) => `${b.name} (${b.type})`).join(', ');
    const why = chosen.length ? `no qemu builder here: vmbench builds with QEMU only (builders: ${list})` : `-only/-except left no builder to run (builders: ${list})`;
    throw new ProfileError([issue(['builders'], why, {key: true, field: 'builders'}), ...warnings.filter((w) => w.warning)]);
  }
  return {format: 'packer-json', dir: process.cwd(), documents};
};

/** The template's variables with -var-file values applied; a null default is a required variable. */
function templateVariables(
  src: JsonSource,
  opts: LoadOptions,
  errors: ProfileIssue[],
  issue: (p: readonly PathKey[], m: string, o?: {key?: boolean; warning?: boolean}) => ProfileIssue,
): Record<string, unknown> {
  const tpl = src.value as Record<string, unknown>;
  if (tpl.variables === undefined) return {};
  if (!isObject(tpl.variables)) return (errors.push(issue(['variables'], 'must be a mapping of name: default value')), {});
  const variables: Record<string, unknown> = {...tpl.variables};
  // As Packer (core.go): values from -var-file and -var join the template's variables whether or
  // not it declares them (shared var files set more than one template uses), all usable as {{ user }}.
  for (const f of opts.varFiles ?? []) {
    const file = readVarFile(f);
    for (const [k, v] of Object.entries(file.values)) {
      // A null in a var file is an empty value (Packer reads var files as strings).
      if (v === null) variables[k] = '';
      else if (typeof v === 'object') errors.push({file: f, ...file.at(k), field: k, message: `-var-file: a JSON template's variable is a string, number or boolean, got ${Array.isArray(v) ? 'a list' : 'a mapping'}`});
      else variables[k] = v;
    }
  }
  for (const k of Object.keys(opts.vars ?? {})) if (!Object.hasOwn(variables, k)) variables[k] = '';
  for (const [k, v] of Object.entries(variables)) {
    if (v !== null) continue;
    if (opts.vars && Object.hasOwn(opts.vars, k)) variables[k] = '';
    else errors.push(issue(['variables', k], `required variable: set it with -var ${k}=VALUE (or in a -var-file)`, {key: true}));
  }
  return variables;
}

/** A JSON -var-file: a mapping of variable names to values. */
function readVarFile(f: string): {values: Record<string, unknown>; at(key: string): SourcePos} {
  if (f.endsWith('.hcl')) throw new ProfileError([{file: f, line: 1, col: 1, field: '', message: 'a JSON template takes JSON variable files (an .hcl one is for HCL2 templates)'}]);
  const src = parseJsonSource(readFileSync(f, 'utf8'), f);
  if (!isObject(src.value)) throw new ProfileError([{file: f, line: 1, col: 1, field: '', message: 'a variable file is a mapping of variable names to values'}]);
  return {values: src.value, at: (key) => src.pos(offsetOf(nodeAt(src.root, [key]) ?? src.root, true))};
}

/** The template node for a document path: the longest linked prefix, then down the rest. */
function locateNode(src: JsonSource, links: Map<string, PathKey[]>, p: readonly PathKey[]) {
  for (let i = p.length; i >= 0; i--) {
    const base = links.get(JSON.stringify(p.slice(0, i)));
    if (!base) continue;
    return nodeAt(src.root, [...base, ...p.slice(i)]) ?? (i === p.length ? undefined : nodeAt(src.root, base));
  }
  return undefined;
}

function locate(src: JsonSource, links: Map<string, PathKey[]>, p: readonly PathKey[], key?: boolean): SourcePos | undefined {
  for (let i = p.length; i >= 0; i--) {
    const base = links.get(JSON.stringify(p.slice(0, i)));
    if (!base) continue;
    const exact = nodeAt(src.root, [...base, ...p.slice(i)]);
    if (exact) return src.pos(offsetOf(exact, key));
    // Not in the file (a default vmbench filled in): the closest place that is.
    const near = nodeAt(src.root, base);
    if (near) return src.pos(offsetOf(near, key));
  }
  return undefined;
}

/** `builders[0].iso_url` for a template path. */
function fieldOf(p: readonly PathKey[]): string {
  return p.map((k, i) => (typeof k === 'number' ? `[${k}]` : i ? `.${k}` : k)).join('');
}
