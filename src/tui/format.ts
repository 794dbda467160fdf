/**
 * Pure formatters for the workbench panes: terminal cell widths, truncation (the panes never
 * wrap), log-line sanitising, icons, clocks, and the Info pane's facts. No react/ink here.
 */
import type {StepStatus} from '../engine/events.js';
import {displayWidth, sliceToWidth} from '../util/cell-width.js';
import {findAll} from './log-ring.js';
import type {BuildViewState, LineSource, SectionView} from './types.js';
import {formatBytes} from '../util/bytes.js';
export {formatBytes};

// ---------------------------------------------------------------------------------------------
// Cell widths (the rule itself lives in util/cell-width.ts: the screen's text painter uses it too)

const ASCII_PRINTABLE = /^[\x20-\x7e]*$/;

export {displayWidth};

/** At most `width` cells of `s`, ending in `ellipsis` when something was cut. */
export function truncate(s: string, width: number, ellipsis = '…'): string {
  if (width <= 0) return '';
  if (ASCII_PRINTABLE.test(s)) return s.length <= width ? s : s.slice(0, Math.max(0, width - ellipsis.length)) + ellipsis.slice(0, width);
  if (displayWidth(s) <= width) return s;
  const room = width - displayWidth(ellipsis);
  // Cut between grapheme clusters: never inside an emoji sequence or before a combining mark.
  const {text} = sliceToWidth(s, room);
  return room >= 0 ? text + ellipsis : text;
}

/** Exactly `width` cells: truncated or padded with spaces. */
export function fit(s: string, width: number): string {
  const t = truncate(s, width);
  const w = displayWidth(t);
  return w >= width ? t : t + ' '.repeat(width - w);
}

/** `s` right-aligned in `width` cells. */
export function fitStart(s: string, width: number): string {
  const t = truncate(s, width);
  const w = displayWidth(t);
  return w >= width ? t : ' '.repeat(width - w) + t;
}

// ---------------------------------------------------------------------------------------------
// Log lines

// eslint-disable-next-line no-control-regex
const ESCAPES = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[PX^_][^\x1b]*\x1b\\|\x1b[()*+][0-9A-Za-z]|\x1b[@-Z\\-_=>78c]|\x9b[0-?]*[ -/]*[@-~]/g;
// eslint-disable-next-line no-control-regex
const CONTROLS = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/g;

/**
 * A log line as one row of plain text: escape sequences (serial consoles are full of colour
 * codes) removed, a carriage-return rewrite resolved to what a terminal would show last, tabs
 * expanded to 8-column stops, other control characters dropped. Would the raw line reach ink,
 * its cursor movements would corrupt the screen.
 */
export function sanitizeLine(raw: string): string {
  if (ASCII_PRINTABLE.test(raw)) return raw;
  let s = raw.replace(ESCAPES, '');
  const cr = s.lastIndexOf('\r', s.length - 2);
  if (cr !== -1) s = s.slice(cr + 1);
  if (s.includes('\t')) {
    let out = '';
    for (const ch of s) out += ch === '\t' ? ' '.repeat(8 - (displayWidth(out) % 8)) : ch;
    s = out;
  }
  return s.replace(CONTROLS, '');
}

/** A row cut into plain and matching parts, for highlighting a search in the visible rows only. */
export function highlight(text: string, query: string | undefined): {text: string; match: boolean}[] {
  const at = query ? findAll(text, query) : [];
  if (at.length === 0) return [{text, match: false}];
  const out: {text: string; match: boolean}[] = [];
  let pos = 0;
  for (const i of at) {
    if (i > pos) out.push({text: text.slice(pos, i), match: false});
    out.push({text: text.slice(i, i + query!.length), match: true});
    pos = i + query!.length;
  }
  if (pos < text.length) out.push({text: text.slice(pos), match: false});
  return out;
}

/** Four-cell tags so the text column lines up. */
export const SOURCE_TAG: Record<LineSource, string> = {
  vmbench: 'vmb ',
  installer: 'inst',
  qemu: 'qemu',
  serial: 'ser ',
  http: 'http',
  ssh: 'ssh ',
  provisioner: 'prov',
  vnc: 'vnc ',
};

export const SOURCE_COLOR: Record<LineSource, string> = {
  vmbench: 'gray',
  installer: 'red',
  qemu: 'magenta',
  serial: 'cyan',
  http: 'blue',
  ssh: 'green',
  provisioner: 'yellow',
  vnc: 'blueBright',
};

/** Source filters in the order `F` cycles through them. */
export const SOURCE_FILTERS: readonly ('all' | LineSource)[] = ['all', 'qemu', 'serial', 'http', 'ssh', 'provisioner', 'vnc', 'installer', 'vmbench'];

// ---------------------------------------------------------------------------------------------
// Icons, numbers, times

export const STEP_ICON: Record<StepStatus, string> = {
  pending: '○',
  running: '▶',
  paused: '⏸',
  done: '✔',
  failed: '✖',
  skipped: '⊘',
  cancelled: '⊘',
};

