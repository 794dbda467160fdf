import {formatDuration} from '../util/duration.js';
import type {Section, SectionStatus, SectionWarning} from './types.js';

/** Status icons; plain ASCII alternatives for terminals or logs without Unicode. */
const ICONS: Record<SectionStatus, {unicode: string; ascii: string}> = {
  ok: {unicode: '✔', ascii: '[ok]'},
  failed: {unicode: '✖', ascii: '[FAIL]'},
  incomplete: {unicode: '…', ascii: '[incomplete]'},
  open: {unicode: '▶', ascii: '[open]'},
};

/** Options for {@link formatTree}. */
export interface FormatTreeOptions {
  /** Use ASCII status tags instead of Unicode icons. */
  ascii?: boolean;
  /** Spaces per nesting level (default 2). */
  indent?: number;
}

function lineSummary(s: Section): string {
  const total = s.lines.stdout + s.lines.stderr;
  const base = `${total} line${total === 1 ? '' : 's'}`;
  // stderr is called out because that is where the reason for a failure usually is.
  return s.lines.stderr > 0 ? `${base}, ${s.lines.stderr} stderr` : base;
}

/**
 * Renders sections as an indented tree, one line per section:
 * `✔ clean_packages  1.2s  55 lines`. Sections without an end time show no duration.
 */
export function formatTree(sections: readonly Section[], opts: FormatTreeOptions = {}): string {
  const indent = ' '.repeat(opts.indent ?? 2);
  const out: string[] = [];
  const walk = (list: readonly Section[], depth: number): void => {
    for (const s of list) {
      const icon = opts.ascii ? ICONS[s.status].ascii : ICONS[s.status].unicode;
      const parts = [`${indent.repeat(depth)}${icon} ${s.name}`];
      if (s.durationMs !== undefined) parts.push(formatDuration(s.durationMs));
      parts.push(lineSummary(s));
      if (s.status === 'failed' || s.status === 'incomplete') parts.push(s.status);
      out.push(parts.join('  '));
      walk(s.children, depth + 1);
    }
  };
  walk(sections, 0);
  return out.join('\n');
}

/** JSON shape of one section: plain data, no live references. */
export interface SectionJSON {
  name: string;
  path: string[];
  status: SectionStatus;
  startTime: number;
  endTime: number | null;
  durationMs: number | null;
  lines: {stdout: number; stderr: number};
  ownLines: {stdout: number; stderr: number};
  firstLine: number;
  lastLine: number;
  children: SectionJSON[];
}

/** JSON document saved next to a build log. `version` lets readers reject a future format. */
export interface SectionsDocument {
  version: 1;
  sections: SectionJSON[];
  /** Lines outside any section. */
  outside?: {stdout: number; stderr: number};
  warnings?: SectionWarning[];
  /** The marker regexes used (sources), when not the default BEGIN{…}/END{…}. */
  pattern?: {begin: string; end: string};
}

function sectionToJSON(s: Section): SectionJSON {
  return {
    name: s.name,
    path: [...s.path],
    status: s.status,
    startTime: s.startTime,
    // null rather than absent so every key is present for consumers like jq.
    endTime: s.endTime ?? null,
    durationMs: s.durationMs ?? null,
    lines: {...s.lines},
    ownLines: {...s.ownLines},
    firstLine: s.firstLine,
    lastLine: s.lastLine,
    children: s.children.map(sectionToJSON),
  };
}

/**
 * Snapshot of a section tree as plain JSON-ready data (pass to `JSON.stringify`).
 * Give `root` (the parser's root pseudo-section) to include the lines outside any section.
 */
export function toJSON(
  sections: readonly Section[],
  extra: {root?: Section; warnings?: readonly SectionWarning[]} = {},
): SectionsDocument {
  const doc: SectionsDocument = {version: 1, sections: sections.map(sectionToJSON)};
  if (extra.root) doc.outside = {...extra.root.ownLines};
  if (extra.warnings) doc.warnings = extra.warnings.map((w) => ({...w}));
  return doc;
}
