/**
 * Packer HCL2 input variables: `variable` blocks (type, default, sensitive, validation) and the
 * legacy `variables {}` block, given values with Packer's precedence. From Packer's source
 * (hcl2template/parser.go `Parse` and types.variables.go `collectInputVariableValues`), later
 * sources win:
 *
 *   1. the variable's `default` (which alone may call env())
 *   2. `PKR_VAR_name` environment variables (names not declared are ignored, as Packer does)
 *   3. `*.auto.pkrvars.hcl` then `*.auto.pkrvars.json` of the template's folder, in lexical order
 *   4. `-var-file` files, in the order given
 *   5. `-var name=value`
 *
 * A value from the environment or -var is taken as a literal string when the variable's type is
 * string, number or unset, else parsed as an HCL expression — as Packer does. Var files hold
 * constant values only.
 */
import {readFileSync} from 'node:fs';
import path from 'node:path';
import type {ProfileIssue, SourcePos} from '../document.js';
import {attr, posIn, readHclFile, type HclAttr, type HclBlock} from './blocks.js';
import {evalRaw, evaluate, HclEvalError, toBool, toNum, toStr, describe, type HclValue, type Scope} from './eval.js';
import {normalizeTemplate} from './template-ast.js';
import {hclExpressionAst, HclSyntaxError, type HclAst} from './wasm.js';

type HclType = 'string' | 'number' | 'bool' | 'any' | {list: HclType} | {map: HclType} | {object: Record<string, HclType>} | {tuple: HclType[]};

interface Declared {
  name: string;
  block: HclBlock | HclAttr;
  type?: HclType;
  value?: HclValue;
  /** Where the value in force came from (for messages). */
  from?: string;
  sensitive: boolean;
  validations: HclBlock[];
}

export interface VariableInputs {
  env: Record<string, string | undefined>;
  /** Auto-loaded then -var-file files, in precedence order (low → high). */
  varFiles: string[];
  vars: Record<string, string>;
  /** The functions validation conditions may call. */
  functions: Scope['functions'];
}

export interface ResolvedVariables {
  values: Record<string, HclValue>;
  /** Sensitive variables' values as printed text (for redaction; never shown). */
  sensitive: Record<string, string>;
  /** Each variable's declared default; null when it has none (a required variable). */
  defaults: Record<string, HclValue>;
}

const noScope: Scope = {
  ref: (root, name) => {
    throw new HclEvalError(`${root}.${name}: a variable's value cannot refer to other variables or locals (as in Packer)`, `${root}.${name}`);
  },
  symbols: {},
  functions: {},
  unknownFunction: (name) => `${name}(): a variable's value cannot call functions (only a default may call env())`,
};

