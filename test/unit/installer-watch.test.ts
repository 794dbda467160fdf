/**
 * The installer tracker on real frames of the real Debian installer: stages, stops named with
 * the dialog, the template and the preseed line or boot parameter, once per dialog, only after
 * the dialog has stood still, and the user's answer in debug mode.
 */
import {describe, expect, it} from 'vitest';
import {DIALOG_SETTLE_MS, InstallerTracker, REASK_MS, type AnswerFile} from '../../src/engine/installer-watch.js';
import {parsePreseed} from '../../src/installer/debian/preseed.js';
import type {ScreenText} from '../../src/screen/screen-text.js';
import {fixtureScreen, haveInitrd, initrdData} from '../support/installer-fixtures.js';

const screen = (name: string): ScreenText => ({mode: 'glyphs', confidence: 1, detail: 'fixture', ...fixtureScreen(name)}) as ScreenText;
const answer = (text: string): AnswerFile => ({name: 'http/preseed.cfg', path: '/p/http/preseed.cfg', entries: parsePreseed(text)});

describe.skipIf(!haveInitrd)('InstallerTracker on the real installer', () => {
  const templates = () => initrdData().templates;

  it('names an error dialog once it has stood for the settle time, and only once', () => {
    const t = new InstallerTracker({templates: templates(), answerFile: () => undefined});
    const s = screen('di-err-download-components-1280x800');
    expect(t.onScreen(s, 0).stop).toBeUndefined();
    expect(t.onScreen(s, DIALOG_SETTLE_MS - 1).stop).toBeUndefined();
    const stop = t.tick(DIALOG_SETTLE_MS)!;
    expect(stop.kind).toBe('error');
    expect(stop.cause).toBe('the installer stopped at an error: [!!] Download installer components (retriever/net/error)');
    expect(stop.evidence[0]).toMatch(/^the dialog says: The installer failed to download a file from the mirror\./);
    expect(t.onScreen(s, 10_000).stop).toBeUndefined();
    expect(t.tick(20_000)).toBeUndefined();
  });

  it('names the error template and its heading: Bad archive mirror, the preseed 404', () => {
    const t = new InstallerTracker({templates: templates(), answerFile: () => undefined});
    t.onScreen(screen('di-err-bad-mirror-1280x800'), 0);
    expect(t.tick(DIALOG_SETTLE_MS)!.cause).toMatch(/^the installer stopped at an error: \[!!\] .* — Bad archive mirror \(mirror\/bad\)$/);
    t.onScreen(screen('di-err-preseed-404-1024x768'), 10_000);
    const stop = t.tick(10_000 + DIALOG_SETTLE_MS)!;
    expect(stop.cause).toMatch(/Failed to retrieve the preconfiguration file \(preseed\/retrieve_error\)$/);
    expect(stop.evidence[0]).toMatch(/could not be retrieved from http:\/\/10\.0\.2\.2:8088\/missing\.cfg/);
  });

  it('names an unanswered question with the preseed line for the value on screen', () => {
    const t = new InstallerTracker({templates: templates(), answerFile: () => answer('d-i mirror/country string manual\n')});
    t.onScreen(screen('di-q-mirror-hostname-1280x800'), 0);
    const stop = t.tick(DIALOG_SETTLE_MS)!;
    expect(stop.kind).toBe('question');
    expect(stop.cause).toBe('the installer asks a question the preseed did not answer: "Debian archive mirror hostname:" in [!!] Choose a mirror of the Debian archive (mirror/http/hostname)');
    expect(stop.preseedLine).toBe('d-i mirror/http/hostname string mirror.example.org');
    expect(stop.hint).toBe('add to http/preseed.cfg: d-i mirror/http/hostname string mirror.example.org');
    expect(stop.bootParameter).toBeUndefined();
    expect(t.questionEvent(stop, 5).template).toBe('mirror/http/hostname');
  });

  it('says when the preseed has a line for the question the installer asked anyway', () => {
    const t = new InstallerTracker({templates: templates(), answerFile: () => answer('# x\nd-i mirror/http/hostname strng deb.example\n')});
    t.onScreen(screen('di-q-mirror-hostname-800x600'), 0);
    const stop = t.tick(DIALOG_SETTLE_MS)!;
    expect(stop.evidence).toContain('http/preseed.cfg:2 answers mirror/http/hostname, but the installer asked anyway: check its owner, type and value (d-i strng deb.example)');
  });

  it('sends a question asked before the answer file to the kernel command line', () => {
    const t = new InstallerTracker({templates: templates(), answerFile: () => undefined});
    t.onScreen(screen('di-q-hostname-800x600'), 0);
    const stop = t.tick(DIALOG_SETTLE_MS)!;
    expect(stop.template?.name).toBe('netcfg/get_hostname');
    expect(stop.bootParameter).toBe('netcfg/get_hostname=debian');
    expect(stop.hint).toBe('it comes before the installer reads its answer file (none was fetched yet): add netcfg/get_hostname=debian to the kernel command line in boot_command');
  });

  it('follows stages through progress screens, and busy screens keep the stage', () => {
    const t = new InstallerTracker({templates: templates(), answerFile: () => undefined});
    const stages = ['di-progress-dhcp-800x600', 'di-busy-800x600', 'di-q-hostname-800x600'].flatMap((n, i) => t.onScreen(screen(n), i * 1000).events);
    expect(stages.map((e) => e.type === 'installer' && e.kind === 'stage' && e.stage)).toEqual(['Configure the network']);
  });

  it("reports the user's answer when the question leaves the screen (debug mode)", () => {
    const t = new InstallerTracker({templates: templates(), answerFile: () => answer('d-i x/y string z\n')});
    t.onScreen(screen('di-q-hostname-800x600'), 0);
    const stop = t.tick(DIALOG_SETTLE_MS)!;
    t.userAnswers(stop);
    // The user types a new name: the same question, another entry value.
    expect(t.onScreen(screen('di-q-hostname-typed-800x600'), 3000).events).toEqual([]);
    const {events} = t.onScreen(screen('di-q-domain-800x600'), 4000);
    expect(events).toContainEqual({type: 'installer', time: 4000, kind: 'answer', template: 'netcfg/get_hostname', value: 'myhost', preseedLine: 'd-i netcfg/get_hostname string myhost', bootParameter: 'netcfg/get_hostname=myhost', preseedFile: '/p/http/preseed.cfg'});
  });

  it('asks again about a question the user went on past, once it has waited unanswered for REASK_MS', () => {
    const t = new InstallerTracker({templates: templates(), answerFile: () => answer('d-i x/y string z\n')});
    t.onScreen(screen('di-q-hostname-800x600'), 0);
    const stop = t.tick(DIALOG_SETTLE_MS)!;
    expect(stop.again).toBeUndefined();
    t.userAnswers(stop);
    // The pause ends at 10 s with the question still on screen (the user typed a little only).
    t.onScreen(screen('di-q-hostname-typed-800x600'), 9000, {stops: false});
    t.wentOn(stop, 10_000);
    expect(t.onScreen(screen('di-q-hostname-typed-800x600'), 20_000).stop).toBeUndefined();
    expect(t.tick(10_000 + REASK_MS - 1)).toBeUndefined();
    const again = t.tick(10_000 + REASK_MS)!;
    expect(again.again).toBe(true);
    expect(again.cause).toBe(stop.cause);
    // Its value is what stands on screen now.
    expect(again.preseedLine).toBe('d-i netcfg/get_hostname string myhost');
    // Once: then it is the user's again.
    expect(t.tick(10_000 + 3 * REASK_MS)).toBeUndefined();
  });

  it('does not ask again when the question left the screen after the user went on', () => {
    const t = new InstallerTracker({templates: templates(), answerFile: () => answer('d-i x/y string z\n')});
    t.onScreen(screen('di-q-hostname-800x600'), 0);
    const stop = t.tick(DIALOG_SETTLE_MS)!;
    t.userAnswers(stop);
    t.wentOn(stop, 5000);
    // Answered in the console after the pause: the next dialog is a new stop, not the old one again.
    t.onScreen(screen('di-progress-dhcp-800x600'), 6000);
    expect(t.tick(5000 + REASK_MS)).toBeUndefined();
    // Answered during the pause: nothing to ask again.
    const u = new InstallerTracker({templates: templates(), answerFile: () => answer('d-i x/y string z\n')});
    u.onScreen(screen('di-q-hostname-800x600'), 0);
    const first = u.tick(DIALOG_SETTLE_MS)!;
    u.userAnswers(first);
    u.onScreen(screen('di-progress-dhcp-800x600'), 4000, {stops: false});
    u.wentOn(first, 5000);
    expect(u.tick(5000 + REASK_MS)).toBeUndefined();
  });
});

