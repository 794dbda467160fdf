import {writeFileSync} from 'node:fs';
import {describe, expect, it} from 'vitest';
import type {QmpClient} from '../../src/qemu/qmp.js';
import {QmpError} from '../../src/qemu/qmp.js';
import {decodeTextMemory, readVgaText, textGeometry, type VgaRegisters} from '../../src/screen/vga-text.js';

/** The registers of the real tiny VM at its isolinux prompt (QEMU 7.2, SeaBIOS, mode 3). */
const MODE3: VgaRegisters = {
  misc: 0x67,
  gr6: 0x0e,
  vbeEnable: 0,
  crtc: {0x01: 0x4f, 0x07: 0x1f, 0x09: 0x4f, 0x0a: 0x0d, 0x0c: 0x00, 0x0d: 0x00, 0x0e: 0x03, 0x0f: 0x76, 0x12: 0x8f, 0x13: 0x28},
};

describe('textGeometry', () => {
  it('reads 80×25 with 16-line characters and the cursor from mode 3 registers', () => {
    expect(textGeometry(MODE3)).toEqual({cols: 80, rows: 25, charHeight: 16, stride: 80, start: 0, cursor: 0x376, windowBase: 0xb8000, windowSize: 0x8000});
  });

  it('reads 80×50 (8-line characters) and a hidden cursor', () => {
    const g = textGeometry({...MODE3, crtc: {...MODE3.crtc, 0x09: 0x47, 0x0a: 0x20}});
    expect(g).toMatchObject({cols: 80, rows: 50, charHeight: 8, cursor: undefined});
  });

  it.each([
    ['a graphics mode', {...MODE3, gr6: 0x05}, /graphics mode \(GR06=0x05\)/],
    ['a VBE framebuffer', {...MODE3, gr6: 0x0e, vbeEnable: 0x41}, /VBE framebuffer/],
    ['nonsense CRTC values', {...MODE3, crtc: {...MODE3.crtc, 0x13: 0}}, /implausible text geometry/],
  ])('says why not for %s', (_, regs, reason) => {
    expect(textGeometry(regs as VgaRegisters)).toEqual({reason: expect.stringMatching(reason)});
  });
});

/** A text window of cells: `rows` written from cell `start` with stride 80; wraps at the end. */
function memoryWith(rows: string[], start: number, attr = 0x07): Uint8Array {
  const mem = new Uint8Array(0x8000);
  const cells = mem.length / 2;
  for (let i = 0; i < cells; i++) (mem[i * 2] = 0x20), (mem[i * 2 + 1] = attr);
  rows.forEach((text, r) => [...text].forEach((ch, c) => (mem[((start + r * 80 + c) % cells) * 2] = ch.charCodeAt(0))));
  return mem;
}

describe('decodeTextMemory', () => {
  it('decodes from the start address and wraps around the window (a scrolled vgacon)', () => {
    const start = 0x4000 - 80; // the second row lies at the window's start again
    const mem = memoryWith(['first row', 'second row'], start, 0x1e);
    mem[start * 2] = 0xc9; // ╔ in CP437
    const g = {...(textGeometry(MODE3) as Exclude<ReturnType<typeof textGeometry>, {reason: string}>), start, cursor: start + 80 + 6};
    const s = decodeTextMemory(mem, g);
    expect(s.lines.slice(0, 3)).toEqual(['╔irst row', 'second row', '']);
    expect(s.lines).toHaveLength(25);
    expect(s.attrs[0]).toBe(0x1e);
    expect(s.chars[0]).toBe(0xc9);
    expect(s.cursor).toEqual({row: 1, col: 6});
  });
});

/**
 * A fake QEMU answering just what readVgaText uses: query-status/stop/cont, HMP `i`/`o` on the
 * VGA's index/data port pairs, and pmemsave from a memory image.
 */
