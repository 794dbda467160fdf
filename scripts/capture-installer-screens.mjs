#!/usr/bin/env node
/**
 * Capture the real frames in test/fixtures/installer-screens/ from the real Debian 12 installer
 * (run `npx tsc -p tsconfig.json` first): the ISO built by scripts/fixtures/debian-installer-iso.sh
 * from the installed debian-installer-12-netboot-amd64, booted three times under QEMU (TCG), driven
 * with QMP send-key, seen through QMP screendump, with a small HTTP server on the host serving
 * preseed variants made from profiles/debian-12/http/preseed.cfg (without a mirror host, so the
 * installer asks for one) and, under /debian/, the host's own apt mirror (src/profiles/host-apt.ts,
 * read at run time) passed through: the installer's mirror is 10.0.2.2:PORT, so no frame names a
 * package registry's host (the project's rule), only this server's address:
 *   1. `install auto=true priority=critical url=…/preseed.cfg mirror/http/directory=/debian`
 *      (1280x800): boot menu, boot: prompt, IPv6 progress, mirror hostname question (d-i's
 *      default erased, `mirror.example.org` typed) → 10.0.2.2:PORT typed → Enter → "Download
 *      installer components" error (the mirror 404s .udebs) → VT4 → Change mirror → a bad host →
 *      "Bad archive mirror" → Cancel → step failed → main menu → Abort → yes/no; VT4 (syslog), VT2;
 *   2. `… video=1024x768 url=…/missing.cfg` (1024x768): the preseed's 404 error, step failed,
 *      main menu, the language list;
 *   3. `install auto=true priority=high nomodeset url=…/nohost.cfg` (800x600): DHCP progress,
 *      hostname, domain, mirror hostname (`mirror.example.org` typed as in run 1), VT4.
 * Each frame is saved as <name>-<width>x<height>.png with its text as read by vmbench (.txt) —
 * check the text by eye against the PNG before committing it as a fixture.
 *
 * Usage: node scripts/capture-installer-screens.mjs [--runs=1,3] [out-dir]   (default: all three
 * runs, into a new temp directory, never the committed fixtures). Takes several minutes under TCG;
 * run nothing heavy beside it.
 * The boot lines name port 8088 as the committed frames do; when it is taken another port is used
 * (and shows in the 404 dialog's text).
 */
import {execFileSync, spawn} from 'node:child_process';
import {existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath, pathToFileURL} from 'node:url';
import {PNG} from 'pngjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const load = (f) => import(pathToFileURL(path.join(ROOT, 'dist', f)).href);
const {connectQmp} = await load('qemu/qmp.js');
const {readScreenText, findText, defaultFonts} = await load('screen/screen-text.js');
const {screendump} = await load('screen/screendump.js');
const {parseBgf} = await load('screen/bgf.js');
const {readCpio} = await load('iso/cpio.js');
const {hostAptMirror} = await load('profiles/host-apt.js');

const INITRD = '/usr/lib/debian-installer/images/12/amd64/text/debian-installer/amd64/initrd.gz';
const PRESEED = path.join(ROOT, 'profiles/debian-12/http/preseed.cfg');
const args = process.argv.slice(2);
const runsArg = args.find((a) => a.startsWith('--runs='));
const runs = new Set((runsArg?.slice(7) ?? '1,2,3').split(',').map(Number));
if (![...runs].every((r) => r >= 1 && r <= 3)) throw new Error(`${runsArg}: runs are 1, 2 and 3`);
const outArg = args.find((a) => !a.startsWith('--'));
const out = path.resolve(outArg ?? mkdtempSync(path.join(os.tmpdir(), 'vmbench-installer-screens-')));
mkdirSync(out, {recursive: true});
const cache = process.env.VMBENCH_TEST_CACHE ?? path.join(os.tmpdir(), 'vmbench-test-cache');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'vmbench-capture-di-'));
const log = (msg) => console.error(`[${new Date().toISOString().slice(11, 19)}] ${msg}`);

