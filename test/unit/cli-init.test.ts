/**
 * `vmbench init <profile> <dir>` through the real CLI entry: every built-in profile copied to a
 * new folder validates there; a folder that is not empty is refused without --force, and with
 * --force nothing already there is replaced; build outputs are not copied; a Packer template
 * points at `vmbench import`.
 */
import {existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {afterAll, afterEach, beforeAll, describe, expect, it, vi} from 'vitest';
import {main} from '../../src/cli/main.js';
import {validateTarget} from '../../src/cli/validate-command.js';
import {loadProfile} from '../../src/profiles/loader.js';
import {BUILTIN_PROFILES} from '../../src/session/paths.js';
import {scratchDirs} from '../support/scratch.js';

const fresh = scratchDirs('vmbench-init-');

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

/** Every file under `dir`, relative, sorted. */
function files(dir: string, rel = ''): string[] {
  return readdirSync(path.join(dir, rel), {withFileTypes: true})
    .flatMap((d) => (d.isDirectory() ? files(dir, path.join(rel, d.name)) : [path.join(rel, d.name)]))
    .sort();
}

const builtins = readdirSync(BUILTIN_PROFILES).filter((d) => existsSync(path.join(BUILTIN_PROFILES, d, 'profile.yaml')));

beforeAll(() => vi.stubEnv('XDG_CONFIG_HOME', fresh('config')));
afterAll(() => vi.unstubAllEnvs());
afterEach(() => vi.restoreAllMocks());

describe('vmbench init', () => {
  it('copies tiny whole, says what it wrote and what to run next, and the copy validates under its new name', async () => {
    const dest = path.join(fresh('t'), 'my-tiny');
    const r = await run('init', 'tiny', dest);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(files(dest)).toEqual(files(path.join(BUILTIN_PROFILES, 'tiny')));
    for (const f of files(dest)) expect(r.out).toContain(`  ${path.join(dest, f)}\n`);
    expect(r.out).toContain(`vmbench validate ${dest}\n`);
    expect(readFileSync(path.join(dest, 'build-iso.sh'))).toEqual(readFileSync(path.join(BUILTIN_PROFILES, 'tiny', 'build-iso.sh')));
    expect(validateTarget(dest, {})).toMatchObject({ok: true, errors: []});
    expect(loadProfile(dest).profile.name).toBe('my-tiny');
  });

  it.each(builtins)('the copy of the built-in %s validates', async (name) => {
    const dest = path.join(fresh(name), 'copy');
    const r = await run('init', name, dest);
    expect(r.code, r.err + r.out).toBe(0);
    const v = validateTarget(dest, {});
    expect(v.errors).toEqual([]);
    expect(v.ok).toBe(true);
  });

  it('refuses a folder that is not empty without --force, and touches nothing there', async () => {
    const dest = fresh('busy');
    writeFileSync(path.join(dest, 'README'), 'mine\n');
    const r = await run('init', 'tiny', dest);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/is not empty \(--force copies into it, never replacing a file that is there\)/);
    expect(files(dest)).toEqual(['README']);
    expect(readFileSync(path.join(dest, 'README'), 'utf8')).toBe('mine\n');
  });

  it('with --force copies beside what is there, but never replaces a file: it stops before copying anything', async () => {
    const dest = fresh('force');
    writeFileSync(path.join(dest, 'README'), 'mine\n');
    expect((await run('init', 'tiny', dest, '--force')).code).toBe(0);
    expect(readFileSync(path.join(dest, 'README'), 'utf8')).toBe('mine\n');
    expect(existsSync(path.join(dest, 'profile.yaml'))).toBe(true);

    const clash = fresh('clash');
    writeFileSync(path.join(clash, 'profile.yaml'), 'my own\n');
    writeFileSync(path.join(clash, 'scripts'), 'a file where the copy needs a folder\n');
    const r = await run('init', 'tiny', clash, '--force');
    expect(r.code).toBe(2);
    expect(r.err).toContain(`${path.join(clash, 'profile.yaml')}`);
    expect(r.err).toMatch(/scripts\/\S+/);
    expect(r.err).toContain('init never replaces a file');
    expect(files(clash)).toEqual(['profile.yaml', 'scripts']);
    expect(readFileSync(path.join(clash, 'profile.yaml'), 'utf8')).toBe('my own\n');
  });

  it("copies a profile folder given by path, leaving out its build outputs and download parts", async () => {
    const src = fresh('src');
    writeFileSync(path.join(src, 'profile.yaml'), 'iso_url: ./x.iso\niso_checksum: none\nssh_username: root\nssh_password: x\noutput_directory: built\n');
    writeFileSync(path.join(src, 'x.iso'), 'iso');
    writeFileSync(path.join(src, 'big.qcow2.part'), 'half');
    for (const d of ['output-src', 'built', '.git', 'http']) {
      mkdirSync(path.join(src, d));
      writeFileSync(path.join(src, d, 'f'), d);
    }
    const dest = path.join(fresh('dst'), 'new');
    const r = await run('init', path.join(src, 'profile.yaml'), dest);
    expect(r.code, r.err).toBe(0);
    expect(files(dest)).toEqual(['http/f', 'profile.yaml', 'x.iso']);
  });

  it('refuses a target inside the profile, a Packer template (pointing at import), and an unknown name', async () => {
    const src = fresh('self');
    writeFileSync(path.join(src, 'profile.yaml'), 'iso_url: ./x.iso\niso_checksum: none\nssh_username: root\nssh_password: x\n');
    expect((await run('init', src, path.join(src, 'sub'))).err).toMatch(/is inside the profile it would copy/);
    expect(existsSync(path.join(src, 'sub'))).toBe(false);

    const tpl = path.join(fresh('tpl'), 'template.json');
    writeFileSync(tpl, JSON.stringify({builders: [{type: 'qemu', iso_url: 'x.iso', iso_checksum: 'none', ssh_username: 'root'}]}));
    const t = await run('init', tpl, path.join(path.dirname(tpl), 'out'));
    expect(t.code).toBe(2);
    expect(t.err).toContain(`is a Packer template (packer-json): \`vmbench import ${tpl} ${path.join(path.dirname(tpl), 'out')}\``);

    const u = await run('init', 'tinny', path.join(fresh('u'), 'x'));
    expect(u.code).toBe(2);
    expect(u.err).toMatch(/no profile named "tinny" — did you mean "tiny"\?/);
  });

  it('is in the help, the command list and shell completion', async () => {
    expect((await run('--help')).out).toMatch(/vmbench init <profile> <dir>\s+copy a profile into dir/);
    expect((await run('init', '--help')).out).toMatch(/usage: vmbench init <profile> <dir> \[options\][\s\S]*--force/);
    // The command word completes to init, and init's own case completes --force.
    const bash = (await run('completion', 'bash')).out;
    expect(bash).toMatch(/compgen -W '[^']*\binit\b[^']*'/);
    expect(bash).toMatch(/init\)[\s\S]*?--force/);
    expect((await run('init')).code).toBe(2);
  });
});
