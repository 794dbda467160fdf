/**
 * Follows the Debian installer on the VM's screen while the build waits for SSH: the stages it
 * goes through (for the timeline), and the moment it stops — an error dialog, or a question the
 * preseed left unanswered — named with the dialog's title and text, its debconf template, and
 * the preseed line (or kernel command line parameter) that would answer it.
 *
 * Pure apart from the clock it is given: the VM watcher feeds it screens, it answers with events
 * and, once a dialog has stood still on screen, a stop. What to do with a stop (fail the build,
 * or pause for the user in debug mode) is the watcher's business.
 */
import {parseNewtScreen} from '../installer/debian/newt-screen.js';
import {answerOf, askedBeforeAnswerFile, bootParameter, findAnswer, preseedLine, type PreseedEntry} from '../installer/debian/preseed.js';
import {stageOf} from '../installer/debian/stages.js';
import {matchTemplate} from '../installer/debian/templates.js';
import type {DebconfTemplate, NewtDialog, NewtScreen} from '../installer/debian/types.js';
import type {ScreenText} from '../screen/screen-text.js';
import type {InstallerEvent} from './events.js';

/** How long a dialog must stand on screen before it counts as a stop (a dialog that flashes by is not one). */
export const DIALOG_SETTLE_MS = 2000;
/**
 * A question the user went on past (a debug pause) without answering: when it still stands on
 * screen this long after, it is a stop again — else the build would wait for SSH until
 * ssh_timeout with the installer waiting for an answer nobody gives.
 */
export const REASK_MS = 60_000;

/** What the tracker knows about the answer file (the preseed the guest fetched). */
export interface AnswerFile {
  /** Path relative to the profile (for messages): "http/preseed.cfg". */
  name: string;
  /** Absolute path, for the workbench's "append"; none for http_content written in the profile itself. */
  path?: string;
  entries: readonly PreseedEntry[];
}

export interface InstallerStop {
  kind: 'error' | 'question';
  dialog: NewtDialog;
  template?: DebconfTemplate;
  /** One line: "the installer stopped at an error: …" / "the installer asks a question the preseed did not answer: …". */
  cause: string;
  evidence: string[];
  hint: string;
  /** For questions: the preseed line (default value) and, if asked before the answer file, the kernel parameter. */
  preseedLine?: string;
  bootParameter?: string;
  /** A question asked again: the user went on past it once, and it still waits on screen. */
  again?: boolean;
}

export interface TrackerContext {
  templates: readonly DebconfTemplate[];
  /** The answer file the guest has fetched so far, if any (undefined: not fetched yet). */
  answerFile(): AnswerFile | undefined;
  /** How long a question the user went on past may wait before it is asked again ({@link REASK_MS}). */
  reaskMs?: number;
}

const clean = (s: string): string => s.replace(/\s+/g, ' ').trim();
const titled = (d: NewtDialog): string => `${d.marker ? `[${d.marker}] ` : ''}${d.title}`;
const dialogKey = (d: NewtDialog): string => [d.title, d.heading, d.prompt, ...d.paragraphs, d.list?.items.join('|')].join('\u0000');