for (const [file, what] of [[INITRD, 'the Debian package debian-installer-12-netboot-amd64'], [PRESEED, 'the debian-12 profile']]) {
  if (!existsSync(file)) throw new Error(`${file} missing: ${what} is needed`);
}
// The installer's own font (bterm draws d-i with it), then the console fonts (fbcon, isolinux).
const {files} = readCpio(readFileSync(INITRD), (p) => p === 'lib/unifont.bgf');
const fonts = [...parseBgf(files[0].data, 'unifont.bgf'), ...(await defaultFonts())];

// The profile's preseed without a mirror host (the installer asks for it) and its variables filled.
const preseed = readFileSync(PRESEED, 'utf8')
  .split('\n')
  .filter((l) => !l.includes('mirror_host'))
  .join('\n')
  .replace(/\{\{ *user `mirror_dir` *\}\}/g, '/debian')
  .replace(/\{\{ *user `root_password` *\}\}/g, 'vmbench');
const served = {'/preseed.cfg': preseed, '/nohost.cfg': preseed};

// The installer's mirror: /debian/… passed through to the host's own apt mirror (its URL is read
// here, never written down), so every URL d-i prints (its syslog on VT4) names 10.0.2.2:PORT.
const MIRROR_DIR = '/debian';
const upstream = hostAptMirror('url');
function passThrough(req, res) {
  const to = new URL(upstream + req.url.slice(MIRROR_DIR.length));
  const headers = {...req.headers, host: to.host};
  const up = (to.protocol === 'https:' ? https : http).request(to, {method: req.method, headers}, (r) => {
    log(`HTTP ${req.method} ${req.url} → ${r.statusCode} (mirror)`);
    const h = {...r.headers};
    // A redirect to the mirror itself stays on this server (the guest must not see its host).
    if (h.location?.startsWith(upstream)) h.location = MIRROR_DIR + h.location.slice(upstream.length);
    res.writeHead(r.statusCode ?? 502, h);
    r.pipe(res);
  });
  up.on('error', (err) => {
    log(`HTTP ${req.method} ${req.url} → 502 (mirror: ${err.message})`);
    if (!res.headersSent) res.statusCode = 502;
    res.end();
  });
  req.pipe(up);
}

const server = http.createServer((req, res) => {
  const p = (req.url ?? '').split('?')[0];
  if (p.startsWith(`${MIRROR_DIR}/`)) return passThrough(req, res);
  const body = served[p];
  log(`HTTP ${req.method} ${req.url} → ${body ? 200 : 404}`);
  res.statusCode = body ? 200 : 404;
  res.end(body ?? 'not found\n');
});
const port = await new Promise((resolve) => {
  server.once('error', () => server.listen(0, '127.0.0.1', () => resolve(server.address().port)));
  server.listen(8088, '127.0.0.1', () => resolve(8088));
});
if (port !== 8088) log(`port 8088 is taken: serving on ${port} (the 404 dialog will show it)`);
const url = (file) => `http://10.0.2.2:${port}/${file}`;
const MIRROR = `10.0.2.2:${port}`;

const iso = execFileSync('bash', [path.join(ROOT, 'scripts/fixtures/debian-installer-iso.sh'), path.join(cache, 'di-iso')], {encoding: 'utf8'}).trim().split('\n').pop();

// QMP send-key names for what we type (US layout).
const QCODES = {' ': 'spc', '\n': 'ret', '-': 'minus', '=': 'equal', '/': 'slash', '.': 'dot', ';': 'semicolon', ',': 'comma'};
const SHIFTED = {':': 'semicolon', '_': 'minus', '?': 'slash', '&': '7'};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** One QEMU running the installer ISO, driven through QMP. */
class Vm {
  constructor(name, qemu, qmp) {
    Object.assign(this, {name, qemu, qmp, layout: undefined, captured: []});
  }

