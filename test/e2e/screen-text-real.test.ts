/**
 * Real QEMU: the tiny VM's screen read as text, exactly from VGA memory over QMP and by glyph
 * recognition on a real VNC frame, at the isolinux prompt and after Linux has booted and
 * scrolled its console. QEMU runs in its own process group and is killed by PID in afterAll.
 */
import {execFileSync, spawn, type ChildProcess} from 'node:child_process';
import {mkdtempSync, rmSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {connectQmp, type QmpClient} from '../../src/qemu/qmp.js';
import {readVgaText} from '../../src/screen/vga-text.js';
import {findText, readScreenText, type ScreenText} from '../../src/screen/screen-text.js';
import {parseBootCommand} from '../../src/vnc/boot-command.js';
import {Framebuffer} from '../../src/vnc/framebuffer.js';
import {KEY_INTERVAL_MS, typeBootCommand} from '../../src/vnc/typer.js';
import {connectVnc, type VncSession} from '../../src/vnc/vnc-client.js';
import {CACHE, ROOT} from './helpers.js';

let dir: string;
let qemu: ChildProcess | undefined;
let qmp: QmpClient;
let vnc: VncSession;

beforeAll(async () => {
  const iso = execFileSync('bash', [path.join(ROOT, 'profiles/tiny/build-iso.sh'), path.join(CACHE, 'iso-build')], {encoding: 'utf8'}).trim().split('\n').pop()!;
  dir = mkdtempSync(path.join(os.tmpdir(), 'vmbench-screen-'));
  qemu = spawn('qemu-system-x86_64', ['-accel', 'tcg', '-m', '256', '-display', 'none', '-vnc', `unix:${path.join(dir, 'vnc.sock')},share=force-shared`, '-qmp', `unix:${path.join(dir, 'qmp.sock')},server=on,wait=off`, '-cdrom', iso, '-boot', 'd'], {detached: true, stdio: 'ignore'});
  qmp = await connectQmp(path.join(dir, 'qmp.sock'), {timeoutMs: 15_000});
  vnc = await connectVnc({path: path.join(dir, 'vnc.sock')}, {timeoutMs: 15_000});
}, 120_000);

afterAll(async () => {
  vnc?.close();
  qmp?.close();
  if (qemu?.pid !== undefined && qemu.exitCode === null && qemu.signalCode === null) {
    const exited = new Promise((r) => qemu!.once('exit', r));
    try {
      process.kill(-qemu.pid, 'SIGKILL');
      await exited;
    } catch {
      // already gone
    }
  }
  if (dir) rmSync(dir, {recursive: true, force: true});
});

/** Poll the screen (QMP) until `ready` says so; no fixed sleeps, just a short pause between reads. */
async function waitForScreen(what: string, ready: (screen: ScreenText) => boolean, timeoutMs: number): Promise<ScreenText> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const screen = await readScreenText({qmp});
    if (ready(screen)) return screen;
    if (Date.now() > until) throw new Error(`${what} did not appear within ${timeoutMs} ms; the screen (${screen.detail}):\n${screen.lines.join('\n')}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function waitForText(needle: string | RegExp, timeoutMs: number): Promise<ScreenText> {
  return waitForScreen(String(needle), (screen) => findText(screen, needle) !== undefined, timeoutMs);
}

/**
 * One complete VNC frame. QEMU answers a resolution change with a DesktopSize-only update, so
 * a full update is requested again until one brings pixels.
 */
function vncFrame(timeoutMs = 10_000): Promise<Framebuffer> {
  const fb = new Framebuffer(vnc.width, vnc.height);
  return new Promise((resolve, reject) => {
    let pixels = false;
    const offRect = vnc.onRect((rect) => {
      fb.applyRect(rect, vnc.pixelFormat);
      if (rect.kind === 'raw') pixels = true;
    });
    const offEnd = vnc.onUpdateEnd(() => {
      if (!pixels) return vnc.requestUpdate(false);
      done();
      resolve(fb);
    });
    const timer = setTimeout(() => (done(), reject(new Error('no VNC frame'))), timeoutMs);
    function done() {
      offRect();
      offEnd();
      clearTimeout(timer);
    }
    vnc.requestUpdate(false);
  });
}

describe('reading the real tiny VM screen', () => {
  it('reads the isolinux boot: prompt from VGA memory and from a VNC frame', async () => {
    const memory = await waitForText('boot:', 30_000);
    expect(memory.mode).toBe('vga-text');
    const fromMemory = findText(memory, 'boot:');
    expect(memory.cursor).toEqual({row: fromMemory!.row, col: 6});

    const t0 = performance.now();
    const vga = await readVgaText(qmp);
    const qmpMs = performance.now() - t0;
    expect(vga.kind).toBe('text');

    const frame = await vncFrame();
    expect([frame.width, frame.height]).toEqual([720, 400]);
    const t1 = performance.now();
    const glyphs = await readScreenText({frame});
    const glyphMs = performance.now() - t1;
    expect(glyphs.mode).toBe('glyphs');
    expect(findText(glyphs, 'boot:')).toEqual(fromMemory);
    // Both readings agree on every row.
    expect(glyphs.lines).toEqual(memory.lines);
    console.info(`screen-text: QMP text read ${qmpMs.toFixed(1)} ms, glyph match of a 720x400 frame ${glyphMs.toFixed(1)} ms`);
  }, 40_000);

  it('sees Linux boot after typing tiny<enter>, and follows its scrolled console', async () => {
    await typeBootCommand(vnc, parseBootCommand('tiny<enter>'), {keyIntervalMs: KEY_INTERVAL_MS.vnc});
    // Generous: under TCG on a busy 2-core machine the kernel alone can take a minute.
    const booted = await waitForText('vmbench-tiny: init started', 150_000);
    expect(booted.mode).toBe('vga-text');
    const shell = await waitForText(/^tiny:\/# ?$/, 60_000);
    expect(findText(shell, /vmbench-tiny: ERROR no url=/)).toBeDefined();

    // Scroll: vgacon moves the CRTC start address instead of copying text.
    await typeBootCommand(vnc, parseBootCommand('seq 101 140<enter>'), {keyIntervalMs: KEY_INTERVAL_MS.vnc});
    const prompt = /^tiny:\/# ?$/;
    const after = await waitForScreen('140 then a prompt', (s) => {
      const at = findText(s, /^140$/);
      return at !== undefined && prompt.test(s.lines[at.row + 1] ?? '');
    }, 60_000);
    const at = findText(after, /^140$/)!;
    expect(after.lines.slice(at.row - 2, at.row + 2)).toEqual(['138', '139', '140', 'tiny:/#']);
    expect(findText(after, 'vmbench-tiny')).toBeUndefined(); // scrolled away
    const glyphs = await readScreenText({frame: await vncFrame()});
    expect(glyphs.lines).toEqual(after.lines);
  }, 300_000);
});
