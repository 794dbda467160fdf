/**
 * Builds one checker document (raw fields + positions) from HCL blocks: each attribute's value
 * is evaluated, and where it was written is recorded for the value, its key, and — for literal
 * lists and maps — each element, so the checker can point at `boot_command[3]` exactly.
 */
import type {PathKey, ProfileIssue, SourcePos} from '../document.js';
import {attr, isBlock, posIn, type HclAttr, type HclBlock} from './blocks.js';
import {evalRaw, HclEvalError, type HclValue, type Scope} from './eval.js';
import type {ValueShape} from './scan.js';

/** An error already reported where it happened (a local's own line); users of the value just stop. */
export class ReportedError extends HclEvalError {}

interface Place {
  value: SourcePos;
  key?: SourcePos;
  quoted?: boolean;
}

export class DocumentBuilder {
  readonly raw: Record<string, unknown> = {};
  private readonly places = new Map<string, Place>();
  /** Top-level field → the name it was written as (a Packer name vmbench calls otherwise). */
  private readonly aliases = new Map<string, string>();

  constructor(
    readonly issues: ProfileIssue[],
    readonly warnings: ProfileIssue[],
    /** Where a field that is not written (a missing one) is reported: the block it belongs in. */
    readonly home?: SourcePos,
  ) {}

  /** Record where `path` is. */
  place(path: readonly PathKey[], p: Place): void {
    this.places.set(JSON.stringify(path), p);
  }

  /** Positions of `field` are those of `writtenAs`. */
  alias(field: string, writtenAs: string): void {
    this.aliases.set(field, writtenAs);
  }

  /** Where `path` is; the nearest enclosing place when the exact one is not known. */
  position(path: readonly PathKey[], key = false): SourcePos | undefined {
    const first = path[0];
    if (typeof first === 'string' && this.aliases.has(first)) path = [this.aliases.get(first)!, ...path.slice(1)];
    for (let n = path.length; n > 0; n--) {
      const p = this.places.get(JSON.stringify(path.slice(0, n)));
      if (p) return (key && n === path.length ? p.key : undefined) ?? p.value;
    }
    return this.home;
  }

  quoted(path: readonly PathKey[]): boolean {
    return this.places.get(JSON.stringify(path))?.quoted ?? false;
  }

  error(p: SourcePos, field: string, message: string): void {
    this.issues.push({file: p.file ?? '', line: p.line, col: p.col, field, message});
  }

  warn(p: SourcePos, field: string, message: string): void {
    this.warnings.push({file: p.file ?? '', line: p.line, col: p.col, field, message, warning: true});
  }

  /** Evaluate an attribute; undefined (and an issue) when it cannot be. */
  value(a: HclAttr, scope: Scope, field: string): HclValue | undefined {
    try {
      return evalRaw(a.raw, scope, a.file);
    } catch (err) {
      if (err instanceof ReportedError) return undefined;
      if (!(err instanceof HclEvalError)) throw err;
      this.error(posIn(a, err.needle), field, err.message);
      return undefined;
    }
  }

  /** Evaluate `a` into `target[key]` at `path`, recording positions. Null means unset, as in HCL. */
  setAttr(target: Record<string, unknown>, path: PathKey[], a: HclAttr, scope: Scope, key = a.name): void {
    const v = this.value(a, scope, path.join('.'));
    if (v === undefined || v === null) return;
    target[key] = v;
    this.placeValue(path, a, a.shape, v, a.pos);
  }

  private placeValue(path: PathKey[], a: HclAttr, shape: ValueShape | undefined, v: HclValue, key?: SourcePos): void {
    const value = shape ? a.at(shape.start) : a.pos;
    const quoted = !!shape && a.source !== undefined && sourceChar(a, shape.start) === '"';
    this.place(path, {value, key, quoted});
    if (!shape) return;
    if (shape.items && Array.isArray(v) && shape.items.length === v.length) {
      shape.items.forEach((s, i) => this.placeValue([...path, i], a, s, v[i]!));
    }
    if (shape.entries && v && typeof v === 'object' && !Array.isArray(v)) {
      for (const e of shape.entries) if (Object.hasOwn(v, e.key)) this.placeValue([...path, e.key], a, e.value, v[e.key]!, a.at(e.start));
    }
  }

