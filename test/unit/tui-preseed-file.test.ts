/**
 * Appending an answer's line to the preseed file: the new content exactly, the file's mode kept,
 * nothing else in the directory changed (no temporary file left), a line already there not
 * added twice, and every file outside the profile's http directory refused — by path, by
 * symlink, or by not being a regular file.
 */
import {chmodSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import {appendPreseedLine, isInside, PreseedAppendError} from '../../src/tui/preseed-file.js';
import {scratchDirs} from '../support/scratch.js';

const fresh = scratchDirs('vmbench-preseed-');
const LINE = 'd-i netcfg/get_hostname string web1';

function profile(content: string, mode = 0o640) {
  const dir = fresh('profile');
  const http = path.join(dir, 'http');
  mkdirSync(http);
  const file = path.join(http, 'preseed.cfg');
  writeFileSync(file, content);
  chmodSync(file, mode);
  writeFileSync(path.join(http, 'other.cfg'), 'untouched\n');
  return {dir, http, file};
}

const snapshot = (dir: string) => Object.fromEntries(readdirSync(dir).map((f) => [f, readFileSync(path.join(dir, f), 'utf8')]));

describe('appendPreseedLine', () => {
  it('appends the line, keeps the mode, and changes nothing else', async () => {
    const p = profile('d-i debian-installer/locale string en_US\nd-i keyboard-configuration/xkb-keymap select us\n', 0o640);
    const before = snapshot(p.http);
    const r = await appendPreseedLine({file: p.file, line: LINE, httpDir: p.http});
    expect(r).toEqual({file: p.file, appended: true, lineNumber: 3, message: `appended to ${p.file} (line 3)`});
    expect(readFileSync(p.file, 'utf8')).toBe(`${before['preseed.cfg']}${LINE}\n`);
    expect(statSync(p.file).mode & 0o777).toBe(0o640);
    expect(snapshot(p.http)).toEqual({...before, 'preseed.cfg': `${before['preseed.cfg']}${LINE}\n`});
  });

  it('ends an unterminated last line first; an empty file gets just the line', async () => {
    const a = profile('d-i passwd/root-login boolean false');
    await appendPreseedLine({file: a.file, line: LINE, httpDir: a.http});
    expect(readFileSync(a.file, 'utf8')).toBe(`d-i passwd/root-login boolean false\n${LINE}\n`);
    const b = profile('');
    expect((await appendPreseedLine({file: b.file, line: `  ${LINE}  `, httpDir: b.http})).lineNumber).toBe(1);
    expect(readFileSync(b.file, 'utf8')).toBe(`${LINE}\n`);
  });

  it('does not add a line that is already there', async () => {
    const p = profile(`# hostname\n${LINE}\n`);
    const r = await appendPreseedLine({file: p.file, line: LINE, httpDir: p.http});
    expect(r).toMatchObject({appended: false, lineNumber: 2});
    expect(readFileSync(p.file, 'utf8')).toBe(`# hostname\n${LINE}\n`);
  });

  it('refuses files outside the http directory, also through a symlink or "..", and leaves them alone', async () => {
    const p = profile('x\n');
    const outside = path.join(p.dir, 'profile.yaml');
    writeFileSync(outside, 'iso_url: x\n');
    const link = path.join(p.http, 'escape.cfg');
    symlinkSync(outside, link);
    for (const file of [outside, link, path.join(p.http, '..', 'profile.yaml')]) {
      await expect(appendPreseedLine({file, line: LINE, httpDir: p.http})).rejects.toThrow(/outside the profile's http directory/);
    }
    expect(readFileSync(outside, 'utf8')).toBe('iso_url: x\n');
  });

  it('refuses a directory, a missing file, a relative path and more than one line, saying why', async () => {
    const p = profile('x\n');
    mkdirSync(path.join(p.http, 'sub'));
    const cases: [string, string, RegExp][] = [
      [path.join(p.http, 'sub'), LINE, /not a regular file/],
      [path.join(p.http, 'gone.cfg'), LINE, /does not exist/],
      ['http/preseed.cfg', LINE, /not absolute/],
      [p.file, `${LINE}\nd-i x y z`, /not a single preseed line/],
      [p.file, '   ', /not a single preseed line/],
    ];
    for (const [file, line, why] of cases) {
      const err = await appendPreseedLine({file, line, httpDir: p.http}).catch((e: unknown) => e);
      expect(err, file).toBeInstanceOf(PreseedAppendError);
      expect((err as Error).message).toMatch(why);
    }
    expect(readFileSync(p.file, 'utf8')).toBe('x\n');
  });

  it('isInside: the directory itself and its parent are not inside it', () => {
    expect(isInside('/p/http', '/p/http/preseed.cfg')).toBe(true);
    expect(isInside('/p/http', '/p/http/sub/x.cfg')).toBe(true);
    expect(isInside('/p/http', '/p/http')).toBe(false);
    expect(isInside('/p/http', '/p/httpx/preseed.cfg')).toBe(false);
    expect(isInside('/p/http', '/p/profile.yaml')).toBe(false);
    expect(isInside('/p/http', '/p/http/..preseed')).toBe(true);
  });
});
