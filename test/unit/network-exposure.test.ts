/** Nobody let in by default: VNC password on, binds on loopback; a profile asking otherwise is warned at file:line. */
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {afterAll, describe, expect, it} from 'vitest';
import type {ProfileIssue} from '../../src/profiles/document.js';
import {loadProfiles, parseProfile} from '../../src/profiles/loader.js';
import {isLoopback} from '../../src/profiles/network-exposure.js';

const minimal = 'iso_url: /isos/x.iso\nssh_username: root\n';
const dir = mkdtempSync(path.join(os.tmpdir(), 'vmbench-exposure-'));
afterAll(() => rmSync(dir, {recursive: true, force: true}));

function warnings(yaml: string): {profile: ReturnType<typeof parseProfile>; warnings: string[]} {
  const w: ProfileIssue[] = [];
  const profile = parseProfile(yaml, '/p/profile.yaml', 'demo', {warnings: w});
  return {profile, warnings: w.map((i) => `${i.file}:${i.line} ${i.field}: ${i.message}`)};
}

describe('network exposure of a build', () => {
  it('by default: a VNC password, and VNC and HTTP on loopback, without a word', () => {
    const r = warnings(minimal);
    expect(r.profile).toMatchObject({vnc_use_password: true, vnc_bind_address: '127.0.0.1', http_bind_address: '127.0.0.1'});
    expect(r.warnings).toEqual([]);
  });

  it('vnc_use_password: false opts out, with a warning at its line that any local user can connect', () => {
    const r = warnings(`${minimal}vnc_use_password: false\n`);
    expect(r.profile.vnc_use_password).toBe(false);
    expect(r.warnings).toEqual([expect.stringMatching(/^\/p\/profile\.yaml:3 vnc_use_password: is false: .*any local user .* can watch the VM’s screen and type into it$/)]);
    expect(warnings(`${minimal}vnc_use_password: false\nvnc_password: secret\n`).warnings[0]).toBe('/p/profile.yaml:4 vnc_password: has no effect without vnc_use_password: true');
  });

  it('binds off loopback are warned at their lines, saying who can reach what', () => {
    const r = warnings(`${minimal}http_bind_address: 0.0.0.0\nvnc_bind_address: 192.0.2.7\n`);
    expect(r.warnings).toEqual([
      '/p/profile.yaml:4 vnc_bind_address: 192.0.2.7: the VM’s VNC server is open to the network of 192.0.2.7, behind the build’s VNC password',
      expect.stringMatching(/^\/p\/profile\.yaml:3 http_bind_address: 0\.0\.0\.0: the files served to the guest \(its answer file\) are open to every network this host is on/),
    ]);
    expect(warnings(`${minimal}vnc_bind_address: "::"\nvnc_use_password: false\n`).warnings).toContainEqual(expect.stringMatching(/vnc_bind_address: ::: .*every network.* without a password/));
  });

  it('a Packer template saying http_bind_address 0.0.0.0 (Packer’s own default) is warned at its line; unset, vmbench’s loopback applies', () => {
    const file = path.join(dir, 'template.json');
    const builder = (extra: string) => `{\n  "builders": [{\n    "type": "qemu",\n    "iso_url": "/isos/x.iso",\n    "iso_checksum": "none",\n    "ssh_username": "root",${extra}\n    "boot_wait": "1s"\n  }]\n}\n`;
    writeFileSync(file, builder('\n    "http_bind_address": "0.0.0.0",'));
    const [l] = loadProfiles(file);
    expect(l!.warnings?.map((w) => `${w.line} ${w.field}`)).toEqual(['7 http_bind_address']);
    writeFileSync(file, builder(''));
    const [d] = loadProfiles(file);
    expect(d!.profile).toMatchObject({http_bind_address: '127.0.0.1', vnc_use_password: true});
    expect((d!.warnings ?? []).filter((w) => /bind_address|vnc_use_password/.test(w.field))).toEqual([]);
  });

  it.each([
    ['127.0.0.1', true], ['127.1.2.3', true], ['::1', true], ['[::1]', true], ['localhost', true], ['::ffff:127.0.0.1', true],
    ['0.0.0.0', false], ['::', false], ['10.0.0.5', false], ['example.invalid', false],
  ])('isLoopback(%s) = %s', (a, want) => expect(isLoopback(a)).toBe(want));
});
