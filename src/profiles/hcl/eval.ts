/**
 * Evaluates HCL2 expressions as Packer does for the parts vmbench needs: references (`var.x`,
 * `local.x`, `path.root`, `source.name`, `build.X`), `${…}` interpolation and `%{…}`
 * directives, conditionals, arithmetic, comparison and logic, lists, maps, `for` and splat
 * expressions, and the functions of functions.ts. The syntax tree comes from HashiCorp's parser
 * (wasm.ts); this walks it. Values are plain JSON-like data.
 */
import {normalizeTemplate} from './template-ast.js';
import {hclExpressionAst, HclSyntaxError, type HclAst} from './wasm.js';

export type HclValue = string | number | boolean | null | HclValue[] | {[key: string]: HclValue};

/** An evaluation problem; `needle` is text to look for in the source to point at (a function or reference). */
export class HclEvalError extends Error {
  constructor(
    message: string,
    readonly needle?: string,
  ) {
    super(message);
    this.name = 'HclEvalError';
  }
}

export interface HclFunction {
  (args: HclValue[], scope: Scope): HclValue;
  /** try/can: arguments arrive unevaluated, as thunks. */
  lazy?: false;
}
export interface LazyHclFunction {
  (args: (() => HclValue)[], scope: Scope): HclValue;
  lazy: true;
}

export interface Scope {
  /** A named input variable or local (`var.x`, `local.x`); throws HclEvalError when there is none. */
  ref(root: 'var' | 'local', name: string): HclValue;
  /** Every input variable or local, as one map (`var` or `local` on its own). */
  all?(root: 'var' | 'local'): HclValue;
  /** Other root names: path, source, build, and the symbols of for-expressions and templatefile. */
  symbols: Record<string, HclValue>;
  functions: Record<string, HclFunction | LazyHclFunction>;
  /** What the message says when a function is not in `functions` (e.g. "env is only allowed in variable defaults"). */
  unknownFunction?: (name: string) => string;
  /**
   * Asked first for every reference `text` under root `root`: why it has no value (Packer's
   * `data` sources vmbench does not evaluate), or undefined when it can be read (evaluating an
   * evaluated data source on its first use).
   */
  unavailable?: (root: string, text: string) => string | undefined;
}

const MARK = 'VMBENCH_HCL_TEMPLATE_END';
const astCache = new Map<string, HclAst | null>();

