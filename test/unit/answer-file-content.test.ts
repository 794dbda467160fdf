/** The answer file the guest fetched, when the profile serves it from http_content. */
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {afterAll, describe, expect, it} from 'vitest';
import {fetchedAnswerFile} from '../../src/engine/installer-console.js';
import type {BuildState} from '../../src/engine/state.js';
import {parseProfile} from '../../src/profiles/loader.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'vmbench-answer-'));
afterAll(() => rmSync(dir, {recursive: true, force: true}));
mkdirSync(path.join(dir, 'http'));
writeFileSync(path.join(dir, 'http', 'preseed.cfg'), '# answers\nd-i mirror/http/hostname string {{ user `mirror` }}\n');

/** A build whose guest fetched `paths` (status 200). */
function state(yaml: string, paths: string[]): BuildState {
  const profile = parseProfile(`iso_url: x.iso\nssh_username: root\nvariables:\n  mirror: deb.example.org\n${yaml}`, path.join(dir, 'profile.yaml'), 'p');
  const requests = paths.map((p) => ({time: 0, method: 'GET', path: p, status: 200, bytes: 1}));
  return {profile, profileDir: dir, http: {server: {requests}, guestIp: '10.0.2.2', port: 1}} as unknown as BuildState;
}

describe('fetchedAnswerFile with http_content', () => {
  it('names the file a templatefile entry came from (so an answer can be appended there) and reads the served text', () => {
    const a = fetchedAnswerFile(state('http_content:\n  /preseed.cfg: "{{ templatefile `http/preseed.cfg` }}"\n', ['/preseed.cfg']), ['http://10.0.2.2:1/preseed.cfg']);
    expect(a?.name).toBe(path.join('http', 'preseed.cfg'));
    expect(a?.path).toBe(path.join(dir, 'http', 'preseed.cfg'));
    expect(a?.entries.map((e) => `${e.line} ${e.question} ${e.value}`)).toEqual(['2 mirror/http/hostname deb.example.org']);
  });

  it('has no file to append to for content written in the profile itself', () => {
    const a = fetchedAnswerFile(state('http_content:\n  /ks.cfg: "d-i passwd/make-user boolean false\\n"\n', ['/ks.cfg']));
    expect(a).toMatchObject({name: 'http_content /ks.cfg', path: undefined});
    expect(a?.entries).toHaveLength(1);
  });

  it('is undefined before the guest fetched anything', () => {
    expect(fetchedAnswerFile(state('http_content:\n  /a: x\n', []))).toBeUndefined();
  });
});
