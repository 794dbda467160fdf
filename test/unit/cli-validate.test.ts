/**
 * `vmbench validate`: exit 0 with warnings printed (file:line) when the build can run as
 * intended, 2 when it cannot; referenced files checked with the line of the field naming them;
 * `--json`. And `vmbench profiles --json`.
 */
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {afterAll, afterEach, beforeAll, describe, expect, it, vi} from 'vitest';
import {main} from '../../src/cli/main.js';
import {formatIssue, validateTarget} from '../../src/cli/validate-command.js';

let dir: string;
const BASE = `iso_url: ./none.iso
iso_checksum: none
boot_command: ['<enter>']
ssh_username: root
ssh_password: x
`;

/** A profile folder `name` with profile.yaml `text` (after BASE) and the given files. */
function profile(name: string, text: string, files: string[] = []): string {
  const d = path.join(dir, name);
  mkdirSync(d, {recursive: true});
  writeFileSync(path.join(d, 'profile.yaml'), BASE + text);
  for (const f of files) {
    mkdirSync(path.dirname(path.join(d, f)), {recursive: true});
    if (f.endsWith('/')) mkdirSync(path.join(d, f), {recursive: true});
    else writeFileSync(path.join(d, f), '#!/bin/sh\n');
  }
  return d;
}

/** Runs the real CLI entry; what it wrote and its exit status. */
async function run(...argv: string[]): Promise<{code: number; out: string; err: string}> {
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
  const before = process.exitCode;
  try {
    await main(argv);
    return {code: Number(process.exitCode ?? 0), out, err};
  } finally {
    o.mockRestore();
    e.mockRestore();
    process.exitCode = before;
  }
}

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'vmbench-validate-'));
  // Settings must not come from the user running the tests.
  vi.stubEnv('XDG_CONFIG_HOME', path.join(dir, 'config'));
});
afterAll(() => {
  vi.unstubAllEnvs();
  rmSync(dir, {recursive: true, force: true});
});
afterEach(() => vi.restoreAllMocks());

describe('vmbench validate', () => {
  it('exits 0 and says ok for a good profile', async () => {
    const p = profile('good', 'http_directory: http\nprovisioners:\n  - type: shell\n    script: scripts/a.sh\n', ['http/', 'scripts/a.sh']);
    const r = await run('validate', p);
    expect(r.err).toBe('');
    expect(r.out).toMatch(/profile\.yaml: ok \(good, 1 provisioner\)/);
    expect(r.code).toBe(0);
  });

  it('exits 0 with a warning printed at its file:line when the build still runs as intended', async () => {
    const p = profile('warned', 'boot_keygroup_interval: 100ms\n');
    const r = await run('validate', p);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(new RegExp(`${path.join(p, 'profile.yaml').replace(/[.]/g, '\\.')}:6:1: warning: boot_keygroup_interval: .*does not use`));
    expect(r.out).toMatch(/valid; 1 warning above \(the build runs as intended\)/);
  });

  it('names every missing referenced file with the line of its field, and exits 2', async () => {
    const p = profile(
      'missing',
      [
        'http_directory: htdocs', // line 6
        'iso_build: make-iso.sh', // 7
        'provisioners:', // 8
        '  - type: shell', // 9
        '    scripts:', // 10
        '      - scripts/here.sh', // 11
        '      - scripts/gone.sh', // 12
        '  - type: file', // 13
        '    source: files/conf', // 14
        '    destination: /etc/conf', // 15
        '  - type: ansible', // 16
        '    playbook_file: site.yml', // 17
        '  - type: shell', // 18
        '    script: scripts', // 19: a folder, not a script
      ].join('\n') + '\n',
      ['scripts/here.sh'],
    );
    const r = validateTarget(p, {});
    expect(r.ok).toBe(false);
    const file = path.join(p, 'profile.yaml');
    expect(r.errors.map((i) => `${path.basename(i.file)}:${i.line} ${i.field}`)).toEqual([
      'profile.yaml:6 http_directory',
      'profile.yaml:7 iso_build',
      'profile.yaml:12 provisioners[0].scripts[1]',
      'profile.yaml:14 provisioners[1].source',
      'profile.yaml:17 provisioners[2].playbook_file',
      'profile.yaml:19 provisioners[3].script',
    ]);
    expect(r.errors.every((i) => i.file === file)).toBe(true);
    expect(formatIssue(r.errors[0]!)).toBe(`${file}:6:17: http_directory: htdocs: no such directory (looked for ${path.join(p, 'htdocs')})`);
    expect(r.errors[5]!.message).toBe('scripts is a directory, not a file');
    const cli = await run('validate', p);
    expect(cli.code).toBe(2);
    expect(cli.err).toMatch(/6 errors: the build cannot run as intended/);
    expect(cli.out).toBe('');
  });

  it('a field that names a folder where a file belongs, or the reverse', () => {
    const p = profile('kinds', 'http_directory: a-file\n', ['a-file']);
    expect(validateTarget(p, {}).errors.map((i) => i.message)).toEqual(['a-file is a file, not a directory']);
  });

  it('--json: ok, builds, errors and warnings as data; the exit status says the same', async () => {
    const p = profile('json', 'boot_keygroup_interval: 100ms\nhttp_directory: nope\n');
    const r = await run('validate', p, '--json');
    expect(r.code).toBe(2);
    const doc = JSON.parse(r.out);
    expect(doc).toMatchObject({ok: false, target: p, builds: [{name: 'json', format: 'vmbench', provisioners: 0}]});
    expect(doc.errors).toEqual([expect.objectContaining({line: 7, field: 'http_directory', message: expect.stringMatching(/no such directory/)})]);
    expect(doc.warnings).toEqual([expect.objectContaining({line: 6, field: 'boot_keygroup_interval', warning: true})]);
    expect(r.err).toBe('');
  });

  it('a profile with errors: exit 2 with file:line:col, also as --json', async () => {
    const p = profile('broken', 'memory: lots\n');
    const r = await run('validate', p);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/profile\.yaml:6:9: memory: /);
    const j = JSON.parse((await run('validate', p, '--json')).out);
    expect(j.ok).toBe(false);
    expect(j.errors[0]).toMatchObject({line: 6, col: 9, field: 'memory'});
  });

  it('no such profile: exit 2 with the closest name', async () => {
    const r = await run('validate', 'tinny');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/no profile named "tinny" — did you mean "tiny"\?/);
  });

  it('bad usage is exit 2 with the command named', async () => {
    const r = await run('validate');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/usage: vmbench validate <profile\|template>/);
  });
});

