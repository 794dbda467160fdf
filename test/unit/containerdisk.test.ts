/**
 * The containerDisk writer (src/artifacts/containerdisk.ts) read back with GNU tar, not with our
 * own code: the OCI layout and docker-archive structure, the layer (disk/ 0555, disk/<image> 0440,
 * both 107:107), digests, determinism, big sizes and long names, and that a failed or cancelled
 * write leaves nothing. The push (src/artifacts/registry-push.ts) against a fake `skopeo` on PATH
 * that records its argv, environment and auth file: the credentials never reach argv, the
 * environment or a log. The post-processor glue on a finished build's output directory.
 * Real skopeo/umoci and a real registry: test/e2e/containerdisk-real.test.ts.
 */
import {createHash, randomBytes} from 'node:crypto';
import {chmodSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync, closeSync, writeSync, ftruncateSync} from 'node:fs';
import path from 'node:path';
import {gunzipSync} from 'node:zlib';
import {execa} from 'execa';
import {describe, expect, it} from 'vitest';
import {ContainerDiskError, defaultCreated, imageNameProblem, writeContainerDisk, type ContainerDiskOptions} from '../../src/artifacts/containerdisk.js';
import {pushContainerDisk, pushTarget, readCredentialsFile} from '../../src/artifacts/registry-push.js';
import {entryHeader, fixedHeader, padding, trailer} from '../../src/artifacts/tar-entry.js';
import {ociArchitecture, pickDisk} from '../../src/engine/post-processors/containerdisk.js';
import {postProcess} from '../../src/engine/steps/post-process.js';
import {finishedBuild} from '../support/post-process-build.js';
import {scratchDirs} from '../support/scratch.js';

const fresh = scratchDirs('vmbench-cdisk-');
const sha = (data: Buffer | string): string => `sha256:${createHash('sha256').update(data).digest('hex')}`;
const hex = (digest: string): string => digest.replace(/^sha256:/, '');
/** Every file left in `dir` (temporary .partial files would show here). */
const tree = (dir: string): string[] => (readdirSync(dir, {recursive: true}) as string[]).sort();

interface Listed {
  mode: string;
  uid: number;
  gid: number;
  size: number;
  time: string;
  name: string;
}

/** GNU tar's own listing of an archive (numeric owners, full times, UTC). */
async function tarList(file: string | Buffer): Promise<Listed[]> {
  const r = await execa('tar', ['--numeric-owner', '--full-time', '-tvf', typeof file === 'string' ? file : '-'], {env: {TZ: 'UTC'}, ...(typeof file === 'string' ? {} : {input: file})});
  return r.stdout.split('\n').map((line) => {
    const m = /^(\S+) (\d+)\/(\d+)\s+(\d+) (\S+ \S+) (.*)$/.exec(line);
    if (!m) throw new Error(`unexpected tar listing line: ${line}`);
    return {mode: m[1]!, uid: Number(m[2]), gid: Number(m[3]), size: Number(m[4]), time: m[5]!, name: m[6]!};
  });
}

/** One member's bytes, extracted by GNU tar. */
async function tarGet(file: string | Buffer, member: string): Promise<Buffer> {
  const r = await execa('tar', ['-xOf', typeof file === 'string' ? file : '-', member], {encoding: 'buffer', stripFinalNewline: false, ...(typeof file === 'string' ? {} : {input: file})});
  return Buffer.from(r.stdout);
}

/** A pretend disk: random bytes, not a whole number of tar blocks. */
function makeDisk(dir: string, name = 'tiny.qcow2', size = 2 * 1048576 + 77): {file: string; data: Buffer} {
  const file = path.join(dir, name);
  const data = randomBytes(size);
  writeFileSync(file, data);
  return {file, data};
}

const CREATED = new Date('2024-05-06T07:08:09Z');
const write = (o: Partial<ContainerDiskOptions> & Pick<ContainerDiskOptions, 'disk' | 'output'>) => writeContainerDisk({created: CREATED, imageName: 'vmbench/tiny', imageTag: 'v1', ...o});

