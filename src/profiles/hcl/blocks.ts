/**
 * One HCL file as a tree of blocks and attributes in the order written, each with its value as
 * HashiCorp's parser read it (hcl2json) and its place in the file (scan.ts). The parser is the
 * authority on syntax and values; the scanner only says where, and in which order.
 */
import {readFileSync} from 'node:fs';
import type {SourcePos} from '../document.js';
import {lineLocator, scanHcl, type ScannedItem, type ValueShape} from './scan.js';
import {hclToJson} from './wasm.js';

export interface HclAttr {
  name: string;
  /** The value as hcl2json gives it: literals as themselves, expressions as `${…}` templates. */
  raw: unknown;
  file: string;
  /** Where the attribute's name is. */
  pos: SourcePos;
  /** Where the value is, with the elements of a literal list or map. */
  shape?: ValueShape;
  /** Offsets of this file → positions. */
  at(offset: number): SourcePos;
  /** The source text of the value. */
  source: string;
}

export interface HclBlock {
  type: string;
  labels: string[];
  file: string;
  pos: SourcePos;
  attrs: HclAttr[];
  blocks: HclBlock[];
  /** Attributes and blocks in the order written. */
  items: (HclAttr | HclBlock)[];
}

export const isBlock = (x: HclAttr | HclBlock): x is HclBlock => 'labels' in x;
export const attr = (b: HclBlock, name: string): HclAttr | undefined => b.attrs.find((a) => a.name === name);

/** A file's top level as a block with no type. Syntax errors throw HclSyntaxError (from the parser). */
export function readHclFile(file: string, text = readFileSync(file, 'utf8')): HclBlock {
  const json = hclToJson(file, text);
  const at = lineLocator(text);
  const pos = (offset: number): SourcePos => ({file, ...at(offset)});
  const bind = (type: string, labels: string[], start: number, body: Record<string, unknown>, items: ScannedItem[]): HclBlock => {
    const block: HclBlock = {type, labels, file, pos: pos(start), attrs: [], blocks: [], items: []};
    const seen = new Map<string, number>();
    for (const it of items) {
      if (it.kind === 'attribute') {
        const a: HclAttr = {name: it.name, raw: body[it.name], file, pos: pos(it.start), shape: it.value, at: pos, source: text.slice(it.value.start, it.value.end)};
        block.attrs.push(a);
        block.items.push(a);
        continue;
      }
      // hcl2json groups blocks by type, then by each label, as lists of bodies in file order.
      const key = JSON.stringify([it.type, ...it.labels]);
      const nth = seen.get(key) ?? 0;
      seen.set(key, nth + 1);
      let group: unknown = body[it.type];
      for (const l of it.labels) group = (group as Record<string, unknown> | undefined)?.[l];
      const inner = Array.isArray(group) ? (group[nth] as Record<string, unknown> | undefined) : undefined;
      const child = bind(it.type, it.labels, it.start, inner ?? {}, it.body);
      block.blocks.push(child);
      block.items.push(child);
    }
    // Whatever the parser read must have been placed: nothing is dropped unseen.
    for (const k of Object.keys(body)) {
      if (!block.attrs.some((a) => a.name === k) && !block.blocks.some((b) => b.type === k)) {
        throw new Error(`${file}:${block.pos.line}: vmbench could not place "${k}" in the source (please report this template)`);
      }
    }
    return block;
  };
  return bind('', [], 0, json, scanHcl(text));
}

/** Where `needle` first appears in an attribute's value, else where the value starts. */
export function posIn(a: HclAttr, needle?: string): SourcePos {
  const start = a.shape?.start;
  if (start === undefined) return a.pos;
  const k = needle ? a.source.indexOf(needle) : -1;
  return a.at(start + Math.max(0, k));
}
