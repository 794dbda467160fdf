/**
 * type-boot-command — uses: state.qmp or state.vncPort, state.http, profile.boot_wait/boot_command/
 * boot_steps/boot_key_interval, state.screen (for <waitFor>/<waitStable>). Waits boot_wait,
 * types through QMP input events (default) or QEMU's VNC server; each of boot_steps ends in a
 * debug pause point. Each typed line is read back from the screen before its <enter> and typed
 * again if keys were lost (verified-typing.ts); keys that went nowhere fail the step with that
 * cause. Produces: what happened to each typed line ({@link typedLines}).
 * Cleanup: none (the VNC session is closed when typing ends, whatever happened).
 */
import {setTimeout as sleep} from 'node:timers/promises';
import {renderTemplate} from '../../profiles/template.js';
import {parseBootCommand, type BootAction, type KeyAction, type ScreenWaitAction} from '../../vnc/boot-command.js';
import {KEY_INTERVAL_MS} from '../../vnc/typer.js';
import {QmpKeySender} from '../../vnc/qmp-keys.js';
import type {KeySender} from '../../vnc/key-sender.js';
import {connectVnc, type VncSession} from '../../vnc/vnc-client.js';
import {formatDuration} from '../../util/duration.js';
import {readVgaText} from '../../screen/vga-text.js';
import {readScreen} from '../screen.js';
import {need, StepError, type Step, type StepContext} from '../step.js';
import type {BuildState} from '../state.js';
import {typeVerified, type EchoReader, type TypedLine} from '../verified-typing.js';
import {buildFields} from '../build-fields.js';

/** What <waitFor> and <waitStable> need from the screen. */
export interface ScreenWaiter {
  /** Resolves when `pattern` is on screen; rejects on timeout with what the screen showed. */
  waitForText(pattern: string, opts: {timeoutMs: number; signal: AbortSignal}): Promise<void>;
  /** Resolves once the screen has not changed for quietMs. */
  waitForStable(quietMs: number, opts: {timeoutMs: number; signal: AbortSignal}): Promise<void>;
}

interface Segment {
  actions: BootAction[];
  /** Set for boot_steps: the pause point after the segment. */
  label?: string;
}

/** Split actions into runs of keys and single screen waits, in order. */
export function splitActions(actions: BootAction[]): Array<{keys: KeyAction[]} | {wait: ScreenWaitAction}> {
  const out: Array<{keys: KeyAction[]} | {wait: ScreenWaitAction}> = [];
  for (const a of actions) {
    if (a.kind === 'waitText' || a.kind === 'waitStable') out.push({wait: a});
    else {
      const last = out[out.length - 1];
      if (last && 'keys' in last) last.keys.push(a);
      else out.push({keys: [a]});
    }
  }
  return out;
}

function segments(ctx: StepContext<BuildState>): Segment[] {
  const {profile} = ctx.state;
  const render = (s: string): string => renderTemplate(s, {fields: buildFields(ctx.state)});
  if (profile.boot_steps.length) {
    return profile.boot_steps.map((s) => ({actions: parseBootCommand(render(s.command)), label: s.description}));
  }
  // Packer renders and joins the whole boot_command before parsing.
  return profile.boot_command.length ? [{actions: parseBootCommand(profile.boot_command.map(render).join(''))}] : [];
}

async function screenWait(ctx: StepContext<BuildState>, a: ScreenWaitAction): Promise<void> {
  const screen = ctx.state.screen;
  if (!screen) throw new StepError(`${a.text} needs the screen, but no screen reader is available in this build`);
  const started = Date.now();
  if (a.kind === 'waitText') {
    ctx.log('vnc', 'info', `waiting for "${a.pattern}" on screen (up to ${formatDuration(a.timeoutMs)})`);
    await screen.waitForText(a.pattern, {timeoutMs: a.timeoutMs, signal: ctx.signal});
    ctx.log('vnc', 'info', `"${a.pattern}" appeared after ${formatDuration(Date.now() - started)}`);
  } else {
    ctx.log('vnc', 'info', `waiting until the screen is still for ${formatDuration(a.quietMs)}`);
    await screen.waitForStable(a.quietMs, {timeoutMs: a.timeoutMs, signal: ctx.signal});
    ctx.log('vnc', 'info', `screen still after ${formatDuration(Date.now() - started)}`);
  }
}

const reports = new WeakMap<BuildState, TypedLine[]>();

/** What happened to each line the boot command typed (read back whole, retyped, unverified). */
export function typedLines(state: BuildState): readonly TypedLine[] {
  return reports.get(state) ?? [];
}

/**
 * The screen for reading typed lines back: VGA text memory while the guest is in text mode
 * (exact — bootloader prompts), recognised glyphs on the VNC frame otherwise.
 */
