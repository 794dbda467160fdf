/**
 * The HCL2 functions vmbench evaluates, with Packer's meaning (Packer's hcl2template/functions.go
 * names them; most come from go-cty's stdlib). Any other function is an error at its file:line —
 * notably the ones that reach outside the template (aws_secretsmanager, vault, consul_key) and
 * the ones rarely seen in qemu templates (cidr*, bcrypt, rsadecrypt, set*, …).
 */
import {createHash, randomUUID} from 'node:crypto';
import {existsSync, readdirSync, readFileSync, statSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {stringify as yamlStringify, parse as yamlParse} from 'yaml';
import {parseDurationPrecise} from '../../util/duration.js';
import {formatGoTime} from '../packer/go-time.js';
import {INIT_TIME} from '../template-funcs.js';
import {describe, evalTemplateText, HclEvalError, toBool, toNum, toStr, type HclFunction, type HclValue, type LazyHclFunction, type Scope} from './eval.js';

type Fns = Record<string, HclFunction | LazyHclFunction>;

const arity = (name: string, args: unknown[], min: number, max = min): void => {
  if (args.length < min || args.length > max) throw new HclEvalError(`${name}() takes ${min === max ? min : `${min} to ${max}`} argument${max === 1 ? '' : 's'}, got ${args.length}`, `${name}(`);
};
const str1 = (name: string, f: (s: string) => HclValue): HclFunction => (a) => (arity(name, a, 1), f(toStr(a[0]!)));
const list = (v: HclValue): HclValue[] => {
  if (Array.isArray(v)) return v;
  throw new HclEvalError(`expected a list, got ${describe(v)}`);
};
const map = (v: HclValue): Record<string, HclValue> => {
  if (v && typeof v === 'object' && !Array.isArray(v)) return v;
  throw new HclEvalError(`expected a map, got ${describe(v)}`);
};
const hash = (algo: string): HclFunction => str1(algo, (s) => createHash(algo).update(s).digest('hex'));
const lazy = (f: (args: (() => HclValue)[], scope: Scope) => HclValue): LazyHclFunction => Object.assign(f, {lazy: true as const});

/** go-cty's format verbs that templates use: %s %d %f %v %q %%, with width/precision. */
function format(spec: string, args: HclValue[]): string {
  let k = 0;
  return spec.replace(/%([-+ 0#]*)(\d*)(?:\.(\d+))?([sdfvqtx%])/g, (_m, flags: string, width: string, prec: string | undefined, verb: string) => {
    if (verb === '%') return '%';
    if (k >= args.length) throw new HclEvalError(`format: not enough arguments for "${spec}"`);
    const v = args[k++]!;
    let s: string;
    if (verb === 'd') s = String(Math.trunc(toNum(v)));
    else if (verb === 'f') s = toNum(v).toFixed(prec === undefined ? 6 : Number(prec));
    else if (verb === 'q') s = JSON.stringify(toStr(v));
    else if (verb === 'x') s = typeof v === 'number' ? v.toString(16) : Buffer.from(toStr(v)).toString('hex');
    else if (verb === 'v' && v !== null && typeof v === 'object') s = JSON.stringify(v);
    else s = toStr(v);
    if (verb === 's' && prec !== undefined) s = s.slice(0, Number(prec));
    const w = Number(width || 0);
    return s.length >= w ? s : flags.includes('-') ? s.padEnd(w) : s.padStart(w, flags.includes('0') && verb !== 's' ? '0' : ' ');
  });
}

/** go-cty's formatdate: YYYY YY MM M DD D EEEE EEE hh h mm m ss s AA aa ZZZZ ZZZ Z 'literal'. */
function formatDate(spec: string, when: string): string {
  const d = new Date(when);
  if (Number.isNaN(d.getTime())) throw new HclEvalError(`formatdate: "${when}" is not an RFC 3339 timestamp`);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const days = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
  const months = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
  const h12 = d.getUTCHours() % 12 || 12;
  const tokens: Record<string, string> = {
    YYYY: p(d.getUTCFullYear(), 4), YY: p(d.getUTCFullYear() % 100), MMMM: months[d.getUTCMonth()]!, MMM: months[d.getUTCMonth()]!.slice(0, 3),
    MM: p(d.getUTCMonth() + 1), M: String(d.getUTCMonth() + 1), DD: p(d.getUTCDate()), D: String(d.getUTCDate()),
    EEEE: days[d.getUTCDay()]!, EEE: days[d.getUTCDay()]!.slice(0, 3), hh: p(d.getUTCHours()), h: String(d.getUTCHours()),
    HH: p(h12), H: String(h12), mm: p(d.getUTCMinutes()), m: String(d.getUTCMinutes()), ss: p(d.getUTCSeconds()), s: String(d.getUTCSeconds()),
    AA: d.getUTCHours() < 12 ? 'AM' : 'PM', aa: d.getUTCHours() < 12 ? 'am' : 'pm', ZZZZZ: '+00:00', ZZZZ: '+0000', ZZZ: 'UTC', Z: 'Z',
  };
  return spec.replace(/'((?:[^']|'')*)'|YYYY|YY|MMMM|MMM|MM|M|DD|D|EEEE|EEE|hh|h|HH|H|mm|m|ss|s|AA|aa|ZZZZZ|ZZZZ|ZZZ|Z/g, (t, lit: string | undefined) =>
    lit !== undefined ? lit.replace(/''/g, "'") : tokens[t]!,
  );
}

