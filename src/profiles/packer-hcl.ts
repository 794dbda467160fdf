/**
 * The Packer HCL2 template front end (issue 10): a `*.pkr.hcl` file, or a folder of them as
 * Packer reads one (every *.pkr.hcl, plus *.auto.pkrvars.hcl), parsed by HashiCorp's HCL parser
 * (hcl/wasm.ts). Variables get their values with Packer's precedence (hcl/variables.ts), locals
 * and expressions are evaluated (hcl/eval.ts, hcl/functions.ts), and every `build` × `source
 * "qemu"` pair left after -only/-except becomes one document for the checker, with every field's
 * file:line:col. Sources of other types are named and skipped, as Packer's -only would.
 */
import {readdirSync, statSync} from 'node:fs';
import path from 'node:path';
import {ProfileError, type PathKey, type ProfileDocument, type ProfileIssue, type SourcePos} from './document.js';
import {attr, readHclFile, type HclAttr, type HclBlock} from './hcl/blocks.js';
import {DataSourceError, EVALUATED_DATA_SOURCES, evaluateDataSource} from './hcl/data-sources.js';
import {DocumentBuilder, ReportedError} from './hcl/document-builder.js';
import {readHclJsonFile} from './hcl/json-syntax.js';
import {HclEvalError, toStr, type HclValue, type Scope} from './hcl/eval.js';
import {hclFunctions, unknownFunctionMessage} from './hcl/functions.js';
import {declareVariables, resolveVariables} from './hcl/variables.js';
import {HclSyntaxError} from './hcl/wasm.js';
import {mapPackerBuilder} from './packer/builder-fields.js';
import type {FrontEnd} from './loader.js';

/** Packer's build-time values (`build.X` in provisioners), left as the Go template fields vmbench fills in. */
const BUILD_VALUES = ['ID', 'Host', 'Port', 'User', 'Password', 'ConnType', 'PackerRunUUID', 'PackerHTTPAddr', 'PackerHTTPIP', 'PackerHTTPPort', 'SSHPublicKey', 'SSHPrivateKey', 'WinRMPassword'];
const TOP_LEVEL = new Set(['packer', 'variable', 'variables', 'locals', 'local', 'source', 'build']);

