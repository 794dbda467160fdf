import {readFileSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {PNG} from 'pngjs';
import {describe, expect, it} from 'vitest';
import type {QmpClient} from '../../src/qemu/qmp.js';
import {parsePpm as decodePpm} from '../../src/vnc/screenshot.js';
import {findText, readScreenText} from '../../src/screen/screen-text.js';
import {Framebuffer} from '../../src/vnc/framebuffer.js';

const DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/screens');

function fixtureFrame(name: string): Framebuffer {
  const png = PNG.sync.read(readFileSync(path.join(DIR, `${name}.png`)));
  return Framebuffer.fromRgba(png.width, png.height, png.data);
}

function toPpm(frame: Framebuffer): Buffer {
  const header = Buffer.from(`P6\n# made by a test\n${frame.width} ${frame.height}\n255\n`);
  const body = Buffer.alloc(frame.width * frame.height * 3);
  frame.pixels.forEach((p, i) => ((body[i * 3] = p >> 16), (body[i * 3 + 1] = (p >> 8) & 255), (body[i * 3 + 2] = p & 255)));
  return Buffer.concat([header, body]);
}

/**
 * A fake QEMU whose VGA is in a graphics mode (GR06 bit 0) and whose screendump is `frame`;
 * or, with `text`, in text mode showing `text` on its first row.
 */
function fakeQmp(frame: Framebuffer, text?: string): QmpClient & {commands: string[]} {
  const commands: string[] = [];
  return {
    version: '7.2.22',
    commands,
    async execute<T>(command: string, args?: Record<string, unknown>): Promise<T> {
      commands.push(command);
      if (command === 'query-status') return {running: true} as T;
      if (command === 'screendump') return (writeFileSync(String(args?.filename), toPpm(frame)), {}) as T;
      if (command === 'pmemsave') {
        const mem = Buffer.alloc(Number(args?.size));
        for (let i = 0; i < mem.length; i += 2) (mem[i] = 0x20), (mem[i + 1] = 0x07);
        [...(text ?? '')].forEach((ch, i) => (mem[i * 2] = ch.charCodeAt(0)));
        return (writeFileSync(String(args?.filename), mem), {}) as T;
      }
      if (command !== 'human-monitor-command') return {} as T;
      // Port reads: misc 0x67; GR06 0x0e (text) or 0x05 (graphics); CRTC of mode 3; no VBE.
      const [op, , port] = String(args?.['command-line']).split(' ');
      if (op === 'o') return '' as T;
      const crtc = [0x4f, 0x1f, 0x4f, 0x20, 0, 0, 0, 0, 0x8f, 0x28];
      const value = port === '0x3cc' ? 0x67 : port === '0x3cf' ? (text === undefined ? 0x05 : 0x0e) : port === '0x1ce' ? 0xffff : port === '0x3d5' ? crtc[this.reads++ % 10]! : 0;
      return `port[${port}] = 0x${value.toString(16)}` as T;
    },
    reads: 0,
    on: () => () => {},
    close() {},
    closed: new Promise(() => {}),
  } as QmpClient & {commands: string[]; reads: number};
}

describe('findText', () => {
  const screen = {cols: 10, lines: ['boot:', '0123456789', 'abcdef', '', 'x boot: y']};

  it('finds strings and regular expressions, first in reading order', () => {
    expect(findText(screen, 'boot:')).toEqual({row: 0, col: 0, text: 'boot:'});
    expect(findText(screen, 'y')).toEqual({row: 4, col: 8, text: 'y'});
    expect(findText(screen, /b(oo)t: y/)).toEqual({row: 4, col: 2, text: 'boot: y'});
    expect(findText(screen, 'nope')).toBeUndefined();
  });

  it('joins a row that fills the width with the next one (the console wrapped it)', () => {
    expect(findText(screen, '789abc')).toEqual({row: 1, col: 7, text: '789abc'});
    expect(findText(screen, 'abc')).toEqual({row: 2, col: 0, text: 'abc'});
    // Rows shorter than the width are not joined.
    expect(findText(screen, 'abcdef boot')).toBeUndefined();
  });

  it('ignores a global or sticky flag (no lastIndex state between calls)', () => {
    const re = /boot/g;
    expect(findText(screen, re)).toEqual({row: 0, col: 0, text: 'boot'});
    expect(findText(screen, re)).toEqual({row: 0, col: 0, text: 'boot'});
  });
});

describe('readScreenText', () => {
  it('recognises glyphs on a frame without QMP', async () => {
    const s = await readScreenText({frame: fixtureFrame('isolinux-boot-720x400')});
    expect(s).toMatchObject({mode: 'glyphs', confidence: 1, cols: 80, rows: 25});
    expect(s.detail).toMatch(/glyphs 9x16 \(default8x16, iso01.f16, iso01a-8x16\), 100% recognised/);
    expect(findText(s, 'boot:')).toMatchObject({row: 11, col: 0});
  });

  it('prefers VGA text memory when the guest is in text mode', async () => {
    const qmp = fakeQmp(fixtureFrame('isolinux-boot-720x400'), 'boot: from memory');
    const s = await readScreenText({qmp});
    expect(s).toMatchObject({mode: 'vga-text', confidence: 1, cols: 80, rows: 25, detail: 'VGA text memory, 80x25'});
    expect(s.lines[0]).toBe('boot: from memory');
    expect([s.fg![0], s.bg![0]]).toEqual([0xa8a8a8, 0]);
    expect(qmp.commands).not.toContain('screendump');
  });

  it('falls back to a QMP screendump in graphics modes', async () => {
    const qmp = fakeQmp(fixtureFrame('linux-fbcon-800x600'));
    const s = await readScreenText({qmp});
    expect(s.mode).toBe('glyphs');
    expect(s.detail).toMatch(/^VGA is in a graphics mode \(GR06=0x05\); glyphs 8x16/);
    expect(findText(s, 'tiny:/#')).toMatchObject({row: 10, col: 0});
    expect(qmp.commands).toContain('screendump');
  });

  it('uses a given frame rather than a screendump, and reports unknown without fonts or text', async () => {
    const frame = fixtureFrame('linux-fbcon-800x600');
    const qmp = fakeQmp(frame);
    expect((await readScreenText({qmp, frame})).mode).toBe('glyphs');
    expect(qmp.commands).not.toContain('screendump');
    expect(await readScreenText({frame, fonts: []})).toMatchObject({mode: 'unknown', lines: [], detail: expect.stringMatching(/console-data/)});
    const blank = new Framebuffer(640, 480);
    expect(await readScreenText({frame: blank})).toMatchObject({mode: 'unknown', confidence: 0});
    expect(await readScreenText({})).toMatchObject({mode: 'unknown', detail: 'no frame to read'});
  });
});

describe('decodePpm', () => {
  it('decodes P6 with comments, and rejects other formats', () => {
    const fb = new Framebuffer(3, 2);
    fb.pixels.set([0xff0000, 0x00ff00, 0x0000ff, 0x123456, 0, 0xffffff]);
    expect(Array.from(decodePpm(toPpm(fb)).pixels)).toEqual(Array.from(fb.pixels));
    expect(() => decodePpm(Buffer.from('P3\n1 1\n255\n0 0 0\n'))).toThrow(/not a binary PPM/);
    expect(() => decodePpm(Buffer.from('P6\n2 2\n65535\n'))).toThrow(/max 65535/);
    expect(() => decodePpm(Buffer.from('P6\n20 20\n255\n\0\0\0'))).toThrow(/truncated/);
  });
});