  static async start(name) {
    const sock = path.join(tmp, `${name}.qmp`);
    const args = ['-accel', 'tcg', '-m', '1024', '-display', 'none', '-qmp', `unix:${sock},server=on,wait=off`, '-cdrom', iso, '-boot', 'd', '-netdev', 'user,id=n0', '-device', 'virtio-net,netdev=n0'];
    const qemu = spawn('qemu-system-x86_64', args, {stdio: ['ignore', 'inherit', 'inherit']});
    log(`${name}: qemu pid ${qemu.pid}`);
    for (let i = 0; ; i++) {
      try {
        return new Vm(name, qemu, await connectQmp(sock, {timeoutMs: 10_000}));
      } catch (err) {
        if (i > 20 || qemu.exitCode !== null) throw err;
        await sleep(250);
      }
    }
  }

  async stop() {
    await this.qmp.execute('quit').catch(() => {});
    this.qmp.close();
    if (this.qemu.exitCode === null) {
      const exited = new Promise((r) => this.qemu.once('exit', r));
      await Promise.race([exited, sleep(5000)]);
      if (this.qemu.exitCode === null) this.qemu.kill('SIGKILL');
    }
  }

  /** The screen's text and the frame it was read from (in VGA text mode, from video memory). */
  async screen() {
    const frame = await screendump(this.qmp, tmp);
    const s = await readScreenText({qmp: this.qmp, frame, fonts, layout: this.layout, tmpDir: tmp});
    if (s.layout) this.layout = s.layout;
    // d-i's empty blue screen between two dialogs: captured once per boot, when seen.
    if (!this.sawBusy && s.mode === 'unknown' && dominantlyBlue(frame)) {
      this.sawBusy = true;
      await this.capture('di-busy', {...s, frame});
    }
    return {...s, frame};
  }

  /** Press keys together, e.g. key('alt', 'f4'). */
  async key(...keys) {
    await this.qmp.execute('send-key', {keys: keys.map((data) => ({type: 'qcode', data}))});
    await sleep(60);
  }

  async type(text) {
    for (const ch of text) {
      const shift = SHIFTED[ch] !== undefined || /[A-Z]/.test(ch);
      const k = SHIFTED[ch] ?? QCODES[ch] ?? ch.toLowerCase();
      await this.key(...(shift ? ['shift', k] : [k]));
    }
  }

  /** Wait until one of `needles` is on screen (and the text has settled); returns the screen and which one. */
  async waitFor(needles, timeoutMs = 300_000) {
    const list = [needles].flat();
    const until = Date.now() + timeoutMs;
    let last;
    for (;;) {
      const s = await this.screen();
      const hit = list.find((n) => findText(s, n));
      if (hit !== undefined) {
        // Settled: the same text half a second later (newt draws a dialog in pieces).
        await sleep(500);
        const again = await this.screen();
        if (again.lines.join('\n') === s.lines.join('\n')) return {screen: again, hit};
      }
      last = s;
      if (Date.now() > until) throw new Error(`${this.name}: none of ${list.join(' | ')} on screen after ${timeoutMs / 1000} s; last (${last.detail}):\n${last.lines.join('\n')}`);
      await sleep(400);
    }
  }