describe('containerDisk: OCI image archive', () => {
  it('is an OCI image layout (read by GNU tar) whose one layer holds disk/<image>, 0440, owned 107:107', async () => {
    const dir = fresh('oci');
    const {file, data} = makeDisk(dir);
    const out = path.join(dir, 'out', 'tiny.containerdisk.tar');
    const progress: number[] = [];
    const r = await write({disk: file, output: out, onProgress: (done, total) => (expect(total).toBe(data.length), progress.push(done))});
    expect(progress.at(-1)).toBe(data.length);

    const listed = await tarList(out);
    expect(listed.map((e) => e.name).sort()).toEqual(
      ['blobs/', 'blobs/sha256/', `blobs/sha256/${hex(r.layerDigest)}`, `blobs/sha256/${hex(r.configDigest)}`, `blobs/sha256/${hex(r.manifestDigest!)}`, 'index.json', 'oci-layout'].sort(),
    );
    expect(listed.every((e) => e.time === '2024-05-06 07:08:09' && e.uid === 0 && e.gid === 0)).toBe(true);
    expect(JSON.parse((await tarGet(out, 'oci-layout')).toString())).toEqual({imageLayoutVersion: '1.0.0'});

    // index.json → manifest → config and layer, each blob's name its sha256.
    const index = JSON.parse((await tarGet(out, 'index.json')).toString());
    expect(index.schemaVersion).toBe(2);
    expect(index.manifests).toHaveLength(1);
    const desc = index.manifests[0];
    expect(desc.mediaType).toBe('application/vnd.oci.image.manifest.v1+json');
    expect(desc.annotations).toEqual({'org.opencontainers.image.ref.name': 'v1', 'io.containerd.image.name': 'vmbench/tiny:v1'});
    const manifestBytes = await tarGet(out, `blobs/sha256/${hex(desc.digest)}`);
    expect(sha(manifestBytes)).toBe(desc.digest);
    expect(manifestBytes.length).toBe(desc.size);
    expect(desc.digest).toBe(r.manifestDigest);
    const manifest = JSON.parse(manifestBytes.toString());
    expect(manifest.config.mediaType).toBe('application/vnd.oci.image.config.v1+json');
    expect(manifest.layers).toHaveLength(1);
    expect(manifest.layers[0].mediaType).toBe('application/vnd.oci.image.layer.v1.tar');
    const configBytes = await tarGet(out, `blobs/sha256/${hex(manifest.config.digest)}`);
    const layer = await tarGet(out, `blobs/sha256/${hex(manifest.layers[0].digest)}`);
    expect([sha(configBytes), configBytes.length]).toEqual([manifest.config.digest, manifest.config.size]);
    expect([sha(layer), layer.length]).toEqual([manifest.layers[0].digest, manifest.layers[0].size]);

    const config = JSON.parse(configBytes.toString());
    expect(config).toMatchObject({architecture: 'amd64', os: 'linux', created: '2024-05-06T07:08:09Z', rootfs: {type: 'layers', diff_ids: [sha(layer)]}});
    expect(config.history).toEqual([{created: '2024-05-06T07:08:09Z', created_by: 'ADD --chown=107:107 tiny.qcow2 /disk/', comment: 'vmbench containerdisk'}]);
    expect(r).toMatchObject({diffId: sha(layer), layerDigest: sha(layer), configDigest: sha(configBytes), layerBytes: layer.length, diskBytes: data.length, reference: 'vmbench/tiny:v1', bytes: statSync(out).size});

    // The layer: what `FROM scratch` + `ADD --chown=107:107 tiny.qcow2 /disk/` (0440, dir 0555) gives.
    expect(await tarList(layer)).toEqual([
      {mode: 'dr-xr-xr-x', uid: 107, gid: 107, size: 0, time: '2024-05-06 07:08:09', name: 'disk/'},
      {mode: '-r--r-----', uid: 107, gid: 107, size: data.length, time: '2024-05-06 07:08:09', name: 'disk/tiny.qcow2'},
    ]);
    expect((await tarGet(layer, 'disk/tiny.qcow2')).equals(data)).toBe(true);
    expect(tree(dir)).toEqual(['out', 'out/tiny.containerdisk.tar', 'tiny.qcow2']);
  });

  it('a gzip layer: the blob is gzip, its digest the compressed bytes, the diff_id the tar inside', async () => {
    const dir = fresh('oci-gz');
    const {file, data} = makeDisk(dir, 'disk.raw', 3 * 1048576 + 5);
    // Compressible: half the disk is zeros.
    data.fill(0, 0, data.length >> 1);
    writeFileSync(file, data);
    const out = path.join(dir, 'cd.tar');
    const r = await write({disk: file, output: out, layerCompression: 'gzip', architecture: 'arm64'});
    const manifest = JSON.parse((await tarGet(out, `blobs/sha256/${hex(r.manifestDigest!)}`)).toString());
    expect(manifest.layers[0].mediaType).toBe('application/vnd.oci.image.layer.v1.tar+gzip');
    const blob = await tarGet(out, `blobs/sha256/${hex(r.layerDigest)}`);
    expect(sha(blob)).toBe(r.layerDigest);
    expect(blob.length).toBeLessThan(data.length * 0.75);
    const tar = gunzipSync(blob);
    expect(sha(tar)).toBe(r.diffId);
    expect(r.diffId).not.toBe(r.layerDigest);
    const config = JSON.parse((await tarGet(out, `blobs/sha256/${hex(r.configDigest)}`)).toString());
    expect(config.rootfs.diff_ids).toEqual([r.diffId]);
    expect(config.architecture).toBe('arm64');
    expect((await tarGet(tar, 'disk/disk.raw')).equals(data)).toBe(true);
  });
});

