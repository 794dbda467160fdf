/**
 * The picker lists the Packer templates of the working directory beside the profiles: *.json
 * with `builders`, *.pkr.hcl files (their folder is the template) and subfolders of them, each
 * marked as a template; a template with several builds is listed once per build, and Enter
 * builds the one selected (its `-only`).
 */
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import React from 'react';
import stringWidth from 'string-width';
import {render} from 'ink-testing-library';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import type {LoadedProfile} from '../../src/profiles/loader.js';
import {ProfileError} from '../../src/profiles/loader.js';
import {findTemplates, isPackerJson} from '../../src/session/templates.js';
import {entryKey, listProfiles, type ProfileEntry} from '../../src/tui/profiles-data.js';
import {pickerColumns, ProfilePicker} from '../../src/tui/ProfilePicker.js';

let tmp: string;
let state: string;
const put = (rel: string, text = ''): void => {
  const f = path.join(tmp, rel);
  mkdirSync(path.dirname(f), {recursive: true});
  writeFileSync(f, text);
};

beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'vmbench-templates-'));
  state = path.join(tmp, '.state');
  put('two-builds.json', JSON.stringify({builders: [{type: 'qemu', name: 'one'}, {type: 'qemu', name: 'two'}]}));
  put('broken.json', JSON.stringify({builders: [{type: 'qemu'}]}));
  put('package.json', JSON.stringify({name: 'not a template'}));
  put('not-json.json', '{ nope');
  put('main.pkr.hcl', 'source "qemu" "x" {}');
  put('variables.pkr.hcl', 'variable "v" {}');
  put('debian/debian.pkr.hcl', 'source "qemu" "d" {}');
  put('docs/readme.md', '# no template here');
  put('output-x/leftover.pkr.hcl', '');
  put('node_modules/m/m.pkr.hcl', '');
  // The newest build of "two" ended well.
  const log = path.join(state, 'builds', 'two-2026-01-02T10-00-00-000Z-abcd1234');
  mkdirSync(log, {recursive: true});
  writeFileSync(path.join(log, 'events.jsonl'), `${JSON.stringify({type: 'build', status: 'done', time: 5000, durationMs: 10})}\n`);
});
afterAll(() => rmSync(tmp, {recursive: true, force: true}));

/** Stands in for the front ends (tested on their own): what each template path loads to. */
function fakeLoad(p: string): LoadedProfile[] {
  const loaded = (name: string): LoadedProfile =>
    ({profile: {name, distro: 'debian', install_method: 'preseed', description: ''}, dir: tmp, file: p, format: 'packer-json'}) as unknown as LoadedProfile;
  switch (path.basename(p)) {
    case 'two-builds.json':
      return [loaded('one'), loaded('two')];
    case 'broken.json':
      throw new ProfileError([{file: p, line: 1, col: 14, field: 'builders[0].iso_url', message: 'required'}]);
    default:
      return [loaded(path.basename(p))];
  }
}

describe('findTemplates', () => {
  it('finds JSON templates, the folder of *.pkr.hcl and subfolders of them; nothing else', () => {
    expect(findTemplates(tmp).map((t) => [path.relative(tmp, t.path) || '.', t.kind, t.name])).toEqual([
      ['.', 'packer-hcl2', `${path.basename(tmp)}/`],
      ['broken.json', 'packer-json', 'broken.json'],
      ['debian', 'packer-hcl2', 'debian/'],
      ['two-builds.json', 'packer-json', 'two-builds.json'],
    ]);
  });

  it('a JSON file is a template when its top level has builders', () => {
    expect(isPackerJson(path.join(tmp, 'two-builds.json'))).toBe(true);
    expect(isPackerJson(path.join(tmp, 'package.json'))).toBe(false);
    expect(isPackerJson(path.join(tmp, 'not-json.json'))).toBe(false);
    expect(isPackerJson(path.join(tmp, 'missing.json'))).toBe(false);
  });
});