export const STEP_COLOR: Record<StepStatus, string> = {
  pending: 'gray',
  running: 'cyan',
  paused: 'yellow',
  done: 'green',
  failed: 'red',
  skipped: 'gray',
  cancelled: 'yellow',
};

export const SECTION_ICON: Record<SectionView['status'], string> = {ok: '✔', failed: '✖', incomplete: '…', open: '▶'};
export const SECTION_COLOR: Record<SectionView['status'], string> = {ok: 'green', failed: 'red', incomplete: 'yellow', open: 'cyan'};

export const BUILD_ICON: Record<BuildViewState['status'], string> = {idle: '○', running: '▶', done: '✔', failed: '✖', cancelled: '⊘'};

/** `1,234,567`. */
export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

const pad2 = (n: number): string => String(n).padStart(2, '0');

/** Elapsed time as on a stopwatch: `mm:ss`, `h:mm:ss` from an hour on. */
export function formatClock(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  return h > 0 ? `${h}:${pad2(m)}:${pad2(s)}` : `${pad2(m)}:${pad2(s)}`;
}

// ---------------------------------------------------------------------------------------------
// Info pane

/** Fact keys are compared without case, spaces, dashes or underscores ("QEMU pid" = qemu_pid). */
function norm(key: string): string {
  return key.toLowerCase().replace(/[\s_-]+/g, '');
}

function fact(facts: Record<string, string>, ...names: string[]): string | undefined {
  const want = new Set(names.map(norm));
  let found: string | undefined;
  // The last one set wins, like the reducer's merge: a later, richer fact replaces an earlier one.
  for (const [k, v] of Object.entries(facts)) if (want.has(norm(k))) found = v;
  return found;
}

/** The `vnc://host:port` address from a fact such as "vnc://127.0.0.1:5901 (display :1) — …". */
export function vncAddress(facts: Record<string, string>): string | undefined {
  const v = fact(facts, 'vnc');
  if (!v) return undefined;
  const url = /vnc:\/\/[^\s]+/.exec(v)?.[0];
  if (url) return url;
  const hp = /^([\w.:[\]-]+):(\d+)/.exec(v.trim());
  return hp ? `vnc://${hp[1]}:${hp[2]}` : v;
}

/**
 * A command line to log into the VM by hand. The controller states it whole; the engine's own
 * `info ssh` fact is only `127.0.0.1:PORT`, completed here with the user (and key) facts.
 */
export function sshCommand(facts: Record<string, string>): string | undefined {
  const v = fact(facts, 'ssh');
  if (!v) return undefined;
  if (/^ssh\s/.test(v)) return v;
  const port = /:(\d+)\s*$/.exec(v.trim())?.[1] ?? /^\d+$/.exec(v.trim())?.[0];
  if (!port) return v;
  const user = fact(facts, 'ssh user', 'ssh username', 'user') ?? 'root';
  const key = fact(facts, 'ssh key', 'ssh private key file');
  return `ssh -p ${port} -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null${key ? ` -i ${key}` : ''} ${user}@127.0.0.1`;
}

/** Label / value rows for the Info pane: the well-known facts first, then every other one. */
export function infoRows(state: Pick<BuildViewState, 'facts' | 'artifacts' | 'profile'>): {label: string; value: string}[] {
  const {facts} = state;
  const rows: {label: string; value: string}[] = [];
  const used = new Set<string>();
  const add = (label: string, value: string | undefined, ...keys: string[]): void => {
    for (const k of keys) used.add(norm(k));
    if (value) rows.push({label, value});
  };
  add('profile', state.profile);
  add('VNC', vncAddress(facts), 'vnc');
  add('ssh', sshCommand(facts), 'ssh', 'ssh user', 'ssh username', 'user', 'ssh key', 'ssh private key file');
  add('HTTP', fact(facts, 'http'), 'http');
  add('QEMU pid', fact(facts, 'qemu pid'), 'qemu pid');
  add('accelerator', fact(facts, 'accelerator', 'accel'), 'accelerator', 'accel');
  add('output dir', fact(facts, 'output dir', 'output'), 'output dir', 'output');
  add('log dir', fact(facts, 'log dir', 'logs'), 'log dir', 'logs');
  for (const [k, v] of Object.entries(facts)) if (!used.has(norm(k)) && norm(k) !== 'profile') rows.push({label: k, value: v});
  for (const a of state.artifacts) rows.push({label: 'artifact', value: `${a.path} (${a.format}, ${formatBytes(a.bytes)})`});
  return rows;
}


// ---------------------------------------------------------------------------------------------
// Frames

/** A panel's top border with a title in it: `╭─ Steps ────╮`, exactly `width` cells. */
export function topBorder(width: number, title: string): string {
  if (width < 2) return '─'.repeat(Math.max(0, width));
  const inner = width - 2;
  const t = title ? truncate(`─ ${title} `, inner) : '';
  return `╭${t}${'─'.repeat(Math.max(0, inner - displayWidth(t)))}╮`;
}