/** Declarations from every file's `variable` blocks and `variables {}` attributes. */
export function declareVariables(roots: HclBlock[], issues: ProfileIssue[], env: Record<string, string | undefined>): Map<string, Declared> {
  const out = new Map<string, Declared>();
  const issue = (p: SourcePos, field: string, message: string) => issues.push({file: p.file!, line: p.line, col: p.col, field, message});
  const defaultScope: Scope = {...noScope, functions: {env: (a: HclValue[]) => env[toStr(a[0] ?? '')] ?? ''}, unknownFunction: (name) => `${name}(): a variable's default may call env() only (as in Packer); use a local for anything else`};
  const declare = (name: string, d: Declared, p: SourcePos) => {
    if (out.has(name)) return issue(p, `variable.${name}`, `variable "${name}" is declared twice (also at ${where(out.get(name)!.block.pos)})`);
    out.set(name, d);
  };
  for (const root of roots) {
    for (const b of root.blocks) {
      if (b.type === 'variables') {
        for (const a of b.attrs) declare(a.name, {name: a.name, block: a, sensitive: false, validations: [], ...evalDefault(a, defaultScope, issue, a.name)}, a.pos);
        continue;
      }
      if (b.type !== 'variable') continue;
      const name = b.labels[0] ?? '';
      const d: Declared = {name, block: b, sensitive: false, validations: b.blocks.filter((x) => x.type === 'validation')};
      for (const a of b.attrs) {
        if (a.name === 'type') d.type = parseType(a, issue, name);
        else if (a.name === 'sensitive') d.sensitive = a.raw === true;
        else if (a.name === 'default') Object.assign(d, evalDefault(a, defaultScope, issue, name));
        else if (a.name !== 'description' && a.name !== 'nullable') issue(a.pos, `variable.${name}.${a.name}`, `unknown argument (a variable has type, default, description, sensitive, nullable and validation blocks)`);
      }
      if (d.type && d.value !== undefined) d.value = convertReport(d.value, d.type, issue, attr(b, 'default')!.pos, name);
      // As Packer: with no type, the default's type is the variable's (so -var parses a list for a list).
      if (!d.type && d.value !== undefined && d.value !== null) d.type = typeof d.value === 'object' ? (Array.isArray(d.value) ? {list: 'any'} : {map: 'any'}) : typeof d.value === 'boolean' ? 'bool' : typeof d.value === 'number' ? 'number' : 'string';
      declare(name, d, b.pos);
    }
  }
  return out;
}

function evalDefault(a: HclAttr, scope: Scope, issue: (p: SourcePos, f: string, m: string) => void, name: string): Partial<Declared> {
  try {
    const v = evalRaw(a.raw, scope, a.file);
    // `default = null` makes a variable optional with no value (as in Packer).
    return {value: v, from: `the default at ${where(a.pos)}`};
  } catch (err) {
    if (!(err instanceof HclEvalError)) throw err;
    issue(posIn(a, err.needle), `variable.${name}.default`, err.message);
    return {};
  }
}

/** Give each declared variable its value, by Packer's precedence; problems go to `issues`, warnings flagged. */
export function resolveVariables(declared: Map<string, Declared>, inputs: VariableInputs, issues: ProfileIssue[]): ResolvedVariables {
  const defaults = Object.fromEntries([...declared].map(([k, d]) => [k, d.value ?? null]));
  const issue = (p: SourcePos, field: string, message: string, warning?: boolean) => issues.push({file: p.file!, line: p.line, col: p.col, field, message, ...(warning ? {warning} : {})});
  const fromText = (d: Declared, text: string, origin: string, p: SourcePos): void => {
    try {
      let v: HclValue = text;
      if (d.type && d.type !== 'string' && d.type !== 'number' && d.type !== 'any') {
        const ast = hclExpressionAst(origin, text);
        v = ast ? evaluate(normalizeTemplate(ast), noScope, text) : null;
      }
      d.value = d.type ? convert(v, d.type) : v;
      d.from = origin;
    } catch (err) {
      if (!(err instanceof HclEvalError || err instanceof HclSyntaxError)) throw err;
      issue(p, `var.${d.name}`, `${origin}: ${shown(d, err.message)}`);
    }
  };
  for (const [k, v] of Object.entries(inputs.env)) {
    const d = k.startsWith('PKR_VAR_') ? declared.get(k.slice(8)) : undefined;
    if (d && v !== undefined) fromText(d, v, `environment variable ${k}`, d.block.pos);
  }
  for (const f of inputs.varFiles) readVarFile(f, declared, issue);
  for (const [k, v] of Object.entries(inputs.vars)) {
    const d = declared.get(k);
    if (!d) {
      const first = [...declared.values()][0]?.block.pos ?? {file: '', line: 1, col: 1};
      issue(first, `var.${k}`, `-var ${k}: the template declares no variable "${k}" (declared: ${[...declared.keys()].join(', ') || 'none'})`);
    } else fromText(d, v, `-var ${k}`, d.block.pos);
  }
  const values: Record<string, HclValue> = {};
  const sensitive: Record<string, string> = {};
  for (const d of declared.values()) {
    if (d.value === undefined) {
      issue(d.block.pos, `var.${d.name}`, `variable "${d.name}" has no value: give it a default, or set it with -var ${d.name}=…, a var file, or PKR_VAR_${d.name}`);
      continue;
    }
    values[d.name] = d.value;
    if (d.sensitive && d.value !== null) sensitive[d.name] = typeof d.value === 'string' ? d.value : JSON.stringify(d.value);
    for (const v of d.validations) validate(d, v, inputs.functions, issue);
  }
  return {values, sensitive, defaults};
}

