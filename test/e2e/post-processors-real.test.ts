/**
 * Item 6 of issue 10 on the real tiny guest (QEMU, dropbear): shell-local on the host,
 * max_retries around a guest command that fails once, a timeout that stops a hanging guest
 * command (and everything it started), a breakpoint, and the post-processors — shell-local,
 * checksum + manifest in one sequence, compress — whose outputs are read back with the host's
 * own tools. The second build steps with --debug and stops at the breakpoint with the VM up.
 */
import {createHash} from 'node:crypto';
import {existsSync, mkdirSync, readdirSync, readFileSync, rmSync} from 'node:fs';
import path from 'node:path';
import {execa} from 'execa';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {assertBuilt, BIN, CACHE, events, processAlive, tinyWithProvisioners, tmpDir} from './helpers.js';

const work = tmpDir('vmbench-e2e-pp-');
/** Profile copies (tinyWithProvisioners makes its own temp dirs): removed with the work dir. */
const copies: string[] = [];
afterAll(() => {
  rmSync(work, {recursive: true, force: true});
  for (const d of copies) rmSync(path.dirname(d), {recursive: true, force: true});
});
beforeAll(() => assertBuilt());

/** The tiny profile with these provisioners (and post-processors) instead of its own. */
function profileWith(items: string): string {
  const dir = tinyWithProvisioners(`${items}\n`);
  copies.push(dir);
  return dir;
}

/** vmbench build in `cwd` (Packer's working directory: relative outputs land there). */
function build(cwd: string, args: string[]) {
  const state = path.join(cwd, '..', `state-${path.basename(cwd)}`);
  return execa('node', [BIN, 'build', ...args, '--cache-dir', CACHE], {cwd, reject: false, env: {CI: 'true', XDG_STATE_HOME: state}, stdin: 'pipe'});
}

const sha256 = (f: string): string => createHash('sha256').update(readFileSync(f)).digest('hex');

