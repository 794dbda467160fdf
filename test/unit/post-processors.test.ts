/**
 * The post-process step and its post-processors against a finished build's output directory,
 * compared with what Packer 1.6.6 itself wrote (test/fixtures/packer-post-processors) and read
 * back with the host's own tools (sha256sum -c, gzip -t, tar, zstd, unzip).
 */
import {createHash} from 'node:crypto';
import {existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {execa} from 'execa';
import {describe, expect, it} from 'vitest';
import {checksumLine} from '../../src/engine/post-processors/checksum.js';
import {addToManifest, goJson, type ManifestBuild} from '../../src/engine/post-processors/manifest.js';
import {keepInput, postProcess} from '../../src/engine/steps/post-process.js';
import {ROOT} from '../e2e/helpers.js';
import {finishedBuild} from '../support/post-process-build.js';
import {scratchDirs} from '../support/scratch.js';

const fresh = scratchDirs('vmbench-pp-');
const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'packer-post-processors');
const fixture = (name: string): string => readFileSync(path.join(FIXTURES, name), 'utf8');
const hash = (algo: string, data: Buffer | string): string => createHash(algo).update(data).digest('hex');
/** Files left anywhere under `dir`, as relative paths (temporary .partial files would show here). */
const tree = (dir: string): string[] => (readdirSync(dir, {recursive: true}) as string[]).sort();

describe('checksum post-processor', () => {
  it("writes Packer's default file, in Packer's format, which sha256sum -c accepts", async () => {
    const b = finishedBuild(fresh('cs'), `post_processors:\n  - type: checksum\n    checksum_types: [sha256, md5]\n`);
    await postProcess.run(b.ctx);
    const data = readFileSync(b.image);
    expect(readFileSync(path.join(b.cwd, 'packer_tiny_qemu_sha256.checksum'), 'utf8')).toBe(`${hash('sha256', data)}\ttiny.qcow2\n`);
    expect(readFileSync(path.join(b.cwd, 'packer_tiny_qemu_md5.checksum'), 'utf8')).toBe(`${hash('md5', data)}\ttiny.qcow2\n`);
    // The same layout as Packer's own file: hex, a tab, the base name, a newline.
    expect(fixture('packer_tiny_file_sha256.checksum')).toBe(checksumLine(hash('sha256', 'hello <world> & more\n'), 'out/hello.txt'));
    const check = await execa('sha256sum', ['-c', path.join(b.cwd, 'packer_tiny_qemu_sha256.checksum')], {cwd: path.dirname(b.image), reject: false});
    expect(check.stdout).toBe('tiny.qcow2: OK');
    // Both files are new artifacts; the image is still there (checksum always keeps its input).
    expect(b.events.filter((e) => e.type === 'artifact').map((e) => path.basename((e as {path: string}).path))).toEqual(['packer_tiny_qemu_sha256.checksum', 'packer_tiny_qemu_md5.checksum']);
    expect(b.state.artifacts.map((a) => a.format)).toEqual(['qcow2', 'checksum', 'checksum']);
    expect(existsSync(b.image)).toBe(true);
  });

  it('appends to an existing file, as Packer does, and renders the output template', async () => {
    const dir = fresh('cs-append');
    const b = finishedBuild(dir, `post_processors:\n  - type: checksum\n    checksum_types: [sha1]\n    output: "sums/{{ .BuildName }}-{{.BuilderType}}.{{ .ChecksumType }}"\n`);
    mkdirSync(path.join(dir, 'sums'));
    writeFileSync(path.join(dir, 'sums', 'tiny-qemu.sha1'), 'earlier\tline\n');
    await postProcess.run(b.ctx);
    expect(readFileSync(path.join(dir, 'sums', 'tiny-qemu.sha1'), 'utf8')).toBe(`earlier\tline\n${hash('sha1', readFileSync(b.image))}\ttiny.qcow2\n`);
    // Not a new artifact: it was there before.
    expect(b.events.filter((e) => e.type === 'artifact')).toEqual([]);
    expect(tree(dir).filter((f) => f.includes('partial'))).toEqual([]);
  });
});

