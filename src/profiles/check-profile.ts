/**
 * The one checker every profile front end feeds (YAML, Packer JSON, Packer HCL2): variables
 * (defaults rendered with env and vmbench's functions, --var overrides), every field checked
 * against its spec and converted (durations, sizes, lists), provisioners against their type's
 * table, and the fields checked against each other. Front ends only parse and locate.
 */
import path from 'node:path';
import {durationProblem, parseDuration} from '../util/duration.js';
import {closest} from '../util/suggest.js';
import {fieldName, ProfileError, type PathKey, type ProfileDocument, type ProfileIssue, type SourcePos} from './document.js';
import {hostAptMirror, type AptSource, type MirrorPart} from './host-apt.js';
import {POST_PROCESSOR_TYPES, SKIPPED_PACKER_POST_PROCESSORS, type PostProcessor} from './post-processor-schema.js';
import {PROVISIONER_TYPES, type Provisioner} from './provisioner-schema.js';
import {BUILD_FIELDS, PROFILE_DEFAULTS, PROFILE_FIELDS, type FieldSpec, type Profile} from './schema.js';
import {renderTemplate, templateReferences, TemplateError, type PackerContext, type TemplateData} from './template.js';
import {validateBootCommand} from './boot-check.js';
import {checkBuilderOptions} from './builder-options.js';
import {fileFuncs} from './file-funcs.js';
import {checkCloudInitTexts, CLOUD_INIT_DEFAULTS, CLOUD_INIT_FIELDS, type CloudInitOptions} from './cloud-init-schema.js';

