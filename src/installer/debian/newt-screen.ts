/**
 * Reads a Debian installer screen (cdebconf's newt frontend, drawn by bterm on the framebuffer
 * or by the Linux console in VGA text mode) into structured meaning: the front dialog, its
 * title and priority marker, heading, body, prompt, entry, list, buttons, progress gauge.
 *
 * The text structure does the work — borders ┌┐└┘, the title between ┤ and ├, `<Button>` labels,
 * `_` entry padding, scrollbars, percentages — laid out as cdebconf's newt.c lays them out:
 * text at one cell inside the border, a note's or error's short description centred above its
 * body, a string/select's short description as the last paragraph above the entry or list.
 * Colours, when known, only say which button/item is highlighted and whether the screen wears
 * cdebconf's error palette (a red root instead of blue).
 */
import {CellGrid, type GridBox, type ScreenLike} from './newt-grid.js';
import type {NewtButton, NewtDialog, NewtScreen, NewtScreenKind} from './types.js';

export type {ScreenLike} from './newt-grid.js';

/** Scrollbar cells: arrows, trough and thumb as bterm's unifont and CP437 draw them. */
const SCROLL_CHARS = new Set(['↑', '↓', '▒', '░', '▓', '▮', '█', '■']);
const BUTTON_ROW = /^\s*(<[^<>]+>\s*)+$/;
const PERCENT_ROW = /^\s*(\d{1,3})%\s*$/;
const CHECKBOX = /^\[([ *Xx])\] ?(.*)$/;
/** Words in a select's prompt that make it a failure report rather than a question (retriever/net/error). */
const FAILURE_WORDS = /\b(fail(ed|ure)?|error|cannot|could not|unable)\b/i;
/** The main menu's window title (debian-installer/main-menu-title). */
const MAIN_MENU_TITLE = 'Debian installer main menu';

/** One interior row of the dialog, scrollbar cells blanked out. */
interface Row {
  row: number;
  text: string;
  /** First non-blank column (screen cells), -1 for a blank row. */
  start: number;
  end: number;
}

/**
 * Parse a screen. Kinds: `progress` (a gauge), `error` (an error template: heading and
 * Continue/Go Back and nothing to fill in, a red root, or a select that reports a failure such as
 * "Downloading a file failed:"), `question` (entry, list, Yes/No, a note), `busy` (no dialog and
 * no text but the help line: a component loading), `other` (text that is not a d-i dialog).
 * Without colours a note reads as an error; {@link refineKind} in templates.ts settles it
 * once the template is known.
 */
export function parseNewtScreen(screen: ScreenLike): NewtScreen {
  const grid = new CellGrid(screen);
  const helpRow = screen.rows - 1;
  const helpText = grid.text(helpRow).trim();
  const helpLine = helpText && !/[┌┐└┘│─]/.test(helpText) ? helpText : undefined;
  const boxes = grid.boxes();
  const box = boxes.find((b) => b.title !== undefined) ?? boxes[0];
  if (!box) {
    const other = screen.lines.some((l, r) => r !== helpRow && r !== 0 && l.trim());
    return {kind: other ? 'other' : 'busy', ...(helpLine ? {helpLine} : {})};
  }
  const dialog = readDialog(grid, box);
  const errorPalette = rootColour(grid, box, helpRow) === 'red';
  const kind = classify(dialog, {helpLine, errorPalette, colours: grid.hasColours});
  const out: NewtScreen = {kind, dialog};
  if (helpLine) out.helpLine = helpLine;
  if (errorPalette) out.errorPalette = true;
  if (dialog.title === MAIN_MENU_TITLE && dialog.list) out.mainMenu = true;
  return out;
}

function classify(d: NewtDialog, s: {helpLine?: string; errorPalette: boolean; colours: boolean}): NewtScreenKind {
  if (d.progress) return 'progress';
  const isDi = d.title !== '' || s.helpLine !== undefined || d.buttons.length > 0;
  if (!isDi) return 'other';
  if (s.errorPalette) return 'error';
  const labels = d.buttons.map((b) => b.label);
  const noInput = !d.entry && !d.list && !labels.includes('Yes');
  if (d.heading && noInput && labels.every((l) => l === 'Continue' || l === 'Go Back')) {
    // cdebconf draws errors on a red root; with colours known, a blue one means a note.
    return s.colours ? 'question' : 'error';
  }
  if (d.list && !d.list.checked && FAILURE_WORDS.test(d.prompt ?? '')) return 'error';
  return 'question';
}

/** The root's colour (outside the box, its shadow and the help line). */
function rootColour(grid: CellGrid, box: GridBox, helpRow: number): string | undefined {
  return grid.dominantBg(
    (r, c) => r !== helpRow && r !== 0 && !(r >= box.top && r <= box.bottom + 1 && c >= box.left && c <= box.right + 2),
  );
}

