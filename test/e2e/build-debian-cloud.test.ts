/**
 * Issue 11's end-to-end contract: a real Debian 12 cloud image (built here from Debian packages by
 * scripts/fixtures/debian-cloud-image.sh, cached by content hash) goes through
 * `vmbench build debian-12-cloud`: vmbench's own NoCloud seed gives it the build's key, cloud-init
 * runs, the shell script (seed 002 sections) and the ansible playbook provision it, the instance
 * is cleaned, and the image lands in the output folder. The image is then read back without
 * booting it (debugfs on its root partition). A second build with user-data whose runcmd fails
 * must be named as a cloud-init failure.
 */
import {existsSync, readdirSync, rmSync} from 'node:fs';
import path from 'node:path';
import {execa} from 'execa';
import {beforeAll, describe, expect, it} from 'vitest';
import {assertBuilt, CACHE, events, ROOT, runCli, runCliSurvivingQemuCrash, tmpDir} from './helpers.js';

const work = tmpDir('vmbench-e2e-cloud-');
/** The whole profile, apt-get install included (npm run accept:cloud). */
const FULL = process.env.VMBENCH_ACCEPT_FULL === '1';
let image = '';

beforeAll(async () => {
  assertBuilt();
  const t0 = Date.now();
  const r = await execa('bash', [path.join(ROOT, 'scripts/fixtures/debian-cloud-image.sh'), path.join(CACHE, 'fixtures')], {reject: false, stderr: 'pipe'});
  expect(r.exitCode, r.stderr).toBe(0);
  image = r.stdout.trim();
  console.info(`[debian-cloud e2e] fixture image ${image} in ${Date.now() - t0} ms`);
}, 1_200_000);

/** The root partition of a qcow2, as a raw file debugfs can read: {file, offset}. */
async function rootPartition(qcow2: string): Promise<string> {
  const raw = path.join(work, `${path.basename(qcow2)}.raw`);
  await execa('qemu-img', ['convert', '-O', 'raw', qcow2, raw]);
  const table = JSON.parse((await execa('sfdisk', ['-J', raw])).stdout) as {partitiontable: {sectorsize?: number; partitions: {start: number; type: string}[]}};
  const part = table.partitiontable.partitions.find((p) => p.type === '83' || /0FC63DAF/i.test(p.type)) ?? table.partitiontable.partitions[0]!;
  // e2fsprogs opens "file?offset=N" (unix_io's offset option): no loop device, no mount.
  return `${raw}?offset=${part.start * (table.partitiontable.sectorsize ?? 512)}`;
}

const debugfs = async (fs: string, request: string): Promise<string> => (await execa('debugfs', ['-R', request, fs], {reject: false})).stdout;

