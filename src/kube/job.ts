/**
 * `vmbench kube job <profile>`: the Kubernetes objects that build a profile past this machine —
 * one batch/v1 Job per build, running `vmbench build <profile> --json --on-error=cleanup` in
 * vmbench's own image (containerfile.ts), the --json event stream being the pod's log.
 *
 * What the cluster must already have is referenced, never invented: the PVC the output goes to
 * (`vmbench-output`), the Secret with the registry's credentials (`vmbench-registry`, for
 * --push), the KubeVirt device plugin that hands out /dev/kvm. What only this command knows is
 * printed with the Job: a user's profile folder as a ConfigMap (built-in profiles are in the
 * image), variable files and sensitive variables as a Secret (never in the Job's args).
 *
 * Pure apart from reading the profile folder and variable files: the CLI (kube-command.ts)
 * loads and validates the profile, this turns it into objects.
 */
import {createHash} from 'node:crypto';
import {readFileSync, statSync} from 'node:fs';
import path from 'node:path';
import type {LoadedProfile} from '../profiles/loader.js';
import type {Profile} from '../profiles/schema.js';
import {IMAGE_UID} from './containerfile.js';
import {configMapBytes, configMapKey, CONFIGMAP_MAX_BYTES, profileFiles, type ProfileFile} from './profile-files.js';

export type KvmMode = 'device-plugin' | 'privileged' | 'none';
export const KVM_MODES: readonly KvmMode[] = ['device-plugin', 'privileged', 'none'];

/** Names of what the Jobs refer to and the cluster must have. */
export const OUTPUT_CLAIM = 'vmbench-output';
export const REGISTRY_SECRET = 'vmbench-registry';
export const KVM_RESOURCE = 'devices.kubevirt.io/kvm';

/** Paths inside the pod. */
export const POD = {
  output: '/vmbench/output',
  cache: '/vmbench/cache',
  profileSrc: '/vmbench/profile-src',
  /** A user's profile folder is copied to <profiles>/<its folder's name> (the name is the profile's default name). */
  profiles: '/vmbench/profiles',
  inputs: '/vmbench/inputs',
  tmp: '/tmp',
} as const;

export interface KubeJobRequest {
  /** The profile argument as the user gave it (shown in comments). */
  arg: string;
  /** Where it resolved to (resolveProfileArg): a profile folder or file, a template file or folder. */
  target: string;
  /** Every build it defines (after -only/-except), loaded and checked. */
  builds: LoadedProfile[];
  /** The target is a built-in profile, which is in the image: shipped by name. */
  builtin: boolean;
  /** `-var` as given (NAME=VALUE), in order. */
  vars: readonly string[];
  varFiles: readonly string[];
  only: readonly string[];
  except: readonly string[];
  push?: string;
  image: string;
  kvm: KvmMode;
  /** This vmbench's `build` takes `--push REF`; otherwise the Job sets VMBENCH_PUSH for the build to read. */
  buildTakesPush: boolean;
}

export type K8sObject = {apiVersion: string; kind: string; metadata: {name: string; labels?: Record<string, string>; annotations?: Record<string, string>}} & Record<string, unknown>;

export interface KubeManifests {
  objects: K8sObject[];
  /** What the cluster must have, what the output holds: printed as comments above the YAML. */
  notes: string[];
}

/** A bad request the user can fix (too big a profile folder, …): exit status 2. */
export class KubeJobError extends Error {}

const MIB = 1024 * 1024;
/** Allowance for what the profile's timeouts do not bound: ISO download, conversion, push. */
const OUTSIDE_TIMEOUTS_MS = 30 * 60_000;
/** A provisioner without a timeout is counted as this long. */
const PROVISIONER_DEFAULT_MS = 30 * 60_000;

/** A DNS-1123 label piece: lower-case alphanumerics and '-', no '-' at the ends. */
export function slug(s: string, max = 40): string {
  const out = s.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/-+/g, '-').slice(0, max).replace(/^-+|-+$/g, '');
  return out || 'profile';
}

