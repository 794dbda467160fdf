/**
 * The VM watcher that runs beside the wait for SSH: each sign of a stuck guest (an error on
 * screen, a still screen, no request for the answer file) fails it, with a fake screen, a fake
 * clock and a fake request list; none fires once SSH has won; and wired into the real wait-ssh
 * step against an in-process SSH server, whichever comes first wins.
 */
import {afterEach, describe, expect, it} from 'vitest';
import type {BuildEvent, LogStream} from '../../src/engine/events.js';
import type {BuildState} from '../../src/engine/state.js';
import {BuildEvidence} from '../../src/engine/evidence.js';
import {StepError, type StepContext} from '../../src/engine/step.js';
import {waitSsh} from '../../src/engine/steps/wait-ssh.js';
import {DEFAULT_ERROR_PATTERNS, findErrorPattern, logicalLines, profilePatterns, screenExcerpt} from '../../src/engine/screen-patterns.js';
import {bootCommandUrls, httpHint, httpWatchTimeout, watchVm, type HttpWatch, type WatchOptions, type WatchSources} from '../../src/engine/vm-watch.js';
import {parseProfile, ProfileError} from '../../src/profiles/loader.js';
import {reservePort, startFakeSshServer, type FakeSshServer} from '../fakes/fake-ssh-server.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

/** A Debian installer stuck at an error dialog, as glyph recognition reads it. */
const DI_ERROR = [
  '',
  '  ┌──────────────────────┤ [!!] Configure the package manager ├───────────────────────┐',
  '  │                                                                                   │',
  '  │                                 Bad archive mirror                                │',
  '  │ An error has been detected while trying to use the specified Debian archive       │',
  '  │ mirror.                                                                           │',
  '  │                                                                                   │',
  '  │     <Go Back>                                                       <Continue>    │',
  '  └───────────────────────────────────────────────────────────────────────────────────┘',
  '',
  '<Tab> moves; <Space> selects; <Enter> activates buttons',
];

const TINY_BOOTING = ['vmbench tiny ISO - type: tiny url=http://HOST:PORT/tiny.cfg', 'boot: tiny url=http://10.0.2.2:8123/tiny.cfg', 'vmbench-tiny: init started, kernel 6.1.0-18-amd64', 'vmbench-tiny: fetching http://10.0.2.2:8123/tiny.cfg (attempt 1/10)'];

