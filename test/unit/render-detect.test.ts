import {PassThrough} from 'node:stream';
import {describe, expect, it} from 'vitest';
import {
  PROBE_QUERY, da1HasSixel, detectGraphics, parseProbeReplies, probeTerminal, queryTerminal, type GraphicsMode,
} from '../../src/render/detect.js';

describe('detectGraphics from the environment', () => {
  it.each<[Record<string, string>, string | undefined, GraphicsMode]>([
    [{TERM: 'xterm-kitty'}, undefined, 'kitty'],
    [{TERM: 'xterm-256color', KITTY_WINDOW_ID: '3'}, undefined, 'kitty'],
    [{TERM: 'xterm-256color', TERM_PROGRAM: 'WezTerm'}, undefined, 'kitty'],
    [{TERM: 'xterm-ghostty', TERM_PROGRAM: 'ghostty'}, undefined, 'kitty'],
    [{TERM: 'xterm-256color', TERM_PROGRAM: 'ghostty'}, undefined, 'kitty'],
    [{TERM: 'mlterm'}, undefined, 'sixel'],
    [{TERM: 'xterm-sixel'}, undefined, 'sixel'],
    [{TERM: 'foot'}, '\x1b[?62;4;22c', 'sixel'],
    [{TERM: 'xterm-256color'}, '\x1b[?62;22c', 'halfblock'],
    [{TERM: 'xterm-256color'}, undefined, 'halfblock'],
    [{}, undefined, 'halfblock'],
    [{TERM: 'linux'}, '\x1b[?6c', 'halfblock'],
    // The outer kitty's variables leak into tmux, its graphics do not pass through.
    [{TERM: 'tmux-256color', TMUX: '/tmp/tmux-1/default,1,0', KITTY_WINDOW_ID: '1'}, undefined, 'halfblock'],
    [{TERM: 'screen-256color', TERM_PROGRAM: 'WezTerm'}, undefined, 'halfblock'],
    [{TERM: 'xterm-kitty', STY: '123.pts-0'}, undefined, 'halfblock'],
    // …but a multiplexer that answers DA1 with sixel draws sixels itself (tmux ≥ 3.4).
    [{TERM: 'tmux-256color', TMUX: 'x'}, '\x1b[?62;4;22c', 'sixel'],
    [{TERM: 'xterm-kitty', VMBENCH_GRAPHICS: 'halfblock'}, undefined, 'halfblock'],
    [{TERM: 'xterm', VMBENCH_GRAPHICS: 'SIXEL'}, undefined, 'sixel'],
    [{TERM: 'xterm-kitty', VMBENCH_GRAPHICS: 'bogus'}, undefined, 'kitty'],
  ])('%j with DA1 %j → %s', (env, da1, mode) => {
    expect(detectGraphics(env, da1)).toBe(mode);
  });

  it.each([
    ['\x1b[?62;4;22c', true],
    ['\x1b[?4c', true],
    ['\x1b[?63;1;2;4c', true],
    ['\x1b[?64;1;2;6;9;15;18;21;22c', false],
    ['\x1b[?62;14;22c', false],
    ['\x1b[?1;2c', false],
    ['garbage', false],
  ])('DA1 %j has sixel: %s', (reply, sixel) => {
    expect(da1HasSixel(reply)).toBe(sixel);
  });
});

describe('parseProbeReplies', () => {
  it('takes the replies out and leaves typed keys', () => {
    const r = parseProbeReplies('a\x1b_Gi=31;OK\x1b\\b\x1b[6;18;9t\x1b[?62;4cc');
    expect(r).toEqual({kitty: true, da1: '\x1b[?62;4c', cellHeight: 18, cellWidth: 9, done: true, rest: 'abc'});
  });

  it('is not done before DA1, and a kitty error is not support', () => {
    expect(parseProbeReplies('\x1b_Gi=31;ENOTSUPPORTED:x\x1b\\')).toEqual({kitty: false, done: false, rest: ''});
  });
});

/** A PassThrough pair dressed as a TTY; `reply` answers what the probe writes. */
function fakeTty(reply: ((query: string) => string | undefined) | undefined) {
  const rawCalls: boolean[] = [];
  const stdin = Object.assign(new PassThrough(), {
    isTTY: true,
    isRaw: false,
    setRawMode(mode: boolean) {
      rawCalls.push(mode);
      stdin.isRaw = mode;
      return stdin;
    },
  });
  const stdout = Object.assign(new PassThrough(), {isTTY: true});
  const written: string[] = [];
  stdout.on('data', (d: Buffer) => {
    written.push(d.toString('latin1'));
    const answer = reply?.(d.toString('latin1'));
    // Replies come back later, split in two like a slow pty would deliver them.
    if (answer) {
      setTimeout(() => stdin.write(answer.slice(0, 5)), 5);
      setTimeout(() => stdin.write(answer.slice(5)), 10);
    }
  });
  return {stdin, stdout, rawCalls, written};
}

describe('queryTerminal', () => {
  it('returns halfblock at once on non-TTY streams and writes nothing', async () => {
    const stdin = new PassThrough();
    const stdout = new PassThrough();
    const t0 = Date.now();
    // At once: nowhere near the (long) timeout it would otherwise wait out.
    expect(await queryTerminal(stdin, stdout, 30_000)).toBe('halfblock');
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(stdout.read()).toBeNull();
  });

  it.each<[string, string, GraphicsMode]>([
    ['kitty + cell size + DA1', '\x1b_Gi=31;OK\x1b\\\x1b[6;20;10t\x1b[?62;22c', 'kitty'],
    ['DA1 with sixel', '\x1b[?62;4;22c', 'sixel'],
    ['DA1 without sixel', '\x1b[?1;2c', 'halfblock'],
  ])('parses a fake terminal answering %s', async (_name, answer, mode) => {
    const tty = fakeTty((q) => (q.includes('\x1b[c') ? answer : undefined));
    const t0 = Date.now();
    const probe = await probeTerminal(tty.stdin, tty.stdout, 30_000);
    expect(Date.now() - t0).toBeLessThan(10_000); // finished on DA1, not on the timeout
    expect(probe.graphics).toBe(mode);
    expect(probe.timedOut).toBe(false);
    expect(tty.written.join('')).toBe(PROBE_QUERY);
    expect(tty.rawCalls).toEqual([true, false]);
    expect(tty.stdin.listenerCount('data')).toBe(0);
    expect(tty.stdin.readableFlowing).toBe(false);
    if (mode === 'kitty') expect([probe.cellWidth, probe.cellHeight]).toEqual([10, 20]);
  });

  it('gives halfblock on a silent terminal after the timeout, and restores stdin', async () => {
    const tty = fakeTty(undefined);
    tty.stdin.isRaw = true;
    const probe = await probeTerminal(tty.stdin, tty.stdout, 60);
    expect(probe).toMatchObject({graphics: 'halfblock', timedOut: true});
    expect(tty.rawCalls).toEqual([true, true]);
    expect(tty.stdin.listenerCount('data')).toBe(0);
  });

  it('hands keys typed during the probe back to stdin', async () => {
    const tty = fakeTty(() => 'ls\x1b[?62;4;22c');
    expect(await queryTerminal(tty.stdin, tty.stdout, 2000)).toBe('sixel');
    expect(String(tty.stdin.read())).toBe('ls');
  });
});
