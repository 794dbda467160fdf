/**
 * The part of Go's text/template that Packer templates use, in boot commands and every other
 * string: `{{ .HTTPIP }}` (any `.Field`), `{{ user `name` }}`, `{{ env `NAME` }}`, Packer's
 * functions (timestamp, isotime, uuid, template_dir, pwd, build_name, build_type, split,
 * replace, replace_all, lower, upper) and Go's urlquery, called with arguments, parentheses and
 * pipes (`{{ user "x" | lower }}`), string/number/bool literals, comments, and the `{{-` / `-}}`
 * whitespace-trim markers. Pure (but for the clock, uuid and pwd).
 *
 * Anything richer (if/range, $variables, Vault…) is an error naming what is not supported,
 * rather than a silent wrong render: a boot command that types the wrong URL fails far from its
 * cause.
 *
 * Fields known only when the build runs (`.HTTPPort`) can be deferred: the action is kept, with
 * what could be computed now written in as literals, for the build step to render with
 * {@link renderBuildFields}.
 */
import {parseSegments, TemplateError, walk, type Expr} from './template-parse.js';
import {arityProblem, PACKER_TEMPLATE_FUNCS, typeProblem, UNSUPPORTED_PACKER_FUNCS, type PackerContext, type Value} from './template-funcs.js';

export {TemplateError} from './template-parse.js';
export type {PackerContext} from './template-funcs.js';

/** Values a template can read. */
export interface TemplateData {
  /** `.Field` values, e.g. {HTTPIP: '10.0.2.2', HTTPPort: '8123', Name: 'debian'}. */
  fields: Record<string, string>;
  /** User variables for `{{ user `name` }}`. */
  user?: Record<string, string>;
  /** Environment for `{{ env `NAME` }}`; pass `process.env` to read the real one. */
  env?: Record<string, string | undefined>;
  /** false: `env` is an error here (Packer allows it only in variables' defaults). Default: allowed. */
  allowEnv?: boolean;
  /**
   * vmbench's own functions for this render, by name: `{{ name }}` or `{{ name `arg` }}`
   * (e.g. host_apt_mirror in a variable's default). A function that throws fails the render.
   */
  funcs?: Record<string, (arg?: string) => string>;
  /**
   * `.Field`s only the build knows: an action using one is kept for the build to render, with
   * everything else in it computed now. Only Packer's pure functions (lower, upper, split,
   * replace, replace_all, urlquery) may take such a field.
   */
  deferFields?: readonly string[];
  /** What Packer's functions read (build_name, template_dir, the clock); without it they say they are not available. */
  packer?: PackerContext;
  /**
   * An undefined `{{ user `name` }}`: without this it is an error; with it, it is told and
   * renders "" (what Packer does: its user function reads a missing variable as empty).
   */
  unknownUser?: (name: string) => void;
}

/** vmbench's own template functions (not Packer's): the names {@link TemplateData.funcs} may fill in. */
export const VMBENCH_FUNCS: ReadonlySet<string> = new Set(['host_apt_mirror']);

/** A computed value, or the source of an expression that waits for build-time fields. */
type Result = {value: Value} | {deferred: string};

/**
 * Render `src` with `data`. Text outside `{{ }}` passes through unchanged, including a lone
 * `{` or `}}`. An `env` variable that is not set renders as "" (as Packer's env does).
 *
 * @throws TemplateError for an unclosed `{{`, an unsupported expression, an unknown `.Field`,
 *   an undefined user variable (the message lists the known ones) or a function that fails.
 */
export function renderTemplate(src: string, data: TemplateData): string {
  let out = '';
  for (const seg of parseSegments(src)) {
    if (seg.kind === 'text') out += seg.text;
    else if (seg.kind === 'action') {
      const r = evaluate(seg.expr, data);
      out += 'value' in r ? String(r.value) : `{{ ${r.deferred} }}`;
    }
  }
  return out;
}

