/**
 * Builds one checker document (raw fields + positions) from HCL blocks: each attribute's value
 * is evaluated, and where it was written is recorded for the value, its key, and — for literal
 * lists and maps — each element, so the checker can point at `boot_command[3]` exactly.
 */
import type {PathKey, ProfileIssue, SourcePos} from '../document.js';
import {isBlock, posIn, type HclAttr, type HclBlock} from './blocks.js';
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
      if (it.type === 'dynamic') {
        this.error(it.pos, [...path, 'dynamic'].join('.'), 'dynamic blocks are not supported by vmbench: write the blocks out');
        continue;
      }
      // A nested block (e.g. qemu_img_args { convert = [...] }) is the same map Packer's JSON form writes.
      const inner: Record<string, unknown> = {};
      const existing = target[it.type];
      const p: PathKey[] = Array.isArray(existing) ? [...path, it.type, existing.length] : [...path, it.type];
      this.place(p, {value: it.pos, key: it.pos});
      this.setBody(inner, p, it, scope);
      if (existing === undefined) target[it.type] = inner;
      else target[it.type] = Array.isArray(existing) ? [...(existing as unknown[]), inner] : [existing, inner];
    }
  }
}

function sourceChar(a: HclAttr, offset: number): string | undefined {
  const start = a.shape?.start ?? 0;
  return a.source[offset - start];
}
