/**
 * Contracts of `vmbench setup`'s checks, shared by the plain reporter and the setup screen.
 * No react/ink here.
 */
import type {AccelChoice} from '../qemu/accel.js';

export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skip';

/** The outcome of one check: what was found, and the exact command that fixes it. */
export interface CheckResult {
  id: string;
  title: string;
  status: CheckStatus;
  /** One line: what was found (a version, a reason, free space). */
  detail: string;
  /** An exact command to run (e.g. `sudo apt-get install qemu-utils`), when one fixes it. */
  fix?: string;
}

/** Result of running a command; never a rejection. */
export interface CommandOutcome {
  /** undefined when it did not run to an exit (not found, timed out, killed). */
  exitCode?: number;
  stdout: string;
  stderr: string;
  /** The executable is not on PATH (ENOENT). */
  notFound: boolean;
  timedOut: boolean;
}

/** Runs a command with a time limit. The real one is execa (runner.ts); tests pass a fake. */
export type CommandRunner = (file: string, args: string[], opts: {timeoutMs: number; signal?: AbortSignal}) => Promise<CommandOutcome>;

/** What a profile needs from the host besides QEMU. */
export interface ProfileNeeds {
  name: string;
  /** iso_build profiles build their ISO with xorriso. */
  xorriso: boolean;
  /** The ansible-playbook executable(s) its ansible provisioners run; empty when none. */
  ansible: string[];
}

/** Everything a check may touch, injected so tests can run them without the host. */
export interface CheckContext {
  run: CommandRunner;
  /** The KVM probe (src/qemu/accel.ts). Must honour the signal. */
  probeAccel: (signal: AbortSignal) => Promise<AccelChoice>;
  /** Free bytes available to an unprivileged user on the filesystem holding `dir` (or its nearest existing parent). */
  freeBytes: (dir: string) => Promise<{bytes: number; probed: string}>;
  /** Root needs no `sudo ` in front of fix commands. */
  isRoot: boolean;
  /** Which package manager fix commands use. */
  packageManager: 'apt' | 'dnf' | 'pacman' | 'zypper' | 'brew' | undefined;
  qemuBinary: string;
  cacheDir: string;
  /** Where outputs go (the settings' base, or the working directory for profile-relative outputs). */
  outputDir: string;
  profiles: ProfileNeeds[];
  /** Names of profiles that could not be read (reported, not fatal). */
  brokenProfiles: string[];
  user: string;
}

export interface Check {
  id: string;
  title: string;
  /** Per-check limit; runChecks turns overruns into a `fail` naming the limit. Default 10 s. */
  timeoutMs?: number;
  run(ctx: CheckContext, signal: AbortSignal): Promise<Omit<CheckResult, 'id' | 'title'>>;
}
