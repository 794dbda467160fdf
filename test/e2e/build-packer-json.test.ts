/**
 * The tiny profile as a Packer JSON template (profiles/tiny/packer/tiny.json, the file
 * bench/build-vs-packer.mjs also gives to Packer) built end to end by `vmbench build
 * template.json` on real QEMU: the ISO through -var, the guest fetching tiny.cfg from the
 * template's http directory, the provisioner's marker read back from the image.
 */
import {execFileSync} from 'node:child_process';
import {readdirSync, readFileSync, rmSync} from 'node:fs';
import path from 'node:path';
import {execa} from 'execa';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {assertBuilt, CACHE, events, ROOT, runCli, tmpDir} from './helpers.js';

const TEMPLATE = path.join(ROOT, 'profiles/tiny/packer/tiny.json');
const work = tmpDir('vmbench-packer-json-');
let iso = '';
afterAll(() => rmSync(work, {recursive: true, force: true}));
beforeAll(() => {
  assertBuilt();
  // The tiny ISO, built from the host's Debian packages and cached by content (as the tiny profile's iso_build does).
  iso = execFileSync('bash', [path.join(ROOT, 'profiles/tiny/build-iso.sh'), path.join(CACHE, 'iso-build')], {stdio: ['ignore', 'pipe', 'pipe']}).toString().trim().split('\n').pop()!;
});

describe('vmbench build template.json (a Packer JSON template, real QEMU)', () => {
  it('validates, then builds an image holding what the provisioner wrote', {timeout: 240_000}, async () => {
    const v = await runCli(['validate', TEMPLATE, '-var', `iso_url=${iso}`]);
    expect(v.exitCode, v.all).toBe(0);

    const marker = `json-${Date.now()}`;
    const out = path.join(work, 'out');
    const r = await runCli(['build', TEMPLATE, '--json', '-var', `iso_url=${iso}`, '-var', `output_directory=${out}`, '-var', `marker=${marker}`, '--cache-dir', CACHE]);
    expect(r.exitCode, r.stderr).toBe(0);
    const evs = events(r.stdout);
    // Packer's names: the build is the builder's name, the image is the template's vm_name.
    expect(evs.filter((e) => e.type === 'artifact' && e.format !== 'manifest' && !String(e.path).endsWith('SUMS')).map((e) => e.path)).toEqual([path.join(out, 'tiny.qcow2')]);
    const logs = evs.filter((e) => e.type === 'log') as Array<{source: string; line: string}>;
    // tiny.cfg came from the template's own http directory ({{ template_dir }}/http), served as it is.
    expect(logs.some((l) => l.source === 'http' && /GET \/tiny\.cfg → 200/.test(l.line))).toBe(true);
    expect(logs.some((l) => l.source === 'provisioner' && l.line.startsWith('BEGIN{'))).toBe(true);
    expect(readdirSync(out).sort()).toEqual(['.vmbench-output', 'SHA256SUMS', 'manifest.json', 'tiny.qcow2']);
    const raw = path.join(work, 'tiny.raw');
    await execa('qemu-img', ['convert', '-O', 'raw', path.join(out, 'tiny.qcow2'), raw]);
    expect(readFileSync(raw).includes(Buffer.from(`VMBENCH_TINY_MARKER ${marker}`))).toBe(true);
    rmSync(raw);
  });

  it('names a build that is not in the template, before anything starts', {timeout: 30_000}, async () => {
    const r = await runCli(['build', TEMPLATE, '--plain', '-var', `iso_url=${iso}`, '-only', 'tiyn', '--cache-dir', CACHE]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('-only=tiyn: no builder is named so (did you mean "tiny"?) (builders: tiny)');
  });
});
