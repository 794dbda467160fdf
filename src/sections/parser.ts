import {
  stripAnsi,
  type LineCounts,
  type Section,
  type SectionEvent,
  type SectionPattern,
  type SectionStream,
  type SectionWarning,
} from './types.js';

export * from './types.js';

/** The seed-002 marker format: a whole line `BEGIN{name}` / `END{name}`, surrounding blanks allowed. */
export const DEFAULT_PATTERN: SectionPattern = {
  begin: /^\s*BEGIN\{(?<name>[^}]*)\}\s*$/,
  end: /^\s*END\{(?<name>[^}]*)\}\s*$/,
};

/**
 * Packer's UI prefix: `    qemu: ` for remote output, `==> qemu: ` for Packer's own messages
 * (`-->` in the final artifact list). Builder names in HCL templates look like `qemu.debian`.
 */
export const PACKER_PREFIX = /^(?:==> |--> | {4})[\w.-]+: ?/;

/** Options for {@link SectionParser}. */
export interface SectionParserOptions {
  /** Marker patterns; defaults to {@link DEFAULT_PATTERN}. */
  pattern?: SectionPattern;
  /** A prefix removed (after ANSI stripping) before marker matching, e.g. {@link PACKER_PREFIX}. */
  prefix?: RegExp;
  /** Clock in ms; injectable so tests are deterministic. Defaults to `Date.now`. */
  now?: () => number;
}

/** Listener for {@link SectionEvent}s. */
export type SectionListener = (event: SectionEvent) => void;

// A `g`/`y` flag would make exec() stateful through lastIndex and skip matches on later lines.
const stateless = (re: RegExp): RegExp =>
  re.global || re.sticky ? new RegExp(re.source, re.flags.replace(/[gy]/g, '')) : re;

const nameOf = (m: RegExpExecArray): string => m.groups?.['name'] ?? m[1] ?? m[0];

const counts = (): LineCounts => ({stdout: 0, stderr: 0});

/**
 * Streaming parser that turns provisioning output into a tree of BEGIN/END sections.
 *
 * Feed it chunks as they arrive with {@link push} (chunks may split lines anywhere; stdout and
 * stderr are buffered separately so interleaving never glues half-lines together), then call
 * {@link end}. Malformed marker structure produces `warning` events, never exceptions.
 * Every completed line is counted exactly once: in some section's `ownLines`, in the root's
 * `ownLines`, or as a marker (see {@link stats}).
 */
export class SectionParser {
  private readonly begin: RegExp;
  private readonly endRe: RegExp;
  private readonly prefix: RegExp | undefined;
  private readonly now: () => number;
  private readonly listeners: SectionListener[] = [];
  private readonly pending: Record<SectionStream, string> = {stdout: '', stderr: ''};
  /** Open sections, outermost first; index 0 is always the root pseudo-section. */
  private readonly stack: Section[];
  private readonly rootSection: Section;
  private readonly warningList: SectionWarning[] = [];
  private lineNo = 0;
  private markerLines = 0;
  private ended = false;

  constructor(opts: SectionParserOptions = {}) {
    const pattern = opts.pattern ?? DEFAULT_PATTERN;
    this.begin = stateless(pattern.begin);
    this.endRe = stateless(pattern.end);
    this.prefix = opts.prefix ? stateless(opts.prefix) : undefined;
    this.now = opts.now ?? Date.now;
    this.rootSection = {
      name: '',
      path: [],
      startTime: this.now(),
      lines: counts(),
      ownLines: counts(),
      status: 'open',
      children: [],
      firstLine: 0,
      lastLine: 0,
    };
    this.stack = [this.rootSection];
  }

  /** Subscribes to events; returns an unsubscribe function. */
  onEvent(cb: SectionListener): () => void {
    this.listeners.push(cb);
    return () => {
      const i = this.listeners.indexOf(cb);
      if (i !== -1) this.listeners.splice(i, 1);
    };
  }

  /** Top-level sections (live objects). */
  get tree(): Section[] {
    return this.rootSection.children;
  }

  /** The root pseudo-section: `ownLines` are the lines outside any section, `lines` all non-marker lines. */
  get root(): Section {
    return this.rootSection;
  }

  /** Warnings recorded so far (also emitted as events). */
  get warnings(): readonly SectionWarning[] {
    return this.warningList;
  }

  /** Completed lines so far; `lines === root.lines.stdout + root.lines.stderr + markers`. */
  get stats(): {lines: number; markers: number} {
    return {lines: this.lineNo, markers: this.markerLines};
  }

  /** Feeds a chunk of output. Any split of the stream into chunks gives the same result. */
  push(chunk: string, stream: SectionStream = 'stdout'): void {
    if (this.ended) {
      this.warn('output after end() ignored', stream);
      return;
    }
    // Scan only the new chunk for newlines, so a long line arriving byte by byte stays linear.
    let nl = chunk.indexOf('\n');
    if (nl === -1) {
      this.pending[stream] += chunk;
      return;
    }
    let start = 0;
    const carried = this.pending[stream];
    if (carried !== '') {
      this.pending[stream] = '';
      this.line(carried + chunk.slice(0, nl), stream);
      start = nl + 1;
      nl = chunk.indexOf('\n', start);
    }
    while (nl !== -1) {
      this.line(chunk.slice(start, nl), stream);
      start = nl + 1;
      nl = chunk.indexOf('\n', start);
    }
    this.pending[stream] = chunk.slice(start);
  }

