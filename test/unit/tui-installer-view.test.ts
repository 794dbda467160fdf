/**
 * The installer's part of the view state, through the real reducer: stages with durations and
 * the current one, questions marked and then answered, answers with their preseed lines, the
 * installer's log in the Log pane, the diagnosis, what append-answer did; plus the timeline
 * rows and the paste block built from them.
 */
import {describe, expect, it} from 'vitest';
import {currentStage, pasteLines, TIMELINE_LIMIT, timelineRows} from '../../src/tui/installer-view.js';
import {initialState, reduce, reduceBatch} from '../../src/tui/reducer.js';
import type {BuildViewState, WorkbenchEvent} from '../../src/tui/types.js';

const t = 1_000_000;
const started: WorkbenchEvent = {type: 'build', status: 'started', time: t, profile: 'debian-12', steps: [{id: 'wait-ssh', title: 'Wait for SSH'}]};
const stage = (s: string, at: number): WorkbenchEvent => ({type: 'installer', time: t + at, kind: 'stage', stage: s});
const question = (at: number, template?: string, prompt = 'Hostname:'): WorkbenchEvent => ({
  type: 'installer',
  time: t + at,
  kind: 'question',
  title: '[!] Configure the network',
  prompt,
  ...(template ? {template, preseedLine: `d-i ${template} string <value>`} : {}),
});
const answer = (at: number, template: string, value: string, extra: {bootParameter?: string; preseedFile?: string} = {}): WorkbenchEvent => ({
  type: 'installer',
  time: t + at,
  kind: 'answer',
  template,
  value,
  preseedLine: `d-i ${template} string ${value}`,
  ...extra,
});
const run = (...events: WorkbenchEvent[]): BuildViewState => reduceBatch(initialState('p'), [started, ...events]);

describe('installer timeline', () => {
  it('a stage lasts until the next one; the newest runs; the same stage seen again is no new one', () => {
    const s = run(stage('Detect network hardware', 0), stage('Configure the network', 4000), stage('Configure the network', 5000), stage('Choose a mirror', 9000));
    expect(s.installer.timeline).toEqual([
      {kind: 'stage', name: 'Detect network hardware', startedAt: t, endedAt: t + 4000},
      {kind: 'stage', name: 'Configure the network', startedAt: t + 4000, endedAt: t + 9000},
      {kind: 'stage', name: 'Choose a mirror', startedAt: t + 9000},
    ]);
    expect(currentStage(s.installer.timeline)).toBe(2);
    const rows = timelineRows(s.installer, s.status, t + 12_000);
    expect(rows.map((r) => [r.icon, r.text, r.duration])).toEqual([
      ['✔', 'Detect network hardware', 4000],
      ['✔', 'Configure the network', 5000],
      ['▶', 'Choose a mirror', 3000],
    ]);
  });

  it('the end of the build closes the current stage, marked where a failed build stopped', () => {
    const s = run(stage('Download installer components', 0), {type: 'build', status: 'failed', time: t + 42_000, durationMs: 42_000, reason: 'x'});
    expect(s.installer.timeline[0]).toMatchObject({endedAt: t + 42_000});
    expect(timelineRows(s.installer, s.status, t + 99_000)[0]).toMatchObject({icon: '✖', duration: 42_000});
  });

  it('questions are marked where they were asked, and answered by template (or the newest loose one)', () => {
    const s = run(stage('Configure the network', 0), question(100, 'netcfg/get_hostname'), question(150, 'netcfg/get_hostname'), question(200, undefined, 'Domain name:'), answer(300, 'netcfg/get_hostname', 'web1'), answer(400, 'netcfg/get_domain', 'lan', {bootParameter: 'domain=lan'}));
    // The same question read twice is one question.
    expect(s.installer.timeline.map((e) => e.kind)).toEqual(['stage', 'question', 'question']);
    expect(s.installer.timeline[1]).toMatchObject({kind: 'question', template: 'netcfg/get_hostname', answer: 'web1'});
    expect(s.installer.timeline[2]).toMatchObject({kind: 'question', prompt: 'Domain name:', answer: 'lan'});
    expect(timelineRows(s.installer, s.status, t).slice(1).map((r) => [r.icon, r.text])).toEqual([
      ['✎', 'web1 ← Hostname:'],
      ['✎', 'lan ← Domain name:'],
    ]);
    expect(s.installer.answers).toHaveLength(2);
    expect(s.installer.answers[1]).toMatchObject({bootParameter: 'domain=lan'});
  });

  it('an unanswered question shows as ? in yellow', () => {
    const s = run(question(0, 'mirror/http/hostname', 'Debian archive mirror hostname:'));
    expect(timelineRows(s.installer, s.status, t)[0]).toEqual({icon: '?', color: 'yellow', text: 'Debian archive mirror hostname:'});
  });

  it('keeps at most TIMELINE_LIMIT rows', () => {
    const s = run(...Array.from({length: TIMELINE_LIMIT + 20}, (_, i) => stage(`stage ${i}`, i)));
    expect(s.installer.timeline).toHaveLength(TIMELINE_LIMIT);
    expect(s.installer.timeline.at(-1)).toMatchObject({name: `stage ${TIMELINE_LIMIT + 19}`});
  });

  it('a new build starts with an empty timeline and no diagnosis', () => {
    const s = run(stage('a', 0), {type: 'diagnosis', time: t, cause: 'x', evidence: []});
    const again = reduce(s, started);
    expect(again.installer).toEqual({timeline: [], answers: []});
    expect(again.diagnosis).toBeUndefined();
  });
});