describe('manifest post-processor: the file format', () => {
  it("re-encodes Packer's manifests byte for byte", () => {
    for (const name of ['packer-manifest.json', 'm2.json', 'm3.json', 'after-two-runs.json', 'after-force.json']) {
      expect(goJson(JSON.parse(fixture(name))), name).toBe(fixture(name));
    }
  });

  it("adds a build the way Packer's second run did, and starts afresh with -force", () => {
    const twice = JSON.parse(fixture('after-two-runs.json')) as {builds: ManifestBuild[]; last_run_uuid: string};
    const first = goJson({builds: [twice.builds[0]], last_run_uuid: twice.builds[0]!.packer_run_uuid});
    const second = twice.builds[1]!;
    expect(goJson(addToManifest(first, second, {runUuid: second.packer_run_uuid, force: false}))).toBe(fixture('after-two-runs.json'));
    const forced = JSON.parse(fixture('after-force.json')) as {builds: ManifestBuild[]};
    expect(goJson(addToManifest(fixture('after-two-runs.json'), forced.builds[0]!, {runUuid: forced.builds[0]!.packer_run_uuid, force: true}))).toBe(fixture('after-force.json'));
    // -force within the same run keeps what this run wrote (several builds of one run).
    const same = addToManifest(first, second, {runUuid: twice.builds[0]!.packer_run_uuid, force: true});
    expect(same.builds).toHaveLength(2);
  });

  it('escapes like Go and orders custom_data keys', () => {
    const m = addToManifest(undefined, {name: 'a', builder_type: 'qemu', build_time: 5, files: null, artifact_id: 'VM', packer_run_uuid: 'u', custom_data: {z: '1', a: '<&>'}}, {runUuid: 'u', force: false});
    expect(goJson(m)).toContain('"custom_data": {\n        "a": "\\u003c\\u0026\\u003e",\n        "z": "1"\n      }');
    expect(goJson(m).endsWith('}')).toBe(true);
  });
});

describe('manifest post-processor: a build', () => {
  it('records the image with its size, custom data and the run', async () => {
    const dir = fresh('mf');
    const b = finishedBuild(dir, `variables:\n  v: "7"\npost_processors:\n  - type: manifest\n    custom_data:\n      version: "{{ user \`v\` }}"\n      build: "{{ .BuildName }} on {{ .BuilderType }}"\n`);
    const before = Math.floor(Date.now() / 1000);
    await postProcess.run(b.ctx);
    const text = readFileSync(path.join(dir, 'packer-manifest.json'), 'utf8');
    const m = JSON.parse(text) as {builds: ManifestBuild[]; last_run_uuid: string};
    expect(m).toEqual({
      builds: [
        {
          name: 'tiny',
          builder_type: 'qemu',
          build_time: expect.any(Number),
          files: [{name: 'output-tiny/tiny.qcow2', size: readFileSync(b.image).length}],
          artifact_id: 'VM',
          packer_run_uuid: 'run-1',
          custom_data: {build: 'tiny on qemu', version: '7'},
        },
      ],
      last_run_uuid: 'run-1',
    });
    expect(m.builds[0]!.build_time).toBeGreaterThanOrEqual(before);
    expect(text).toBe(goJson(m));
    expect(existsSync(path.join(dir, 'packer-manifest.json.lock'))).toBe(false);
  });

  it('strip_path and strip_time, and the files of a checksum before it in the sequence', async () => {
    const dir = fresh('mf-strip');
    const b = finishedBuild(dir, `post_processors:\n  - - type: checksum\n      checksum_types: [sha256]\n    - type: manifest\n      output: out/m.json\n      strip_path: true\n      strip_time: true\n`);
    await postProcess.run(b.ctx);
    const m = JSON.parse(readFileSync(path.join(dir, 'out', 'm.json'), 'utf8')) as {builds: Record<string, unknown>[]};
    expect(m.builds[0]).not.toHaveProperty('build_time');
    // As Packer's packer-manifest.json fixture: the checksum's artifact is the image plus its file, id "".
    expect(m.builds[0]).toMatchObject({files: [{name: 'tiny.qcow2'}, {name: 'packer_tiny_qemu_sha256.checksum', size: 76}], artifact_id: '', custom_data: null});
  });
});