  /**
   * Ends the output: flushes unterminated last lines (stdout first), marks sections still open
   * as `incomplete` and, for a non-zero exit code, the innermost of them as `failed`.
   */
  end(exitCode?: number | null): void {
    if (this.ended) return;
    const failed = this.settle(exitCode);
    this.ended = true;
    const t = this.now();
    this.rootSection.endTime = t;
    this.rootSection.durationMs = t - this.rootSection.startTime;
    this.rootSection.status = failed ? 'failed' : 'ok';
  }

  /**
   * One script of several ended: like {@link end} for its sections (flush, close the open ones
   * as incomplete, the innermost as failed on a non-zero exit) but the parser goes on, so the
   * next script's sections join the same tree. Returns whether the exit code counts as failure.
   */
  settle(exitCode?: number | null): boolean {
    if (this.ended) return false;
    for (const stream of ['stdout', 'stderr'] as const) {
      const rest = this.pending[stream];
      this.pending[stream] = '';
      if (rest !== '') this.line(rest, stream);
    }
    const failed = exitCode !== undefined && exitCode !== null && exitCode !== 0;
    const t = this.now();
    for (let i = this.stack.length - 1; i >= 1; i--) {
      const s = this.stack[i]!;
      this.close(s, failed && i === this.stack.length - 1 ? 'failed' : 'incomplete', t, s.lastLine);
    }
    this.stack.length = 1;
    return failed;
  }

  /** Path of the innermost open section ([] outside any). */
  get openPath(): string[] {
    return this.stack[this.stack.length - 1]!.path;
  }

  /** One complete line, line ending removed (a trailing CR too, for CRLF output). */
  private line(raw: string, stream: SectionStream): void {
    if (raw.charCodeAt(raw.length - 1) === 13) raw = raw.slice(0, -1);
    const lineNo = ++this.lineNo;
    if (this.rootSection.firstLine === 0) this.rootSection.firstLine = lineNo;
    let text = raw;
    // Stripping is skipped for plain lines because it would dominate the cost on large logs.
    if (text.indexOf('\x1b') !== -1) text = stripAnsi(text);
    if (this.prefix) {
      const p = this.prefix.exec(text);
      if (p) text = text.slice(p[0].length);
    }
    let marker: 'begin' | 'end' | undefined;
    const b = this.begin.exec(text);
    if (b) {
      this.open(nameOf(b), lineNo);
      marker = 'begin';
    } else {
      const e = this.endRe.exec(text);
      if (e && this.closeNamed(nameOf(e), lineNo, stream)) marker = 'end';
    }
    const stack = this.stack;
    for (let i = 0; i < stack.length; i++) stack[i]!.lastLine = lineNo;
    if (marker) {
      this.markerLines++;
    } else {
      for (let i = 0; i < stack.length; i++) stack[i]!.lines[stream]++;
      stack[stack.length - 1]!.ownLines[stream]++;
    }
    if (this.listeners.length > 0) {
      const path = stack[stack.length - 1]!.path;
      this.emit(
        marker
          ? {type: 'line', stream, lineNo, raw, path, marker}
          : {type: 'line', stream, lineNo, raw, path},
      );
    }
  }

  private open(name: string, lineNo: number): void {
    const parent = this.stack[this.stack.length - 1]!;
    const section: Section = {
      name,
      path: [...parent.path, name],
      startTime: this.now(),
      lines: counts(),
      ownLines: counts(),
      status: 'open',
      children: [],
      firstLine: lineNo,
      lastLine: lineNo,
    };
    parent.children.push(section);
    this.stack.push(section);
    this.emit({type: 'begin', section, lineNo});
  }

  /** Handles END{name}; returns false when the END matched no open section and was ignored. */
  private closeNamed(name: string, lineNo: number, stream: SectionStream): boolean {
    let i = this.stack.length - 1;
    while (i >= 1 && this.stack[i]!.name !== name) i--;
    if (i < 1) {
      this.warn(`END{${name}} without a matching BEGIN; ignored`, stream, lineNo);
      return false;
    }
    const t = this.now();
    // Sections opened inside the one being closed never got their END: close them as incomplete.
    for (let j = this.stack.length - 1; j > i; j--) {
      const inner = this.stack[j]!;
      this.warn(`END{${name}} closes BEGIN{${inner.name}} which has no END`, stream, lineNo);
      this.close(inner, 'incomplete', t, lineNo);
    }
    this.close(this.stack[i]!, 'ok', t, lineNo);
    this.stack.length = i;
    return true;
  }

  private close(s: Section, status: Section['status'], t: number, lineNo: number): void {
    s.status = status;
    s.endTime = t;
    s.durationMs = t - s.startTime;
    s.lastLine = lineNo;
    this.emit({type: 'end', section: s, lineNo});
  }

  private warn(message: string, stream: SectionStream, lineNo = this.lineNo): void {
    const w: SectionWarning = {message, lineNo, stream};
    this.warningList.push(w);
    this.emit({type: 'warning', ...w});
  }

  private emit(ev: SectionEvent): void {
    for (const cb of this.listeners) cb(ev);
  }
}

/** Parses a whole saved log at once (e.g. for `vmbench sections <log>`). */
export function parseSections(
  text: string,
  opts: SectionParserOptions & {exitCode?: number | null} = {},
): SectionParser {
  const p = new SectionParser(opts);
  p.push(text);
  p.end(opts.exitCode);
  return p;
}
