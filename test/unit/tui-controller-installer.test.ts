/**
 * The workbench controller and the installer's questions, over a real BuildSession with a
 * scripted step that does what the engine does: report a question, call a checkpoint of kind
 * 'installer-question', report the answer. The controller pauses there only while "pause on
 * installer questions" is on (default: debug mode), and appends an answer's line to the
 * profile's real preseed file only inside its http directory.
 */
import {mkdirSync, readFileSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import type {CheckpointKind, Step} from '../../src/engine/step.js';
import type {BuildState} from '../../src/engine/state.js';
import {parseProfile} from '../../src/profiles/loader.js';
import {startBuildController, type ControllerOptions} from '../../src/tui/controller.js';
import type {UiCommand, WorkbenchEvent} from '../../src/tui/types.js';
import {scratchDirs} from '../support/scratch.js';

const fresh = scratchDirs('vmbench-ctl-inst-');

/** A step that asks like the installer does: question, checkpoint, answer. `paused` records what the checkpoints returned. */
function asking(preseedFile: string | undefined, paused: boolean[], kind: CheckpointKind = 'installer-question'): Step<BuildState> {
  return {
    id: 'wait-ssh',
    title: 'Wait for SSH',
    async run(ctx) {
      const time = Date.now();
      ctx.emit({type: 'installer', time, kind: 'question', title: '[!] Configure the network', prompt: 'Hostname:', template: 'netcfg/get_hostname', preseedLine: 'd-i netcfg/get_hostname string <value>'});
      paused.push(await ctx.checkpoint('Hostname:', {kind}));
      ctx.emit({type: 'installer', time, kind: 'answer', template: 'netcfg/get_hostname', value: 'web1', preseedLine: 'd-i netcfg/get_hostname string web1', ...(preseedFile ? {preseedFile} : {})});
      ctx.emit({type: 'installer', time, kind: 'answer', template: 'netcfg/get_domain', value: 'lan', preseedLine: 'd-i netcfg/get_domain string lan', bootParameter: 'domain=lan'});
    },
  };
}

/** A build of a profile with http/preseed.cfg; `step` gets that file's path. */
function build(opts: Partial<ControllerOptions>, step: (preseed: string) => Step<BuildState>, answer: (e: WorkbenchEvent, send: (c: UiCommand) => void) => void = () => {}) {
  const dir = fresh('profile');
  mkdirSync(path.join(dir, 'http'));
  const preseed = path.join(dir, 'http', 'preseed.cfg');
  writeFileSync(preseed, 'd-i debian-installer/locale string en_US\n');
  writeFileSync(path.join(dir, 'p.yaml'), 'iso_url: x.iso\n');
  const loaded = {profile: parseProfile('iso_url: x.iso\nssh_username: root\nhttp_directory: http\n', 'p.yaml', 'p'), dir, file: path.join(dir, 'p.yaml')};
  const c = startBuildController({loaded: loaded as never, logDir: path.join(dir, 'logs'), outputDir: path.join(dir, 'out'), cacheDir: dir, steps: [step(preseed)], ...opts});
  const events: WorkbenchEvent[] = [];
  c.subscribe((e) => {
    events.push(e);
    setImmediate(() => answer(e, (cmd) => c.command(cmd)));
  });
  /** Resolves with the first event after now that matches. */
  const next = (match: (e: WorkbenchEvent) => boolean): Promise<WorkbenchEvent> =>
    new Promise((resolve) => {
      const before = new Set(events);
      const off = c.subscribe((e) => {
        if (before.has(e) || !match(e)) return;
        queueMicrotask(() => off());
        resolve(e);
      });
    });
  return {c, events, dir, preseed, next};
}

const questionPauses = (events: WorkbenchEvent[]) => events.filter((e) => e.type === 'pause' && e.kind === 'installer-question');
const go = (e: WorkbenchEvent, send: (c: UiCommand) => void) => e.type === 'pause' && send({type: 'continue'});

describe('pausing on installer questions', () => {
  it('debug mode pauses at the question (the checkpoint says it paused); continue goes on', async () => {
    const paused: boolean[] = [];
    const {c, events} = build({debug: true}, () => asking(undefined, paused), go);
    expect(await c.done).toMatchObject({status: 'done'});
    expect(questionPauses(events)).toEqual([expect.objectContaining({phase: 'checkpoint', stepId: 'wait-ssh', label: 'Hostname:', kind: 'installer-question'})]);
    expect(paused).toEqual([true]);
    expect(events.find((e) => e.type === 'debug-mode')).toMatchObject({pauseQuestions: true});
  });

  it('without debug mode the question passes (no pause, the checkpoint says so)', async () => {
    const paused: boolean[] = [];
    const {c, events} = build({}, () => asking(undefined, paused));
    expect(await c.done).toMatchObject({status: 'done'});
    expect(events.filter((e) => e.type === 'pause')).toEqual([]);
    expect(paused).toEqual([false]);
  });

  it('the toggle turns it off in debug mode and on without it', async () => {
    const off: boolean[] = [];
    const a = build({debug: true}, () => asking(undefined, off), go);
    a.c.command({type: 'toggle-pause-questions'});
    await a.c.done;
    expect(questionPauses(a.events)).toEqual([]);
    expect(off).toEqual([false]);
    expect(a.events.filter((e) => e.type === 'debug-mode').at(-1)).toMatchObject({pauseBefore: true, pauseQuestions: false});

    const on: boolean[] = [];
    const b = build({}, () => asking(undefined, on), go);
    b.c.command({type: 'toggle-pause-questions'});
    await b.c.done;
    expect(questionPauses(b.events)).toHaveLength(1);
    expect(on).toEqual([true]);
  });

  it('pause-on-questions does not stop at boot_steps checkpoints (those follow pause-before and breakpoints)', async () => {
    const paused: boolean[] = [];
    const {c, events} = build({pauseQuestions: true}, () => asking(undefined, paused, 'boot-step'));
    await c.done;
    expect(events.filter((e) => e.type === 'pause')).toEqual([]);
    expect(paused).toEqual([false]);
  });
});

describe('answers: append to the preseed file, copy into the log', () => {
  it('appends the line to the real preseed file and says where it went', async () => {
    // The step reports the file the guest fetched: the profile's own http/preseed.cfg.
    const c2 = build({}, (preseed) => asking(preseed, []));
    const file = c2.preseed;
    await c2.c.done;
    const saved = c2.next((e) => e.type === 'answer-saved');
    c2.c.command({type: 'append-answer', index: 0});
    expect(await saved).toMatchObject({type: 'answer-saved', index: 0, ok: true, file, message: `preseed line appended to ${file} (line 2): d-i netcfg/get_hostname string web1`});
    expect(readFileSync(file, 'utf8')).toBe('d-i debian-installer/locale string en_US\nd-i netcfg/get_hostname string web1\n');
    expect(c2.events.some((e) => e.type === 'log' && e.line.includes(`appended to ${file}`))).toBe(true);
    // After the build ended too, the line is in build.log.
    expect(readFileSync(path.join(c2.c.session.logDir, 'build.log'), 'utf8')).toMatch(/vmbench: preseed line appended to .* \(line 2\): d-i netcfg\/get_hostname string web1\n$/);
  });

  it('refuses a file outside the http directory, and a boot parameter (boot_command instead), changing nothing', async () => {
    const outside = path.join(fresh('elsewhere'), 'preseed.cfg');
    writeFileSync(outside, 'mine\n');
    const b = build({}, () => asking(outside, []));
    await b.c.done;
    const first = b.next((e) => e.type === 'answer-saved');
    b.c.command({type: 'append-answer', index: 0});
    expect(await first).toMatchObject({ok: false, message: expect.stringMatching(/outside the profile's http directory/)});
    const second = b.next((e) => e.type === 'answer-saved');
    b.c.command({type: 'append-answer', index: 1});
    expect(await second).toMatchObject({index: 1, ok: false, message: 'this question comes before the answer file is read: add `domain=lan` to boot_command instead'});
    expect(readFileSync(outside, 'utf8')).toBe('mine\n');
    expect(readFileSync(b.preseed, 'utf8')).toBe('d-i debian-installer/locale string en_US\n');
  });

  it('copy puts the line (or the boot parameter) in the log', async () => {
    const b = build({}, () => asking(undefined, []));
    await b.c.done;
    const line = b.next((e) => e.type === 'log' && e.source === 'vmbench' && e.line.startsWith('preseed line:'));
    b.c.command({type: 'copy-answer', index: 0});
    expect(await line).toMatchObject({line: 'preseed line: d-i netcfg/get_hostname string web1'});
    const boot = b.next((e) => e.type === 'log' && e.line.startsWith('boot parameter'));
    b.c.command({type: 'copy-answer', index: 1});
    expect(await boot).toMatchObject({line: 'boot parameter for boot_command (asked before the answer file was read): domain=lan'});
  });
});
