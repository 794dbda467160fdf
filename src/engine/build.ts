/**
 * One build: typed state from a loaded profile, the step list, and build-level events.
 * Composition (reporters, signals, prompts) lives in src/cli; this file has no I/O of its own.
 */
import {randomBytes} from 'node:crypto';
import path from 'node:path';
import type {LoadedProfile} from '../profiles/loader.js';
import {sensitiveValues} from '../profiles/sensitive.js';
import type {BuildEvent} from './events.js';
import {BuildSections} from './sections.js';
import {BuildEvidence} from './evidence.js';
import {runSteps, type RunnerOptions, type RunResult} from './runner.js';
import type {BuildOptions, BuildState} from './state.js';
import {BUILD_STEPS} from './steps/index.js';
import {failOnVmFault} from './steps/start-vm.js';
import {StepError, type Step} from './step.js';

export interface BuildRequest extends Omit<RunnerOptions, 'emit'> {
  loaded: LoadedProfile;
  options: BuildOptions;
  emit: (event: BuildEvent) => void;
  steps?: readonly Step<BuildState>[];
}

export interface BuildOutcome extends RunResult {
  state: BuildState;
  durationMs: number;
}

/** `dir` with the time in it, as seed 001 renames its output folder: `dir-YYYYMMDD-HHMMSS` (local time). */
export function timestamped(dir: string, at: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${dir.replace(/[\\/]+$/, '')}-${at.getFullYear()}${p(at.getMonth() + 1)}${p(at.getDate())}-${p(at.getHours())}${p(at.getMinutes())}${p(at.getSeconds())}`;
}

export function newBuildState(loaded: LoadedProfile, options: BuildOptions): BuildState {
  const id = randomBytes(4).toString('hex');
  const startedAt = Date.now();
  const out = options.outputDir ?? loaded.profile.output_directory;
  const stamped = options.timestamp || loaded.profile.output_timestamp;
  return {
    id,
    profile: loaded.profile,
    profileDir: loaded.dir,
    profileFile: loaded.file,
    options,
    outputDir: path.resolve(stamped ? timestamped(out, new Date(startedAt)) : out),
    artifacts: [],
    evidence: new BuildEvidence(),
    secrets: sensitiveValues(loaded),
    startedAt,
    stepTimes: [],
  };
}

export async function runBuild(req: BuildRequest, state = newBuildState(req.loaded, req.options)): Promise<BuildOutcome> {
  // A VM QEMU paused on a disk fault fails whichever step waits on it (steps/start-vm.ts).
  const steps = (req.steps ?? BUILD_STEPS).filter((s) => s.applies?.(state) ?? true).map(failOnVmFault);
  const started = Date.now();
  const {profile} = state;
  const outer = req.emit;
  const sections = new BuildSections({begin: new RegExp(profile.section_begin), end: new RegExp(profile.section_end)}, outer);
  state.sections = sections;
  // Provisioner output lines carry the section they belong to, for views that group by section.
  // QEMU dying on its own (killed, crashed, the guest powered off) is the cause of whatever
  // failed next (an SSH connection lost, a screen gone): noted when it happens, vmbench's own
  // stops (vmStopping) aside, and named in the build's error below.
  let watched: BuildState['qemu'];
  let died: {how: string; tail: string} | undefined;
  const watchQemu = (): void => {
    const q = state.qemu;
    if (!q || q === watched) return;
    watched = q;
    void q.exited.then((x) => {
      if (state.vmStopping || state.poweredOff || died) return;
      died = {how: x.signal ? `killed by ${x.signal}` : x.code === 0 ? 'the guest powered off' : `exit code ${x.code}`, tail: q.stderrTail().split('\n').filter(Boolean).at(-1) ?? ''};
    });
  };
  const emit = (e: BuildEvent): void => {
    watchQemu();
    state.evidence.observe(e);
    if (e.type === 'step' && e.durationMs !== undefined) state.stepTimes?.push({id: e.id, title: e.title, status: e.status, seconds: e.durationMs / 1000});
    if (e.type === 'log' && e.source === 'provisioner' && (e.stream === 'stdout' || e.stream === 'stderr')) {
      outer({...e, section: sections.line(e.stream, e.line)});
    } else outer(e);
  };
  req = {...req, emit};
  req.emit({type: 'build', status: 'started', time: started, profile: state.profile.name, steps: steps.map((s) => ({id: s.id, title: s.title}))});
  for (const s of steps) req.emit({type: 'step', time: started, id: s.id, title: s.title, status: 'pending'});
  const result = await runSteps(steps, state, req);
  if (result.status === 'failed' && died && result.error && !/^QEMU exited/.test(result.error.message)) {
    const cause = `QEMU exited (${died.how}${died.tail ? `: ${died.tail}` : ''}) while the build was at ${result.failedStep ?? 'a step'}`;
    const error = new StepError(`${cause}: ${result.error.message}`, (result.error as StepError).hint ?? 'something outside vmbench stopped the VM (the OOM killer, a kill, a QEMU crash: see serial.log and build.log)');
    result.error = error;
  }
  const durationMs = Date.now() - started;
  const reason = result.error?.message;
  req.emit({type: 'build', status: result.status, time: Date.now(), durationMs, reason});
  return {...result, state, durationMs};
}
