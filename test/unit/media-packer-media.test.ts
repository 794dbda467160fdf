// Packer's cd_files/cd_content and floppy_files/floppy_dirs/floppy_content rules (src/media/packer-media.ts).
import {mkdirSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {beforeAll, describe, expect, it} from 'vitest';
import {cdEntries, floppyEntries, globRegex, type MediaSources} from '../../src/media/packer-media.js';
import {MediaError} from '../../src/media/media-tree.js';
import {writeIso} from '../../src/media/iso-writer.js';
import {writeFloppy} from '../../src/media/fat-writer.js';
import {read, snapshot} from '../support/media-readers.js';
import {scratchDirs} from '../support/scratch.js';

const fresh = scratchDirs('vmbench-packer-media-');
let base = '';

beforeAll(() => {
  base = fresh('template');
  const files = ['http/user-data', 'http/meta-data', 'http/sub/x.cfg', 'scripts/a.sh', 'scripts/b.sh', 'scripts/notes.txt', 'other/user-data', 'Autounattend.xml'];
  for (const f of files) {
    mkdirSync(path.join(base, path.dirname(f)), {recursive: true});
    writeFileSync(path.join(base, f), f);
  }
  mkdirSync(path.join(base, 'http/empty'));
});

/** Entries as short strings: "path/" for directories, "path<source" for host files, "path=text" for content. */
function shown(r: MediaSources): string[] {
  return r.entries
    .map((e) => (e.directory ? `${e.path}/` : e.file ? `${e.path}<${path.relative(base, e.file)}` : `${e.path}=${String(e.content)}`))
    .sort();
}

describe('cdEntries', () => {
  it.each([
    ['files go to the root', {cd_files: ['http/user-data', 'http/meta-data']}, ['meta-data<http/meta-data', 'user-data<http/user-data'], []],
    [
      'a directory keeps its name',
      {cd_files: ['http']},
      ['http/', 'http/empty/', 'http/meta-data<http/meta-data', 'http/sub/', 'http/sub/x.cfg<http/sub/x.cfg', 'http/user-data<http/user-data'],
      [],
    ],
    ['a trailing "/" puts its contents at the root', {cd_files: ['http/']}, ['empty/', 'meta-data<http/meta-data', 'sub/', 'sub/x.cfg<http/sub/x.cfg', 'user-data<http/user-data'], []],
    ['so does a glob', {cd_files: ['http/*']}, ['empty/', 'meta-data<http/meta-data', 'sub/', 'sub/x.cfg<http/sub/x.cfg', 'user-data<http/user-data'], []],
    ['? and [...] globs', {cd_files: ['scripts/?.sh', 'scripts/[n]*']}, ['a.sh<scripts/a.sh', 'b.sh<scripts/b.sh', 'notes.txt<scripts/notes.txt'], []],
    [
      'a later file replaces an earlier one, and says so',
      {cd_files: ['http/user-data', 'other/user-data']},
      ['user-data<other/user-data'],
      ['cd_files[1] other/user-data replaces cd_files[0] http/user-data at /user-data (Packer keeps the last one)'],
    ],
    ['cd_content wins over a file, quietly', {cd_files: ['http/user-data'], cd_content: {'user-data': '#cloud-config', 'nested/x': 'x'}}, ['nested/x=x', 'user-data=#cloud-config'], []],
    ['a glob matching nothing is a warning', {cd_files: ['nothing/*.cfg']}, [], ['cd_files[0]: "nothing/*.cfg" matches no file']],
  ])('%s', async (_, opts, want, warnings) => {
    const r = await cdEntries(opts, base);
    expect(shown(r)).toEqual(want);
    expect(r.warnings).toEqual(warnings);
  });

  it('resolves absolute paths as given, and names a missing path', async () => {
    expect(shown(await cdEntries({cd_files: [path.join(base, 'Autounattend.xml')]}, '/nonexistent'))).toEqual(['Autounattend.xml<Autounattend.xml']);
    const err = await cdEntries({cd_files: ['http/user-data', 'nope.cfg']}, base).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MediaError);
    expect((err as Error).message).toBe('cd_files[1]: nope.cfg: no such file or directory');
  });
});

