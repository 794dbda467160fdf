/**
 * Running the checks: the real command runner (execa), the real context, and runChecks, which
 * bounds every check with its own time limit so setup never hangs — a check that overruns is
 * aborted (its AbortSignal fires: the KVM probe kills its QEMU) and reported as failed.
 */
import {statfs} from 'node:fs/promises';
import {existsSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {execa} from 'execa';
import type {Check, CheckContext, CheckResult, CommandRunner} from './types.js';

/** execa with a time limit and a signal; never rejects. */
export const execaRunner: CommandRunner = async (file, args, {timeoutMs, signal}) => {
  const r = await execa(file, args, {
    reject: false,
    timeout: timeoutMs,
    cancelSignal: signal,
    forceKillAfterDelay: 1000,
    stdin: 'ignore',
    // Versions and messages in English, whatever the user's locale.
    env: {LC_ALL: 'C'},
  });
  return {
    exitCode: r.exitCode,
    stdout: typeof r.stdout === 'string' ? r.stdout : '',
    stderr: typeof r.stderr === 'string' ? r.stderr : '',
    notFound: (r as {code?: string}).code === 'ENOENT',
    timedOut: r.timedOut,
  };
};

/** Free space for an unprivileged user (bavail) on the filesystem of `dir`, or of its nearest existing parent. */
export async function freeBytes(dir: string): Promise<{bytes: number; probed: string}> {
  let probe = path.resolve(dir);
  while (!existsSync(probe) && path.dirname(probe) !== probe) probe = path.dirname(probe);
  const s = await statfs(probe);
  return {bytes: Number(s.bavail) * Number(s.bsize), probed: probe};
}

export function detectPackageManager(exists: (f: string) => boolean = existsSync): CheckContext['packageManager'] {
  if (exists('/usr/bin/apt-get')) return 'apt';
  if (exists('/usr/bin/dnf')) return 'dnf';
  if (exists('/usr/bin/pacman')) return 'pacman';
  if (exists('/usr/bin/zypper')) return 'zypper';
  if (exists('/opt/homebrew/bin/brew') || exists('/usr/local/bin/brew')) return 'brew';
  return undefined;
}

export function currentUser(): string {
  try {
    return os.userInfo().username;
  } catch {
    return process.env.USER ?? 'user';
  }
}

export type CheckUpdate = {id: string; title: string; status: 'running'} | CheckResult;

/**
 * Run every check concurrently, each bounded by its timeout, reporting progress through
 * `onUpdate` ('running', then its result). Results come back in the checks' order. A check that
 * throws or overruns becomes a `fail` saying so; nothing here rejects.
 */
export async function runChecks(checks: Check[], ctx: CheckContext, onUpdate: (u: CheckUpdate) => void = () => {}, signal?: AbortSignal): Promise<CheckResult[]> {
  return Promise.all(
    checks.map(async (check): Promise<CheckResult> => {
      const limit = check.timeoutMs ?? 10_000;
      onUpdate({id: check.id, title: check.title, status: 'running'});
      const ac = new AbortController();
      const onOuterAbort = (): void => ac.abort(signal?.reason);
      signal?.addEventListener('abort', onOuterAbort, {once: true});
      let timer: NodeJS.Timeout | undefined;
      const overrun = new Promise<CheckResult>((resolve) => {
        timer = setTimeout(() => {
          ac.abort(new Error(`timed out after ${limit} ms`));
          resolve({id: check.id, title: check.title, status: 'fail', detail: `did not finish within ${limit < 1000 ? `${limit} ms` : `${Math.round(limit / 1000)} s`} (stopped)`});
        }, limit);
      });
      const work = check
        .run(ctx, ac.signal)
        .then((r): CheckResult => ({id: check.id, title: check.title, ...r}))
        .catch((err: unknown): CheckResult => ({
          id: check.id,
          title: check.title,
          status: 'fail',
          detail: ac.signal.aborted ? `stopped: ${String((ac.signal.reason as Error)?.message ?? ac.signal.reason)}` : `check crashed: ${(err as Error)?.message ?? String(err)}`,
        }));
      try {
        const result = await Promise.race([work, overrun]);
        onUpdate(result);
        return result;
      } finally {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onOuterAbort);
      }
    }),
  );
}
