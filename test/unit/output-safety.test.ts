/**
 * Output folders: vmbench replaces only a folder it made (its marker) or an empty one, never /,
 * $HOME, the working folder, the profile's, cache, state or log folders or their ancestors — and
 * refuses before any step runs. The previous output survives until the new one is in place; a
 * stop in between is reported by the next build. Real files in real temp folders; no VM.
 */
import {existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import type {BuildEvent} from '../../src/engine/events.js';
import {OUTPUT_MARKER, markerText, readMarker} from '../../src/engine/output-marker.js';
import {runSteps} from '../../src/engine/runner.js';
import type {BuildState} from '../../src/engine/state.js';
import {StepError, type Step, type StepContext} from '../../src/engine/step.js';
import {convert} from '../../src/engine/steps/convert.js';
import {besideOutput, checkOutputDir, prepareOutput} from '../../src/engine/steps/prepare-output.js';
import {parseProfile} from '../../src/profiles/loader.js';
import {scratchDirs} from '../support/scratch.js';

const scratch = scratchDirs('vmbench-output-safety-');

function build(root: string, outputDir: string, opts: {force?: boolean; cwd?: string; id?: string; profileDir?: string} = {}): {state: BuildState; ctx: StepContext<BuildState>; logs: string[]} {
  const profileDir = opts.profileDir ?? path.join(root, 'profiles', 'tiny');
  mkdirSync(profileDir, {recursive: true});
  const profile = parseProfile('iso_url: /x.iso\nssh_username: root\nformat: raw\nmanifest: false\nchecksums: []\n', path.join(profileDir, 'profile.yaml'), 'tiny');
  const logs: string[] = [];
  const state = {
    id: opts.id ?? 'b1b1b1b1',
    profile,
    profileDir,
    options: {
      force: opts.force ?? false,
      cacheDir: path.join(root, 'cache', 'vmbench'),
      logDir: path.join(root, 'state', 'vmbench', 'builds', 'tiny-1'),
      env: {HOME: path.join(root, 'home'), XDG_STATE_HOME: path.join(root, 'state')},
      cwd: opts.cwd ?? path.join(root, 'cwd'),
    },
    outputDir,
    artifacts: [],
  } as unknown as BuildState;
  const ctx: StepContext<BuildState> = {
    state,
    signal: new AbortController().signal,
    stepId: 'test',
    log: (source, stream, line) => logs.push(`${stream}: ${line}`),
    progress: () => {},
    emit: () => {},
    checkpoint: async () => false,
  };
  return {state, ctx, logs};
}

const refusal = (state: BuildState): string => {
  try {
    checkOutputDir(state);
    return 'accepted';
  } catch (err) {
    expect(err).toBeInstanceOf(StepError);
    return (err as Error).message;
  }
};

describe('output folders vmbench refuses outright', () => {
  it('/, $HOME, the working folder and its ancestors, the profile, cache, state and log folders', () => {
    const root = scratch('refuse');
    const cwd = path.join(root, 'cwd', 'deep');
    mkdirSync(cwd, {recursive: true});
    const cases: [string, RegExp][] = [
      ['/', /it is the root folder/],
      [path.join(root, 'home'), /it is your home folder/],
      [cwd, /it is the working folder/],
      [path.join(root, 'cwd'), /it holds the working folder/],
      [path.join(root, 'profiles', 'tiny'), /it is the profile's folder/],
      [path.join(root, 'profiles'), /it holds the profile's folder/],
      [path.join(root, 'cache', 'vmbench'), /it is vmbench's cache folder/],
      [path.join(root, 'state'), /it holds vmbench's state folder/],
      [path.join(root, 'state', 'vmbench', 'builds'), /it holds this build's log folder/],
    ];
    for (const [dir, why] of cases) {
      // Even with --force, and even when the folder is empty or missing.
      const msg = refusal(build(root, dir, {force: true, cwd}).state);
      expect(msg, dir).toMatch(why);
      expect(msg).toContain(`refusing to use ${dir} as the output folder`);
    }
    // A folder of its own beside them is fine.
    expect(refusal(build(root, path.join(cwd, 'output-tiny'), {force: true, cwd}).state)).toBe('accepted');
  });

  it('sees through a symbolic link to the working folder', () => {
    const root = scratch('link');
    mkdirSync(path.join(root, 'cwd'));
    symlinkSync(path.join(root, 'cwd'), path.join(root, 'here'));
    expect(refusal(build(root, path.join(root, 'here'), {force: true}).state)).toMatch(/it is the working folder/);
  });
});

describe('--force replaces only what vmbench made', () => {
  it('refuses an existing folder without --force, and a folder of other files with it, naming them', () => {
    const root = scratch('foreign');
    const out = path.join(root, 'out');
    mkdirSync(out);
    writeFileSync(path.join(out, 'thesis.tex'), 'years of work');
    writeFileSync(path.join(out, 'notes.txt'), 'more');
    expect(refusal(build(root, out).state)).toBe(`output directory ${out} already exists`);
    expect(refusal(build(root, out, {force: true}).state)).toBe(
      `refusing to replace the output folder: ${out} holds files vmbench did not make (notes.txt, thesis.tex; no ${OUTPUT_MARKER} in it): --force replaces only vmbench's own output folders`,
    );
    // A marker that is not vmbench's JSON does not count.
    writeFileSync(path.join(out, OUTPUT_MARKER), 'hello');
    expect(refusal(build(root, out, {force: true}).state)).toMatch(/holds files vmbench did not make/);
  });

  it('accepts an empty folder and one with the marker; refuses a file or a symbolic link', () => {
    const root = scratch('ok');
    const empty = path.join(root, 'empty');
    mkdirSync(empty);
    expect(refusal(build(root, empty, {force: true}).state)).toBe('accepted');
    const marked = path.join(root, 'marked');
    mkdirSync(marked);
    writeFileSync(path.join(marked, 'tiny.raw'), 'x');
    writeFileSync(path.join(marked, OUTPUT_MARKER), markerText({build_id: 'aaaaaaaa', profile: 'tiny', created: '2024-01-01T00:00:00Z', pid: 1}));
    expect(refusal(build(root, marked, {force: true}).state)).toBe('accepted');
    writeFileSync(path.join(root, 'file'), 'x');
    expect(refusal(build(root, path.join(root, 'file'), {force: true}).state)).toMatch(/is a file, not a folder/);
    symlinkSync(marked, path.join(root, 'link'));
    expect(refusal(build(root, path.join(root, 'link'), {force: true}).state)).toMatch(/is a symbolic link/);
  });

  it('the runner refuses before the first step runs, and the folder is untouched', async () => {
    const root = scratch('runner');
    const out = path.join(root, 'out');
    mkdirSync(out);
    writeFileSync(path.join(out, 'thesis.tex'), 'years of work');
    const {state} = build(root, out, {force: true});
    let ran = false;
    const first: Step<BuildState> = {id: 'fetch-iso', title: 'Fetch', run: async () => void (ran = true)};
    const events: BuildEvent[] = [];
    const r = await runSteps([first, prepareOutput], state, {emit: (e) => events.push(e), signal: new AbortController().signal});
    expect(r.status).toBe('failed');
    expect(r.failedStep).toBe('prepare-output');
    expect(r.error?.message).toMatch(/holds files vmbench did not make \(thesis\.tex;/);
    expect(ran).toBe(false);
    expect(events.filter((e) => e.type === 'step').map((e) => `${(e as {id: string}).id}:${(e as {status: string}).status}`)).toEqual(['prepare-output:failed', 'fetch-iso:cancelled']);
    expect(readdirSync(root).sort()).toEqual(['out', 'profiles']);
    expect(readdirSync(out)).toEqual(['thesis.tex']);
  });
});

describe('the work folder', () => {
  it('is made new, carries the marker, and is removed by its own build only', async () => {
    const root = scratch('work');
    const out = path.join(root, 'out');
    const {state, ctx} = build(root, out, {id: 'c0ffee00'});
    await prepareOutput.run(ctx);
    const work = besideOutput(out, 'c0ffee00', 'work');
    expect(state.workDir).toBe(work);
    expect(readMarker(work)).toMatchObject({tool: 'vmbench', build_id: 'c0ffee00', profile: 'tiny', pid: process.pid});
    await prepareOutput.cleanup!(ctx);
    expect(existsSync(work)).toBe(false);

    // A folder this build did not make is not removed, even when the state points at it.
    const other = path.join(root, 'other');
    mkdirSync(other);
    writeFileSync(path.join(other, 'keep.txt'), 'x');
    const b = build(root, path.join(root, 'out2'));
    b.state.workDir = other;
    await prepareOutput.cleanup!(b.ctx);
    expect(readdirSync(other)).toEqual(['keep.txt']);
    expect(b.logs.join('\n')).toContain(`${other} was not made by this build: left as it is`);
  });

  it('says so when the folder cannot be made (unwritable, read-only or missing file system)', async () => {
    const root = scratch('unwritable');
    const {ctx} = build(root, '/sys/vmbench-output-test');
    await expect(prepareOutput.run(ctx)).rejects.toThrow(/^cannot create the work folder \/sys\/\.vmbench-output-test\.vmbench-b1b1b1b1 beside the output folder: operation not permitted$/);
  });
});

describe('replacing the previous output', () => {
  async function finish(root: string, out: string, id: string, content: string): Promise<{state: BuildState; logs: string[]}> {
    const {state, ctx, logs} = build(root, out, {force: true, id});
    await prepareOutput.run(ctx);
    const disk = path.join(state.workDir!, 'disk.raw');
    writeFileSync(disk, content);
    Object.assign(state, {diskPath: disk, poweredOff: true});
    await convert.run(ctx);
    return {state, logs};
  }

  it('puts the new folder in place and then removes the old one; nothing is left beside it', async () => {
    const root = scratch('swap');
    const out = path.join(root, 'out');
    await finish(root, out, 'aaaaaaaa', 'first');
    expect(readdirSync(out).sort()).toEqual([OUTPUT_MARKER, 'tiny.raw']);
    writeFileSync(path.join(out, 'from-the-first-build'), 'x');
    const {state} = await finish(root, out, 'bbbbbbbb', 'second');
    expect(readdirSync(out).sort()).toEqual([OUTPUT_MARKER, 'tiny.raw']);
    expect(readFileSync(path.join(out, 'tiny.raw'), 'utf8')).toBe('second');
    expect(readMarker(out)?.build_id).toBe('bbbbbbbb');
    expect(state.workDir).toBeUndefined();
    expect(readdirSync(root).filter((f) => f.includes('vmbench'))).toEqual([]);
  });

  it('leaves the previous output whole when it changed during the build into a folder of other files', async () => {
    const root = scratch('changed');
    const out = path.join(root, 'out');
    await finish(root, out, 'aaaaaaaa', 'first');
    const {state, ctx} = build(root, out, {force: true, id: 'cccccccc'});
    await prepareOutput.run(ctx);
    writeFileSync(path.join(state.workDir!, 'disk.raw'), 'second');
    Object.assign(state, {diskPath: path.join(state.workDir!, 'disk.raw'), poweredOff: true});
    // Someone replaces the folder's contents while the build runs.
    const {rmSync} = await import('node:fs');
    rmSync(path.join(out, OUTPUT_MARKER));
    writeFileSync(path.join(out, 'mine.txt'), 'x');
    await expect(convert.run(ctx)).rejects.toThrow(/refusing to replace the output folder: .* holds files vmbench did not make \(mine\.txt, tiny\.raw;.*\(it changed during the build\)/);
    expect(readdirSync(out).sort()).toEqual(['mine.txt', 'tiny.raw']);
    await prepareOutput.cleanup!(ctx);
    expect(readdirSync(root).filter((f) => f.includes('vmbench'))).toEqual([]);
  });

  it('a build stopped between the two renames: the next one says where the previous output is', async () => {
    const root = scratch('crash');
    const out = path.join(root, 'out');
    await finish(root, out, 'aaaaaaaa', 'first');
    // As if vmbench died right after moving the old output aside.
    const {renameSync} = await import('node:fs');
    const aside = besideOutput(out, 'dddddddd', 'old');
    renameSync(out, aside);
    const {ctx, logs} = build(root, out, {force: true, id: 'eeeeeeee'});
    await prepareOutput.run(ctx);
    expect(logs).toContain(`warn: a build was stopped while it replaced ${out}: the previous output is kept in ${aside}; restore it with: mv '${aside}' '${out}'`);
    await prepareOutput.cleanup!(ctx);
    expect(readFileSync(path.join(aside, 'tiny.raw'), 'utf8')).toBe('first');
  });
});
