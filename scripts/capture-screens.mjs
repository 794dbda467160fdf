#!/usr/bin/env node
/**
 * Capture the real frames in test/fixtures/screens/ from the tiny VM (run `npm run build` first):
 *   isolinux-boot-720x400   the isolinux `boot:` prompt (VGA text mode)
 *   linux-vgacon-720x400    Linux's VGA text console: init output, a shell, a coloured line
 *   linux-fbcon-800x600     the same under `vga=788` (VESA 800x600, framebuffer console)
 * Each PNG gets a .txt with the screen's text: from VGA text memory (exact) for text modes;
 * for fbcon from glyph recognition, to be checked by eye against the PNG before committing.
 *
 * Usage: node scripts/capture-screens.mjs [out-dir]   (default test/fixtures/screens)
 */
import {execFileSync, spawn} from 'node:child_process';
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {PNG} from 'pngjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const {connectQmp} = await import(path.join(ROOT, 'dist/qemu/qmp.js'));
const {readScreenText, findText} = await import(path.join(ROOT, 'dist/screen/screen-text.js'));
const {screendump} = await import(path.join(ROOT, 'dist/screen/screendump.js'));

const out = path.resolve(process.argv[2] ?? path.join(ROOT, 'test/fixtures/screens'));
const cache = process.env.VMBENCH_TEST_CACHE ?? path.join(os.tmpdir(), 'vmbench-test-cache');
const iso = execFileSync('bash', [path.join(ROOT, 'profiles/tiny/build-iso.sh'), path.join(cache, 'iso-build')], {encoding: 'utf8'}).trim().split('\n').pop();
const tmp = mkdtempSync(path.join(os.tmpdir(), 'vmbench-capture-'));
const sock = path.join(tmp, 'qmp.sock');
const qemu = spawn('qemu-system-x86_64', ['-accel', 'tcg', '-m', '256', '-display', 'none', '-qmp', `unix:${sock},server=on,wait=off`, '-cdrom', iso, '-boot', 'd'], {stdio: 'inherit'});

// QMP send-key names for what we type (US layout).
const QCODES = {' ': 'spc', '\n': 'ret', '-': 'minus', '=': 'equal', '/': 'slash', '\\': 'backslash', '.': 'dot', ';': 'semicolon', "'": 'apostrophe', '[': 'bracket_left', ']': 'bracket_right'};
const SHIFTED = {':': 'semicolon', '"': 'apostrophe', '_': 'minus', '|': 'backslash', '<': 'comma', '>': 'dot'};

async function type(qmp, text) {
  for (const ch of text) {
    const shift = SHIFTED[ch] !== undefined || /[A-Z]/.test(ch);
    const key = SHIFTED[ch] ?? QCODES[ch] ?? ch.toLowerCase();
    const keys = shift ? ['shift', key] : [key];
    await qmp.execute('send-key', {keys: keys.map((data) => ({type: 'qcode', data}))});
    await new Promise((r) => setTimeout(r, 30));
  }
}

async function waitFor(qmp, needle, timeoutMs = 90_000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const screen = await readScreenText({qmp});
    if (findText(screen, needle)) return screen;
    if (Date.now() > until) throw new Error(`"${needle}" not on screen; last: ${screen.detail}\n${screen.lines.join('\n')}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

/** Save the screen as an RGB PNG and its text as .txt. */
async function capture(qmp, name, screen) {
  const frame = await screendump(qmp, tmp);
  const png = new PNG({width: frame.width, height: frame.height, colorType: 2, inputColorType: 2, inputHasAlpha: false});
  const rgb = Buffer.alloc(frame.width * frame.height * 3);
  frame.pixels.forEach((p, i) => ((rgb[i * 3] = p >> 16), (rgb[i * 3 + 1] = (p >> 8) & 255), (rgb[i * 3 + 2] = p & 255)));
  png.data = rgb;
  const file = path.join(out, `${name}-${frame.width}x${frame.height}`);
  writeFileSync(`${file}.png`, PNG.sync.write(png, {colorType: 2, inputColorType: 2, inputHasAlpha: false, deflateLevel: 9}));
  const lines = [...screen.lines];
  while (lines.length && !lines.at(-1)) lines.pop();
  writeFileSync(`${file}.txt`, lines.join('\n') + '\n');
  console.error(`captured ${file}.png (${screen.mode}: ${screen.detail})`);
}

// A line with colours and reverse video, for the fg/bg tests.
const COLOUR_LINE = "printf '\\033[1;33;44m vmbench \\033[0m \\033[7m reverse \\033[0m\\n'\n";

let qmp;
try {
  qmp = await connectQmp(sock, {timeoutMs: 10_000});
  let screen = await waitFor(qmp, 'boot:');
  // The cursor blinks; capture with the prompt settled.
  await capture(qmp, 'isolinux-boot', screen);

  await type(qmp, 'tiny\n');
  await waitFor(qmp, 'tiny:/#');
  await type(qmp, COLOUR_LINE);
  await waitFor(qmp, /^ vmbench +reverse/);
  await new Promise((r) => setTimeout(r, 1000)); // the next prompt
  screen = await readScreenText({qmp});
  await capture(qmp, 'linux-vgacon', screen);

  await qmp.execute('system_reset');
  await new Promise((r) => setTimeout(r, 1000));
  await waitFor(qmp, 'boot:');
  await type(qmp, 'tiny vga=788\n');
  await waitFor(qmp, 'tiny:/#');
  await type(qmp, COLOUR_LINE);
  await new Promise((r) => setTimeout(r, 1500));
  screen = await readScreenText({qmp});
  await capture(qmp, 'linux-fbcon', screen);
} finally {
  await qmp?.execute('quit').catch(() => {});
  qmp?.close();
  if (qemu.exitCode === null) qemu.kill('SIGKILL');
  rmSync(tmp, {recursive: true, force: true});
}
