/** The real CheckContext: this host's commands, disks, KVM probe and profiles. */
import path from 'node:path';
import {listProfileNames, resolveProfileArg} from '../session/paths.js';
import {loadProfile} from '../profiles/loader.js';
import {probeAccelerator} from '../qemu/accel.js';
import {defaultCacheDir, type Settings} from '../settings/schema.js';
import {allChecks} from './checks.js';
import {currentUser, detectPackageManager, execaRunner, freeBytes, runChecks, type CheckUpdate} from './runner.js';
import type {CheckContext, CheckResult, ProfileNeeds} from './types.js';

/** What each known profile needs from the host; profiles that fail to load are listed apart. */
export function collectProfileNeeds(): {profiles: ProfileNeeds[]; broken: string[]} {
  const profiles: ProfileNeeds[] = [];
  const broken: string[] = [];
  for (const name of listProfileNames()) {
    try {
      const {profile, dir} = loadProfile(resolveProfileArg(name));
      const ansible = profile.provisioners.flatMap((p) => (p.type === 'ansible' ? [p.command.includes('/') ? path.resolve(dir, p.command) : p.command] : []));
      profiles.push({name, xorriso: !!profile.iso_build, ansible: [...new Set(ansible)]});
    } catch {
      broken.push(name);
    }
  }
  return {profiles, broken};
}

export interface RealContextOptions {
  cacheDir: string;
  /** The settings' output base; undefined = profile outputs relative to the working directory. */
  outputBase?: string;
  qemuBinary?: string;
}

export function realCheckContext(opts: RealContextOptions): CheckContext {
  const {profiles, broken} = collectProfileNeeds();
  const qemuBinary = opts.qemuBinary ?? 'qemu-system-x86_64';
  return {
    run: execaRunner,
    // A fresh probe, not the per-boot cache: setup is where a user checks whether a fix worked.
    probeAccel: (signal) => probeAccelerator({qemuBinary, signal}),
    freeBytes,
    isRoot: process.getuid?.() === 0,
    packageManager: detectPackageManager(),
    qemuBinary,
    cacheDir: opts.cacheDir,
    outputDir: opts.outputBase ?? process.cwd(),
    profiles,
    brokenProfiles: broken,
    user: currentUser(),
  };
}

/**
 * Every check against this host, for the given settings' directories: what SetupScreen's
 * `runChecks` prop wants (the workbench's first-run screen can pass this as it is).
 */
export function hostChecks(settings: Settings): (onUpdate: (u: CheckUpdate) => void, signal?: AbortSignal) => Promise<CheckResult[]> {
  return (onUpdate, signal) =>
    runChecks(
      allChecks({sshKeyFile: settings.sshKeyFile || undefined}),
      realCheckContext({cacheDir: settings.cacheDir || defaultCacheDir(), outputBase: settings.outputDir || undefined}),
      onUpdate,
      signal,
    );
}
