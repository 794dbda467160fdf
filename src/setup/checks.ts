/**
 * The checks `vmbench setup` runs: each says what it found and, when something is wrong, the
 * exact command that fixes it. Everything they touch comes through CheckContext (tests pass
 * fakes); runChecks (runner.ts) bounds each one with its timeoutMs.
 */
import {statSync} from 'node:fs';
import type {Check, CheckContext, CheckResult} from './types.js';

/** The oldest QEMU vmbench supports; older ones get a warning. */
export const MIN_QEMU: readonly [number, number] = [5, 0];
/** Below this much free space a directory gets a warning; below DISK_FAIL_BYTES a failure. */
export const DISK_WARN_BYTES = 10 * 1024 ** 3;
export const DISK_FAIL_BYTES = 1024 ** 3;

type Pkg = 'qemu-system' | 'qemu-img' | 'xorriso' | 'ansible';
const PACKAGES: Record<NonNullable<CheckContext['packageManager']>, Record<Pkg, string>> = {
  apt: {'qemu-system': 'qemu-system-x86', 'qemu-img': 'qemu-utils', xorriso: 'xorriso', ansible: 'ansible-core'},
  dnf: {'qemu-system': 'qemu-system-x86-core', 'qemu-img': 'qemu-img', xorriso: 'xorriso', ansible: 'ansible-core'},
  pacman: {'qemu-system': 'qemu-system-x86', 'qemu-img': 'qemu-img', xorriso: 'libisoburn', ansible: 'ansible-core'},
  zypper: {'qemu-system': 'qemu-x86', 'qemu-img': 'qemu-tools', xorriso: 'xorriso', ansible: 'ansible-core'},
  brew: {'qemu-system': 'qemu', 'qemu-img': 'qemu', xorriso: 'xorriso', ansible: 'ansible'},
};
const INSTALL: Record<NonNullable<CheckContext['packageManager']>, string> = {
  apt: 'apt-get install',
  dnf: 'dnf install',
  pacman: 'pacman -S',
  zypper: 'zypper install',
  brew: 'brew install',
};

/** `sudo ` unless root (and never for Homebrew, which refuses to run as root). */
export const sudo = (ctx: Pick<CheckContext, 'isRoot' | 'packageManager'>): string => (ctx.isRoot || ctx.packageManager === 'brew' ? '' : 'sudo ');

/** The exact install command for these packages, or undefined when the package manager is unknown. */
export function installCommand(ctx: Pick<CheckContext, 'isRoot' | 'packageManager'>, pkgs: Pkg[]): string | undefined {
  if (!ctx.packageManager) return undefined;
  const names = [...new Set(pkgs.map((p) => PACKAGES[ctx.packageManager!][p]))];
  return `${sudo(ctx)}${INSTALL[ctx.packageManager]} ${names.join(' ')}`;
}

