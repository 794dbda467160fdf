/**
 * The profile picker and the data behind it, on real profile directories in a temp dir:
 * listing (user dir shadows built-in), the last build result read back from events.jsonl,
 * a broken profile listed with its file:line errors instead of crashing, filtering by typing,
 * and Enter calling startBuild with the right directory and debug flag.
 */
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import React, {useState} from 'react';
import {render} from 'ink-testing-library';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {lastBuildResult, listBuildDirs, listProfiles, matchesFilter, readBuildEnd, type ProfileEntry} from '../../src/tui/profiles-data.js';
import {ProfilePicker, pickerColumns} from '../../src/tui/ProfilePicker.js';

const good = (name: string, distro: string, method: string, description: string): string =>
  `description: ${description}\ndistro: ${distro}\ninstall_method: ${method}\niso_url: /isos/${name}.iso\nssh_username: root\n`;

let tmp: string;
let userDir: string;
let builtinDir: string;
let state: string;

function profile(root: string, name: string, text: string): string {
  const dir = path.join(root, name);
  mkdirSync(dir, {recursive: true});
  writeFileSync(path.join(dir, 'profile.yaml'), text);
  return dir;
}

function build(name: string, stamp: string, lines: object[]): void {
  const dir = path.join(state, 'builds', `${name}-${stamp}-abcd1234`);
  mkdirSync(dir, {recursive: true});
  writeFileSync(path.join(dir, 'events.jsonl'), lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
}

beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'vmbench-picker-'));
  userDir = path.join(tmp, 'user');
  builtinDir = path.join(tmp, 'builtin');
  state = path.join(tmp, 'state');
  profile(builtinDir, 'debian-12', good('debian-12', 'debian', 'preseed', 'Debian 12 netinst, preseeded'));
  profile(builtinDir, 'ubuntu-24.04', good('ubuntu', 'ubuntu', 'autoinstall', 'Ubuntu Server with autoinstall'));
  profile(builtinDir, 'rocky-9', good('rocky', 'rocky', 'kickstart', 'Rocky Linux 9 kickstart'));
  // The user's copy of rocky-9 shadows the built-in one.
  profile(userDir, 'rocky-9', good('rocky', 'rocky', 'kickstart', 'my own rocky'));
  // Two problems, on lines 3 and 6.
  profile(userDir, 'broken', `description: broken one\ndistro: fedora\nmemroy: 512\niso_url: /x.iso\nssh_username: root\ncpus: 0\n`);
  mkdirSync(path.join(userDir, 'not-a-profile'), {recursive: true});
  // A noisy build log: many log lines before the end event, more than the 64 KiB tail.
  const noise = Array.from({length: 3000}, (_, i) => ({type: 'log', time: 1, source: 'serial', stream: 'stdout', line: `line ${i} ${'x'.repeat(30)}`}));
  build('debian-12', '2026-01-01T10-00-00-000Z', [{type: 'build', status: 'started', time: 1, profile: 'debian-12', steps: []}, {type: 'build', status: 'done', time: 1000, durationMs: 999}]);
  build('debian-12', '2026-01-02T10-00-00-000Z', [
    {type: 'build', status: 'started', time: 2, profile: 'debian-12', steps: []},
    ...noise,
    {type: 'build', status: 'failed', time: 5_000, durationMs: 4998, reason: 'wait-ssh: Timeout waiting for SSH\nsecond line'},
  ]);
  // A name that merely starts with "debian-12-" is another profile, not a build of debian-12.
  build('debian-12-minimal', '2026-03-01T10-00-00-000Z', [{type: 'build', status: 'done', time: 9_999, durationMs: 1}]);
  build('ubuntu-24.04', '2026-01-03T10-00-00-000Z', [{type: 'build', status: 'started', time: 3, profile: 'ubuntu-24.04', steps: []}]);
});

afterAll(() => rmSync(tmp, {recursive: true, force: true}));

const list = (): ProfileEntry[] => listProfiles({dirs: [userDir, builtinDir], stateDir: state});
// A key's state change is drawn from React's scheduler, not at once: on a busy machine a 0 ms
// timer fired before the frame had it (seen with 15 ms too), so every wait is at least 50 ms.
const tick = (ms = 0): Promise<void> => new Promise((r) => setTimeout(r, Math.max(ms, 50)));