/** `{{ file `x` }}` / `{{ templatefile `x` }}` as a whole value. */
const WHOLE_FILE = /^\s*\{\{-?\s*(?:file|templatefile)\s+(?:`([^`]*)`|"([^"]*)")\s*-?\}\}\s*$/;

export interface CheckOptions {
  /** --var name=value overrides; each must name a declared variable. */
  vars?: Record<string, string>;
  env?: Record<string, string | undefined>;
  /**
   * Defaults that replace PROFILE_DEFAULTS for fields the profile does not set (the user's
   * settings: memory, cpus, port ranges). The profile's own values always win.
   */
  defaults?: Partial<Profile>;
  /** The host's apt sources for `{{ host_apt_mirror }}` (tests); default: read /etc/apt. */
  aptSources?: readonly AptSource[];
  /**
   * Where warnings go: problems that do not stop the build from running as intended (a Packer
   * field vmbench accepts but does not need). Errors are thrown; warnings are only collected.
   */
  warnings?: ProfileIssue[];
}

const MIRROR_PARTS: readonly MirrorPart[] = ['url', 'hostname', 'directory', 'protocol', 'security_url'];
function mirrorPart(part: string | undefined): MirrorPart {
  if (part === undefined) return 'url';
  if ((MIRROR_PARTS as readonly string[]).includes(part)) return part as MirrorPart;
  throw new Error(`host_apt_mirror: unknown part "${part}" (one of ${MIRROR_PARTS.join(', ')})`);
}

/**
 * One problem found twice (a field's whole value and, parsed further, the spot inside it: a
 * boot_command's template error) is reported once, at its most precise column.
 */
function distinctIssues(issues: readonly ProfileIssue[], evaluation: readonly ProfileIssue[]): ProfileIssue[] {
  const key = (i: ProfileIssue): string => [i.file, i.line, i.field, i.message].join('\u0000');
  const best = new Map<string, ProfileIssue>();
  for (const i of issues) {
    const seen = best.get(key(i));
    if (!seen || i.col > seen.col) best.set(key(i), i);
  }
  // A value the template could not evaluate is missing from the document: a complaint about
  // the block it belongs to ("a file provisioner needs source") only repeats that error.
  const dotted = (field: string): string => field.replace(/\[(\d+)\]/g, '.$1');
  const follows = (i: ProfileIssue): boolean =>
    !evaluation.includes(i) && evaluation.some((e) => e.file === i.file && e.line >= i.line && dotted(e.field).startsWith(`${dotted(i.field)}.`));
  return issues.filter((i) => best.get(key(i)) === i && !follows(i));
}

/**
 * Check a front end's document against the field tables and build the typed Profile. Every
 * problem is collected and thrown at once as a ProfileError (file:line:col + field + message).
 */
export function checkProfile(doc: ProfileDocument, opts: CheckOptions = {}): Profile {
  const {file, raw} = doc;
  const issues: ProfileIssue[] = [];
  const at = (pos: SourcePos | undefined, field: string, message: string): void => {
    issues.push({file: pos?.file ?? file, line: pos?.line ?? 1, col: pos?.col ?? 1, field, message});
  };
  const locate = (p: PathKey[], key = false): SourcePos | undefined => doc.position(p, {key});
  for (const w of doc.warnings ?? []) opts.warnings?.push(w);
  issues.push(...(doc.issues ?? []));
  // What Packer's functions read: the build and template this document comes from.
  const packer: PackerContext = {
    buildName: doc.template?.buildName ?? (typeof raw.name === 'string' ? raw.name : doc.defaultName),
    buildType: doc.template?.buildType ?? 'qemu',
    templateDir: doc.template?.templateDir ?? path.dirname(path.resolve(file)),
  };


  // Variables first: every other string may use them.
  const variables: Record<string, string> = {};
  const declared = raw.variables;
  if (declared !== undefined && (typeof declared !== 'object' || declared === null || Array.isArray(declared))) {
    at(locate(['variables']), 'variables', 'must be a mapping of name: default value');
  } else if (declared) {
    for (const [k, v] of Object.entries(declared)) {
      if (v !== null && typeof v === 'object') at(locate(['variables', k]), `variables.${k}`, 'must be a string, number or boolean');
      else variables[k] = v === null ? '' : String(v);
    }
  }
  const env = opts.env ?? process.env;
  const overridden = new Set<string>();
  for (const [k, v] of Object.entries(opts.vars ?? {})) {
    if (!(k in variables)) {
      at(locate(['variables'], true), 'variables', `--var ${k}: the profile declares no variable "${k}" (declared: ${Object.keys(variables).join(', ') || 'none'})`);
    } else {
      variables[k] = v;
      overridden.add(k);
    }
  }
  // Defaults may use env and vmbench's functions (as Packer's may use env); a --var value is taken as it is.
  const funcs = {host_apt_mirror: (part?: string) => hostAptMirror(mirrorPart(part), opts.aptSources)};
  // In a Packer template an undefined {{ user `x` }} is "" (Packer's user function), said once per
  // variable; in a vmbench profile it is an error (a typo would otherwise pass unseen).
  const toldUnknown = new Set<string>();
  const unknownUser = (p: PathKey[]) =>
    doc.template
      ? (name: string): void => {
          if (toldUnknown.has(name)) return;
          toldUnknown.add(name);
          const pos = locate(p);
          opts.warnings?.push({file: pos?.file ?? file, line: pos?.line ?? 1, col: pos?.col ?? 1, field: fieldName(p), message: `user variable "${name}" is not defined: it renders empty, as in Packer`, warning: true});
        }
      : undefined;
  // Packer leaves {{ .Field }}s in variables for where they are used (its renderFilter).
  const allFields = [...new Set(Object.values(BUILD_FIELDS).flat())];
  // A default may use other variables (as Packer's may): those are rendered first; a cycle is an error.
  const done = new Set(overridden);
  const resolving: string[] = [];
  const resolveVar = (k: string): void => {
    if (done.has(k) || !variables[k]!.includes('{{')) return;
    if (resolving.includes(k)) throw new Error(`variables ${[...resolving.slice(resolving.indexOf(k)), k].join(' → ')} refer to each other`);
    resolving.push(k);
    try {
      for (const dep of templateReferences(variables[k]!).user) if (Object.hasOwn(variables, dep)) resolveVar(dep);
      variables[k] = renderTemplate(variables[k]!, {fields: {}, env, funcs, user: variables, packer, unknownUser: unknownUser(['variables', k]), ...(doc.template ? {deferFields: allFields} : {})});
    } finally {
      resolving.pop();
      done.add(k);
    }
  };
  for (const k of Object.keys(variables)) {
    try {
      resolveVar(k);
    } catch (err) {
      at(locate(['variables', k]), `variables.${k}`, err instanceof TemplateError ? err.message : String(err as Error));
    }
  }
  // Variables a front end resolved itself (HCL2's) serve {{ user }} as they are, never rendered again.
  Object.assign(variables, doc.userVariables ?? {});
  /** Render user/env now; build-time fields stay as written for their own step to fill in. */
  const renderAt = (s: string, p: PathKey[], extra: readonly string[] = []): string => {
    const deferFields = [...BUILD_FIELDS.boot, ...BUILD_FIELDS.execute, ...extra];
    try {
      const data: TemplateData = {fields: {}, deferFields, user: variables, env, allowEnv: !doc.template?.envOnlyInVariables, packer, unknownUser: unknownUser(p)};
      // {{ file }} / {{ templatefile }} (a file rendered as this field is) read beside the profile.
      data.funcs = fileFuncs(path.dirname(file), (text) => renderTemplate(text, data));
      return renderTemplate(s, data);
    } catch (err) {
      at(locate(p), fieldName(p), err instanceof TemplateError ? err.message : String(err as Error));
      return s;
    }
  };

  const out: Record<string, unknown> = {};
  const checkFields = (obj: Record<string, unknown>, specs: Record<string, FieldSpec>, base: PathKey[], target: Record<string, unknown>): void => {
    for (const [key, value] of Object.entries(obj)) {
      const p = [...base, key];
      const spec = specs[key];
      if (!spec) {
        const near = closest(key, Object.keys(specs));
        at(locate(p, true), fieldName(p), `unknown field${near ? ` (did you mean "${near}"?)` : ''}`);
        continue;
      }
      if (spec.unsupported) {
        at(locate(p, true), fieldName(p), `not supported: ${spec.unsupported}`);
        continue;
      }
      if (spec.ignored) {
        const pos = locate(p, true);
        opts.warnings?.push({file: pos?.file ?? file, line: pos?.line ?? 1, col: pos?.col ?? 1, field: fieldName(p), message: spec.ignored, warning: true});
        continue;
      }
      if (key === 'variables' || key === 'provisioners' || key === 'post_processors' || key === 'cloud_init') continue;
      const v = convert(value, spec, p);
      if (v !== undefined) target[key] = v;
    }
  };
  const convert = (value: unknown, spec: FieldSpec, p: PathKey[]): unknown => {
    const bad = (msg: string): undefined => (at(locate(p), fieldName(p), msg), undefined);
    const render = (s: string, q: PathKey[]): string => renderAt(s, q, spec.buildFields);
    switch (spec.kind) {
      case 'string': {
        if (typeof value !== 'string' && typeof value !== 'number') return bad(`expected a string, got ${describe(value)}`);
        let s = render(String(value), p);
        if (spec.oneOf && !spec.oneOf.includes(s)) return bad(`"${s}" is not one of: ${spec.oneOf.join(', ')}`);
        // `${path.root}/../out` is simply /that/out, `out/../x` is x. A folder may lie above
        // the working folder ("../builds/x", as Packer templates write it): what vmbench must
        // never replace (/, $HOME, the working folder, the profile's folder and their
        // ancestors) is refused on the resolved path before a build starts (prepare-output).
        if (spec.path === 'folder' && s !== '') s = path.normalize(s);
        const wrong = spec.path && pathProblem(s, spec.path);
        return wrong ? bad(wrong) : s;
      }
      case 'int': {
        const n = typeof value === 'string' && /^\d+$/.test(render(value, p)) ? Number(render(value, p)) : value;
        if (typeof n !== 'number' || !Number.isInteger(n)) return bad(`expected a whole number, got ${describe(value)}`);
        if (spec.min !== undefined && n < spec.min) return bad(`must be at least ${spec.min}`);
        if (spec.max !== undefined && n > spec.max) return bad(`must be at most ${spec.max}`);
        return n;
      }
      case 'regex': {
        if (typeof value !== 'string') return bad(`expected a regular expression as a string, got ${describe(value)}`);
        try {
          new RegExp(value);
        } catch (err) {
          return bad(`not a valid regular expression: ${(err as Error).message}`);
        }
        return value;
      }
      case 'bool': {
        if (typeof value === 'boolean') return value;
        // As Packer: a string is a boolean when Go's strconv.ParseBool reads it (HCL2 converts
        // "true"/"false"; a JSON template's {{ user }} renders one), and a template that renders
        // to nothing is false (mapstructure's weak decoding), e.g. "{{ user `headless` }}" left "".
        if (typeof value !== 'string') return bad(`expected true or false, got ${describe(value)}`);
        const b = render(value, p).trim();
        if (/^(1|t|true)$/i.test(b) && (b === b.toLowerCase() || b === b.toUpperCase() || b === 'True')) return true;
        if (/^(0|f|false)$/i.test(b) && (b === b.toLowerCase() || b === b.toUpperCase() || b === 'False')) return false;
        if (b === '' && value.includes('{{')) return false;
        return bad(`expected true or false, got ${describe(value)}${b !== value ? ` (${JSON.stringify(b)})` : ''}`);
      }
      case 'duration': {
        if (typeof value !== 'string') return bad(`expected a duration string like "5s" or "2m30s", got ${describe(value)}`);
        let ms: number;
        try {
          ms = parseDuration(render(value, p));
        } catch (err) {
          return bad((err as Error).message);
        }
        // Timers past 2^31-1 ms fire at once: every duration is bounded (7 days unless the field says).
        const wrong = durationProblem(ms, spec.max) ?? (spec.min !== undefined && ms < spec.min ? `must be at least ${formatMs(spec.min)}` : undefined);
        return wrong ? bad(wrong) : ms;
      }
      case 'size-mib': {
        let mib: number;
        if (typeof value === 'number' && Number.isInteger(value) && value > 0) mib = value;
        else {
          // A bare number in a string is MiB, as Packer reads disk_size (and as {{ user }} renders one).
          const m = typeof value === 'string' ? /^(\d+)\s*(?:([MGT])i?B?)?$/i.exec(render(value, p).trim()) : null;
          if (!m) return bad(`expected MiB as a number or a size like "2G", got ${describe(value)}`);
          mib = Number(m[1]) * ({M: 1, G: 1024, T: 1024 * 1024} as Record<string, number>)[(m[2] ?? 'M').toUpperCase()]!;
        }
        if (spec.min !== undefined && mib < spec.min) return bad(`must be at least ${spec.min} MiB (got ${mib} MiB)`);
        if (spec.max !== undefined && mib > spec.max) return bad(`must be at most ${sizeText(spec.max)} (got ${sizeText(mib)})`);
        return mib;
      }
      case 'string[]': {
        const list = typeof value === 'string' ? [value] : value;
        if (!Array.isArray(list)) return bad(`expected a list of strings, got ${describe(value)}`);
        return list.map((item, i) => {
          if (typeof item !== 'string' && typeof item !== 'number') return (bad(`[${i}] expected a string, got ${describe(item)}`), '');
          const s = render(String(item), [...p, i]);
          if (spec.oneOf && !spec.oneOf.includes(s)) at(locate([...p, i]) ?? locate(p), fieldName(p), `[${i}] "${s}" is not one of: ${spec.oneOf.join(', ')}`);
          return s;
        });
      }
      case 'int[]': {
        if (!Array.isArray(value) || !value.every((n) => Number.isInteger(n))) return bad(`expected a list of whole numbers, got ${describe(value)}`);
        return value;
      }
      case 'string[][]': {
        if (!Array.isArray(value) || !value.every((a) => Array.isArray(a) && a.every((s) => typeof s === 'string' || typeof s === 'number'))) {
          return bad('expected a list of lists of strings, e.g. [["-device", "virtio-rng-pci"]]');
        }
        return (value as unknown[][]).map((a, i) => a.map((s, j) => render(String(s), [...p, i, j])));
      }
      case 'map':
        return value;
      case 'string-map': {
        if (!value || typeof value !== 'object' || Array.isArray(value)) return bad(`expected a mapping of names to strings, got ${describe(value)}`);
        const out: Record<string, string> = {};
        for (const [k, v] of Object.entries(value)) {
          if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') bad(`${k}: expected a string, got ${describe(v)}`);
          else out[k] = render(String(v), [...p, k]);
        }
        return out;
      }
    }
  };
  checkFields(raw, PROFILE_FIELDS, [], out);

  // Provisioners and post-processors: lists of typed mappings, each checked against its type's table.
  // Post-processors may also be lists of mappings (Packer's sequences, each one chained).
  // cloud_init: a mapping checked against its own table; the texts as cloud-init would read them.
  const cloudInit = (): CloudInitOptions | undefined => {
    const value = raw.cloud_init;
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'object' || Array.isArray(value)) return void at(locate(['cloud_init']), 'cloud_init', `expected a mapping (user_data, meta_data, network_config, wait, timeout, clean), got ${describe(value)}`);
    const t: Record<string, unknown> = {};
    checkFields(value as Record<string, unknown>, CLOUD_INIT_FIELDS, ['cloud_init'], t);
    const opts = {...CLOUD_INIT_DEFAULTS, ...t} as CloudInitOptions;
    for (const [key, problem] of Object.entries(checkCloudInitTexts(opts))) {
      const p: PathKey[] = ['cloud_init', key];
      const written = (value as Record<string, unknown>)[key];
      const m = typeof written === 'string' ? WHOLE_FILE.exec(written) : null;
      // Text read from a file: point at the file's own line; else at the field.
      const pos = m ? {file: path.resolve(path.dirname(file), m[1] ?? m[2]!), line: problem.line ?? 1, col: 1} : locate(p);
      at(pos, fieldName(p), problem.message);
    }
    return opts;
  };
  const typedList = <T>(
    key: string,
    what: string,
    types: Record<string, {fields: Record<string, FieldSpec>; override?: string; build(f: Record<string, unknown>, source: string, warn: (message: string) => void): T | string}>,
    nested = false,
    /** Types a Packer template may hold that vmbench skips (with the rest of their sequence), and why. */
    skipped: Readonly<Record<string, string>> = {},
  ): T[][] => {
    const out: T[][] = [];
    const list = raw[key];
    if (list === undefined) return out;
    if (!Array.isArray(list)) return (at(locate([key]), key, `expected a list of ${what}s`), out);
    const skipReason = (item: unknown): string | undefined => {
      const type = item && typeof item === 'object' ? (item as Record<string, unknown>).type : undefined;
      return doc.template && typeof type === 'string' && Object.hasOwn(skipped, type) ? skipped[type] : undefined;
    };
    const warnAt = (p: PathKey[], message: string): void => {
      const pos = locate(p);
      opts.warnings?.push({file: pos?.file ?? file, line: pos?.line ?? 1, col: pos?.col ?? 1, field: fieldName(p), message, warning: true});
    };
    const one = (item: unknown, p: PathKey[]): T | undefined => {
      if (!item || typeof item !== 'object' || Array.isArray(item)) return void at(locate(p), fieldName(p), nested ? 'expected a mapping with a type, or a list of them' : 'expected a mapping with a type');
      const obj = item as Record<string, unknown>;
      const kind = typeof obj.type === 'string' && Object.hasOwn(types, obj.type) ? types[obj.type] : undefined;
      if (!kind) {
        const known = Object.keys(types);
        return void at(locate([...p, 'type']) ?? locate(p), fieldName([...p, 'type']), `unsupported ${what} type ${describe(obj.type)} (supported: ${known.join(', ') || 'none yet'})`);
      }
      const t: Record<string, unknown> = {};
      checkFields(obj, kind.fields, p, t);
      // Packer's per-provider `override` (vagrant's): this provider's options replace the type's own.
      let from: Record<string, PathKey[]> = {};
      if (kind.override && t.override !== undefined) {
        const o = t.override;
        delete t.override;
        const op: PathKey[] = [...p, 'override'];
        if (!o || typeof o !== 'object' || Array.isArray(o)) at(locate(op), fieldName(op), `expected a mapping of provider names to options, got ${describe(o)}`);
        else {
          const mine = (o as Record<string, unknown>)[kind.override];
          const mp: PathKey[] = [...op, kind.override];
          if (mine !== undefined && (!mine || typeof mine !== 'object' || Array.isArray(mine))) at(locate(mp), fieldName(mp), `expected a mapping of options, got ${describe(mine)}`);
          else if (mine) {
            const own = Object.fromEntries(Object.entries(kind.fields).filter(([k]) => !['type', 'name', 'override', 'only', 'except', 'keep_input_artifact'].includes(k)));
            checkFields(mine as Record<string, unknown>, own, mp, t);
            from = Object.fromEntries(Object.keys(mine).map((k) => [k, [...mp, k]]));
          }
        }
      }
      const pos = locate(p);
      const warn = (message: string): void => void opts.warnings?.push({file: pos?.file ?? file, line: pos?.line ?? 1, col: pos?.col ?? 1, field: fieldName(p), message, warning: true});
      const built = kind.build(t, `${pos?.file ?? file}:${pos?.line ?? 1}:${pos?.col ?? 1}`, warn);
      if (typeof built !== 'string') return built;
      // "field: message" points at that field when the mapping (or its override) has it.
      const named = /^([a-z_]+): /.exec(built)?.[1];
      const fp = named && (from[named] ?? (Object.hasOwn(obj, named) ? [...p, named] : undefined));
      if (fp) at(locate(fp) ?? locate(p), fieldName(fp), built.slice(named.length + 2));
      else at(locate(p), fieldName(p), built);
      return undefined;
    };
    list.forEach((item, i) => {
      let subs: unknown[] = nested && Array.isArray(item) ? item : [item];
      const cut = subs.findIndex((sub) => skipReason(sub) !== undefined);
      if (cut >= 0) {
        // A skipped post-processor ends its sequence: the ones after it would work on its output.
        const p: PathKey[] = nested && Array.isArray(item) ? [key, i, cut] : [key, i];
        const type = String((subs[cut] as Record<string, unknown>).type);
        const rest = subs.slice(cut + 1).map((s) => String((s as Record<string, unknown> | null)?.type ?? '?'));
        warnAt(p, `${what} "${type}" is skipped: ${skipReason(subs[cut])}${rest.length ? `; so are the ones after it in its sequence (${rest.join(', ')})` : ''}. The build's disk image is made as usual`);
        subs = subs.slice(0, cut);
        if (!subs.length) return;
      }
      const items = nested && Array.isArray(item) ? subs.map((sub, j) => one(sub, [key, i, j])) : [one(item, [key, i])];
      if (nested && Array.isArray(item) && !item.length) at(locate([key, i]), fieldName([key, i]), `an empty sequence of ${what}s`);
      const seq = items.filter((x): x is T => x !== undefined);
      if (seq.length) out.push(seq);
    });
    return out;
  };
  const provisioners = typedList<Provisioner>('provisioners', 'provisioner', PROVISIONER_TYPES).flat();
  const cloud_init = cloudInit();
  const post_processors = typedList<PostProcessor>('post_processors', 'post-processor', POST_PROCESSOR_TYPES, true, SKIPPED_PACKER_POST_PROCESSORS);

  const profile = {
    ...PROFILE_DEFAULTS,
    ...opts.defaults,
    name: doc.defaultName,
    iso_urls: [] as string[],
    boot_command: [] as string[],
    boot_steps: [] as Profile['boot_steps'],
    qemuargs: [] as string[][],
    ...out,
    variables,
    provisioners,
    post_processors,
    ...(cloud_init ? {cloud_init} : {}),
  } as Profile & {iso_url?: string; ssh_wait_timeout?: number; headless?: boolean};
  const rawSteps = (out.boot_steps as string[][] | undefined) ?? [];
  rawSteps.forEach((pair, i) => {
    if (pair.length < 1 || pair.length > 2) at(locate(['boot_steps', i]), `boot_steps[${i}]`, 'expected [command] or [command, description]');
  });
  profile.boot_steps = rawSteps.map((pair, i) => ({command: pair[0] ?? '', description: pair[1] ?? `boot step ${i + 1}`}));
  if (profile.boot_steps.length && profile.boot_command.length) at(locate(['boot_steps'], true), 'boot_steps', 'use either boot_command or boot_steps, not both');
  if (profile.iso_url) profile.iso_urls = [profile.iso_url, ...profile.iso_urls];
  if (profile.ssh_wait_timeout !== undefined && out.ssh_timeout === undefined) profile.ssh_timeout = profile.ssh_wait_timeout;
  delete profile.iso_url;
  delete profile.ssh_wait_timeout;
  delete profile.headless;
  profile.output_directory ??= `output-${profile.name}`;
  profile.vm_name ??= `${profile.name}.${profile.format}`;
  // The names made from `name` must be as safe as written ones.
  for (const [field, kind] of [['vm_name', 'file-name'], ['output_directory', 'folder']] as const) {
    const wrong = out[field] === undefined && pathProblem(profile[field], kind);
    if (wrong) at(locate(['name']), 'name', `gives ${field} "${profile[field]}", which ${wrong.replace(/^"[^"]*" /, '')}`);
  }

  const need = (cond: boolean, field: string, message: string): void => {
    if (!cond) at(locate([field]), field, message);
  };
  need(profile.iso_urls.length > 0 || !!profile.iso_build, 'iso_url', 'missing: set iso_url (or iso_urls, or iso_build)');
  need(profile.communicator === 'none' || (typeof profile.ssh_username === 'string' && profile.ssh_username.length > 0), 'ssh_username', 'missing: the user vmbench logs in as (or communicator: none)');
  need(profile.http_port_min <= profile.http_port_max, 'http_port_min', 'must not be above http_port_max');
  need(profile.ssh_host_port_min <= profile.ssh_host_port_max, 'ssh_host_port_min', 'must not be above ssh_host_port_max');
  need(profile.vnc_port_min <= profile.vnc_port_max, 'vnc_port_min', 'must not be above vnc_port_max');
  checkBuilderOptions(profile, {
    raw,
    dir: path.dirname(file),
    error: (p, message) => at(locate(p) ?? locate(p, true), fieldName(p), message),
    warn: (p, message) => {
      const pos = locate(p) ?? locate(p, true);
      opts.warnings?.push({file: pos?.file ?? file, line: pos?.line ?? 1, col: pos?.col ?? 1, field: fieldName(p), message, warning: true});
    },
  });
  const reportAt = (p: PathKey[]) => (column: number, message: string) => {
    const pos = locate(p);
    // Point at the column inside the string when the scalar sits on one line after its quote.
    const quoted = doc.quoted?.(p) ? 1 : 0;
    at(pos && {...pos, col: pos.col + quoted + column}, fieldName(p), message);
  };
  validateBootCommand(profile.boot_command, (index, column, message) => reportAt(['boot_command', index])(column, message));
  profile.boot_steps.forEach((s, i) => validateBootCommand([s.command], (_, column, message) => reportAt(['boot_steps', i, 0])(column, message)));
  if (issues.length) throw new ProfileError(distinctIssues(issues, doc.issues ?? []));
  return profile;
}


