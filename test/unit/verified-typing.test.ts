/**
 * typeVerified against a fake isolinux prompt (test/fakes/fake-prompt.ts): lines read back
 * before Enter, lost keys retyped and logged, the give-up error, and the two "typed before the
 * bootloader was ready" diagnoses. Real timers with short settle times; no fixed sleeps.
 */
import {describe, expect, it} from 'vitest';
import {parseBootCommand, type KeyAction} from '../../src/vnc/boot-command.js';
import {StepError} from '../../src/engine/step.js';
import {typeVerified, TYPED_TOO_EARLY_HINT, type TypeVerifiedOptions} from '../../src/engine/verified-typing.js';
import {FakePrompt} from '../fakes/fake-prompt.js';

const TINY = 'tiny url=http://10.0.2.2:8123/tiny.cfg';
const keys = (src: string) => parseBootCommand(src) as KeyAction[];
const timing = {pollMs: 2, quietMs: 20, echoMs: 200, changeMs: 60};

function run(fake: FakePrompt, src: string, extra: Partial<TypeVerifiedOptions> = {}) {
  const logs: string[] = [];
  const progress: number[] = [];
  const done = typeVerified(fake, keys(src), fake, {
    keyIntervalMs: 0,
    timing,
    log: (stream, line) => logs.push(`${stream}: ${line}`),
    onAction: (_a, i) => progress.push(i),
    ...extra,
  });
  return {done, logs, progress};
}

