/**
 * The VM watcher for one build (wait-ssh's companion): wires engine/vm-watch.ts to this build's
 * screen, HTTP server, evidence and diagnosis, and — for the Debian installer — the dialog
 * tracker, debug pauses on its questions and its own log. Policy lives in the modules it wires;
 * this file only connects them.
 */
import {createHash} from 'node:crypto';
import {readdirSync} from 'node:fs';
import path from 'node:path';
import {parseTemplates} from '../installer/debian/templates.js';
import type {DebconfTemplate} from '../installer/debian/types.js';
import {renderTemplate} from '../profiles/template.js';
import {formatDuration} from '../util/duration.js';
import {diagnoseStall, type DiagnosisInput} from './diagnosis.js';
import type {LogFn} from './events.js';
import {fetchedAnswerFile, readInstallerLog} from './installer-console.js';
import {InstallerTracker} from './installer-watch.js';
import {liveFrames, readScreen} from './screen.js';
import type {StepContext} from './step.js';
import type {BuildState} from './state.js';
import {buildFields} from './build-fields.js';
import {profilePatterns} from './screen-patterns.js';
import {bootCommandUrls, httpWatchTimeout, watchVm, type InstallerWatch, type VmWatch} from './vm-watch.js';

/** The boot command as typed (templates filled in), its URLs, and whether it names the HTTP server. */
export function bootTarget(state: BuildState): {urls: string[]; namesServer: boolean} {
  const {profile} = state;
  const raw = [...profile.boot_command, ...profile.boot_steps.map((s) => s.command)];
  const fields = buildFields(state);
  const rendered = raw
    .map((s) => {
      try {
        return renderTemplate(s, {fields});
      } catch {
        return s;
      }
    })
    .join('');
  const urls = bootCommandUrls(rendered);
  return {urls, namesServer: urls.length > 0 || raw.some((s) => /\{\{\s*\.HTTP(IP|Port)\s*\}\}/.test(s))};
}

const templatesOf = new WeakMap<BuildState, DebconfTemplate[]>();
/** The installer's debconf templates (from the ISO's initrd and udebs), parsed once per build. */
export function debconfTemplates(state: BuildState): DebconfTemplate[] {
  let t = templatesOf.get(state);
  if (!t) {
    t = (state.installerAssets?.templateFiles ?? []).flatMap((f) => parseTemplates(f.text, path.basename(f.path).replace(/\.templates$/, '')));
    templatesOf.set(state, t);
  }
  return t;
}

/** What the diagnosis needs from this build right now. */
export function diagnosisInput(state: BuildState, now = Date.now()): DiagnosisInput {
  const http = state.http;
  let files: string[] | undefined;
  const content = Object.keys(state.profile.http_content ?? {});
  if (content.length) files = content.sort();
  else if (state.profile.http_directory) {
    try {
      files = readdirSync(path.resolve(state.profileDir, state.profile.http_directory)).sort();
    } catch {
      files = undefined;
    }
  }
  return {
    now,
    evidence: state.evidence,
    requests: http?.server.requests ?? [],
    http: http && {guestIp: http.guestIp, port: http.port, dir: state.profile.http_directory, files, content: content.length > 0},
    cloudInit: state.profile.cloud_init ? {username: state.profile.ssh_username} : undefined,
  };
}