describe('containerDisk: docker-archive', () => {
  it.each(['none', 'gzip'] as const)('has manifest.json with Config, RepoTags and Layers, named as skopeo names them (layer %s)', async (compression) => {
    const dir = fresh(`docker-${compression}`);
    const {file, data} = makeDisk(dir);
    const out = path.join(dir, 'tiny.containerdisk.docker.tar');
    const r = await write({disk: file, output: out, archive: 'docker', layerCompression: compression});
    expect(r.manifestDigest).toBeUndefined();
    const names = (await tarList(out)).map((e) => e.name);
    expect(names.sort()).toEqual([`${hex(r.configDigest)}.json`, `${hex(r.diffId)}.tar`, 'manifest.json'].sort());
    const manifest = JSON.parse((await tarGet(out, 'manifest.json')).toString());
    expect(manifest).toEqual([{Config: `${hex(r.configDigest)}.json`, RepoTags: ['vmbench/tiny:v1'], Layers: [`${hex(r.diffId)}.tar`]}]);
    const config = await tarGet(out, manifest[0].Config);
    expect(sha(config)).toBe(r.configDigest);
    expect(JSON.parse(config.toString()).rootfs.diff_ids).toEqual([r.diffId]);
    const blob = await tarGet(out, manifest[0].Layers[0]);
    const layer = compression === 'gzip' ? gunzipSync(blob) : blob;
    expect(sha(layer)).toBe(r.diffId);
    expect((await tarList(layer)).map((e) => `${e.mode} ${e.uid}:${e.gid} ${e.name}`)).toEqual(['dr-xr-xr-x 107:107 disk/', '-r--r----- 107:107 disk/tiny.qcow2']);
    expect((await tarGet(layer, 'disk/tiny.qcow2')).equals(data)).toBe(true);
  });
});

describe('containerDisk: deterministic output', () => {
  it('the same disk and date give the same bytes; another date another digest', async () => {
    const dir = fresh('det');
    const {file} = makeDisk(dir);
    const bytes = async (o: Partial<ContainerDiskOptions>, name: string): Promise<Buffer> => {
      await write({disk: file, output: path.join(dir, name), ...o});
      return readFileSync(path.join(dir, name));
    };
    for (const compression of ['none', 'gzip'] as const) {
      const a = await bytes({layerCompression: compression, gzipParallel: 1}, `a-${compression}.tar`);
      // Another number of gzip threads: the same blocks, the same bytes.
      const b = await bytes({layerCompression: compression, gzipParallel: 3}, `b-${compression}.tar`);
      expect(sha(a)).toBe(sha(b));
    }
    const one = await write({disk: file, output: path.join(dir, 'c.tar')});
    const other = await write({disk: file, output: path.join(dir, 'd.tar'), created: new Date('2024-05-06T07:08:10Z')});
    expect(other.manifestDigest).not.toBe(one.manifestDigest);
    expect(other.diffId).not.toBe(one.diffId);
  });

  it('by default the date is SOURCE_DATE_EPOCH, else the disk’s mtime (so a rewrite gives the same digest)', async () => {
    const dir = fresh('det-default');
    const {file} = makeDisk(dir);
    utimesSync(file, new Date('2023-01-02T03:04:05.678Z'), new Date('2023-01-02T03:04:05.678Z'));
    expect(defaultCreated(statSync(file), {}).toISOString()).toBe('2023-01-02T03:04:05.000Z');
    expect(defaultCreated(statSync(file), {SOURCE_DATE_EPOCH: '1700000000'}).toISOString()).toBe('2023-11-14T22:13:20.000Z');
    expect(() => defaultCreated(statSync(file), {SOURCE_DATE_EPOCH: 'yesterday'})).toThrow(/SOURCE_DATE_EPOCH: "yesterday" is not a number/);
    const a = await writeContainerDisk({disk: file, output: path.join(dir, 'a.tar'), env: {}});
    const b = await writeContainerDisk({disk: file, output: path.join(dir, 'b.tar'), env: {}});
    expect(a.created).toBe('2023-01-02T03:04:05Z');
    expect(readFileSync(path.join(dir, 'a.tar')).equals(readFileSync(path.join(dir, 'b.tar')))).toBe(true);
    const c = await writeContainerDisk({disk: file, output: path.join(dir, 'c.tar'), env: {SOURCE_DATE_EPOCH: '1700000000'}});
    expect(c.created).toBe('2023-11-14T22:13:20Z');
  });
});