describe('floppyEntries', () => {
  it.each([
    ['floppy_files are flat, even from a directory', {floppy_files: ['http', 'Autounattend.xml']}, ['Autounattend.xml<Autounattend.xml', 'meta-data<http/meta-data', 'user-data<http/user-data', 'x.cfg<http/sub/x.cfg'], []],
    [
      'floppy_dirs keep the structure under the directory name',
      {floppy_dirs: ['http']},
      ['http/', 'http/empty/', 'http/meta-data<http/meta-data', 'http/sub/', 'http/sub/x.cfg<http/sub/x.cfg', 'http/user-data<http/user-data'],
      [],
    ],
    ['floppy_dirs globs', {floppy_dirs: ['scr*']}, ['scripts/', 'scripts/a.sh<scripts/a.sh', 'scripts/b.sh<scripts/b.sh', 'scripts/notes.txt<scripts/notes.txt'], []],
    ['floppy_content wins', {floppy_files: ['http/user-data'], floppy_content: {'user-data': 'x'}}, ['user-data=x'], []],
  ])('%s', async (_, opts, want, warnings) => {
    const r = await floppyEntries(opts, base);
    expect(shown(r)).toEqual(want);
    expect(r.warnings).toEqual(warnings);
  });

  it('names a missing floppy_dirs entry', async () => {
    await expect(floppyEntries({floppy_dirs: ['drivers']}, base)).rejects.toThrow('floppy_dirs[0]: drivers: no such file or directory');
  });
});

describe("globRegex (Go's filepath.Match syntax)", () => {
  it.each([
    ['*.cfg', ['ks.cfg', '.hidden.cfg'], ['ks.cfg.bak', 'cfg']],
    ['?.sh', ['a.sh'], ['ab.sh']],
    ['[a-c]*', ['alpha', 'c'], ['delta']],
    ['[^a]*', ['beta'], ['alpha']],
    ['\\*', ['*'], ['x']],
    ['a.b', ['a.b'], ['axb']],
  ])('%s', (pattern, yes, no) => {
    const re = globRegex(pattern, 'cd_files[0]', pattern);
    for (const n of yes) expect(re.test(n), n).toBe(true);
    for (const n of no) expect(re.test(n), n).toBe(false);
  });

  it('refuses an unclosed "["', () => {
    expect(() => globRegex('[abc', 'cd_files[3]', 'x/[abc')).toThrow('cd_files[3]: "x/[abc" has a "[" without its "]"');
  });
});

describe('into the writers', () => {
  it('a cd_files directory and a floppy_dirs directory come out of the images as they are on disk', async () => {
    const out = fresh('images');
    const cd = await cdEntries({cd_files: ['http', 'Autounattend.xml'], cd_content: {'http/extra.txt': 'added'}}, base);
    await writeIso({files: cd.entries, label: 'cidata'}, path.join(out, 'cd.iso'));
    mkdirSync(path.join(out, 'cd'));
    read('bsdtar', ['-xf', path.join(out, 'cd.iso'), '-C', path.join(out, 'cd')]);
    const fl = await floppyEntries({floppy_dirs: ['http'], floppy_files: ['scripts/a.sh']}, base);
    await writeFloppy({files: fl.entries}, path.join(out, 'fd.img'));
    read('mcopy', ['-s', '-n', '-i', path.join(out, 'fd.img'), '::/', path.join(out, 'fd')]);
    const text = (dir: string): Record<string, string | null> =>
      Object.fromEntries([...snapshot(dir).files].map(([k, v]) => [k, v === null ? null : v.toString()]));
    expect(text(path.join(out, 'cd'))).toEqual({
      'Autounattend.xml': 'Autounattend.xml',
      http: null,
      'http/empty': null,
      'http/extra.txt': 'added',
      'http/meta-data': 'http/meta-data',
      'http/sub': null,
      'http/sub/x.cfg': 'http/sub/x.cfg',
      'http/user-data': 'http/user-data',
    });
    expect(text(path.join(out, 'fd'))).toEqual({
      'a.sh': 'scripts/a.sh',
      http: null,
      'http/empty': null,
      'http/meta-data': 'http/meta-data',
      'http/sub': null,
      'http/sub/x.cfg': 'http/sub/x.cfg',
      'http/user-data': 'http/user-data',
    });
  });
});
