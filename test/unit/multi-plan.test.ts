/**
 * `vmbench build a b c` / `--list FILE` before anything starts: list files read line by line
 * (bad lines named FILE:line), every profile loaded and checked, two builds writing one folder
 * refused naming both, and what each child process is told.
 */
import {cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {afterAll, describe, expect, it} from 'vitest';
import {parseBuildList, planBuilds, PlanError, readBuildList, splitWords, type BuildAsk} from '../../src/session/multi-plan.js';
import {loadSettings} from '../../src/settings/index.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'vmbench-multi-plan-'));
afterAll(() => rmSync(tmp, {recursive: true, force: true}));
const settings = loadSettings({cwd: path.join(tmp, 'settings')});

/** A copy of the tiny profile in `dir`, its YAML edited. */
function tinyCopy(dir: string, edit: (y: string) => string = (y) => y): string {
  const to = path.join(tmp, dir);
  cpSync(path.join(ROOT, 'profiles', 'tiny'), to, {recursive: true});
  const f = path.join(to, 'profile.yaml');
  writeFileSync(f, edit(readFileSync(f, 'utf8')));
  return to;
}

/** The problems a PlanError carries. */
function problems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof PlanError) return err.problems;
    throw err;
  }
  throw new Error('expected a PlanError');
}

const args = (...targets: string[]): BuildAsk[] => targets.map((target, i) => ({target, where: `argument ${i + 1}`, vars: []}));

describe('parseBuildList', () => {
  it('reads one build a line: comments, blank lines, per-line --output and --var, quotes, paths beside the list', () => {
    const file = path.join(tmp, 'lists', 'builds.txt');
    const asks = parseBuildList(
      ['# nightly builds', '', 'tiny', '  tiny --output out/second -var marker=two   # same profile, own folder', `"./my profile/" -o '/abs/out' --var=a=b`, 'debian-12#x'].join('\n'),
      file,
    );
    expect(asks).toEqual([
      {target: 'tiny', where: `${file}:3`, vars: []},
      {target: 'tiny', where: `${file}:4`, vars: ['marker=two'], output: path.join(tmp, 'lists', 'out', 'second')},
      {target: path.join(tmp, 'lists', 'my profile/'), where: `${file}:5`, vars: ['a=b'], output: '/abs/out'},
      // `#` only starts a comment at the start of a word.
      {target: 'debian-12#x', where: `${file}:6`, vars: []},
    ]);
  });

  it('names FILE:line for every bad line, and refuses an empty list', () => {
    const text = ['tiny', 'tiny --outptu x', 'tiny --output', 'tiny other', "tiny --var 'unterminated", '--var a=b', 'tiny --var novalue', 'tiny -o a --output b'].join('\n');
    expect(problems(() => parseBuildList(text, 'l.txt'))).toEqual([
      'l.txt:2: unknown option --outptu (a list line takes a profile, --output DIR and --var NAME=VALUE)',
      'l.txt:3: --output needs a value (DIR)',
      'l.txt:4: two profiles on one line ("tiny" and "other"): one build a line',
      "l.txt:5: unterminated ' quote",
      'l.txt:6: no profile on this line (only options)',
      'l.txt:7: --var novalue: expected NAME=VALUE',
      'l.txt:8: --output given twice',
    ]);
    expect(problems(() => parseBuildList('# nothing\n\n', 'empty.txt'))).toEqual(['empty.txt: no builds listed (one profile a line; # comments)']);
    expect(problems(() => readBuildList(path.join(tmp, 'no-such-list')))).toEqual([`--list ${path.join(tmp, 'no-such-list')}: no such file`]);
  });

  it('splitWords keeps quoted spaces and joins quoted parts', () => {
    expect(splitWords(`a "b c" d'e f'g`)).toEqual({words: ['a', 'b c', 'de fg']});
  });
});

