/**
 * Which way of drawing pixels the terminal supports — without ever breaking one that supports
 * none: environment hints need no round trip; the active query asks the terminal itself.
 *
 * The active query MUST run before ink's render(): the replies arrive on stdin, and once ink
 * reads stdin they would be taken for keypresses (LIBRARIES.md). It sends, in this order, kitty's
 * graphics query, `CSI 16 t` (cell size in pixels) and DA1 (`CSI c`). Every terminal answers DA1,
 * and answers in order, so the DA1 reply means "all replies are in" — no waiting out the timeout
 * on terminals that ignore the first two.
 */

/** How the screen pane draws pixels. */
export type GraphicsMode = 'kitty' | 'sixel' | 'halfblock';

type Env = Readonly<Record<string, string | undefined>>;

/** True when a DA1 reply (`CSI ? 62 ; 4 ; 22 c`) lists attribute 4 = sixel graphics. */
export function da1HasSixel(reply: string): boolean {
  const m = /\x1b\[\?([\d;]*)c/.exec(reply);
  return !!m && m[1]!.split(';').includes('4');
}

/**
 * Graphics mode from environment hints (and a DA1 reply when one was obtained):
 * `VMBENCH_GRAPHICS=kitty|sixel|halfblock` overrides; TERM=xterm-kitty, KITTY_WINDOW_ID,
 * TERM_PROGRAM=WezTerm|ghostty or TERM=xterm-ghostty → kitty; TERM containing "sixel", mlterm,
 * or a DA1 with attribute 4 → sixel; otherwise half-blocks. Inside tmux or screen the outer
 * terminal's variables leak in but its graphics do not pass through, so only DA1 (answered by
 * the multiplexer itself) counts there.
 */
export function detectGraphics(env: Env, da1Reply?: string): GraphicsMode {
  const forced = env.VMBENCH_GRAPHICS?.toLowerCase();
  if (forced === 'kitty' || forced === 'sixel' || forced === 'halfblock') return forced;
  const term = (env.TERM ?? '').toLowerCase();
  const multiplexed = !!env.TMUX || !!env.STY || term.startsWith('screen') || term.startsWith('tmux');
  if (!multiplexed) {
    const prog = (env.TERM_PROGRAM ?? '').toLowerCase();
    if (term === 'xterm-kitty' || term === 'xterm-ghostty' || !!env.KITTY_WINDOW_ID || prog === 'wezterm' || prog === 'ghostty') return 'kitty';
    if (term.includes('sixel') || term.startsWith('mlterm')) return 'sixel';
  }
  if (da1Reply && da1HasSixel(da1Reply)) return 'sixel';
  return 'halfblock';
}

/** What {@link probeTerminal} learnt. */
export interface TerminalProbe {
  graphics: GraphicsMode;
  /** The terminal answered kitty's graphics query with OK. */
  kitty: boolean;
  /** DA1 listed sixel. */
  sixel: boolean;
  /** The raw DA1 reply, if any. */
  da1?: string;
  /** Cell size in pixels from `CSI 6 ; height ; width t`, if the terminal reported it. */
  cellWidth?: number;
  cellHeight?: number;
  /** True when no DA1 reply came in time (then graphics is 'halfblock'). */
  timedOut: boolean;
}

/** The three queries, in the order their replies must arrive. */
export const PROBE_QUERY = '\x1b_Gi=31,s=1,v=1,a=q,t=d,f=24;AAAA\x1b\\' + '\x1b[16t' + '\x1b[c';

/** The readable side of a terminal, as far as probing needs it (process.stdin fits). */
export interface ProbeInput {
  isTTY?: boolean;
  isRaw?: boolean;
  setRawMode?(mode: boolean): unknown;
  on(event: 'data', cb: (chunk: Buffer | string) => void): unknown;
  off(event: 'data', cb: (chunk: Buffer | string) => void): unknown;
  /** Node streams' flowing state: null (never read), true (flowing), false (paused). */
  readonly readableFlowing?: boolean | null;
  pause(): unknown;
  resume(): unknown;
  unshift?(chunk: Buffer): unknown;
}

/** The writable side (process.stdout fits). */
export interface ProbeOutput {
  isTTY?: boolean;
  write(data: string): unknown;
}

/**
 * Parses whatever of the replies has arrived. `rest` is what is left after removing them
 * (keys the user typed meanwhile), `done` is true once the DA1 reply is in.
 */
export function parseProbeReplies(text: string): {kitty: boolean; da1?: string; cellWidth?: number; cellHeight?: number; done: boolean; rest: string} {
  let rest = text;
  const take = (re: RegExp): RegExpExecArray | null => {
    const m = re.exec(rest);
    if (m) rest = rest.slice(0, m.index) + rest.slice(m.index + m[0].length);
    return m;
  };
  const k = take(/\x1b_Gi=31;([^\x1b]*)\x1b\\/);
  const cell = take(/\x1b\[6;(\d+);(\d+)t/);
  const da1 = take(/\x1b\[\?[\d;]*c/);
  return {
    kitty: !!k && k[1] === 'OK',
    ...(da1 ? {da1: da1[0]} : {}),
    ...(cell ? {cellHeight: Number(cell[1]), cellWidth: Number(cell[2])} : {}),
    done: !!da1,
    rest,
  };
}

/**
 * Asks the terminal what it supports. Call only before ink renders (see the file comment).
 * Non-TTY streams, a terminal that does not answer within `timeoutMs`, or any error give
 * 'halfblock'. Raw mode, flowing state and listeners of `stdin` are put back as they were;
 * keys typed during the probe are pushed back onto stdin.
 */
export async function probeTerminal(stdin: ProbeInput, stdout: ProbeOutput, timeoutMs = 150): Promise<TerminalProbe> {
  const none: TerminalProbe = {graphics: 'halfblock', kitty: false, sixel: false, timedOut: true};
  if (!stdin.isTTY || !stdout.isTTY || typeof stdin.setRawMode !== 'function') return none;
  const wasRaw = !!stdin.isRaw;
  // isPaused() is false on a stream nobody has read yet, yet it is not flowing: ask readableFlowing.
  const wasFlowing = stdin.readableFlowing === true;
  let buf = '';
  let onData: (chunk: Buffer | string) => void = () => {};
  const replies = new Promise<ReturnType<typeof parseProbeReplies> | undefined>((resolve) => {
    const timer = setTimeout(() => resolve(undefined), timeoutMs);
    onData = (chunk) => {
      buf += typeof chunk === 'string' ? chunk : chunk.toString('latin1');
      const parsed = parseProbeReplies(buf);
      if (parsed.done) {
        clearTimeout(timer);
        resolve(parsed);
      }
    };
  });
  let got: Awaited<typeof replies> | undefined;
  try {
    stdin.setRawMode(true);
    stdin.on('data', onData);
    stdin.resume();
    stdout.write(PROBE_QUERY);
    got = await replies;
  } catch {
    got = undefined;
  } finally {
    // Put stdin back before handing bytes back: an unshift on a flowing stream with our
    // listener still attached would feed them straight back to us.
    stdin.off('data', onData);
    try {
      stdin.setRawMode(wasRaw);
    } catch {
      // A stream that closed meanwhile has no mode to restore.
    }
    // Paused rather than left flowing with no listener, which would drop keys until ink reads.
    if (!wasFlowing) stdin.pause();
  }
  const leftover = got ? got.rest : buf;
  if (leftover && stdin.unshift) stdin.unshift(Buffer.from(leftover, 'latin1'));
  if (!got) return none;
  const sixel = !!got.da1 && da1HasSixel(got.da1);
  return {
    graphics: got.kitty ? 'kitty' : sixel ? 'sixel' : 'halfblock',
    kitty: got.kitty,
    sixel,
    timedOut: false,
    ...(got.da1 ? {da1: got.da1} : {}),
    ...(got.cellWidth && got.cellHeight ? {cellWidth: got.cellWidth, cellHeight: got.cellHeight} : {}),
  };
}

/** {@link probeTerminal} reduced to the graphics mode: 'halfblock' on non-TTY, timeout or error. */
export async function queryTerminal(stdin: ProbeInput, stdout: ProbeOutput, timeoutMs = 150): Promise<GraphicsMode> {
  return (await probeTerminal(stdin, stdout, timeoutMs)).graphics;
}