function flatten(v: HclValue[]): HclValue[] {
  return v.flatMap((x) => (Array.isArray(x) ? flatten(x) : [x]));
}

/**
 * The functions vmbench supports in HCL2 templates. `basedir` is the template's folder: file(),
 * fileexists() and templatefile() read relative to it, as Packer's do.
 */
export function hclFunctions(basedir: string): Fns {
  const resolve = (p: string) => path.resolve(basedir, p.startsWith('~/') ? path.join(os.homedir(), p.slice(2)) : p);
  const readText = (name: string, p: string): string => {
    const f = resolve(p);
    if (!existsSync(f) || !statSync(f).isFile()) throw new HclEvalError(`${name}: no such file: ${f}`);
    return readFileSync(f, 'utf8');
  };
  const fns: Record<string, HclFunction> = {
    // strings
    upper: str1('upper', (s) => s.toUpperCase()),
    lower: str1('lower', (s) => s.toLowerCase()),
    title: str1('title', (s) => s.replace(/(^|\s)(\S)/g, (_m, a: string, b: string) => a + b.toUpperCase())),
    trimspace: str1('trimspace', (s) => s.trim()),
    chomp: str1('chomp', (s) => s.replace(/(\r?\n)+$/, '')),
    strrev: str1('strrev', (s) => [...s].reverse().join('')),
    trim: (a) => (arity('trim', a, 2), toStr(a[0]!).replace(new RegExp(`^[${esc(toStr(a[1]!))}]+|[${esc(toStr(a[1]!))}]+$`, 'g'), '')),
    trimprefix: (a) => (arity('trimprefix', a, 2), toStr(a[0]!).startsWith(toStr(a[1]!)) ? toStr(a[0]!).slice(toStr(a[1]!).length) : toStr(a[0]!)),
    trimsuffix: (a) => (arity('trimsuffix', a, 2), toStr(a[1]!) && toStr(a[0]!).endsWith(toStr(a[1]!)) ? toStr(a[0]!).slice(0, -toStr(a[1]!).length) : toStr(a[0]!)),
    startswith: (a) => (arity('startswith', a, 2), toStr(a[0]!).startsWith(toStr(a[1]!))),
    endswith: (a) => (arity('endswith', a, 2), toStr(a[0]!).endsWith(toStr(a[1]!))),
    strcontains: (a) => (arity('strcontains', a, 2), toStr(a[0]!).includes(toStr(a[1]!))),
    replace: (a) => {
      arity('replace', a, 3);
      const [s, from, to] = a.map(toStr) as [string, string, string];
      // As go-cty: a substring written /like this/ is a regular expression.
      const re = /^\/(.*)\/$/s.exec(from);
      return re ? s.replace(new RegExp(re[1]!, 'g'), goReplacement(to)) : s.split(from).join(to);
    },
    regex_replace: (a) => (arity('regex_replace', a, 3), toStr(a[0]!).replace(new RegExp(toStr(a[1]!), 'g'), goReplacement(toStr(a[2]!)))),
    split: (a) => (arity('split', a, 2), toStr(a[1]!).split(toStr(a[0]!))),
    join: (a) => (arity('join', a, 2), a.slice(1).flatMap((l) => list(l)).map(toStr).join(toStr(a[0]!))),
    format: (a) => format(toStr(a[0] ?? ''), a.slice(1)),
    formatlist: (a) => {
      const n = Math.max(0, ...a.slice(1).filter(Array.isArray).map((l) => (l as HclValue[]).length));
      return Array.from({length: n}, (_, k) => format(toStr(a[0] ?? ''), a.slice(1).map((v) => (Array.isArray(v) ? v[k]! : v))));
    },
    substr: (a) => {
      arity('substr', a, 3);
      const chars = [...toStr(a[0]!)];
      const off = toNum(a[1]!) < 0 ? chars.length + toNum(a[1]!) : toNum(a[1]!);
      const len = toNum(a[2]!) < 0 ? chars.length - off : toNum(a[2]!);
      return chars.slice(off, off + len).join('');
    },
    indent: (a) => (arity('indent', a, 2), toStr(a[1]!).replace(/\n/g, `\n${' '.repeat(toNum(a[0]!))}`)),
    // collections
    length: (a) => (arity('length', a, 1), typeof a[0] === 'string' ? [...a[0]].length : Array.isArray(a[0]) ? a[0].length : Object.keys(map(a[0]!)).length),
    concat: (a) => a.flatMap((l) => list(l)),
    contains: (a) => (arity('contains', a, 2), list(a[0]!).some((x) => JSON.stringify(x) === JSON.stringify(a[1]))),
    element: (a) => (arity('element', a, 2), list(a[0]!)[toNum(a[1]!) % list(a[0]!).length] ?? null),
    index: (a) => {
      arity('index', a, 2);
      const k = list(a[0]!).findIndex((x) => JSON.stringify(x) === JSON.stringify(a[1]));
      if (k < 0) throw new HclEvalError('index: the value is not in the list');
      return k;
    },
    keys: (a) => (arity('keys', a, 1), Object.keys(map(a[0]!)).sort()),
    values: (a) => (arity('values', a, 1), Object.keys(map(a[0]!)).sort().map((k) => map(a[0]!)[k]!)),
    lookup: (a) => {
      arity('lookup', a, 2, 3);
      const m = map(a[0]!);
      const k = toStr(a[1]!);
      if (Object.hasOwn(m, k)) return m[k]!;
      if (a.length === 3) return a[2]!;
      throw new HclEvalError(`lookup: no key "${k}" and no default given`);
    },
    merge: (a) => Object.assign({}, ...a.filter((m) => m !== null).map(map)) as Record<string, HclValue>,
    flatten: (a) => (arity('flatten', a, 1), flatten(list(a[0]!))),
    distinct: (a) => (arity('distinct', a, 1), list(a[0]!).filter((x, k, all) => all.findIndex((y) => JSON.stringify(y) === JSON.stringify(x)) === k)),
    reverse: (a) => (arity('reverse', a, 1), [...list(a[0]!)].reverse()),
    slice: (a) => (arity('slice', a, 3), list(a[0]!).slice(toNum(a[1]!), toNum(a[2]!))),
    sort: (a) => (arity('sort', a, 1), list(a[0]!).map(toStr).sort()),
    compact: (a) => (arity('compact', a, 1), list(a[0]!).filter((x) => x !== null && x !== '')),
    coalesce: (a) => a.find((x) => x !== null && x !== '') ?? (() => { throw new HclEvalError('coalesce: no non-null, non-empty argument'); })(),
    coalescelist: (a) => a.find((x) => Array.isArray(x) && x.length > 0) ?? [],
    zipmap: (a) => (arity('zipmap', a, 2), Object.fromEntries(list(a[0]!).map((k, j) => [toStr(k), list(a[1]!)[j] ?? null]))),
    range: (a) => {
      arity('range', a, 1, 3);
      const [start, end, step] = a.length === 1 ? [0, toNum(a[0]!), 1] : [toNum(a[0]!), toNum(a[1]!), a[2] === undefined ? 1 : toNum(a[2])];
      const out: number[] = [];
      for (let v = start; step > 0 ? v < end : v > end; v += step) out.push(v);
      return out;
    },
    alltrue: (a) => (arity('alltrue', a, 1), list(a[0]!).every(toBool)),
    anytrue: (a) => (arity('anytrue', a, 1), list(a[0]!).some(toBool)),
    // numbers
    abs: (a) => (arity('abs', a, 1), Math.abs(toNum(a[0]!))),
    ceil: (a) => (arity('ceil', a, 1), Math.ceil(toNum(a[0]!))),
    floor: (a) => (arity('floor', a, 1), Math.floor(toNum(a[0]!))),
    signum: (a) => (arity('signum', a, 1), Math.sign(toNum(a[0]!))),
    pow: (a) => (arity('pow', a, 2), toNum(a[0]!) ** toNum(a[1]!)),
    log: (a) => (arity('log', a, 2), Math.log(toNum(a[0]!)) / Math.log(toNum(a[1]!))),
    min: (a) => Math.min(...a.map(toNum)),
    max: (a) => Math.max(...a.map(toNum)),
    sum: (a) => (arity('sum', a, 1), list(a[0]!).map(toNum).reduce((x, y) => x + y, 0)),
    parseint: (a) => {
      arity('parseint', a, 2);
      const n = parseInt(toStr(a[0]!), toNum(a[1]!));
      if (Number.isNaN(n)) throw new HclEvalError(`parseint: "${toStr(a[0]!)}" is not a number in base ${toNum(a[1]!)}`);
      return n;
    },
    // encodings and hashes
    base64encode: str1('base64encode', (s) => Buffer.from(s).toString('base64')),
    base64decode: str1('base64decode', (s) => Buffer.from(s, 'base64').toString('utf8')),
    urlencode: str1('urlencode', (s) => encodeURIComponent(s)),
    jsonencode: (a) => (arity('jsonencode', a, 1), JSON.stringify(a[0])),
    jsondecode: str1('jsondecode', (s) => JSON.parse(s) as HclValue),
    yamlencode: (a) => (arity('yamlencode', a, 1), yamlStringify(a[0])),
    yamldecode: str1('yamldecode', (s) => yamlParse(s) as HclValue),
    md5: hash('md5'),
    sha1: hash('sha1'),
    sha256: hash('sha256'),
    sha512: hash('sha512'),
    uuidv4: (a) => (arity('uuidv4', a, 0), randomUUID()),
    // time: Packer's timestamp() is the build's start, in UTC, to the second
    timestamp: (a) => (arity('timestamp', a, 0), new Date().toISOString().replace(/\.\d+Z$/, 'Z')),
    formatdate: (a) => (arity('formatdate', a, 2), formatDate(toStr(a[0]!), toStr(a[1]!))),
    // Packer's JSON-era clocks for HCL2 (`packer hcl2_upgrade` writes them): the run's start, UTC.
    legacy_isotime: (a) => (arity('legacy_isotime', a, 1), formatGoTime(INIT_TIME, toStr(a[0]!))),
    legacy_strftime: (a) => (arity('legacy_strftime', a, 1), strftime(INIT_TIME, toStr(a[0]!))),
    timeadd: (a) => {
      arity('timeadd', a, 2);
      const t = new Date(toStr(a[0]!));
      if (Number.isNaN(t.getTime()) || !/^\d{4}-\d\d-\d\dT/.test(toStr(a[0]!))) throw new HclEvalError(`timeadd: "${toStr(a[0]!)}" is not an RFC 3339 timestamp`);
      let ms: number;
      try {
        ms = parseDurationPrecise(toStr(a[1]!));
      } catch (err) {
        throw new HclEvalError(`timeadd: ${(err as Error).message}`);
      }
      return new Date(t.getTime() + ms).toISOString().replace(/\.000Z$/, 'Z');
    },
    regex: (a) => {
      arity('regex', a, 2);
      const m = goRegExp(toStr(a[0]!)).exec(toStr(a[1]!));
      if (!m) throw new HclEvalError(`regex: no match for the pattern ${JSON.stringify(toStr(a[0]!))}`);
      return regexResult(m);
    },
    regexall: (a) => (arity('regexall', a, 2), [...toStr(a[1]!).matchAll(goRegExp(toStr(a[0]!), 'g'))].map(regexResult)),
    // files, relative to the template's folder
    abspath: str1('abspath', (s) => path.resolve(s)),
    basename: str1('basename', (s) => path.basename(s)),
    dirname: str1('dirname', (s) => path.dirname(s)),
    pathexpand: str1('pathexpand', (s) => (s.startsWith('~/') || s === '~' ? path.join(os.homedir(), s.slice(1)) : s)),
    file: str1('file', (p) => readText('file', p)),
    fileexists: str1('fileexists', (p) => existsSync(resolve(p)) && statSync(resolve(p)).isFile()),
    fileset: (a) => {
      arity('fileset', a, 2);
      const base = toStr(a[0]!);
      const dir = resolve(base);
      if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new HclEvalError(`fileset: no such folder: ${dir}`);
      const re = globRegExp(toStr(a[1]!));
      return listFiles(dir).filter((f) => re.test(f)).sort();
    },
    filebase64: str1('filebase64', (p) => (readText('filebase64', p), readFileSync(resolve(p)).toString('base64'))),
    templatefile: (a, scope) => {
      arity('templatefile', a, 2);
      const p = toStr(a[0]!);
      const vars = map(a[1]!);
      // As Packer's: the file sees only the variables passed to it, and cannot call templatefile again.
      const {templatefile: _, ...others} = scope.functions;
      const inner: Scope = {
        symbols: vars,
        functions: others,
        ref: (root, name) => {
          throw new HclEvalError(`${p}: ${root}.${name}: a templatefile() template sees only the variables passed to it`);
        },
      };
      try {
        return evalTemplateText(readText('templatefile', p), inner, resolve(p));
      } catch (err) {
        if (err instanceof HclEvalError) throw new HclEvalError(`templatefile("${p}"): ${err.message}`, 'templatefile(');
        throw err;
      }
    },
  };
  return {
    ...fns,
    // errors as values
    try: lazy((args) => {
      for (const t of args) {
        try {
          return t();
        } catch (err) {
          if (!(err instanceof HclEvalError)) throw err;
        }
      }
      throw new HclEvalError('try: no argument could be evaluated');
    }),
    can: lazy((args) => {
      try {
        args[0]?.();
        return true;
      } catch (err) {
        if (!(err instanceof HclEvalError)) throw err;
        return false;
      }
    }),
  };
}

