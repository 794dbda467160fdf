/**
 * A Packer JSON template's provisioners and post-processors for one build: `only`/`except`
 * applied (and checked against the template's builder names, as Packer checks them), a
 * provisioner's `override` for this build merged in, post-processor shorthand ("compress" for
 * {"type": "compress"}) expanded, and sequences (nested lists) kept as lists. Pure: positions
 * are returned as template paths for the front end to locate.
 */
import type {PathKey} from '../document.js';
import {closest} from '../../util/suggest.js';

/** A problem at a template path (`key`: point at the key rather than the value). */
export interface SequenceIssue {
  path: PathKey[];
  key?: boolean;
  message: string;
  warning?: boolean;
}

/** One provisioner or post-processor kept for the build, and where its fields came from. */
export interface Placed {
  value: Record<string, unknown>;
  /** Its place in the template. */
  path: PathKey[];
  /** Fields taken from `override.<build>`: their own place. */
  fieldPaths?: Record<string, PathKey[]>;
}

/** Post-processors for a build: each entry a sequence (a lone one is a sequence of one). */
export type PlacedSequence = {path: PathKey[]; items: Placed[]; nested: boolean};

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/** Whether `build` survives an item's only/except; the names must be builders of the template. */
function selected(obj: Record<string, unknown>, path: PathKey[], build: string, builders: readonly string[], issues: SequenceIssue[]): boolean {
  let keep = true;
  for (const key of ['only', 'except'] as const) {
    const list = obj[key];
    if (list === undefined) continue;
    if (!Array.isArray(list) || !list.every((x) => typeof x === 'string')) {
      issues.push({path: [...path, key], message: `${key} must be a list of builder names`});
      continue;
    }
    list.forEach((name, j) => {
      if (builders.includes(name)) return;
      const near = closest(name, builders);
      issues.push({path: [...path, key, j], message: `${key}: no builder is named "${name}"${near ? ` (did you mean "${near}"?)` : ''} (builders: ${builders.join(', ')})`});
    });
    if (key === 'only' && !list.includes(build)) keep = false;
    if (key === 'except' && list.includes(build)) keep = false;
  }
  return keep;
}

/** The template's provisioners that run in `build`, with `override.<build>` merged in. */
export function provisionersFor(list: unknown, build: string, builders: readonly string[], issues: SequenceIssue[]): Placed[] {
  const out: Placed[] = [];
  if (list === undefined) return out;
  if (!Array.isArray(list)) return (issues.push({path: ['provisioners'], message: 'expected a list of provisioners'}), out);
  list.forEach((item, i) => {
    const path: PathKey[] = ['provisioners', i];
    if (!isObject(item)) return issues.push({path, message: 'expected a mapping with a type'});
    if (typeof item.type !== 'string' || !item.type) return issues.push({path, message: "missing 'type'"});
    if (!selected(item, path, build, builders, issues)) return;
    const {only: _o, except: _e, override, ...rest} = item;
    const value: Record<string, unknown> = {};
    // Keys that start with "_" are comments in Packer's provisioners too.
    for (const [k, v] of Object.entries(rest)) if (!k.startsWith('_')) value[k] = v;
    const placed: Placed = {value, path};
    if (override !== undefined) {
      if (!isObject(override)) issues.push({path: [...path, 'override'], message: 'override must map builder names to options'});
      else {
        for (const name of Object.keys(override)) {
          if (!builders.includes(name)) issues.push({path: [...path, 'override', name], key: true, message: `override: no builder is named "${name}" (builders: ${builders.join(', ')})`});
        }
        const mine = override[build];
        if (mine !== undefined && !isObject(mine)) issues.push({path: [...path, 'override', build], message: 'expected a mapping of options'});
        else if (mine) {
          placed.fieldPaths = {};
          for (const [k, v] of Object.entries(mine)) {
            value[k] = v;
            placed.fieldPaths[k] = [...path, 'override', build, k];
          }
        }
      }
    }
    out.push(placed);
  });
  return out;
}

/** The template's post-processors that run in `build`: a list of sequences, in order. */
export function postProcessorsFor(list: unknown, build: string, builders: readonly string[], issues: SequenceIssue[]): PlacedSequence[] {
  const out: PlacedSequence[] = [];
  if (list === undefined) return out;
  if (!Array.isArray(list)) return (issues.push({path: ['post-processors'], message: 'expected a list of post-processors (or of lists of them)'}), out);
  const one = (item: unknown, path: PathKey[]): Placed | undefined => {
    // Packer's shorthand: a bare type name.
    if (typeof item === 'string') return {value: {type: item}, path};
    if (Array.isArray(item)) return void issues.push({path, message: 'a sequence inside a sequence is not allowed (as in Packer)'});
    if (!isObject(item)) return void issues.push({path, message: 'expected a type name, a mapping with a type, or a list of them'});
    if (typeof item.type !== 'string' || !item.type) return void issues.push({path, message: 'type is required'});
    if (!selected(item, path, build, builders, issues)) return undefined;
    const {only: _o, except: _e, ...rest} = item;
    const value: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(rest)) if (!k.startsWith('_')) value[k] = v;
    return {value, path};
  };
  list.forEach((entry, i) => {
    const path: PathKey[] = ['post-processors', i];
    if (Array.isArray(entry)) {
      if (!entry.length) return;
      const items = entry.map((sub, j) => one(sub, [...path, j])).filter((x): x is Placed => !!x);
      if (items.length) out.push({path, items, nested: true});
    } else {
      const p = one(entry, path);
      if (p) out.push({path, items: [p], nested: false});
    }
  });
  return out;
}