describe('compress post-processor', () => {
  it("by default writes a gzip'd tar named packer_<build>_<builder> and removes the build's output, as Packer does", async () => {
    const dir = fresh('cz');
    const b = finishedBuild(dir, `post_processors:\n  - type: compress\n`);
    const data = readFileSync(b.image);
    await postProcess.run(b.ctx);
    const archive = path.join(dir, 'packer_tiny_qemu');
    expect((await execa('gzip', ['-t', archive], {reject: false})).exitCode).toBe(0);
    const list = await execa('tar', ['-tvzf', archive]);
    expect(list.stdout).toMatch(/^-rw-r--r-- \S+ +\d+ .* tiny\.qcow2$/);
    const x = fresh('cz-x');
    await execa('tar', ['-xzf', archive, '-C', x]);
    expect(readFileSync(path.join(x, 'tiny.qcow2')).equals(data)).toBe(true);
    expect(existsSync(path.join(dir, 'output-tiny'))).toBe(false);
    expect(b.state.artifacts.map((a) => [path.basename(a.path), a.format])).toEqual([['packer_tiny_qemu', 'tar.gz']]);
    expect(b.logs.some((l) => /removing .*output-tiny: no post-processor keeps/.test(l))).toBe(true);
  });

  it.each([
    ['tiny.qcow2.gz', ['gzip', '-dc'], 'gz'],
    ['tiny.qcow2.zst', ['zstd', '-dcq'], 'zst'],
    ['tiny.qcow2.xz', ['xz', '-dc'], 'xz'],
    ['tiny.qcow2.bzip2', ['bzip2', '-dc'], 'bz2'],
    ['tiny.qcow2.lz4', ['lz4', '-dcq'], 'lz4'],
  ])('%s: one file, compressed, and keep_input_artifact keeps the image', async (name, decompress, format) => {
    const dir = fresh('cz-one');
    const b = finishedBuild(dir, `post_processors:\n  - type: compress\n    output: "dist/${name}"\n    compression_level: 3\n    keep_input_artifact: true\n`);
    await postProcess.run(b.ctx);
    const out = await execa(decompress[0]!, [...decompress.slice(1), path.join(dir, 'dist', name)], {encoding: 'buffer', stripFinalNewline: false});
    expect(Buffer.from(out.stdout).equals(readFileSync(b.image))).toBe(true);
    expect(existsSync(b.image)).toBe(true);
    expect(b.state.artifacts.map((a) => a.format)).toEqual(['qcow2', format]);
  });

  it('zip, through the host zip, with the names Packer gives (relative to the working directory)', async () => {
    const dir = fresh('cz-zip');
    const b = finishedBuild(dir, `post_processors:\n  - type: compress\n    output: tiny.zip\n`);
    const data = readFileSync(b.image);
    await postProcess.run(b.ctx);
    const list = await execa('unzip', ['-Z1', path.join(dir, 'tiny.zip')]);
    expect(list.stdout).toBe('output-tiny/tiny.qcow2');
    expect(Buffer.from((await execa('unzip', ['-p', path.join(dir, 'tiny.zip')], {encoding: 'buffer', stripFinalNewline: false})).stdout).equals(data)).toBe(true);
  });

  it('refuses several files without an archive, leaving nothing half-written and the output in place', async () => {
    const dir = fresh('cz-two');
    const b = finishedBuild(dir, `post_processors:\n  - type: compress\n    output: x.gz\n`);
    writeFileSync(path.join(dir, 'output-tiny', 'efivars.fd'), 'vars');
    await expect(postProcess.run(b.ctx)).rejects.toThrow(/can only compress one file without tar or zip, and the artifact has 2: output-tiny\/efivars\.fd, output-tiny\/tiny\.qcow2/);
    expect(tree(dir)).toEqual(['output-tiny', 'output-tiny/efivars.fd', 'output-tiny/tiny.qcow2']);
  });

  it('stops at once when the build is cancelled, removing its temporary file', async () => {
    const dir = fresh('cz-abort');
    const b = finishedBuild(dir, `post_processors:\n  - type: compress\n    output: big.tar.gz\n`, {image: Buffer.alloc(64 << 20, 7)});
    const origProgress = b.ctx.progress;
    (b.ctx as {progress: typeof origProgress}).progress = (label, current, total) => {
      origProgress(label, current, total);
      if (!b.abort.signal.aborted) b.abort.abort(new Error('cancelled by test'));
    };
    await expect(postProcess.run(b.ctx)).rejects.toThrow('cancelled by test');
    expect(tree(dir)).toEqual(['output-tiny', 'output-tiny/tiny.qcow2']);
  });
});