describe('provisioner options and post-processors (real QEMU)', () => {
  it('retries, times out, and writes checksum, manifest and archives that the host tools accept', {timeout: 180_000}, async () => {
    const cwd = path.join(work, 'run');
    const profile = profileWith(`provisioners:
  - type: shell-local
    inline: ['echo "$PACKER_BUILD_NAME $PACKER_BUILDER_TYPE $PACKER_HTTP_ADDR" > host-side.txt']
  - type: shell
    name: flaky
    max_retries: 2
    inline: ['if [ ! -e /tmp/flaky ]; then touch /tmp/flaky; echo "first try fails"; exit 3; fi; echo "second try works"']
  - type: shell
    name: hang
    timeout: 5s
    max_retries: 1
    inline:
      - 'if [ -e /tmp/hang.pid ]; then'
      - '  old=$(cat /tmp/hang.pid)'
      - '  if kill -0 "$old" 2>/dev/null; then echo "shell $old still runs"; exit 1; fi'
      - '  if ps | grep -q "[s]leep 600"; then echo "its sleep still runs"; exit 1; fi'
      - '  echo "the first try ($old) was stopped"; exit 0'
      - 'fi'
      - 'echo $$ > /tmp/hang.pid; echo "hanging"; sleep 600'
  - type: breakpoint
    note: never stops a plain run

post_processors:
  - type: shell-local
    inline: ['sha256sum output-tiny/tiny.qcow2 > pp-shell.txt; echo "$PACKER_BUILD_NAME $PACKER_BUILDER_TYPE" >> pp-shell.txt']
  - - type: checksum
      checksum_types: [sha256, md5]
    - type: manifest
      custom_data: {profile: "{{ user \`marker\` }}"}
  - type: compress
    output: "dist/{{.BuildName}}.tar.gz"
    keep_input_artifact: true
`);
    mkdirSync(cwd);
    const started = Date.now();
    const r = await build(cwd, [profile, '--json']);
    const took = Date.now() - started;
    const evs = events(r.stdout);
    const logs = evs.filter((e) => e.type === 'log').map((e) => `${e.source as string}: ${e.line as string}`);
    expect(r.exitCode, logs.slice(-30).join('\n')).toBe(0);

    // shell-local ran on this host with Packer's variables.
    expect(readFileSync(path.join(cwd, 'host-side.txt'), 'utf8')).toMatch(/^tiny qemu 10\.0\.2\.2:\d+\n$/);
    // max_retries: the first try failed, the second worked.
    expect(logs.filter((l) => /^provisioner: (first|second) try/.test(l))).toEqual(['provisioner: first try fails', 'provisioner: second try works']);
    expect(logs).toContainEqual(expect.stringMatching(/^vmbench: flaky failed: flaky exited with code 3 .*; retrying \(2 tries left\)$/));
    // timeout: the hanging command was stopped after 5 s, with what it started; the retry saw both gone.
    expect(logs).toContainEqual('vmbench: hang: timed out after 5.0s: stopping it');
    expect(logs).toContainEqual(expect.stringMatching(/^provisioner: the first try \(\d+\) was stopped$/));
    expect(logs).toContainEqual(expect.stringMatching(/^vmbench: breakpoint with note "never stops a plain run" \(.*\) did not pause: nobody is stepping this build/));

    const image = path.join(cwd, 'output-tiny', 'tiny.qcow2');
    const imageSum = sha256(image);
    // The post-processor shell-local ran in the working directory, after the image was written.
    expect(readFileSync(path.join(cwd, 'pp-shell.txt'), 'utf8')).toBe(`${imageSum}  output-tiny/tiny.qcow2\ntiny qemu\n`);
    // checksum: Packer's default names in the working directory, accepted by sha256sum/md5sum -c.
    for (const [tool, file] of [['sha256sum', 'packer_tiny_qemu_sha256.checksum'], ['md5sum', 'packer_tiny_qemu_md5.checksum']] as const) {
      const check = await execa(tool, ['-c', path.join(cwd, file)], {cwd: path.join(cwd, 'output-tiny'), reject: false});
      expect(check.stdout, file).toBe('tiny.qcow2: OK');
    }
    // manifest: Packer's format, the checksum's artifact (image + its files) recorded.
    const manifest = JSON.parse(readFileSync(path.join(cwd, 'packer-manifest.json'), 'utf8')) as {builds: Record<string, unknown>[]; last_run_uuid: string};
    expect(manifest.builds).toHaveLength(1);
    expect(manifest.builds[0]).toEqual({
      name: 'tiny',
      builder_type: 'qemu',
      build_time: expect.any(Number),
      files: [
        {name: 'output-tiny/tiny.qcow2', size: readFileSync(image).length},
        {name: 'packer_tiny_qemu_sha256.checksum', size: 76},
        {name: 'packer_tiny_qemu_md5.checksum', size: 44},
      ],
      artifact_id: '',
      packer_run_uuid: manifest.last_run_uuid,
      custom_data: {profile: 'tiny-build'},
    });
    expect(manifest.last_run_uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(Math.abs((manifest.builds[0]!.build_time as number) * 1000 - Date.now())).toBeLessThan(took + 60_000);
    // compress: a gzip'd tar holding the image, byte for byte.
    const archive = path.join(cwd, 'dist', 'tiny.tar.gz');
    expect((await execa('gunzip', ['-t', archive], {reject: false})).exitCode).toBe(0);
    const x = path.join(work, 'x');
    mkdirSync(x);
    await execa('tar', ['-xzf', archive, '-C', x]);
    expect(readdirSync(x)).toEqual(['tiny.qcow2']);
    expect(sha256(path.join(x, 'tiny.qcow2'))).toBe(imageSum);

    // Every file written is an artifact event; nothing half-written is left; QEMU is gone.
    const artifacts = evs.filter((e) => e.type === 'artifact').map((e) => path.relative(cwd, e.path as string));
    // … and vmbench's own records of the output folder, written after the post-processors.
    expect(artifacts).toEqual(['output-tiny/tiny.qcow2', 'packer_tiny_qemu_sha256.checksum', 'packer_tiny_qemu_md5.checksum', 'packer-manifest.json', 'dist/tiny.tar.gz', 'output-tiny/manifest.json', 'output-tiny/SHA256SUMS']);
    expect((readdirSync(cwd, {recursive: true}) as string[]).filter((f) => /partial|\.lock$/.test(f))).toEqual([]);
    const qemuPid = Number(/QEMU running \(pid (\d+)/.exec(logs.join('\n'))?.[1]);
    expect(qemuPid).toBeGreaterThan(0);
    expect(processAlive(qemuPid)).toBe(false);
  });

  it('--debug stops at a breakpoint with the VM running, between the provisioners around it', {timeout: 180_000}, async () => {
    const cwd = path.join(work, 'debug');
    mkdirSync(cwd);
    const profile = profileWith(`provisioners:
  - type: shell-local
    inline: ['touch before-breakpoint']
  - type: breakpoint
    note: check the guest
  - type: shell-local
    inline: ['touch after-breakpoint']
`);
    const child = build(cwd, [profile, '--plain', '--debug']);
    let stdout = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    const atBreakpoint: {before: boolean; after: boolean; qemu: boolean}[] = [];
    let pending = '';
    child.stderr!.on('data', (d: Buffer) => {
      pending += d.toString();
      // Each prompt ends with "> " and waits for a line.
      for (let end = pending.indexOf('> '); end >= 0; end = pending.indexOf('> ')) {
        const prompt = pending.slice(0, end);
        pending = pending.slice(end + 2);
        if (!prompt.includes('||  ')) continue;
        if (prompt.includes('paused at a breakpoint: check the guest')) {
          const pid = Number(/QEMU running \(pid (\d+)/.exec(stdout)?.[1]);
          atBreakpoint.push({before: existsSync(path.join(cwd, 'before-breakpoint')), after: existsSync(path.join(cwd, 'after-breakpoint')), qemu: pid > 0 && processAlive(pid)});
        }
        child.stdin!.write('\n');
      }
    });
    const r = await child;
    expect(r.exitCode, `${r.stdout.slice(-3000)}\n${r.stderr.slice(-2000)}`).toBe(0);
    expect(atBreakpoint).toEqual([{before: true, after: false, qemu: true}]);
    expect(existsSync(path.join(cwd, 'after-breakpoint'))).toBe(true);
    expect(r.stdout).toContain('pausing at breakpoint with note "check the guest"');
  });
});