function readDialog(grid: CellGrid, box: GridBox): NewtDialog {
  const {top, bottom, left, right} = box;
  const textCol = left + 2;
  const bars = scrollbars(grid, box);
  const rows: Row[] = [];
  for (let r = top + 1; r < bottom; r++) {
    const onBar = (c: number) => bars.some((b) => b.col === c && r >= b.top && r <= b.bottom);
    const cells = grid.cells[r]!.slice(left + 1, right).map((ch, i) => (onBar(left + 1 + i) ? ' ' : ch));
    const first = cells.findIndex((ch) => ch.trim() !== '');
    const lastInk = cells.findLastIndex((ch) => ch.trim() !== '');
    rows.push({row: r, text: cells.join('').trim(), start: first < 0 ? -1 : left + 1 + first, end: lastInk < 0 ? -1 : left + 1 + lastInk});
  }
  const {title, marker} = splitTitle(box.title ?? '');
  const dialog: NewtDialog = {box: {top, bottom, left, right}, title, paragraphs: [], buttons: []};
  if (marker) dialog.marker = marker;

  // From the bottom up: buttons, then entry / list / gauge, then the text above them.
  let last = rows.length - 1;
  while (last >= 0 && !rows[last]!.text) last--;
  if (last >= 0 && BUTTON_ROW.test(rows[last]!.text)) {
    dialog.buttons = readButtons(grid, rows[last]!, left + 1, right);
    last--;
  }
  const body = rows.slice(0, last + 1);
  const percentAt = body.findIndex((r) => PERCENT_ROW.test(r.text));
  if (percentAt >= 0) {
    const status = paragraphs(body.slice(percentAt + 1)).join(' ');
    dialog.progress = {percent: Number(PERCENT_ROW.exec(body[percentAt]!.text)![1]), ...(status ? {status} : {})};
    dialog.paragraphs = paragraphs(body.slice(0, percentAt));
    return dialog;
  }
  let textRows = body;
  let listBar: Bar | undefined;
  const entry = findEntry(grid, body, textCol);
  if (entry) {
    const raw = body[entry.at]!.text.replace(/_+$/, '');
    dialog.entry = {value: raw, password: entry.showPassword || (raw.length > 0 && /^\*+$/.test(raw))};
    textRows = body.slice(0, entry.at);
  } else {
    const list = findList(body, textCol, dialog.buttons, bars);
    if (list) {
      const items = list.rows.map((r) => r.text);
      const checks = items.map((t) => CHECKBOX.exec(t));
      const checkboxes = checks.every((m) => m !== null);
      listBar = list.bar;
      dialog.list = {items: checkboxes ? checks.map((m) => m![2]!.trim()) : items, scrollable: list.bar !== undefined};
      if (checkboxes) dialog.list.checked = checks.map((m) => m![1] !== ' ');
      const selected = list.rows.findIndex((r) => highlighted(grid, r.row, r.start, r.end, box));
      if (selected >= 0) dialog.list.selected = selected;
      textRows = body.slice(0, list.first);
    }
  }
  // The heading: a note's or error's short description, centred on the first text row.
  const firstAt = textRows.findIndex((r) => r.text);
  const first = textRows[firstAt];
  if (first && first.row === top + 2 && isCentred(first, left, right, textCol)) {
    dialog.heading = first.text;
    textRows = textRows.slice(firstAt + 1);
  }
  const paras = paragraphs(textRows);
  if ((dialog.entry || dialog.list) && paras.length) dialog.prompt = paras.pop();
  dialog.paragraphs = paras;
  if (bars.some((b) => b !== listBar)) dialog.textScrolled = true;
  return dialog;
}

/** "[!!] Download installer components" → title and marker. */
function splitTitle(raw: string): {title: string; marker?: '!!' | '!'} {
  const m = /^\[(!!|!|\?|\.)\]\s*(.*)$/.exec(raw);
  if (!m) return {title: raw};
  const marker = m[1] === '!!' || m[1] === '!' ? m[1] : undefined;
  return marker ? {title: m[2]!, marker} : {title: m[2]!};
}

function readButtons(grid: CellGrid, row: Row, from: number, to: number): NewtButton[] {
  const line = grid.cells[row.row]!;
  const buttons: NewtButton[] = [];
  for (let c = from; c < to; c++) {
    if (line[c] !== '<') continue;
    let end = c + 1;
    while (end < to && line[end] !== '>') end++;
    if (end >= to) break;
    const label = line.slice(c + 1, end).join('').trim();
    buttons.push({label, focused: isHighlightedSpan(grid, row.row, c, end)});
    c = end;
  }
  return buttons;
}