/** "QEMU emulator version 7.2.22 (Debian …)" → [7, 2, 22] and the version text. */
export function parseVersion(text: string): {parts: number[]; text: string} | undefined {
  const m = /version\s+(\d+)\.(\d+)(?:\.(\d+))?/i.exec(text);
  if (!m) return undefined;
  const parts = [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
  return {parts, text: `${m[1]}.${m[2]}${m[3] !== undefined ? `.${m[3]}` : ''}`};
}

const older = (v: number[], min: readonly number[]): boolean => v[0]! < min[0]! || (v[0] === min[0] && v[1]! < min[1]!);
const firstLine = (s: string): string => s.split('\n').find((l) => l.trim())?.trim() ?? '';
const gib = (bytes: number): string => `${(bytes / 1024 ** 3).toFixed(bytes < 10 * 1024 ** 3 ? 1 : 0)} GiB`;

type Outcome = Omit<CheckResult, 'id' | 'title'>;

function qemuToolCheck(id: string, title: string, binary: (ctx: CheckContext) => string, pkg: Pkg): Check {
  return {
    id,
    title,
    timeoutMs: 10_000,
    async run(ctx, signal): Promise<Outcome> {
      const bin = binary(ctx);
      const r = await ctx.run(bin, ['--version'], {timeoutMs: 8000, signal});
      const install = installCommand(ctx, [pkg]);
      if (r.notFound) return {status: 'fail', detail: `${bin} not found on PATH`, fix: install};
      if (r.timedOut) return {status: 'fail', detail: `${bin} --version did not answer within 8 s`};
      if (r.exitCode !== 0) return {status: 'fail', detail: `${bin} --version failed (exit ${r.exitCode ?? '?'}): ${firstLine(r.stderr) || firstLine(r.stdout)}`, fix: install};
      const v = parseVersion(r.stdout);
      if (!v) return {status: 'warn', detail: `${bin}: cannot read a version from "${firstLine(r.stdout)}"`};
      if (older(v.parts, MIN_QEMU)) {
        const upgrade = ctx.packageManager === 'apt' ? `${sudo(ctx)}apt-get install --only-upgrade ${PACKAGES.apt[pkg]}` : install;
        return {status: 'warn', detail: `${bin} ${v.text} is older than ${MIN_QEMU.join('.')}, the oldest QEMU vmbench supports`, fix: upgrade};
      }
      return {status: 'ok', detail: `${firstLine(r.stdout)}`};
    },
  };
}

export const qemuSystemCheck = qemuToolCheck('qemu-system', 'QEMU (qemu-system-x86_64)', (ctx) => ctx.qemuBinary, 'qemu-system');
export const qemuImgCheck = qemuToolCheck('qemu-img', 'qemu-img', () => 'qemu-img', 'qemu-img');

export const accelCheck: Check = {
  id: 'accel',
  title: 'Accelerator (KVM probe)',
  // The probe itself gives up after 4 s and waits at most 3 s for its QEMU to die.
  timeoutMs: 20_000,
  async run(ctx, signal): Promise<Outcome> {
    const choice = await ctx.probeAccel(signal);
    if (choice.accel === 'kvm') return {status: 'ok', detail: `KVM works (${choice.reason})`};
    const r = choice.reason;
    let fix: string | undefined;
    if (/^no \/dev\/kvm/.test(r)) fix = `${sudo(ctx)}modprobe kvm_intel || ${sudo(ctx)}modprobe kvm_amd`;
    else if (/not accessible/.test(r)) fix = `${sudo(ctx)}usermod -aG kvm ${ctx.user}   # then log in again`;
    return {status: 'warn', detail: `TCG, slower — KVM unusable: ${r}`, fix};
  },
};

function diskCheck(id: string, title: string, dir: (ctx: CheckContext) => string, key: 'cacheDir' | 'outputDir'): Check {
  return {
    id,
    title,
    timeoutMs: 5000,
    async run(ctx): Promise<Outcome> {
      const d = dir(ctx);
      const {bytes, probed} = await ctx.freeBytes(d);
      const where = probed === d ? d : `${d} (not created yet; checked ${probed})`;
      const fix = `vmbench setup --set ${key}=DIR   # DIR: a disk with ${gib(DISK_WARN_BYTES)}+ free`;
      if (bytes < DISK_FAIL_BYTES) return {status: 'fail', detail: `only ${gib(bytes)} free at ${where}`, fix};
      if (bytes < DISK_WARN_BYTES) return {status: 'warn', detail: `${gib(bytes)} free at ${where} (under ${gib(DISK_WARN_BYTES)}: disk images and ISOs may not fit)`, fix};
      return {status: 'ok', detail: `${gib(bytes)} free at ${where}`};
    },
  };
}

export const cacheDiskCheck = diskCheck('disk-cache', 'Free space: cache', (ctx) => ctx.cacheDir, 'cacheDir');
export const outputDiskCheck = diskCheck('disk-output', 'Free space: output', (ctx) => ctx.outputDir, 'outputDir');

const names = (list: string[]): string => (list.length > 3 ? `${list.slice(0, 3).join(', ')} and ${list.length - 3} more` : list.join(', '));

export const xorrisoCheck: Check = {
  id: 'xorriso',
  title: 'xorriso (iso_build)',
  timeoutMs: 10_000,
  async run(ctx, signal): Promise<Outcome> {
    const users = ctx.profiles.filter((p) => p.xorriso).map((p) => p.name);
    if (!users.length) return {status: 'skip', detail: 'no profile builds its ISO (iso_build)'};
    const r = await ctx.run('xorriso', ['-version'], {timeoutMs: 8000, signal});
    if (r.notFound || r.exitCode !== 0) return {status: 'warn', detail: `xorriso not found; needed by ${names(users)} (iso_build)`, fix: installCommand(ctx, ['xorriso'])};
    return {status: 'ok', detail: `${firstLine(r.stdout).split(':')[0]!.trim()} (for ${names(users)})`};
  },
};

export const ansibleCheck: Check = {
  id: 'ansible',
  title: 'ansible-playbook',
  timeoutMs: 15_000,
  async run(ctx, signal): Promise<Outcome> {
    const byCommand = new Map<string, string[]>();
    for (const p of ctx.profiles) for (const c of p.ansible) byCommand.set(c, [...(byCommand.get(c) ?? []), p.name]);
    if (!byCommand.size) return {status: 'skip', detail: 'no profile has an ansible provisioner'};
    const found: string[] = [];
    for (const [command, users] of byCommand) {
      const r = await ctx.run(command, ['--version'], {timeoutMs: 12_000, signal});
      if (r.notFound || r.exitCode !== 0) {
        const fix = command === 'ansible-playbook' ? installCommand(ctx, ['ansible']) : undefined;
        return {status: 'warn', detail: `${command} ${r.notFound ? 'not found' : `failed (exit ${r.exitCode ?? '?'})`}; needed by ${names(users)}`, fix};
      }
      found.push(`${firstLine(r.stdout)} (for ${names(users)})`);
    }
    return {status: 'ok', detail: found.join('; ')};
  },
};

/** The user's own key from setup: present and private. */
export function sshKeyCheck(keyFile: string | undefined): Check {
  return {
    id: 'ssh-key',
    title: 'SSH key (optional)',
    timeoutMs: 2000,
    async run(): Promise<Outcome> {
      if (!keyFile) return {status: 'skip', detail: 'none set up (builds use a temporary key); vmbench setup --ssh-key makes one'};
      let mode: number;
      try {
        mode = statSync(keyFile).mode & 0o777;
      } catch {
        return {status: 'warn', detail: `${keyFile} is missing`, fix: 'vmbench setup --ssh-key'};
      }
      if (mode & 0o077) return {status: 'warn', detail: `${keyFile} is readable by others (mode ${mode.toString(8)}); ssh refuses such keys`, fix: `chmod 600 ${keyFile}`};
      return {status: 'ok', detail: `${keyFile} (mode ${mode.toString(8)})`};
    },
  };
}

/** Profiles that cannot be read would fail their build; the optional-tool checks cannot see their needs. */
export const profilesCheck: Check = {
  id: 'profiles',
  title: 'Profiles',
  timeoutMs: 2000,
  async run(ctx): Promise<Outcome> {
    const ok = ctx.profiles.map((p) => p.name);
    if (ctx.brokenProfiles.length) {
      return {status: 'warn', detail: `cannot read ${names(ctx.brokenProfiles)}${ok.length ? `; fine: ${names(ok)}` : ''}`, fix: `vmbench validate ${ctx.brokenProfiles[0]}`};
    }
    return ok.length ? {status: 'ok', detail: `${ok.length} found: ${names(ok)}`} : {status: 'skip', detail: 'no profiles found'};
  },
};

/** Every check, in display order. */
export function allChecks(opts: {sshKeyFile?: string} = {}): Check[] {
  return [qemuSystemCheck, qemuImgCheck, accelCheck, cacheDiskCheck, outputDiskCheck, profilesCheck, xorrisoCheck, ansibleCheck, sshKeyCheck(opts.sshKeyFile)];
}
