/**
 * `vmbench kube job <profile>`: the Job (and the ConfigMap/Secret it needs) printed as YAML,
 * every object checked against the Kubernetes OpenAPI schema (kubernetes-models' validators,
 * generated from it), the build's command line parsed by vmbench's own parser, a bad profile
 * refused with file:line and exit 2, a user's profile folder carried through a ConfigMap and
 * copied back out exactly as the init container does it, sensitive variables kept out of the
 * Job, and the repo's Containerfile equal to the generated one.
 */
import {execFileSync} from 'node:child_process';
import {chmodSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {ConfigMap, Secret} from 'kubernetes-models/v1';
import {Job} from 'kubernetes-models/batch/v1';
import {afterAll, afterEach, beforeAll, describe, expect, it, vi} from 'vitest';
import {parseAllDocuments} from 'yaml';
import {parseCommandLine} from '../../src/cli/argv.js';
import {buildTakesPush, kubeCommand} from '../../src/cli/kube-command.js';
import {main} from '../../src/cli/main.js';
import {containerfile, IMAGE_PACKAGES} from '../../src/kube/containerfile.js';
import {POD} from '../../src/kube/job.js';
import {scratchDirs} from '../support/scratch.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const fresh = scratchDirs('vmbench-kube-');
let home: string;

type Obj = {apiVersion: string; kind: string; metadata: {name: string; labels?: Record<string, string>; annotations?: Record<string, string>}; [k: string]: any};

/** Runs `f` with stdout/stderr captured; its exit status as main or the command set it. */
async function capture(f: () => Promise<unknown>): Promise<{code: number; out: string; err: string}> {
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
  const before = process.exitCode;
  try {
    const r = await f();
    return {code: typeof r === 'number' ? r : Number(process.exitCode ?? 0), out, err};
  } finally {
    o.mockRestore();
    e.mockRestore();
    process.exitCode = before;
  }
}
/** The real CLI entry (parser included). */
const cli = (...argv: string[]) => capture(() => main(argv));

/** The YAML stream's objects; the stream must parse without errors or warnings. */
function objects(out: string): Obj[] {
  const docs = parseAllDocuments(out);
  const list = Array.isArray(docs) ? docs : [docs];
  for (const d of list) expect([...d.errors, ...d.warnings].map(String)).toEqual([]);
  return list.map((d) => d.toJS()).filter(Boolean) as Obj[];
}

/** kubernetes-models' OpenAPI validator for the object's kind: throws naming the field. */
function validate(o: Obj): void {
  const Model = {Job, ConfigMap, Secret}[o.kind as 'Job' | 'ConfigMap' | 'Secret'];
  expect(Model, `no validator for ${o.kind}`).toBeDefined();
  expect(o.apiVersion).toBe(Model.apiVersion);
  new Model(o as never).validate();
  // What the schema does not say: object names are DNS-1123 (a Job's ≤ 63), label values ≤ 63.
  expect(o.metadata.name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
  expect(o.metadata.name.length).toBeLessThanOrEqual(63);
  for (const v of Object.values(o.metadata.labels ?? {})) expect(v).toMatch(/^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/);
}

const jobs = (objs: Obj[]): Obj[] => objs.filter((o) => o.kind === 'Job');
const build = (job: Obj): any => job.spec.template.spec.containers.find((c: any) => c.name === 'build');

/** Kubernetes' expansion of a container's args: $(NAME) from env, $$ a literal $. */
function expand(s: string, env: Record<string, string>): string {
  return s.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (m, name: string | undefined) => (m === '$$' ? '$' : (env[name!] ?? m)));
}

/** The build container's args as vmbench would receive them (values from the objects printed). */
function argvInPod(objs: Obj[], job: Obj): string[] {
  const c = build(job);
  const env: Record<string, string> = {POD_NAME: `${job.metadata.name}-x7k2p`};
  for (const e of c.env) {
    if (e.value !== undefined) env[e.name] = expand(e.value, env);
    const ref = e.valueFrom?.secretKeyRef;
    const secret = ref && objs.find((o) => o.kind === 'Secret' && o.metadata.name === ref.name);
    if (secret) env[e.name] = secret.stringData[ref.key];
  }
  return c.args.map((a: string) => expand(a, env));
}

beforeAll(() => {
  home = fresh('home');
  // The user's settings and profiles must not reach the test.
  vi.stubEnv('XDG_CONFIG_HOME', path.join(home, 'config'));
});
afterAll(() => vi.unstubAllEnvs());
afterEach(() => vi.restoreAllMocks());

describe('vmbench kube job <built-in profile>', () => {
  it('prints a Job the Kubernetes schema accepts, running vmbench build headless', async () => {
    const r = await cli('kube', 'job', 'debian-12', '-var', 'root_password=pw', '--image', 'registry.example/vmbench:1');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const objs = objects(r.out);
    // Built-in profiles are in the image: no ConfigMap; nothing sensitive: no Secret.
    expect(objs.map((o) => o.kind)).toEqual(['Job']);
    objs.forEach(validate);
    const [job] = objs as [Obj];
    expect(job.metadata.labels).toMatchObject({'app.kubernetes.io/name': 'vmbench', 'vmbench/profile': 'debian-12'});
    expect(job.spec.template.metadata.labels).toMatchObject({'app.kubernetes.io/name': 'vmbench', 'vmbench/profile': 'debian-12'});
    const c = build(job);
    expect(c.image).toBe('registry.example/vmbench:1');
    expect(c.args.slice(0, 4)).toEqual(['build', 'debian-12', '--json', '--on-error=cleanup']);
    expect(c.args).toEqual(expect.arrayContaining(['-var', 'root_password=pw']));

    // The args are a command line vmbench's own parser takes, as the build command.
    const argv = argvInPod(objs, job);
    const parsed = parseCommandLine(argv);
    expect(parsed.command?.name).toBe('build');
    expect(parsed.args).toEqual(['debian-12']);
    expect(parsed.values).toMatchObject({'json': true, 'on-error': 'cleanup', 'force': true, 'var': ['root_password=pw']});
    // Output and logs on the volume: one folder for the Job, one log folder per pod (attempt).
    expect(parsed.values.output).toBe(`${POD.output}/${job.metadata.name}`);
    expect(parsed.values['log-dir']).toBe(`${POD.output}/logs/${job.metadata.name}/${job.metadata.name}-x7k2p`);
    const mounts = Object.fromEntries(c.volumeMounts.map((m: any) => [m.mountPath, m.name]));
    const volumes = Object.fromEntries(job.spec.template.spec.volumes.map((v: any) => [v.name, v]));
    expect(volumes[mounts[POD.output]].persistentVolumeClaim).toEqual({claimName: 'vmbench-output'});
    expect(r.out).toMatch(/^# .*needs PersistentVolumeClaim vmbench-output/m);

    // KVM through KubeVirt's device plugin; sized from the profile (2 CPUs, 1024 MiB) plus headroom.
    expect(c.resources.limits['devices.kubevirt.io/kvm']).toBe('1');
    expect(c.resources.requests).toMatchObject({cpu: '2500m', memory: '1536Mi'});
    expect(c.resources.limits.memory).toBe('2560Mi');
    // debian-12: boot_wait 5s + ssh_timeout 60m + 1 provisioner (30m) + shutdown 5m + 30m, in whole minutes.
    expect(job.spec.activeDeadlineSeconds).toBe(126 * 60);
    expect(job.spec.backoffLimit).toBe(1);
    expect(job.spec.template.spec.restartPolicy).toBe('Never');
    expect(job.spec.podFailurePolicy.rules[0]).toEqual({action: 'FailJob', onExitCodes: {containerName: 'build', operator: 'In', values: [2]}});
    expect(c.securityContext).toMatchObject({readOnlyRootFilesystem: true, allowPrivilegeEscalation: false});
    expect(mounts[POD.tmp]).toBeDefined();
  });

  it('the schema refuses a broken manifest (the validation is real)', async () => {
    const r = await cli('kube', 'job', 'debian-12');
    const [job] = objects(r.out) as [Obj];
    expect(() => validate(job)).not.toThrow();
    const broken: [string, (j: Obj) => void, RegExp][] = [
      ['backoffLimit a string', (j) => (j.spec.backoffLimit = 'one'), /backoffLimit must be integer/],
      ['a container without a name', (j) => delete build(j).name, /must have required property 'name'|required property name/],
      ['an unknown restartPolicy', (j) => (j.spec.template.spec.restartPolicy = 'Sometimes'), /restartPolicy must be equal to one of the allowed values/],
      ['a memory request that is no quantity', (j) => (build(j).resources.requests.memory = '1.5 GiB'), /memory must match format "quantity"/],
      ['a mount without mountPath', (j) => delete build(j).volumeMounts[0].mountPath, /mountPath/],
      ['no pod template', (j) => delete j.spec.template, /template/],
    ];
    for (const [what, breakIt, message] of broken) {
      const copy = structuredClone(job);
      breakIt(copy);
      expect(() => new Job(copy as never).validate(), what).toThrow(message);
    }
  });

  it('--push: a containerDisk pushed to the registry with the credentials from the Secret, the output on an emptyDir', async () => {
    const ref = 'docker://registry.example/vm/debian:12';
    const r = await cli('kube', 'job', 'debian-12', '--push', ref);
    expect(r.code).toBe(0);
    const objs = objects(r.out);
    objs.forEach(validate);
    const [job] = jobs(objs) as [Obj];
    const c = build(job);
    const parsed = parseCommandLine(argvInPod(objs, job));
    expect(parsed.values.also).toEqual(['containerdisk']);
    const env = Object.fromEntries(c.env.map((e: any) => [e.name, e]));
    if (buildTakesPush()) {
      // This vmbench's build takes --push: the reference is on its command line.
      expect(parsed.values.push).toBe(ref);
      expect(env.VMBENCH_PUSH).toBeUndefined();
    } else {
      expect(env.VMBENCH_PUSH.value).toBe(ref);
    }
    expect(env.VMBENCH_REGISTRY_USER.valueFrom.secretKeyRef).toEqual({name: 'vmbench-registry', key: 'username'});
    expect(env.VMBENCH_REGISTRY_PASSWORD.valueFrom.secretKeyRef).toEqual({name: 'vmbench-registry', key: 'password'});
    const out = job.spec.template.spec.volumes.find((v: any) => v.name === 'output');
    expect(out.emptyDir).toBeDefined();
    // The image and its containerDisk need room on the node: disk 4 GiB × 3 + the ISO cache.
    expect(c.resources.requests['ephemeral-storage']).toBe(`${2048 + 3 * 4096}Mi`);
    expect(r.out).toMatch(/^# .*needs Secret vmbench-registry \(type kubernetes\.io\/basic-auth/m);
    expect(r.out).not.toMatch(/needs PersistentVolumeClaim/);
    expect(job.metadata.annotations['vmbench/push']).toBe(ref);
  });

  it('--kvm=privileged mounts the host /dev/kvm into a privileged container; --kvm=none asks for no device (TCG)', async () => {
    // Called as the command (not through the parser), so this holds whatever the option table says.
    const p = await capture(() => kubeCommand(['job', 'debian-12'], {kvm: 'privileged'} as never));
    expect(p.code).toBe(0);
    const [pj] = jobs(objects(p.out)) as [Obj];
    validate(pj);
    const pc = build(pj);
    expect(pc.securityContext).toMatchObject({privileged: true});
    expect(pc.resources.limits['devices.kubevirt.io/kvm']).toBeUndefined();
    const kvm = pj.spec.template.spec.volumes.find((v: any) => v.hostPath);
    expect(kvm.hostPath).toEqual({path: '/dev/kvm', type: 'CharDevice'});
    expect(pc.volumeMounts).toContainEqual({name: kvm.name, mountPath: '/dev/kvm'});

    const n = await capture(() => kubeCommand(['job', 'debian-12'], {kvm: 'none'} as never));
    const [nj] = jobs(objects(n.out)) as [Obj];
    validate(nj);
    const nc = build(nj);
    expect(nc.resources.limits['devices.kubevirt.io/kvm']).toBeUndefined();
    expect(nj.spec.template.spec.volumes.some((v: any) => v.hostPath)).toBe(false);
    expect(nc.securityContext.privileged).toBeUndefined();
    expect(nj.spec.template.spec.securityContext.runAsNonRoot).toBe(true);

    const bad = await capture(() => kubeCommand(['job', 'debian-12'], {kvm: 'sometimes'} as never));
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--kvm must be one of device-plugin, privileged, none/);
  });
});

describe('vmbench kube job <user profile folder>', () => {
  /** A profile folder: profile.yaml, an executable script, a binary file, and what must be left out. */
  function userProfile(): string {
    const dir = path.join(fresh('user'), 'my-alpine');
    mkdirSync(path.join(dir, 'scripts'), {recursive: true});
    mkdirSync(path.join(dir, 'http'), {recursive: true});
    writeFileSync(
      path.join(dir, 'profile.yaml'),
      `iso_url: https://example.invalid/alpine.iso
iso_checksum: none
memory: 512
cpus: 1
http_directory: http
boot_command: ['<enter>']
ssh_username: root
ssh_password: x
provisioners:
  - type: shell
    script: scripts/setup.sh
    timeout: 10m
`,
    );
    writeFileSync(path.join(dir, 'scripts', 'setup.sh'), '#!/bin/sh\necho "setup $(hostname)"\n');
    chmodSync(path.join(dir, 'scripts', 'setup.sh'), 0o755);
    writeFileSync(path.join(dir, 'http', 'answers'), 'KEYMAPOPTS="us us"\n');
    writeFileSync(path.join(dir, 'http', 'logo.bin'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 0xff, 0xfe]));
    // Left out: a build output, version control, a download part.
    mkdirSync(path.join(dir, 'output-my-alpine'), {recursive: true});
    writeFileSync(path.join(dir, 'output-my-alpine', 'my-alpine.qcow2'), 'disk');
    mkdirSync(path.join(dir, '.git'), {recursive: true});
    writeFileSync(path.join(dir, '.git', 'HEAD'), 'ref: refs/heads/main\n');
    writeFileSync(path.join(dir, 'http', 'big.iso.part'), 'partial');
    return dir;
  }

  /** What kubelet makes of a ConfigMap volume with items: files under a timestamped folder, reached through ..data symlinks. */
  function kubeletConfigMapVolume(cm: Obj, volume: any, at: string): void {
    const ts = path.join(at, '..2026_01_01_00_00_00.000000001');
    for (const item of volume.configMap.items) {
      const file = path.join(ts, item.path);
      mkdirSync(path.dirname(file), {recursive: true});
      const bytes = cm.data?.[item.key] !== undefined ? Buffer.from(cm.data[item.key], 'utf8') : Buffer.from(cm.binaryData[item.key], 'base64');
      writeFileSync(file, bytes);
      chmodSync(file, item.mode);
    }
    symlinkSync(path.basename(ts), path.join(at, '..data'));
    for (const top of new Set(volume.configMap.items.map((i: any) => i.path.split('/')[0]))) symlinkSync(path.join('..data', top as string), path.join(at, top as string));
  }

  it('ships the folder as a ConfigMap that the init container copies back out byte for byte, and the copy validates', async () => {
    const dir = userProfile();
    const r = await cli('kube', 'job', dir);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const objs = objects(r.out);
    objs.forEach(validate);
    const cm = objs.find((o) => o.kind === 'ConfigMap')!;
    const [job] = jobs(objs) as [Obj];
    expect(Object.keys(cm.data).sort()).toEqual(['http__answers', 'profile.yaml', 'scripts__setup.sh']);
    expect(Object.keys(cm.binaryData)).toEqual(['http__logo.bin']);
    expect(cm.immutable).toBe(true);

    const spec = job.spec.template.spec;
    const volume = spec.volumes.find((v: any) => v.configMap?.name === cm.metadata.name);
    expect(volume.configMap.items).toContainEqual({key: 'scripts__setup.sh', path: 'profile/scripts/setup.sh', mode: 0o755});
    expect(volume.configMap.items).toContainEqual({key: 'profile.yaml', path: 'profile/profile.yaml', mode: 0o644});
    // The build runs on the copy, under the folder's own name (the profile's default name).
    const c = build(job);
    expect(c.args[1]).toBe(`${POD.profiles}/my-alpine`);
    expect(job.metadata.labels['vmbench/profile']).toBe('my-alpine');
    // 1 CPU, 512 MiB; deadline: boot_wait 10s (Packer's default) + ssh 5m + the provisioner's 10m + shutdown 5m + 30m, in whole minutes.
    expect(c.resources.requests).toMatchObject({cpu: '1500m', memory: '1024Mi'});
    expect(job.spec.activeDeadlineSeconds).toBe(51 * 60);
    expect(job.metadata.annotations['vmbench/active-deadline']).toBe('boot_wait 10s + ssh_timeout 5m + provisioner timeouts 10m + shutdown_timeout 5m + download/conversion/push 30m');

    // The init container's command, run for real against the volume as kubelet lays it out.
    const [init] = spec.initContainers;
    const podRoot = fresh('pod');
    const inPod = (p: string): string => path.join(podRoot, p);
    kubeletConfigMapVolume(cm, volume, inPod(POD.profileSrc));
    const mount = (name: string): string => init.volumeMounts.find((m: any) => m.name === name).mountPath;
    expect(mount(volume.name)).toBe(POD.profileSrc);
    mkdirSync(inPod(mount('profile')), {recursive: true});
    const [cmd, ...cmdArgs] = init.command as string[];
    execFileSync(cmd!, cmdArgs.map((a) => (a.startsWith('/vmbench/') ? inPod(a) : a)));
    const copy = inPod(c.args[1]);
    const list = (d: string, rel = ''): string[] => readdirSync(path.join(d, rel), {withFileTypes: true}).flatMap((e) => (e.isDirectory() ? list(d, path.join(rel, e.name)) : [path.join(rel, e.name)])).sort();
    expect(list(copy)).toEqual(['http/answers', 'http/logo.bin', 'profile.yaml', 'scripts/setup.sh']);
    for (const f of list(copy)) expect(readFileSync(path.join(copy, f)).equals(readFileSync(path.join(dir, f))), f).toBe(true);
    expect(execFileSync('stat', ['-c', '%a', path.join(copy, 'scripts/setup.sh')]).toString().trim()).toBe('755');
    const v = await cli('validate', copy);
    expect(v.code, v.err).toBe(0);
  });

  it('a folder too big for a ConfigMap is refused with its largest files named, exit 2', async () => {
    const dir = userProfile();
    writeFileSync(path.join(dir, 'http', 'installer.img'), Buffer.alloc(1536 * 1024, 7));
    const r = await cli('kube', 'job', dir);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toMatch(/more than a ConfigMap holds \(1 MiB\); the largest files: http\/installer\.img \(1536 KiB\)/);
  });

  it('a bad profile is refused with file:line, exit 2, and nothing printed on stdout', async () => {
    const dir = userProfile();
    const yaml = path.join(dir, 'profile.yaml');
    writeFileSync(yaml, readFileSync(yaml, 'utf8').replace('memory: 512', 'memory: lots'));
    const r = await cli('kube', 'job', dir);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toContain(`${yaml}:3:9: memory:`);
    expect(r.err).toMatch(/1 error: no Job printed/);
    // A missing referenced file is named at the line of the field naming it, as validate does.
    writeFileSync(yaml, readFileSync(yaml, 'utf8').replace('memory: lots', 'memory: 512').replace('scripts/setup.sh', 'scripts/gone.sh'));
    const m = await cli('kube', 'job', dir);
    expect(m.code).toBe(2);
    expect(m.err).toMatch(new RegExp(`${yaml.replace(/[.]/g, '\\.')}:11:13: provisioners\\[0\\]\\.script: .*no such file`));
    const none = await cli('kube', 'job', 'no-such-profile-anywhere');
    expect(none.code).toBe(2);
    expect(none.err).toMatch(/no profile named "no-such-profile-anywhere"/);
  });
});

describe('vmbench kube job <Packer template>', () => {
  /** profiles/tiny without its profile.yaml, plus the HCL2 template (ssh_password is sensitive). */
  function tinyHcl(): string {
    const dir = path.join(fresh('hcl'), 'tiny');
    cpSync(path.join(ROOT, 'profiles', 'tiny'), dir, {recursive: true});
    rmSync(path.join(dir, 'profile.yaml'));
    cpSync(path.join(ROOT, 'test', 'fixtures', 'tiny-hcl'), dir, {recursive: true});
    return dir;
  }

  it('sensitive variables and variable files go through a Secret, never into the Job; other values keep their $', async () => {
    const dir = tinyHcl();
    const varFile = path.join(fresh('vars'), 'site.pkrvars.hcl');
    writeFileSync(varFile, 'marker = "from-var-file"\n');
    const r = await cli('kube', 'job', dir, '-var', 'ssh_password=hunter2-$(x)', '-var', 'marker=a$(HOME)b$$c', '-var-file', varFile);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const objs = objects(r.out);
    objs.forEach(validate);
    const secret = objs.find((o) => o.kind === 'Secret')!;
    const [job] = jobs(objs) as [Obj];
    expect(JSON.stringify(job)).not.toContain('hunter2');
    expect(Object.values(secret.stringData)).toEqual(expect.arrayContaining(['hunter2-$(x)', 'marker = "from-var-file"\n']));
    expect(r.out).toMatch(/this output holds their values: keep it out of version control/);
    // In the pod, after Kubernetes' $(…) expansion, vmbench gets exactly what was given here.
    const argv = argvInPod(objs, job);
    const parsed = parseCommandLine(argv);
    // $(HOME) is a variable of the container and $$ Kubernetes' escape: both must come through as written.
    expect(parsed.values.var).toEqual(['ssh_password=hunter2-$(x)', 'marker=a$(HOME)b$$c']);
    expect(parsed.values['var-file']).toHaveLength(1);
    const varFileInPod = parsed.values['var-file']![0]!;
    const mount = build(job).volumeMounts.find((m: any) => varFileInPod.startsWith(`${m.mountPath}/`));
    const volume = job.spec.template.spec.volumes.find((v: any) => v.name === mount.name);
    expect(volume.secret.secretName).toBe(secret.metadata.name);
    expect(secret.stringData[path.basename(varFileInPod)]).toBe('marker = "from-var-file"\n');
    // The template folder is the ConfigMap; the build is given the folder.
    expect(parsed.args).toEqual([`${POD.profiles}/tiny`]);
  });

  it('a template with several builds: one Job each, narrowed with -only', async () => {
    const dir = path.join(fresh('json'), 'two');
    mkdirSync(dir, {recursive: true});
    const builder = (name: string, memory: number) => ({type: 'qemu', name, iso_url: 'https://example.invalid/a.iso', iso_checksum: 'none', memory, ssh_username: 'root', ssh_password: 'x', boot_command: ['<enter>']});
    writeFileSync(path.join(dir, 'two.json'), JSON.stringify({builders: [builder('small', 512), builder('large', 4096)]}, null, 2));
    const r = await cli('kube', 'job', path.join(dir, 'two.json'));
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const objs = objects(r.out);
    objs.forEach(validate);
    const js = jobs(objs);
    expect(js).toHaveLength(2);
    expect(new Set(js.map((j) => j.metadata.name)).size).toBe(2);
    const byOnly = Object.fromEntries(js.map((j) => [parseCommandLine(argvInPod(objs, j)).values.only?.join(','), j]));
    expect(Object.keys(byOnly).sort()).toEqual(['large', 'small']);
    expect(build(byOnly.large!).resources.requests.memory).toBe(`${4096 + 512}Mi`);
    expect(build(byOnly.small!).args[1]).toBe(`${POD.profiles}/two/two.json`);
    // One ConfigMap for both.
    expect(objs.filter((o) => o.kind === 'ConfigMap')).toHaveLength(1);
  });
});

describe('the Containerfile of vmbench\'s image', () => {
  it('the repo\'s Containerfile is the generated one', () => {
    expect(readFileSync(path.join(ROOT, 'Containerfile'), 'utf8')).toBe(containerfile());
  });

  it('names no package mirror, installs what builds need, runs vmbench as a non-root user', () => {
    const text = containerfile();
    expect(text).toMatch(/^ARG BASE=docker\.io\/library\/node:20-bookworm-slim$/m);
    for (const p of ['tini', 'qemu-system-x86', 'qemu-utils', 'ovmf', 'skopeo', 'openssh-client', 'ansible-core']) expect(IMAGE_PACKAGES).toContain(p);
    const install = /apt-get install[^\n]*\n((?:\s+[a-z0-9.+-]+ \\\n)+)/.exec(text)?.[1]?.split(/\s+\\?\s*/).filter((w) => w && w !== '\\');
    expect(install).toEqual([...IMAGE_PACKAGES]);
    expect(install).not.toContain('genisoimage');
    expect(text).not.toMatch(/https?:\/\//);
    expect(text).toMatch(/^ENTRYPOINT \["tini", "--", "vmbench"\]$/m);
    expect(text).toMatch(/^USER 10001$/m);
    for (const d of ['bin/', 'profiles/']) expect(text).toContain(`COPY ${d} ${d}`);
    expect(text).toContain('npm prune --omit=dev');
  });

  it('--containerfile FILE writes it whole (no profile needed), and no temporary file is left', async () => {
    const d = fresh('cf');
    const file = path.join(d, 'Containerfile');
    const r = await cli('kube', 'job', '--containerfile', file);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toBe('');
    expect(readFileSync(file, 'utf8')).toBe(containerfile());
    expect(readdirSync(d)).toEqual(['Containerfile']);
    // Into a folder that cannot be written: refused, exit 2, nothing left.
    const blocked = path.join(d, 'file-not-dir');
    writeFileSync(blocked, '');
    const bad = await cli('kube', 'job', '--containerfile', path.join(blocked, 'Containerfile'));
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--containerfile .*file-not-dir\/Containerfile: /);
    expect(existsSync(path.join(blocked, 'Containerfile'))).toBe(false);
  });

  it('usage errors exit 2', async () => {
    expect((await cli('kube')).code).toBe(2);
    expect((await cli('kube', 'jobs', 'debian-12')).code).toBe(2);
    expect((await cli('kube', 'job')).code).toBe(2);
  });
});