function readVarFile(file: string, declared: Map<string, Declared>, issue: (p: SourcePos, f: string, m: string, w?: boolean) => void): void {
  const undeclared = (name: string, p: SourcePos) =>
    issue(p, name, `"${name}" is set here but the template declares no such variable; the value is not used`, true);
  if (file.endsWith('.json')) {
    let data: unknown;
    try {
      data = JSON.parse(readFileSync(file, 'utf8'));
    } catch (err) {
      return issue({file, line: 1, col: 1}, '', `not a JSON var file: ${(err as Error).message}`);
    }
    for (const [k, v] of Object.entries(data as Record<string, unknown>)) {
      const d = declared.get(k);
      if (!d) undeclared(k, {file, line: 1, col: 1});
      else {
        try {
          Object.assign(d, {value: d.type ? convert(v as HclValue, d.type) : (v as HclValue), from: path.basename(file)});
        } catch (err) {
          if (!(err instanceof HclEvalError)) throw err;
          issue({file, line: 1, col: 1}, k, shown(d, err.message));
        }
      }
    }
    return;
  }
  let root: HclBlock;
  try {
    root = readHclFile(file);
  } catch (err) {
    if (err instanceof HclSyntaxError) return issue({file, line: err.line, col: err.col}, '', err.message);
    throw err;
  }
  for (const b of root.blocks) {
    issue(b.pos, b.type, b.type === 'variable'
      ? `a var file sets values (${b.labels[0]} = …); declare variable "${b.labels[0]}" in a .pkr.hcl file instead`
      : `unexpected "${b.type}" block in a var file (it holds name = value lines only)`);
  }
  for (const a of root.attrs) {
    const d = declared.get(a.name);
    if (!d) {
      undeclared(a.name, a.pos);
      continue;
    }
    try {
      const v = evalRaw(a.raw, noScope, file);
      d.value = d.type ? convert(v, d.type) : v;
      d.from = `${path.basename(file)}:${a.pos.line}`;
    } catch (err) {
      if (!(err instanceof HclEvalError)) throw err;
      issue(posIn(a, err.needle), a.name, shown(d, err.message));
    }
  }
}

function validate(d: Declared, v: HclBlock, functions: Scope['functions'], issue: (p: SourcePos, f: string, m: string) => void): void {
  const cond = attr(v, 'condition');
  if (!cond) return issue(v.pos, `variable.${d.name}.validation`, 'a validation block needs a condition');
  const scope: Scope = {...noScope, ref: (root, name) => {
    if (root === 'var' && name === d.name) return d.value!;
    throw new HclEvalError(`a validation condition may refer to var.${d.name} only`, `${root}.${name}`);
  }};
  scope.functions = functions;
  try {
    if (toBool(evalRaw(cond.raw, scope, cond.file) as HclValue)) return;
    const msgAttr = attr(v, 'error_message');
    const msg = msgAttr ? toStr(evalRaw(msgAttr.raw, noScope, msgAttr.file)) : 'the value is not valid';
    issue(v.pos, `var.${d.name}`, `${msg} (value from ${d.from ?? 'its default'})`);
  } catch (err) {
    if (!(err instanceof HclEvalError)) throw err;
    issue(posIn(cond, err.needle), `variable.${d.name}.validation`, err.message);
  }
}