function echoReader(state: BuildState): EchoReader {
  return {
    async read() {
      const {qmp, qemu} = state;
      if (!qmp || qemu?.hasExited()) return undefined;
      const vga = await readVgaText(qmp).catch(() => undefined);
      if (vga?.kind === 'text') return {lines: vga.lines, cols: vga.cols, cursor: vga.cursor, exact: true};
      const s = await readScreen(state).catch(() => undefined);
      return s ? {lines: s.lines, cols: s.cols, cursor: s.cursor, exact: s.mode === 'vga-text'} : undefined;
    },
    // A frame feed that is not live shows no change whatever the guest does: then it says nothing.
    version: () => (state.frames?.state === 'live' ? state.frames.framebuffer.version : undefined),
  };
}

export interface TypeBootCommandStepOptions {
  /** Wraps the key sender (tests: fault injection that drops chosen key events). */
  wrapKeys?: (keys: KeySender) => KeySender;
}

/** The step, with test hooks; the build uses {@link typeBootCommandStep}. */
export function createTypeBootCommandStep(opts: TypeBootCommandStepOptions = {}): Step<BuildState> {
  return {
    id: 'type-boot-command',
    title: 'Type boot command',
    run: (ctx) => run(ctx, opts),
  };
}

export const typeBootCommandStep: Step<BuildState> = createTypeBootCommandStep();

async function run(ctx: StepContext<BuildState>, opts: TypeBootCommandStepOptions): Promise<void> {
  const {profile} = ctx.state;
  const segs = segments(ctx);
  if (segs.length === 0) {
    ctx.log('vmbench', 'info', 'no boot_command: nothing to type');
    return;
  }
  if (profile.boot_wait > 0) {
    ctx.log('vmbench', 'info', `waiting ${formatDuration(profile.boot_wait)} for boot`);
    await sleep(profile.boot_wait, undefined, {signal: ctx.signal});
  }
  const total = segs.reduce((n, s) => n + s.actions.length, 0);
  const via = profile.boot_keys_via;
  const interval = profile.boot_key_interval ?? KEY_INTERVAL_MS[via];
  if (via === 'vnc' && interval < 10) {
    // QEMU paces VNC keys at key-delay-ms (10 ms) through a bounded queue: faster input overflows it.
    ctx.log('vmbench', 'warn', `boot_key_interval ${interval}ms over VNC is faster than QEMU forwards VNC keys (10 ms): keys may be lost`);
  }
  let vnc: VncSession | undefined;
  let keys: KeySender;
  if (via === 'vnc') {
    const port = need(ctx.state.vncPort, 'VNC port');
    vnc = await connectVnc({host: profile.vnc_bind_address, port}, {signal: ctx.signal, timeoutMs: 15_000, log: (s, l) => ctx.log('vnc', s, l), password: ctx.state.vncPassword});
    ctx.log('vnc', 'info', `connected to ${profile.vnc_bind_address}:${port} (${vnc.width}x${vnc.height})`);
    keys = vnc;
  } else {
    keys = new QmpKeySender(need(ctx.state.qmp, 'QMP'));
  }
  if (opts.wrapKeys) keys = opts.wrapKeys(keys);
  const reader = echoReader(ctx.state);
  const lines: TypedLine[] = [];
  reports.set(ctx.state, lines);
  try {
    ctx.log('vnc', 'info', `typing ${total} actions via ${via} (${interval} ms per key event)`);
    const started = Date.now();
    let done = 0;
    for (const seg of segs) {
      for (const part of splitActions(seg.actions)) {
        if ('wait' in part) {
          await screenWait(ctx, part.wait);
          ctx.progress('keys', ++done, total);
          continue;
        }
        const base = done;
        const typed = await typeVerified(keys, part.keys, reader, {
          keyIntervalMs: interval,
          signal: ctx.signal,
          log: (stream, line) => ctx.log('vnc', stream, line),
          onAction: (_a, i) => ctx.progress('keys', base + i + 1, total),
        });
        lines.push(...typed);
        done += part.keys.length;
      }
      if (seg.label !== undefined) {
        ctx.log('vnc', 'info', `boot step done: ${seg.label}`);
        await ctx.checkpoint(seg.label);
      }
    }
    ctx.log('vnc', 'info', `typed boot command in ${formatDuration(Date.now() - started)}${readbackSummary(lines)}`);
  } finally {
    vnc?.close();
  }
}

/** `; 1 line read back whole, 1 retyped` — empty when no line could be checked. */
function readbackSummary(lines: readonly TypedLine[]): string {
  const count = (o: TypedLine['outcome']) => lines.filter((l) => l.outcome === o).length;
  const parts = [
    [count('verified'), 'read back whole'],
    [count('retyped'), 'retyped after lost keys'],
    [count('unverified'), 'not checked (no echo to read)'],
  ].filter(([n]) => n) as [number, string][];
  if (!count('verified') && !count('retyped')) return '';
  return `; typed lines: ${parts.map(([n, what]) => `${n} ${what}`).join(', ')}`;
}