function installerWatch(ctx: StepContext<BuildState>, urls: readonly string[]): InstallerWatch {
  const state = ctx.state;
  const tracker = new InstallerTracker({templates: debconfTemplates(state), answerFile: () => fetchedAnswerFile(state, urls)});
  return {
    tracker,
    emit: (e) => ctx.emit(e),
    onStop: async (stop) => {
      if (stop.kind !== 'question') return false;
      const asked = `${stop.dialog.title}: ${stop.dialog.prompt ?? stop.dialog.heading ?? stop.dialog.paragraphs[0] ?? ''}`.trim();
      const label = stop.again ? `${asked} (still unanswered)` : asked;
      if (stop.again) ctx.log('vmbench', 'warn', `the installer's question "${asked}" still waits for an answer`);
      const paused = await ctx.checkpoint(label, {kind: 'installer-question'});
      if (paused) ctx.log('vmbench', 'info', `the installer's question "${label}" was left to you; watching for your answer`);
      return paused;
    },
    log: () => readInstallerLog(state, ctx.signal),
    evidence: () => {
      const failed = (state.http?.server.requests ?? []).filter((r) => r.status >= 400);
      if (!failed.length) return [];
      const {http} = diagnosisInput(state);
      const holds = http?.files ? ` (${http.content ? 'http_content serves' : 'http_directory holds'}: ${http.files.slice(0, 8).join(', ') || 'nothing'})` : '';
      return [`the guest's HTTP requests that failed: ${failed.slice(0, 4).map((r) => `${r.method} ${r.path} → ${r.status}`).join(', ')}${holds}`];
    },
  };
}

/** The watcher for a build: screen, installer dialogs, HTTP requests and evidence. */
export function startVmWatch(ctx: StepContext<BuildState>, signal: AbortSignal, opts: {pollMs?: number} = {}): VmWatch {
  const state = ctx.state;
  const {profile} = state;
  const log: LogFn = (stream, line) => ctx.log('vmbench', stream, line);
  const {urls, namesServer} = bootTarget(state);
  if (!state.evidence.boot) state.evidence.bootTyped(state.evidence.stepDone['type-boot-command'] ?? Date.now(), urls, namesServer);
  const http = state.http;
  const httpMs = http ? httpWatchTimeout(profile, state.accel, namesServer) : 0;
  const serves = !!profile.http_directory || Object.keys(profile.http_content).length > 0;
  if (!serves && profile.ssh_watch_http_timeout) log('debug', 'ssh_watch_http_timeout has no effect: the profile serves no files (no http_directory or http_content)');
  const patterns = profilePatterns(profile);
  const stallMs = Math.max(0, profile.ssh_watch_screen_stall);
  const installer = profile.ssh_watch_default_patterns ? installerWatch(ctx, urls) : undefined;
  const frames = liveFrames(state, (s, l) => ctx.log('vnc', s, l));
  const parts = [
    patterns.length ? `${patterns.length} error pattern${patterns.length === 1 ? '' : 's'} on screen` : '',
    installer ? `installer dialogs${debconfTemplates(state).length ? ` (${debconfTemplates(state).length} debconf templates to name them)` : ''}` : '',
    stallMs ? `a screen still for ${formatDuration(stallMs)}` : '',
    namesServer && http ? 'no network or no answer file (about a minute)' : '',
    httpMs ? `no HTTP request from the guest in ${formatDuration(httpMs)}` : '',
  ].filter(Boolean);
  if (parts.length) log('info', `watching the VM while waiting for SSH: failing early on ${parts.join(', ')}`);
  return watchVm(
    {
      frameVersion: () => (frames && frames.framebuffer.width > 0 ? frames.framebuffer.version : undefined),
      readScreen: () => readScreen(state),
      frameHash: () => {
        const fb = frames?.framebuffer;
        return fb && fb.width > 0 ? createHash('sha1').update(new Uint8Array(fb.pixels.buffer, fb.pixels.byteOffset, fb.pixels.byteLength)).digest('hex') : undefined;
      },
      httpRequests: () => http?.server.requests ?? [],
    },
    {
      patterns,
      stallMs,
      installer,
      evidence: state.evidence,
      diagnose: (now) => diagnoseStall(diagnosisInput(state, now)),
      onVerdict: (v) => ctx.emit({type: 'diagnosis', time: Date.now(), ...v}),
      http: http && httpMs ? {timeoutMs: httpMs, guestIp: http.guestIp, port: http.port, urls, dir: profile.http_directory, content: !profile.http_directory} : undefined,
      pollMs: opts.pollMs,
      log,
      signal,
    },
  );
}