/** Does this hcl2json string hold template syntax (an interpolation or a directive)? */
const isTemplate = (s: string): boolean => /(^|[^$])\$\{|(^|[^%])%\{/.test(s);

/**
 * The value of one value from hcl2json: strings are HCL templates (an expression attribute
 * arrives as `${expr}`), lists and maps hold more of them.
 */
export function evalRaw(raw: unknown, scope: Scope, file: string): HclValue {
  if (typeof raw === 'string') return evalTemplateText(raw, scope, file);
  if (Array.isArray(raw)) return raw.map((v) => evalRaw(v, scope, file));
  if (raw && typeof raw === 'object') {
    const out: Record<string, HclValue> = {};
    for (const [k, v] of Object.entries(raw)) out[isTemplate(k) ? toStr(evalTemplateText(k, scope, file)) : unescapeLiteral(k)] = evalRaw(v, scope, file);
    return out;
  }
  return (raw ?? null) as HclValue;
}

const unescapeLiteral = (s: string): string => s.replace(/\$\$\{/g, '${').replace(/%%\{/g, '%{');

/** Evaluate template text (a string's content, not quoted); a lone `${x}` keeps x's type, as in HCL. */
export function evalTemplateText(text: string, scope: Scope, file: string): HclValue {
  if (!isTemplate(text)) return unescapeLiteral(text);
  let ast = astCache.get(text);
  if (ast === undefined) {
    // As a heredoc, the text is taken as it is: no backslash escapes (hcl2json already decoded
    // those), only `${`/`%{` (and their `$${`/`%%{` escapes) mean something.
    try {
      const parsed = hclExpressionAst(file, `<<${MARK}\n${text}\n${MARK}\n`);
      ast = parsed && normalizeTemplate(parsed);
    } catch (err) {
      throw new HclEvalError(err instanceof HclSyntaxError ? err.message : String(err));
    }
    astCache.set(text, ast);
  }
  if (!ast) return '';
  const parts = [...ast.children];
  const last = parts[parts.length - 1];
  if (last?.type === 'literalValue' && typeof last.meta?.value === 'string') {
    const v = last.meta.value.replace(/\n$/, '');
    if (v) parts[parts.length - 1] = {...last, meta: {...last.meta, value: v}};
    else parts.pop();
  }
  if (parts.length === 1 && parts[0]!.type !== 'literalValue') return evaluate(parts[0]!, scope, exprText(ast));
  return parts.map((p) => templatePart(evaluate(p, scope, exprText(ast)))).join('');
}

const exprText = (ast: HclAst): string => ast.meta?.value ?? '';

function templatePart(v: HclValue): string {
  if (v === null) throw new HclEvalError('a template cannot include a null value');
  if (typeof v === 'object') throw new HclEvalError(`a template cannot include ${Array.isArray(v) ? 'a list' : 'a map'}; join it or pick an element first`);
  return toStr(v);
}

/** HCL's conversion to string (numbers as written, booleans as true/false). */
export function toStr(v: HclValue): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v === null) throw new HclEvalError('expected a string, got null');
  throw new HclEvalError(`expected a string, got ${Array.isArray(v) ? 'a list' : 'a map'}`);
}

export function toNum(v: HclValue): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v))) return Number(v);
  throw new HclEvalError(`expected a number, got ${describe(v)}`);
}

export function toBool(v: HclValue): boolean {
  if (typeof v === 'boolean') return v;
  if (v === 'true' || v === 'false') return v === 'true';
  throw new HclEvalError(`expected true or false, got ${describe(v)}`);
}

export function describe(v: HclValue): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a map';
  return `${typeof v} ${JSON.stringify(v)}`;
}

/** Evaluate a syntax-tree node; `src` is the text its byte ranges refer to. */
export function evaluate(node: HclAst, scope: Scope, src: string): HclValue {
  const kids = node.children;
  const meta = node.meta ?? {};
  switch (node.type) {
    case 'literalValue':
      if (meta.type === 'number') return Number(meta.value);
      if (meta.type === 'bool') return meta.value === 'true';
      if (meta.type === 'string') return String(meta.value);
      return null;
    case 'template':
    case 'templateJoin':
      if (kids.length === 1 && node.type === 'template' && kids[0]!.type !== 'literalValue') return templatePart(evaluate(kids[0]!, scope, src));
      return kids.map((k) => (node.type === 'templateJoin' ? joinPart : templatePart)(evaluate(k, scope, src))).join('');
    case 'templateWrap':
    case '':
      return kids.length ? evaluate(kids[0]!, scope, src) : null;
    case 'tuple':
      return kids.map((k) => evaluate(k, scope, src));
    case 'object': {
      const out: Record<string, HclValue> = {};
      for (let k = 0; k + 1 < kids.length; k += 2) out[objectKey(kids[k]!, scope, src)] = evaluate(kids[k + 1]!, scope, src);
      return out;
    }
    case 'scopeTraversal':
      return traverseScope(meta as unknown as {traversal: Segment[]; value: string}, scope);
    case 'relativeTraversal':
      return applySegments(evaluate(kids[0]!, scope, src), (meta.traversal as Segment[]) ?? [], String(meta.value));
    case 'index':
      return index(evaluate(kids[0]!, scope, src), evaluate(kids[1]!, scope, src), String(meta.value));
    case 'splat': {
      const from = evaluate(kids[0]!, scope, src);
      const list = from === null ? [] : Array.isArray(from) ? from : [from];
      const each = kids[1]?.type === 'relativeTraversal' ? ((kids[1].meta?.traversal as Segment[]) ?? []) : [];
      return list.map((item) => applySegments(item, each, String(meta.value)));
    }
    case 'conditional':
      // `%{ if }` without `%{ else }` has no third part.
      if (toBool(evaluate(kids[0]!, scope, src))) return evaluate(kids[1]!, scope, src);
      return kids[2] ? evaluate(kids[2], scope, src) : '';
    case 'unaryOp': {
      const v = evaluate(kids[0]!, scope, src);
      return meta.operator === 'logicalNot' ? !toBool(v) : -toNum(v);
    }
    case 'binaryOp':
      return binary(String(meta.operator), () => evaluate(kids[0]!, scope, src), () => evaluate(kids[1]!, scope, src));
    case 'function':
      return call(node, scope, src);
    case 'for':
      return forExpr(node, scope, src);
    default:
      throw new HclEvalError(`vmbench does not evaluate this kind of expression (${node.type}): ${String(meta.value ?? '')}`);
  }
}