/** The dialog's text as one line, for messages: heading, then the body, cut at `max` characters. */
export function dialogText(d: NewtDialog, max = 400): string {
  const text = clean([d.heading, ...d.paragraphs, d.prompt].filter(Boolean).join(' — '));
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

export class InstallerTracker {
  private stage?: string;
  private candidate?: {key: string; since: number; kind: 'error' | 'question'; dialog: NewtDialog};
  /** Dialogs already reported (or handed to the user), so one stop is reported once. */
  private readonly handled = new Set<string>();
  /** A question the user is answering in the console: its last state, for the answer. */
  private answering?: {key: string; dialog: NewtDialog; template: DebconfTemplate};
  /** A question the user went on past unanswered, since when: asked again after {@link REASK_MS}. */
  private reask?: {key: string; since: number; dialog: NewtDialog};

  constructor(private readonly ctx: TrackerContext) {}

  /**
   * Feed one screen read at `now`. Returns events (stage changes, an answer the user gave) and,
   * once a dialog has stood for {@link DIALOG_SETTLE_MS}, the stop it means (never with
   * `stops: false`, used while the build is paused).
   */
  onScreen(screen: ScreenText, now: number, opts: {stops?: boolean} = {}): {events: InstallerEvent[]; stop?: InstallerStop; newt: NewtScreen} {
    const events: InstallerEvent[] = [];
    const newt = parseNewtScreen(screen);
    const stage = stageOf(newt, this.ctx.templates);
    if (stage && stage !== this.stage) {
      this.stage = stage;
      events.push({type: 'installer', time: now, kind: 'stage', stage});
    }
    const d = newt.dialog;
    const key = d ? dialogKey(d) : undefined;
    // The user's answer: the question being answered has left the screen; its last state holds the answer.
    if (this.answering && key !== this.answering.key) {
      const answer = this.answerEvent(this.answering.dialog, this.answering.template, now);
      if (answer) events.push(answer);
      this.answering = undefined;
    }
    if (this.answering && d) this.answering.dialog = d;
    if (this.reask && key !== this.reask.key) this.reask = undefined;
    else if (this.reask && d) this.reask.dialog = d;
    // Following the user's answer during a pause: stages and the answer only; stops come after it.
    if (opts.stops === false) return {events, newt};
    if (this.reask) return {events, newt, stop: this.tick(now)};
    if (!d || !key || (newt.kind !== 'error' && newt.kind !== 'question') || this.handled.has(key)) {
      this.candidate = undefined;
      return {events, newt};
    }
    if (this.candidate?.key !== key) {
      this.candidate = {key, since: now, kind: newt.kind, dialog: d};
      return {events, newt};
    }
    return {events, newt, stop: this.tick(now)};
  }

  /**
   * The screen has not changed since the last {@link onScreen}: the dialog seen then is still
   * there. Returns its stop once it has stood for {@link DIALOG_SETTLE_MS}.
   */
  tick(now: number): InstallerStop | undefined {
    const r = this.reask;
    if (r && now - r.since >= (this.ctx.reaskMs ?? REASK_MS)) {
      this.reask = undefined;
      return {...this.stopFor('question', r.dialog), again: true};
    }
    const c = this.candidate;
    if (!c || now - c.since < DIALOG_SETTLE_MS) return undefined;
    this.handled.add(c.key);
    this.candidate = undefined;
    return this.stopFor(c.kind, c.dialog);
  }

  /** The user took over this question (a debug pause): report the answer when it leaves the screen. */
  userAnswers(stop: InstallerStop): void {
    if (stop.kind === 'question' && stop.template) this.answering = {key: dialogKey(stop.dialog), dialog: stop.dialog, template: stop.template};
  }

  /**
   * The user went on from the pause at this question (at `now`). If it still stands unanswered
   * on screen {@link REASK_MS} later, it is a stop again.
   */
  wentOn(stop: InstallerStop, now: number): void {
    if (stop.kind !== 'question') return;
    const key = dialogKey(stop.dialog);
    // Answered during the pause: the question left the screen and its answer was reported.
    if (this.answering && this.answering.key !== key) return;
    if (!this.answering && stop.template) return;
    this.reask = {key, since: now, dialog: this.answering?.dialog ?? stop.dialog};
  }

  /** The user did not take the question after all (nobody paused): stop watching for an answer. */
  cancelAnswering(): void {
    this.answering = undefined;
  }

  /** The question event for a stop (for the timeline and the workbench). */
  questionEvent(stop: InstallerStop, now: number): InstallerEvent {
    return {
      type: 'installer',
      time: now,
      kind: 'question',
      title: titled(stop.dialog),
      prompt: stop.dialog.prompt ?? stop.dialog.heading ?? stop.dialog.paragraphs[0] ?? '',
      template: stop.template?.name,
      preseedLine: stop.preseedLine,
      bootParameter: stop.bootParameter,
    };
  }

  private answerEvent(dialog: NewtDialog, template: DebconfTemplate, now: number): InstallerEvent | undefined {
    const value = answerOf(dialog, template);
    if (value === undefined) return undefined;
    const file = this.ctx.answerFile();
    const early = !file || askedBeforeAnswerFile(template);
    return {
      type: 'installer',
      time: now,
      kind: 'answer',
      template: template.name,
      value,
      preseedLine: preseedLine(template, value),
      bootParameter: early ? bootParameter(template, value) : undefined,
      preseedFile: file?.path,
    };
  }

  private stopFor(kind: 'error' | 'question', d: NewtDialog): InstallerStop {
    const match = matchTemplate(d, this.ctx.templates);
    const template = match?.template;
    const named = template ? ` (${template.name})` : '';
    const screenText = dialogText(d);
    if (kind === 'error') {
      return {
        kind,
        dialog: d,
        template,
        cause: `the installer stopped at an error: ${titled(d)}${d.heading ? ` — ${d.heading}` : ''}${named}`,
        evidence: [`the dialog says: ${screenText}`],
        hint: 'fix what the dialog says (the installer’s own log from its console 4 is in build.log); rerun with --debug to answer it in the console',
      };
    }
    const file = this.ctx.answerFile();
    const asked = clean(d.prompt ?? d.heading ?? d.paragraphs[0] ?? d.title);
    const cause = `the installer asks a question the preseed did not answer: "${asked}" in ${titled(d)}${named}`;
    if (!template) {
      return {kind, dialog: d, cause, evidence: [`the dialog says: ${screenText}`], hint: 'no debconf template of this installer matched the dialog: answer it by hand with --debug and the console to find its name'};
    }
    // The value the dialog offers (an entry's text, the highlighted choice) is the best guess of an answer.
    const value = answerOf(d, template) ?? template.default;
    const line = preseedLine(template, value);
    const before = !file || askedBeforeAnswerFile(template);
    const param = before ? bootParameter(template, value) : undefined;
    const evidence = [`the dialog says: ${screenText}`];
    const existing = file ? findAnswer(file.entries, template.name) : undefined;
    if (existing) evidence.push(`${file!.name}:${existing.line} answers ${template.name}, but the installer asked anyway: check its owner, type and value (${existing.owner} ${existing.type} ${existing.value})`);
    let hint: string;
    if (before) {
      hint = `it comes before the installer reads its answer file${file ? '' : ' (none was fetched yet)'}: add ${param} to the kernel command line in boot_command`;
    } else {
      hint = `add to ${file!.name}: ${line}`;
    }
    return {kind, dialog: d, template, cause, evidence, hint, preseedLine: line, bootParameter: param};
  }
}
