/**
 * The build log a build leaves on disk whatever front end runs it: build.log (every event as a
 * timed plain line), serial.log (the guest's serial console) and events.jsonl. The one-line
 * event format lives here too, as both the log and the CLI's plain reporter print it.
 */
import {appendFileSync, createWriteStream, mkdirSync, type WriteStream} from 'node:fs';
import path from 'node:path';
import type {BuildEvent} from '../engine/events.js';
import {formatDuration} from '../util/duration.js';

const ICON: Record<string, string> = {running: '==>', done: '-->', failed: '!!!', skipped: '---', cancelled: 'xxx', paused: '||'};

/** One event as a line of text, or undefined for events plain output leaves out. */
export function formatEvent(e: BuildEvent, verbose = false): string | undefined {
  switch (e.type) {
    case 'build':
      if (e.status === 'started') return `vmbench: building ${e.profile} (${e.steps.length} steps)`;
      return `vmbench: build ${e.status} in ${formatDuration(e.durationMs)}${e.reason && e.status !== 'done' ? `: ${e.reason.split('\n')[0]}` : ''}`;
    case 'step': {
      if (e.status === 'pending' || (e.status === 'paused' && !verbose)) return undefined;
      const icon = ICON[e.status] ?? '   ';
      if (e.status === 'running') return `${icon} ${e.id}: ${e.title}`;
      const took = e.durationMs !== undefined ? ` (${formatDuration(e.durationMs)})` : '';
      return `${icon} ${e.id}: ${e.status}${took}${e.error ? `: ${e.error}` : ''}`;
    }
    case 'log':
      if (e.stream === 'debug' && !verbose) return undefined;
      return `    ${e.source}${e.stream === 'stderr' || e.stream === 'warn' || e.stream === 'error' ? `(${e.stream})` : ''}: ${e.line}`;
    case 'progress':
      return verbose ? `    progress ${e.step} ${e.label}: ${e.current}${e.total !== undefined ? `/${e.total}` : ''}` : undefined;
    case 'artifact':
      return `--> artifact: ${e.path} (${e.format}, ${e.bytes} bytes)`;
    case 'info':
      return `    info ${e.key}: ${e.value}`;
    case 'installer':
      return formatInstaller(e);
    case 'diagnosis':
      // The failed step's message leads with the same cause; the full record goes to build.log.
      return verbose ? [`    diagnosis: ${e.cause}`, ...e.evidence.map((x) => `      - ${x}`), ...(e.hint ? [`      hint: ${e.hint}`] : [])].join('\n') : undefined;
    case 'section': {
      if (e.event === 'begin') return undefined;
      const n = e.lines.stdout + e.lines.stderr;
      const took = e.durationMs !== undefined ? `${formatDuration(e.durationMs)}, ` : '';
      return `    section ${e.path.join('/')}: ${e.status} (${took}${n} line${n === 1 ? '' : 's'}${e.lines.stderr ? `, ${e.lines.stderr} stderr` : ''})`;
    }
  }
}

function formatInstaller(e: Extract<BuildEvent, {type: 'installer'}>): string {
  switch (e.kind) {
    case 'stage':
      return `    installer: ${e.stage}`;
    case 'question':
      return `    installer: asks "${e.prompt}" (${e.title})${e.template ? ` — ${e.template}` : ''}${e.bootParameter ? `; boot parameter: ${e.bootParameter}` : e.preseedLine ? `; preseed: ${e.preseedLine}` : ''}`;
    case 'answer':
      return `    installer: answered ${e.template} = ${JSON.stringify(e.value)}; ${e.bootParameter ? `boot parameter: ${e.bootParameter}` : `preseed line: ${e.preseedLine}`}`;
    case 'log':
      return [`    installer log (its console 4), last ${e.lines.length} lines:`, ...e.lines.map((l) => `      | ${l}`)].join('\n');
  }
}

/** Writes build.log (everything, with times), serial.log and events.jsonl into dir. */
export class BuildLogWriter {
  private readonly log: WriteStream;
  private readonly serial: WriteStream;
  private readonly events: WriteStream;

  constructor(readonly dir: string) {
    mkdirSync(dir, {recursive: true});
    this.log = createWriteStream(path.join(dir, 'build.log'));
    this.serial = createWriteStream(path.join(dir, 'serial.log'));
    this.events = createWriteStream(path.join(dir, 'events.jsonl'));
  }

  private closed = false;

  readonly write = (e: BuildEvent): void => {
    if (e.type === 'progress') return;
    const line = formatEvent(e, true);
    const text = line !== undefined ? `${new Date(e.time).toISOString()} ${line}\n` : undefined;
    if (this.closed) {
      // After the build (a preseed line appended from the result screen): appended directly,
      // as a stream cannot be written after its end.
      appendFileSync(path.join(this.dir, 'events.jsonl'), `${JSON.stringify(e)}\n`);
      if (text) appendFileSync(path.join(this.dir, 'build.log'), text);
      return;
    }
    if (e.type === 'log' && e.source === 'serial') this.serial.write(`${e.line}\n`);
    this.events.write(`${JSON.stringify(e)}\n`);
    if (text) this.log.write(text);
  };

  close(): Promise<void> {
    this.closed = true;
    const end = (s: WriteStream): Promise<void> => new Promise((r) => s.end(r));
    return Promise.all([end(this.log), end(this.serial), end(this.events)]).then(() => undefined);
  }
}
