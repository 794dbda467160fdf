/**
 * A finished build for post-processor tests: a working directory (Packer's cwd) holding
 * `output-tiny/tiny.qcow2`, a BuildState from a real profile parse, and a step context that
 * records logs, progress and events. No VM: the post-process step only reads the output.
 */
import {mkdirSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import type {BuildEvent} from '../../src/engine/events.js';
import type {BuildState} from '../../src/engine/state.js';
import type {StepContext} from '../../src/engine/step.js';
import {parseProfile} from '../../src/profiles/loader.js';

export interface FinishedBuild {
  cwd: string;
  image: string;
  state: BuildState;
  ctx: StepContext<BuildState>;
  logs: string[];
  events: BuildEvent[];
  abort: AbortController;
}

/** `yaml` is the profile's post_processors list (and anything after it). */
export function finishedBuild(dir: string, yaml: string, opts: {force?: boolean; image?: Buffer | string; env?: Record<string, string>} = {}): FinishedBuild {
  const outputDir = path.join(dir, 'output-tiny');
  mkdirSync(outputDir, {recursive: true});
  const image = path.join(outputDir, 'tiny.qcow2');
  writeFileSync(image, opts.image ?? 'QFI\xfb a pretend disk image\n'.repeat(100));
  const profile = parseProfile(`iso_url: /x.iso\nssh_username: root\nssh_password: pw\n${yaml}`, path.join(dir, 'profile.yaml'), 'tiny');
  const logs: string[] = [];
  const events: BuildEvent[] = [];
  const abort = new AbortController();
  const state = {
    id: 'b1',
    profile,
    profileDir: dir,
    options: {force: opts.force ?? false, cacheDir: dir, logDir: '', env: {PATH: process.env.PATH, PACKER_RUN_UUID: 'run-1', ...opts.env}, cwd: dir},
    outputDir,
    artifacts: [{path: image, format: 'qcow2', bytes: 1}],
    http: {server: undefined, guestIp: '10.0.2.2', port: 8123},
    sshHostPort: 2345,
  } as unknown as BuildState;
  const ctx: StepContext<BuildState> = {
    state,
    signal: abort.signal,
    stepId: 'post-process',
    log: (source, stream, line) => logs.push(`${source}/${stream}: ${line}`),
    progress: (label, current, total) => events.push({type: 'progress', time: 0, step: 'post-process', label, current, total}),
    emit: (e) => events.push(e),
    checkpoint: async () => false,
  };
  return {cwd: dir, image, state, ctx, logs, events, abort};
}