  /** Save a screen (default: the current one) as <name>-<w>x<h>.png and its text as .txt. */
  async capture(name, screen) {
    const s = screen ?? (await this.screen());
    const {frame} = s;
    const png = new PNG({width: frame.width, height: frame.height, colorType: 2, inputColorType: 2, inputHasAlpha: false});
    const rgb = Buffer.alloc(frame.width * frame.height * 3);
    frame.pixels.forEach((p, i) => ((rgb[i * 3] = p >> 16), (rgb[i * 3 + 1] = (p >> 8) & 255), (rgb[i * 3 + 2] = p & 255)));
    png.data = rgb;
    const file = path.join(out, `${name}-${frame.width}x${frame.height}`);
    writeFileSync(`${file}.png`, PNG.sync.write(png, {colorType: 2, inputColorType: 2, inputHasAlpha: false, deflateLevel: 9}));
    const lines = [...s.lines];
    while (lines.length && !lines.at(-1)) lines.pop();
    writeFileSync(`${file}.txt`, lines.length ? lines.join('\n') + '\n' : '');
    this.captured.push(path.basename(file));
    log(`${this.name}: captured ${path.basename(file)} (${s.mode}: ${s.detail})`);
  }

  /** From the isolinux menu to the installer: <esc>, the boot line read back before <enter>. */
  async boot(line, {menu = false} = {}) {
    const {screen} = await this.waitFor('Advanced options', 120_000);
    if (menu) await this.capture('isolinux-menu', screen);
    await this.key('esc');
    await this.waitFor('boot:', 30_000);
    for (let attempt = 1; ; attempt++) {
      await this.type(line);
      await sleep(500);
      const s = await this.screen();
      // The prompt wraps at 80 columns: compare the joined rows.
      if (s.lines.join('').includes(`boot: ${line}`)) break;
      if (attempt === 3) throw new Error(`${this.name}: the boot line did not arrive whole:\n${s.lines.join('\n')}`);
      log(`${this.name}: boot line garbled, retyping`);
      for (let i = 0; i < line.length + 10; i++) await this.key('backspace');
    }
    if (menu) await this.capture('isolinux-boot-typed');
    await this.key('ret');
  }
}

/** Is most of the frame d-i's blue (0x0000aa, or near it through a 16-bit framebuffer)? */
function dominantlyBlue(frame) {
  let blue = 0;
  let n = 0;
  for (let i = 0; i < frame.pixels.length; i += 97, n++) {
    const p = frame.pixels[i];
    if (p >> 16 < 16 && ((p >> 8) & 255) < 16 && (p & 255) > 150) blue++;
  }
  return blue * 2 > n;
}

async function run(name, steps) {
  const vm = await Vm.start(name);
  try {
    await steps(vm);
    log(`${name}: done, ${vm.captured.length} frames`);
  } finally {
    await vm.stop();
  }
}

const MIRROR_QUESTION = 'Debian archive mirror hostname:';
/** What the mirror-hostname frames show in place of d-i's default host (a package registry's). */
const NEUTRAL_HOST = 'mirror.example.org';

/** Replace the text of the focused entry (the cursor is at its end) and wait until it shows. */
async function retype(vm, text) {
  for (let i = 0; i < 40; i++) await vm.key('backspace');
  await vm.type(text);
  return (await vm.waitFor(`${text}_`, 60_000)).screen;
}

