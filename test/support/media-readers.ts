/**
 * Real readers of disk images for the media writer tests: xorriso (libisofs), bsdtar
 * (libarchive), isoinfo (cdrkit), blkid (util-linux), mtools and fsck.fat (dosfstools) — all
 * installed by scripts/setup.sh. A missing tool fails the test with the package to install.
 */
import {spawnSync} from 'node:child_process';
import {readdirSync, readFileSync, statSync} from 'node:fs';
import path from 'node:path';

const PACKAGE: Record<string, string> = {
  xorriso: 'xorriso',
  bsdtar: 'libarchive-tools',
  isoinfo: 'genisoimage',
  blkid: 'util-linux',
  mdir: 'mtools',
  mcopy: 'mtools',
  mlabel: 'mtools',
  mattrib: 'mtools',
  'fsck.fat': 'dosfstools',
};

/** Run a reader; returns stdout (and stderr, status). Throws naming the package when the tool is missing. */
export function read(cmd: string, args: string[], opts: {ok?: boolean} = {}): {stdout: string; stderr: string; status: number} {
  const r = spawnSync(cmd, args, {encoding: 'utf8', env: {...process.env, MTOOLS_SKIP_CHECK: '1', LC_ALL: 'C.UTF-8'}, maxBuffer: 64 << 20});
  if ((r.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') {
    throw new Error(`${cmd} is not installed: apt-get install ${PACKAGE[cmd] ?? cmd} (scripts/setup.sh installs it)`);
  }
  const out = {stdout: r.stdout, stderr: r.stderr, status: r.status ?? -1};
  if ((opts.ok ?? true) && out.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${out.status}: ${r.stderr}`);
  return out;
}

/** Blkid's view of an image (probing the file itself, not a cache). */
export function blkid(image: string): Record<string, string> {
  const out = read('blkid', ['-p', '-o', 'export', image]).stdout;
  return Object.fromEntries(out.trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1).replace(/\\(.)/g, '$1')]));
}

/** Every file and directory under `dir`: relative path → bytes (files) or null (directories), and modes. */
export function snapshot(dir: string): {files: Map<string, Buffer | null>; modes: Map<string, number>} {
  const files = new Map<string, Buffer | null>();
  const modes = new Map<string, number>();
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = path.join(d, name);
      const rel = path.relative(dir, p);
      const st = statSync(p);
      modes.set(rel, st.mode & 0o7777);
      if (st.isDirectory()) {
        files.set(rel, null);
        walk(p);
      } else files.set(rel, readFileSync(p));
    }
  };
  walk(dir);
  return {files, modes};
}
