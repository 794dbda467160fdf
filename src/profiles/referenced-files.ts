/**
 * The files a checked profile refers to — provisioner scripts, ansible playbooks and galaxy files, file
 * provisioner sources, vagrant's include and vagrantfile_template, http_directory, cd_files /
 * floppy_files / floppy_dirs, iso_build — and
 * whether they are there, each problem with the file:line of the field that names it. This is
 * what `vmbench validate` adds to loading: a build that would stop at "no such file" half an hour
 * in is told so before anything starts. Relative paths resolve against the profile's directory,
 * as the engine resolves them.
 */
import {existsSync, readdirSync, statSync} from 'node:fs';
import path from 'node:path';
import {fieldName, type PathKey, type ProfileDocument, type ProfileIssue} from './document.js';
import type {Provisioner} from './provisioner-schema.js';

type Kind = 'file' | 'dir' | 'any';

/** One path a field names, and what it must be. */
interface Reference {
  at: PathKey[];
  value: string;
  kind: Kind;
  /** Shell-style patterns are allowed (Packer globs cd_files and floppy_files). */
  glob?: boolean;
}

/** Top-level fields that name paths, when the profile sets them. */
const FIELDS: readonly {field: string; kind: Kind; glob?: boolean}[] = [
  {field: 'http_directory', kind: 'dir'},
  {field: 'iso_build', kind: 'file'},
  {field: 'cd_files', kind: 'any', glob: true},
  {field: 'floppy_files', kind: 'any', glob: true},
  {field: 'floppy_dirs', kind: 'dir'},
  {field: 'ssh_private_key_file', kind: 'file'},
  {field: 'efi_firmware_code', kind: 'file'},
  {field: 'efi_firmware_vars', kind: 'file'},
];

const isRemote = (s: string): boolean => /^[a-z][a-z0-9+.-]*:\/\//i.test(s) && !s.startsWith('file://');

function references(profile: Record<string, unknown>, raw: Record<string, unknown>, sourceOf: (at: PathKey[]) => string | undefined = () => undefined): Reference[] {
  const refs: Reference[] = [];
  const add = (at: PathKey[], value: unknown, kind: Kind, glob = false): void => {
    if (typeof value === 'string' && value && !isRemote(value)) refs.push({at, value, kind, glob});
  };
  for (const {field, kind, glob} of FIELDS) {
    // Only what the user wrote: a default (e.g. the firmware's path when firmware is bios) is vmbench's to check.
    if (raw[field] === undefined) continue;
    const v = profile[field];
    if (Array.isArray(v)) v.forEach((x, i) => add([field, i], x, kind, glob));
    else add([field], v, kind, glob);
  }
  const rawProvisioners = Array.isArray(raw.provisioners) ? (raw.provisioners as Record<string, unknown>[]) : [];
  ((profile.provisioners as Provisioner[] | undefined) ?? []).forEach((p, i) => {
    // The checked list keeps the raw order; a raw item of another type means the front end reordered: no field paths then.
    const r = rawProvisioners[i];
    const base: PathKey[] = ['provisioners', i];
    const same = !!r && r.type === p.type;
    const listAt = (single: string, list: string, j: number, n: number): PathKey[] =>
      same && typeof r[single] === 'string' && j === (list === 'sources' ? n - 1 : 0) ? [...base, single] : same && Array.isArray(r[list]) ? [...base, list, j] : base;
    switch (p.type) {
      case 'shell':
      case 'shell-local': {
        const scripts = p.type === 'shell' ? [...(p.script ? [p.script] : []), ...p.scripts.filter((s) => s !== p.script)] : p.scripts;
        scripts.forEach((s, j) => add(listAt('script', 'scripts', j, scripts.length), s, 'file'));
        break;
      }
      case 'file':
        if (p.direction === 'upload' && !p.generated && p.content === undefined) p.sources.forEach((s, j) => add(listAt('source', 'sources', j, p.sources.length), s, 'any'));
        break;
      case 'ansible':
        add(same ? [...base, 'playbook_file'] : base, p.playbook_file, 'file');
        if (p.command.includes('/')) add(same ? [...base, 'command'] : base, p.command, 'file');
        if (p.galaxy_file) add(same ? [...base, 'galaxy_file'] : base, p.galaxy_file, 'file');
        if (p.galaxy_command?.includes('/')) add(same ? [...base, 'galaxy_command'] : base, p.galaxy_command, 'file');
        break;
    }
  });
  const rawPost = Array.isArray(raw.post_processors) ? raw.post_processors : [];
  ((profile.post_processors as {type: string; scripts?: string[]}[][] | undefined) ?? []).forEach((seq, i) =>
    seq.forEach((pp, j) => {
      if (pp.type !== 'shell-local' || !pp.scripts) return;
      const nested = Array.isArray(rawPost[i]);
      pp.scripts.forEach((s) => add(nested ? ['post_processors', i, j] : ['post_processors', i], s, 'file'));
    }),
  );
  // vagrant's include and vagrantfile_template (unless made during the build), at their fields:
  // the raw mapping is the one written where the checked post-processor's source says.
  const rawAt = (source: string): PathKey[] | undefined => {
    for (const [i, item] of rawPost.entries()) {
      const paths: PathKey[][] = Array.isArray(item) ? item.map((_, j) => ['post_processors', i, j]) : [['post_processors', i]];
      const hit = paths.find((q) => sourceOf(q) === source);
      if (hit) return hit;
    }
    return undefined;
  };
  for (const pp of ((profile.post_processors as {type: string; source: string; include?: string[]; vagrantfile_template?: string; vagrantfile_template_generated?: boolean}[][] | undefined) ?? []).flat()) {
    if (pp.type !== 'vagrant') continue;
    const base = rawAt(pp.source) ?? ['post_processors'];
    const r = base.length > 1 ? (base.slice(1).reduce<unknown>((o, k) => (o as unknown[])[k as number], rawPost) as Record<string, unknown>) : {};
    pp.include?.forEach((f, k) => add(Array.isArray(r.include) && r.include[k] === f ? [...base, 'include', k] : base, f, 'file'));
    if (pp.vagrantfile_template && !pp.vagrantfile_template_generated) add(r.vagrantfile_template === pp.vagrantfile_template ? [...base, 'vagrantfile_template'] : base, pp.vagrantfile_template, 'file');
  }
  return refs;
}

