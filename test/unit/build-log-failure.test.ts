/**
 * The build log fails loudly: the first write error (here ENOSPC, from a log file that is
 * /dev/full) is one line naming the folder and the cause, the build it belongs to fails with that
 * line in every front end (outcome, the build's last event), and a folder that cannot be made is
 * the same line at once. Logs are the owner's only: 0700 folder, 0600 files.
 */
import {chmodSync, existsSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import type {BuildEvent} from '../../src/engine/events.js';
import type {Step} from '../../src/engine/step.js';
import type {BuildState} from '../../src/engine/state.js';
import {parseProfile} from '../../src/profiles/loader.js';
import {BuildLogWriter, errnoText} from '../../src/session/build-log.js';
import {BuildSession} from '../../src/session/build-session.js';
import {scratchDirs} from '../support/scratch.js';

const fresh = scratchDirs('vmbench-build-log-');
const line = (n: number): BuildEvent => ({type: 'log', time: Date.now(), source: 'vmbench', stream: 'info', line: `line ${n}`});

describe('BuildLogWriter', () => {
  it('reports the first write error once, as one line, and writes nothing more', async () => {
    const dir = fresh('full');
    symlinkSync('/dev/full', path.join(dir, 'build.log'));
    const errors: string[] = [];
    const w = new BuildLogWriter(dir, {onError: (m) => errors.push(m)});
    expect(() => w.write(line(1))).not.toThrow();
    w.write(line(2));
    w.write({type: 'log', time: Date.now(), source: 'serial', stream: 'stdout', line: 'from the guest'});
    await w.close();
    expect(errors).toEqual([`cannot write the build log in ${dir}: no space left on device`]);
    expect(w.failure).toBe(errors[0]);
    // Nothing more after the failure, in any of the files.
    const events = readFileSync(path.join(dir, 'events.jsonl'), 'utf8').split('\n').filter(Boolean);
    expect(events.map((l) => (JSON.parse(l) as {line: string}).line)).toEqual(['line 1']);
    expect(readFileSync(path.join(dir, 'serial.log'), 'utf8')).toBe('');
  });

  it('writes every line at once (nothing buffered), in owner-only files of an owner-only folder', async () => {
    const parent = fresh('modes');
    const dir = path.join(parent, 'a', 'logs');
    const old = process.umask(0);
    try {
      const w = new BuildLogWriter(dir);
      w.write(line(1));
      w.write({type: 'log', time: Date.now(), source: 'serial', stream: 'stdout', line: 'guest says hi'});
      // Before close: already on disk.
      expect(readFileSync(path.join(dir, 'build.log'), 'utf8')).toMatch(/^\S+ {5}vmbench: line 1\n\S+ {5}serial: guest says hi\n$/);
      expect(readFileSync(path.join(dir, 'serial.log'), 'utf8')).toBe('guest says hi\n');
      await w.close();
    } finally {
      process.umask(old);
    }
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(path.join(parent, 'a')).mode & 0o777).toBe(0o700);
    for (const f of ['build.log', 'serial.log', 'events.jsonl']) expect(statSync(path.join(dir, f)).mode & 0o777, f).toBe(0o600);
  });

  it('makes a file that was there world-readable owner-only again', async () => {
    const dir = fresh('again');
    writeFileSync(path.join(dir, 'build.log'), 'old\n');
    chmodSync(path.join(dir, 'build.log'), 0o644);
    const w = new BuildLogWriter(dir);
    await w.close();
    expect(statSync(path.join(dir, 'build.log')).mode & 0o777).toBe(0o600);
    expect(readFileSync(path.join(dir, 'build.log'), 'utf8')).toBe('');
  });

  it('says in one line why a log folder cannot be made', () => {
    const parent = fresh('notdir');
    writeFileSync(path.join(parent, 'file'), '');
    const dir = path.join(parent, 'file', 'logs');
    expect(() => new BuildLogWriter(dir)).toThrow(`cannot write the build log in ${dir}: not a directory`);
  });

  it('names causes as strerror does', () => {
    const e = (code: string, message = `${code}: whatever, write`): NodeJS.ErrnoException => Object.assign(new Error(message), {code});
    expect(errnoText(e('ENOSPC'))).toBe('no space left on device');
    expect(errnoText(e('EIO'))).toBe('input/output error');
    expect(errnoText(e('EACCES'))).toBe('permission denied');
    expect(errnoText(e('EXDEV', 'EXDEV: cross-device link not permitted, rename'))).toBe('cross-device link not permitted');
  });
});

describe('a build whose log cannot be written', () => {
  it('fails with the log line as its cause, before running its steps, in the outcome and its last event', async () => {
    const dir = fresh('session');
    const logDir = path.join(dir, 'logs');
    mkdirSync(logDir);
    symlinkSync('/dev/full', path.join(logDir, 'events.jsonl'));
    let ran = false;
    const step: Step<BuildState> = {
      id: 'create-disk',
      title: 'Create the disk',
      async run() {
        ran = true;
      },
    };
    const profile = parseProfile('iso_url: x.iso\nssh_username: root\n', 'p.yaml', 'p');
    const loaded = {profile, dir, file: path.join(dir, 'p.yaml')} as never;
    const seen: BuildEvent[] = [];
    const s = new BuildSession({loaded, emit: (e) => seen.push(e), logDir, outputDir: path.join(dir, 'out'), cacheDir: dir, steps: [step]});
    const outcome = await s.run();
    const cause = `cannot write the build log in ${logDir}: no space left on device`;
    expect(outcome.status).toBe('failed');
    expect(outcome.error?.message).toBe(cause);
    expect(ran).toBe(false);
    expect(seen.at(-1)).toMatchObject({type: 'build', status: 'failed', reason: cause});
    expect(seen).toContainEqual(expect.objectContaining({type: 'log', stream: 'error', line: cause}));
    expect(existsSync(path.join(dir, 'out'))).toBe(false);
  });

  it('passes when the log is fine (the same build)', async () => {
    const dir = fresh('ok');
    const step: Step<BuildState> = {id: 'create-disk', title: 'Create the disk', async run() {}};
    const profile = parseProfile('iso_url: x.iso\nssh_username: root\n', 'p.yaml', 'p');
    const s = new BuildSession({loaded: {profile, dir, file: path.join(dir, 'p.yaml')} as never, emit: () => {}, logDir: path.join(dir, 'logs'), outputDir: path.join(dir, 'out'), cacheDir: dir, steps: [step]});
    expect((await s.run()).status).toBe('done');
    expect(readFileSync(path.join(dir, 'logs', 'build.log'), 'utf8')).toMatch(/vmbench: build done in/);
  });
});