export const packerHclDocuments: FrontEnd = (fileOrDir, opts) => {
  const isDir = statSync(fileOrDir).isDirectory();
  const dir = path.resolve(isDir ? fileOrDir : path.dirname(fileOrDir));
  const names = isDir ? readdirSync(fileOrDir).sort() : [];
  const inDir = (suffix: string) => names.filter((n) => n.endsWith(suffix)).map((n) => path.join(fileOrDir, n));
  // As Packer's GetHCL2Files: a folder's *.pkr.hcl then *.pkr.json; a file alone gets no auto var files.
  const files = isDir ? [...inDir('.pkr.hcl'), ...inDir('.pkr.json')] : [fileOrDir];
  const autoVarFiles = isDir ? [...inDir('.auto.pkrvars.hcl'), ...inDir('.auto.pkrvars.json')] : [];
  const issues: ProfileIssue[] = [];
  const warnings: ProfileIssue[] = [];
  const fail = (p: SourcePos, field: string, message: string) => issues.push({file: p.file ?? '', line: p.line, col: p.col, field, message});

  const roots: HclBlock[] = [];
  for (const f of files) {
    try {
      roots.push(f.endsWith('.json') ? readHclJsonFile(f) : readHclFile(f));
    } catch (err) {
      if (err instanceof ProfileError) issues.push(...err.issues);
      else if (err instanceof HclSyntaxError) fail({file: f, line: err.line, col: err.col}, '', err.message);
      else throw err;
    }
  }
  if (issues.length) throw new ProfileError(issues);

  // Data sources vmbench does not evaluate (all but hcl/data-sources.ts's) are named with a
  // warning, and a use of one is an error where it is used, unless try()/can() guard it, as
  // templates that run on several hosts often do.
  const dataSources = new Map<string, HclBlock>();
  for (const root of roots) {
    for (const a of root.attrs) fail(a.pos, a.name, `unexpected argument at the top level (a template holds blocks: ${[...TOP_LEVEL].join(', ')})`);
    for (const b of root.blocks) {
      if (b.type === 'data') {
        dataSources.set(b.labels.join('.'), b);
        if (!EVALUATED_DATA_SOURCES.has(b.labels[0] ?? '')) warnings.push({...b.pos, file: b.file, field: `data.${b.labels.join('.')}`, message: `data sources are not evaluated by vmbench: a use of data.${b.labels.join('.')} is an error unless try() or can() guards it`, warning: true});
      }
      else if (b.type === 'hcp_packer_registry') warnings.push({...b.pos, file: b.file, field: b.type, message: 'HCP Packer registry metadata is not used by vmbench', warning: true});
      else if (!TOP_LEVEL.has(b.type)) fail(b.pos, b.type, `unknown block type "${b.type}" (one of ${[...TOP_LEVEL].join(', ')})`);
      else if (b.type === 'packer') checkPackerBlock(b, fail);
    }
  }

  // Variables, by Packer's precedence (see hcl/variables.ts).
  const env = opts.env ?? process.env;
  const functions = hclFunctions(dir);
  const declared = declareVariables(roots, issues, env);
  const {values, sensitive, defaults} = resolveVariables(declared, {env, varFiles: [...autoVarFiles, ...(opts.varFiles ?? [])], vars: opts.vars ?? {}, functions}, issues);
  const varIssues = issues.filter((i) => !i.warning);
  warnings.push(...issues.filter((i) => i.warning));
  issues.length = 0;
  issues.push(...varIssues);

  const sensitiveLocals = new Set<string>();
  // Locals: evaluated on first use (they may refer to each other), each reported once at its own line.
  const locals = new Map<string, {a: HclAttr; state: 'new' | 'busy' | 'done' | 'failed'; value?: HclValue}>();
  for (const root of roots) {
    for (const b of root.blocks) {
      const add = (name: string, a: HclAttr | undefined, p: SourcePos) => {
        if (!a) return fail(p, `local.${name}`, 'a local block needs an expression');
        if (locals.has(name)) return fail(a.pos, `local.${name}`, `local "${name}" is defined twice (also at ${locals.get(name)!.a.file}:${locals.get(name)!.a.pos.line})`);
        locals.set(name, {a, state: 'new'});
      };
      if (b.type === 'locals') for (const a of b.attrs) add(a.name, a, a.pos);
      if (b.type === 'local') {
        add(b.labels[0] ?? '', attr(b, 'expression'), b.pos);
        const s = attr(b, 'sensitive');
        if (s?.raw === true) sensitiveLocals.add(b.labels[0] ?? '');
      }
    }
  }
  // Evaluated data sources, by type and name, filled in on first use (data.sshkey.install).
  const dataRoot: Record<string, Record<string, HclValue>> = {};
  const dataState = new Map<string, 'busy' | 'done' | 'failed'>();
  const baseSymbols: Record<string, HclValue> = {path: {root: dir, cwd: process.cwd()}, data: dataRoot};
  const evaluateData = (key: string, b: HclBlock): void => {
    const state = dataState.get(key);
    if (state === 'done') return;
    if (state === 'failed') throw new ReportedError(`data.${key} could not be evaluated`);
    if (state === 'busy') throw new HclEvalError(`data.${key} refers to itself (through locals)`, `data.${key}`);
    dataState.set(key, 'busy');
    const builder = new DocumentBuilder(issues, warnings);
    const config: Record<string, HclValue> = {};
    let ok = true;
    for (const a of b.attrs) {
      const v = builder.value(a, scope, `data.${key}.${a.name}`);
      if (v === undefined) ok = false;
      else config[a.name] = v;
    }
    for (const inner of b.blocks) {
      fail(inner.pos, `data.${key}.${inner.type}`, `unexpected block in data "${b.labels[0]}"`);
      ok = false;
    }
    if (ok) {
      try {
        const [type, name] = [b.labels[0]!, b.labels[1]!];
        (dataRoot[type] ??= {})[name] = evaluateDataSource(type, config) as HclValue;
        dataState.set(key, 'done');
        return;
      } catch (err) {
        if (!(err instanceof DataSourceError)) throw err;
        const at = err.attribute ? b.attrs.find((a) => a.name === err.attribute) : undefined;
        fail(at?.pos ?? b.pos, `data.${key}${err.attribute ? `.${err.attribute}` : ''}`, err.message);
      }
    }
    dataState.set(key, 'failed');
    throw new ReportedError(`data.${key} could not be evaluated`);
  };
  const scope: Scope = {
    symbols: baseSymbols,
    functions,
    unknownFunction: unknownFunctionMessage,
    unavailable: (root, text) => {
      if (root !== 'data') return undefined;
      const m = /^data\.([\w-]+)\.([\w-]+)/.exec(text);
      const b = m ? dataSources.get(`${m[1]}.${m[2]}`) : undefined;
      if (b && EVALUATED_DATA_SOURCES.has(b.labels[0] ?? '')) {
        evaluateData(`${m![1]}.${m![2]}`, b);
        return undefined;
      }
      return b
        ? `${text}: vmbench does not evaluate ${b.labels[0]} data sources (data "${b.labels[0]}" "${b.labels[1]}" at ${path.basename(b.file)}:${b.pos.line}; it evaluates ${[...EVALUATED_DATA_SOURCES].join(', ')}); give the value as a variable instead`
        : `${text}: no such data source${dataSources.size ? ` (defined: ${[...dataSources.keys()].map((k) => `data.${k}`).join(', ')})` : ''}`;
    },
    ref: (root, name) => {
      if (root === 'var') {
        if (Object.hasOwn(values, name)) return values[name]!;
        if (declared.has(name)) throw new ReportedError(`var.${name} has no value`);
        throw new HclEvalError(`unknown variable var.${name} (declared: ${[...declared.keys()].join(', ') || 'none'})`, `var.${name}`);
      }
      const l = locals.get(name);
      if (!l) throw new HclEvalError(`unknown local local.${name} (defined: ${[...locals.keys()].join(', ') || 'none'})`, `local.${name}`);
      if (l.state === 'done') return l.value!;
      if (l.state === 'failed') throw new ReportedError(`local.${name} could not be evaluated`);
      if (l.state === 'busy') throw new HclEvalError(`local.${name} refers to itself (through other locals)`, `local.${name}`);
      l.state = 'busy';
      const b = new DocumentBuilder(issues, warnings);
      const v = b.value(l.a, {...scope, symbols: baseSymbols}, `local.${name}`);
      l.state = v === undefined ? 'failed' : 'done';
      l.value = v;
      if (v === undefined) throw new ReportedError(`local.${name} could not be evaluated`);
      return v;
    },
    all: (root) => (root === 'var' ? {...values} : Object.fromEntries([...locals.keys()].map((k) => [k, scope.ref('local', k)]))),
  };
  // Every data source vmbench evaluates is, and every local (as Packer does), so a broken one
  // is reported even if unused.
  for (const [key, b] of dataSources) {
    if (!EVALUATED_DATA_SOURCES.has(b.labels[0] ?? '')) continue;
    try {
      evaluateData(key, b);
    } catch (err) {
      if (!(err instanceof HclEvalError) && !(err instanceof ReportedError)) throw err;
    }
  }
  for (const name of locals.keys()) {
    try {
      scope.ref('local', name);
    } catch (err) {
      if (!(err instanceof HclEvalError)) throw err;
    }
  }
  for (const name of sensitiveLocals) {
    const v = locals.get(name)?.value;
    if (v !== undefined) sensitive[`local.${name}`] = typeof v === 'string' ? v : JSON.stringify(v);
  }

  const sources = new Map<string, HclBlock>();
  for (const root of roots) {
    for (const b of root.blocks.filter((x) => x.type === 'source')) {
      const ref = `source.${b.labels.join('.')}`;
      if (b.labels.length !== 2) fail(b.pos, ref, 'a source block has two labels: source "TYPE" "NAME"');
      else if (sources.has(ref)) fail(b.pos, ref, `${ref} is defined twice (also at ${sources.get(ref)!.file}:${sources.get(ref)!.pos.line})`);
      else sources.set(ref, b);
    }
  }
  const builds = roots.flatMap((r) => r.blocks.filter((b) => b.type === 'build'));
  if (!builds.length && !issues.length) fail(roots[0]?.pos ?? {file: files[0] ?? fileOrDir, line: 1, col: 1}, 'build', 'the template has no build block (Packer needs one: build { sources = ["source.qemu.NAME"] })');

  const documents: ProfileDocument[] = [];
  const possible: string[] = [];
  const skipped: string[] = [];
  for (const build of builds) {
    const selected = buildDocuments(build, {sources, scope, issues, warnings, opts, possible, skipped, sensitive, dir, defaults, values});
    documents.push(...selected);
  }
  if (!documents.length) {
    const first = builds[0];
    const why = opts.only?.length || opts.except?.length
      ? `-only/-except left no build to run (builds here: ${possible.join(', ') || 'none'})`
      : `no build uses a qemu source${skipped.length ? ` (skipped: ${skipped.join(', ')})` : ''}`;
    if (first && !issues.length) issues.push({file: first.file, line: first.pos.line, col: first.pos.col, field: 'build', message: why});
    throw new ProfileError([...issues, ...warnings]);
  }
  // The template's own problems (variables, locals, blocks) are reported with the first build's,
  // so one run of validate names them all.
  documents[0]!.issues = [...issues, ...(documents[0]!.issues ?? [])];
  for (const d of documents) d.warnings = [...warnings, ...(d.warnings ?? [])];
  return {format: 'packer-hcl2', dir, documents};
};