describe('vmbench validate on a Packer JSON template', () => {
  const template = (): string => {
    const d = path.join(dir, 'tpl');
    mkdirSync(path.join(d, 'scripts'), {recursive: true});
    writeFileSync(path.join(d, 'scripts', 'a.sh'), '#!/bin/sh\n');
    const b = (name: string, extra: string): string => `    {"type": "qemu", "name": "${name}", "iso_url": "x.iso", "iso_checksum": "none", "ssh_username": "root", "ssh_password": "x"${extra}}`;
    writeFileSync(
      path.join(d, 'two.json'),
      [
        '{',
        '  "builders": [',
        `${b('alpha', ', "http_directory": "http"')},`, // line 3
        b('beta', ''), // 4
        '  ],',
        '  "provisioners": [',
        '    {"type": "shell", "scripts": ["scripts/a.sh", "scripts/b.sh"]}', // 7
        '  ]',
        '}',
      ].join('\n'),
    );
    return path.join(d, 'two.json');
  };

  // Relative paths in a JSON template are relative to the working directory, as in Packer.
  const inTemplateDir = async <T>(fn: () => T | Promise<T>): Promise<T> => {
    const here = process.cwd();
    process.chdir(path.join(dir, 'tpl'));
    try {
      return await fn();
    } finally {
      process.chdir(here);
    }
  };

  it('resolves paths against the working directory, as Packer does', async () => {
    const elsewhere = validateTarget(template(), {});
    expect(elsewhere.errors.find((i) => i.field === 'provisioners[0].scripts[0]')?.message).toBe(`scripts/a.sh: no such file (looked for ${path.resolve('scripts/a.sh')})`);
    expect((await inTemplateDir(() => validateTarget(template(), {}))).errors.map((i) => i.field)).not.toContain('provisioners[0].scripts[0]');
  });

  it('checks every build, each missing file once, in file order', async () => {
    const r = await inTemplateDir(() => validateTarget(template(), {}));
    expect(r.builds.map((b) => [b.name, b.format])).toEqual([['alpha', 'packer-json'], ['beta', 'packer-json']]);
    expect(r.errors.map((i) => `${i.line} ${i.field}`)).toEqual(['3 http_directory', '7 provisioners[0].scripts[1]']);
  });

  it('-only narrows what is checked', async () => {
    const r = await inTemplateDir(() => validateTarget(template(), {only: ['beta']}));
    expect(r.builds.map((b) => b.name)).toEqual(['beta']);
    expect(r.errors.map((i) => i.field)).toEqual(['provisioners[0].scripts[1]']);
    const cli = await inTemplateDir(() => run('validate', template(), '-only=beta', '--json'));
    expect(cli.code).toBe(2);
    expect(JSON.parse(cli.out).builds).toHaveLength(1);
  });
});

describe('vmbench profiles', () => {
  it('--json lists the built-in profiles as data', async () => {
    const r = await run('profiles', '--json');
    expect(r.code).toBe(0);
    const list = JSON.parse(r.out) as {name: string; origin: string; format: string}[];
    expect(list).toEqual(expect.arrayContaining([expect.objectContaining({name: 'tiny', origin: 'builtin', format: 'vmbench', distro: 'busybox'})]));
  });

  it('--names prints names only (what shell completion asks)', async () => {
    const r = await run('profiles', '--names');
    expect(r.out.split('\n')).toEqual(expect.arrayContaining(['tiny', 'debian-12']));
    expect(r.out).not.toMatch(/busybox/);
  });
});
