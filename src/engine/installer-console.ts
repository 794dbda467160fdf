/**
 * What the build can learn from the installer beyond its dialog: its own log, which d-i shows on
 * virtual console 4 (syslog, e.g. "ERROR 404: Not Found" for the file the dialog only calls "a
 * file"), and the answer file the guest fetched (to say which preseed line is missing).
 *
 * Reading console 4 means switching the guest's console (Alt-F4, then Alt-F1 back): done only
 * when the build is about to stop at a dialog, so nothing the installer does is disturbed.
 */
import {readFileSync, statSync} from 'node:fs';
import path from 'node:path';
import {parsePreseed} from '../installer/debian/preseed.js';
import {contentKey, resolveUnder} from '../http/server.js';
import {sleep} from '../util/sleep.js';
import type {AnswerFile} from './installer-watch.js';
import {liveFrames, readScreen} from './screen.js';
import type {BuildState} from './state.js';
import {logicalLines} from './screen-patterns.js';

const SWITCH_TIMEOUT_MS = 5000;
/** A console switch repaints in one go; this long without a change means it is done. */
const QUIET_MS = 400;

async function sendKeys(state: BuildState, keys: string[]): Promise<void> {
  await state.qmp!.execute('send-key', {keys: keys.map((data) => ({type: 'qcode', data}))});
}

/** Wait until the frame changed from `from` and then stayed still for QUIET_MS (bounded). */
async function settle(state: BuildState, from: number | undefined, signal?: AbortSignal): Promise<void> {
  const frames = liveFrames(state);
  if (!frames) return;
  const deadline = Date.now() + SWITCH_TIMEOUT_MS;
  let seen = frames.framebuffer.version;
  let since = Date.now();
  while (Date.now() < deadline && !signal?.aborted) {
    await sleep(50, signal).catch(() => undefined);
    const v = frames.framebuffer.version;
    if (v !== seen) (seen = v), (since = Date.now());
    else if (v !== from && Date.now() - since >= QUIET_MS) return;
  }
}

/**
 * The last screenful of the installer's log from its console 4, as logical lines (rows the
 * console wrapped are joined). Switches back to console 1 whatever happens. Undefined when the
 * VM is gone or the console cannot be read as text.
 */
export async function readInstallerLog(state: BuildState, signal?: AbortSignal): Promise<string[] | undefined> {
  if (!state.qmp || !state.qemu || state.qemu.hasExited()) return undefined;
  const frames = liveFrames(state);
  const before = frames?.framebuffer.version;
  try {
    await sendKeys(state, ['alt', 'f4']);
    await settle(state, before, signal);
    const screen = await readScreen(state);
    if (!screen) return undefined;
    const lines = logicalLines(screen.lines, screen.cols).filter((l) => l.trim());
    return lines.length ? lines : undefined;
  } finally {
    const on4 = frames?.framebuffer.version;
    await sendKeys(state, ['alt', 'f1']).catch(() => undefined);
    await settle(state, on4, signal);
  }
}

const cache = new WeakMap<BuildState, {file: string; mtimeMs: number; answer: AnswerFile}>();

/**
 * The answer file the guest fetched: of the files it got from the HTTP server, the one the boot
 * command's URL names (else the last text file served), parsed as a preseed. Undefined before
 * the guest fetched anything. From http_content, the entry as the profile rendered it; its file
 * when it came from one ({{ templatefile }}), so an answer can be appended there.
 */
export function fetchedAnswerFile(state: BuildState, urls: readonly string[] = []): AnswerFile | undefined {
  const http = state.http;
  const {profile} = state;
  const dir = profile.http_directory;
  const content = Object.keys(profile.http_content ?? {}).length > 0;
  if (!http || (!dir && !content)) return undefined;
  const got = http.server.requests.filter((r) => r.status < 400 && r.method === 'GET');
  if (!got.length) return undefined;
  const named = got.find((r) => urls.some((u) => u.split('?')[0]!.endsWith(r.path)));
  const pick = named ?? got[got.length - 1]!;
  if (!dir) {
    const key = contentKey(pick.path);
    const text = key === undefined ? undefined : profile.http_content[key];
    if (text === undefined) return undefined;
    const origin = profile.http_content_files[key!];
    return {name: origin ? path.relative(state.profileDir, origin) : `http_content ${key}`, path: origin, entries: parsePreseed(text)};
  }
  const root = path.resolve(state.profileDir, dir);
  const file = resolveUnder(root, pick.path);
  if (!file) return undefined;
  try {
    const {mtimeMs} = statSync(file);
    const hit = cache.get(state);
    if (hit && hit.file === file && hit.mtimeMs === mtimeMs) return hit.answer;
    const answer: AnswerFile = {name: path.relative(state.profileDir, file), path: file, entries: parsePreseed(readFileSync(file, 'utf8'))};
    cache.set(state, {file, mtimeMs, answer});
    return answer;
  } catch {
    return undefined;
  }
}