describe('containerDisk: failures leave nothing behind', () => {
  it.each(['none', 'gzip'] as const)('a cancelled write (layer %s) rejects with the reason and removes the temporary archive', async (compression) => {
    const dir = fresh(`abort-${compression}`);
    const {file} = makeDisk(dir, 'big.qcow2', 12 * 1048576);
    const abort = new AbortController();
    const reason = new Error('cancelled by the test');
    let seen = 0;
    const p = write({
      disk: file,
      output: path.join(dir, 'out.tar'),
      layerCompression: compression,
      signal: abort.signal,
      onProgress: (done) => {
        seen = done;
        // Once the writing is under way (a temporary file exists), cancel.
        if (done >= 3 * 1048576 && !abort.signal.aborted) {
          expect(tree(dir).some((f) => f.endsWith('.partial'))).toBe(true);
          abort.abort(reason);
        }
      },
    });
    await expect(p).rejects.toBe(reason);
    expect(seen).toBeLessThan(12 * 1048576);
    expect(tree(dir)).toEqual(['big.qcow2']);
  });

  it('an already cancelled signal writes nothing', async () => {
    const dir = fresh('abort-before');
    const {file} = makeDisk(dir);
    const abort = new AbortController();
    abort.abort(new Error('gone'));
    await expect(write({disk: file, output: path.join(dir, 'out.tar'), signal: abort.signal})).rejects.toThrow('gone');
    expect(tree(dir)).toEqual(['tiny.qcow2']);
  });

  it('names the bad input: a missing disk, a folder, a bad name or tag, the disk as its own output', async () => {
    const dir = fresh('bad');
    const {file} = makeDisk(dir);
    await expect(write({disk: path.join(dir, 'nope.qcow2'), output: path.join(dir, 'o.tar')})).rejects.toThrow(`the disk image ${path.join(dir, 'nope.qcow2')} cannot be read: no such file`);
    await expect(write({disk: dir, output: path.join(dir, 'o.tar')})).rejects.toThrow('is not a regular file');
    await expect(write({disk: file, output: path.join(dir, 'o.tar'), imageName: 'Vmbench/Tiny'})).rejects.toThrow(/image name "Vmbench\/Tiny" is not a repository name/);
    await expect(write({disk: file, output: path.join(dir, 'o.tar'), imageTag: '-x'})).rejects.toThrow(/image tag "-x" is not a tag/);
    await expect(write({disk: file, output: file})).rejects.toThrow('would replace the disk image');
    await expect(write({disk: file, output: path.join(dir, 'o.tar')})).resolves.toBeTruthy();
    // An output folder that cannot be made.
    await expect(write({disk: file, output: path.join(file, 'sub', 'o.tar')})).rejects.toBeInstanceOf(ContainerDiskError);
    expect(tree(dir)).toEqual(['o.tar', 'tiny.qcow2']);
  });

  it('repository names as registries take them', () => {
    for (const ok of ['tiny', 'vmbench/tiny', 'registry.example:5000/a/b-c', 'localhost/x', 'a/b__c.d']) expect(imageNameProblem(ok), ok).toBeUndefined();
    for (const bad of ['', 'Tiny', 'a//b', 'a/', '-a', 'a/b:c']) expect(imageNameProblem(bad), bad).toBeDefined();
  });
});

describe('tar headers GNU tar reads', () => {
  it('a long image name gets a PAX path; a size over 8 GiB a PAX size, or base-256 in a one-block header', async () => {
    const dir = fresh('headers');
    // A long name in a layer made by the writer itself.
    const longName = `${'a-very-long-image-name-'.repeat(5)}.qcow2`;
    const {file, data} = makeDisk(dir, longName, 1000);
    const out = path.join(dir, 'long.tar');
    const r = await write({disk: file, output: out});
    const layer = await tarGet(out, `blobs/sha256/${hex(r.layerDigest)}`);
    expect((await tarList(layer)).map((e) => e.name)).toEqual(['disk/', `disk/${longName}`]);
    expect((await tarGet(layer, `disk/${longName}`)).equals(data)).toBe(true);

    // 9 GiB members as holes: a sparse archive GNU tar lists without 9 GiB being written.
    const big = 9 * 1024 ** 3;
    for (const [name, header] of [
      ['pax.tar', entryHeader({name: 'disk/big.raw', type: 'file', mode: 0o440, uid: 107, gid: 107, size: big, mtime: 1700000000})],
      ['base256.tar', fixedHeader({name: 'blobs/sha256/big', mode: 0o644, uid: 0, gid: 0, size: big, mtime: 1700000000})],
    ] as const) {
      const f = path.join(dir, name);
      const fd = openSync(f, 'w');
      writeSync(fd, header, 0, header.length, 0);
      const end = Buffer.concat([padding(big), trailer()]);
      ftruncateSync(fd, header.length + big);
      writeSync(fd, end, 0, end.length, header.length + big);
      closeSync(fd);
      if (name === 'base256.tar') expect(header.length).toBe(512);
      const [entry] = await tarList(f);
      expect(entry, name).toMatchObject({size: big, name: name === 'pax.tar' ? 'disk/big.raw' : 'blobs/sha256/big'});
    }
  });
});