function parseType(a: HclAttr, issue: (p: SourcePos, f: string, m: string) => void, name: string): HclType | undefined {
  const text = typeof a.raw === 'string' ? a.raw.replace(/^\$\{([\s\S]*)\}$/, '$1') : String(a.raw);
  try {
    const ast = hclExpressionAst(a.file, text);
    return ast ? typeOf(ast, text) : 'any';
  } catch (err) {
    if (!(err instanceof HclEvalError || err instanceof HclSyntaxError)) throw err;
    issue(a.pos, `variable.${name}.type`, err.message);
    return undefined;
  }
}

function typeOf(n: HclAst, src: string): HclType {
  if (n.type === 'scopeTraversal') {
    const t = String(n.meta?.value);
    if (t === 'string' || t === 'number' || t === 'bool' || t === 'any') return t;
    throw new HclEvalError(`unknown type "${t}" (string, number, bool, any, list(…), set(…), map(…), object({…}), tuple([…]))`);
  }
  if (n.type === 'function') {
    const f = String(n.meta?.name);
    const arg = n.children[0];
    if ((f === 'list' || f === 'set') && arg) return {list: typeOf(arg, src)};
    if (f === 'map' && arg) return {map: typeOf(arg, src)};
    if (f === 'optional' && arg) return typeOf(arg, src);
    if (f === 'tuple' && arg?.type === 'tuple') return {tuple: arg.children.map((c) => typeOf(c, src))};
    if (f === 'object' && arg?.type === 'object') {
      const fields: Record<string, HclType> = {};
      for (let k = 0; k + 1 < arg.children.length; k += 2) {
        const key = arg.children[k]!;
        const keyText = key.range ? Buffer.from(src).subarray(key.range.start.byte, key.range.end.byte).toString().replace(/^"|"$/g, '') : '';
        fields[keyText] = typeOf(arg.children[k + 1]!, src);
      }
      return {object: fields};
    }
  }
  throw new HclEvalError(`not a type: ${String(n.meta?.value ?? n.type)}`);
}

/** Packer's (go-cty's) conversion of a value to a variable's type. */
export function convert(v: HclValue, t: HclType): HclValue {
  if (v === null || t === 'any') return v;
  if (t === 'string') return toStr(v);
  if (t === 'number') return toNum(v);
  if (t === 'bool') return toBool(v);
  if ('list' in t) {
    if (!Array.isArray(v)) throw new HclEvalError(`expected a list, got ${describe(v)}`);
    return v.map((x) => convert(x, t.list));
  }
  if ('tuple' in t) {
    if (!Array.isArray(v) || v.length !== t.tuple.length) throw new HclEvalError(`expected a tuple of ${t.tuple.length} elements, got ${describe(v)}`);
    return v.map((x, k) => convert(x, t.tuple[k]!));
  }
  if (typeof v !== 'object' || Array.isArray(v)) throw new HclEvalError(`expected a map, got ${describe(v)}`);
  if ('map' in t) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, convert(x, t.map)]));
  return Object.fromEntries(Object.entries(t.object).map(([k, ft]) => [k, convert(v[k] ?? null, ft)]));
}

function convertReport(v: HclValue, t: HclType, issue: (p: SourcePos, f: string, m: string) => void, p: SourcePos, name: string): HclValue | undefined {
  try {
    return convert(v, t);
  } catch (err) {
    if (!(err instanceof HclEvalError)) throw err;
    issue(p, `variable.${name}.default`, `the default does not fit the variable's type: ${err.message}`);
    return undefined;
  }
}

/** A sensitive variable's value never reaches a message (conversion errors quote values). */
const shown = (d: Declared, message: string): string => (d.sensitive ? 'the value does not fit the variable\'s type (sensitive: not shown)' : message);

const where = (p: SourcePos): string => `${p.file ? `${p.file}:` : ''}${p.line}:${p.col}`;