describe('installer log, diagnosis, answers saved', () => {
  it("the installer's log lines go to the Log pane as source 'installer' (one at a time or batched)", () => {
    const e: WorkbenchEvent = {type: 'installer', time: t, kind: 'log', lines: ['main-menu[1]: INFO: Menu item', 'anna[2]: WARNING **: bad udeb']};
    for (const s of [run(e), reduce(reduce(initialState('p'), started), e)]) {
      expect(s.logTotal).toBe(2);
      expect([s.logs.bySeq(2)?.source, s.logs.bySeq(2)?.line]).toEqual(['installer', 'anna[2]: WARNING **: bad udeb']);
    }
  });

  it('a diagnosis is kept with cause, evidence, hint and screenshot; a step running again clears it', () => {
    const d: WorkbenchEvent = {type: 'diagnosis', time: t, cause: 'the installer stopped: Bad archive mirror', evidence: ['screen: [!!] Choose a mirror', 'http: GET /preseed.cfg 200'], hint: 'check mirror/http/hostname', screenshot: '/logs/stop.png'};
    const s = run({type: 'step', time: t, id: 'wait-ssh', title: 'Wait for SSH', status: 'running'}, d, {type: 'step', time: t + 1, id: 'wait-ssh', title: 'Wait for SSH', status: 'failed', error: 'stopped'});
    expect(s.diagnosis).toEqual({time: t, cause: 'the installer stopped: Bad archive mirror', evidence: ['screen: [!!] Choose a mirror', 'http: GET /preseed.cfg 200'], hint: 'check mirror/http/hostname', screenshot: '/logs/stop.png'});
    // A checkpoint pause inside the step and its resumption keep it; a retry forgets it.
    const paused = reduce(reduce(s, {type: 'step', time: t + 2, id: 'wait-ssh', title: 'Wait for SSH', status: 'paused'}), {type: 'step', time: t + 3, id: 'wait-ssh', title: 'Wait for SSH', status: 'running'});
    expect(paused.diagnosis).toBeDefined();
    expect(reduce(s, {type: 'step', time: t + 5, id: 'wait-ssh', title: 'Wait for SSH', status: 'running'}).diagnosis).toBeUndefined();
  });

  it('answer-saved records where the line went (or why not) on that answer only', () => {
    const s = run(answer(0, 'netcfg/get_hostname', 'web1', {preseedFile: '/p/http/preseed.cfg'}), answer(1, 'mirror/http/hostname', 'm'));
    const saved = reduce(s, {type: 'answer-saved', time: t, index: 0, file: '/p/http/preseed.cfg', line: 'd-i netcfg/get_hostname string web1', ok: true, message: 'appended to /p/http/preseed.cfg (line 9)'});
    expect(saved.installer.answers[0]!.saved).toEqual({ok: true, file: '/p/http/preseed.cfg', message: 'appended to /p/http/preseed.cfg (line 9)'});
    expect(saved.installer.answers[1]!.saved).toBeUndefined();
    expect(reduce(s, {type: 'answer-saved', time: t, index: 7, file: '', line: '', ok: false, message: ''})).toEqual(s);
  });

  it('a pause at an installer question keeps its kind; debug-mode carries pause-on-questions', () => {
    const s = run({type: 'pause', time: t, phase: 'checkpoint', stepId: 'wait-ssh', title: 'Wait for SSH', label: 'Hostname:', kind: 'installer-question'});
    expect(s.pause).toEqual({phase: 'checkpoint', stepId: 'wait-ssh', title: 'Wait for SSH', label: 'Hostname:', kind: 'installer-question'});
    const d = reduce(s, {type: 'debug-mode', time: t, pauseBefore: false, pauseAfter: false, breakpoints: [], pauseQuestions: true});
    expect(d.debug.pauseQuestions).toBe(true);
    // An older controller's event without the field leaves it as it was.
    expect(reduce(d, {type: 'debug-mode', time: t, pauseBefore: true, pauseAfter: false, breakpoints: []}).debug.pauseQuestions).toBe(true);
    expect(initialState('p', {debug: {pauseBefore: true}}).debug.pauseQuestions).toBe(true);
    expect(initialState('p').debug.pauseQuestions).toBe(false);
  });
});

describe('pasteLines', () => {
  it('preseed lines and boot parameters apart, the last answer per question in the place of its first', () => {
    const s = run(
      answer(0, 'netcfg/get_hostname', 'web1'),
      answer(1, 'mirror/http/hostname', 'deb.example'),
      answer(2, 'netcfg/get_hostname', 'web2'),
      answer(3, 'netcfg/get_domain', 'lan', {bootParameter: 'domain=lan'}),
      answer(4, 'netcfg/get_domain', 'corp', {bootParameter: 'domain=corp'}),
    );
    expect(pasteLines(s.installer.answers)).toEqual({preseed: ['d-i netcfg/get_hostname string web2', 'd-i mirror/http/hostname string deb.example'], boot: ['domain=corp']});
  });
});