/** A fake skopeo on PATH: records its argv, environment, auth file (and its mode) and pid, then acts as FAKE_SKOPEO_MODE says. */
function fakeSkopeo(dir: string): {bin: string; record: string; env: Record<string, string>} {
  const bin = path.join(dir, 'bin');
  const record = path.join(dir, 'record');
  mkdirSync(bin);
  mkdirSync(record);
  writeFileSync(
    path.join(bin, 'skopeo'),
    `#!/bin/bash
rec="$FAKE_SKOPEO_RECORD"
printf '%s\\n' "$@" > "$rec/argv"
env > "$rec/env"
pwd > "$rec/cwd"
echo $$ > "$rec/pid"
while [ $# -gt 0 ]; do
  case "$1" in
    --dest-authfile) cp "$2" "$rec/auth.json"; stat -c %a "$2" > "$rec/auth.mode"; dirname "$2" > "$rec/auth.dir"; stat -c %a "$(dirname "$2")" > "$rec/dir.mode"; shift;;
    --digestfile) digestfile="$2"; dirname "$2" > "$rec/digest.dir"; shift;;
  esac
  shift
done
case "$FAKE_SKOPEO_MODE" in
  fail) echo "Getting image source signatures"; echo "time=x level=fatal msg=\\"unauthorized: authentication required for $FAKE_SKOPEO_LEAK\\"" >&2; exit 1;;
  hang) echo "Getting image source signatures"; exec sleep 600;;
esac
echo "Getting image source signatures"
echo "Copying blob sha256:abc (as $FAKE_SKOPEO_LEAK)"
printf 'sha256:%064d' 7 > "$digestfile"
`,
  );
  chmodSync(path.join(bin, 'skopeo'), 0o755);
  return {bin, record, env: {PATH: `${bin}:${process.env.PATH}`, FAKE_SKOPEO_RECORD: record}};
}

const rec = (record: string, name: string): string => readFileSync(path.join(record, name), 'utf8');
const PASSWORD = 'pa55-w0rd!with spaces';
const USER = 'builder';
const B64 = Buffer.from(`${USER}:${PASSWORD}`).toString('base64');
const FORBIDDEN = [PASSWORD, `${USER}:${PASSWORD}`, B64];