describe('profiles-data', () => {
  it('lists every profile once, user dir first, broken ones with file:line errors', () => {
    const entries = list();
    expect(entries.map((e) => e.name)).toEqual(['broken', 'debian-12', 'rocky-9', 'ubuntu-24.04']);
    const rocky = entries.find((e) => e.name === 'rocky-9')!;
    expect(rocky.dir).toBe(path.join(userDir, 'rocky-9'));
    expect(rocky.description).toBe('my own rocky');
    const broken = entries.find((e) => e.name === 'broken')!;
    expect(broken.errors).toHaveLength(2);
    expect(broken.errors![0]).toMatch(/broken\/profile\.yaml:3:1: memroy: unknown field \(did you mean "memory"\?\)/);
    expect(broken.errors![1]).toMatch(/profile\.yaml:6:7: cpus: must be at least 1/);
    const deb = entries.find((e) => e.name === 'debian-12')!;
    expect(deb).toMatchObject({distro: 'debian', installMethod: 'preseed', description: 'Debian 12 netinst, preseeded'});
  });

  it('reads the newest build of a profile from the tail of its events.jsonl', () => {
    const idx = listBuildDirs(path.join(state, 'builds'));
    expect(lastBuildResult(idx, 'debian-12')).toMatchObject({status: 'failed', time: 5_000, durationMs: 4998, reason: 'wait-ssh: Timeout waiting for SSH'});
    expect(lastBuildResult(idx, 'ubuntu-24.04')?.status).toBe('unfinished');
    expect(lastBuildResult(idx, 'rocky-9')).toBeUndefined();
    expect(readBuildEnd(path.join(tmp, 'missing.jsonl'))).toBeUndefined();
  });

  it('filters by substring anywhere, or by the letters of the name in order', () => {
    const entries = list();
    const names = (f: string): string[] => entries.filter((e) => matchesFilter(e, f)).map((e) => e.name);
    expect(names('kick')).toEqual(['rocky-9']);
    expect(names('UBU')).toEqual(['ubuntu-24.04']);
    expect(names('dbn12')).toEqual(['debian-12']);
    expect(names('')).toHaveLength(4);
    expect(names('zzz')).toEqual([]);
  });
});

function Harness(props: {
  entries: ProfileEntry[];
  onBuild: (dir: string, debug: boolean, force?: boolean) => void;
  onQuit?: () => void;
  width?: number;
  outputExists?: (e: ProfileEntry) => string | undefined;
}): React.ReactElement {
  const [debug, setDebug] = useState(false);
  return (
    <ProfilePicker
      profiles={props.entries}
      width={props.width ?? 80}
      height={23}
      debug={debug}
      onToggleDebug={() => setDebug((d) => !d)}
      onBuild={(e, o) => props.onBuild(e.dir, o.debug, o.force)}
      onQuit={props.onQuit ?? (() => {})}
      outputExists={props.outputExists}
      now={10_000}
    />
  );
}

