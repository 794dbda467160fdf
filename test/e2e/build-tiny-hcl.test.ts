/**
 * The tiny guest built from a Packer HCL2 template folder (test/fixtures/tiny-hcl: the tiny
 * profile written as *.pkr.hcl with variables, locals, a validation block and an auto var file)
 * by the real CLI on real QEMU, with variables from every source Packer reads, in its order.
 */
import {cpSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {execa} from 'execa';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {assertBuilt, BIN, CACHE, events, ROOT, tmpDir} from './helpers.js';

const work = tmpDir();
afterAll(() => rmSync(work, {recursive: true, force: true}));
beforeAll(() => assertBuilt());

/** The real CLI, its state kept inside `work` (removed after). */
const cli = (args: string[], env: Record<string, string> = {}) =>
  execa('node', [BIN, ...args], {reject: false, all: true, stdin: 'ignore', env: {CI: 'true', XDG_STATE_HOME: path.join(work, 'state'), XDG_CACHE_HOME: path.join(work, 'state', 'cache'), ...env}});

let copies = 0;
/** profiles/tiny without its profile.yaml, plus the HCL2 template files (inside `work`, removed after). */
function tinyHclFolder(): string {
  const dir = path.join(work, `template-${copies++}`, 'tiny');
  cpSync(path.join(ROOT, 'profiles', 'tiny'), dir, {recursive: true});
  rmSync(path.join(dir, 'profile.yaml'));
  cpSync(path.join(ROOT, 'test', 'fixtures', 'tiny-hcl'), dir, {recursive: true});
  return dir;
}

describe('vmbench build <folder of *.pkr.hcl> (real QEMU)', () => {
  it('validates the folder, naming a failed variable validation at its file:line', {timeout: 60_000}, async () => {
    const dir = tinyHclFolder();
    const ok = await cli(['validate', dir]);
    expect(ok.exitCode, ok.all).toBe(0);
    const bad = await cli(['validate', dir, '-var', 'memory=64']);
    expect(bad.exitCode, bad.all).toBe(2);
    expect(bad.all).toMatch(/variables\.pkr\.hcl:17:3: .*The tiny guest needs at least 128 MiB\./);
  });

  it('builds an image; -var beats -var-file, which beats the auto var file and PKR_VAR_', {timeout: 240_000}, async () => {
    const dir = tinyHclFolder();
    const marker = `hcl-${Date.now()}`;
    const varFile = path.join(work, 'extra.pkrvars.hcl');
    writeFileSync(varFile, 'marker = "from-var-file"\nmemory = 192\n');
    const out = path.join(work, 'out-hcl');
    const r = await cli(['build', dir, '--json', '--output', out, '--cache-dir', CACHE, `-var-file=${varFile}`, '-var', `marker=${marker}`], {PKR_VAR_marker: 'from-env', PKR_VAR_memory: '160'});
    expect(r.exitCode, r.stderr).toBe(0);
    const evs = events(r.stdout);
    // Packer's default image name for source "qemu" "tiny": packer-tiny.
    const image = path.join(out, 'packer-tiny');
    expect(evs.filter((e) => e.type === 'artifact' && e.format !== 'manifest' && !String(e.path).endsWith('SUMS')).map((e) => e.path)).toEqual([image]);
    expect(readdirSync(out).sort()).toEqual(['.vmbench-output', 'SHA256SUMS', 'manifest.json', 'packer-tiny']);
    const logs = evs.filter((e) => e.type === 'log') as Array<{source: string; line: string}>;
    // The guest fetched the http_content file whose path came from a local.
    expect(logs.some((l) => l.source === 'http' && /GET \/tiny\.cfg → 200/.test(l.line))).toBe(true);
    // memory came from the -var-file (over PKR_VAR_memory): QEMU ran with -m 192.
    expect(logs.some((l) => /-m 192M?\b/.test(l.line)), 'the QEMU command line with -m 192').toBe(true);
    const raw = path.join(work, 'tiny-hcl.raw');
    await execa('qemu-img', ['convert', '-O', 'raw', image, raw]);
    const disk = readFileSync(raw);
    rmSync(raw);
    expect(disk.includes(Buffer.from(`VMBENCH_TINY_MARKER ${marker}`))).toBe(true);
  });

  it('logs in with the key of a `data "sshkey"` source, its public key handed to the guest in http_content', {timeout: 240_000}, async () => {
    const dir = tinyHclFolder();
    const tpl = path.join(dir, 'tiny.pkr.hcl');
    const text = readFileSync(tpl, 'utf8');
    // The guest gets the data source's public key, and vmbench has no password to fall back on.
    const edited = text
      .replace('authorized_key={{ .SSHPublicKey }}', 'authorized_key=${data.sshkey.install.public_key}')
      .replace(/^ {2}ssh_password +=.*$/m, '  ssh_private_key_file     = data.sshkey.install.private_key_path');
    expect(edited).not.toBe(text);
    writeFileSync(tpl, `data "sshkey" "install" {\n  type = "ed25519"\n  name = "tiny-e2e"\n}\n\n${edited}`);
    const cache = path.join(work, 'state', 'cache');
    const out = path.join(work, 'out-sshkey');
    const r = await cli(['build', dir, '--json', '--output', out, '--cache-dir', CACHE]);
    expect(r.exitCode, r.stderr).toBe(0);
    const key = path.join(cache, 'vmbench', 'sshkey', 'ssh_private_key_tiny-e2e_ed25519.pem');
    // Built: vmbench logged in over SSH with that key alone (the template gives it no password,
    // and the guest authorizes only the data source's public key).
    expect(readdirSync(out)).toContain('packer-tiny');
    expect(readFileSync(key, 'utf8')).toMatch(/^-----BEGIN OPENSSH PRIVATE KEY-----/);
    // The key stays for the next build (as the plugin's does), made by vmbench in its cache only.
    expect(readdirSync(path.dirname(key))).toEqual(['ssh_private_key_tiny-e2e_ed25519.pem']);
  });

  it('builds every build of a template with several, as packer build does: side by side, one output each', {timeout: 300_000}, async () => {
    const dir = tinyHclFolder();
    const tpl = path.join(dir, 'tiny.pkr.hcl');
    const text = readFileSync(tpl, 'utf8');
    // A second build of the same source, named "two", with a marker of its own.
    const edited = text.replace(/^( {2}sources +=.*)$/m, '$1\n  source "source.qemu.tiny" {\n    name = "two"\n  }');
    expect(edited).not.toBe(text);
    writeFileSync(tpl, edited);
    const out = path.join(work, 'out-two');
    const r = await cli(['build', dir, '--plain', '--output', out, '--cache-dir', CACHE]);
    expect(r.exitCode, r.all).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['tiny', 'two']);
    for (const b of ['tiny', 'two']) {
      const files = readdirSync(path.join(out, b));
      expect(files, b).toContain('SHA256SUMS');
      expect(files.some((f) => f.startsWith('packer-')), `${b}: ${files.join(' ')}`).toBe(true);
    }
    // The summary names both builds.
    expect(r.stdout).toMatch(/\btiny\b.*\bdone\b|\bdone\b.*\btiny\b/);
    expect(r.stdout).toMatch(/\btwo\b.*\bdone\b|\bdone\b.*\btwo\b/);
  });
});