function checkPackerBlock(b: HclBlock, fail: (p: SourcePos, f: string, m: string) => void): void {
  // required_version and required_plugins are accepted: vmbench has its qemu builder built in.
  for (const a of b.attrs) if (a.name !== 'required_version') fail(a.pos, `packer.${a.name}`, 'unknown argument (packer {} holds required_version and required_plugins)');
  for (const x of b.blocks) if (x.type !== 'required_plugins') fail(x.pos, `packer.${x.type}`, 'unknown block (packer {} holds required_version and required_plugins)');
}

interface BuildContext {
  sources: Map<string, HclBlock>;
  scope: Scope;
  issues: ProfileIssue[];
  warnings: ProfileIssue[];
  opts: {only?: string[]; except?: string[]};
  possible: string[];
  skipped: string[];
  sensitive: Record<string, string>;
  /** The template's folder. */
  dir: string;
  defaults: Record<string, HclValue>;
  values: Record<string, HclValue>;
}

/** Packer's -only/-except patterns are globs (gobwas/glob): * ? [..] {a,b}. */
function glob(pattern: string): RegExp {
  let re = '';
  for (let k = 0; k < pattern.length; k++) {
    const c = pattern[k]!;
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '{') re += '(?:';
    else if (c === '}') re += ')';
    else if (c === ',' && re.includes('(?:')) re += '|';
    else if (c === '[') {
      const e = pattern.indexOf(']', k);
      re += e > k ? pattern.slice(k, e + 1).replace('[!', '[^') : '\\[';
      k = e > k ? e : k;
    } else re += c.replace(/[.+^$()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

function buildDocuments(build: HclBlock, ctx: BuildContext): ProfileDocument[] {
  const {scope, issues, warnings} = ctx;
  const head = new DocumentBuilder(issues, warnings);
  const str = (a: HclAttr | undefined): string | undefined => {
    const v = a && head.value(a, scope, `build.${a.name}`);
    return v === undefined || v === null ? undefined : toStr(v);
  };
  const buildName = str(attr(build, 'name')) ?? '';
  const description = str(attr(build, 'description'));
  // Uses: `sources = ["source.qemu.x"]`, and `source "source.qemu.x" { name = "y", … }` blocks.
  const uses: {ref: string; at: SourcePos; block?: HclBlock}[] = [];
  const srcAttr = attr(build, 'sources');
  const listed = srcAttr ? head.value(srcAttr, scope, 'build.sources') : undefined;
  if (listed !== undefined && !Array.isArray(listed)) head.error(srcAttr!.pos, 'build.sources', 'expected a list of source references like "source.qemu.NAME"');
  if (Array.isArray(listed)) listed.forEach((r, i) => uses.push({ref: String(r), at: srcAttr!.shape?.items?.[i] ? srcAttr!.at(srcAttr!.shape.items[i]!.start) : srcAttr!.pos}));
  for (const b of build.blocks.filter((x) => x.type === 'source')) uses.push({ref: b.labels[0] ?? '', at: b.pos, block: b});
  const known = new Set(['name', 'description', 'sources']);
  for (const a of build.attrs) if (!known.has(a.name)) head.error(a.pos, `build.${a.name}`, 'unknown argument (a build has name, description, sources and source/provisioner/post-processor blocks)');
  for (const b of build.blocks) {
    if (b.type === 'error-cleanup-provisioner') head.warn(b.pos, b.type, 'error-cleanup-provisioner is not run by vmbench (a failed build keeps or removes its output as -on-error says)');
    else if (b.type === 'hcp_packer_registry') head.warn(b.pos, b.type, 'HCP Packer registry metadata is not used by vmbench');
    else if (!['source', 'provisioner', 'post-processor', 'post-processors'].includes(b.type)) head.error(b.pos, `build.${b.type}`, `unknown block type "${b.type}" in a build`);
  }

  const docs: ProfileDocument[] = [];
  for (const use of uses) {
    const m = /^source\.([\w-]+)\.([\w-]+)$/.exec(use.ref);
    if (!m) {
      head.error(use.at, 'build.sources', `"${use.ref}" is not a source reference (write source.TYPE.NAME)`);
      continue;
    }
    const src = ctx.sources.get(use.ref);
    if (!src) {
      head.error(use.at, 'build.sources', `unknown source ${use.ref} (defined: ${[...ctx.sources.keys()].join(', ') || 'none'})`);
      continue;
    }
    const [, type, srcName] = m as unknown as [string, string, string];
    const nameAttr = use.block && attr(use.block, 'name');
    const localName = (nameAttr && str(nameAttr)) || srcName;
    const fullName = `${buildName ? `${buildName}.` : ''}${type}.${localName}`;
    ctx.possible.push(fullName);
    if (ctx.opts.only?.length && !ctx.opts.only.some((p) => glob(p).test(fullName))) continue;
    if (ctx.opts.except?.some((p) => glob(p).test(fullName))) continue;
    if (type !== 'qemu') {
      ctx.skipped.push(fullName);
      head.warn(use.at, 'build.sources', `${fullName} is skipped: vmbench builds qemu sources only (a ${type} source)`);
      continue;
    }
    const doc = buildDocument(build, src, use.block, {type, name: localName, buildName, fullName, description}, ctx);
    if (doc) docs.push(doc);
  }
  return docs;
}

interface SourceUse {
  type: string;
  name: string;
  buildName: string;
  fullName: string;
  description?: string;
}

function buildDocument(build: HclBlock, src: HclBlock, use: HclBlock | undefined, u: SourceUse, ctx: BuildContext): ProfileDocument | undefined {
  const docWarnings: ProfileIssue[] = [];
  const docIssues: ProfileIssue[] = [];
  const b = new DocumentBuilder(docIssues, docWarnings, src.pos);
  const sourceScope: Scope = {...ctx.scope, symbols: {...ctx.scope.symbols, source: {name: u.name, type: u.type}}};
  const fields: Record<string, unknown> = {};
  b.setBody(fields, [], src, sourceScope);
  if (use) {
    // As Packer (hcl.MergeBodies): a build's source block adds fields; setting one twice is an error.
    for (const a of use.attrs) {
      if (a.name === 'name') continue;
      const first = attr(src, a.name);
      if (first) b.error(a.pos, a.name, `${a.name} is already set in ${`source.${src.labels.join('.')}`} at ${first.file}:${first.pos.line}:${first.pos.col}`);
      else b.setAttr(fields, [a.name], a, sourceScope);
    }
    for (const x of use.blocks) b.setBody(fields, [], {...use, attrs: [], blocks: [x], items: [x]}, sourceScope);
  }
  // Packer's qemu options → vmbench fields, by the table the JSON front end uses too (packer-fields.ts).
  const mapped = mapPackerBuilder(fields, u.name);
  Object.assign(b.raw, mapped.raw);
  for (const [field, key] of Object.entries(mapped.from)) b.alias(field, key);
  for (const i of mapped.issues) {
    const p = b.position([i.key], true) ?? src.pos;
    if (i.warning) b.warn(p, i.key, i.message);
    else b.error(p, i.key, i.message);
  }
  if (u.description !== undefined && b.raw.description === undefined) {
    b.raw.description = u.description;
    const d = attr(build, 'description');
    if (d) b.place(['description'], {value: d.pos, key: d.pos});
  }
  // Provisioners see build.* (filled in at build time) besides what sources see.
  const buildValues: Record<string, HclValue> = Object.fromEntries(BUILD_VALUES.map((k) => [k, `{{ .${k} }}`]));
  buildValues.name = u.buildName;
  const provScope: Scope = {...sourceScope, symbols: {...sourceScope.symbols, build: buildValues}};
  const skips = (blk: HclBlock): boolean => {
    // `only`/`except` name sources as TYPE.NAME, compared exactly (Packer's OnlyExcept.Skip).
    const names = (n: string) => {
      const a = attr(blk, n);
      const v = a ? b.value(a, provScope, n) : undefined;
      return Array.isArray(v) ? v.map((x) => String(x)) : [];
    };
    const only = names('only');
    const except = names('except');
    const me = `${u.type}.${u.name}`;
    return only.length ? !only.includes(me) : except.includes(me);
  };
  const typed = (blk: HclBlock, p: PathKey[], meta: ReadonlySet<string>): Record<string, unknown> => {
    const out: Record<string, unknown> = {type: blk.labels[0] ?? ''};
    b.place(p, {value: blk.pos, key: blk.pos});
    b.place([...p, 'type'], {value: blk.pos, key: blk.pos});
    b.setBody(out, p, blk, provScope, meta);
    // Packer's provisioner `override`: per-source fields, keyed by the source's name.
    const ov = out.override as Record<string, unknown> | undefined;
    if (ov && typeof ov === 'object') {
      delete out.override;
      const mine = ov[u.name];
      if (mine && typeof mine === 'object') Object.assign(out, mine);
    }
    return out;
  };
  const provisioners: unknown[] = [];
  const META = new Set(['only', 'except']);
  for (const blk of build.blocks.filter((x) => x.type === 'provisioner')) {
    if (skips(blk)) continue;
    provisioners.push(typed(blk, ['provisioners', provisioners.length], META));
  }
  if (provisioners.length) b.raw.provisioners = provisioners;
  const post: unknown[] = [];
  // Packer's -except also names post-processors (by name, else type): one matched ends its chain.
  const excepted = (x: HclBlock): boolean => {
    const n = attr(x, 'name');
    const v = n ? b.value(n, provScope, 'name') : undefined;
    const name = typeof v === 'string' && v ? v : (x.labels[0] ?? '');
    return !!ctx.opts.except?.some((p) => glob(p).test(name));
  };
  for (const blk of build.blocks) {
    if (blk.type === 'post-processor') {
      if (!skips(blk) && !excepted(blk)) post.push(typed(blk, ['post_processors', post.length], META));
    } else if (blk.type === 'post-processors') {
      const chain: unknown[] = [];
      const at = post.length;
      b.place(['post_processors', at], {value: blk.pos, key: blk.pos});
      for (const x of blk.blocks) {
        if (x.type !== 'post-processor') {
          b.error(x.pos, `post-processors.${x.type}`, 'a post-processors block holds post-processor blocks only');
          continue;
        }
        if (skips(x)) continue;
        if (excepted(x)) break;
        chain.push(typed(x, ['post_processors', at, chain.length], META));
      }
      if (chain.length) post.push(chain);
    }
  }
  if (post.length) b.raw.post_processors = post;
  return {
    file: src.file,
    defaultName: u.name,
    raw: b.raw,
    position: (p, o) => b.position(p, o?.key),
    quoted: (p) => b.quoted(p),
    warnings: docWarnings,
    issues: docIssues,
    // -only/-except select HCL2 builds by Packer's full name (BUILD.qemu.NAME).
    template: {buildName: u.name, buildType: u.type, templateDir: ctx.dir, envOnlyInVariables: true, selector: u.fullName},
    inputVariables: ctx.defaults,
    // Packer hands HCL2 variables to builders as user variables: `{{ user "x" }}` works in HCL2 too.
    userVariables: Object.fromEntries(Object.entries(ctx.values).flatMap(([k, v]) => (v !== null && typeof v !== 'object' ? [[k, String(v)]] : []))),
    sensitiveVariables: Object.keys(ctx.sensitive),
    sensitiveValues: Object.values(ctx.sensitive).filter((v) => v !== ''),
  };
}