/**
 * Render the build-time fields a loaded profile kept (`{{ .HTTPPort }}`, `{{ .SSHPublicKey |
 * urlquery }}`) — what a build step calls when it knows them (qemuargs at VM start, the boot
 * command once HTTP is up). User variables were rendered when the profile loaded.
 */
export function renderBuildFields(text: string, fields: Record<string, string>): string {
  return renderTemplate(text, {fields});
}

/**
 * The fields, user variables and environment variables `src` refers to, each once, in order
 * of first use, so a profile can be validated before anything is rendered.
 *
 * @throws TemplateError for syntax errors and unsupported functions, as {@link renderTemplate} would.
 */
export function templateReferences(src: string): {fields: string[]; user: string[]; env: string[]} {
  const refs = {fields: new Set<string>(), user: new Set<string>(), env: new Set<string>()};
  for (const seg of parseSegments(src)) {
    if (seg.kind !== 'action') continue;
    checkCalls(seg.expr, 0);
    for (const e of walk(seg.expr)) {
      if (e.kind === 'field') refs.fields.add(e.name);
      const arg = e.kind === 'call' ? e.args[0] : undefined;
      if (e.kind === 'call' && (e.name === 'user' || e.name === 'env') && arg?.kind === 'string') refs[e.name].add(arg.value);
    }
  }
  return {fields: [...refs.fields], user: [...refs.user], env: [...refs.env]};
}

const fail = (message: string, e: {at: number; len: number}): never => {
  throw new TemplateError(`${message} at offset ${e.at}`, e.at, e.len);
};

/** Whether `name` is a function, and its call has as many arguments as it takes (`piped`: one more arrives through |). */
function checkCall(e: Extract<Expr, {kind: 'call'}>, piped: number, data?: TemplateData): void {
  const count = e.args.length + piped;
  const nameSpan = {at: e.nameAt, len: e.name.length};
  if (e.name === 'user' || e.name === 'env') {
    if (count !== 1) fail(`${e.name} takes one quoted name, like {{ ${e.name} \`NAME\` }},`, e);
    return;
  }
  if (VMBENCH_FUNCS.has(e.name) || (data?.funcs && Object.hasOwn(data.funcs, e.name))) {
    if (count > 1) fail(`${e.name} takes at most one quoted argument, like {{ ${e.name} \`hostname\` }},`, e);
    return;
  }
  const fn = Object.hasOwn(PACKER_TEMPLATE_FUNCS, e.name) ? PACKER_TEMPLATE_FUNCS[e.name] : undefined;
  if (!fn) {
    if (Object.hasOwn(UNSUPPORTED_PACKER_FUNCS, e.name)) fail(`template function ${e.name} is not supported (${UNSUPPORTED_PACKER_FUNCS[e.name]})`, nameSpan);
    fail(`unknown template function ${e.name}`, nameSpan);
  }
  const problem = arityProblem(e.name, fn!, count);
  if (problem) fail(problem, e);
}

/** Check every call in `e` (the commands after a pipe get one more argument). */
function checkCalls(e: Expr, piped: number): void {
  if (e.kind === 'pipe') e.cmds.forEach((c, i) => checkCalls(c, i ? 1 : 0));
  if (e.kind !== 'call') return;
  checkCall(e, piped);
  for (const a of e.args) checkCalls(a, 0);
}

/** Go's quoting, for a computed value written into a kept (deferred) action. */
const literal = (v: Value): string => (typeof v === 'string' ? JSON.stringify(v) : String(v));
const sourceOf = (r: Result, nested: boolean): string => ('value' in r ? literal(r.value) : nested && /[\s|]/.test(r.deferred) ? `(${r.deferred})` : r.deferred);