describe('push with skopeo (a fake one that records what it was given)', () => {
  it('environment credentials go to a 0600 auth.json in a private folder: never on argv, in skopeo’s environment or in a log; the folder is removed', async () => {
    const dir = fresh('push-env');
    const fake = fakeSkopeo(dir);
    const archive = path.join(dir, 'tiny.containerdisk.tar');
    writeFileSync(archive, 'archive');
    const logs: string[] = [];
    const r = await pushContainerDisk({
      archive,
      format: 'oci',
      ref: 'registry.example:5000/vm/tiny:v1',
      tlsVerify: false,
      env: {...fake.env, VMBENCH_REGISTRY_USER: USER, VMBENCH_REGISTRY_PASSWORD: PASSWORD, FAKE_SKOPEO_LEAK: PASSWORD},
      log: (l) => logs.push(l),
    });
    expect(r).toEqual({destination: 'docker://registry.example:5000/vm/tiny:v1', digest: `sha256:${'0'.repeat(63)}7`, credentials: 'environment'});
    const argv = rec(fake.record, 'argv').trim().split('\n');
    const authDir = rec(fake.record, 'auth.dir').trim();
    expect(argv).toEqual(['copy', '--digestfile', path.join(authDir, 'digest'), '--dest-authfile', path.join(authDir, 'auth.json'), '--dest-tls-verify=false', 'oci-archive:tiny.containerdisk.tar', 'docker://registry.example:5000/vm/tiny:v1']);
    expect(rec(fake.record, 'cwd').trim()).toBe(dir);
    expect(JSON.parse(rec(fake.record, 'auth.json'))).toEqual({auths: {'registry.example:5000': {auth: B64}}});
    expect(rec(fake.record, 'auth.mode').trim()).toBe('600');
    expect(rec(fake.record, 'dir.mode').trim()).toBe('700');
    expect(existsSync(authDir)).toBe(false);
    const env = rec(fake.record, 'env');
    expect(env).not.toMatch(/VMBENCH_REGISTRY/);
    for (const s of FORBIDDEN) {
      expect(argv.join(' ')).not.toContain(s);
      expect(logs.join('\n')).not.toContain(s);
    }
    // skopeo's line that carried the password was logged, redacted.
    expect(logs).toContain('Copying blob sha256:abc (as <sensitive>)');
  });

  it('a docker-archive, TLS verified (no flag), and no credentials: no auth file', async () => {
    const dir = fresh('push-plain');
    const fake = fakeSkopeo(dir);
    const archive = path.join(dir, 'x.docker.tar');
    writeFileSync(archive, 'archive');
    const r = await pushContainerDisk({archive, format: 'docker', ref: 'docker://quay.example/a/b', env: fake.env});
    expect(r.credentials).toBe('none');
    const argv = rec(fake.record, 'argv').trim().split('\n');
    expect(argv.slice(0, 2)).toEqual(['copy', '--digestfile']);
    expect(argv.slice(3)).toEqual(['docker-archive:x.docker.tar', 'docker://quay.example/a/b']);
    expect(existsSync(rec(fake.record, 'digest.dir').trim())).toBe(false);
  });

  it('a credentials file is checked, passed by its path, and its secrets are redacted from skopeo’s output', async () => {
    const dir = fresh('push-file');
    const fake = fakeSkopeo(dir);
    const archive = path.join(dir, 'a.tar');
    writeFileSync(archive, 'archive');
    const creds = path.join(dir, 'auth.json');
    writeFileSync(creds, JSON.stringify({auths: {'https://registry.example/v1/': {auth: B64}}}, null, 2));
    const logs: string[] = [];
    const r = await pushContainerDisk({archive, format: 'oci', ref: 'registry.example/vm/tiny:v1', credentialsFile: creds, env: {...fake.env, FAKE_SKOPEO_LEAK: `${B64} ${PASSWORD}`}, log: (l) => logs.push(l)});
    expect(r.credentials).toBe('file');
    expect(rec(fake.record, 'argv')).toContain(`--dest-authfile\n${creds}\n`);
    for (const s of FORBIDDEN) expect(logs.join('\n')).not.toContain(s);
    expect(logs).toContain('Copying blob sha256:abc (as <sensitive> <sensitive>)');

    // A file with no entry for the registry still pushes, and says so.
    const logs2: string[] = [];
    await pushContainerDisk({archive, format: 'oci', ref: 'other.example/vm/tiny', credentialsFile: creds, env: fake.env, log: (l) => logs2.push(l)});
    expect(logs2[0]).toBe(`credentials_file ${creds} has no entry for other.example: skopeo pushes without its credentials`);
  });

  it('a bad credentials file is named with its line, column and field, without the secret', async () => {
    const dir = fresh('creds-bad');
    const f = path.join(dir, 'auth.json');
    writeFileSync(f, '{\n  "auths": {\n    "r.example": {"auth": "not base64 of a pair"}\n  }\n}\n');
    await expect(readCredentialsFile(f, 'r.example')).rejects.toThrow(`credentials_file ${f}:3:19: auths.r.example.auth: must be the base64 of user:password`);
    writeFileSync(f, '{\n  "auths": {\n    "r.example": {"auth": "abc",}\n  }\n}\n');
    await expect(readCredentialsFile(f, 'r.example')).rejects.toThrow(`credentials_file ${f}:3:33: JSON syntax: a quoted key is expected (a trailing comma?)`);
    writeFileSync(f, '{"registries": {}}');
    await expect(readCredentialsFile(f, 'r.example')).rejects.toThrow(`credentials_file ${f}:1:1: auths: missing`);
    writeFileSync(f, `{"auths": {"r.example": {"auth": 42}}}`);
    await expect(readCredentialsFile(f, 'r.example')).rejects.toThrow(/:1:26: auths\.r\.example\.auth: must be a string/);
    await expect(readCredentialsFile(path.join(dir, 'none.json'), 'r.example')).rejects.toThrow('cannot be read: no such file');
    writeFileSync(f, JSON.stringify({auths: {'docker.io': {auth: B64}}, credHelpers: {'gcr.example': 'gcloud'}}));
    expect(await readCredentialsFile(f, 'docker.io')).toEqual({covers: true, secrets: expect.arrayContaining(FORBIDDEN)});
    expect((await readCredentialsFile(f, 'gcr.example')).covers).toBe(true);
    expect((await readCredentialsFile(f, 'quay.example')).covers).toBe(false);
  });

  it('skopeo’s failure: its words, redacted, and a hint', async () => {
    const dir = fresh('push-fail');
    const fake = fakeSkopeo(dir);
    const archive = path.join(dir, 'a.tar');
    writeFileSync(archive, 'archive');
    const err = await pushContainerDisk({
      archive,
      format: 'oci',
      ref: 'r.example/a:b',
      env: {...fake.env, FAKE_SKOPEO_MODE: 'fail', FAKE_SKOPEO_LEAK: `${USER}:${PASSWORD}`, VMBENCH_REGISTRY_USER: USER, VMBENCH_REGISTRY_PASSWORD: PASSWORD},
    }).catch((e: ContainerDiskError) => e);
    expect(err).toBeInstanceOf(ContainerDiskError);
    expect((err as ContainerDiskError).message).toBe('pushing to docker://r.example/a:b failed: skopeo exited with code 1: time=x level=fatal msg="unauthorized: authentication required for <sensitive>"');
    expect((err as ContainerDiskError).hint).toBe('check VMBENCH_REGISTRY_USER/VMBENCH_REGISTRY_PASSWORD or credentials_file');
    expect(existsSync(rec(fake.record, 'auth.dir').trim())).toBe(false);
  });

  it('without skopeo: names the Debian package; half the credentials: names the missing variable', async () => {
    const dir = fresh('push-none');
    const archive = path.join(dir, 'a.tar');
    writeFileSync(archive, 'archive');
    const err = (await pushContainerDisk({archive, format: 'oci', ref: 'r.example/a', env: {PATH: dir}}).catch((e) => e)) as ContainerDiskError;
    expect(err.message).toBe('skopeo is not installed: pushing a containerDisk needs it (Debian package skopeo)');
    expect(err.hint).toBe('apt-get install skopeo');
    await expect(pushContainerDisk({archive, format: 'oci', ref: 'r.example/a', env: {PATH: dir, VMBENCH_REGISTRY_USER: 'u'}})).rejects.toThrow(
      'VMBENCH_REGISTRY_PASSWORD is not set, but VMBENCH_REGISTRY_USER is: set both to push with them',
    );
    expect(readdirSync(path.dirname(dir)).length).toBeGreaterThan(0);
  });

  it('a cancelled push kills skopeo and removes the private folder', async () => {
    const dir = fresh('push-abort');
    const fake = fakeSkopeo(dir);
    const archive = path.join(dir, 'a.tar');
    writeFileSync(archive, 'archive');
    const abort = new AbortController();
    const p = pushContainerDisk({
      archive,
      format: 'oci',
      ref: 'r.example/a',
      signal: abort.signal,
      env: {...fake.env, FAKE_SKOPEO_MODE: 'hang', VMBENCH_REGISTRY_USER: USER, VMBENCH_REGISTRY_PASSWORD: PASSWORD},
      log: (line) => line.startsWith('Getting') && abort.abort(new Error('stop')),
    });
    await expect(p).rejects.toThrow('stop');
    const pid = Number(rec(fake.record, 'pid'));
    expect(() => process.kill(pid, 0)).toThrow();
    expect(existsSync(rec(fake.record, 'auth.dir').trim())).toBe(false);
  });

  it('push references: docker:// or none, a tag not a digest, the registry named for the credentials', () => {
    expect(pushTarget('registry.example:5000/a/b:c')).toEqual({destination: 'docker://registry.example:5000/a/b:c', registry: 'registry.example:5000'});
    expect(pushTarget('docker://localhost/x')).toEqual({destination: 'docker://localhost/x', registry: 'localhost'});
    expect(pushTarget('ubuntu:latest')).toEqual({destination: 'docker://ubuntu:latest', registry: 'docker.io'});
    expect(pushTarget('me/tiny')).toEqual({destination: 'docker://me/tiny', registry: 'docker.io'});
    expect(() => pushTarget('oci:/tmp/x')).toThrow('only registry references (docker://host/repo:tag) can be pushed to, not oci:');
    expect(() => pushTarget('https://r.example/a')).toThrow('not https:');
    expect(() => pushTarget('r.example/a@sha256:00')).toThrow('push to a tag, not a digest');
    expect(() => pushTarget('r.example/A')).toThrow('push: the repository "r.example/A" is not a repository name');
  });
});

