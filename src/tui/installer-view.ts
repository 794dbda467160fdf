/**
 * The installer's part of the view state (pure, like reducer.ts, which calls it): the timeline
 * of stages seen on the VM's screen with their durations, the questions the installer asked,
 * and the answers the user gave in the Console with the preseed line for each.
 *
 * A stage lasts from its first sighting to the next stage (or the end of the build); the newest
 * one is "current" while the build runs. A question goes into the timeline where it was asked;
 * an answer marks the newest unanswered question for the same template (or, without a
 * template on the question, the newest unanswered one).
 */
import type {InstallerEvent} from '../engine/events.js';
import {sanitizeLine} from './format.js';
import type {AnswerView, InstallerView, TimelineEntry} from './types.js';

/** Timeline rows kept (the oldest go first): an installer shows a few dozen stages. */
export const TIMELINE_LIMIT = 500;

export function emptyInstaller(): InstallerView {
  return {timeline: [], answers: []};
}

/** Index of the current (last, unfinished) stage, or −1. */
export function currentStage(timeline: readonly TimelineEntry[]): number {
  for (let i = timeline.length - 1; i >= 0; i--) {
    const e = timeline[i]!;
    if (e.kind === 'stage') return e.endedAt === undefined ? i : -1;
  }
  return -1;
}

function closeStage(timeline: TimelineEntry[], time: number): TimelineEntry[] {
  const i = currentStage(timeline);
  if (i === -1) return timeline;
  const next = timeline.slice();
  next[i] = {...(timeline[i] as Extract<TimelineEntry, {kind: 'stage'}>), endedAt: Math.max(time, (timeline[i] as {startedAt: number}).startedAt)};
  return next;
}

const bounded = (t: TimelineEntry[]): TimelineEntry[] => (t.length > TIMELINE_LIMIT ? t.slice(t.length - TIMELINE_LIMIT) : t);

/** One installer event → the next installer view (`log` events are the Log pane's, not handled here). */
export function reduceInstaller(v: InstallerView, e: InstallerEvent): InstallerView {
  switch (e.kind) {
    case 'stage': {
      const name = sanitizeLine(e.stage).trim();
      if (!name) return v;
      const cur = currentStage(v.timeline);
      // The same stage seen again (the screen redrawn, a progress bar moving) is no new stage.
      if (cur !== -1 && (v.timeline[cur] as {name: string}).name === name) return v;
      const timeline = closeStage(v.timeline, e.time);
      return {...v, timeline: bounded([...timeline, {kind: 'stage', name, startedAt: e.time}])};
    }
    case 'question': {
      const q: TimelineEntry = {kind: 'question', time: e.time, title: sanitizeLine(e.title), prompt: sanitizeLine(e.prompt)};
      if (e.template !== undefined) q.template = e.template;
      if (e.preseedLine !== undefined) q.preseedLine = e.preseedLine;
      if (e.bootParameter !== undefined) q.bootParameter = e.bootParameter;
      // The same question still on screen (read again) is one question.
      const last = v.timeline[v.timeline.length - 1];
      if (last?.kind === 'question' && last.answer === undefined && last.title === q.title && last.prompt === q.prompt && last.template === q.template) return v;
      return {...v, timeline: bounded([...v.timeline, q])};
    }
    case 'answer': {
      const a: AnswerView = {time: e.time, template: e.template, value: e.value, preseedLine: e.preseedLine};
      if (e.bootParameter !== undefined) a.bootParameter = e.bootParameter;
      if (e.preseedFile !== undefined) a.preseedFile = e.preseedFile;
      return {timeline: markAnswered(v.timeline, a), answers: [...v.answers, a]};
    }
    default:
      return v;
  }
}

function markAnswered(timeline: TimelineEntry[], a: AnswerView): TimelineEntry[] {
  let loose = -1;
  for (let i = timeline.length - 1; i >= 0; i--) {
    const q = timeline[i]!;
    if (q.kind !== 'question' || q.answer !== undefined) continue;
    if (q.template === a.template) return withAnswer(timeline, i, a);
    if (q.template === undefined && loose === -1) loose = i;
  }
  return loose === -1 ? timeline : withAnswer(timeline, loose, a);
}

function withAnswer(timeline: TimelineEntry[], i: number, a: AnswerView): TimelineEntry[] {
  const next = timeline.slice();
  next[i] = {...(timeline[i] as Extract<TimelineEntry, {kind: 'question'}>), answer: a.value};
  return next;
}

/** The build ended: the current stage ends with it. */
export function endInstaller(v: InstallerView, time: number): InstallerView {
  const timeline = closeStage(v.timeline, time);
  return timeline === v.timeline ? v : {...v, timeline};
}

/** What `append-answer` did to answer `index`. */
export function answerSaved(v: InstallerView, index: number, saved: NonNullable<AnswerView['saved']>): InstallerView {
  const a = v.answers[index];
  if (!a) return v;
  const answers = v.answers.slice();
  answers[index] = {...a, saved: {...saved}};
  return {...v, answers};
}

/** Duration of a timeline stage (live for the current one). */
export function stageDuration(e: Extract<TimelineEntry, {kind: 'stage'}>, now: number): number {
  return Math.max(0, (e.endedAt ?? now) - e.startedAt);
}

/**
 * Answers as lines ready to paste: preseed lines, then boot parameters (for boot_command). A
 * question answered twice keeps its last answer, in the place of its first.
 */
export function pasteLines(answers: readonly AnswerView[]): {preseed: string[]; boot: string[]} {
  const preseed = new Map<string, string>();
  const boot = new Map<string, string>();
  for (const a of answers) {
    if (a.bootParameter) boot.set(a.bootParameter.split('=')[0]!, a.bootParameter);
    else preseed.set(a.template, a.preseedLine);
  }
  return {preseed: [...preseed.values()], boot: [...boot.values()]};
}

/** One row of the timeline as shown: icon, text, duration (empty for questions). */
export interface TimelineRow {
  icon: string;
  color: string;
  text: string;
  duration?: number;
  /** The stage the installer is in now (its duration runs). */
  current?: boolean;
}

/**
 * The timeline as rows: finished stages ✔, the current one ▶ (✖ where a failed build stopped),
 * questions ? (yellow) until answered, then ✎ with the answer.
 */
export function timelineRows(v: InstallerView, build: 'idle' | 'running' | 'done' | 'failed' | 'cancelled', now: number): TimelineRow[] {
  const last = v.timeline.findLastIndex((e) => e.kind === 'stage');
  return v.timeline.map((e, i): TimelineRow => {
    if (e.kind === 'question') {
      const what = e.prompt || e.title;
      // The answer first: the prompt is long and the column narrow.
      return e.answer === undefined ? {icon: '?', color: 'yellow', text: what} : {icon: '✎', color: 'green', text: `${e.answer} ← ${what}`};
    }
    const running = e.endedAt === undefined;
    if (running) return {icon: '▶', color: 'cyan', text: e.name, duration: stageDuration(e, now), current: true};
    if (i === last && build === 'failed') return {icon: '✖', color: 'red', text: e.name, duration: stageDuration(e, now)};
    if (i === last && build === 'cancelled') return {icon: '⊘', color: 'yellow', text: e.name, duration: stageDuration(e, now)};
    return {icon: '✔', color: 'green', text: e.name, duration: stageDuration(e, now)};
  });
}