describe('shell-local post-processor', () => {
  it("runs with Packer's variables, in the working directory; one execute_command string runs through sh -c", async () => {
    const dir = fresh('sl');
    const b = finishedBuild(dir, `post_processors:
  - type: shell-local
    environment_vars: ["GREETING=it's {{ .PackerHTTPIP }}"]
    inline:
      - 'echo "$PACKER_BUILD_NAME/$PACKER_BUILDER_TYPE/$PACKER_HTTP_ADDR/$GREETING/$PACKER_RUN_UUID"'
      - pwd
      - ls output-tiny
  - type: shell-local
    execute_command: 'echo via-sh-c {{.Script}} | sed s/^/X:/'
    inline: ["true"]
`);
    await postProcess.run(b.ctx);
    const out = b.logs.filter((l) => l.startsWith('provisioner/stdout: ')).map((l) => l.slice('provisioner/stdout: '.length));
    expect(out.slice(0, 3)).toEqual(["tiny/qemu/10.0.2.2:8123/it's 10.0.2.2/run-1", dir, 'tiny.qcow2']);
    expect(out[3]).toMatch(/^X:via-sh-c \/\S+\/vmbench-shell-local-\w+\/packer-shell$/);
  });

  it('fails the step on a bad exit code, still running the other sequences (as Packer)', async () => {
    const dir = fresh('sl-fail');
    const b = finishedBuild(dir, `post_processors:\n  - - type: shell-local\n      inline: ["exit 3"]\n    - type: manifest\n  - type: checksum\n`);
    await expect(postProcess.run(b.ctx)).rejects.toThrow(/^shell-local exited with code 3 after/);
    // The manifest after it in its sequence did not run; the next sequence's checksum did.
    expect(existsSync(path.join(dir, 'packer-manifest.json'))).toBe(false);
    expect(existsSync(path.join(dir, 'packer_tiny_qemu_md5.checksum'))).toBe(true);
  });
});

describe("Packer's keep_input_artifact rule", () => {
  it.each([
    [undefined, {keep: false, forceKeep: false}, false],
    [true, {keep: false, forceKeep: false}, true],
    [undefined, {keep: true, forceKeep: true}, true],
    [false, {keep: true, forceKeep: true}, true],
    [false, {keep: true, forceKeep: false}, false],
  ])('keep_input_artifact %s with %j keeps: %s', (set, r, keep) => {
    expect(keepInput({keep_input_artifact: set}, r).keep).toBe(keep);
  });

  it('a compress after a checksum in one sequence removes the checksum artifact (image and checksum file), as Packer does', async () => {
    const dir = fresh('keep-seq');
    const b = finishedBuild(dir, `post_processors:\n  - - type: checksum\n    - type: compress\n      output: all.tar.gz\n`);
    await postProcess.run(b.ctx);
    const list = await execa('tar', ['-tzf', path.join(dir, 'all.tar.gz')]);
    expect(list.stdout.split('\n')).toEqual(['tiny.qcow2', 'packer_tiny_qemu_md5.checksum']);
    expect(tree(dir)).toEqual(['all.tar.gz', 'output-tiny']);
    expect(b.state.artifacts.map((a) => path.basename(a.path))).toEqual(['all.tar.gz']);
  });
});