describe('debian-12-cloud from a real Debian cloud image (TCG)', () => {
  it('builds: seed, cloud-init, shell sections, ansible, clean-up; the image is provisioned and clean', {timeout: 1_500_000}, async () => {
    const out = path.join(work, 'out');
    const t0 = Date.now();
    // In the default suite packages= skips the apt-get install (minutes of mirror traffic under
    // TCG); `npm run accept:cloud` (VMBENCH_ACCEPT_FULL=1) builds the profile as it is.
    const r = await runCliSurvivingQemuCrash(['build', 'debian-12-cloud', '--var', `image_url=${image}`, '--var', 'image_checksum=none', ...(FULL ? [] : ['--var', 'packages=']), '--output', out, '--cache-dir', CACHE, '--json']);
    const took = Date.now() - t0;
    expect(r.exitCode, r.all?.slice(-6000)).toBe(0);
    const evs = events(r.stdout);
    const steps = evs.filter((e) => e.type === 'step' && e.status === 'done').map((e) => `${String(e.id)} ${Math.round(Number(e.durationMs) / 1000)}s`);
    console.info(`[debian-cloud e2e] build ${took} ms: ${steps.join(', ')}`);
    const lines = evs.filter((e) => e.type === 'log').map((e) => String(e.line));
    expect(lines.find((l) => l.startsWith('cloud-init seed "cidata"'))).toMatch(/user-data, meta-data \(1 public key for debian\)/);
    expect(lines.find((l) => l.startsWith('cloud-init finished: '))).toMatch(/^cloud-init finished: done \(DataSourceNoCloud/);
    // The shell script's sections (seed 002) and the ansible playbook (seeds 001/004) both ran.
    const sections = evs.filter((e) => e.type === 'section' && e.event === 'end').map((e) => `${String(e.name)}:${String(e.status)}`);
    expect(sections).toEqual(expect.arrayContaining(['system_info:ok', 'zero_free_space:ok', ...(FULL ? ['install_packages:ok', 'clean_packages:ok'] : [])]));
    if (!FULL) expect(sections.some((s) => s.startsWith('install_packages'))).toBe(false);
    expect(lines.some((l) => /TASK \[Record the build in \/etc\/motd\]/.test(l))).toBe(true);
    expect(lines.some((l) => /ok=\d+\s+changed=[1-9]\d*\s+unreachable=0\s+failed=0/.test(l))).toBe(true);
    expect(lines).toContain('emptied /etc/machine-id');
    // zero_free_space: the disk passes discards through, so the root file system is trimmed, not filled.
    expect(lines).toContain('trimmed /');
    expect(lines.some((l) => /^trimmed \/ \(the disk passes discards through\); zeroed 0 MiB/.test(l))).toBe(true);
    expect(lines.some((l) => /^removed [1-9]\d* SSH host key files$/.test(l))).toBe(true);

    // The artifact: a qcow2 grown to disk_size, that qemu-img finds sound.
    const qcow2 = path.join(out, 'debian-12-cloud.qcow2');
    expect(existsSync(qcow2)).toBe(true);
    const info = JSON.parse((await execa('qemu-img', ['info', '--output=json', qcow2])).stdout) as {format: string; 'virtual-size': number};
    expect(info.format).toBe('qcow2');
    expect(info['virtual-size']).toBe(4 * 1024 ** 3);
    await execa('qemu-img', ['check', qcow2]);

    // Inside it, without booting: provisioned, and clean for its next first boot.
    const fs = await rootPartition(qcow2);
    expect(await debugfs(fs, 'cat /etc/motd')).toMatch(/Debian 12 image built by vmbench/);
    expect(await debugfs(fs, 'cat /etc/ssh/sshd_config.d/50-vmbench.conf')).toContain('PasswordAuthentication no');
    expect(await debugfs(fs, 'cat /etc/vmbench-build')).toContain('built by vmbench from the debian-12-cloud profile');
    if (FULL) expect(await debugfs(fs, 'stat /usr/bin/jq')).toMatch(/Type: regular/);
    expect(await debugfs(fs, 'stat /etc/machine-id')).toMatch(/Size: 0\b/);
    expect(await debugfs(fs, 'ls -l /etc/ssh')).not.toMatch(/ssh_host_/);
    expect(await debugfs(fs, 'ls /var/lib/cloud')).not.toMatch(/instances?\b/);
    // The build's temporary key was removed from the user's authorized_keys.
    const keys = await debugfs(fs, 'cat /home/debian/.ssh/authorized_keys');
    expect(keys).not.toMatch(/vmbench-/);

    // The seed vmbench wrote is in the log folder.
    const logDir = /logs in (\S+)|logs: (\S+)/.exec(r.stderr);
    const dir = logDir?.[1] ?? logDir?.[2];
    if (dir) expect(readdirSync(path.join(dir, 'cloud-init')).sort()).toEqual(['meta-data', 'user-data']);
    rmSync(fs.split('?')[0]!, {force: true});
  });

  it('names a cloud-init failure from its own status and logs', {timeout: 1_200_000}, async () => {
    const profile = path.join(work, 'broken');
    await execa('cp', ['-r', path.join(ROOT, 'profiles/debian-12-cloud'), profile]);
    const ud = path.join(profile, 'cloud-init/user-data');
    await execa('sh', ['-c', `printf '%s\\n' 'runcmd:' '  - [sh, -c, "echo vmbench-boom >&2; exit 3"]' >> '${ud}'`]);
    const out = path.join(work, 'out-broken');
    const r = await runCli(['build', profile, '--var', `image_url=${image}`, '--var', 'image_checksum=none', '--output', out, '--cache-dir', CACHE, '--plain']);
    expect(r.exitCode, r.all?.slice(-4000)).toBe(1);
    expect(r.stderr).toMatch(/build failed at cloud-init: cloud-init failed \(status: error\): .*scripts_user|runcmd/);
    expect(r.all).toMatch(/vmbench-boom|Failed running .*runcmd/);
    expect(existsSync(out)).toBe(false);
    console.info(`[debian-cloud e2e] failure named: ${r.stderr.split('\n').find((l) => l.includes('build failed')) ?? ''}`);
  });
});
