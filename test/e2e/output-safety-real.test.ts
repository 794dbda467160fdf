/**
 * Output folders and bad input through the real CLI (the tiny profile; no guest boots): the
 * user's `--force --output .` in a folder of their files refuses before any step and deletes
 * nothing; a corrupt disk image fails with one line naming the file and the previous output
 * survives; an output folder vmbench cannot write and a vm_name that escapes are one-line errors.
 */
import {existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {execa} from 'execa';
import {beforeAll, describe, expect, it} from 'vitest';
import {assertBuilt, BIN, CACHE, events, processAlive, runCli, stepRunning, tinyProfileCopy, tmpDir, watchBuild} from './helpers.js';

beforeAll(() => assertBuilt());

/** The files under `dir`, recursively, with their contents. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of readdirSync(dir, {recursive: true}) as string[]) {
    const p = path.join(dir, f);
    try {
      out[f] = readFileSync(p, 'utf8');
    } catch {
      out[f] = '<dir>';
    }
  }
  return out;
}

const started = (stdout: string): string[] => events(stdout).filter((e) => e.type === 'step' && e.status === 'running').map((e) => e.id as string);

describe('output folders (real CLI)', () => {
  it('--force --output . in a folder of other files refuses before anything starts and deletes nothing', {timeout: 60_000}, async () => {
    const here = tmpDir('vmbench-userdir-');
    mkdirSync(path.join(here, 'photos'));
    writeFileSync(path.join(here, 'thesis.tex'), 'years of work');
    writeFileSync(path.join(here, 'photos', 'cat.jpg'), 'meow');
    const before = snapshot(here);
    const state = tmpDir('vmbench-state-');
    const r = await execa('node', [BIN, 'build', 'tiny', '--json', '--force', '--output', '.', '--cache-dir', CACHE], {
      cwd: here,
      reject: false,
      env: {CI: 'true', XDG_STATE_HOME: state},
      stdin: 'ignore',
    });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain(`vmbench: build failed at prepare-output: refusing to use ${here} as the output folder: it is the working folder, and a build replaces its output folder whole\n`);
    expect(started(r.stdout)).toEqual([]);
    expect(snapshot(here)).toEqual(before);
    expect(readdirSync(path.dirname(here)).filter((f) => f.startsWith(`.${path.basename(here)}.vmbench-`))).toEqual([]);
  });

  it('--force over a folder of other files names them and leaves them', {timeout: 60_000}, async () => {
    const out = path.join(tmpDir(), 'mine');
    mkdirSync(out);
    writeFileSync(path.join(out, 'notes.txt'), 'keep me');
    const r = await runCli(['build', 'tiny', '--plain', '--force', '--output', out, '--cache-dir', CACHE]);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain(`refusing to replace the output folder: ${out} holds files vmbench did not make (notes.txt; no .vmbench-output in it): --force replaces only vmbench's own output folders`);
    expect(readdirSync(out)).toEqual(['notes.txt']);
  });

  it('an output folder vmbench cannot write is one line naming it', {timeout: 60_000}, async () => {
    const r = await runCli(['build', 'tiny', '--plain', '--output', '/sys/vmbench-e2e-out', '--cache-dir', CACHE]);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/build failed at prepare-output: cannot create the work folder \/sys\/\.vmbench-e2e-out\.vmbench-[0-9a-f]{8} beside the output folder: operation not permitted\n/);
    expect(started(r.stdout)).not.toContain('create-disk');
  });
});

describe('replacing a previous output (real QEMU)', () => {
  it('a cancelled --force rebuild leaves the previous output whole; a finished one replaces it', {timeout: 180_000}, async () => {
    const dir = tmpDir();
    const out = path.join(dir, 'out');
    // An earlier build's output, as vmbench leaves it (marker included).
    mkdirSync(out);
    writeFileSync(path.join(out, '.vmbench-output'), JSON.stringify({tool: 'vmbench', build_id: '00000000', profile: 'tiny', created: '2024-01-01T00:00:00Z', pid: 1}));
    writeFileSync(path.join(out, 'tiny.qcow2'), 'the previous image');
    writeFileSync(path.join(out, 'SHA256SUMS'), 'sums');
    const previous = snapshot(out);

    // Ctrl-C once QEMU runs: cleaned up, and the previous output untouched.
    const w = watchBuild(['tiny', '--force', '--output', out, '--cache-dir', CACHE], {XDG_STATE_HOME: tmpDir('vmbench-state-')});
    const {child} = w;
    await w.when(stepRunning('type-boot-command'));
    const qemuPid = w.qemuPid();
    child.kill('SIGINT');
    const cancelled = await child;
    expect(cancelled.exitCode).toBe(130);
    expect(qemuPid).toBeGreaterThan(0);
    expect(processAlive(qemuPid)).toBe(false);
    expect(snapshot(out)).toEqual(previous);
    expect(readdirSync(dir)).toEqual(['out']);

    const again = await runCli(['build', 'tiny', '--json', '--force', '--output', out, '--cache-dir', CACHE]);
    expect(again.exitCode, String(again.all).slice(-2000)).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['.vmbench-output', 'SHA256SUMS', 'manifest.json', 'tiny.qcow2']);
    expect(JSON.parse(readFileSync(path.join(out, '.vmbench-output'), 'utf8')).build_id).toMatch(/^(?!00000000)[0-9a-f]{8}$/);
    expect((await execa('qemu-img', ['check', path.join(out, 'tiny.qcow2')], {reject: false})).exitCode).toBe(0);
    expect(readdirSync(dir)).toEqual(['out']);
  });
});

describe('bad input (real CLI)', () => {
  it('a corrupt disk image fails at create-disk naming the file; the previous output survives, nothing is left', {timeout: 60_000}, async () => {
    const dir = tmpDir();
    const image = path.join(dir, 'cloud.qcow2');
    writeFileSync(image, Buffer.concat([Buffer.from('QFI\xfb', 'latin1'), Buffer.alloc(4096, 0x41)]));
    const profile = tinyProfileCopy((y) => y.replace('iso_build: build-iso.sh', `iso_url: ${image}\ndisk_image: true\niso_target_extension: qcow2`));
    // A previous output of vmbench's, which --force may replace — but only with a finished build.
    const out = path.join(dir, 'out');
    mkdirSync(out);
    writeFileSync(path.join(out, '.vmbench-output'), JSON.stringify({tool: 'vmbench', build_id: '00000000', profile: 'tiny', created: '2024-01-01T00:00:00Z', pid: 1}));
    writeFileSync(path.join(out, 'tiny.qcow2'), 'the previous image');
    const r = await runCli(['build', profile, '--json', '--force', '--output', out, '--cache-dir', CACHE]);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/vmbench: build failed at create-disk: \S+ is not a disk image qemu-img can read: Could not open '\S+': Unsupported qcow2 version \d+\n {2}hint: disk_image: true needs iso_url to be a disk image/);
    expect(started(r.stdout)).not.toContain('start-vm');
    expect(readFileSync(path.join(out, 'tiny.qcow2'), 'utf8')).toBe('the previous image');
    expect(readdirSync(dir).sort()).toEqual(['cloud.qcow2', 'out']);
  });

  it('a vm_name that climbs out of the output folder is a file:line error before anything runs', {timeout: 60_000}, async () => {
    const profile = tinyProfileCopy((y) => `${y}\nvm_name: ../../escaped.qcow2\n`);
    const out = path.join(tmpDir(), 'out');
    const r = await runCli(['build', profile, '--plain', '--output', out, '--cache-dir', CACHE]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`${path.join(profile, 'profile.yaml').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+: vm_name: "\\.\\./\\.\\./escaped\\.qcow2" must be a file name, not a path \\(no "/"\\)`));
    expect(existsSync(out)).toBe(false);
  });
});
