/**
 * Packer's template functions (Packer 1.6's template/interpolate/funcs.go) and Go's `urlquery`,
 * as template.ts calls them: each with its arity and argument types, checked when the template
 * is parsed, so a wrong call is reported before anything runs.
 */
import {randomBytes} from 'node:crypto';
import {formatGoTime, RFC3339} from './packer/go-time.js';

/** A template value: Go's string, int (or float) and bool. */
export type Value = string | number | boolean;

/** What Packer's functions read: the build they render for and the template they come from. */
export interface PackerContext {
  /** `{{ build_name }}`: the builder's name (its `name`, else its type). */
  buildName?: string;
  /** `{{ build_type }}`: the builder's type ("qemu"). */
  buildType?: string;
  /** `{{ template_dir }}`: the absolute directory of the template file. */
  templateDir?: string;
  /** `{{ pwd }}`: default process.cwd(). */
  cwd?: string;
  /** The time timestamp/isotime print (Packer: its start time, one per run); default: when vmbench started. */
  now?: Date;
}

/** Packer takes its clock once, when it starts: every timestamp of a run agrees. */
export const INIT_TIME = new Date();

type ArgType = 's' | 'i' | 'any';

export interface TemplateFunc {
  /** Argument types, in order; `rest` types any further ones (variadic). */
  args: readonly ArgType[];
  /** How many of `args` may be left out (from the end). */
  optional?: number;
  rest?: ArgType;
  /** Usage shown when called wrongly. */
  usage: string;
  /**
   * Depends only on its arguments, so a call whose argument is a build-time `.Field` can wait for
   * the build (`{{ .SSHPublicKey | urlquery }}`); the others are evaluated when the profile loads.
   */
  pure?: boolean;
  run(args: Value[], ctx: PackerContext): Value;
}

const str = (v: Value): string => String(v);

/** Go's url.QueryEscape: unreserved characters stay, space becomes +, the rest %XX. */
function queryEscape(s: string): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(b);
    if (/[A-Za-z0-9\-_.~]/.test(c)) out += c;
    else if (c === ' ') out += '+';
    else out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** Packer's uuid: time-ordered, the Unix seconds then random bytes (common/uuid.TimeOrderedUUID). */
function timeOrderedUuid(now = new Date()): string {
  const unix = Math.floor(now.getTime() / 1000) >>> 0;
  const b = randomBytes(12).toString('hex');
  return `${unix.toString(16).padStart(8, '0')}-${b.slice(0, 4)}-${b.slice(4, 8)}-${b.slice(8, 12)}-${b.slice(12, 16)}${b.slice(16)}`;
}

const need = (value: string | undefined, name: string): string => {
  if (value === undefined) throw new Error(`${name} is not available here (only in a Packer template's builds)`);
  return value;
};

