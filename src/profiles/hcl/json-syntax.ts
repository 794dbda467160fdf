/**
 * `*.pkr.json`: a Packer HCL2 template in HCL's JSON syntax (not the legacy JSON template). HCL
 * JSON needs the schema to tell blocks from attributes — an object under `source` is blocks
 * keyed by their labels, an object under `http_content` is a value — so Packer's block schema
 * is written out here. The result is the same block tree as native files (blocks.ts), with
 * every place from the JSON parser's offsets. Strings are HCL templates there too.
 */
import {readFileSync} from 'node:fs';
import type {SourcePos} from '../document.js';
import {parseJsonSource, type JsonNode} from '../packer/json-source.js';
import type {HclAttr, HclBlock} from './blocks.js';
import type {ValueShape} from './scan.js';

/** Packer's HCL2 block types in each body: type → number of labels. */
const SCHEMA: Record<string, Record<string, number>> = {
  '': {packer: 0, variable: 1, variables: 0, locals: 0, local: 1, source: 2, build: 0, data: 2, hcp_packer_registry: 0},
  packer: {required_plugins: 0},
  variable: {validation: 0},
  build: {source: 1, provisioner: 1, 'post-processor': 1, 'post-processors': 0, 'error-cleanup-provisioner': 1, hcp_packer_registry: 0},
  'post-processors': {'post-processor': 1},
};

/** Read a `*.pkr.json` file as blocks and attributes (JSON syntax errors throw ProfileError). */
export function readHclJsonFile(file: string, text = readFileSync(file, 'utf8')): HclBlock {
  const src = parseJsonSource(text, file);
  const at = (offset: number): SourcePos => ({file, ...src.pos(offset)});
  const shape = (n: JsonNode): ValueShape => ({
    start: n.offset,
    end: n.offset + n.length,
    ...(n.type === 'array' ? {items: (n.children ?? []).map(shape)} : {}),
    ...(n.type === 'object'
      ? {entries: (n.children ?? []).map((p) => ({key: String(p.children![0]!.value), start: p.offset, value: shape(p.children![1]!)}))}
      : {}),
  });
  const props = (n: JsonNode | undefined): [string, JsonNode, JsonNode][] =>
    n?.type === 'object' ? (n.children ?? []).map((p) => [String(p.children![0]!.value), p, p.children![1]!] as [string, JsonNode, JsonNode]) : [];

  const body = (type: string, labels: string[], start: number, n: JsonNode | undefined): HclBlock => {
    const block: HclBlock = {type, labels, file, pos: at(start), attrs: [], blocks: [], items: []};
    const blockTypes = SCHEMA[type] ?? {};
    for (const [key, prop, value] of props(n)) {
      if (key === '//') continue; // HCL JSON's comment property
      const nLabels = blockTypes[key];
      if (nLabels === undefined) {
        const a: HclAttr = {name: key, raw: valueOf(value), file, pos: at(prop.offset), shape: shape(value), at, source: text.slice(value.offset, value.offset + value.length)};
        block.attrs.push(a);
        block.items.push(a);
        continue;
      }
      // Labels nest as object keys; the innermost value is one body or a list of bodies.
      const walk = (v: JsonNode, got: string[], offset: number): void => {
        if (got.length < nLabels) {
          // An array here keeps blocks of different labels in their written order.
          if (v.type === 'array') for (const e of v.children ?? []) walk(e, got, e.offset);
          for (const [label, p, inner] of props(v)) walk(inner, [...got, label], p.offset);
          return;
        }
        for (const b of v.type === 'array' ? (v.children ?? []) : [v]) {
          const child = body(key, got, got.length ? offset : b.offset, b);
          block.blocks.push(child);
          block.items.push(child);
        }
      };
      walk(value, [], prop.offset);
    }
    return block;
  };
  return body('', [], 0, src.root);
}

function valueOf(n: JsonNode): unknown {
  if (n.type === 'object') return Object.fromEntries((n.children ?? []).map((p) => [String(p.children![0]!.value), valueOf(p.children![1]!)]));
  if (n.type === 'array') return (n.children ?? []).map(valueOf);
  return n.value;
}