try {
  if (runs.has(1)) await run('1280x800', async (vm) => {
    await vm.boot(`install auto=true priority=critical url=${url('preseed.cfg')} mirror/http/directory=/debian`, {menu: true});
    const first = await vm.waitFor(['Attempting IPv6 autoconfiguration', MIRROR_QUESTION], 600_000);
    if (first.hit !== MIRROR_QUESTION) await vm.capture('di-progress-ipv6', first.screen);
    await vm.waitFor(MIRROR_QUESTION);
    await vm.capture('di-q-mirror-hostname', await retype(vm, NEUTRAL_HOST));
    await retype(vm, MIRROR);
    await vm.key('ret');
    await vm.capture('di-err-download-components', (await vm.waitFor('Change mirror')).screen);
    await vm.key('alt', 'f4');
    await vm.capture('di-vc4-udeb-404', (await vm.waitFor('ERROR 404', 30_000)).screen);
    await vm.key('alt', 'f1');
    await vm.waitFor('Change mirror', 30_000);
    await vm.key('down');
    await vm.key('ret');
    await vm.waitFor(MIRROR_QUESTION);
    await vm.capture('di-q-mirror-hostname-typed', await retype(vm, 'nosuch.invalid'));
    await vm.key('ret');
    await vm.capture('di-err-bad-mirror', (await vm.waitFor('Bad archive mirror')).screen);
    // Back out to the main menu: Continue, Go Back from the question, Cancel in the error's list.
    await vm.key('ret');
    for (let i = 0; ; i++) {
      if (i === 10) throw new Error('1280x800: no way back to the main menu');
      const {hit, screen} = await vm.waitFor([MIRROR_QUESTION, 'Change mirror', 'Installation step failed', 'Bad archive mirror', 'Debian installer main menu']);
      log(`1280x800: on "${hit}"`);
      if (hit === 'Debian installer main menu') break;
      if (hit === 'Installation step failed') await vm.capture('di-err-step-failed', screen);
      if (hit === MIRROR_QUESTION) await vm.key('esc');
      else if (hit === 'Change mirror') for (const k of ['down', 'down', 'ret']) await vm.key(k); // Retry, Change mirror, Cancel
      else await vm.key('ret');
      await sleep(1000);
    }
    await vm.capture('di-main-menu', (await vm.waitFor('Abort the installation')).screen);
    await vm.key('end');
    await vm.key('ret');
    await vm.capture('di-q-abort-no', (await vm.waitFor('Are you sure you want to exit now?')).screen);
    await vm.key('left');
    await sleep(1000);
    await vm.capture('di-q-abort-yes');
    await vm.key('alt', 'f4');
    await vm.capture('di-vc4-syslog', (await vm.waitFor('main-menu', 30_000)).screen);
    await vm.key('alt', 'f2');
    await vm.capture('di-vc2-activate', (await vm.waitFor('Please press Enter to activate this console.', 30_000)).screen);
    await vm.key('alt', 'f1');
  });

  if (runs.has(2)) await run('1024x768', async (vm) => {
    await vm.boot(`install auto=true priority=critical video=1024x768 url=${url('missing.cfg')}`);
    await vm.capture('di-err-preseed-404', (await vm.waitFor('Failed to retrieve the preconfiguration file', 600_000)).screen);
    await vm.key('ret');
    await vm.capture('di-err-step-failed', (await vm.waitFor('Installation step failed')).screen);
    await vm.key('ret');
    await vm.capture('di-main-menu', (await vm.waitFor('Debian installer main menu')).screen);
    await vm.key('home');
    await vm.key('ret');
    await vm.capture('di-q-language', (await vm.waitFor('Select a language')).screen);
  });

  if (runs.has(3)) await run('800x600', async (vm) => {
    await vm.boot(`install auto=true priority=high nomodeset url=${url('nohost.cfg')}`);
    const dhcp = await vm.waitFor(['Configuring the network with DHCP', 'Hostname:'], 600_000);
    if (dhcp.hit !== 'Hostname:') await vm.capture('di-progress-dhcp', dhcp.screen);
    await vm.capture('di-q-hostname', (await vm.waitFor('Hostname:')).screen);
    for (let i = 0; i < 10; i++) await vm.key('backspace');
    await vm.type('myhost');
    await vm.capture('di-q-hostname-typed', (await vm.waitFor('myhost_')).screen);
    await vm.key('ret');
    await vm.capture('di-q-domain', (await vm.waitFor('Domain name:')).screen);
    await vm.key('ret');
    await vm.waitFor(MIRROR_QUESTION);
    await vm.capture('di-q-mirror-hostname', await retype(vm, NEUTRAL_HOST));
    await vm.key('alt', 'f4');
    await vm.capture('di-vc4-syslog', (await vm.waitFor('main-menu', 30_000)).screen);
    await vm.key('alt', 'f1');
  });
  log(`frames in ${out}`);
} finally {
  server.close();
  rmSync(tmp, {recursive: true, force: true});
}
