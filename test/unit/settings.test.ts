import {existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {afterAll, describe, expect, it} from 'vitest';
import {parseProfile} from '../../src/profiles/loader.js';
import {applyAssignments, defaultSettings, loadSettings, outputDirFor, profileDefaults, readSettings, saveSettings, settingsFile} from '../../src/settings/index.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'vmbench-settings-'));
afterAll(() => rmSync(tmp, {recursive: true, force: true}));
let n = 0;
const freshDir = (): string => path.join(tmp, `c${++n}`);

describe('settings store (conf)', () => {
  it('round-trips through the file, which is mode 0600 even under a permissive umask', async () => {
    const cwd = freshDir();
    const old = process.umask(0o000);
    try {
      const s = {...defaultSettings(), memory: 2048, cpus: 2, cacheDir: '/srv/cache', vncPortMin: 5950, vncPortMax: 5960};
      const {file} = await saveSettings(s, {cwd});
      expect(file).toBe(path.join(cwd, 'config.json'));
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(readSettings({cwd})).toMatchObject({settings: s, exists: true, issues: []});
      expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(s);
    } finally {
      process.umask(old);
    }
  });

  it('tightens an existing 0644 file to 0600 when saving', async () => {
    const cwd = freshDir();
    mkdirSync(cwd, {recursive: true});
    writeFileSync(path.join(cwd, 'config.json'), JSON.stringify({memory: 1024}), {mode: 0o644});
    expect(readSettings({cwd}).settings.memory).toBe(1024);
    await saveSettings({...defaultSettings(), memory: 4096}, {cwd});
    expect(statSync(path.join(cwd, 'config.json')).mode & 0o777).toBe(0o600);
  });

  it('reading a missing file gives the defaults and writes nothing (conf would create dir + file)', () => {
    const cwd = freshDir();
    expect(readSettings({cwd})).toEqual({settings: defaultSettings(), file: path.join(cwd, 'config.json'), exists: false, issues: []});
    expect(existsSync(cwd)).toBe(false);
  });

  it('lives under $XDG_CONFIG_HOME/vmbench-nodejs by default', async () => {
    const before = process.env.XDG_CONFIG_HOME;
    process.env.XDG_CONFIG_HOME = path.join(tmp, 'xdg');
    try {
      expect(settingsFile()).toBe(path.join(tmp, 'xdg', 'vmbench-nodejs', 'config.json'));
      await saveSettings(defaultSettings());
      expect(statSync(path.join(tmp, 'xdg', 'vmbench-nodejs', 'config.json')).mode & 0o777).toBe(0o600);
    } finally {
      if (before === undefined) delete process.env.XDG_CONFIG_HOME;
      else process.env.XDG_CONFIG_HOME = before;
    }
  });

  it('an invalid file does not crash: each bad field is named, valid ones kept, the file copied aside once', async () => {
    const cwd = freshDir();
    mkdirSync(cwd, {recursive: true});
    const file = path.join(cwd, 'config.json');
    const text = JSON.stringify({memory: 'lots', cpus: 4, vncPortMin: 80, memroy: 1});
    writeFileSync(file, text);
    const r = readSettings({cwd});
    expect(r.settings).toEqual({...defaultSettings(), cpus: 4});
    expect(r.issues).toEqual([
      {key: 'memory', message: 'expected a whole number, got string "lots"'},
      {key: 'vncPortMin', message: 'must be at least 5900 (got 80)'},
      {key: 'memroy', message: 'unknown setting (did you mean "memory"?)'},
    ]);
    expect(r.backup).toMatch(/config\.json\.invalid-[0-9a-f]{12}$/);
    expect(readFileSync(r.backup!, 'utf8')).toBe(text);
    expect(readFileSync(file, 'utf8')).toBe(text); // reading never rewrites the user's file
    readSettings({cwd});
    expect(readdirSync(cwd).filter((f) => f.includes('.invalid-'))).toHaveLength(1);

    // The effective settings say which file and field, and where the copy is.
    const eff = loadSettings({cwd});
    expect(eff.cpus).toBe(4);
    expect(eff.warnings[0]).toBe(`${file}: memory: expected a whole number, got string "lots"`);
    expect(eff.warnings.at(-1)).toContain(`kept as ${r.backup}`);

    // Saving replaces it; the copy stays.
    const saved = await saveSettings({...r.settings, memory: 1024}, {cwd});
    expect(saved.backup).toBe(r.backup);
    expect(readSettings({cwd})).toMatchObject({issues: [], settings: {memory: 1024, cpus: 4}});
    expect(readFileSync(r.backup!, 'utf8')).toBe(text);
  });

  it('broken JSON and upside-down ranges fall back to defaults with the reason', () => {
    const cwd = freshDir();
    mkdirSync(cwd, {recursive: true});
    writeFileSync(path.join(cwd, 'config.json'), '{"memory": 1024,');
    const bad = readSettings({cwd});
    expect(bad.settings).toEqual(defaultSettings());
    expect(bad.issues[0]!.message).toMatch(/^not valid JSON/);
    expect(bad.backup).toBeDefined();

    writeFileSync(path.join(cwd, 'config.json'), JSON.stringify({httpPortMin: 9500, httpPortMax: 9100, memory: 1024}));
    const upside = readSettings({cwd});
    expect(upside.issues).toEqual([{key: 'httpPortMin', message: 'must not be above httpPortMax (9500 > 9100)'}]);
    expect(upside.settings).toMatchObject({httpPortMin: 8000, httpPortMax: 9000, memory: 1024});
  });

  it('refuses to save invalid settings', async () => {
    await expect(saveSettings({...defaultSettings(), cpus: 0}, {cwd: freshDir()})).rejects.toThrow('cpus: must be at least 1 (got 0)');
  });
});

describe('--set key=value', () => {
  const base = defaultSettings();
  it('parses, resolves paths and sizes, accepts kebab/snake keys', () => {
    const r = applyAssignments(base, ['memory=2G', 'cpus=4', 'cache-dir=rel/cache', 'output_dir=~/out', 'vncPortMin=5910'], '/work');
    expect(r.errors).toEqual([]);
    expect(r.settings).toMatchObject({memory: 2048, cpus: 4, cacheDir: '/work/rel/cache', outputDir: path.join(os.homedir(), 'out'), vncPortMin: 5910});
    expect(applyAssignments({...base, memory: 4096}, ['memory=']).settings.memory).toBe(512); // empty resets
  });

  it.each([
    ['memory=lots', '--set memory: expected MiB as a whole number or a size like 2G, got "lots"'],
    ['cpus=0', '--set cpus: must be at least 1 (got 0)'],
    ['cpus=65', '--set cpus: must be at most 64 (got 65)'],
    ['vncPortMin=80', '--set vncPortMin: must be at least 5900 (got 80)'],
    ['memroy=1024', '--set memroy: unknown setting (did you mean "memory"?)'],
    ['setupVersion=9', '--set setupVersion: unknown setting'],
    ['memory', '--set memory: expected key=value'],
    ['httpPortMin=9500', '--set httpPortMin: must not be above httpPortMax (9500 > 9000)'],
  ])('%s → a clear error naming the key', (a, message) => {
    const r = applyAssignments(base, [a]);
    expect(r.settings).toBe(base);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]!.startsWith(message)).toBe(true);
  });

  it('a range can be moved in one go', () => {
    expect(applyAssignments(base, ['httpPortMin=9500', 'httpPortMax=9600']).errors).toEqual([]);
  });
});

