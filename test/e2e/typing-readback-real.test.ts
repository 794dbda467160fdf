/**
 * Typed lines read back from a real screen (issue 9, item 5), with real builds of the tiny
 * profile (real QEMU under TCG, isolinux's boot: prompt in VGA text mode, read from VGA memory):
 *
 * - a key sender that drops one character's key events (fault injection, test-only) loses a
 *   "." of the boot command's URL; the build reads the line back before <enter>, sees it, says
 *   so, erases and retypes it, and the guest boots with the right command line: it fetches
 *   tiny.cfg over HTTP (only a URL that arrived whole does) and SSH comes up;
 * - typed while isolinux is still loading (a guest slowed with -icount, and a <waitFor> for
 *   isolinux's banner, not its prompt), the keys leave the screen unchanged and the build fails
 *   at once, naming that cause, instead of waiting out ssh_timeout.
 */
import {rmSync} from 'node:fs';
import path from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {BuildSession} from '../../src/session/build-session.js';
import type {BuildEvent} from '../../src/engine/events.js';
import {StepError} from '../../src/engine/step.js';
import {describeMismatch} from '../../src/engine/typed-readback.js';
import {BUILD_STEPS} from '../../src/engine/steps/index.js';
import {createTypeBootCommandStep, typedLines} from '../../src/engine/steps/type-boot-command.js';
import {loadProfile} from '../../src/profiles/loader.js';
import type {KeySender} from '../../src/vnc/key-sender.js';
import {assertBuilt, CACHE, processAlive, tinyProfileCopy, tmpDir} from './helpers.js';

const work = tmpDir('vmbench-readback-');
const profileDirs: string[] = [];
beforeAll(() => assertBuilt());
afterAll(() => {
  rmSync(work, {recursive: true, force: true});
  for (const d of profileDirs) rmSync(path.dirname(d), {recursive: true, force: true});
});

/** Drops the key-down and key-up of the `nth` (1-based) press of `ch`: that character is lost. */
class DroppingKeys implements KeySender {
  dropped: string[] = [];
  private presses = 0;
  private dropping = false;
  constructor(
    private readonly inner: KeySender,
    private readonly ch: string,
    private readonly nth: number,
  ) {}
  keyEvent(keysym: number, down: boolean): void | Promise<void> {
    if (keysym === this.ch.codePointAt(0)) {
      if (down) this.dropping = ++this.presses === this.nth;
      if (this.dropping) {
        this.dropped.push(`${down ? 'down' : 'up'} ${this.ch}`);
        return;
      }
    }
    return this.inner.keyEvent(keysym, down);
  }
}

/** Every character of `sub` appears in `s`, in order. */
function isSubsequence(sub: string, s: string): boolean {
  let at = 0;
  for (const ch of sub) {
    at = s.indexOf(ch, at) + 1;
    if (at === 0) return false;
  }
  return true;
}

async function build(name: string, edit: (yaml: string) => string, wrapKeys?: (k: KeySender) => KeySender) {
  const dir = tinyProfileCopy(edit);
  profileDirs.push(dir);
  const events: BuildEvent[] = [];
  const steps = BUILD_STEPS.map((s) => (s.id === 'type-boot-command' ? createTypeBootCommandStep({wrapKeys}) : s));
  const session = new BuildSession({
    loaded: loadProfile(dir),
    emit: (e) => events.push(e),
    force: true,
    outputDir: path.join(work, `out-${name}`),
    cacheDir: CACHE,
    logDir: path.join(work, `logs-${name}`),
    steps,
  });
  const outcome = await session.run();
  const logs = events.flatMap((e) => (e.type === 'log' ? [`${e.source} ${e.stream}: ${e.line}`] : []));
  return {outcome, logs, state: session.state};
}