describe('ProfilePicker', () => {
  it('shows name, distro, method and last result in 80 columns, and the errors of a broken profile inline', async () => {
    const r = render(<Harness entries={list()} onBuild={() => {}} />);
    await tick();
    const frame = r.lastFrame()!;
    for (const line of frame.split('\n')) expect(line.length).toBeLessThanOrEqual(80);
    // iso_url is a local file that is not there: "no file" in the ISO/IMAGE column.
    expect(frame).toMatch(/debian-12\s+debian\s+preseed\s+no file\s+✗ failed 5s ago: wait-/);
    expect(frame).toMatch(/ubuntu-24\.04\s+ubuntu\s+autoinstall\s+no file\s+\? unfinished/);
    expect(frame).toMatch(/rocky-9\s+rocky\s+kickstart\s+no file\s+never built/);
    expect(frame).toMatch(/broken\s+✗ invalid profile — line 3: memroy: unknown field/);
    // The first row (broken) is selected: its errors are in the detail box with file:line.
    expect(frame).toContain('broken: 2 problems');
    expect(frame).toMatch(/profile\.yaml:6:7: cpus: must be at\s+least 1/);
    r.unmount();
  });

  it('keeps columns inside the width it is given', () => {
    for (const w of [80, 120, 200]) {
      const c = pickerColumns(w);
      expect(2 + c.name + c.distro + c.method + c.media + c.result + 4).toBe(w);
    }
  });

  it('filters as you type, and Enter builds the match with the debug flag toggled by d', async () => {
    const builds: [string, boolean][] = [];
    const r = render(<Harness entries={list()} onBuild={(d, dbg) => builds.push([d, dbg])} />);
    await tick();
    r.stdin.write('d'); // debug on (d is a command outside filter mode)
    await tick();
    expect(r.lastFrame()).toContain('DEBUG: pause before each step');
    r.stdin.write('/');
    await tick();
    for (const ch of 'ubu') {
      r.stdin.write(ch);
      await tick();
    }
    const frame = r.lastFrame()!;
    expect(frame).toContain('filter: ubu');
    expect(frame).toContain('ubuntu-24.04');
    expect(frame).not.toContain('debian-12');
    r.stdin.write('\r');
    await tick();
    expect(builds).toEqual([[path.join(builtinDir, 'ubuntu-24.04'), true]]);
    r.unmount();
  });

  it('asks before replacing an existing output: a second Enter replaces it, another key keeps it', async () => {
    const builds: [string, boolean | undefined][] = [];
    const r = render(<Harness entries={list()} onBuild={(d, _dbg, force) => builds.push([d, force])} outputExists={(e) => (e.name === 'rocky-9' ? '/out/rocky-9' : undefined)} />);
    await tick();
    for (const ch of '/rocky') {
      r.stdin.write(ch);
      await tick();
    }
    r.stdin.write('\r');
    await tick();
    expect(builds).toEqual([]);
    expect(r.lastFrame()).toContain('/out/rocky-9 exists: Enter again replaces it');
    r.stdin.write('\x1b[B'); // any other key (here ↓, then ↑ back): keep it
    await tick(30);
    expect(r.lastFrame()).not.toContain('Enter again replaces it');
    r.stdin.write('\x1b[A');
    await tick(30);
    r.stdin.write('\r');
    await tick();
    r.stdin.write('\r');
    await tick();
    expect(builds).toEqual([[expect.stringMatching(/\/rocky-9$/), true]]);
    r.unmount();
  });

  it('an unbound letter starts a filter; Esc clears it; j/k move; a broken profile is not built', async () => {
    const builds: string[] = [];
    const r = render(<Harness entries={list()} onBuild={(d) => builds.push(d)} />);
    await tick();
    r.stdin.write('r'); // not a command: filter "r" (broken, rocky-9, …)
    await tick();
    r.stdin.write('o');
    await tick();
    expect(r.lastFrame()).toContain('filter: ro');
    r.stdin.write('\x1b');
    // ink flushes a lone Esc on setImmediate; under load a bare timer can fire first: poll.
    for (let i = 0; i < 200 && r.lastFrame()!.includes('filter:'); i++) await tick(10);
    expect(r.lastFrame()).not.toContain('filter:');
    // broken is first and selected: Enter refuses and says where to look.
    r.stdin.write('\r');
    await tick();
    expect(builds).toEqual([]);
    expect(r.lastFrame()).toContain('broken cannot be built: fix broken/profile.yaml:3:1 first');
    r.stdin.write('j'); // → debian-12
    await tick();
    r.stdin.write('j'); // → rocky-9
    await tick();
    r.stdin.write('k'); // → debian-12
    await tick();
    expect(r.lastFrame()).toContain('debian-12 — Debian 12 netinst, preseeded');
    r.stdin.write('\r');
    await tick();
    expect(builds).toEqual([path.join(builtinDir, 'debian-12')]);
    r.unmount();
  });

  it('? shows the keys, q quits', async () => {
    let quit = 0;
    const r = render(<Harness entries={list()} onBuild={() => {}} onQuit={() => quit++} />);
    // ink listens for keys from an effect: a key written before React ran it would be lost.
    await tick(20);
    r.stdin.write('?');
    await tick();
    expect(r.lastFrame()).toContain('debug mode for the next build');
    r.stdin.write('x'); // any key closes the help
    await tick();
    expect(r.lastFrame()).toContain('PROFILE');
    r.stdin.write('q');
    await tick();
    expect(quit).toBe(1);
    r.unmount();
  });
});