describe('the picker lists templates', () => {
  const entries = (): ProfileEntry[] => listProfiles({dirs: [], stateDir: state, templatesDir: tmp, loadTemplate: fakeLoad});

  it('one entry per build, marked as templates, broken ones with file:line', () => {
    const list = entries();
    expect(list.map((e) => [e.name, e.only, e.template])).toEqual([
      [`${path.basename(tmp)}/`, undefined, 'packer-hcl2'],
      ['broken.json', undefined, 'packer-json'],
      ['debian/', undefined, 'packer-hcl2'],
      ['two-builds.json: one', 'one', 'packer-json'],
      ['two-builds.json: two', 'two', 'packer-json'],
    ]);
    expect(list.map((e) => path.relative(tmp, e.dir))).toEqual(['', 'broken.json', 'debian', 'two-builds.json', 'two-builds.json']);
    expect(list.every((e) => e.origin === 'template')).toBe(true);
    expect(list[1]!.errors).toEqual([`${path.join(tmp, 'broken.json')}:1:14: builders[0].iso_url: required`]);
    // Two builds of one file are two entries: the key tells them apart, the dir is the same.
    expect(new Set(list.map(entryKey)).size).toBe(list.length);
    // The last build is found by the build's name.
    expect(list[4]!.lastBuild).toMatchObject({status: 'done'});
    expect(list[3]!.lastBuild).toBeUndefined();
  });

  it('with the real loader: a JSON template with two qemu builds is two entries, each loadable by its -only', async () => {
    const d = path.join(tmp, 'real');
    mkdirSync(d, {recursive: true});
    const b = (name: string): object => ({type: 'qemu', name, iso_url: 'x.iso', iso_checksum: 'none', ssh_username: 'root', ssh_password: 'x'});
    writeFileSync(path.join(d, 'pair.json'), JSON.stringify({builders: [b('alpha'), b('beta'), {type: 'virtualbox-iso', name: 'vb'}]}));
    const list = listProfiles({dirs: [], stateDir: state, templatesDir: d});
    expect(list.map((e) => [e.name, e.only, e.errors])).toEqual([
      ['pair.json: alpha', 'alpha', undefined],
      ['pair.json: beta', 'beta', undefined],
    ]);
    const {loadProfile} = await import('../../src/profiles/loader.js');
    for (const e of list) expect(loadProfile(e.dir, {only: [e.only!]}).profile.name).toBe(e.only);
  });

  it('the working directory is listed by its own name', () => {
    const here = process.cwd();
    try {
      process.chdir(tmp);
      const list = listProfiles({dirs: [], stateDir: state, templatesDir: '.', loadTemplate: fakeLoad});
      expect(list[0]).toMatchObject({name: `${path.basename(tmp)}/`, dir: '.'});
      expect(list.map((e) => e.dir)).toContain('two-builds.json');
    } finally {
      process.chdir(here);
    }
  });

  it('shows them as Packer templates, and Enter builds the selected build of a template', async () => {
    const built: ProfileEntry[] = [];
    const r = render(<ProfilePicker profiles={entries()} width={100} height={23} debug={false} onToggleDebug={() => {}} onBuild={(e) => built.push(e)} onQuit={() => {}} now={10_000} />);
    const tick = (): Promise<void> => new Promise((res) => setTimeout(res, 0));
    await tick();
    const frame = r.lastFrame()!;
    expect(frame).toMatch(/two-builds\.json: one\s+debian\s+Packer JSON\s+no iso_url\s+never built/);
    expect(frame).toMatch(/debian\/\s+debian\s+Packer HCL2/);
    expect(frame).toMatch(/broken\.json\s+✗ invalid template — line 1: builders\[0\]\.iso_url: required/);
    for (const k of 'jjjj') {
      r.stdin.write(k);
      await tick();
    }
    expect(r.lastFrame()).toMatch(/Packer JSON template \(vmbench build \S*two-builds\.json -only=two\)/);
    r.stdin.write('\r');
    await tick();
    expect(built.map((e) => [path.basename(e.dir), e.only])).toEqual([['two-builds.json', 'two']]);
    r.unmount();
  });

  it('a name or description with CJK and emoji keeps every row inside the width', async () => {
    const wide: ProfileEntry[] = [{name: '日本語のテンプレート🚀🚀🚀🚀🚀🚀', dir: 'x.json', origin: 'template', template: 'packer-json', distro: 'ubuntu', installMethod: 'autoinstall', description: '🚀'.repeat(80)}];
    const r = render(<ProfilePicker profiles={wide} width={80} height={20} debug={false} onToggleDebug={() => {}} onBuild={() => {}} onQuit={() => {}} now={10_000} />);
    await new Promise((res) => setTimeout(res, 0));
    const rows = r.lastFrame()!.split('\n');
    // One row: the name cut to exactly its column's cells, the other columns after it.
    const row = rows.find((l) => l.includes('日本語'))!;
    expect(row).toMatch(/日本語.*…\s+ubuntu\s+Packer JSON\s+never built/);
    expect(stringWidth(row.slice(0, row.indexOf('ubuntu')))).toBe(2 + pickerColumns(80).name + 1);
    for (const l of rows) expect(stringWidth(l), l).toBeLessThanOrEqual(80);
    r.unmount();
  });
});