/** A duration in ms as a profile would write it. */
function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/** MiB as a size a profile would write: "64T", "2G", "512M". */
function sizeText(mib: number): string {
  if (mib % (1024 * 1024) === 0) return `${mib / (1024 * 1024)}T`;
  if (mib % 1024 === 0) return `${mib / 1024}G`;
  return `${mib}M`;
}

/** What vmbench names its marker in an output folder (engine/output-marker.ts): no image may take that name. */
const OUTPUT_MARKER = '.vmbench-output';

/** Why `s` may not name a file or folder of this kind (FieldSpec.path), or undefined. */
export function pathProblem(s: string, kind: NonNullable<FieldSpec['path']>): string | undefined {
  // eslint-disable-next-line no-control-regex
  const ctl = /[\u0000-\u001f\u007f]/.exec(s);
  if (ctl) return `must not contain ${ctl[0] === '\0' ? 'a NUL' : ctl[0] === '\n' ? 'a newline' : `the control character ${JSON.stringify(ctl[0])}`}`;
  if (kind === 'host') return undefined;
  if (s === '') return 'must not be empty';
  if (kind === 'folder') return undefined;
  if (s.includes('/')) return `"${s}" must be a file name, not a path (no "/")`;
  if (s === '.' || s === '..') return `"${s}" is not a file name`;
  if (Buffer.byteLength(s) > 255) return `is ${Buffer.byteLength(s)} bytes long: a file name has at most 255`;
  if (s === OUTPUT_MARKER) return `"${s}" is the name of vmbench's marker in the output folder`;
  return undefined;
}

function describe(v: unknown): string {
  if (v === null || v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return `${typeof v} ${JSON.stringify(v)}`;
}