/** Inside `%{ for }`, each round's text is joined as it is. */
const joinPart = (v: HclValue): string => (Array.isArray(v) ? v.map(joinPart).join('') : templatePart(v));

function objectKey(node: HclAst, scope: Scope, src: string): string {
  // A bare identifier key arrives as an empty node: its text is in the source at its range.
  if (!node.children.length && node.range) return Buffer.from(src).subarray(node.range.start.byte, node.range.end.byte).toString();
  return toStr(evaluate(node, scope, src));
}

interface Segment {
  type: 'nameTraversal' | 'indexTraversal';
  segment: string;
}

function traverseScope(meta: {traversal: Segment[]; value: string}, scope: Scope): HclValue {
  const [head, next, ...more] = meta.traversal;
  if (!head) return null;
  const name = head.segment;
  // A symbol of that name (e.g. `var` passed to templatefile) comes first.
  if (!Object.hasOwn(scope.symbols, name) && (name === 'var' || name === 'local')) {
    if (next?.type === 'nameTraversal') return applySegments(scope.ref(name, next.segment), more, meta.value);
    // `{ var = var }`, Packer's idiom for handing every variable to templatefile().
    if (!next && scope.all) return scope.all(name);
  }
  // Asked even when the name is a symbol: `data` is one, but only its evaluated sources are in it.
  const why = scope.unavailable?.(name, meta.value);
  if (why) throw new HclEvalError(why, meta.value);
  if (!Object.hasOwn(scope.symbols, name)) {
    const hint = name === 'var' || name === 'local' ? ` (write ${name}.NAME)` : ` (known here: var, local, ${Object.keys(scope.symbols).join(', ')})`;
    throw new HclEvalError(`unknown name "${name}"${hint}`, meta.value);
  }
  return applySegments(scope.symbols[name]!, next ? [next, ...more] : [], meta.value);
}

function applySegments(v: HclValue, segments: Segment[], text: string): HclValue {
  for (const s of segments) {
    const key: HclValue = s.type === 'nameTraversal' ? s.segment : s.segment.startsWith('"') ? (JSON.parse(s.segment) as string) : Number(s.segment);
    v = index(v, key, text);
  }
  return v;
}

function index(v: HclValue, key: HclValue, text: string): HclValue {
  if (Array.isArray(v)) {
    const k = toNum(key);
    if (!Number.isInteger(k) || k < 0 || k >= v.length) throw new HclEvalError(`${text}: index ${k} is out of range (the list has ${v.length} elements)`, text);
    return v[k]!;
  }
  if (v && typeof v === 'object') {
    const k = toStr(key);
    if (!Object.hasOwn(v, k)) throw new HclEvalError(`${text}: no key "${k}" (keys: ${Object.keys(v).join(', ') || 'none'})`, text);
    return v[k]!;
  }
  throw new HclEvalError(`${text}: cannot index ${describe(v)}`, text);
}

