/**
 * The file provisioner (Packer's `file`): copies files and directory trees to the guest
 * (upload, the default) or from it (download) over the build's SSH session. The trailing-slash
 * rules are Packer's (see SshSession.uploadPath). Local paths are relative to the profile's
 * directory, like shell scripts. Every upload source is checked before the first byte moves, so a
 * missing third source does not leave the first two half-provisioned.
 */
import {stat} from 'node:fs/promises';
import path from 'node:path';
import type {FileProvisioner} from '../../../profiles/schema.js';
import type {TransferOptions, TransferPlan, TransferResult} from '../../../ssh/types.js';
import {StepError, type StepContext} from '../../step.js';
import type {BuildState} from '../../state.js';
import {sshSession} from '../ssh-session.js';

/** Packer's file provisioner has no start_retry_timeout: its communicator waits like this. */
const RECONNECT_MS = 5 * 60_000;

/** Packer's name for the file `content` becomes when destination is a directory. */
const CONTENT_FILE = 'pkr-file-content';

/** Resolve a local path against the profile directory, keeping a trailing slash (it matters). */
export function localPath(profileDir: string, p: string): string {
  const abs = path.resolve(profileDir, p);
  return /[\\/]$/.test(p) && abs !== path.parse(abs).root ? `${abs}/` : abs;
}

const mib = (n: number): string => (n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MiB` : n >= 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${n} bytes`);
export const describePlan = (p: TransferPlan): string =>
  `${p.files} file${p.files === 1 ? '' : 's'}${p.dirs ? `, ${p.dirs} director${p.dirs === 1 ? 'y' : 'ies'}` : ''}, ${mib(p.bytes)}`;

/** Runs one file provisioner (all its sources, in order). */
export async function runFile(ctx: StepContext<BuildState>, p: FileProvisioner): Promise<void> {
  const {profileDir} = ctx.state;
  const name = p.name ?? 'file';
  const fail = (what: string, err: unknown, hint?: string): never => {
    if (ctx.signal.aborted) throw ctx.signal.reason;
    if ((err as Error)?.name === 'AbortError') throw err;
    throw new StepError(`${p.source}: ${what}: ${(err as Error).message}`, hint ?? `the file provisioner is defined at ${p.source}`, {cause: err});
  };

  if (p.direction === 'upload') {
    for (const src of p.sources) {
      const abs = localPath(profileDir, src);
      await stat(abs).catch((err: NodeJS.ErrnoException) =>
        fail(`source ${abs}`, err.code === 'ENOENT' ? new Error('no such file or directory') : err, `local paths are relative to the profile directory ${profileDir}`),
      );
    }
  }
  const ssh = await sshSession(ctx, RECONNECT_MS);

  if (p.content !== undefined) {
    const target = p.destination.endsWith('/') ? `${p.destination}${CONTENT_FILE}` : p.destination;
    ctx.log('vmbench', 'info', `${name}: writing content (${mib(Buffer.byteLength(p.content))}) => ${target}`);
    const r = await ssh.upload(p.content, target).catch((err: unknown) => fail(`writing content to ${target} on the guest`, err));
    ctx.log('vmbench', 'info', `${name}: wrote ${target} via ${r.method}`);
    return;
  }

  for (const src of p.sources) {
    const upload = p.direction === 'upload';
    const from = upload ? localPath(profileDir, src) : src;
    const to = upload ? p.destination : localPath(profileDir, p.destination);
    const verb = upload ? 'uploading' : 'downloading';
    let done = 0;
    let total = 0;
    const opts: TransferOptions = {
      signal: ctx.signal,
      onPlan: (plan) => {
        total = plan.bytes;
        ctx.log('vmbench', 'info', `${name}: ${verb} ${from} => ${to} (${describePlan(plan)})`);
      },
      onFile: (_rel, bytes) => {
        done += bytes;
        ctx.progress(`${name}: ${verb} ${path.basename(from.replace(/[\\/]+$/, '')) || from}`, done, total || undefined);
      },
    };
    const started = Date.now();
    let r: TransferResult;
    try {
      r = upload ? await ssh.uploadPath(from, to, opts) : await ssh.downloadPath(from, to, opts);
    } catch (err) {
      return fail(`${verb} ${from} => ${to} failed (local path ${upload ? from : to})`, err);
    }
    const took = `${((Date.now() - started) / 1000).toFixed(1)}s`;
    ctx.log('vmbench', 'info', `${name}: ${upload ? 'uploaded' : 'downloaded'} ${from} => ${r.target} (${describePlan(r)}) via ${r.method} in ${took}`);
    for (const s of r.skipped) ctx.log('provisioner', 'warn', `${name}: skipped ${s}: neither a file nor a directory`);
  }
}