/** An RE2 pattern as a JavaScript one: Go's named groups (?P<name>…) are written (?<name>…) here. */
function goRegExp(pattern: string, flags = ''): RegExp {
  try {
    return new RegExp(pattern.replace(/\(\?P</g, '(?<'), flags);
  } catch (err) {
    throw new HclEvalError(`not a valid regular expression: ${(err as Error).message}`);
  }
}

/** go-cty's regex result: the match when the pattern has no groups, else its groups (a map when they are named). */
function regexResult(m: RegExpMatchArray | RegExpExecArray): HclValue {
  if (m.groups) return Object.fromEntries(Object.entries(m.groups).map(([k, v]) => [k, v ?? null]));
  return m.length > 1 ? m.slice(1).map((g) => g ?? null) : m[0];
}

/** C's strftime directives, as Packer's legacy_strftime reads them (UTC). */
function strftime(d: Date, spec: string): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const days = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
  const months = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
  const yday = Math.floor((Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()) - Date.UTC(d.getUTCFullYear(), 0, 1)) / 86_400_000) + 1;
  const map: Record<string, string> = {
    Y: String(d.getUTCFullYear()), y: p(d.getUTCFullYear() % 100), m: p(d.getUTCMonth() + 1), d: p(d.getUTCDate()), e: String(d.getUTCDate()).padStart(2, ' '),
    H: p(d.getUTCHours()), I: p(d.getUTCHours() % 12 || 12), M: p(d.getUTCMinutes()), S: p(d.getUTCSeconds()), j: p(yday, 3),
    a: days[d.getUTCDay()]!.slice(0, 3), A: days[d.getUTCDay()]!, b: months[d.getUTCMonth()]!.slice(0, 3), B: months[d.getUTCMonth()]!, h: months[d.getUTCMonth()]!.slice(0, 3),
    p: d.getUTCHours() < 12 ? 'AM' : 'PM', Z: 'UTC', z: '+0000', n: '\n', t: '\t', '%': '%',
  };
  map.F = `${map.Y}-${map.m}-${map.d}`;
  map.T = `${map.H}:${map.M}:${map.S}`;
  map.D = `${map.m}/${map.d}/${map.y}`;
  return spec.replace(/%(.)/g, (all, c: string) => map[c] ?? all);
}