describe('findErrorPattern', () => {
  const find = (lines: string[]) => findErrorPattern(lines, DEFAULT_ERROR_PATTERNS);
  it.each([
    ['a d-i dialog at critical priority', DI_ERROR, /Debian installer dialog/, '[!!] Configure the package manager'],
    ['a kernel panic', ['[    1.234] Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)'], /kernel panic/, 'Kernel panic - not syncing'],
    ['SeaBIOS with nothing to boot', ['Booting from Hard Disk...', 'Boot failed: not a bootable disk', '', 'No bootable device.'], /nothing to boot/, 'Boot failed'],
    ['systemd emergency mode', ['You are in emergency mode. After logging in, type "journalctl -xb"', 'Give root password for maintenance', '(or press Control-D to continue):'], /emergency/, 'You are in emergency mode'],
    ['a dracut shell prompt', ['Generating "/run/initramfs/rdsosreport.txt"', '', 'dracut:/# '], /dracut/, 'dracut:/#'],
    ['subiquity failing', ['Sorry, there was a problem completing the installation.'], /subiquity/, 'Sorry'],
    ['GRUB rescue', ['error: unknown filesystem.', 'grub rescue> '], /GRUB/, 'grub rescue>'],
    ["GRUB's command line with no configuration", ['                GNU GRUB  version 2.06-13+deb12u2', '', '   Minimal BASH-like line editing is supported. For the first word, TAB', '   lists possible command completions.', '', 'grub> '], /GRUB's command line/, 'Minimal BASH-like line editing is supported'],
    ['isolinux given a label it does not have', ['boot: x', 'Loading x... failed: No such file or directory', 'boot:'], /bootloader failing to load/, 'Loading x... failed'],
    ['GRUB given a kernel path that is not there', ["error: file '/casper/vmlinuzz' not found.", 'error: you need to load the kernel first.'], /GRUB failing/, "error: file '/casper/vmlinuzz' not found"],
  ])('spots %s', (_, lines, what, text) => {
    const hit = find(lines);
    expect(hit?.pattern.what).toMatch(what);
    expect(hit?.text).toContain(text);
  });

  it('finds a sentence the dialog wrapped across rows and framed with box lines', () => {
    const lines = ['│ Failed to retrieve the preconfiguration  │', '│ file. The file needed for preconfiguration│'];
    expect(find(lines)?.text).toBe('Failed to retrieve the preconfiguration file');
  });

  it.each([
    ['a booting tiny guest', TINY_BOOTING],
    ["OpenRC's [ !! ] for a failed service", [' * Starting sshd ...  [ !! ]']],
    ["d-i's [!] at medium priority", ['[!] Select a language']],
    ['an empty screen', []],
    ["GRUB's command line once a boot command said boot", ['   Minimal BASH-like line editing is supported.', 'grub> linux /casper/vmlinuz autoinstall ---', 'grub> initrd /casper/initrd', 'grub> boot']],
  ])('stays quiet on %s', (_, lines) => expect(find(lines)).toBeUndefined());

  it("adds the profile's own pattern (^ anchors a row) and can drop the built-ins", () => {
    const own = profilePatterns({ssh_watch_default_patterns: false, ssh_watch_error_patterns: '^vmbench-tiny: ERROR'});
    expect(own).toHaveLength(1);
    expect(findErrorPattern(['x', 'vmbench-tiny: ERROR could not fetch config'], own)?.pattern.from).toBe('ssh_watch_error_patterns');
    expect(findErrorPattern(['say vmbench-tiny: ERROR'], own)).toBeUndefined();
    expect(findErrorPattern(['Kernel panic'], own)).toBeUndefined();
    expect(profilePatterns({ssh_watch_default_patterns: true})).toHaveLength(DEFAULT_ERROR_PATTERNS.length);
  });
});

describe('screenExcerpt', () => {
  it('shows the last 15 non-empty rows', () => {
    const lines = Array.from({length: 30}, (_, i) => (i % 2 ? '' : `row ${i}   `));
    const out = screenExcerpt(lines).split('\n');
    expect(out[0]).toBe('the screen shows:');
    expect(out.slice(1)).toEqual(Array.from({length: 15}, (_, i) => `  | row ${2 * i}`));
    expect(screenExcerpt(undefined)).toMatch(/could not be read/);
  });
});

describe('logicalLines', () => {
  it('joins rows the console wrapped at the screen width, and nothing else', () => {
    const rows = ['[    2.04] Kernel panic - not syncing: VFS: Unable to mount root fs on unkno', 'wn-block(0,0)', 'short', '', 'x'.repeat(10)];
    expect(logicalLines(rows, rows[0]!.length)).toEqual(['[    2.04] Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)', 'short', '', 'x'.repeat(10)]);
    expect(logicalLines(['ab', 'cd'], 0)).toEqual(['ab', 'cd']);
  });
});

describe('boot command URLs and HTTP hints', () => {
  it.each([
    ['tiny url=http://10.0.2.2:8123/tiny.cfg<enter>', ['http://10.0.2.2:8123/tiny.cfg']],
    ['linux /casper/vmlinuz autoinstall ds=nocloud-net\\;s=http://10.0.2.2:8000/ ---<enter>', ['http://10.0.2.2:8000/']],
    ['auto url=10.0.2.2:8000/preseed.cfg<wait>', ['10.0.2.2:8000/preseed.cfg']],
    ['inst.ks=http://10.0.2.2:8000/ks.cfg inst.repo=https://mirror.example/fedora/', ['http://10.0.2.2:8000/ks.cfg', 'https://mirror.example/fedora/']],
    ['<esc><wait>install<enter>', []],
  ])('%s', (text, urls) => expect(bootCommandUrls(text)).toEqual(urls));

  const http = (urls: string[]): HttpWatch => ({timeoutMs: 1000, guestIp: '10.0.2.2', port: 8123, urls, dir: 'http'});
  it('points at a wrong port, a wrong host, a wrong file, or the usual suspects', () => {
    expect(httpHint(http(['http://10.0.2.2:9/tiny.cfg']), [])).toMatch(/uses port 9, but vmbench serves on port 8123.*\{\{ \.HTTPPort \}\}/);
    expect(httpHint(http(['http://192.168.1.5:8123/tiny.cfg']), [])).toMatch(/at 10\.0\.2\.2 \(\{\{ \.HTTPIP \}\}\).*names 192\.168\.1\.5/);
    expect(httpHint(http(['http://10.0.2.2:8123/tiny.cgf']), [{path: '/tiny.cgf', status: 404}])).toMatch(/file name.*http_directory \(http\)/);
    expect(httpHint(http([]), [])).toMatch(/names no URL/);
    expect(httpHint(http(['http://10.0.2.2:8123/tiny.cfg']), [])).toMatch(/typo.*network/);
  });

  it('derives the HTTP timeout: only with http_directory, explicit wins, else only when the boot command names the server', () => {
    expect(httpWatchTimeout({http_directory: undefined, ssh_watch_http_timeout: 5000}, 'kvm', true)).toBe(0);
    expect(httpWatchTimeout({http_directory: 'http', ssh_watch_http_timeout: 5000}, 'kvm', false)).toBe(5000);
    expect(httpWatchTimeout({http_directory: 'http', ssh_watch_http_timeout: 0}, 'kvm', true)).toBe(0);
    expect(httpWatchTimeout({http_directory: 'http'}, 'kvm', true)).toBe(5 * 60_000);
    expect(httpWatchTimeout({http_directory: 'http'}, 'tcg', true)).toBe(15 * 60_000);
    expect(httpWatchTimeout({http_directory: 'http'}, 'kvm', false)).toBe(0);
  });
});

/**
 * A fake VM: a screen (text or pixels), a frame counter, a request list, and a fake clock that
 * moves only when the test lets the watcher's poll sleep end (`run`).
 */
function fakeVm() {
  const vm = {
    t: 0,
    version: 0 as number | undefined,
    text: undefined as string[] | undefined,
    pixels: 'p0',
    requests: [] as {method: string; path: string; status: number}[],
    reads: 0,
    calls: 0,
    logs: [] as string[],
    /** Called at every poll, to change the screen between polls. */
    onPoll: undefined as (() => void) | undefined,
    wake: undefined as (() => void) | undefined,
  };
  const sources: WatchSources = {
    frameVersion: () => (vm.calls++, vm.version),
    readScreen: async () => (vm.reads++, vm.text && {mode: 'glyphs' as const, lines: vm.text, cols: 0, rows: vm.text.length, confidence: 1, detail: 'fake'}),
    frameHash: () => vm.pixels,
    httpRequests: () => vm.requests,
  };
  const opts = (o: Partial<WatchOptions>): WatchOptions => ({
    patterns: DEFAULT_ERROR_PATTERNS,
    stallMs: 0,
    pollMs: 1000,
    log: (s: LogStream, l: string) => vm.logs.push(`${s}: ${l}`),
    now: () => vm.t,
    sleep: (ms, signal) =>
      new Promise<void>((resolve, reject) => {
        if (signal.aborted) return reject(signal.reason);
        const onAbort = (): void => reject(signal.reason);
        signal.addEventListener('abort', onAbort, {once: true});
        vm.wake = () => {
          signal.removeEventListener('abort', onAbort);
          vm.t += ms;
          vm.onPoll?.();
          resolve();
        };
      }),
    ...o,
  });
  return {vm, sources, opts};
}

/** Let the watcher poll until the fake clock reaches `ms`, or until it stops polling (it failed). */
async function run(vm: {t: number; wake: (() => void) | undefined}, ms: number): Promise<void> {
  while (vm.t < ms) {
    for (let i = 0; i < 50 && !vm.wake; i++) await new Promise((r) => setImmediate(r));
    const wake = vm.wake;
    if (!wake) return;
    vm.wake = undefined;
    wake();
  }
}

/** How a promise stands after the event loop has had a few turns. */
async function settled(p: Promise<unknown>): Promise<'resolved' | 'rejected' | 'pending'> {
  return Promise.race([p.then(() => 'resolved' as const, () => 'rejected' as const), new Promise<'pending'>((r) => setTimeout(() => r('pending'), 50))]);
}

describe('watchVm', () => {
  it('fails on an error pattern with the screen text, as soon as it appears', async () => {
    const {vm, sources, opts} = fakeVm();
    vm.text = TINY_BOOTING;
    const w = watchVm(sources, opts({}));
    cleanups.push(() => w.stop());
    await run(vm, 5000);
    expect(await settled(w.failed)).toBe('pending');
    vm.text = [...TINY_BOOTING, '[    2.5] Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)'];
    vm.version = 1;
    await run(vm, 60_000);
    const err = (await w.failed.catch((e: unknown) => e)) as StepError;
    expect(err).toBeInstanceOf(StepError);
    expect(err.message.split('\n')[0]).toBe(`the VM's screen shows the kernel failing to mount its root file system (a kernel panic): "[    2.5] Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)" — it will not get to SSH from here`);
    expect(err.message).toContain('the screen shows:\n  | vmbench tiny ISO');
    expect(err.hint).toMatch(/ssh_watch_default_patterns: false/);
    // Seen at the first poll after it appeared.
    expect(vm.t).toBe(6000);
  });

  it('reads the screen only when the frame changed', async () => {
    const {vm, sources, opts} = fakeVm();
    vm.text = TINY_BOOTING;
    const w = watchVm(sources, opts({}));
    await run(vm, 20_000);
    expect(vm.reads).toBe(1);
    vm.version = 7;
    await run(vm, 25_000);
    await w.stop();
    expect(vm.reads).toBe(2);
  });

  it('fails when the screen stays the same for ssh_watch_screen_stall, ignoring a blinking cursor', async () => {
    const {vm, sources, opts} = fakeVm();
    vm.text = undefined; // a graphical screen: judged on pixels
    // The cursor blinks: the frame counter moves and the pixels alternate between two states.
    vm.onPoll = () => {
      vm.version = (vm.version ?? 0) + 1;
      vm.pixels = vm.pixels === 'p0' ? 'p1' : 'p0';
    };
    const w = watchVm(sources, opts({stallMs: 60_000}));
    cleanups.push(() => w.stop());
    await run(vm, 120_000);
    const err = (await w.failed.catch((e: unknown) => e)) as StepError;
    expect(err.message).toMatch(/^the VM's screen has not changed for 1m00s while waiting for SSH \(ssh_watch_screen_stall 1m00s\): the guest looks stuck/);
    expect(err.message).toContain('the screen could not be read as text');
    expect(err.hint).toMatch(/raise ssh_watch_screen_stall or set it to 0/);
    // The cursor's second state is first seen at the 1 s re-read (an unreadable screen is read
    // again after 1 s): the last change, 60 s before the stall.
    expect(vm.t).toBe(61_000);
    expect(vm.logs).toContain("info: the VM's screen has not changed for 30.0s (ssh_watch_screen_stall 1m00s)");
  });

  it('does not call a changing screen stalled, nor a blank one before the stall time', async () => {
    const {vm, sources, opts} = fakeVm();
    let n = 0;
    vm.text = ['Unpacking 0'];
    vm.onPoll = () => ((vm.text = [`Unpacking ${++n}`]), (vm.version = n));
    const w = watchVm(sources, opts({stallMs: 10_000}));
    await run(vm, 60_000);
    expect(await settled(w.failed)).toBe('pending');
    // Then it goes blank and stays so: a stall only after the full 10 s.
    vm.onPoll = undefined;
    vm.text = [];
    vm.version = 1000;
    await run(vm, 69_000);
    expect(await settled(w.failed)).toBe('pending');
    await run(vm, 80_000);
    expect(((await w.failed.catch((e: unknown) => e)) as Error).message).toMatch(/not changed for 10.0s[^]*the screen is blank/);
  });

  const httpWatch: HttpWatch = {timeoutMs: 30_000, guestIp: '10.0.2.2', port: 8123, urls: ['http://10.0.2.2:9/tiny.cfg'], dir: 'http'};
  it('fails when the guest never requested its answer file, naming the URL and the port mix-up', async () => {
    const {vm, sources, opts} = fakeVm();
    vm.text = TINY_BOOTING;
    const w = watchVm(sources, opts({http: httpWatch}));
    await run(vm, 29_000);
    expect(await settled(w.failed)).toBe('pending');
    await run(vm, 60_000);
    const err = (await w.failed.catch((e: unknown) => e)) as StepError;
    expect(err.message.split('\n')[0]).toBe(
      "the guest never requested its answer file: no HTTP request reached vmbench's server (http://10.0.2.2:8123/) within 30.0s after the boot command (ssh_watch_http_timeout); the boot command names http://10.0.2.2:9/tiny.cfg",
    );
    expect(err.message).toContain('  | vmbench-tiny: fetching');
    expect(err.hint).toMatch(/uses port 9, but vmbench serves on port 8123/);
    expect(vm.t).toBe(30_000);
    expect(vm.logs.filter((l) => l.includes('has not fetched anything'))).toEqual(['info: the guest has not fetched anything from the HTTP server yet (15.0s after the boot command; giving up at 30.0s)']);
  });

  it('says so when the guest asked but only got errors', async () => {
    const {vm, sources, opts} = fakeVm();
    vm.requests.push({method: 'GET', path: '/tiny.cgf', status: 404});
    const w = watchVm(sources, opts({http: {...httpWatch, urls: ['http://10.0.2.2:8123/tiny.cgf']}}));
    await run(vm, 60_000);
    const err = (await w.failed.catch((e: unknown) => e)) as StepError;
    expect(err.message).toMatch(/^the guest never got its answer file: its only HTTP requests failed \(GET \/tiny\.cgf → 404\)/);
    expect(err.hint).toMatch(/file name/);
  });

  it('stops watching HTTP once a file was served', async () => {
    const {vm, sources, opts} = fakeVm();
    const w = watchVm(sources, opts({http: httpWatch}));
    await run(vm, 10_000);
    vm.requests.push({method: 'GET', path: '/tiny.cfg', status: 200});
    await run(vm, 120_000);
    expect(await settled(w.failed)).toBe('pending');
    await w.stop();
  });

  it('fires nothing once stopped (SSH won), and leaves no poll running', async () => {
    const {vm, sources, opts} = fakeVm();
    vm.text = TINY_BOOTING;
    const w = watchVm(sources, opts({http: httpWatch, stallMs: 20_000}));
    await run(vm, 10_000);
    await w.stop();
    const calls = vm.calls;
    vm.text = ['Kernel panic'];
    vm.version = 99;
    await run(vm, 100_000); // nothing sleeps any more: returns at once
    expect(vm.t).toBe(10_000);
    expect(await settled(w.failed)).toBe('pending');
    expect(vm.calls).toBe(calls);
  });

  it('stops when the signal aborts, with real timers too', async () => {
    const {vm, sources} = fakeVm();
    const ac = new AbortController();
    const w = watchVm(sources, {patterns: DEFAULT_ERROR_PATTERNS, stallMs: 0, pollMs: 5, log: () => {}, signal: ac.signal});
    await new Promise((r) => setTimeout(r, 30));
    expect(vm.calls).toBeGreaterThan(1);
    ac.abort();
    await w.stop();
    const calls = vm.calls;
    await new Promise((r) => setTimeout(r, 30));
    expect(vm.calls).toBe(calls);
    expect(await settled(w.failed)).toBe('pending');
  });

  it('a failing source stops the watcher with a warning instead of failing the build', async () => {
    const {vm, opts} = fakeVm();
    const w = watchVm({frameVersion: () => {throw new Error('boom');}, readScreen: async () => undefined, frameHash: () => undefined, httpRequests: () => []}, opts({}));
    await run(vm, 5000);
    await w.stop();
    expect(await settled(w.failed)).toBe('pending');
    expect(vm.logs).toEqual(['warn: stopped watching the VM: boom']);
  });
});

describe('profile fields', () => {
  const minimal = 'iso_url: /x.iso\nssh_username: root\n';
  it('has defaults: built-in patterns on, stall off, HTTP derived', () => {
    const p = parseProfile(minimal, 'p.yaml', 'demo');
    expect(p.ssh_watch_default_patterns).toBe(true);
    expect(p.ssh_watch_screen_stall).toBe(0);
    expect(p.ssh_watch_http_timeout).toBeUndefined();
    expect(p.ssh_watch_error_patterns).toBeUndefined();
  });

  it('converts durations and keeps a valid pattern', () => {
    const p = parseProfile(`${minimal}ssh_watch_screen_stall: 15m\nssh_watch_http_timeout: 3s\nssh_watch_error_patterns: 'ERROR|FATAL'\nssh_watch_default_patterns: false\n`, 'p.yaml', 'demo');
    expect([p.ssh_watch_screen_stall, p.ssh_watch_http_timeout, p.ssh_watch_error_patterns, p.ssh_watch_default_patterns]).toEqual([900_000, 3000, 'ERROR|FATAL', false]);
  });

  it('reports a bad pattern or duration with file:line', () => {
    let err: unknown;
    try {
      parseProfile(`${minimal}ssh_watch_error_patterns: 'Kernel (panic'\nssh_watch_http_timeout: 5\n`, 'p.yaml', 'demo');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ProfileError);
    const lines = (err as ProfileError).message.split('\n');
    expect(lines[0]).toMatch(/^p\.yaml:3:\d+: ssh_watch_error_patterns: not a valid regular expression: .*Unterminated group/);
    expect(lines[1]).toMatch(/^p\.yaml:4:\d+: ssh_watch_http_timeout: expected a duration/);
  });
});

describe('wait-ssh with the watcher', () => {
  /** Just enough build state for wait-ssh: a QEMU that runs on, an HTTP server's request list, no screen. */
  function context(sshPort: number, yaml: string, requests: {method: string; path: string; status: number}[] = []) {
    const profile = parseProfile(`iso_url: /x.iso\nssh_username: root\nssh_password: pw\nhttp_directory: http\nssh_timeout: 20s\n${yaml}`, 'p.yaml', 'demo');
    const events: BuildEvent[] = [];
    const state = {
      profile,
      profileDir: '/nowhere',
      options: {env: {}},
      sshHostPort: sshPort,
      accel: 'kvm',
      qemu: {exited: new Promise(() => {}), hasExited: () => false},
      http: {server: {port: 8123, requests, close: async () => {}}, guestIp: '10.0.2.2', port: 8123},
      artifacts: [],
      evidence: new BuildEvidence(),
    } as unknown as BuildState;
    const ctx: StepContext<BuildState> = {
      state,
      signal: new AbortController().signal,
      stepId: 'wait-ssh',
      log: (source, stream, line) => events.push({type: 'log', time: Date.now(), source, stream, line}),
      progress: () => {},
      emit: (e) => events.push(e),
      checkpoint: async () => false,
    };
    cleanups.push(() => waitSsh.cleanup!(ctx));
    return {ctx, events};
  }

  it('fails as soon as the watcher does, well before ssh_timeout, and stops trying SSH', async () => {
    const port = await reservePort(); // nothing listens: SSH would only time out after 20 s
    const {ctx, events} = context(port, `ssh_watch_http_timeout: 300ms\nboot_command: ['tiny url=http://{{ .HTTPIP }}:9/tiny.cfg<enter>']\n`);
    const started = Date.now();
    const err = (await waitSsh.run(ctx).catch((e: unknown) => e)) as StepError;
    expect(Date.now() - started).toBeLessThan(3000);
    expect(err.message).toMatch(/^the guest never requested its answer file: .*the boot command names http:\/\/10\.0\.2\.2:9\/tiny\.cfg/);
    expect(err.hint).toMatch(/uses port 9/);
    expect(ctx.state.ssh).toBeUndefined();
    const logs = events.filter((e) => e.type === 'log').map((e) => (e as {line: string}).line);
    expect(logs).toContain(
      `watching the VM while waiting for SSH: failing early on ${DEFAULT_ERROR_PATTERNS.length} error patterns on screen, installer dialogs, no network or no answer file (about a minute), no HTTP request from the guest in 300ms`,
    );
    // SSH attempts stop with the step.
    const attempts = logs.filter((l) => l.startsWith('SSH attempt')).length;
    await new Promise((r) => setTimeout(r, 1500));
    expect(events.filter((e) => e.type === 'log' && (e as {line: string}).line.startsWith('SSH attempt')).length).toBe(attempts);
  });

  it('connects when SSH comes first, and the watcher stops with it', async () => {
    const server: FakeSshServer = await startFakeSshServer({users: {root: {password: 'pw'}}});
    cleanups.push(() => server.close());
    const {ctx, events} = context(server.port, `ssh_watch_http_timeout: 1s\nboot_command: ['tiny url=http://{{ .HTTPIP }}:{{ .HTTPPort }}/tiny.cfg<enter>']\n`);
    await waitSsh.run(ctx);
    expect(ctx.state.ssh).toBeDefined();
    const before = events.length;
    await new Promise((r) => setTimeout(r, 2000)); // past the HTTP timeout: nothing happens any more
    expect(events.slice(before).filter((e) => e.type === 'log' && e.source === 'vmbench')).toEqual([]);
  });
});
