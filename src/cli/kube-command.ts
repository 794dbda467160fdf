/**
 * `vmbench kube job <profile> [--push REF] [--image REF] [--kvm MODE] [--containerfile FILE] [-var …]`:
 * prints the Kubernetes objects that build the profile in a cluster (src/kube/job.ts) as one
 * multi-document YAML on stdout, after checking the profile as `vmbench validate` does (its
 * problems with file:line, exit status 2). `--containerfile FILE` writes the Containerfile of
 * the image those Jobs run (and with no profile, only that).
 */
import {readFileSync} from 'node:fs';
import path from 'node:path';
import {stringify} from 'yaml';
import {writeFileAtomic} from '../engine/post-processors/atomic.js';
import {containerfile} from '../kube/containerfile.js';
import {KubeJobError, kubeJobManifests, KVM_MODES, type KubeManifests, type KvmMode} from '../kube/job.js';
import {loadProfiles, ProfileError} from '../profiles/loader.js';
import {loadOptions} from '../session/load-options.js';
import {BUILTIN_PROFILES, resolveProfileArg} from '../session/paths.js';
import {COMMANDS, type CliValues} from './commands.js';
import {validateTarget} from './validate-command.js';

const USAGE = 'usage: vmbench kube job <profile> [--push REF] [--image REF] [--kvm device-plugin|privileged|none] [--containerfile FILE] [-var NAME=VALUE …] (see vmbench kube --help)';

/** The image the Jobs run unless --image: vmbench's own, tagged with this version. */
export function defaultImage(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {version: string};
  return `vmbench:${pkg.version}`;
}

/** This vmbench's `build` takes `--push REF` (else the Job hands the reference over in VMBENCH_PUSH). */
export const buildTakesPush = (): boolean => !!COMMANDS.find((c) => c.name === 'build')?.options.some((o) => o.name === 'push');

/** The manifests as one YAML stream: what the cluster needs as comments, then one document per object. */
export function manifestsYaml(m: KubeManifests, arg: string): string {
  const head = [`# vmbench kube job ${arg}: ${m.objects.filter((o) => o.kind === 'Job').length} Job(s) running \`vmbench build --json\` (the pod log is the event stream)`, ...m.notes.map((n) => `# - ${n}`)];
  // YAML 1.1 quoting: the API server's reader takes yes/no/on/off unquoted as booleans.
  const docs = m.objects.map((o) => stringify(o, {lineWidth: 0, version: '1.1', aliasDuplicateObjects: false}));
  return `${head.join('\n')}\n---\n${docs.join('---\n')}`;
}

export async function kubeCommand(args: string[], values: CliValues): Promise<number> {
  const fail = (msg: string): number => {
    process.stderr.write(`vmbench kube: ${msg}\n`);
    return 2;
  };
  if (args[0] !== 'job' || args.length > 2 || (args.length < 2 && !values.containerfile)) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  // --kvm comes from the command table; read it loosely so a table without it still builds.
  const kvm = ((values as {kvm?: string}).kvm ?? 'device-plugin') as KvmMode;
  if (!KVM_MODES.includes(kvm)) return fail(`--kvm must be one of ${KVM_MODES.join(', ')} (got "${kvm}")`);
  if (values.push !== undefined && (!values.push.trim() || /\s/.test(values.push))) return fail(`--push "${values.push}": give a registry reference, e.g. docker://registry.example/vm/debian:12 or registry.example/vm/debian:12`);
  if (values.image !== undefined && (!values.image.trim() || /\s/.test(values.image))) return fail(`--image "${values.image}": give an image reference`);

  if (values.containerfile) {
    try {
      await writeFileAtomic(path.resolve(values.containerfile), containerfile());
    } catch (err) {
      return fail(`--containerfile ${values.containerfile}: ${(err as Error).message}`);
    }
    process.stderr.write(`vmbench kube: wrote ${values.containerfile} (build it with: podman build -t ${values.image ?? defaultImage()} -f ${values.containerfile} <vmbench checkout>)\n`);
    if (args.length < 2) return 0;
  }

  const arg = args[1]!;
  // Checked as `vmbench validate` checks it: every problem with file:line, before anything is printed.
  const r = validateTarget(arg, values);
  if (!r.ok) {
    for (const e of r.errors) process.stderr.write(`${e.line ? `${e.file}:${e.line}:${e.col}: ${e.field ? `${e.field}: ` : ''}${e.message}` : `vmbench kube: ${e.message}`}\n`);
    if (r.errors.some((e) => e.line)) process.stderr.write(`${arg}: ${r.errors.length} error${r.errors.length === 1 ? '' : 's'}: no Job printed\n`);
    return 2;
  }
  let manifests: KubeManifests;
  try {
    const target = resolveProfileArg(arg);
    // Loaded without this user's settings: the pod has none, so the Job is sized for what runs there.
    const builds = loadProfiles(target, loadOptions(values, null));
    const builtin = path.dirname(path.resolve(target)) === path.resolve(BUILTIN_PROFILES);
    manifests = kubeJobManifests({
      arg,
      target,
      builds,
      builtin,
      vars: values.var ?? [],
      varFiles: values['var-file'] ?? [],
      only: values.only ?? [],
      except: values.except ?? [],
      push: values.push,
      image: values.image ?? defaultImage(),
      kvm,
      buildTakesPush: buildTakesPush(),
    });
  } catch (err) {
    if (err instanceof KubeJobError) return fail(err.message);
    // Valid with this user's settings, not without them (the pod's case): said as validate says it.
    if (err instanceof ProfileError) return (process.stderr.write(`${err.message}\n(the pod has no vmbench settings: set these in the profile or with -var)\n`), 2);
    throw err;
  }
  process.stdout.write(manifestsYaml(manifests, arg));
  return 0;
}