/** Every regular file under `dir`, as paths relative to it with "/" (what fileset() matches). */
function listFiles(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const e of readdirSync(path.join(dir, prefix), {withFileTypes: true})) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...listFiles(dir, rel));
    else if (e.isFile()) out.push(rel);
  }
  return out;
}

/**
 * A fileset() pattern (Go's doublestar, as Packer's): `*` and `?` stay within one folder, `**`
 * spans folders, `[abc]`/`[!abc]` are classes, `{a,b}` alternatives.
 */
export function globRegExp(pattern: string): RegExp {
  let re = '';
  let braces = 0;
  for (let k = 0; k < pattern.length; k++) {
    const c = pattern[k]!;
    if (c === '*' && pattern[k + 1] === '*') {
      const slash = pattern[k + 2] === '/';
      re += slash ? '(?:.*/)?' : '.*';
      k += slash ? 2 : 1;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = pattern.indexOf(']', k + 2);
      if (end < 0) throw new HclEvalError(`fileset: unclosed [ in the pattern "${pattern}"`);
      re += `[${pattern.slice(k + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\')}]`;
      k = end;
    } else if (c === '{') {
      braces++;
      re += '(?:';
    } else if (c === '}' && braces) {
      braces--;
      re += ')';
    } else if (c === ',' && braces) re += '|';
    else if (c === '\\' && k + 1 < pattern.length) re += pattern[++k]!.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    else re += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  if (braces) throw new HclEvalError(`fileset: unclosed { in the pattern "${pattern}"`);
  return new RegExp(`^${re}$`);
}

const esc = (s: string): string => s.replace(/[\\\]^-]/g, '\\$&');
/** Go's regexp replacement `$1`/`${name}` → JavaScript's `$1`/`$<name>`. */
const goReplacement = (s: string): string => s.replace(/\$\{(\w+)\}/g, (_m, n: string) => (/^\d+$/.test(n) ? `$${n}` : `$<${n}>`));

