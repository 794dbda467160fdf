import {randomBytes} from 'node:crypto';
import {inflateSync} from 'node:zlib';
import {PNG} from 'pngjs';
import {describe, expect, it} from 'vitest';
import {KITTY_CHUNK, KittyPane, kittyChunks, kittyImage, packPixels} from '../../src/render/kitty.js';
import type {PixelSource} from '../../src/vnc/framebuffer.js';

interface Apc {
  keys: Record<string, string>;
  payload: string;
}

/** Splits a string of kitty APC sequences into their keys and payloads; fails on anything else. */
function parseApcs(s: string): Apc[] {
  const out: Apc[] = [];
  const re = /\x1b_G([^;\x1b]*)(?:;([^\x1b]*))?\x1b\\/y;
  for (let pos = 0; pos < s.length; pos = re.lastIndex) {
    re.lastIndex = pos;
    const m = re.exec(s);
    if (!m) throw new Error(`not a kitty APC at ${pos}: ${JSON.stringify(s.slice(pos, pos + 20))}`);
    out.push({keys: Object.fromEntries(m[1]!.split(',').map((kv) => kv.split('=') as [string, string])), payload: m[2] ?? ''});
  }
  return out;
}

const decode = (apcs: Apc[]): Buffer => Buffer.from(apcs.map((a) => a.payload).join(''), 'base64');

function image(width: number, height: number, at: (x: number, y: number) => number): PixelSource {
  const pixels = new Uint32Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) pixels[y * width + x] = at(x, y);
  return {width, height, pixels};
}

describe('kittyChunks', () => {
  it.each([
    {bytes: 10, chunks: 1},
    {bytes: 3072, chunks: 1}, // exactly 4096 base64 characters
    {bytes: 3073, chunks: 2},
    {bytes: 10_000, chunks: 4},
  ])('splits $bytes bytes into $chunks chunk(s) of at most 4096 and decodes back', ({bytes, chunks}) => {
    const payload = randomBytes(bytes);
    const apcs = parseApcs(kittyChunks('a=T,f=100,i=7,q=2', payload));
    expect(apcs).toHaveLength(chunks);
    for (const a of apcs) expect(a.payload.length).toBeLessThanOrEqual(KITTY_CHUNK);
    expect(decode(apcs).equals(payload)).toBe(true);
    expect(apcs[0]!.keys).toMatchObject({a: 'T', f: '100', i: '7', q: '2'});
    if (chunks === 1) {
      expect(apcs[0]!.keys.m).toBeUndefined();
    } else {
      expect(apcs.map((a) => a.keys.m)).toEqual([...Array<string>(chunks - 1).fill('1'), '0']);
      // Continuation chunks carry only m (and q, so no terminal answers them).
      for (const a of apcs.slice(1)) expect(Object.keys(a.keys).sort()).toEqual(['m', 'q']);
      for (const a of apcs.slice(0, -1)) expect(a.payload.length).toBe(KITTY_CHUNK);
    }
  });

  it('refuses a chunk size that would split a base64 quantum', () => {
    expect(() => kittyChunks('a=T', new Uint8Array(10), 4095)).toThrow(RangeError);
  });
});

