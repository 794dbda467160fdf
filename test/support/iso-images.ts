/** ISO images for tests: made on the spot with xorriso, or the real-installer fixture ISO (cached). */
import {execFileSync} from 'node:child_process';
import {mkdirSync, symlinkSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The cache shared by test runs (as test/e2e/helpers.ts: VMBENCH_TEST_CACHE). */
export const TEST_CACHE = process.env.VMBENCH_TEST_CACHE ?? path.join(os.tmpdir(), 'vmbench-test-cache');

/**
 * The real Debian installer ISO built by scripts/fixtures/debian-installer-iso.sh from the host's
 * debian-installer-12-netboot-amd64 package, cached by content hash under TEST_CACHE. Throws the
 * script's own message (the apt-get line) when a package is missing.
 */
export function installerFixtureIso(): string {
  const out = execFileSync('bash', [path.join(ROOT, 'scripts/fixtures/debian-installer-iso.sh'), path.join(TEST_CACHE, 'di-iso')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return out.trim().split('\n').at(-1)!;
}

/** The tiny profile's ISO (profiles/tiny/build-iso.sh), cached as the e2e tests cache it. */
export function tinyIso(): string {
  const out = execFileSync('bash', [path.join(ROOT, 'profiles/tiny/build-iso.sh'), path.join(TEST_CACHE, 'iso-build')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return out.trim().split('\n').at(-1)!;
}

/** A file tree: path → content (string or bytes), or `{link: target}` for a symlink. */
export type Tree = Record<string, string | Uint8Array | {link: string}>;

export function writeTree(dir: string, tree: Tree): void {
  for (const [rel, content] of Object.entries(tree)) {
    const file = path.join(dir, rel);
    mkdirSync(path.dirname(file), {recursive: true});
    if (typeof content === 'object' && 'link' in content) symlinkSync(content.link, file);
    else writeFileSync(file, content);
  }
}

/** Make an ISO of `tree` with `xorriso -as mkisofs <flags>` (e.g. ['-r', '-J']; xorriso writes Rock Ridge unless given --norock); returns its path. */
export function makeIso(dir: string, tree: Tree, flags: string[], volumeId = 'VMBENCH_TEST', xorrisoArgs: string[] = []): string {
  const src = path.join(dir, 'tree');
  mkdirSync(src, {recursive: true});
  writeTree(src, tree);
  const iso = path.join(dir, 'image.iso');
  execFileSync('xorriso', [...xorrisoArgs, '-as', 'mkisofs', '-quiet', '-o', iso, '-V', volumeId, ...flags, src], {stdio: ['ignore', 'ignore', 'pipe']});
  return iso;
}