/** A label value: ≤ 63 of [A-Za-z0-9._-], alphanumeric at both ends. */
export function labelValue(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]+/g, '-').slice(0, 63).replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '') || 'unnamed';
}

const hash = (...parts: unknown[]): string => createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 8);

/** `s` for a container's command or args: Kubernetes expands `$(NAME)` there, `$$` is a literal `$`. */
export const escapeArg = (s: string): string => s.replace(/\$/g, '$$$$');

/** 5s, 90s, 60m: minutes when whole. */
const fmtDuration = (ms: number): string => (ms % 60_000 === 0 ? `${ms / 60_000}m` : `${Math.ceil(ms / 1000)}s`);

/** activeDeadlineSeconds: the profile's own timeouts added up, plus what they do not bound. */
export function deadline(p: Profile): {seconds: number; parts: string[]} {
  const parts: [string, number][] = [];
  if (p.boot_wait) parts.push(['boot_wait', p.boot_wait]);
  if (p.communicator !== 'none') parts.push(['ssh_timeout', p.ssh_timeout]);
  if (p.cloud_init) parts.push(['cloud_init.timeout', p.cloud_init.timeout]);
  let unbounded = 0;
  let bounded = 0;
  for (const pr of p.provisioners) {
    const attempts = (pr.max_retries ?? 0) + 1;
    if (pr.timeout) bounded += attempts * (pr.timeout + (pr.pause_before ?? 0));
    else unbounded += attempts;
  }
  if (bounded) parts.push(['provisioner timeouts', bounded]);
  if (unbounded) parts.push([`provisioner runs without a timeout ${unbounded}×${fmtDuration(PROVISIONER_DEFAULT_MS)} =`, unbounded * PROVISIONER_DEFAULT_MS]);
  parts.push(['shutdown_timeout', p.shutdown_timeout]);
  parts.push(['download/conversion/push', OUTSIDE_TIMEOUTS_MS]);
  const ms = parts.reduce((n, [, v]) => n + v, 0);
  return {seconds: Math.ceil(ms / 60_000) * 60, parts: parts.map(([k, v]) => `${k} ${fmtDuration(v)}`)};
}

/** CPU and memory for the build container: the guest's, plus vmbench, QEMU's own and TCG's translation cache. */
export function resources(p: Profile, kvm: KvmMode, outputOnEmptyDir: boolean): Record<string, Record<string, string>> {
  const requests: Record<string, string> = {
    cpu: `${p.cpus * 1000 + 500}m`,
    memory: `${p.memory + 512}Mi`,
    // The ISO cache (emptyDir), and the image and its artifacts when the output is not a PVC.
    'ephemeral-storage': `${2048 + (outputOnEmptyDir ? Math.ceil((p.disk_size * 3) / 1024) * 1024 : 0)}Mi`,
  };
  // No CPU limit (a throttled TCG guest misses its timeouts); memory is capped with room for
  // QEMU's TCG code buffer, which vmbench falls back to whenever /dev/kvm is unusable.
  const limits: Record<string, string> = {memory: `${p.memory + 1536}Mi`};
  if (kvm === 'device-plugin') limits[KVM_RESOURCE] = '1';
  return {requests, limits};
}

/** The folder that reaches the pod for a user's profile or template, and the path to pass inside it. */
function shippedFolder(target: string): {dir: string; inPodDir: string; inPod: string} {
  const abs = path.resolve(target);
  const dir = statSync(abs).isDirectory() ? abs : path.dirname(abs);
  const inPodDir = `${POD.profiles}/${path.basename(dir)}`;
  return {dir, inPodDir, inPod: dir === abs ? inPodDir : `${inPodDir}/${path.basename(abs)}`};
}