function fakeQemu(regs: VgaRegisters, memory: Uint8Array, opts: {running?: boolean; vbe?: boolean} = {}) {
  const log: string[] = [];
  let running = opts.running ?? true;
  const index: Record<number, number> = {0x3ce: 0x05, 0x3d4: 0x0f, 0x1ce: 0x04};
  const data = (port: number): number => {
    const i = index[port - 1]!;
    if (port === 0x3cf) return i === 6 ? regs.gr6 : 0;
    if (port === 0x3d5) return regs.crtc[i] ?? 0;
    return i === 0 ? 0xb0c5 : i === 4 ? (regs.vbeEnable ?? 0) : 0;
  };
  const qmp: QmpClient = {
    version: '7.2.22',
    async execute<T>(command: string, args?: Record<string, unknown>): Promise<T> {
      log.push(command === 'human-monitor-command' ? String(args?.['command-line']) : command);
      if (command === 'query-status') return {running, status: running ? 'running' : 'paused'} as T;
      if (command === 'stop') return ((running = false), {}) as T;
      if (command === 'cont') return ((running = true), {}) as T;
      if (command === 'pmemsave') {
        if (running) throw new Error('memory read while the guest runs');
        writeFileSync(String(args?.filename), memory.subarray(0, Number(args?.size)));
        return {} as T;
      }
      if (command !== 'human-monitor-command') throw new QmpError(command, 'CommandNotFound', `no ${command}`);
      if (running) throw new Error('port access while the guest runs');
      const [op, size, portText, valueText] = String(args?.['command-line']).split(' ');
      const port = parseInt(portText!, 16);
      const missing = opts.vbe === false && (port === 0x1ce || port === 0x1cf);
      if (op === 'o') return ((index[port] = parseInt(valueText!, 16)), '') as T;
      const value = missing ? 0xffff : port === 0x3cc ? regs.misc : port in index ? index[port]! : data(port);
      return `port${size!.slice(1)}[0x${port.toString(16).padStart(4, '0')}] = 0x${value.toString(16)}\r\n` as T;
    },
    on: () => () => {},
    close() {},
    closed: new Promise(() => {}),
  };
  return {qmp, log, index, isRunning: () => running};
}

describe('readVgaText through QMP', () => {
  it('pauses the guest, reads registers and memory, restores the index registers and resumes', async () => {
    const q = fakeQemu(MODE3, memoryWith(['SeaBIOS', '', 'boot:'], 0));
    const s = await readVgaText(q.qmp);
    expect(s).toMatchObject({kind: 'text', cols: 80, rows: 25, lines: expect.arrayContaining(['SeaBIOS', 'boot:']), cursor: {row: 11, col: 6}});
    expect(q.log[0]).toBe('query-status');
    expect(q.log[1]).toBe('stop');
    expect(q.log.at(-1)).toBe('cont');
    expect(q.log).toContain('pmemsave');
    expect(q.index).toEqual({0x3ce: 0x05, 0x3d4: 0x0f, 0x1ce: 0x04});
    expect(q.isRunning()).toBe(true);
  });

  it('leaves a paused guest paused', async () => {
    const q = fakeQemu(MODE3, memoryWith(['x'], 0), {running: false});
    expect((await readVgaText(q.qmp)).kind).toBe('text');
    expect(q.log).not.toContain('stop');
    expect(q.log).not.toContain('cont');
  });

  it('says not-text-mode in graphics (and never reads memory there: planar reads change latches)', async () => {
    const q = fakeQemu({...MODE3, gr6: 0x05}, new Uint8Array(0x8000));
    expect(await readVgaText(q.qmp)).toEqual({kind: 'not-text-mode', reason: expect.stringMatching(/graphics/)});
    expect(q.log).not.toContain('pmemsave');
    expect(q.isRunning()).toBe(true);
  });

  it('works without Bochs VBE (other adapters)', async () => {
    const q = fakeQemu(MODE3, memoryWith(['cirrus'], 0), {vbe: false});
    expect(await readVgaText(q.qmp)).toMatchObject({kind: 'text', lines: expect.arrayContaining(['cirrus'])});
  });

  it('says not-text-mode when QEMU refuses the port commands, and still resumes', async () => {
    const q = fakeQemu(MODE3, new Uint8Array(0x8000));
    const execute = q.qmp.execute.bind(q.qmp);
    q.qmp.execute = (async (c: string, a?: Record<string, unknown>) => {
      if (c === 'human-monitor-command') throw new QmpError(c, 'GenericError', 'unknown command');
      return execute(c, a);
    }) as QmpClient['execute'];
    expect(await readVgaText(q.qmp)).toEqual({kind: 'not-text-mode', reason: expect.stringMatching(/cannot read the VGA registers: unknown command/)});
    expect(q.isRunning()).toBe(true);
  });
});

describe('readVgaText concurrency', () => {
  it('runs one read at a time per QMP connection (index registers are shared)', async () => {
    const q = fakeQemu(MODE3, memoryWith(['one at a time'], 0));
    const results = await Promise.all([readVgaText(q.qmp), readVgaText(q.qmp), readVgaText(q.qmp)]);
    for (const r of results) expect(r).toMatchObject({kind: 'text', lines: expect.arrayContaining(['one at a time'])});
    // Each read is a whole stop … cont bracket: they never nest.
    const brackets = q.log.filter((c) => c === 'stop' || c === 'cont');
    expect(brackets).toEqual(['stop', 'cont', 'stop', 'cont', 'stop', 'cont']);
  });
});