describe('planBuilds', () => {
  it('refuses the same profile twice into one output folder, naming both, before anything starts', () => {
    const out = path.resolve('output-tiny');
    expect(problems(() => planBuilds(args('tiny', 'tiny'), {}, settings))).toEqual([
      `vmbench: tiny (argument 1) and tiny#2 (argument 2) would both write ${out}: give one of them another output folder (--output DIR builds each into DIR/<name>; a list line takes --output DIR)`,
    ]);
    // --output DIR puts each build in DIR/<name>: the same name is still one folder.
    expect(problems(() => planBuilds(args('tiny', 'tiny'), {output: path.join(tmp, 'o')}, settings))[0]).toContain(`would both write ${path.join(tmp, 'o', 'tiny')}`);
    // Two profiles with one output_directory clash the same way.
    const shared = (y: string): string => `${y}\noutput_directory: ${path.join(tmp, 'shared')}\n`;
    const a = tinyCopy('copy-a', shared);
    const b = tinyCopy('copy-b', shared);
    expect(problems(() => planBuilds(args(a, b), {}, settings))).toEqual([
      `vmbench: copy-a (argument 1) and copy-b (argument 2) would both write ${path.join(tmp, 'shared')}: give one of them another output folder (--output DIR builds each into DIR/<name>; a list line takes --output DIR)`,
    ]);
  });

  it('lets the same profile build twice into different folders, each with its own log folder and command line', () => {
    const list = path.join(tmp, 'twice.txt');
    writeFileSync(list, 'tiny --output a --var marker=one\ntiny --output b\n');
    const plans = planBuilds(readBuildList(list), {force: true, var: ['marker=all'], 'cache-dir': 'c', 'on-error': 'abort', also: ['raw'], timestamp: true}, settings);
    expect(plans.map((p) => [p.label, p.outputDir, p.cpus, p.memoryMiB])).toEqual([
      ['tiny', path.join(tmp, 'a'), 1, 256],
      ['tiny#2', path.join(tmp, 'b'), 1, 256],
    ]);
    expect(plans[0]!.logDir).not.toBe(plans[1]!.logDir);
    expect(path.basename(plans[1]!.logDir)).toMatch(/^tiny-2-/);
    const tiny = path.join(ROOT, 'profiles', 'tiny');
    expect(plans[0]!.argv).toEqual([
      'build', tiny, '--json', '--log-dir', plans[0]!.logDir, '--on-error', 'abort', '--force', '--output', path.join(tmp, 'a'),
      '--var', 'marker=all', '--var', 'marker=one', '--cache-dir', path.resolve('c'), '--also', 'raw', '--timestamp',
    ]);
    expect(plans[1]!.argv).toContain(path.join(tmp, 'b'));
    expect(plans[1]!.argv).not.toContain('marker=one');
  });

  it('a template with several builds plans them all, as packer build does, each child narrowed with --only', () => {
    const dir = path.join(tmp, 'two-builds');
    mkdirSync(dir, {recursive: true});
    const src = (n: string) => `source "qemu" "${n}" {\n  iso_url = "/isos/${n}.iso"\n  iso_checksum = "none"\n  ssh_username = "root"\n}\n`;
    writeFileSync(path.join(dir, 't.pkr.hcl'), `${src('a')}${src('b')}${src('c')}build {\n  sources = ["source.qemu.a", "source.qemu.b", "source.qemu.c"]\n}\n`);
    const plans = planBuilds(args(dir), {except: ['qemu.c']}, settings);
    expect(plans.map((p) => [p.label, p.where, p.outputDir])).toEqual([
      ['a', 'argument 1, build qemu.a', path.resolve('output-a')],
      ['b', 'argument 1, build qemu.b', path.resolve('output-b')],
    ]);
    // Each child builds its one build; -except was for the choice, not for the child.
    expect(plans.map((p) => p.argv.slice(p.argv.indexOf('--only'), p.argv.indexOf('--only') + 2))).toEqual([['--only', 'qemu.a'], ['--only', 'qemu.b']]);
    expect(plans[0]!.argv).not.toContain('--except');
  });

  it('--output DIR gives each profile DIR/<name>, --log-dir DIR gives DIR/<label>', () => {
    const other = tinyCopy('other', (y) => y);
    mkdirSync(path.join(tmp, 'named'), {recursive: true});
    // A profile's name is its folder's: copy it under another name.
    const renamed = path.join(tmp, 'named', 'tiny2');
    cpSync(other, renamed, {recursive: true});
    const plans = planBuilds(args('tiny', renamed), {output: path.join(tmp, 'outs'), 'log-dir': path.join(tmp, 'logs')}, settings);
    expect(plans.map((p) => [p.label, p.outputDir, p.logDir])).toEqual([
      ['tiny', path.join(tmp, 'outs', 'tiny'), path.join(tmp, 'logs', 'tiny')],
      ['tiny2', path.join(tmp, 'outs', 'tiny2'), path.join(tmp, 'logs', 'tiny2')],
    ]);
  });

  it("names a broken profile's file:line and the list line that asked for it; every problem at once", () => {
    const bad = tinyCopy('bad', (y) => y.replace('memory: 256', 'memory: lots'));
    const list = path.join(tmp, 'bad.txt');
    writeFileSync(list, `tiny\n${bad}\nno-such-profile-here\n`);
    const p = problems(() => planBuilds(readBuildList(list), {}, settings));
    expect(p).toHaveLength(2);
    expect(p[0]).toMatch(new RegExp(`^${path.join(bad, 'profile.yaml')}:\\d+:\\d+: memory: `));
    expect(p[0]).toContain(`(${list}:2: ${bad})`);
    expect(p[1]).toMatch(new RegExp(`^${list}:3: no-such-profile-here: no profile named "no-such-profile-here"`));
  });
});