  /**
   * A block's attributes (and nested label-less blocks, as maps) into `target`, under `path`.
   * `skip` names meta-arguments the caller handles itself.
   */
  setBody(target: Record<string, unknown>, path: PathKey[], b: HclBlock, scope: Scope, skip: ReadonlySet<string> = new Set()): void {
    for (const it of b.items) {
      if (!isBlock(it)) {
        if (!skip.has(it.name)) this.setAttr(target, [...path, it.name], it, scope);
        continue;
      }
      if (skip.has(it.type)) continue;
      if (it.type === 'dynamic') this.dynamic(target, path, it, scope);
      else this.nested(target, path, it.type, it, scope);
    }
  }

  /** A nested block (e.g. qemu_img_args { convert = [...] }): the same map Packer's JSON form writes. */
  private nested(target: Record<string, unknown>, path: PathKey[], type: string, body: HclBlock, scope: Scope, at: SourcePos = body.pos): void {
    const inner: Record<string, unknown> = {};
    const existing = target[type];
    const p: PathKey[] = Array.isArray(existing) ? [...path, type, existing.length] : [...path, type];
    this.place(p, {value: at, key: at});
    this.setBody(inner, p, body, scope);
    if (existing === undefined) target[type] = inner;
    else target[type] = Array.isArray(existing) ? [...(existing as unknown[]), inner] : [existing, inner];
  }

  /**
   * HCL's `dynamic "TYPE" { for_each = …, iterator = NAME, content { … } }`: one TYPE block per
   * element, its content evaluated with NAME.key and NAME.value (NAME defaults to TYPE).
   */
  private dynamic(target: Record<string, unknown>, path: PathKey[], blk: HclBlock, scope: Scope): void {
    const field = [...path, 'dynamic', ...blk.labels].join('.');
    const type = blk.labels[0];
    const content = blk.blocks.filter((b) => b.type === 'content');
    if (blk.labels.length !== 1 || !type) return this.error(blk.pos, field, 'a dynamic block has one label, the type of the blocks it makes: dynamic "TYPE" { … }');
    if (content.length !== 1) return this.error(blk.pos, field, 'a dynamic block needs one content { … } block');
    for (const a of blk.attrs) if (!['for_each', 'iterator', 'labels'].includes(a.name)) this.error(a.pos, `${field}.${a.name}`, 'unknown argument (a dynamic block has for_each, iterator, labels and a content block)');
    for (const b of blk.blocks) if (b.type !== 'content') this.error(b.pos, `${field}.${b.type}`, 'unexpected block (a dynamic block holds one content block)');
    if (attr(blk, 'labels')) return this.error(attr(blk, 'labels')!.pos, `${field}.labels`, `${type} blocks take no labels here`);
    const forEach = attr(blk, 'for_each');
    if (!forEach) return this.error(blk.pos, field, 'a dynamic block needs for_each');
    const coll = this.value(forEach, scope, `${field}.for_each`);
    if (coll === undefined || coll === null) return;
    if (typeof coll !== 'object') return this.error(posIn(forEach), `${field}.for_each`, `for_each needs a list or a map, got ${typeof coll}`);
    const it = attr(blk, 'iterator');
    const name = it ? it.source.trim() : type;
    if (!/^[A-Za-z_][\w-]*$/.test(name)) return this.error(it!.pos, `${field}.iterator`, 'iterator is a bare name, e.g. iterator = disk');
    const pairs: [HclValue, HclValue][] = Array.isArray(coll) ? coll.map((v, k) => [k, v]) : Object.entries(coll);
    for (const [key, value] of pairs) {
      this.nested(target, path, type, content[0]!, {...scope, symbols: {...scope.symbols, [name]: {key, value}}}, blk.pos);
    }
  }
}

function sourceChar(a: HclAttr, offset: number): string | undefined {
  const start = a.shape?.start ?? 0;
  return a.source[offset - start];
}