function evaluate(e: Expr, data: TemplateData, piped?: Result): Result {
  switch (e.kind) {
    case 'string':
    case 'number':
    case 'bool':
      return {value: e.value};
    case 'field': {
      if (Object.hasOwn(data.fields, e.name)) return {value: data.fields[e.name]!};
      if (data.deferFields?.includes(e.name)) return {deferred: `.${e.name}`};
      const known = [...Object.keys(data.fields), ...(data.deferFields ?? [])].map((k) => `.${k}`);
      throw unknownName('field', `.${e.name}`, known, e);
    }
    case 'pipe': {
      let prev: Result | undefined;
      for (const cmd of e.cmds) {
        if (prev && cmd.kind !== 'call') fail(`${cmd.kind === 'field' ? `.${cmd.name}` : 'a value'} cannot take a piped value (only a function can)`, cmd);
        prev = evaluate(cmd, data, prev);
      }
      return prev!;
    }
    case 'call':
      return call(e, data, piped);
  }
}

function call(e: Extract<Expr, {kind: 'call'}>, data: TemplateData, piped?: Result): Result {
  // {{ build `Host` }}: Packer's generated data, where the field fills it in when it runs (as {{ .Host }}).
  const [arg] = e.args;
  if (e.name === 'build' && e.args.length === 1 && !piped && arg?.kind === 'string' && data.deferFields?.includes(arg.value)) return {deferred: `.${arg.value}`};
  checkCall(e, piped ? 1 : 0, data);
  const args = e.args.map((a) => evaluate(a, data));
  if (piped) args.push(piped);
  const argNodes: Array<{at: number; len: number}> = [...e.args, e];
  const deferred = args.some((a) => 'deferred' in a);
  if (deferred) {
    const fn = PACKER_TEMPLATE_FUNCS[e.name];
    if (!fn?.pure) {
      const field = args.find((a): a is {deferred: string} => 'deferred' in a)!.deferred;
      fail(`${e.name} cannot use ${field}: it is known only when the build runs`, e);
    }
    const own = `${e.name}${e.args.map((_, i) => ` ${sourceOf(args[i]!, true)}`).join('')}`;
    return {deferred: piped ? `${sourceOf(piped, false)} | ${own}` : own};
  }
  const values = args.map((a) => (a as {value: Value}).value);
  if (e.name === 'user' || e.name === 'env') {
    const name = values[0];
    const at = argNodes[0]!;
    if (typeof name !== 'string') fail(`${e.name} takes a quoted name, like {{ ${e.name} \`NAME\` }},`, at);
    if (e.name === 'env') {
      if (data.allowEnv === false) fail('env is only allowed in the default values of variables (as in Packer); set a variable to {{ env `NAME` }} and use {{ user `variable` }} here', e);
      return {value: (data.env && Object.hasOwn(data.env, name as string) ? data.env[name as string] : undefined) ?? ''};
    }
    const user = data.user ?? {};
    const value = Object.hasOwn(user, name as string) ? user[name as string] : undefined;
    if (value === undefined && data.unknownUser) {
      data.unknownUser(name as string);
      return {value: ''};
    }
    if (value === undefined) throw unknownName('user variable', name as string, Object.keys(user), at);
    return {value};
  }
  const own = data.funcs && Object.hasOwn(data.funcs, e.name) ? data.funcs[e.name] : undefined;
  if (own || VMBENCH_FUNCS.has(e.name)) {
    if (!own) fail(`template function ${e.name} is not available here (only in variables' defaults)`, e);
    try {
      return {value: own!(values[0] === undefined ? undefined : String(values[0]))};
    } catch (err) {
      return fail((err as Error).message, e);
    }
  }
  const fn = PACKER_TEMPLATE_FUNCS[e.name]!;
  const problem = typeProblem(e.name, fn, values);
  if (problem) fail(problem, e);
  try {
    return {value: fn.run(values, data.packer ?? {})};
  } catch (err) {
    return fail((err as Error).message, e);
  }
}

function unknownName(what: string, name: string, known: string[], a: {at: number; len: number}): TemplateError {
  const close = known.find((k) => k.toLowerCase() === name.toLowerCase());
  const list = known.length > 0 ? `known: ${known.join(', ')}` : `no ${what}s are defined`;
  return new TemplateError(`unknown ${what} ${name} at offset ${a.at}${close ? `; did you mean ${close}?` : ''} (${list})`, a.at, a.len);
}