function equal(a: HclValue, b: HclValue): boolean {
  if (typeof a !== typeof b || Array.isArray(a) !== Array.isArray(b)) return false;
  if (a === null || b === null || typeof a !== 'object') return a === b;
  return JSON.stringify(a) === JSON.stringify(b);
}

function binary(op: string, lhs: () => HclValue, rhs: () => HclValue): HclValue {
  switch (op) {
    case 'logicalAnd':
      return toBool(lhs()) && toBool(rhs());
    case 'logicalOr':
      return toBool(lhs()) || toBool(rhs());
    case 'equal':
      return equal(lhs(), rhs());
    case 'notEqual':
      return !equal(lhs(), rhs());
  }
  const a = toNum(lhs());
  const b = toNum(rhs());
  switch (op) {
    case 'add':
      return a + b;
    case 'subtract':
      return a - b;
    case 'multiply':
      return a * b;
    case 'divide':
      if (b === 0) throw new HclEvalError('division by zero');
      return a / b;
    case 'modulo':
      return a % b;
    case 'lessThan':
      return a < b;
    case 'lessThanOrEqual':
      return a <= b;
    case 'greaterThan':
      return a > b;
    case 'greaterThanOrEqual':
      return a >= b;
  }
  throw new HclEvalError(`unknown operator ${op}`);
}

function call(node: HclAst, scope: Scope, src: string): HclValue {
  const name = String(node.meta?.name);
  const fn = Object.hasOwn(scope.functions, name) ? scope.functions[name] : undefined;
  if (!fn) throw new HclEvalError(scope.unknownFunction?.(name) ?? `function ${name}() is not supported by vmbench`, `${name}(`);
  if (fn.lazy) return fn(node.children.map((k) => () => evaluate(k, scope, src)), scope);
  let args = node.children.map((k) => evaluate(k, scope, src));
  if (node.meta?.expandedFinalArgument) {
    const last = args.pop();
    if (!Array.isArray(last)) throw new HclEvalError(`${name}(…): the argument before "..." must be a list`, `${name}(`);
    args = [...args, ...last];
  }
  try {
    return fn(args, scope);
  } catch (err) {
    if (err instanceof HclEvalError && !err.needle) throw new HclEvalError(`${name}(): ${err.message}`, `${name}(`);
    throw err;
  }
}

function forExpr(node: HclAst, scope: Scope, src: string): HclValue {
  const meta = node.meta as {keyVar: string; valVar: string; keyExpression?: string; conditionalExpression?: string; openRangeValue: string; groupedValue?: boolean};
  const kids = node.children;
  const isObject = meta.openRangeValue === '{';
  const hasKey = isObject && !!meta.keyExpression;
  const keyNode = hasKey ? kids[1] : undefined;
  const valueNode = kids[hasKey ? 2 : 1]!;
  const condNode = meta.conditionalExpression ? kids[hasKey ? 3 : 2] : undefined;
  const coll = evaluate(kids[0]!, scope, src);
  const pairs: [HclValue, HclValue][] = Array.isArray(coll)
    ? coll.map((v, k) => [k, v])
    : coll && typeof coll === 'object'
      ? Object.entries(coll)
      : (() => {
          throw new HclEvalError(`for: cannot iterate over ${describe(coll)}`);
        })();
  const listOut: HclValue[] = [];
  const objOut: Record<string, HclValue> = {};
  for (const [k, v] of pairs) {
    const symbols = {...scope.symbols, [meta.valVar]: v};
    if (meta.keyVar) symbols[meta.keyVar] = k;
    const inner: Scope = {...scope, symbols};
    if (condNode && !toBool(evaluate(condNode, inner, src))) continue;
    const val = evaluate(valueNode, inner, src);
    if (keyNode) objOut[toStr(evaluate(keyNode, inner, src))] = val;
    else listOut.push(val);
  }
  return keyNode ? objOut : listOut;
}
