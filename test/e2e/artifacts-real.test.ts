/**
 * Issue 12, formats and records, on a real tiny build: `--also` writes every format beside the
 * image, each holding the same disk as the image (`qemu-img compare`), the vmdk streamOptimized;
 * SHA256SUMS and SHA512SUMS pass `sha256sum -c`/`sha512sum -c` run in the folder; manifest.json
 * is a Packer manifest with vmbench's record (steps with durations, tool versions, variables
 * with the password redacted, sizes against the virtual size); --timestamp names the folder;
 * `--also containerdisk` leaves an OCI archive that skopeo copies and umoci unpacks to the image.
 */
import {readdirSync, readFileSync, statSync} from 'node:fs';
import path from 'node:path';
import {execa} from 'execa';
import {beforeAll, describe, expect, it} from 'vitest';
import {assertBuilt, CACHE, events, runCli, tinyProfileCopy, tmpDir} from './helpers.js';

beforeAll(() => assertBuilt());

describe('artifacts (real QEMU build)', () => {
  it('writes every format, checksums and a manifest that the host tools accept', {timeout: 300_000}, async () => {
    const work = tmpDir('vmbench-e2e-artifacts-');
    const profile = tinyProfileCopy((y) => `${y}\nchecksums: [sha256, sha512]\n`);
    const r = await runCli(['build', profile, '--json', '--cache-dir', CACHE, '--output', path.join(work, 'out'), '--timestamp', '--also', 'raw,vmdk,vdi', '--also', 'vhd,vhdx,qcow2,containerdisk']);
    expect(r.exitCode, String(r.all).slice(-4000)).toBe(0);
    const dirs = readdirSync(work);
    expect(dirs).toHaveLength(1);
    expect(dirs[0]).toMatch(/^out-\d{8}-\d{6}$/);
    const out = path.join(work, dirs[0]!);
    const files = readdirSync(out).sort();
    expect(files).toEqual(['.vmbench-output', 'SHA256SUMS', 'SHA512SUMS', 'manifest.json', 'tiny.compressed.qcow2', 'tiny.containerdisk.tar', 'tiny.qcow2', 'tiny.raw', 'tiny.vdi', 'tiny.vhd', 'tiny.vhdx', 'tiny.vmdk']);

    const image = path.join(out, 'tiny.qcow2');
    for (const [file, fmt] of [['tiny.raw', 'raw'], ['tiny.vmdk', 'vmdk'], ['tiny.vdi', 'vdi'], ['tiny.vhd', 'vpc'], ['tiny.vhdx', 'vhdx'], ['tiny.compressed.qcow2', 'qcow2']]) {
      const cmp = await execa('qemu-img', ['compare', '-f', 'qcow2', '-F', fmt!, image, path.join(out, file!)], {reject: false});
      expect(cmp.exitCode, `${file}: ${cmp.stdout} ${cmp.stderr}`).toBe(0);
    }
    const vmdk = JSON.parse((await execa('qemu-img', ['info', '--output=json', path.join(out, 'tiny.vmdk')])).stdout);
    expect(vmdk['format-specific'].data['create-type']).toBe('streamOptimized');
    for (const f of ['tiny.vdi', 'tiny.vhdx', 'tiny.compressed.qcow2']) expect((await execa('qemu-img', ['check', path.join(out, f)], {reject: false})).exitCode, f).toBe(0);

    // The containerDisk, read by Debian's skopeo and unpacked by umoci: the image at /disk/, 107:107.
    const archive = path.join(out, 'tiny.containerdisk.tar');
    const layout = path.join(work, 'layout');
    await execa('skopeo', ['copy', '-q', `oci-archive:${archive}`, `oci:${layout}:built`]);
    const bundle = path.join(work, 'bundle');
    await execa('umoci', ['unpack', '--image', `${layout}:built`, bundle]);
    const disk = path.join(bundle, 'rootfs', 'disk', 'tiny.qcow2');
    expect(readFileSync(disk).equals(readFileSync(image))).toBe(true);
    expect(statSync(disk)).toMatchObject({uid: 107, gid: 107});

    for (const [tool, sums] of [['sha256sum', 'SHA256SUMS'], ['sha512sum', 'SHA512SUMS']]) {
      const c = await execa(tool!, ['-c', '--strict', sums!], {cwd: out, reject: false});
      expect(c.exitCode, c.stdout + c.stderr).toBe(0);
      // Every file but the checksum files themselves and vmbench's marker, the manifest included.
      expect(c.stdout.split('\n').map((l) => l.replace(/: OK$/, '')).sort()).toEqual(files.filter((f) => !f.endsWith('SUMS') && f !== '.vmbench-output'));
    }

    const manifest = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8'));
    const build = manifest.builds[0];
    expect(build).toMatchObject({name: 'tiny', builder_type: 'qemu', artifact_id: 'VM'});
    expect(manifest.last_run_uuid).toBe(build.packer_run_uuid);
    expect(build.files.map((f: {name: string}) => path.basename(f.name)).sort()).toEqual(files.filter((f) => !f.endsWith('SUMS') && f !== 'manifest.json' && f !== '.vmbench-output'));
    const v = build.vmbench;
    expect(v.variables.ssh_password).toBe('<sensitive>');
    expect(v.tools['qemu-img']).toMatch(/^qemu-img version \d/);
    expect(v.accelerator).toMatch(/^(kvm|tcg)$/);
    const steps = v.steps.map((s: {id: string}) => s.id);
    expect(steps).toEqual(expect.arrayContaining(['start-vm', 'wait-ssh', 'shutdown', 'convert', 'post-process']));
    expect(v.steps.every((s: {seconds: number; status: string}) => s.seconds >= 0 && s.status === 'done')).toBe(true);
    const raw = v.artifacts.find((a: {file: string}) => a.file === 'tiny.raw');
    expect(raw).toMatchObject({virtual_size: 64 * 1024 * 1024, ratio: 1});
    expect(raw.checksums.sha256).toBe(readFileSync(path.join(out, 'SHA256SUMS'), 'utf8').match(/^(\w+) {2}tiny\.raw$/m)![1]);

    const artifacts = events(String(r.stdout)).filter((e) => e.type === 'artifact').map((e) => path.basename(String(e.path)));
    expect(artifacts).toEqual(expect.arrayContaining(['tiny.vmdk', 'tiny.vhdx', 'tiny.containerdisk.tar', 'manifest.json', 'SHA256SUMS', 'SHA512SUMS']));
    // Each copy's size against the virtual size is in the log.
    expect(String(r.stdout)).toMatch(/tiny\.vmdk \(vmdk\): [\d.]+ KiB, [\d.]+% of 64 MiB virtual/);
  });

  it('refuses an unknown --also word before anything starts', async () => {
    const work = tmpDir('vmbench-e2e-artifacts-bad-');
    const r = await runCli(['build', 'tiny', '--plain', '--output', path.join(work, 'out'), '--also', 'raw,vmkd']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/--also: unknown artifact "vmkd" — did you mean vmdk\?/);
    expect(readdirSync(work)).toEqual([]);
  });
});