/** The objects for `req`; throws KubeJobError for what the user must change. */
export function kubeJobManifests(req: KubeJobRequest): KubeManifests {
  if (!req.builds.length) throw new KubeJobError(`${req.arg}: no qemu build left to run (after -only/-except)`);
  const objects: K8sObject[] = [];
  const notes: string[] = [];
  const profileName = req.builds[0]!.profile.name;
  const baseLabels = (component: string, name = profileName): Record<string, string> => ({
    'app.kubernetes.io/name': 'vmbench',
    'app.kubernetes.io/component': component,
    'vmbench/profile': labelValue(name),
  });

  // --- The profile: by name from the image, or its folder as a ConfigMap.
  let configMap: {name: string; files: ProfileFile[]; inPodDir: string} | undefined;
  let podTarget: string;
  if (req.builtin) {
    podTarget = path.basename(path.resolve(req.target));
  } else {
    const {dir, inPodDir, inPod} = shippedFolder(req.target);
    const skip = new Set<string>();
    for (const b of req.builds) if (b.profile.output_directory) skip.add(path.resolve(b.dir, b.profile.output_directory));
    const files = profileFiles(dir, skip);
    const size = configMapBytes(files);
    if (size > CONFIGMAP_MAX_BYTES) {
      const big = [...files].sort((a, b) => b.bytes.length - a.bytes.length).slice(0, 3).map((f) => `${f.rel} (${Math.ceil(f.bytes.length / 1024)} KiB)`);
      throw new KubeJobError(
        `${dir}: the profile folder is ${Math.ceil(size / 1024)} KiB, more than a ConfigMap holds (1 MiB); the largest files: ${big.join(', ')}. ` +
          'Give ISOs and disk images as http(s) URLs (iso_url), or build an image FROM vmbench with the folder in it and pass it with --image.',
      );
    }
    const name = `vmbench-profile-${slug(profileName)}-${hash(files.map((f) => [f.rel, f.mode, createHash('sha256').update(f.bytes).digest('hex')]))}`;
    configMap = {name, files, inPodDir};
    podTarget = inPod;
    const data: Record<string, string> = {};
    const binaryData: Record<string, string> = {};
    for (const f of files) (f.binary ? (binaryData[f.key] = f.bytes.toString('base64')) : (data[f.key] = f.bytes.toString('utf8')));
    objects.push({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {name, labels: baseLabels('profile'), annotations: {'vmbench/source': dir}},
      ...(Object.keys(data).length ? {data} : {}),
      ...(Object.keys(binaryData).length ? {binaryData} : {}),
      immutable: true,
    });
    notes.push(`ConfigMap ${name}: the profile folder ${dir} (${files.length} file${files.length === 1 ? '' : 's'}), copied to ${inPodDir} before the build.`);
  }

  // --- Inputs that must not show in the Job: variable files and the template's sensitive variables.
  const sensitive = new Set(req.builds.flatMap((b) => b.document?.sensitiveVariables ?? []));
  const secretData: Record<string, string> = {};
  const varArgs: string[] = [];
  const varEnv: {name: string; key: string}[] = [];
  for (const v of req.vars) {
    const eq = v.indexOf('=');
    const name = v.slice(0, eq);
    if (sensitive.has(name)) {
      const key = `var-${configMapKey(name)}`;
      secretData[key] = v.slice(eq + 1);
      const env = `VMBENCH_VAR_${varEnv.length}`;
      varEnv.push({name: env, key});
      varArgs.push('-var', `${escapeArg(name)}=$(${env})`);
    } else {
      varArgs.push('-var', escapeArg(v));
    }
  }
  const varFileArgs: string[] = [];
  for (const [i, f] of req.varFiles.entries()) {
    const key = `var-file-${i}-${configMapKey(path.basename(f))}`;
    let text: string;
    try {
      text = readFileSync(f, 'utf8');
    } catch (err) {
      throw new KubeJobError(`-var-file ${f}: ${(err as Error).message}`);
    }
    secretData[key] = text;
    varFileArgs.push('-var-file', `${POD.inputs}/${key}`);
  }
  let inputsSecret: string | undefined;
  if (Object.keys(secretData).length) {
    inputsSecret = `vmbench-inputs-${slug(profileName)}-${hash(secretData)}`;
    objects.push({apiVersion: 'v1', kind: 'Secret', metadata: {name: inputsSecret, labels: baseLabels('inputs')}, type: 'Opaque', stringData: secretData, immutable: true});
    notes.push(`Secret ${inputsSecret}: ${[varEnv.length ? `${varEnv.length} sensitive variable${varEnv.length === 1 ? '' : 's'}` : '', req.varFiles.length ? `${req.varFiles.length} variable file${req.varFiles.length === 1 ? '' : 's'}` : ''].filter(Boolean).join(' and ')} — this output holds their values: keep it out of version control.`);
  }

  const outputOnEmptyDir = !!req.push;
  const several = req.builds.length > 1;
  for (const b of req.builds) {
    const p = b.profile;
    const selector = b.document?.template?.selector ?? b.document?.template?.buildName ?? p.name;
    // The same request gives the same name on any machine: what the pod is given, not local paths.
    const jobName = `vmbench-${slug(p.name)}-${hash(podTarget, configMap?.name ?? null, inputsSecret ?? null, req.vars, several ? selector : [req.only, req.except], req.push ?? null, req.kvm)}`;
    const labels = {...baseLabels('build', p.name)};
    const select = several ? ['-only', escapeArg(selector)] : [...req.only.flatMap((o) => ['-only', escapeArg(o)]), ...req.except.flatMap((e) => ['-except', escapeArg(e)])];
    const push = req.push ? (req.buildTakesPush ? ['--also', 'containerdisk', '--push', escapeArg(req.push)] : ['--also', 'containerdisk']) : [];
    const args = [
      'build',
      escapeArg(podTarget),
      '--json',
      '--on-error=cleanup',
      // A retried pod finds the first attempt's folder: it is this Job's, replace it.
      '--force',
      '--output',
      `${POD.output}/${jobName}`,
      // One log folder per attempt, beside the outputs (a retry's --force does not touch it).
      '--log-dir',
      `${POD.output}/logs/${jobName}/$(POD_NAME)`,
      ...varArgs,
      ...varFileArgs,
      ...select,
      ...push,
    ];
    const env: Record<string, unknown>[] = [
      {name: 'POD_NAME', valueFrom: {fieldRef: {fieldPath: 'metadata.name'}}},
      // The root file system is read-only: home and temporary files on the tmp volume.
      {name: 'HOME', value: POD.tmp},
      {name: 'XDG_CACHE_HOME', value: POD.cache},
      ...varEnv.map((v) => ({name: v.name, valueFrom: {secretKeyRef: {name: inputsSecret, key: v.key}}})),
    ];
    if (req.push) {
      if (!req.buildTakesPush) env.push({name: 'VMBENCH_PUSH', value: escapeArg(req.push)});
      env.push(
        {name: 'VMBENCH_REGISTRY_USER', valueFrom: {secretKeyRef: {name: REGISTRY_SECRET, key: 'username'}}},
        {name: 'VMBENCH_REGISTRY_PASSWORD', valueFrom: {secretKeyRef: {name: REGISTRY_SECRET, key: 'password'}}},
      );
    }
    const mounts: Record<string, unknown>[] = [
      {name: 'output', mountPath: POD.output},
      {name: 'cache', mountPath: POD.cache},
      {name: 'tmp', mountPath: POD.tmp},
    ];
    const volumes: Record<string, unknown>[] = [
      outputOnEmptyDir ? {name: 'output', emptyDir: {}} : {name: 'output', persistentVolumeClaim: {claimName: OUTPUT_CLAIM}},
      {name: 'cache', emptyDir: {}},
      {name: 'tmp', emptyDir: {}},
    ];
    const initContainers: Record<string, unknown>[] = [];
    const privileged = req.kvm === 'privileged';
    const containerSecurity = privileged
      ? {privileged: true, runAsUser: 0, runAsNonRoot: false}
      : {allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: {drop: ['ALL']}};
    if (configMap) {
      volumes.push(
        {name: 'profile-src', configMap: {name: configMap.name, items: configMap.files.map((f) => ({key: f.key, path: `profile/${f.rel}`, mode: f.mode}))}},
        {name: 'profile', emptyDir: {}},
      );
      mounts.push({name: 'profile', mountPath: POD.profiles});
      // The ConfigMap's files are read-only symlinks: the build gets a writable copy of the folder.
      initContainers.push({
        name: 'profile',
        image: req.image,
        imagePullPolicy: 'IfNotPresent',
        command: ['cp', '-RL', `${POD.profileSrc}/profile`, configMap.inPodDir],
        volumeMounts: [
          {name: 'profile-src', mountPath: POD.profileSrc, readOnly: true},
          {name: 'profile', mountPath: POD.profiles},
        ],
        resources: {requests: {cpu: '100m', memory: '64Mi'}, limits: {memory: '128Mi'}},
        securityContext: containerSecurity,
      });
    }
    if (inputsSecret && req.varFiles.length) {
      volumes.push({name: 'inputs', secret: {secretName: inputsSecret}});
      mounts.push({name: 'inputs', mountPath: POD.inputs, readOnly: true});
    }
    if (privileged) {
      volumes.push({name: 'kvm', hostPath: {path: '/dev/kvm', type: 'CharDevice'}});
      mounts.push({name: 'kvm', mountPath: '/dev/kvm'});
    }
    const dl = deadline(p);
    objects.push({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: {
        name: jobName,
        labels,
        annotations: {
          'vmbench/target': req.arg,
          'vmbench/kvm': req.kvm,
          'vmbench/active-deadline': dl.parts.join(' + '),
          ...(req.push ? {'vmbench/push': req.push} : {}),
        },
      },
      spec: {
        // One more try for what is not the profile's fault (a node lost, an installer mirror
        // hiccup); a bad profile (exit 2) fails the Job at once, an eviction is not counted.
        backoffLimit: 1,
        activeDeadlineSeconds: dl.seconds,
        ttlSecondsAfterFinished: 7 * 24 * 3600,
        podFailurePolicy: {
          rules: [
            {action: 'FailJob', onExitCodes: {containerName: 'build', operator: 'In', values: [2]}},
            {action: 'Ignore', onPodConditions: [{type: 'DisruptionTarget', status: 'True'}]},
          ],
        },
        template: {
          metadata: {labels},
          spec: {
            restartPolicy: 'Never',
            // SIGTERM cancels the build: vmbench stops QEMU and removes half-written files.
            terminationGracePeriodSeconds: 120,
            automountServiceAccountToken: false,
            enableServiceLinks: false,
            securityContext: privileged
              ? {fsGroup: IMAGE_UID}
              : {runAsNonRoot: true, runAsUser: IMAGE_UID, runAsGroup: IMAGE_UID, fsGroup: IMAGE_UID, seccompProfile: {type: 'RuntimeDefault'}},
            ...(initContainers.length ? {initContainers} : {}),
            containers: [
              {
                name: 'build',
                image: req.image,
                imagePullPolicy: 'IfNotPresent',
                args,
                env,
                resources: resources(p, req.kvm, outputOnEmptyDir),
                volumeMounts: mounts,
                securityContext: containerSecurity,
              },
            ],
            volumes,
          },
        },
      },
    });
  }

  // What the cluster must have (referenced above, not created here).
  const needs: string[] = [];
  if (!outputOnEmptyDir) needs.push(`PersistentVolumeClaim ${OUTPUT_CLAIM}: the images, their SHA256SUMS and manifest, and the logs (ReadWriteMany when Jobs run on several nodes at once)`);
  if (req.push) needs.push(`Secret ${REGISTRY_SECRET} (type kubernetes.io/basic-auth: keys username, password) for the push to ${req.push}`);
  if (req.kvm === 'device-plugin') needs.push(`nodes advertising ${KVM_RESOURCE} (KubeVirt's device plugin); elsewhere use --kvm=none (TCG) or --kvm=privileged`);
  if (req.kvm === 'privileged') needs.push('permission to run privileged pods with a hostPath /dev/kvm (a namespace allowing the privileged Pod Security level)');
  needs.push(`the image ${req.image}, built from vmbench's Containerfile (vmbench kube job --containerfile FILE)`);
  return {objects, notes: [...needs.map((n) => `needs ${n}`), ...notes]};
}