describe('typed lines read back from the real isolinux prompt', () => {
  it('retypes a boot command that lost a key; the guest boots with the right command line', {timeout: 240_000}, async () => {
    let dropper: DroppingKeys | undefined;
    // The third "." is the one in "10.0.2.2": the line reaches the screen as "10.0.22".
    const {outcome, logs, state} = await build('lost-key', (y) => y, (k) => (dropper = new DroppingKeys(k, '.', 3)));
    expect(dropper!.dropped).toEqual(['down .', 'up .']);
    // Figures: what the read-back said and how long typing took with one retype.
    console.log(logs.filter((l) => /^vnc (info|warn|debug): (typ|retyp|read back)/.test(l)).join('\n'));
    const port = /the guest sees http:\/\/10\.0\.2\.2:(\d+)\//.exec(logs.join('\n'))?.[1];
    expect(port).toBeDefined();
    const expected = `tiny url=http://10.0.2.2:${port}/tiny.cfg`;
    const [line] = typedLines(state);
    expect(line).toMatchObject({expected, outcome: 'retyped'});
    // What arrived lacks the dropped "." (and, on a loaded host, maybe more keys lost for real).
    const arrived = line!.firstShown!;
    expect(isSubsequence(arrived, `tiny url=http://10.0.22:${port}/tiny.cfg`), arrived).toBe(true);
    const warn = logs.find((l) => l.startsWith('vnc warn: typed '));
    expect(warn?.startsWith(`vnc warn: ${describeMismatch(expected, arrived)}: erasing `), warn).toBe(true);
    expect(warn).toMatch(/: erasing \d+ characters and typing (the line|the last \d+) again \(retry 1 of 2\)$/);
    expect(logs).toContainEqual(expect.stringMatching(/^vnc info: retyped line reads back whole now \(38 characters, [12] retr(y|ies)\)$/));
    // Only the whole URL fetches the guest's config; with it the root password is set and SSH works.
    expect(logs).toContainEqual(expect.stringMatching(/^http info: GET \/tiny\.cfg → 200 /));
    expect(outcome.error?.message, logs.slice(-15).join('\n')).toBeUndefined();
    expect(outcome.status).toBe('done');
    expect(logs).toContainEqual(expect.stringMatching(/^ssh info: SSH connected to root@127\.0\.0\.1:\d+/));
    expect(processAlive(state.qemu!.pid)).toBe(false);
  });

  it('names keys typed while isolinux was still loading, at once', {timeout: 120_000}, async () => {
    const started = Date.now();
    const {outcome, logs, state} = await build('too-early', (y) =>
      y
        // Wait for isolinux's banner, printed before it loads its config: the prompt comes ~8 s later
        // on this slowed guest (-icount: about 2 guest MIPS, kept to wall-clock time).
        .replace('<waitFor "boot:" 1m>', '<waitFor "H. Peter Anvin" 1m>')
        .replace('accelerator: auto', 'accelerator: tcg')
        .replace('qemuargs:\n', 'qemuargs:\n  - ["-icount", "shift=9,align=on"]\n'),
    );
    expect(outcome.status, logs.slice(-15).join('\n')).toBe('failed');
    expect(outcome.failedStep).toBe('type-boot-command');
    const err = outcome.error as StepError;
    expect(err).toBeInstanceOf(StepError);
    const port = /the guest sees http:\/\/10\.0\.2\.2:(\d+)\//.exec(logs.join('\n'))![1]!;
    const keys = `tiny url=http://10.0.2.2:${port}/tiny.cfg`.length + 1; // and <enter>
    expect(err.message).toMatch(
      new RegExp(`^the boot command was typed before the bootloader was ready: the screen did not change while ${keys} keys were typed; the screen shows: .*ISOLINUX 6\\.04 .*H\\. Peter Anvin et al$`),
    );
    expect(err.hint).toMatch(/<waitFor "boot:">.*boot_wait/);
    // The check waited for the line's echo, not for the build's SSH timeout.
    expect(logs).toContainEqual(expect.stringMatching(/^vnc debug: not reading back "tiny url=.*": the screen did not change while the line was typed$/));
    expect(Date.now() - started).toBeLessThan(60_000);
    console.log(`too early: failed ${((Date.now() - started) / 1000).toFixed(1)} s after the build started: ${err.message}`);
    expect(processAlive(state.qemu!.pid)).toBe(false);
  });
});
