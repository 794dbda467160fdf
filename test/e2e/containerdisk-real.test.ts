/**
 * Issue 12, item 3, checked with Debian's own tools rather than vmbench's code: a real qcow2
 * (qemu-img create, data written with qemu-io) goes through the containerdisk post-processor;
 * skopeo inspects the OCI archive and the docker-archive and copies them into an OCI layout,
 * umoci unpacks that (as root, so owners are kept), and the disk in the bundle is the input,
 * byte for byte, at rootfs/disk/ owned 107:107. Then a real registry (Debian's docker-registry,
 * TLS with a self-signed certificate and htpasswd users) takes a push with tls_verify false and
 * credentials from the environment or a credentials file; skopeo reads the digest back, pulls
 * the image again, and a wrong password fails without showing it.
 */
import {spawn, type ChildProcess} from 'node:child_process';
import {createHash} from 'node:crypto';
import {createReadStream, existsSync, mkdirSync, rmSync, statSync, writeFileSync} from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import {execa} from 'execa';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {postProcess} from '../../src/engine/steps/post-process.js';
import {finishedBuild, type FinishedBuild} from '../support/post-process-build.js';
import {portListening, tmpDir} from './helpers.js';

const which = async (cmd: string): Promise<boolean> => (await execa('sh', ['-c', `command -v ${cmd}`], {reject: false})).exitCode === 0;
const TOOLS = ['skopeo', 'umoci', 'qemu-img', 'qemu-io'];
const missing = (await Promise.all(TOOLS.map(async (t) => ((await which(t)) ? [] : [t])))).flat();
const registryMissing = (await Promise.all(['docker-registry', 'openssl', 'perl'].map(async (t) => ((await which(t)) ? [] : [t])))).flat();

const work = tmpDir('vmbench-e2e-cdisk-');
afterAll(() => rmSync(work, {recursive: true, force: true}));