/** Index of the key-down event that types character `n` of `text` (plain characters: down+up each). */
const downOf = (text: string, n: number) => [...text.slice(0, n)].reduce((k, ch) => k + (/[A-Z:~!@#$%^&*()_+{}|"<>?]/.test(ch) ? 4 : 2), 0);

describe('typeVerified', () => {
  it('reads a whole line back and sends Enter once', async () => {
    const fake = new FakePrompt();
    const {done, logs, progress} = run(fake, `${TINY}<enter>`);
    expect(await done).toEqual([{expected: TINY, outcome: 'verified', retypes: 0}]);
    expect(fake.entered).toEqual([TINY]);
    expect(logs).toContain(`debug: read back ${TINY.length} typed characters on screen: whole`);
    expect(progress).toEqual([...Array(TINY.length + 1).keys()]);
  });

  it('retypes a line that lost two keys, says so, and enters it whole', async () => {
    const fake = new FakePrompt();
    // Drop the key-downs of ".2" in "10.0.2.2" (the loss seen under heavy load).
    const at = TINY.indexOf('.2:');
    const lost = new Set([downOf(TINY, at), downOf(TINY, at + 1)]);
    fake.drop = (i) => lost.has(i);
    const {done, logs} = run(fake, `${TINY}<enter>`);
    expect(await done).toEqual([{expected: TINY, outcome: 'retyped', retypes: 1, firstShown: 'tiny url=http://10.0.2:8123/tiny.cfg'}]);
    expect(fake.entered).toEqual([TINY]);
    expect(logs).toContain(
      'warn: typed "url=http://10.0.2.2:8123/tiny.cfg" but the screen shows "url=http://10.0.2:8123/tiny.cfg": erasing 16 characters and typing the last 18 again (retry 1 of 2)',
    );
    expect(logs.some((l) => l.startsWith('info: retyped line reads back whole now'))).toBe(true);
  });

  it('recovers a line whose first word was typed before the prompt was up', async () => {
    const fake = new FakePrompt();
    fake.drop = (i) => i < downOf(TINY, 4); // "tiny" went nowhere
    const {done} = run(fake, `${TINY}<enter>`);
    expect((await done)[0]).toMatchObject({outcome: 'retyped', firstShown: ' url=http://10.0.2.2:8123/tiny.cfg'});
    expect(fake.entered).toEqual([TINY]);
  });

  it('never erases more than it typed: text before the line (after <tab>) survives', async () => {
    const fake = new FakePrompt('boot: tiny console=ttyS0');
    let n = 0;
    // Drop every key-down of "=" the first time round only.
    fake.drop = (_i, keysym, down) => down && keysym === 0x3d && n++ === 0;
    const {done} = run(fake, ' x=1<enter>');
    await done;
    expect(fake.entered).toEqual([' x=1']);
    expect(fake.history).toContain('boot: tiny console=ttyS0 x=1');
  });

  it('retypes only from the first wrong character, and stops checking where the screen cannot show the erase', async () => {
    const long = `x${'abcdefghij'.repeat(20)}`; // 201 characters: three rows on an 80-column console
    const lost = downOf(long, 20);
    const typedOn = (fake: FakePrompt) => {
      fake.drop = (i) => i === lost;
      return run(fake, `${long}<enter>`);
    };
    // A line editor (isolinux) redraws the line: the erase shows, the retyped rest is checked.
    const editor = new FakePrompt();
    const a = typedOn(editor);
    expect(await a.done).toMatchObject([{outcome: 'retyped', retypes: 1}]);
    expect(a.logs[0]).toMatch(/^warn: typed "xabc.*" but the screen shows ".*": erasing 180 characters and typing the last 181 again \(retry 1 of 2\)$/);
    expect(editor.entered).toEqual([long]);
    // A Linux console cannot backspace across rows: the old text stays, so the line goes out unchecked.
    const vt = new FakePrompt('~ # ');
    vt.console = true;
    const b = typedOn(vt);
    expect(await b.done).toMatchObject([{outcome: 'unverified', retypes: 1, why: 'the screen did not show the erase'}]);
    expect(b.logs.at(-1)).toMatch(/^warn: erased 180 characters of ".*", but the screen does not show the erase \(it cannot backspace across rows\?\): typed the rest again without checking it$/);
    expect(vt.entered).toEqual([long]);
  });

  it('fails with what arrived when the line still reads wrong after 2 retypes', async () => {
    const fake = new FakePrompt();
    fake.drop = (_i, keysym) => keysym === 0x3a; // ":" never arrives
    const {done, logs} = run(fake, `${TINY}<enter>`);
    const err = await done.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StepError);
    expect((err as StepError).message).toBe(
      'the typed line did not arrive whole after 2 retypes: typed "url=http://10.0.2.2:8123/tiny.cfg" but the screen shows "url=http//10.0.2.28123/tiny.cfg"; ' +
        'the screen shows: ISOLINUX 6.04 | vmbench tiny ISO - type: tiny url=http://HOST:PORT/tiny.cfg | boot: tiny url=http//10.0.2.28123/tiny.cfg',
    );
    expect(logs.filter((l) => l.startsWith('warn:'))).toHaveLength(2);
    expect(fake.entered).toEqual([]); // Enter never went out
  });

  it('goes on when a recognised (not exact) screen misreads a glyph the same way every time', async () => {
    const fake = new FakePrompt();
    fake.exact = false;
    fake.misread = {l: '1'};
    const {done, logs} = run(fake, 'tiny url=http://x/tiny.cfg<enter>');
    expect((await done)[0]).toMatchObject({outcome: 'unverified', retypes: 2});
    expect(logs.at(-1)).toMatch(/^warn: .* after 2 retypes, the same each time: going on, taking it for a misread glyph$/);
    expect(fake.entered).toEqual(['tiny url=http://x/tiny.cfg']);
  });

  it('skips verification without failing where the screen cannot be read or does not echo', async () => {
    const graphical = new FakePrompt();
    graphical.unreadable = true;
    const a = run(graphical, `${TINY}<enter>`);
    expect((await a.done)[0]).toMatchObject({outcome: 'unverified', why: 'the screen cannot be read as text'});
    expect(a.logs).toEqual([`debug: not reading back ${JSON.stringify(TINY)}: the screen cannot be read as text`]);
    expect(graphical.entered).toEqual([TINY]);

    const password = new FakePrompt('Password: ');
    password.echo = false;
    const b = run(password, 'secret-password<enter>');
    expect((await b.done)[0]).toMatchObject({outcome: 'unverified'});
    expect(b.logs).toHaveLength(1);
    expect(b.logs[0]).toMatch(/^debug: not reading back "secret-password": /);
    expect(password.entered).toEqual(['secret-password']);
  });

  it('diagnoses keys typed before anything could receive them: the screen never changed', async () => {
    const fake = new FakePrompt();
    fake.ready = false;
    const {done} = run(fake, `${TINY}<enter>`);
    const err = (await done.catch((e: unknown) => e)) as StepError;
    expect(err).toBeInstanceOf(StepError);
    expect(err.message).toMatch(/^the boot command was typed before the bootloader was ready: the screen did not change while 39 keys were typed; the screen shows: ISOLINUX 6\.04 \| vmbench tiny ISO/);
    expect(err.hint).toBe(TYPED_TOO_EARLY_HINT);
  });

  it('…and on a graphical screen by its frame counter', async () => {
    const fake = new FakePrompt();
    fake.ready = false;
    fake.unreadable = true;
    const err = (await run(fake, `${TINY}<enter>`).done.catch((e: unknown) => e)) as StepError;
    expect(err.message).toBe('the boot command was typed before the bootloader was ready: the screen did not change while 39 keys were typed');
  });

  it('does not call a run of few keys, or a screen that reacted, unchanged', async () => {
    const menu = new FakePrompt();
    menu.ready = false;
    await expect(run(menu, '<down><enter>').done).resolves.toEqual([]);
    await expect(run(new FakePrompt(), '<esc><wait>abc<enter>').done).resolves.toHaveLength(1);
  });

  it('diagnoses a bootloader that failed on what it got before the line arrived', async () => {
    const fake = new FakePrompt();
    fake.kernel = 'tiny';
    // Typed too early: "t" went nowhere, and a stray Enter (in place of the space) booted "iny".
    const space = downOf(TINY, 4);
    fake.drop = (i) => {
      if (i === space) fake.keyEvent(0xff0d, true);
      return i < 2 || i === space;
    };
    const err = (await run(fake, `${TINY}<enter>`).done.catch((e: unknown) => e)) as StepError;
    expect(err).toBeInstanceOf(StepError);
    expect(err.message).toMatch(
      /^the boot command was typed before the bootloader was ready: the bootloader could not load "iny" \(Loading iny\.\.\. failed: No such file or directory\); the screen shows: .*\| boot: url=http:\/\/10\.0\.2\.2:8123\/tiny\.cfg$/,
    );
    expect(err.hint).toBe(TYPED_TOO_EARLY_HINT);
    expect(fake.entered).toEqual(['iny']); // our Enter never went out
  });

  it('diagnoses the failure after Enter when the line could not be checked', async () => {
    const fake = new FakePrompt();
    fake.kernel = 'tiny';
    fake.cursorless = true;
    fake.drop = (i) => i < 2; // "t" lost: isolinux gets "iny …"
    const err = (await run(fake, `${TINY}<enter>`).done.catch((e: unknown) => e)) as StepError;
    expect(err.message).toMatch(/^the boot command was typed before the bootloader was ready: the bootloader could not load "iny"/);
  });

  it('verifies each line of a multi-line command and leaves lines with nothing typed alone', async () => {
    const fake = new FakePrompt('# ');
    const {done} = run(fake, '<enter>root<enter><wait>ls -l<return>');
    expect((await done).map((l) => [l.expected, l.outcome])).toEqual([
      ['root', 'verified'],
      ['ls -l', 'verified'],
    ]);
    expect(fake.entered).toEqual(['', 'root', 'ls -l']);
  });
});
