import {mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {PNG} from 'pngjs';
import {afterEach, describe, expect, it, vi} from 'vitest';
import {screenshotCommand} from '../../src/cli/screenshot-command.js';
import {listBuilds, registerBuild, unregisterBuild} from '../../src/engine/registry.js';
import {QmpError, type QmpClient} from '../../src/qemu/qmp.js';
import {runDir} from '../../src/qemu/reaper.js';
import {Framebuffer} from '../../src/vnc/framebuffer.js';
import {parsePpm, screendumpPng, writePng} from '../../src/vnc/screenshot.js';
import {FakeRfbServer, patternPixel} from '../fakes/fake-rfb-server.js';

const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(path.join(os.tmpdir(), 'vmbench-shot-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, {recursive: true, force: true});
});

/** Every pixel different, every channel exercised. */
function noisy(width: number, height: number): Framebuffer {
  const fb = new Framebuffer(width, height);
  let s = 12345;
  for (let i = 0; i < fb.pixels.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    fb.pixels[i] = s & 0xffffff;
  }
  return fb;
}

/** A QMP client that answers screendump like QEMU: writes the file at `filename`. */
function fakeQmp(behaviour: {png: 'ok' | 'unsupported'; frame: Framebuffer}): QmpClient & {calls: object[]} {
  const calls: object[] = [];
  return {
    version: '7.2.22',
    calls,
    async execute<T>(command: string, args?: object): Promise<T> {
      calls.push({command, ...args});
      const {filename, format} = args as {filename: string; format?: string};
      if (format === 'png') {
        if (behaviour.png === 'unsupported') throw new QmpError(command, 'GenericError', "Parameter 'format' is unexpected");
        writeFileSync(filename, PNG.sync.write(Object.assign(new PNG({width: behaviour.frame.width, height: behaviour.frame.height}), {data: Buffer.from(behaviour.frame.toRgba())})));
      } else {
        const {width, height, pixels} = behaviour.frame;
        const rgb = Buffer.alloc(width * height * 3);
        pixels.forEach((v, i) => rgb.set([(v >> 16) & 255, (v >> 8) & 255, v & 255], i * 3));
        writeFileSync(filename, Buffer.concat([Buffer.from(`P6\n${width} ${height}\n255\n`), rgb]));
      }
      return {} as T;
    },
    on: () => () => {},
    close() {},
    closed: new Promise(() => {}),
  };
}

describe('writePng', () => {
  it('round-trips every pixel exactly through pngjs', async () => {
    const fb = noisy(73, 41);
    const file = path.join(tmp(), 'nested', 'dir', 'shot.png');
    await writePng(fb, file);
    const png = PNG.sync.read(readFileSync(file));
    expect([png.width, png.height]).toEqual([73, 41]);
    expect(Array.from(Framebuffer.fromRgba(png.width, png.height, png.data).pixels)).toEqual(Array.from(fb.pixels));
    expect(readdirSync(path.dirname(file))).toEqual(['shot.png']);
  });

  it('leaves no partial file behind when writing fails', async () => {
    const dir = tmp();
    const file = path.join(dir, 'taken');
    mkdirSync(file); // rename onto a directory fails after the PNG was written
    await expect(writePng(noisy(10, 10), file)).rejects.toThrow();
    expect(readdirSync(dir)).toEqual(['taken']);
    expect(readdirSync(file)).toEqual([]);
  });

  it('refuses an empty framebuffer (no frame yet) without creating anything', async () => {
    const dir = tmp();
    await expect(writePng(new Framebuffer(0, 0), path.join(dir, 'x.png'))).rejects.toThrow(/0x0.*no frame yet/);
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('screendumpPng', () => {
  it('asks QEMU for a PNG at an absolute .partial path and renames it into place', async () => {
    const frame = noisy(32, 16);
    const qmp = fakeQmp({png: 'ok', frame});
    const dir = tmp();
    const file = path.join(dir, 'dump.png');
    expect(await screendumpPng(qmp, file)).toEqual({width: 32, height: 16, via: 'png'});
    expect(qmp.calls).toEqual([{command: 'screendump', filename: `${file}.partial`, format: 'png'}]);
    expect(readdirSync(dir)).toEqual(['dump.png']);
  });

  it('falls back to PPM when QEMU rejects format, and converts it exactly', async () => {
    const frame = noisy(20, 9);
    const qmp = fakeQmp({png: 'unsupported', frame});
    const dir = tmp();
    const file = path.join(dir, 'dump.png');
    expect(await screendumpPng(qmp, file)).toEqual({width: 20, height: 9, via: 'ppm'});
    const png = PNG.sync.read(readFileSync(file));
    expect(Array.from(Framebuffer.fromRgba(20, 9, png.data).pixels)).toEqual(Array.from(frame.pixels));
    expect(readdirSync(dir)).toEqual(['dump.png']); // the PPM is gone too
  });
});

describe('parsePpm', () => {
  it('reads comments, odd whitespace and a maxval below 255', () => {
    const img = parsePpm(Buffer.concat([Buffer.from('P6 # QEMU\n2\t1\n# c\n15\n'), Buffer.from([15, 0, 0, 0, 15, 15])]));
    expect([img.width, img.height, ...img.pixels]).toEqual([2, 1, 0xff0000, 0x00ffff]);
  });
  it('rejects truncated or foreign files', () => {
    expect(() => parsePpm(Buffer.from('P6\n2 2\n255\n\x00\x00'))).toThrow(/truncated/);
    expect(() => parsePpm(Buffer.from('P3\n1 1\n255\n0 0 0'))).toThrow(/not a binary PPM/);
  });
});

describe('registry and `vmbench screenshot` (against a fake RFB server)', () => {
  const saved = process.env.XDG_STATE_HOME;
  afterEach(() => {
    if (saved === undefined) delete process.env.XDG_STATE_HOME;
    else process.env.XDG_STATE_HOME = saved;
  });

  /** Run screenshotCommand, capturing what it prints. */
  async function run(args: string[], values: {output?: string} = {}): Promise<{code: number; out: string; err: string}> {
    let out = '';
    let err = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((c) => ((out += String(c)), true));
    vi.spyOn(process.stderr, 'write').mockImplementation((c) => ((err += String(c)), true));
    try {
      return {code: await screenshotCommand(args, values), out, err};
    } finally {
      vi.restoreAllMocks();
    }
  }

  it('lists live builds only, removing records of dead processes and reused PIDs', () => {
    process.env.XDG_STATE_HOME = tmp();
    const live = registerBuild({id: 'live1', profile: 'tiny', pid: process.pid, vnc: {host: '127.0.0.1', port: 5901}, logDir: '/logs'});
    expect(path.dirname(live)).toBe(runDir());
    registerBuild({id: 'dead1', profile: 'tiny', pid: 2 ** 22 + 17, vnc: {host: '127.0.0.1', port: 5902}, logDir: '/x'});
    const reused = path.join(runDir(), 'build-reused.json');
    writeFileSync(reused, JSON.stringify({id: 'reused', profile: 'tiny', pid: process.pid, logDir: '/y', started: 1, pidStart: '1'}));
    writeFileSync(path.join(runDir(), 'build-junk.json'), '{"half');
    // A record written by the build before its VM is up has no vnc: still a running build.
    writeFileSync(path.join(runDir(), 'build-novm.json'), JSON.stringify({id: 'novm', profile: 'p', pid: process.pid, logDir: '/z', started: 2}));
    writeFileSync(path.join(runDir(), 'qemu-1.json'), '{}'); // the reaper's: not ours to touch
    expect(listBuilds().map((b) => b.id)).toEqual(['novm', 'live1']);
    expect(readdirSync(runDir()).sort()).toEqual(['build-live1.json', 'build-novm.json', 'qemu-1.json']);
    unregisterBuild('live1');
    unregisterBuild('live1');
    expect(listBuilds().map((b) => b.id)).toEqual(['novm']);
    expect(() => registerBuild({id: '../x', profile: 'p', pid: 1, logDir: '/'})).toThrow(/invalid build id/);
  });

  it('saves the only running build\'s screen next to its logs, and explains what it cannot do', async () => {
    process.env.XDG_STATE_HOME = tmp();
    expect(await run([])).toMatchObject({code: 1, err: expect.stringMatching(/no running build found/)});
    const server = await FakeRfbServer.start({width: 40, height: 20, fullUpdates: true});
    try {
      const logDir = path.join(tmp(), 'logs');
      registerBuild({id: 'abc123', profile: 'tiny', pid: process.pid, vnc: {host: '127.0.0.1', port: server.port}, logDir});
      const r = await run([]);
      expect(r.code, r.err).toBe(0);
      const file = r.out.trim();
      expect(file).toMatch(new RegExp(`^${logDir}/screenshots/.+\\.png$`));
      const png = PNG.sync.read(readFileSync(file));
      expect([png.width, png.height]).toEqual([40, 20]);
      const [b, g, rr] = patternPixel(39, 19);
      expect([...png.data.subarray((19 * 40 + 39) * 4, (19 * 40 + 39) * 4 + 3)]).toEqual([rr, g, b]);
      expect(server.last.sharedFlag).toBe(1); // a shared viewer: never disturbs the build's own session
      await server.waitFor(() => server.connections.every((c) => c.closed));

      registerBuild({id: 'abd999', profile: 'other', pid: process.pid, logDir});
      expect(await run([])).toMatchObject({code: 2, err: expect.stringMatching(/2 builds are running.*\n.*abc123.*\n.*abd999.*no VM yet/s)});
      expect(await run(['ab'])).toMatchObject({code: 2, err: expect.stringMatching(/ambiguous/)});
      expect(await run(['abd'])).toMatchObject({code: 1, err: expect.stringMatching(/abd999 has no VM running yet/)});
      expect(await run(['zzz'])).toMatchObject({code: 1, err: expect.stringMatching(/no running build with id "zzz"; running:/)});
      const out = path.join(tmp(), 'shot.png');
      expect(await run(['abc'], {output: out})).toEqual({code: 0, out: `${out}\n`, err: ''});
      expect(await run(['a', 'b'])).toMatchObject({code: 2, err: expect.stringMatching(/usage/)});
    } finally {
      await server.close();
    }
  });
});
