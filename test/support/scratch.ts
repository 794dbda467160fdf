/** Per-file scratch directories and LIFO cleanups for unit tests (vitest hooks registered here). */
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {afterAll, afterEach} from 'vitest';

/** `fresh(name)` makes a new empty directory under one temp dir, removed after the file's tests. */
export function scratchDirs(prefix: string): (name: string) => string {
  const tmp = mkdtempSync(path.join(os.tmpdir(), prefix));
  afterAll(() => rmSync(tmp, {recursive: true, force: true}));
  let n = 0;
  return (name) => {
    const d = path.join(tmp, `${n++}-${name}`);
    mkdirSync(d, {recursive: true});
    return d;
  };
}

/** Writes `files` (names may hold folders: "http/ks.cfg") into `dir`, and returns `dir`. */
export function writeTree(dir: string, files: Record<string, string>): string {
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), {recursive: true});
    writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

/** Functions pushed here run after each test, last first. */
export function cleanupAfterEach(): (() => unknown)[] {
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    for (const fn of cleanups.splice(0).reverse()) await fn();
  });
  return cleanups;
}