describe.skipIf(!haveInitrd)('the watcher at an installer question in debug mode', () => {
  it('keeps reading the screen while paused, reports what the user typed, and names the next stop after the pause', async () => {
    const {watchVm} = await import('../../src/engine/vm-watch.js');
    const {DEFAULT_ERROR_PATTERNS} = await import('../../src/engine/screen-patterns.js');
    const tracker = new InstallerTracker({templates: initrdData().templates, answerFile: () => answer('d-i x/y string z\n')});
    const events: unknown[] = [];
    let shown = screen('di-q-hostname-800x600');
    let version = 1;
    let release!: (paused: boolean) => void;
    const asked: string[] = [];
    const w = watchVm(
      {frameVersion: () => version, readScreen: async () => shown, frameHash: () => String(version), httpRequests: () => []},
      {
        patterns: DEFAULT_ERROR_PATTERNS,
        stallMs: 0,
        pollMs: 20,
        log: () => {},
        installer: {
          tracker,
          emit: (e) => events.push(e),
          // As the build does: a question pauses (until released), an error never does.
          onStop: (stop) => {
            asked.push(stop.cause);
            return stop.kind === 'question' ? new Promise<boolean>((r) => (release = r)) : Promise.resolve(false);
          },
        },
      },
    );
    try {
      // The question is asked: the build pauses (onStop pending).
      await expect.poll(() => asked.length, {timeout: 10_000}).toBe(1);
      // Meanwhile the user types another host and presses Enter: the installer moves on.
      shown = screen('di-q-hostname-typed-800x600');
      version++;
      await new Promise((r) => setTimeout(r, 700));
      shown = screen('di-err-bad-mirror-1280x800');
      version++;
      await expect.poll(() => events.some((e) => (e as {kind?: string}).kind === 'answer'), {timeout: 5000}).toBe(true);
      expect(events).toContainEqual(expect.objectContaining({kind: 'answer', template: 'netcfg/get_hostname', value: 'myhost', preseedLine: 'd-i netcfg/get_hostname string myhost'}));
      // Nothing else is named while paused; after the user goes on, the error is.
      expect(asked).toHaveLength(1);
      release(true);
      const err = (await w.failed.catch((e: unknown) => e)) as Error;
      expect(err.message.split('\n')[0]).toMatch(/^the installer stopped at an error: .*Bad archive mirror \(mirror\/bad\)$/);
      expect(asked).toHaveLength(2);
    } finally {
      // Even with the pause never answered, stopping the watcher ends it.
      await w.stop();
    }
  }, 30_000);

  it('asks again after the pause when the user went on without answering; nobody answering then fails the build', async () => {
    const {watchVm} = await import('../../src/engine/vm-watch.js');
    const {DEFAULT_ERROR_PATTERNS} = await import('../../src/engine/screen-patterns.js');
    const tracker = new InstallerTracker({templates: initrdData().templates, answerFile: () => undefined, reaskMs: 300});
    const asked: {again?: boolean}[] = [];
    const w = watchVm(
      {frameVersion: () => 1, readScreen: async () => screen('di-q-domain-800x600'), frameHash: () => '1', httpRequests: () => []},
      // The first time the user goes on (true); the second time nobody is there (false).
      {patterns: DEFAULT_ERROR_PATTERNS, stallMs: 0, pollMs: 20, log: () => {}, installer: {tracker, emit: () => {}, onStop: async (stop) => (asked.push(stop), asked.length === 1)}},
    );
    const err = (await w.failed.catch((e: unknown) => e)) as Error;
    await w.stop();
    expect(asked.map((s) => !!s.again)).toEqual([false, true]);
    expect(err.message.split('\n')[0]).toMatch(/^the installer asks a question the preseed did not answer: .*Domain name/);
  }, 30_000);

  it('stopping the watcher ends a pause nobody answers', async () => {
    const {watchVm} = await import('../../src/engine/vm-watch.js');
    const {DEFAULT_ERROR_PATTERNS} = await import('../../src/engine/screen-patterns.js');
    const tracker = new InstallerTracker({templates: initrdData().templates, answerFile: () => undefined});
    let asked = 0;
    const w = watchVm(
      {frameVersion: () => 1, readScreen: async () => screen('di-q-domain-800x600'), frameHash: () => '1', httpRequests: () => []},
      {patterns: DEFAULT_ERROR_PATTERNS, stallMs: 0, pollMs: 20, log: () => {}, installer: {tracker, emit: () => {}, onStop: () => (asked++, new Promise<boolean>(() => {}))}},
    );
    await expect.poll(() => asked, {timeout: 10_000}).toBe(1);
    await w.stop();
    expect(await Promise.race([w.failed.then(() => 'resolved', () => 'rejected'), new Promise((r) => setTimeout(() => r('pending'), 100))])).toBe('pending');
  }, 30_000);
});