async function sha256File(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** A finished build whose image is a real 64 MiB qcow2 with two patterns written into it. */
async function realBuild(name: string, yaml: string, env: Record<string, string> = {}): Promise<FinishedBuild> {
  const dir = path.join(work, name);
  mkdirSync(dir, {recursive: true});
  const b = finishedBuild(dir, yaml, {env});
  await execa('qemu-img', ['create', '-q', '-f', 'qcow2', b.image, '64M']);
  await execa('qemu-io', ['-c', 'write -P 0x5a 0 1M', '-c', 'write -P 0xa5 40M 512k', b.image]);
  return b;
}

/** The digest a log line gives after `what ` (manifest, image id, digest). */
function logged(b: FinishedBuild, what: string): string {
  const line = b.logs.find((l) => l.includes(`${what} sha256:`));
  if (!line) throw new Error(`no "${what}" in the log:\n${b.logs.join('\n')}`);
  return /sha256:[0-9a-f]{64}/.exec(line.slice(line.indexOf(`${what} sha256:`)))![0];
}

const skopeo = (args: string[]) => execa('skopeo', args, {cwd: work});
const inspect = async (args: string[]): Promise<Record<string, unknown>> => JSON.parse((await skopeo(['inspect', ...args])).stdout);

/** umoci unpack an OCI layout's tag; the disk in the bundle must be the build's image, owned 107:107. */
async function unpackAndCompare(layout: string, tag: string, image: string): Promise<void> {
  const bundle = path.join(work, `bundle-${path.basename(layout)}-${tag}`);
  await execa('umoci', ['unpack', '--image', `${layout}:${tag}`, bundle]);
  const dirSt = statSync(path.join(bundle, 'rootfs', 'disk'));
  const disk = path.join(bundle, 'rootfs', 'disk', path.basename(image));
  const st = statSync(disk);
  expect([dirSt.uid, dirSt.gid, (dirSt.mode & 0o7777).toString(8)]).toEqual([107, 107, '555']);
  expect([st.uid, st.gid, (st.mode & 0o7777).toString(8)]).toEqual([107, 107, '440']);
  expect(await sha256File(disk)).toBe(await sha256File(image));
  const cmp = await execa('qemu-img', ['compare', image, disk]);
  expect(cmp.stdout).toBe('Images are identical.');
  rmSync(bundle, {recursive: true, force: true});
}

describe.skipIf(missing.length > 0)(`containerDisk read by Debian's skopeo and umoci${missing.length ? ` — skipped: ${missing.join(', ')} not installed (scripts/setup.sh installs them)` : ''}`, () => {
  it.each(['none', 'gzip'] as const)('an OCI image archive (layer %s): skopeo inspects and copies it, umoci unpacks the disk byte for byte at /disk/, 107:107', {timeout: 180_000}, async (compression) => {
    const b = await realBuild(`oci-${compression}`, `post_processors:\n  - type: containerdisk\n    layer_compression: ${compression}\n    image_tag: e2e\n`);
    await postProcess.run(b.ctx);
    const archive = path.join(path.dirname(b.image), 'tiny.containerdisk.tar');
    const digest = logged(b, 'manifest');

    const info = await inspect([`oci-archive:${archive}`]);
    expect(info).toMatchObject({Digest: digest, Architecture: 'amd64', Os: 'linux'});
    expect(info.Layers).toHaveLength(1);
    const raw = JSON.parse((await skopeo(['inspect', '--raw', `oci-archive:${archive}`])).stdout);
    expect(raw.layers[0].mediaType).toBe(compression === 'gzip' ? 'application/vnd.oci.image.layer.v1.tar+gzip' : 'application/vnd.oci.image.layer.v1.tar');
    const config = await inspect(['--config', `oci-archive:${archive}`]);
    expect((config.rootfs as {diff_ids: string[]}).diff_ids).toHaveLength(1);

    // The archive's tag is the index's ref.name: oci-archive:FILE:TAG finds it.
    const layout = path.join(work, `layout-oci-${compression}`);
    await skopeo(['copy', '-q', `oci-archive:${archive}:e2e`, `oci:${layout}:copied`]);
    await unpackAndCompare(layout, 'copied', b.image);
  });

  it.each(['none', 'gzip'] as const)('a docker-archive (layer %s): skopeo finds it by its RepoTag, copies it to an OCI layout, umoci unpacks the same disk', {timeout: 180_000}, async (compression) => {
    const b = await realBuild(`docker-${compression}`, `post_processors:\n  - type: containerdisk\n    archive: docker\n    layer_compression: ${compression}\n    image_name: example.org/vm/{{.BuildName}}\n`);
    await postProcess.run(b.ctx);
    const archive = path.join(path.dirname(b.image), 'tiny.containerdisk.docker.tar');
    const imageId = logged(b, 'image id');
    const info = await inspect([`docker-archive:${archive}:example.org/vm/tiny:latest`]);
    expect(info).toMatchObject({Architecture: 'amd64', Os: 'linux', Name: 'example.org/vm/tiny'});
    const configRaw = (await skopeo(['inspect', '--config', '--raw', `docker-archive:${archive}`])).stdout;
    expect(`sha256:${createHash('sha256').update(configRaw).digest('hex')}`).toBe(imageId);
    const layout = path.join(work, `layout-docker-${compression}`);
    await skopeo(['copy', '-q', `docker-archive:${archive}`, `oci:${layout}:copied`]);
    await unpackAndCompare(layout, 'copied', b.image);
  });

  describe.skipIf(registryMissing.length > 0)(`pushed to a real registry${registryMissing.length ? ` — skipped: ${registryMissing.join(', ')} not installed` : ''}`, () => {
    const USER = 'builder';
    const PASSWORD = 'e2e pa55word:with-colon';
    let registry: ChildProcess | undefined;
    let registryLog = '';
    let host = '';
    let authFile = '';

    beforeAll(async () => {
      const dir = path.join(work, 'registry');
      mkdirSync(dir, {recursive: true});
      // A free port: bind 0, read it, let go (the registry binds it next).
      const port = await new Promise<number>((resolve) => {
        const srv = net.createServer().listen(0, '127.0.0.1', () => {
          const p = (srv.address() as net.AddressInfo).port;
          srv.close(() => resolve(p));
        });
      });
      host = `127.0.0.1:${port}`;
      await execa('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1']);
      // htpasswd wants bcrypt: libc's crypt() makes it ($2b$), through perl.
      const hash = (await execa('perl', ['-e', 'print crypt($ARGV[0], "\\$2b\\$10\\$" . $ARGV[1])', PASSWORD, 'vmbenchE2eSaltSaltSalt'])).stdout;
      expect(hash).toMatch(/^\$2b\$10\$/);
      writeFileSync(path.join(dir, 'htpasswd'), `${USER}:${hash}\n`);
      writeFileSync(
        path.join(dir, 'config.yml'),
        [
          'version: 0.1',
          'log:',
          '  level: warn',
          '  accesslog:',
          '    disabled: true',
          'storage:',
          '  filesystem:',
          `    rootdirectory: ${path.join(dir, 'data')}`,
          'http:',
          `  addr: ${host}`,
          '  secret: vmbench-e2e',
          '  tls:',
          `    certificate: ${path.join(dir, 'cert.pem')}`,
          `    key: ${path.join(dir, 'key.pem')}`,
          'auth:',
          '  htpasswd:',
          '    realm: vmbench-e2e',
          `    path: ${path.join(dir, 'htpasswd')}`,
          '',
        ].join('\n'),
      );
      registry = spawn('docker-registry', ['serve', path.join(dir, 'config.yml')], {stdio: ['ignore', 'pipe', 'pipe']});
      registry.stdout!.on('data', (d: Buffer) => (registryLog += d.toString()));
      registry.stderr!.on('data', (d: Buffer) => (registryLog += d.toString()));
      const started = Date.now();
      while (!(await portListening(port))) {
        if (registry.exitCode !== null || Date.now() - started > 30_000) throw new Error(`docker-registry did not start:\n${registryLog}`);
        await new Promise((r) => setTimeout(r, 200));
      }
      // The test's own auth file for skopeo inspect/copy (vmbench writes its own).
      authFile = path.join(dir, 'test-auth.json');
      writeFileSync(authFile, JSON.stringify({auths: {[host]: {auth: Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}}}), {mode: 0o600});
    });

    afterAll(async () => {
      if (!registry || registry.exitCode !== null) return;
      const exited = new Promise((r) => registry!.once('exit', r));
      registry.kill('SIGTERM');
      const late = setTimeout(() => registry!.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(late);
    });

    it('with environment credentials and tls_verify false: skopeo reads back the digest vmbench logged, and pulls the same disk', {timeout: 240_000}, async () => {
      const b = await realBuild('push-env', `post_processors:\n  - type: containerdisk\n    layer_compression: gzip\n    push: "docker://${host}/vmbench/{{.BuildName}}:e2e"\n    tls_verify: false\n`, {
        VMBENCH_REGISTRY_USER: USER,
        VMBENCH_REGISTRY_PASSWORD: PASSWORD,
      });
      await postProcess.run(b.ctx);
      const pushed = logged(b, 'digest');
      // A gzip layer goes up as it is: the registry holds vmbench's own manifest.
      expect(pushed).toBe(logged(b, 'manifest'));
      const ref = `docker://${host}/vmbench/tiny:e2e`;
      const info = await inspect(['--tls-verify=false', '--authfile', authFile, ref]);
      expect(info.Digest).toBe(pushed);
      // The registry wants the credentials: without them skopeo is turned away.
      const anonymous = await execa('skopeo', ['inspect', '--tls-verify=false', '--no-creds', ref], {reject: false});
      expect(anonymous.exitCode).not.toBe(0);
      expect(anonymous.stderr).toMatch(/unauthorized|authentication required/i);
      const layout = path.join(work, 'layout-pulled');
      await skopeo(['copy', '-q', '--src-tls-verify=false', '--src-authfile', authFile, ref, `oci:${layout}:pulled`]);
      await unpackAndCompare(layout, 'pulled', b.image);
      const everything = JSON.stringify([b.logs, b.events]);
      for (const s of [PASSWORD, Buffer.from(`${USER}:${PASSWORD}`).toString('base64')]) expect(everything).not.toContain(s);
    });

    it('a docker-archive with a credentials file: pushed, and the registry reports the digest skopeo gave vmbench', {timeout: 240_000}, async () => {
      const creds = path.join(work, 'push-file-auth.json');
      writeFileSync(creds, JSON.stringify({auths: {[`https://${host}`]: {auth: Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}}}), {mode: 0o600});
      const b = await realBuild('push-file', `post_processors:\n  - type: containerdisk\n    archive: docker\n    push: "${host}/vmbench/docker:e2e"\n    tls_verify: false\n    credentials_file: ${creds}\n`);
      await postProcess.run(b.ctx);
      expect(b.logs.some((l) => l.includes(`pushed docker://${host}/vmbench/docker:e2e (credentials from ${creds})`))).toBe(true);
      const info = await inspect(['--tls-verify=false', '--authfile', authFile, `docker://${host}/vmbench/docker:e2e`]);
      expect(info.Digest).toBe(logged(b, 'digest'));
    });

    it('a wrong password fails with skopeo’s reason and a hint, never the password; the archive stays', {timeout: 240_000}, async () => {
      const wrong = 'not-the-right-pa55word';
      const b = await realBuild('push-wrong', `post_processors:\n  - type: containerdisk\n    push: "${host}/vmbench/tiny:wrong"\n    tls_verify: false\n`, {VMBENCH_REGISTRY_USER: USER, VMBENCH_REGISTRY_PASSWORD: wrong});
      const err = (await postProcess.run(b.ctx).catch((e: Error) => e)) as Error & {hint?: string};
      expect(err.message).toMatch(/pushing to docker:\/\/127\.0\.0\.1:\d+\/vmbench\/tiny:wrong failed: skopeo exited with code 1: .*(unauthorized|authentication required)/i);
      expect(err.hint).toBe('check VMBENCH_REGISTRY_USER/VMBENCH_REGISTRY_PASSWORD or credentials_file');
      expect(JSON.stringify([err.message, b.logs, b.events])).not.toContain(wrong);
      expect(existsSync(path.join(path.dirname(b.image), 'tiny.containerdisk.tar'))).toBe(true);
    });

    it('without tls_verify false, the self-signed registry is refused, with the hint to turn it off', {timeout: 120_000}, async () => {
      const b = await realBuild('push-tls', `post_processors:\n  - type: containerdisk\n    push: "${host}/vmbench/tiny:tls"\n`, {VMBENCH_REGISTRY_USER: USER, VMBENCH_REGISTRY_PASSWORD: PASSWORD});
      const err = (await postProcess.run(b.ctx).catch((e: Error) => e)) as Error & {hint?: string};
      expect(err.message).toMatch(/x509|certificate/);
      expect(err.hint).toBe('tls_verify: false pushes to a registry whose certificate is not trusted here');
    });
  });
});