/** Shell-style pattern (`*`, `?`, `[…]`) in the last part of a path, as a RegExp. */
function globRegExp(pattern: string): RegExp {
  let re = '';
  for (const ch of pattern) re += ch === '*' ? '[^/]*' : ch === '?' ? '[^/]' : /[[\]]/.test(ch) ? ch : ch.replace(/[.+^${}()|\\]/g, '\\$&');
  return new RegExp(`^${re}$`);
}

function problem(abs: string, ref: Reference): string | undefined {
  if (ref.glob && /[*?[]/.test(ref.value)) {
    const dir = path.dirname(abs);
    if (/[*?[]/.test(dir)) return undefined; // a pattern in a folder name: left to the build
    let names: string[] = [];
    try {
      names = readdirSync(dir);
    } catch {
      return `no folder ${dir} for the pattern ${ref.value}`;
    }
    return names.some((n) => globRegExp(path.basename(abs)).test(n)) ? undefined : `${ref.value} matches no file in ${dir}`;
  }
  if (!existsSync(abs)) return `${ref.value}: no such ${ref.kind === 'dir' ? 'directory' : 'file'} (looked for ${abs})`;
  const isDir = statSync(abs).isDirectory();
  if (ref.kind === 'dir' && !isDir) return `${ref.value} is a file, not a directory`;
  if (ref.kind === 'file' && isDir) return `${ref.value} is a directory, not a file`;
  return undefined;
}

/**
 * Every referenced file that is missing (or of the wrong kind), as errors with the field's
 * file:line:col; `dir` is the profile's directory, against which relative paths resolve.
 */
export function checkReferencedFiles(profile: object, doc: Pick<ProfileDocument, 'file' | 'raw' | 'position'>, dir: string): ProfileIssue[] {
  const issues: ProfileIssue[] = [];
  const sourceOf = (at: PathKey[]): string | undefined => {
    const pos = doc.position(at);
    return pos && `${pos.file ?? doc.file}:${pos.line}:${pos.col}`;
  };
  for (const ref of references(profile as Record<string, unknown>, doc.raw, sourceOf)) {
    const local = ref.value.startsWith('file://') ? ref.value.slice('file://'.length) : ref.value;
    const message = problem(path.resolve(dir, local), ref);
    if (!message) continue;
    const pos = doc.position(ref.at) ?? doc.position(ref.at.slice(0, 2)) ?? {line: 1, col: 1};
    issues.push({file: pos.file ?? doc.file, line: pos.line, col: pos.col, field: fieldName(ref.at), message});
  }
  return issues;
}