/** Names of the functions vmbench evaluates (for messages and the README). */
export const SUPPORTED_HCL_FUNCTIONS: readonly string[] = Object.keys(hclFunctions('.')).sort();

/** Packer's other functions: known, but not evaluated by vmbench (an error names them). */
export const UNSUPPORTED_PACKER_FUNCTIONS: ReadonlySet<string> = new Set([
  'aws_secretsmanager', 'aws_secretsmanager_raw', 'vault', 'consul_key', 'azure_keyvault', 'bcrypt', 'rsadecrypt', 'cidrhost', 'cidrnetmask',
  'cidrsubnet', 'cidrsubnets', 'chunklist', 'convert', 'csvdecode', 'base64gzip',
  'rfc3339_parse', 'setintersection', 'setproduct', 'setunion', 'textdecodebase64', 'textencodebase64',
  'unix_timestamp_parse', 'uuidv5',
]);

/** The message for a function vmbench does not evaluate. */
export function unknownFunctionMessage(name: string): string {
  if (name === 'env') return 'env() is only allowed in a variable\'s default (as in Packer): declare a variable with default = env("NAME")';
  if (UNSUPPORTED_PACKER_FUNCTIONS.has(name)) return `function ${name}() is one of Packer's but vmbench does not support it (supported: ${SUPPORTED_HCL_FUNCTIONS.join(', ')})`;
  return `unknown function ${name}() (vmbench supports: ${SUPPORTED_HCL_FUNCTIONS.join(', ')})`;
}
