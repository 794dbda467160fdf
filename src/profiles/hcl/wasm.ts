/**
 * HashiCorp's HCL2 parser (hashicorp/hcl, compiled to WASM and published as @cdktf/hcl2json),
 * called synchronously. The package's own API is async only because it waits for the WASM to
 * load; instantiated here with the synchronous WebAssembly.Module/Instance, the Go functions
 * it registers answer within the call (measured: the callback runs before the call returns), so
 * the loader's front ends stay synchronous. Loaded on first use (~0.1 s), then kept.
 */
import {readFileSync} from 'node:fs';
import {createRequire} from 'node:module';
import path from 'node:path';
import {gunzipSync} from 'node:zlib';

/** A parse error from HCL: `file:line,col-col: Summary; Detail`. */
export class HclSyntaxError extends Error {
  constructor(
    message: string,
    readonly file: string,
    readonly line: number,
    readonly col: number,
  ) {
    super(message);
    this.name = 'HclSyntaxError';
  }
}

type GoFn = (...args: unknown[]) => void;
interface Bridge {
  parse: GoFn;
  getExpressionAst: GoFn;
}
interface GoRuntime {
  importObject: object;
  run(instance: object): Promise<void>;
  exited: boolean;
}
/** Node's WebAssembly global (not in this project's type libs, which leave out the DOM's). */
const Wasm = (globalThis as unknown as {WebAssembly: {Module: new (bytes: Uint8Array) => object; Instance: new (module: object, imports: object) => object}}).WebAssembly;

let bridge: {fns: Bridge; go: GoRuntime} | undefined;
/** What the Go side printed (a Go panic says why here rather than on our terminal). */
let goOutput = '';

function load(): {fns: Bridge; go: GoRuntime} {
  if (bridge && !bridge.go.exited) return bridge;
  const require = createRequire(import.meta.url);
  const dir = path.dirname(require.resolve('@cdktf/hcl2json/package.json'));
  const g = globalThis as Record<string, unknown>;
  const hadFs = 'fs' in g;
  // Go's wasm_exec.js defines globalThis.Go (and a stand-in `fs` for Go's stdout when there is none).
  require(path.join(dir, 'wasm', 'wasm_exec.js'));
  if (!hadFs && g.fs && typeof g.fs === 'object') {
    // Keep Go's output off the terminal (ink draws there): collect it for error messages instead.
    (g.fs as {writeSync: (fd: number, buf: Uint8Array) => number}).writeSync = (_fd, buf) => {
      goOutput = (goOutput + new TextDecoder().decode(buf)).slice(-4000);
      return buf.length;
    };
  }
  const Go = g.Go as new () => GoRuntime;
  const go = new Go();
  const bytes = gunzipSync(readFileSync(path.join(dir, 'main.wasm.gz')));
  const instance = new Wasm.Instance(new Wasm.Module(bytes), go.importObject);
  const fns = {} as Bridge;
  // The Go program registers its functions on this global object, then waits for calls.
  g.__parse_terraform_config_wasm__ = fns;
  void go.run(instance);
  if (typeof fns.parse !== 'function' || typeof fns.getExpressionAst !== 'function') {
    throw new Error(`the HCL parser (@cdktf/hcl2json) did not start${goOutput ? `: ${goOutput.trim()}` : ''}`);
  }
  bridge = {fns, go};
  return bridge;
}

function call(name: keyof Bridge, file: string, text: string): unknown {
  const {fns} = load();
  let result: {err: string | null; res: string | null} | undefined;
  fns[name](file, text, (err: string | null, res: string | null) => (result = {err, res}));
  if (!result) throw new Error('the HCL parser (@cdktf/hcl2json) did not answer synchronously');
  if (result.err) throw syntaxError(result.err, file);
  return JSON.parse(result.res ?? 'null');
}

/** `parse config: [f.pkr.hcl:20,5-21,1: Summary; Detail]` → the first diagnostic, located. */
function syntaxError(err: string, file: string): HclSyntaxError {
  const m = /([^\s[]+):(\d+),(\d+)(?:-\d+(?:,\d+)?)?: ([^\]]*)/.exec(err);
  if (!m) return new HclSyntaxError(err.replace(/^parse config: /, ''), file, 1, 1);
  return new HclSyntaxError(m[4]!.trim(), file, Number(m[2]), Number(m[3]));
}

/**
 * HCL native syntax → hcl2json's JSON: attributes as values (literals as themselves, anything
 * else as a `${…}` template string), blocks grouped by type then label, each a list of bodies.
 */
export function hclToJson(file: string, text: string): Record<string, unknown> {
  return call('parse', file, text) as Record<string, unknown>;
}

/** hcl2json's expression tree (see TFExpressionSyntaxTree in @cdktf/hcl2json) for one expression. */
export interface HclAst {
  type: string;
  meta?: Record<string, unknown> & {value?: string};
  children: HclAst[];
  range?: {start: {line: number; column: number; byte: number}; end: {line: number; column: number; byte: number}};
}

/** The syntax tree of an expression (lines in its ranges are 0-based, as the parser gives them). */
export function hclExpressionAst(file: string, expression: string): HclAst | null {
  return call('getExpressionAst', file, expression) as HclAst | null;
}