/** Packer's functions, by name (`user` and `env` are handled by template.ts: they read its data). */
export const PACKER_TEMPLATE_FUNCS: Readonly<Record<string, TemplateFunc>> = {
  build_name: {args: [], usage: '{{ build_name }}', run: (_, c) => need(c.buildName, 'build_name')},
  build_type: {args: [], usage: '{{ build_type }}', run: (_, c) => need(c.buildType, 'build_type')},
  template_dir: {args: [], usage: '{{ template_dir }}', run: (_, c) => need(c.templateDir, 'template_dir')},
  pwd: {args: [], usage: '{{ pwd }}', run: (_, c) => c.cwd ?? process.cwd()},
  timestamp: {args: [], usage: '{{ timestamp }}', run: (_, c) => String(Math.floor((c.now ?? INIT_TIME).getTime() / 1000))},
  isotime: {args: ['s'], optional: 1, usage: '{{ isotime }} or {{ isotime "2006-01-02" }}', run: (a, c) => formatGoTime(c.now ?? INIT_TIME, a.length ? str(a[0]!) : RFC3339)},
  uuid: {args: [], usage: '{{ uuid }}', run: () => timeOrderedUuid()},
  lower: {args: ['s'], usage: '{{ lower "X" }} or {{ … | lower }}', pure: true, run: (a) => str(a[0]!).toLowerCase()},
  upper: {args: ['s'], usage: '{{ upper "x" }} or {{ … | upper }}', pure: true, run: (a) => str(a[0]!).toUpperCase()},
  split: {
    args: ['s', 's', 'i'],
    usage: '{{ split "a-b-c" "-" 1 }} (string, separator, index)',
    pure: true,
    run: (a) => {
      const [s, sep, i] = [str(a[0]!), str(a[1]!), a[2] as number];
      // Go's strings.Split with an empty separator splits into characters.
      const parts = sep === '' ? [...s] : s.split(sep);
      if (i < 0 || i >= parts.length) throw new Error(`split: there is no part ${i} of "${s}" split at "${sep}" (found ${parts.length})`);
      return parts[i]!;
    },
  },
  replace: {
    args: ['s', 's', 'i', 's'],
    usage: '{{ replace "old" "new" N "text" }} or {{ … | replace "old" "new" N }} (N < 0: all)',
    pure: true,
    run: (a) => {
      const [from, to, n, s] = [str(a[0]!), str(a[1]!), a[2] as number, str(a[3]!)];
      if (n < 0) return s.split(from).join(to);
      let out = s;
      let at = 0;
      for (let k = 0; k < n; k++) {
        const i = out.indexOf(from, at);
        if (i < 0) break;
        out = out.slice(0, i) + to + out.slice(i + from.length);
        at = i + to.length + (from === '' ? 1 : 0);
      }
      return out;
    },
  },
  replace_all: {args: ['s', 's', 's'], usage: '{{ replace_all "old" "new" "text" }} or {{ … | replace_all "old" "new" }}', pure: true, run: (a) => str(a[2]!).split(str(a[0]!)).join(str(a[1]!))},
  urlquery: {args: [], rest: 'any', usage: '{{ urlquery "a b" }} or {{ .SSHPublicKey | urlquery }}', pure: true, run: (a) => queryEscape(a.map(str).join(''))},
};

/** Packer functions vmbench does not run (they need Vault, Consul, AWS or a later build stage): named in errors. */
export const UNSUPPORTED_PACKER_FUNCS: Readonly<Record<string, string>> = {
  consul_key: 'it reads Consul',
  vault: 'it reads HashiCorp Vault',
  aws_secretsmanager: 'it reads AWS Secrets Manager',
  aws_secretsmanager_raw: 'it reads AWS Secrets Manager',
  sed: 'Packer deprecated it (use replace or replace_all)',
  strftime: 'use isotime with a Go layout',
  packer_version: 'vmbench is not Packer',
  build: 'it reads values a builder shares with later provisioners',
  printf: 'Go built-in',
  print: 'Go built-in',
  println: 'Go built-in',
  len: 'Go built-in',
  index: 'Go built-in',
  slice: 'Go built-in',
  html: 'Go built-in',
  js: 'Go built-in',
  call: 'Go built-in',
  and: 'Go built-in',
  or: 'Go built-in',
  not: 'Go built-in',
  eq: 'Go built-in',
  ne: 'Go built-in',
  lt: 'Go built-in',
  le: 'Go built-in',
  gt: 'Go built-in',
  ge: 'Go built-in',
};

/** Check a call's argument count, counting a piped value as the last argument. Returns an error message or undefined. */
export function arityProblem(name: string, fn: TemplateFunc, count: number): string | undefined {
  const max = fn.rest ? Infinity : fn.args.length;
  const min = fn.args.length - (fn.optional ?? 0);
  if (count >= min && count <= max) return undefined;
  const want = min === max ? `${min} argument${min === 1 ? '' : 's'}` : max === Infinity ? `at least ${min}` : `${min} to ${max} arguments`;
  return `${name} takes ${want}, got ${count}: ${fn.usage}`;
}

/** Check argument types as Go would (a string where an int is needed is an error). */
export function typeProblem(name: string, fn: TemplateFunc, args: Value[]): string | undefined {
  for (const [i, v] of args.entries()) {
    const t = i < fn.args.length ? fn.args[i]! : (fn.rest ?? 'any');
    if (t === 's' && typeof v !== 'string') return `${name}: argument ${i + 1} must be a string, got ${typeof v} ${String(v)} (${fn.usage})`;
    if (t === 'i' && (typeof v !== 'number' || !Number.isInteger(v))) return `${name}: argument ${i + 1} must be a whole number, got ${typeof v} ${JSON.stringify(v)} (${fn.usage})`;
  }
  return undefined;
}
