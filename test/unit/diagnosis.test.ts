import {describe, expect, it} from 'vitest';
import {diagnoseStall, explainFailure, verdictMessage, type DiagnosisInput} from '../../src/engine/diagnosis.js';
import {BuildEvidence} from '../../src/engine/evidence.js';
import type {HttpRequestRecord} from '../../src/http/server.js';

const T0 = 1_000_000;
const req = (path: string, status: number, at: number): HttpRequestRecord => ({time: T0 + at, method: 'GET', path, status, bytes: 0});
const http = {guestIp: '10.0.2.2', port: 8123, dir: 'http', files: ['preseed.cfg']};

function evidence(f: (e: BuildEvidence) => void = () => {}): BuildEvidence {
  const e = new BuildEvidence();
  e.bootTyped(T0, ['http://10.0.2.2:8123/preseed.cfg'], true);
  f(e);
  return e;
}
const input = (at: number, ev: BuildEvidence, requests: HttpRequestRecord[] = []): DiagnosisInput => ({now: T0 + at, evidence: ev, requests, http});
const log = (source: 'qemu' | 'serial', line: string, stream: 'stderr' | 'stdout' = 'stderr') => ({type: 'log' as const, time: 0, source, stream, line});

describe('diagnoseStall', () => {
  it('says nothing before the boot command, or while a healthy guest is early', () => {
    expect(diagnoseStall({now: T0 + 600_000, evidence: new BuildEvidence(), requests: []})).toBeUndefined();
    expect(diagnoseStall(input(30_000, evidence((e) => e.screenRead(['booting'], T0, true))))).toBeUndefined();
    // a still screen but the guest already fetched its file: nothing to say
    expect(diagnoseStall(input(600_000, evidence((e) => e.screenRead(['x'], T0, true)), [req('/preseed.cfg', 200, 5000)]))).toBeUndefined();
  });

  it('names an answer file that 404s once the guest stopped asking for 20 s (or kept failing 45 s), with what the directory holds', () => {
    const reqs = [req('/preseed.cgf', 404, 10_000)];
    expect(diagnoseStall(input(25_000, evidence(), reqs))).toBeUndefined();
    // Still retrying every 5 s: not yet — until the first failure is 45 s old.
    const retrying = [10_000, 15_000, 20_000, 25_000, 30_000, 35_000, 40_000, 45_000, 50_000].map((t) => req('/preseed.cgf', 404, t));
    expect(diagnoseStall(input(52_000, evidence(), retrying))).toBeUndefined();
    expect(diagnoseStall(input(55_000, evidence(), retrying))!.cause).toBe('the guest never got its answer file: GET /preseed.cgf → 404 (×9)');
    const v = diagnoseStall(input(31_000, evidence(), reqs))!;
    expect(v.rule).toBe('answer-file-404');
    expect(v.cause).toBe('the guest never got its answer file: GET /preseed.cgf → 404');
    expect(v.evidence).toContain('http_directory (http) holds: preseed.cfg');
    // one optional file 404s while another was served: not a stop (cloud-init's vendor-data)
    expect(diagnoseStall(input(120_000, evidence(), [req('/user-data', 200, 1000), req('/vendor-data', 404, 1100)]))).toBeUndefined();
  });

  it('names a guest without network after 60 s from the screen, serial or QEMU', () => {
    const screen = evidence((e) => e.screenRead(['ip: SIOCGIFFLAGS: No such device'], T0 + 5000, true));
    expect(diagnoseStall(input(50_000, screen))).toBeUndefined();
    const v = diagnoseStall(input(61_000, screen))!;
    expect(v.rule).toBe('no-network');
    expect(v.cause).toMatch(/^the guest has no network: nothing reached the HTTP server 1m01s after the boot command/);
    expect(v.evidence[0]).toBe('the guest says "SIOCGIFFLAGS: No such device" (screen)');

    const slirp = evidence((e) => {
      for (let i = 0; i < 3; i++) e.observe(log('qemu', 'qemu-system-x86_64: Slirp: Failed to send packet, ret: -1'));
      e.screenRead(['still booting'], T0 + 59_000, true);
    });
    expect(diagnoseStall(input(61_000, slirp))!.evidence[0]).toMatch(/Slirp: Failed to send packet" ×3/);

    const serial = evidence((e) => {
      e.observe(log('serial', "wget: can't connect to remote host (10.0.2.2): Network is unreachable", 'stdout'));
      for (let i = 0; i < 4; i++) e.sshAttempt('handshake', 'no banner');
    });
    const s = diagnoseStall(input(70_000, serial))!;
    expect(s.evidence).toEqual(['the guest says "Network is unreachable" (serial console)', 'every SSH connection (4) was accepted by QEMU but the guest never answered it']);

    const peer = evidence((e) => e.observe(log('qemu', 'qemu-system-x86_64: warning: netdev user.0 has no peer')));
    expect(diagnoseStall(input(60_000, peer))!.evidence[0]).toMatch(/not connected to the user network/);
  });

  it('names a boot command nobody acted on: no request and a still screen', () => {
    const still = evidence((e) => e.screenRead(['boot:'], T0 + 2000, true));
    expect(diagnoseStall(input(59_000, still))).toBeUndefined();
    const v = diagnoseStall(input(60_000, still))!;
    expect(v.rule).toBe('boot-command-ignored');
    expect(v.cause).toMatch(/nothing was requested from the HTTP server 1m00s after it was typed, and the screen has not changed for 58.0s/);
    // a screen that keeps changing is a guest at work
    const busy = evidence((e) => e.screenRead(['loading'], T0 + 40_000, true));
    expect(diagnoseStall(input(61_000, busy))).toBeUndefined();
    // a boot command that names no server proves nothing
    const quiet = evidence((e) => e.screenRead(['x'], T0, true));
    quiet.boot!.namesServer = false;
    expect(diagnoseStall(input(600_000, quiet))).toBeUndefined();
  });
});

describe('explainFailure', () => {
  const sshAuth = new Error('Gave up on SSH to root@127.0.0.1:2222 after 10 attempts in a row, last: auth rejected');
  it('blames the 404, not SSH authentication, when the guest never got its answer file', () => {
    const ev = evidence((e) => e.sshAttempt('auth', 'auth rejected'));
    const v = explainFailure(sshAuth, input(90_000, ev, [req('/tiny.cgf', 404, 3000)]))!;
    expect(v.cause).toBe('the guest never got its answer file: GET /tiny.cgf → 404');
    expect(verdictMessage(v).split('\n')[0]).toBe(v.cause);
    expect(v.evidence.at(-1)).toMatch(/^then: Gave up on SSH .* without its answer file the guest has no password or key/);
  });

  it('says the guest never fetched anything, or had no network, when nothing was requested', () => {
    const timeout = new Error('Timed out after 5m waiting for SSH');
    expect(explainFailure(timeout, input(300_000, evidence()))!.rule).toBe('never-fetched');
    const nonet = evidence((e) => e.screenRead(['Network is unreachable'], T0, true));
    expect(explainFailure(timeout, input(300_000, nonet))!.rule).toBe('no-network');
  });

  it('adds nothing when the guest got its file', () => {
    expect(explainFailure(sshAuth, input(90_000, evidence(), [req('/preseed.cfg', 200, 1000)]))).toBeUndefined();
  });
});

describe('tellingLogLines', () => {
  it('keeps the last error lines of an installer log with the URL line before them', async () => {
    const {tellingLogLines} = await import('../../src/engine/screen-patterns.js');
    const log = [
      'Dec  6 00:53:32 anna[2835]: DEBUG: retrieving apt-mirror-setup 1:0.182',
      'Dec  6 00:53:33 anna[2835]: http://mirror.example/debian/pool/main/a/apt-setup/apt-mirror-setup_0.182_all.udeb:',
      'Dec  6 00:53:33 anna[2835]: 2026-12-06 00:53:33 ERROR 404: Not Found.',
      'Dec  6 00:53:33 anna[2835]: WARNING **: package retrieval failed',
    ];
    expect(tellingLogLines(log)).toEqual(log.slice(1));
    expect(tellingLogLines(['all fine', 'still fine'])).toEqual([]);
  });
});
