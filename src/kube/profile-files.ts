/**
 * A user's profile folder as the files a ConfigMap carries into the pod: every regular file
 * under the folder (answer files, scripts, cloud-init, playbooks), with its mode, the same files
 * `vmbench init` would copy — build outputs (output-* folders, the profile's output_directory),
 * packer_cache/, .git/, node_modules/ and download parts are left out. ConfigMap keys cannot hold
 * `/`, so each file gets a flat key and the volume's `items` put it back at its path.
 */
import {lstatSync, readdirSync, readFileSync, statSync} from 'node:fs';
import path from 'node:path';

/** What the API server takes for one object is about 1 MiB; a ConfigMap's data must stay under it. */
export const CONFIGMAP_MAX_BYTES = 1024 * 1024 - 16 * 1024;

export interface ProfileFile {
  /** Path inside the folder, with `/`. */
  rel: string;
  /** ConfigMap key: [-._a-zA-Z0-9]+, unique. */
  key: string;
  bytes: Buffer;
  /** 0755 for executables (iso_build, shell-local scripts run as they are), else 0644. */
  mode: number;
  /** Not UTF-8 text: goes to binaryData. */
  binary: boolean;
}

/** The same names `vmbench init` leaves out (src/cli/init-command.ts). */
const SKIP_DIRS = new Set(['.git', 'packer_cache', 'node_modules']);
const skipName = (name: string, isDir: boolean): boolean => (isDir && (SKIP_DIRS.has(name) || name.startsWith('output-'))) || name.endsWith('.part');

/** A ConfigMap key for `rel`: `/` → `__`, anything else outside [-._a-zA-Z0-9] → `_`. */
export function configMapKey(rel: string): string {
  return rel.split('/').join('__').replace(/[^-._a-zA-Z0-9]/g, '_');
}

const isText = (b: Buffer): boolean => {
  if (b.includes(0)) return false;
  try {
    new TextDecoder('utf-8', {fatal: true}).decode(b);
    return true;
  } catch {
    return false;
  }
};

/** Every file of `dir` (sorted), `skip` holding absolute paths left out (the output directory). */
export function profileFiles(dir: string, skip: ReadonlySet<string> = new Set()): ProfileFile[] {
  const out: ProfileFile[] = [];
  const keys = new Set<string>();
  const walk = (rel: string): void => {
    for (const name of readdirSync(path.join(dir, rel)).sort()) {
      const r = rel ? `${rel}/${name}` : name;
      const abs = path.join(dir, r);
      const l = lstatSync(abs);
      // A symlink is followed to what it names (the pod gets the file itself).
      const st = l.isSymbolicLink() ? statSync(abs, {throwIfNoEntry: false}) : l;
      if (!st || skipName(name, st.isDirectory()) || skip.has(abs)) continue;
      if (st.isDirectory()) {
        walk(r);
        continue;
      }
      if (!st.isFile()) continue;
      let key = configMapKey(r);
      for (let n = 2; keys.has(key); n++) key = `${configMapKey(r)}.${n}`;
      keys.add(key);
      const bytes = readFileSync(abs);
      out.push({rel: r, key, bytes, mode: st.mode & 0o111 ? 0o755 : 0o644, binary: !isText(bytes)});
    }
  };
  walk('');
  return out;
}

/** Bytes the files take in a ConfigMap (base64 for binary ones). */
export function configMapBytes(files: readonly ProfileFile[]): number {
  return files.reduce((n, f) => n + f.key.length + (f.binary ? Math.ceil(f.bytes.length / 3) * 4 : f.bytes.length), 0);
}
