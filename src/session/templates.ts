/**
 * Packer templates in a folder (the working directory, for the workbench's picker and
 * `vmbench profiles`): `*.json` files with a `builders` key, `*.pkr.hcl` / `*.pkr.json` files —
 * a folder of them is one template, as Packer reads it — and subfolders holding them. Found by
 * name and a cheap look inside; loading and checking them is the caller's (they may be broken).
 */
import {readdirSync, readFileSync, statSync} from 'node:fs';
import path from 'node:path';

export interface FoundTemplate {
  /** What to load: a JSON file, or a folder of *.pkr.hcl (the working directory is `.`). */
  path: string;
  kind: 'packer-json' | 'packer-hcl2';
  /** How to show it: the file's name, a folder's name with `/` (the searched folder's own too). */
  name: string;
}

/** Larger *.json files are not read to look for `builders` (a template is a few KB). */
const MAX_JSON_BYTES = 1 << 20;

const isHcl = (n: string): boolean => n.endsWith('.pkr.hcl') || n.endsWith('.pkr.json');

/** A JSON file whose top level is an object with `builders`: a Packer JSON template. */
export function isPackerJson(file: string): boolean {
  try {
    if (statSync(file).size > MAX_JSON_BYTES) return false;
    const doc = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    return !!doc && typeof doc === 'object' && !Array.isArray(doc) && 'builders' in doc;
  } catch {
    return false;
  }
}

function entries(dir: string): {name: string; dir: boolean}[] {
  try {
    return readdirSync(dir, {withFileTypes: true}).map((d) => ({name: d.name, dir: d.isDirectory()}));
  } catch {
    return [];
  }
}

/**
 * The templates in `dir` (default: the working directory), sorted by path; `path`s are relative
 * to `dir`'s own spelling (`.` for `dir` itself, `packer.json`, `sub`).
 */
export function findTemplates(dir = '.'): FoundTemplate[] {
  const out: FoundTemplate[] = [];
  const list = entries(dir);
  if (list.some((e) => !e.dir && isHcl(e.name))) out.push({path: dir, kind: 'packer-hcl2', name: `${path.basename(path.resolve(dir))}/`});
  for (const e of list) {
    if (e.name.startsWith('.')) continue;
    const p = dir === '.' ? e.name : path.join(dir, e.name);
    if (!e.dir && e.name.endsWith('.json') && !isHcl(e.name) && isPackerJson(path.join(dir, e.name))) out.push({path: p, kind: 'packer-json', name: e.name});
    // One level down: `packer/` or `debian/` beside the README, as templates are often kept.
    else if (e.dir && !['node_modules', 'dist'].includes(e.name) && !e.name.startsWith('output-') && entries(path.join(dir, e.name)).some((s) => !s.dir && isHcl(s.name))) {
      out.push({path: p, kind: 'packer-hcl2', name: `${e.name}/`});
    }
  }
  return out.sort((a, b) => a.path.localeCompare(b.path));
}
