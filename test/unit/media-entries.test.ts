/** What cd_files / floppy_files / floppy_dirs put on the media, with Packer's rules, and globs. */
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {afterAll, describe, expect, it} from 'vitest';
import {cdEntries, floppyEntries, glob, globPart} from '../../src/engine/media-entries.js';
import type {MediaEntry} from '../../src/media/media-tree.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'vmbench-media-entries-'));
afterAll(() => rmSync(dir, {recursive: true, force: true}));
for (const f of ['a.txt', 'b.cfg', '.hidden', 'tree/one.txt', 'tree/sub/two.txt', 'scripts/x.ps1', 'scripts/y.ps1']) {
  mkdirSync(path.dirname(path.join(dir, f)), {recursive: true});
  writeFileSync(path.join(dir, f), f);
}

/** Entries as "path <- source" lines (dirs end with /), for the table. */
const show = (entries: MediaEntry[]): string[] =>
  entries.map((e) => (e.directory ? `${e.path}/` : e.file ? `${e.path} <- ${path.relative(dir, e.file)}` : `${e.path} = ${String(e.content)}`));

describe('globPart (Go filepath.Match for one component)', () => {
  it.each([
    ['*.txt', 'a.txt', true],
    ['*.txt', 'a.cfg', false],
    ['?.cfg', 'b.cfg', true],
    ['[ab].*', 'b.cfg', true],
    ['[!a].*', 'a.txt', false],
    ['[^a].*', 'b.txt', true],
    ['a\\*', 'a*', true],
    ['a.txt', 'aXtxt', false],
  ])('%s matches %s: %s', (pattern, name, match) => {
    expect(globPart(pattern).test(name)).toBe(match);
  });

  it('expands patterns in any part of a path, sorted, without dot files unless asked', async () => {
    expect((await glob(path.join(dir, '*'))).map((p) => path.relative(dir, p))).toEqual(['a.txt', 'b.cfg', 'scripts', 'tree']);
    expect((await glob(path.join(dir, '*/*.ps1'))).map((p) => path.relative(dir, p))).toEqual(['scripts/x.ps1', 'scripts/y.ps1']);
    expect(await glob(path.join(dir, 'nope*'))).toEqual([]);
    expect(await glob(path.join(dir, 'a.txt'))).toEqual([path.join(dir, 'a.txt')]);
  });
});

describe('cdEntries (packer-plugin-sdk StepCreateCD)', () => {
  it.each<[string, string[], Record<string, string>, string[]]>([
    ['files go to the root under their names', ['a.txt', 'tree/one.txt'], {}, ['a.txt <- a.txt', 'one.txt <- tree/one.txt']],
    ['a directory keeps its name', ['tree'], {}, ['tree/', 'tree/sub/', 'tree/one.txt <- tree/one.txt', 'tree/sub/two.txt <- tree/sub/two.txt']],
    ['a directory with a trailing slash gives its contents', ['tree/'], {}, ['sub/', 'one.txt <- tree/one.txt', 'sub/two.txt <- tree/sub/two.txt']],
    ['globs expand', ['scripts/*.ps1'], {}, ['x.ps1 <- scripts/x.ps1', 'y.ps1 <- scripts/y.ps1']],
    ['cd_content comes after, at its paths', ['a.txt'], {'meta-data': '', 'nested/user-data': '#cloud-config'}, ['a.txt <- a.txt', 'meta-data = ', 'nested/user-data = #cloud-config']],
  ])('%s', async (_, cd_files, cd_content, expected) => {
    const r = await cdEntries({cd_files, cd_content}, dir);
    expect(r.unmatched).toEqual([]);
    expect(show(r.entries)).toEqual(expected);
  });

  it('reports what matched nothing', async () => {
    expect((await cdEntries({cd_files: ['a.txt', 'missing.cfg', '*.nope'], cd_content: {}}, dir)).unmatched).toEqual(['missing.cfg', '*.nope']);
  });
});

describe('floppyEntries (packer-plugin-sdk StepCreateFloppy)', () => {
  it.each<[string, string[], string[], string[]]>([
    ['floppy_files go flat to the root, a directory\'s files too', ['a.txt', 'tree'], [], ['a.txt <- a.txt', 'one.txt <- tree/one.txt', 'two.txt <- tree/sub/two.txt']],
    ['floppy_dirs keep their name and tree', [], ['tree'], ['tree/', 'tree/sub/', 'tree/one.txt <- tree/one.txt', 'tree/sub/two.txt <- tree/sub/two.txt']],
    ['floppy_dirs with a trailing slash still keep the name (Packer joins "..")', [], ['scripts/'], ['scripts/', 'scripts/x.ps1 <- scripts/x.ps1', 'scripts/y.ps1 <- scripts/y.ps1']],
    ['globs in both', ['*.cfg'], ['scr*'], ['b.cfg <- b.cfg', 'scripts/', 'scripts/x.ps1 <- scripts/x.ps1', 'scripts/y.ps1 <- scripts/y.ps1']],
  ])('%s', async (_, floppy_files, floppy_dirs, expected) => {
    const r = await floppyEntries({floppy_files, floppy_dirs, floppy_content: {}}, dir);
    expect(r.unmatched).toEqual([]);
    expect(show(r.entries)).toEqual(expected);
  });
});