describe('applying settings to a build', () => {
  const text = 'iso_url: x.iso\nssh_username: root\nmemory: 256\nvnc_port_min: 5990\n';
  it('profile fields win; settings replace the built-in defaults for the rest', async () => {
    const cwd = freshDir();
    await saveSettings({...defaultSettings(), memory: 2048, cpus: 2, vncPortMin: 5950, vncPortMax: 5999, httpPortMin: 8100, httpPortMax: 8200, outputDir: '/srv/out'}, {cwd});
    const s = loadSettings({cwd});
    const p = parseProfile(text, 'p.yaml', 'demo', {defaults: profileDefaults(s)});
    expect(p).toMatchObject({memory: 256, cpus: 2, vnc_port_min: 5990, vnc_port_max: 5999, http_port_min: 8100, http_port_max: 8200});
    expect(outputDirFor(s, p)).toBe('/srv/out/output-demo');
    expect(outputDirFor(s, {output_directory: '/abs/out'})).toBe('/abs/out');
    expect(outputDirFor(loadSettings({cwd: freshDir()}), p)).toBeUndefined();
    // Without settings nothing changes.
    expect(parseProfile(text, 'p.yaml', 'demo')).toMatchObject({cpus: 1, vnc_port_max: 6000, http_port_min: 8000});
  });

  it('an empty cacheDir means $XDG_CACHE_HOME/vmbench', () => {
    const before = process.env.XDG_CACHE_HOME;
    process.env.XDG_CACHE_HOME = '/x/cache';
    try {
      expect(loadSettings({cwd: freshDir()}).cacheDir).toBe('/x/cache/vmbench');
      expect(loadSettings({cwd: freshDir()}).needsSetup).toBe(true);
    } finally {
      if (before === undefined) delete process.env.XDG_CACHE_HOME;
      else process.env.XDG_CACHE_HOME = before;
    }
  });
});

