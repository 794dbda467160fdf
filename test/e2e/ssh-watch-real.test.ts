/**
 * Real QEMU, the real CLI: a guest that will never reach SSH fails the build within seconds,
 * not after ssh_timeout (2 min in the tiny profile), saying why — with a screenshot of the VM
 * at the failure and the screen's text in the error — and leaves no QEMU behind.
 */
import {readdirSync, rmSync} from 'node:fs';
import path from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {assertBuilt, CACHE, events, processAlive, runCli, tinyProfileCopy, tmpDir} from './helpers.js';

const work = tmpDir();
afterAll(() => rmSync(work, {recursive: true, force: true}));
beforeAll(() => assertBuilt());

const TINY_BOOT = "'<waitFor \"boot:\" 1m>tiny url=http://{{ .HTTPIP }}:{{ .HTTPPort }}/tiny.cfg<enter>'";

/** Build a changed tiny profile; returns the outcome and what the test checks on every failure. */
async function failingBuild(name: string, edit: (yaml: string) => string) {
  const profile = tinyProfileCopy((y) => {
    expect(y).toContain(TINY_BOOT);
    return edit(y);
  });
  const started = Date.now();
  const r = await runCli(['build', profile, '--json', '--output', path.join(work, name), '--cache-dir', CACHE]);
  const tookMs = Date.now() - started;
  const evs = events(r.stdout);
  const logs = evs.filter((e) => e.type === 'log') as Array<{source: string; line: string}>;
  const qemuPid = Number(logs.map((l) => /QEMU running \(pid (\d+)/.exec(l.line)?.[1]).find(Boolean));
  const failed = evs.find((e) => e.type === 'step' && e.status === 'failed') as {id: string; error: string} | undefined;
  // The wait itself, from the step events: the build around it (ISO from the cache, boot) adds a few seconds.
  const running = evs.find((e) => e.type === 'step' && e.id === 'wait-ssh' && e.status === 'running') as {time: number} | undefined;
  const waitedMs = failed && running ? (failed as unknown as {time: number}).time - running.time : NaN;
  const logDir = /logs: (\S+)/.exec(r.stderr)?.[1];
  return {r, tookMs, waitedMs, logs, qemuPid, failed, logDir};
}

describe('watching the VM while waiting for SSH (real QEMU)', () => {
  it('fails fast when the guest never asks for its answer file (the boot command names a port nothing serves)', {timeout: 60_000}, async () => {
    const b = await failingBuild('out-no-http', (y) =>
      y.replace(TINY_BOOT, "'<waitFor \"boot:\" 1m>tiny url=http://{{ .HTTPIP }}:9/tiny.cfg<enter>'").replace('ssh_timeout: 2m', 'ssh_timeout: 2m\nssh_watch_http_timeout: 4s'),
    );
    expect(b.r.exitCode, b.r.all).toBe(1);
    expect(b.r.stderr).toMatch(/build failed at wait-ssh: the guest never requested its answer file: no HTTP request reached vmbench's server \(http:\/\/10\.0\.2\.2:\d+\/\) within 4\.\ds after the boot command \(ssh_watch_http_timeout\); the boot command names http:\/\/10\.0\.2\.2:9\/tiny\.cfg/);
    expect(b.r.stderr).toMatch(/hint: the boot command's URL http:\/\/10\.0\.2\.2:9\/tiny\.cfg uses port 9, but vmbench serves on port \d+ in this build .*\{\{ \.HTTPPort \}\}/);
    // Well under ssh_timeout (2 min): the 4 s HTTP limit plus at most a poll.
    expect(b.waitedMs).toBeGreaterThanOrEqual(4000);
    expect(b.waitedMs).toBeLessThan(8000);
    // The failed step carries the screen as text: the typed boot line is on it.
    expect(b.failed?.id).toBe('wait-ssh');
    expect(b.failed?.error).toMatch(/\n {2}\| .*tiny url=http:\/\/10\.0\.2\.2:9\/tiny\.cfg/);
    expect(b.logs.some((l) => l.source === 'http')).toBe(false);
    // Evidence next to the log, and nothing left running.
    expect(readdirSync(path.join(b.logDir!, 'screenshots'))).toEqual([expect.stringMatching(/^\d+-failed-wait-ssh\.png$/)]);
    expect(b.qemuPid).toBeGreaterThan(0);
    expect(processAlive(b.qemuPid)).toBe(false);
    console.log(`[ssh-watch e2e] no HTTP request: build ${b.tookMs} ms, wait-ssh ${b.waitedMs} ms`);
  });

  it('fails as soon as the guest says on screen that its set-up failed (the profile’s own pattern)', {timeout: 90_000}, async () => {
    // A file the server does not have: the guest retries for ~20 s, then prints its ERROR line.
    // The HTTP watch is off, so only the tiny profile's ssh_watch_error_patterns can end the wait.
    const b = await failingBuild('out-guest-error', (y) =>
      y.replace(TINY_BOOT, "'<waitFor \"boot:\" 1m>tiny url=http://{{ .HTTPIP }}:{{ .HTTPPort }}/missing.cfg<enter>'").replace('ssh_timeout: 2m', 'ssh_timeout: 2m\nssh_watch_http_timeout: 0s'),
    );
    expect(b.r.exitCode, b.r.all).toBe(1);
    expect(b.r.stderr).toMatch(/build failed at wait-ssh: the VM's screen shows text matching ssh_watch_error_patterns .*vmbench-tiny: ERROR could not fetch config from http:\/\/10\.0\.2\.2:\d+\/missing\.cfg/);
    expect(b.logs.some((l) => l.source === 'http' && /GET \/missing\.cfg → 404/.test(l.line))).toBe(true);
    expect(b.waitedMs).toBeLessThan(60_000);
    expect(processAlive(b.qemuPid)).toBe(false);
    console.log(`[ssh-watch e2e] guest error on screen: build ${b.tookMs} ms, wait-ssh ${b.waitedMs} ms`);
  });

  it('names an answer file that 404s, not SSH, when the guest has no pattern of its own to say so', {timeout: 150_000}, async () => {
    // The guest asks for tiny.cgf, gets 404s for ~20 s, then gives up without a word the
    // watcher knows (the profile's own error pattern is removed): the evidence names it.
    const b = await failingBuild('out-404', (y) =>
      y.replace(TINY_BOOT, "'<waitFor \"boot:\" 1m>tiny url=http://{{ .HTTPIP }}:{{ .HTTPPort }}/tiny.cgf<enter>'").replace(/^ssh_watch_error_patterns:.*$/m, ''),
    );
    expect(b.r.exitCode, b.r.all).toBe(1);
    expect(b.r.stderr).toMatch(/build failed at wait-ssh: the guest never got its answer file: GET \/tiny\.cgf → 404 \(×\d+\)/);
    expect(b.failed?.error).toMatch(/\n {2}- http_content serves: \/tiny\.cfg/);
    const diagnosis = events(b.r.stdout).find((e) => e.type === 'diagnosis') as {cause: string; evidence: string[]} | undefined;
    expect(diagnosis?.cause).toMatch(/^the guest never got its answer file/);
    // The guest's last try plus 20 s of silence (about a minute; more when the machine is
    // busy): before ssh_timeout (2 min), which would have ended it as an SSH timeout.
    expect(b.waitedMs).toBeLessThan(110_000);
    expect(processAlive(b.qemuPid)).toBe(false);
    console.log(`[ssh-watch e2e] answer file 404: build ${b.tookMs} ms, wait-ssh ${b.waitedMs} ms`);
  });

  it('names a guest without network within about a minute: a NIC it has no driver for', {timeout: 150_000}, async () => {
    // The tiny guest has virtio-net only: an e1000 leaves it without a network interface.
    const b = await failingBuild('out-no-network', (y) => y.replace('"virtio-net,netdev=user.0"', '"e1000,netdev=user.0"').replace(/^ssh_watch_error_patterns:.*$/m, ''));
    expect(b.r.exitCode, b.r.all).toBe(1);
    expect(b.r.stderr).toMatch(/build failed at wait-ssh: the guest has no network: nothing reached the HTTP server 1m0\ds after the boot command/);
    expect(b.failed?.error).toMatch(/\n {2}- the guest says "Network is unreachable" \((?:screen|serial console)\)/);
    expect(b.waitedMs).toBeGreaterThanOrEqual(60_000);
    expect(b.waitedMs).toBeLessThan(75_000);
    expect(b.logs.some((l) => l.source === 'http')).toBe(false);
    expect(processAlive(b.qemuPid)).toBe(false);
    console.log(`[ssh-watch e2e] no network: build ${b.tookMs} ms, wait-ssh ${b.waitedMs} ms`);
  });

  it('names a boot command nobody acted on: typed at the prompt but never entered, nothing requested, a still screen', {timeout: 150_000}, async () => {
    // The <enter> is missing: the line waits at isolinux's boot: prompt and the guest never
    // boots. The profile's own pattern and the HTTP watch cannot see it; the evidence can.
    const b = await failingBuild('out-not-entered', (y) => y.replace(TINY_BOOT, "'<waitFor \"boot:\" 1m>tiny url=http://{{ .HTTPIP }}:{{ .HTTPPort }}/tiny.cfg'"));
    expect(b.r.exitCode, b.r.all).toBe(1);
    expect(b.r.stderr).toMatch(/build failed at wait-ssh: the guest did nothing with its boot command: nothing was requested from the HTTP server 1m0\ds after it was typed, and the screen has not changed for (?:\d+m)?[\d.]+s/);
    expect(b.failed?.error).toMatch(/\n {2}- the screen shows: .*boot: tiny url=http:\/\/10\.0\.2\.2:\d+\/tiny\.cfg/);
    expect(b.waitedMs).toBeGreaterThanOrEqual(59_000);
    expect(b.waitedMs).toBeLessThan(75_000);
    expect(b.logs.some((l) => l.source === 'http')).toBe(false);
    expect(processAlive(b.qemuPid)).toBe(false);
    console.log(`[ssh-watch e2e] boot command never entered: build ${b.tookMs} ms, wait-ssh ${b.waitedMs} ms`);
  });

  it('fails fast on a kernel panic, with the panic on screen in the error', {timeout: 180_000}, async () => {
    // No /nonexistent in the initramfs: the kernel falls back to mounting a root= it was not
    // given and panics; panic=0 keeps the panic on screen instead of rebooting.
    const b = await failingBuild('out-panic', (y) => y.replace(TINY_BOOT, "'<waitFor \"boot:\" 1m>tiny rdinit=/nonexistent panic=0 url=http://{{ .HTTPIP }}:{{ .HTTPPort }}/tiny.cfg<enter>'"));
    expect(b.r.exitCode, b.r.all).toBe(1);
    // The console wrapped the panic line at 80 columns: the message has it whole.
    expect(b.r.stderr).toMatch(/build failed at wait-ssh: the VM's screen shows the kernel failing to mount its root file system \(a kernel panic\): "\[ *[\d.]+\] Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block\(0,0\)" — it will not get to SSH from here/);
    expect(b.r.stderr).toContain('hint: fix what the screen');
    // The panic, not ssh_timeout (2 min), ended the wait: the message above names it. (Speed is
    // measured in bench/stop-latency.mjs, not asserted here: a loaded machine boots slowly.)
    expect(b.waitedMs).toBeLessThan(110_000);
    expect(b.failed?.error).toMatch(/\n {2}- the screen shows:\n(?: {2}\| .*\n)*? {2}\| .*Kernel panic - not syncing/);
    const shown = b.failed!.error.split('\n').filter((l) => l.startsWith('  | '));
    expect(shown.length).toBeGreaterThan(3);
    expect(shown.length).toBeLessThanOrEqual(15);
    expect(readdirSync(path.join(b.logDir!, 'screenshots'))).toEqual([expect.stringMatching(/^\d+-failed-wait-ssh\.png$/)]);
    expect(processAlive(b.qemuPid)).toBe(false);
    console.log(`[ssh-watch e2e] kernel panic: build ${b.tookMs} ms, wait-ssh ${b.waitedMs} ms`);
  });
});
