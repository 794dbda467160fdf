/**
 * Shared by scripts/accept-debian.mjs and bench/stop-latency.mjs: run `vmbench build --json`
 * on a profile and watch the same VM's screen with an independent VNC viewer (QEMU's VNC server
 * is shared), so "when did the stop appear" is measured outside vmbench, not taken from it.
 * Needs dist/ (npm run build).
 */
import {spawn} from 'node:child_process';
import {existsSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dist = (p) => import(path.join(ROOT, 'dist', p));

/** The real Debian installer's ISO, built from the host's package (cached by content hash). */
export async function installerIso() {
  const cache = process.env.VMBENCH_TEST_CACHE ?? path.join(os.tmpdir(), 'vmbench-test-cache');
  const out = await run('bash', [path.join(ROOT, 'scripts/fixtures/debian-installer-iso.sh'), path.join(cache, 'iso-build')]);
  const iso = out.trim().split('\n').pop();
  if (!iso || !existsSync(iso)) throw new Error(`the installer ISO was not built: ${out}`);
  return {iso, cache};
}

function run(cmd, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {stdio: ['ignore', 'pipe', 'inherit']});
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}`))));
  });
}

/**
 * Watch a VNC server until `pattern` shows on screen (read with the installer's own fonts and
 * the console fonts). Returns {seen: Promise<number|undefined> (Date.now() when first seen),
 * stop()}.
 */
export async function watchScreenFor(port, fonts, pattern, pollMs = 250, password = undefined) {
  const {FrameSource} = await dist('vnc/frame-source.js');
  const {readScreenText} = await dist('screen/screen-text.js');
  const frames = new FrameSource({host: '127.0.0.1', port}, {password}).start();
  let stopped = false;
  let layout;
  const seen = (async () => {
    while (!stopped) {
      if (frames.framebuffer.width > 0) {
        const s = await readScreenText({frame: frames.framebuffer, fonts, layout}).catch(() => undefined);
        if (s?.layout) layout = s.layout;
        if (s && s.lines.some((l) => pattern.test(l))) return Date.now();
      }
      await new Promise((r) => setTimeout(r, pollMs));
    }
    return undefined;
  })();
  return {seen, stop: () => ((stopped = true), frames.stop())};
}

/**
 * `vmbench build <profile> --json` with extra args; calls onEvent for each event; resolves with
 * {code, events, stderr, wallMs}. `watch`: a screen pattern to time independently.
 */
export async function vmbenchBuild(profile, args, {fonts, watch, onEvent, onPrompt} = {}) {
  const started = Date.now();
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/vmbench'), 'build', profile, '--json', ...args], {stdio: [onPrompt ? 'pipe' : 'ignore', 'pipe', 'pipe']});
  const events = [];
  let stderr = '';
  let buf = '';
  let observer;
  // --debug prompts end in "> " on stderr: hand each to onPrompt, which answers on stdin.
  child.stderr.on('data', (d) => {
    const before = stderr.length;
    stderr += d;
    if (!onPrompt) return;
    for (const m of stderr.slice(Math.max(0, stderr.lastIndexOf('\n', before) + 1)).matchAll(/^\|\|.*> $/gm)) {
      Promise.resolve(onPrompt(m[0], events)).then((answer) => child.stdin.write(`${answer ?? ''}\n`));
    }
  });
  child.stdout.on('data', (d) => {
    buf += d;
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (!line.trim()) continue;
      let e;
      try {
        e = JSON.parse(line);
      } catch {
        continue;
      }
      events.push(e);
      onEvent?.(e);
      const vnc = e.type === 'info' && e.key === 'vnc' && /:(\d+)/.exec(e.value.replace(/^vnc:\/\//, ''));
      if (vnc && watch && !observer) observer = watchScreenFor(Number(vnc[1]), fonts, watch, 250, vncPassword(e.value));
    }
  });
  const code = await new Promise((r) => child.on('exit', (c, sig) => r(c ?? sig)));
  const obs = observer && (await observer);
  obs?.stop();
  const seenAt = obs ? await Promise.race([obs.seen, new Promise((r) => setTimeout(() => r(undefined), 100))]) : undefined;
  return {code, events, stderr, wallMs: Date.now() - started, started, seenAt};
}

/** The VNC password an `info` event's value gives the user's own viewer (QEMU asks for one by default). */
export function vncPassword(value) {
  return /password ([^)\s,]+)/.exec(value)?.[1];
}

/** Type a boot-command-grammar string into a VM through its (shared) VNC server, like a user at a viewer. */
export async function typeIntoVm(port, text, password = undefined) {
  const {connectVnc} = await dist('vnc/vnc-client.js');
  const {parseBootCommand} = await dist('vnc/boot-command.js');
  const {typeBootCommand} = await dist('vnc/typer.js');
  const vnc = await connectVnc({host: '127.0.0.1', port}, {password});
  try {
    await typeBootCommand(vnc, parseBootCommand(text), {keyIntervalMs: 12});
  } finally {
    vnc.close();
  }
}

/** The installer's fonts for an independent reader: its own (from the ISO) then the console fonts. */
export async function readerFonts(iso, cacheDir) {
  const {loadInstallerAssets} = await dist('installer/assets.js');
  const {defaultFonts} = await dist('screen/screen-text.js');
  const assets = await loadInstallerAssets(iso, {cacheDir});
  return [...assets.fonts, ...(await defaultFonts())];
}