/** Do most cells of [from, to] on this row have a highlight background (not the dialog's grey)? */
function isHighlightedSpan(grid: CellGrid, row: number, from: number, to: number): boolean {
  if (!grid.hasColours) return false;
  let hits = 0;
  for (let c = from; c <= to; c++) {
    const k = grid.bgClass(row, c);
    if (k !== 'grey' && k !== 'black' && k !== 'white') hits++;
  }
  return hits * 2 > to - from + 1;
}

function highlighted(grid: CellGrid, row: number, from: number, to: number, box: GridBox): boolean {
  return from >= 0 && to >= from && from > box.left && isHighlightedSpan(grid, row, from, to);
}

/**
 * The entry: a row that starts at the text column and ends in `_` padding, or — when the value
 * fills the field so no padding shows — a row whose background is newt's entry blue across the
 * whole field. Only checkbox rows may follow it (a password's "[ ] Show Password in Clear").
 * Returns its index and whether such a checkbox follows.
 */
function findEntry(grid: CellGrid, body: Row[], textCol: number): {at: number; showPassword: boolean} | undefined {
  let showPassword = false;
  for (let i = body.length - 1; i >= 0; i--) {
    const r = body[i]!;
    if (!r.text) continue;
    if (CHECKBOX.test(r.text) && !showPassword) {
      showPassword = /password/i.test(r.text);
      if (!showPassword) return undefined;
      continue;
    }
    if (r.start === textCol && /_{2,}$/.test(r.text)) return {at: i, showPassword};
    if (grid.hasColours && r.start === textCol && r.end - r.start > 10) {
      let blue = 0;
      for (let c = r.start; c <= r.end; c++) if (grid.bgClass(r.row, c) === 'blue') blue++;
      if (blue === r.end - r.start + 1) return {at: i, showPassword};
    }
    return undefined;
  }
  return undefined;
}

interface Bar {
  col: number;
  top: number;
  bottom: number;
}

/** Vertical runs of scrollbar cells inside the box (a listbox's or a scrolled text's). */
function scrollbars(grid: CellGrid, box: GridBox): Bar[] {
  const bars: Bar[] = [];
  for (let c = box.left + 1; c < box.right; c++) {
    let r = box.top + 1;
    while (r < box.bottom) {
      if (!SCROLL_CHARS.has(grid.at(r, c))) {
        r++;
        continue;
      }
      const start = r;
      // A character the console could not draw (the thumb ▮ has no CP437 glyph) may sit inside the run.
      while (r < box.bottom && (SCROLL_CHARS.has(grid.at(r, c)) || (grid.at(r, c).trim() && SCROLL_CHARS.has(grid.at(r + 1, c))))) r++;
      const end = r - 1;
      const ends = grid.at(start, c) === '↑' || grid.at(end, c) === '↓';
      // A lone ▮ or █ in text is not a scrollbar; a run of three with an arrow or trough is.
      if (end - start >= 2 && (ends || grid.at(start + 1, c) === '▒')) bars.push({col: c, top: start, bottom: end});
    }
  }
  return bars;
}

/**
 * The list: the last block of rows before the buttons, set off by a blank row, indented past
 * the text column (newt centres a listbox; the main menu indents it by one). A note whose last
 * paragraph is indented has a Continue button and no highlighted row; a select has no Continue.
 */
function findList(body: Row[], textCol: number, buttons: NewtButton[], bars: Bar[]): {first: number; rows: Row[]; bar?: Bar} | undefined {
  let end = body.length - 1;
  while (end >= 0 && !body[end]!.text) end--;
  if (end < 0) return undefined;
  let first = end;
  while (first > 0 && body[first - 1]!.text) first--;
  const rows = body.slice(first, end + 1);
  if (first === 0) return undefined; // no prompt above it
  const barHere = bars.find((b) => b.top >= rows[0]!.row && b.bottom <= rows.at(-1)!.row);
  const indented = rows.every((r) => r.start > textCol);
  const checkboxes = rows.every((r) => CHECKBOX.test(r.text));
  if (!indented && !barHere && !checkboxes) return undefined;
  if (buttons.some((b) => b.label === 'Continue') && !checkboxes) return undefined;
  return {first, rows, bar: barHere};
}

function isCentred(r: Row, left: number, right: number, textCol: number): boolean {
  if (r.start <= textCol) return false;
  const padL = r.start - (left + 1);
  const padR = right - 1 - r.end;
  return Math.abs(padL - padR) <= 2;
}

/** Rows grouped at blank rows, each group's rows joined with single spaces. */
function paragraphs(rows: Row[]): string[] {
  const out: string[] = [];
  let cur: string[] = [];
  for (const r of rows) {
    if (r.text) cur.push(r.text);
    else if (cur.length) (out.push(cur.join(' ')), (cur = []));
  }
  if (cur.length) out.push(cur.join(' '));
  return out;
}
