/** Which output stream a line came from. */
export type SectionStream = 'stdout' | 'stderr';

/**
 * Lifecycle of a section: `open` while its END has not been seen, `ok` once it has,
 * `incomplete` when the output ended (or an outer END closed it) without its own END,
 * `failed` for the innermost section still open when the script exited non-zero.
 */
export type SectionStatus = 'ok' | 'failed' | 'incomplete' | 'open';

/** Per-stream line counters. */
export interface LineCounts {
  stdout: number;
  stderr: number;
}

/** One BEGIN/END section of provisioning output. Objects are live while the parser runs. */
export interface Section {
  name: string;
  /** Names from the outermost section down to this one (inclusive). */
  path: string[];
  /** `now()` when the BEGIN line was parsed. */
  startTime: number;
  endTime?: number;
  durationMs?: number;
  /**
   * Output lines inside the section, nested sections included, marker lines excluded —
   * so an empty `BEGIN{x}`/`END{x}` pair reads as 0 lines, which is what a person expects.
   */
  lines: LineCounts;
  /** Lines directly in this section (not in a child, not a marker): lets every line be counted exactly once. */
  ownLines: LineCounts;
  status: SectionStatus;
  children: Section[];
  /** 1-based line number (across both streams, in completion order) of the BEGIN line. */
  firstLine: number;
  /** Line number of the END line, or of the last line seen while the section was open. */
  lastLine: number;
}

/** Marker patterns. Group `name` (or else group 1, or else the whole match) is the section name. */
export interface SectionPattern {
  begin: RegExp;
  end: RegExp;
}

/** A problem in the marker structure; parsing always carries on. */
export interface SectionWarning {
  message: string;
  lineNo: number;
  stream: SectionStream;
}

/** Streamed to listeners so a UI can follow the build live. */
export type SectionEvent =
  | {type: 'begin'; section: Section; lineNo: number}
  | {type: 'end'; section: Section; lineNo: number}
  | {
      type: 'line';
      stream: SectionStream;
      lineNo: number;
      /** The line as received, minus its line ending (ANSI codes and prefix kept). */
      raw: string;
      /** Path of the innermost open section after this line ([] outside any section). */
      path: string[];
      /** Set when the line is a BEGIN/END marker that changed the tree. */
      marker?: 'begin' | 'end';
    }
  | ({type: 'warning'} & SectionWarning);

/** Removes ANSI escape sequences (CSI, OSC, and two-byte escapes). */
// eslint-disable-next-line no-control-regex
const ANSI_RE = /\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])/g;

/** Strips ANSI escape sequences; marker lines are often coloured by the script or by Packer. */
export function stripAnsi(s: string): string {
  return s.replace(ANSI_RE, '');
}