describe('containerdisk post-processor', () => {
  it('writes <vm_name stem>.containerdisk.tar beside the image, reports it, and hands on the input plus the archive', async () => {
    const dir = fresh('pp');
    const b = finishedBuild(dir, `post_processors:\n  - type: containerdisk\n`, {env: {SOURCE_DATE_EPOCH: '1700000000'}});
    await postProcess.run(b.ctx);
    const out = path.join(dir, 'output-tiny', 'tiny.containerdisk.tar');
    expect(tree(path.join(dir, 'output-tiny'))).toEqual(['tiny.containerdisk.tar', 'tiny.qcow2']);
    const index = JSON.parse((await tarGet(out, 'index.json')).toString());
    const digest = index.manifests[0].digest as string;
    expect(index.manifests[0].annotations['io.containerd.image.name']).toBe('vmbench/tiny:latest');
    expect(b.logs.find((l) => l.includes('written in'))).toMatch(new RegExp(`^vmbench/info: containerdisk: output-tiny/tiny\\.containerdisk\\.tar written in [\\d.]+s: [\\d.]+ MiB \\(disk [\\d.]+ MiB, layer [\\d.]+ MiB\\), manifest ${digest}$`));
    expect(b.events.filter((e) => e.type === 'artifact')).toEqual([{type: 'artifact', time: expect.any(Number), path: out, format: 'oci-archive', bytes: statSync(out).size}]);
    expect(b.events.some((e) => e.type === 'progress' && e.label === 'containerdisk: tiny.containerdisk.tar')).toBe(true);
    // The layer holds the image as it is.
    const manifest = JSON.parse((await tarGet(out, `blobs/sha256/${hex(digest)}`)).toString());
    const layer = await tarGet(out, `blobs/sha256/${hex(manifest.layers[0].digest)}`);
    expect((await tarGet(layer, 'disk/tiny.qcow2')).equals(readFileSync(b.image))).toBe(true);
    expect((await tarList(layer))[1]!.time).toBe('2023-11-14 22:13:20');
  });

  it('docker archive with a gzip layer, templated output and tag; the next post-processor gets the archive too', async () => {
    const dir = fresh('pp-docker');
    const b = finishedBuild(
      dir,
      `post_processors:\n  - - type: containerdisk\n      archive: docker\n      layer_compression: gzip\n      output: "dist/{{.BuildName}}-cd.tar"\n      image_name: "example.org/vm/{{.BuildName}}"\n      image_tag: "{{.BuilderType}}-1"\n    - type: checksum\n      checksum_types: [sha256]\n`,
    );
    await postProcess.run(b.ctx);
    const out = path.join(dir, 'dist', 'tiny-cd.tar');
    const manifest = JSON.parse((await tarGet(out, 'manifest.json')).toString());
    expect(manifest[0].RepoTags).toEqual(['example.org/vm/tiny:qemu-1']);
    expect(b.events.filter((e) => e.type === 'artifact').map((e) => [(e as {path: string}).path, (e as {format: string}).format])).toEqual([
      [out, 'docker-archive'],
      [path.join(dir, 'packer_tiny_qemu_sha256.checksum'), 'checksum'],
    ]);
    expect(readFileSync(path.join(dir, 'packer_tiny_qemu_sha256.checksum'), 'utf8')).toContain(`\ttiny-cd.tar\n`);
    expect(b.logs.find((l) => l.includes('written in'))).toMatch(/image id sha256:[0-9a-f]{64}$/);
  });

  it('the default docker name; a bad image_name names the post-processor and field', async () => {
    const dir = fresh('pp-names');
    const b = finishedBuild(dir, `post_processors:\n  - type: containerdisk\n    archive: docker\n  - type: containerdisk\n    image_name: "Not/Valid"\n`);
    await expect(postProcess.run(b.ctx)).rejects.toThrow(`${path.join(dir, 'profile.yaml')}:7:5: image_name: "Not/Valid" is not a repository name`);
    expect(tree(path.join(dir, 'output-tiny'))).toEqual(['tiny.containerdisk.docker.tar', 'tiny.qcow2']);
  });

  it('picks the disk: vm_name, else the only disk-like file, else says which files it saw', () => {
    expect(pickDisk(['out/a.qcow2', 'out/b.raw'], 'b.raw', 'pp')).toBe('out/b.raw');
    expect(pickDisk(['out/SHA256SUMS', 'out/disk.img'], 'x.qcow2', 'pp')).toBe('out/disk.img');
    expect(() => pickDisk(['out/a.qcow2', 'out/b.qcow2'], 'x.qcow2', 'pp')).toThrow('pp: cannot tell which file is the disk image: no file is named x.qcow2 and 2 look like disks (files: out/a.qcow2, out/b.qcow2)');
    expect(() => pickDisk(['out/notes.txt'], 'x.qcow2', 'pp')).toThrow('none ends in .qcow2, .raw or .img (files: out/notes.txt)');
    expect(ociArchitecture('qemu-system-x86_64')).toBe('amd64');
    expect(ociArchitecture('/usr/bin/qemu-system-aarch64')).toBe('arm64');
  });

  it('pushes with skopeo from PATH: logs the reference and digest, never the credentials', async () => {
    const dir = fresh('pp-push');
    const fake = fakeSkopeo(dir);
    const b = finishedBuild(dir, `post_processors:\n  - type: containerdisk\n    push: "registry.example/vm/{{.BuildName}}:v1"\n    tls_verify: false\n`, {
      env: {...fake.env, VMBENCH_REGISTRY_USER: USER, VMBENCH_REGISTRY_PASSWORD: PASSWORD, FAKE_SKOPEO_LEAK: PASSWORD},
    });
    await postProcess.run(b.ctx);
    expect(b.logs).toContain(`vmbench/info: containerdisk: pushed docker://registry.example/vm/tiny:v1 (credentials from the environment): digest sha256:${'0'.repeat(63)}7`);
    expect(b.logs).toContain('vmbench/info: containerdisk: pushing output-tiny/tiny.containerdisk.tar to registry.example/vm/tiny:v1 (TLS not verified)');
    const everything = JSON.stringify([b.logs, b.events]);
    for (const s of FORBIDDEN) expect(everything).not.toContain(s);
    expect(rec(fake.record, 'argv').split('\n')).toContain('oci-archive:tiny.containerdisk.tar');
    expect(rec(fake.record, 'cwd').trim()).toBe(path.join(dir, 'output-tiny'));
  });
});
