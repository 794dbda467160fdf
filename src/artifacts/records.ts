/**
 * What a build leaves beside its artifacts so they can be checked and traced: checksum files in
 * GNU coreutils' format (`SHA256SUMS`: `<hex>  <path>`, read by `sha256sum -c` from the folder
 * they are in), and a manifest in Packer's manifest format (builds[], last_run_uuid — tools that
 * read packer-manifest.json read it) whose build entry also carries vmbench's own record under
 * `vmbench`: profile, variables (secrets redacted), tool versions, step durations, artifacts
 * with sizes, virtual sizes and checksums. Independent of the engine: files and values in, text out.
 */
import {createHash} from 'node:crypto';
import {createReadStream} from 'node:fs';
import {readdir} from 'node:fs/promises';
import path from 'node:path';
import {REDACTED, redactText} from '../profiles/sensitive.js';

export const SUMS_FILE: Record<string, string> = {md5: 'MD5SUMS', sha1: 'SHA1SUMS', sha224: 'SHA224SUMS', sha256: 'SHA256SUMS', sha384: 'SHA384SUMS', sha512: 'SHA512SUMS'};

/** Every file under `dir`, as paths relative to it with `/`, sorted. */
export async function listFiles(dir: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(path.join(dir, rel), {withFileTypes: true})) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await listFiles(dir, r)));
    else if (e.isFile()) out.push(r);
  }
  return out.sort();
}

/** Every digest of `algorithms` for `file`, in one read. */
export async function hashFile(file: string, algorithms: readonly string[], opts: {signal?: AbortSignal; onBytes?(n: number): void} = {}): Promise<Record<string, string>> {
  const hashes = algorithms.map((a) => createHash(a));
  const stream = createReadStream(file, {highWaterMark: 1 << 20, signal: opts.signal});
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    for (const h of hashes) h.update(chunk);
    opts.onBytes?.(chunk.length);
  }
  return Object.fromEntries(algorithms.map((a, i) => [a, hashes[i]!.digest('hex')]));
}

/** A checksum file's text: `<hex>  <name>` a line, as sha256sum writes (a name with a newline or backslash gets its escaped form). */
export function sumsText(entries: readonly {name: string; hex: string}[]): string {
  return entries
    .map(({name, hex}) => (/[\n\\]/.test(name) ? `\\${hex}  ${name.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}` : `${hex}  ${name}`))
    .join('\n')
    .concat(entries.length ? '\n' : '');
}

/** Variable names whose values are secret even when the template does not say so. */
const SECRET_NAME = /pass(word|wd|phrase)?|secret|token|credential|private|api[_-]?key|auth/i;

/** Variables for the record: sensitive values and secret-looking names become <sensitive>. */
export function redactVariables(vars: Readonly<Record<string, string>>, secrets: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(vars)) {
    let value = v;
    // A value may carry a password of its own (`-e ansible_become_pass=…` in an extra-arguments variable).
    if (SECRET_NAME.test(k) && v !== '') value = REDACTED;
    else value = redactText(value, secrets);
    out[k] = value;
  }
  return out;
}

export interface RecordedArtifact {
  /** Relative to the manifest's folder (`/`), or absolute when outside it. */
  file: string;
  format: string;
  size: number;
  virtual_size?: number;
  /** size / virtual_size, 4 decimals. */
  ratio?: number;
  checksums: Record<string, string>;
}

export interface VmbenchRecord {
  build_id: string;
  profile: {name: string; file?: string; distro?: string};
  variables: Record<string, string>;
  started: string;
  finished: string;
  accelerator?: string;
  tools: Record<string, string>;
  steps: {id: string; title: string; status: string; seconds: number}[];
  artifacts: RecordedArtifact[];
  log_dir?: string;
}

/** The manifest: Packer's layout (field order as Packer's Go struct), one build, vmbench's record added. */
export function manifestJson(b: {name: string; buildTime: number; files: {name: string; size: number}[]; runUuid: string; vmbench: VmbenchRecord}): string {
  const doc = {
    builds: [
      {
        name: b.name,
        builder_type: 'qemu',
        build_time: b.buildTime,
        files: b.files,
        artifact_id: 'VM',
        packer_run_uuid: b.runUuid,
        custom_data: null,
        vmbench: b.vmbench,
      },
    ],
    last_run_uuid: b.runUuid,
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}