describe('kittyImage', () => {
  const src = image(37, 11, (x, y) => (x * 6) << 16 | (y * 20) << 8 | ((x + y) & 255));

  it('sends zlib-compressed RGB with its size (f=24, o=z) that inflates to the pixels', () => {
    const apcs = parseApcs(kittyImage(src, {id: 42, format: 'rgb', cols: 10, rows: 3}));
    expect(apcs[0]!.keys).toMatchObject({a: 'T', f: '24', s: '37', v: '11', o: 'z', i: '42', c: '10', r: '3', C: '1', q: '2'});
    expect(inflateSync(decode(apcs)).equals(packPixels(src, {x: 0, y: 0, width: 37, height: 11}, 3))).toBe(true);
  });

  it('sends RGBA as f=32 with opaque alpha', () => {
    const apcs = parseApcs(kittyImage(src, {id: 1, format: 'rgba'}));
    const raw = inflateSync(decode(apcs));
    expect(apcs[0]!.keys.f).toBe('32');
    expect(raw.length).toBe(37 * 11 * 4);
    expect([raw[4], raw[5], raw[6], raw[7]]).toEqual([6, 0, 1, 255]);
  });

  it('sends a PNG (f=100) that decodes to the same pixels, also when it spans many chunks', () => {
    const big = image(300, 200, (x, y) => ((x * 2654435761) ^ (y * 40503)) & 0xffffff);
    const apcs = parseApcs(kittyImage(big, {id: 9}));
    expect(apcs.length).toBeGreaterThan(10);
    expect(apcs[0]!.keys.f).toBe('100');
    const png = PNG.sync.read(decode(apcs));
    expect([png.width, png.height]).toEqual([300, 200]);
    for (const [x, y] of [[0, 0], [299, 0], [123, 77], [299, 199]] as const) {
      const o = (y * 300 + x) * 4;
      expect((png.data[o]! << 16) | (png.data[o + 1]! << 8) | png.data[o + 2]!).toBe(big.pixels[y * 300 + x]);
    }
  });
});

describe('KittyPane', () => {
  const screen = image(720, 400, (x, y) => (x ^ y) & 0xff);

  it('places the image letterboxed in cells, alternating ids and deleting the previous one', () => {
    const pane = new KittyPane({cols: 100, rows: 30, originRow: 3, originCol: 5, cellWidth: 8, cellHeight: 16, idBase: 500, format: 'rgb'});
    const first = pane.render(screen).toString();
    expect(first.startsWith('\x1b[?2026h\x1b7\x1b[4;5H\x1b_G')).toBe(true); // 444 of 480 px tall: 1 row down
    expect(first.endsWith('\x1b8\x1b[?2026l')).toBe(true);
    const a = parseApcs(first.slice(first.indexOf('\x1b_G'), first.lastIndexOf('\x1b8')));
    expect(a[0]!.keys).toMatchObject({i: '500', c: '100', r: '28', s: '720', v: '400'});
    expect(a.some((x) => x.keys.a === 'd')).toBe(false);
    expect(pane.render(screen).toString()).toBe('');
    expect(pane.render(screen, [{x: 0, y: 0, width: 720, height: 400}]).toString()).toBe(''); // damage, same pixels
    screen.pixels[0] = 0xffffff;
    const second = pane.render(screen, [{x: 0, y: 0, width: 1, height: 1}]).toString();
    expect(second).toContain('i=501,');
    expect(second).toContain('\x1b_Ga=d,d=I,i=500,q=2\x1b\\');
    expect(second.indexOf('i=501,')).toBeLessThan(second.indexOf('a=d'));
    screen.pixels[0] = 0;
    expect(pane.render(screen).toString()).toContain('\x1b_Ga=d,d=I,i=501,q=2\x1b\\');
    expect(pane.clear().toString()).toBe('\x1b_Ga=d,d=I,i=500,q=2\x1b\\\x1b_Ga=d,d=I,i=501,q=2\x1b\\');
  });

  it('sends only the viewed part when zoomed in', () => {
    const pane = new KittyPane({cols: 10, rows: 5, cellWidth: 8, cellHeight: 16, format: 'rgb', view: {zoom: 1, panX: 100, panY: 50}});
    const apcs = parseApcs(pane.render(screen).toString().replace(/^.*?(\x1b_G)/s, '$1').replace(/\x1b8\x1b\[\?2026l$/, ''));
    expect(apcs[0]!.keys).toMatchObject({s: '80', v: '80', c: '10', r: '5'});
    expect(pane.view?.src).toEqual({x: 100, y: 50, width: 80, height: 80});
  });
});
