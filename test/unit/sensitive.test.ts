import {mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {afterAll, describe, expect, it} from 'vitest';
import {loadProfile} from '../../src/profiles/loader.js';
import {redact, sensitiveValues} from '../../src/profiles/sensitive.js';

const work = mkdtempSync(path.join(os.tmpdir(), 'vmbench-sensitive-'));
afterAll(() => rmSync(work, {recursive: true, force: true}));

describe('sensitive variables of a Packer JSON template', () => {
  const file = path.join(work, 't.json');
  writeFileSync(
    file,
    JSON.stringify({
      'variables': {password: 'default-secret', token: null, user: 'root', pin: 'x'},
      'sensitive-variables': ['password', 'token', 'pin'],
      'builders': [{type: 'qemu', iso_url: '/x.iso', iso_checksum: 'none', ssh_username: '{{ user `user` }}', ssh_password: '{{ user `password` }}'}],
    }),
  );

  it('are the final values (default or -var), longest first; one-letter ones are left alone', () => {
    expect(sensitiveValues(loadProfile(file, {vars: {token: 'tok-123'}}))).toEqual(['default-secret', 'tok-123']);
    expect(sensitiveValues(loadProfile(file, {vars: {token: 't2', password: 'given-on-cli'}}))).toEqual(['given-on-cli', 't2']);
  });

  it('are replaced wherever they appear in a line', () => {
    const secrets = sensitiveValues(loadProfile(file, {vars: {token: 'tok-123'}}));
    expect(redact('ssh root:default-secret@host token=tok-123 user=root', secrets)).toBe('ssh root:<sensitive>@host token=<sensitive> user=root');
    expect(redact('nothing secret here', secrets)).toBe('nothing secret here');
  });
});
