/**
 * Where things are in an HCL source file. The parser (@cdktf/hcl2json) gives values but no
 * positions, and groups blocks by type (so `provisioner "shell"` and `provisioner "file"` lose
 * their relative order). This small scanner walks the same text for block headers, attribute
 * names and the elements of list/object literals — skipping comments, strings and heredocs — so
 * every message can name file:line:col and blocks keep the order they were written in. It never
 * decides what a value is: the parser does; text it does not follow only loses a position.
 */

/** Where a value starts and ends (offsets into the text), with the parts of a literal list or object. */
export interface ValueShape {
  start: number;
  end: number;
  /** The elements of a `[…]` literal, when the value is exactly one. */
  items?: ValueShape[];
  /** The entries of a `{…}` literal, when the value is exactly one. */
  entries?: {key: string; start: number; value: ValueShape}[];
}

export interface ScannedAttribute {
  kind: 'attribute';
  name: string;
  start: number;
  value: ValueShape;
}

export interface ScannedBlock {
  kind: 'block';
  type: string;
  labels: string[];
  start: number;
  labelStarts: number[];
  body: ScannedItem[];
}

export type ScannedItem = ScannedAttribute | ScannedBlock;

const IDENT = /[A-Za-z0-9_\-]/;

/** The top-level body of an HCL file: attributes and blocks in the order written. */
export function scanHcl(text: string): ScannedItem[] {
  let i = 0;
  const n = text.length;

  /** Skip blanks and comments; newlines too when `lines` (a comment's own newline is left for the caller otherwise). */
  const skip = (lines: boolean): void => {
    while (i < n) {
      const c = text[i]!;
      if (c === ' ' || c === '\t' || c === '\r' || (lines && c === '\n')) i++;
      else if (c === '#' || (c === '/' && text[i + 1] === '/')) {
        while (i < n && text[i] !== '\n') i++;
      } else if (c === '/' && text[i + 1] === '*') {
        const e = text.indexOf('*/', i + 2);
        i = e < 0 ? n : e + 2;
      } else break;
    }
  };

  /** At `"`: past the closing quote, through `${…}`/`%{…}` holes (which may hold strings). */
  const skipString = (): void => {
    i++;
    while (i < n) {
      const c = text[i]!;
      if (c === '\\') i += 2;
      else if (c === '"') return void i++;
      else if ((c === '$' || c === '%') && text[i + 1] === '{') {
        if (text[i - 1] === c && text[i - 2] !== c) i += 2; // `$${` is an escape, not a hole
        else {
          i += 2;
          skipUntilClose('}');
        }
      } else if (c === '\n') return; // unterminated: the parser reports it
      else i++;
    }
  };

  /** Inside brackets: past the matching closer. */
  const skipUntilClose = (close: string): void => {
    while (i < n) {
      skip(true);
      const c = text[i];
      if (c === undefined) return;
      if (c === close) return void i++;
      if (!skipToken()) i++;
    }
  };

  /** Skip one string, heredoc or bracketed group; false when at none of those. */
  const skipToken = (): boolean => {
    const c = text[i];
    if (c === '"') return (skipString(), true);
    if (c === '<' && text[i + 1] === '<' && /[-A-Za-z_]/.test(text[i + 2] ?? '')) return (skipHeredoc(), true);
    const close = c === '(' ? ')' : c === '[' ? ']' : c === '{' ? '}' : undefined;
    if (!close) return false;
    i++;
    skipUntilClose(close);
    return true;
  };

  /** At `<<ID` or `<<-ID`: to just after the closing ID (its newline is the attribute's end). */
  const skipHeredoc = (): void => {
    const m = /^<<-?([A-Za-z_][A-Za-z0-9_-]*)[ \t]*\r?\n/.exec(text.slice(i, i + 200));
    if (!m) return void (i += 2);
    i += m[0].length;
    while (i < n) {
      const eol = text.indexOf('\n', i);
      const line = text.slice(i, eol < 0 ? n : eol);
      if (line.trim() === m[1]) return void (i += line.length);
      i = eol < 0 ? n : eol + 1;
    }
  };

  /** A value up to one of `stops` at depth 0 (or a newline when `newline`), with its literal shape. */
  const value = (stops: string, newline: boolean): ValueShape => {
    skip(false);
    const start = i;
    let shape: ValueShape | undefined;
    if (text[i] === '[') shape = list(start);
    else if (text[i] === '{') shape = object(start);
    if (shape) {
      const after = i;
      const end = rest(stops, newline, after);
      return end === after ? shape : {start, end};
    }
    i = start;
    return {start, end: rest(stops, newline, start)};
  };

  /** Consume expression text up to a stop character at depth 0; where its last token ends. */
  const rest = (stops: string, newline: boolean, from: number): number => {
    let end = from;
    while (i < n) {
      skip(!newline);
      const c = text[i];
      if (c === undefined || stops.includes(c) || (newline && c === '\n')) break;
      if (!skipToken()) i++;
      end = i;
    }
    return end;
  };

  const list = (start: number): ValueShape | undefined => {
    i++;
    const items: ValueShape[] = [];
    for (;;) {
      skip(true);
      if (i >= n) return undefined;
      if (text[i] === ']') return (i++, {start, end: i, items});
      if (/^for\s/.test(text.slice(i, i + 4))) return (i = start, skipToken(), {start, end: i});
      items.push(value(',]', false));
      skip(true);
      if (text[i] === ',') i++;
      else if (text[i] !== ']') return undefined;
    }
  };

  const object = (start: number): ValueShape | undefined => {
    i++;
    const entries: NonNullable<ValueShape['entries']> = [];
    for (;;) {
      skip(true);
      if (i >= n) return undefined;
      if (text[i] === '}') return (i++, {start, end: i, entries});
      const keyStart = i;
      let key: string;
      if (text[i] === '"') {
        skipString();
        try {
          key = JSON.parse(text.slice(keyStart, i)) as string;
        } catch {
          key = text.slice(keyStart + 1, i - 1);
        }
      } else if (text[i] === '(') {
        skipToken();
        key = text.slice(keyStart, i);
      } else {
        const m = /^[A-Za-z_][A-Za-z0-9_-]*/.exec(text.slice(i, i + 200));
        if (!m || m[0] === 'for') return (i = start, skipToken(), {start, end: i});
        key = m[0];
        i += key.length;
      }
      skip(false);
      if (text[i] !== '=' && text[i] !== ':') return (i = start, skipToken(), {start, end: i});
      i++;
      entries.push({key, start: keyStart, value: value(',}', true)});
      skip(false);
      if (text[i] === ',') i++;
    }
  };

  const body = (closing: boolean): ScannedItem[] => {
    const items: ScannedItem[] = [];
    for (;;) {
      skip(true);
      if (i >= n) return items;
      if (text[i] === '}' && closing) return (i++, items);
      const start = i;
      while (i < n && IDENT.test(text[i]!)) i++;
      const name = text.slice(start, i);
      skip(false);
      if (!name) {
        // Not something we follow: move on to the next line; the parser judges the syntax.
        while (i < n && text[i] !== '\n') i++;
        continue;
      }
      if (text[i] === '=' && text[i + 1] !== '=') {
        i++;
        items.push({kind: 'attribute', name, start, value: value(closing ? '}' : '', true)});
        continue;
      }
      const labels: string[] = [];
      const labelStarts: number[] = [];
      while (i < n && text[i] !== '{') {
        const ls = i;
        if (text[i] === '"') {
          skipString();
          try {
            labels.push(JSON.parse(text.slice(ls, i)) as string);
          } catch {
            labels.push(text.slice(ls + 1, i - 1));
          }
        } else if (IDENT.test(text[i]!)) {
          while (i < n && IDENT.test(text[i]!)) i++;
          labels.push(text.slice(ls, i));
        } else break;
        labelStarts.push(ls);
        skip(false);
      }
      if (text[i] !== '{') {
        while (i < n && text[i] !== '\n') i++;
        continue;
      }
      i++;
      items.push({kind: 'block', type: name, labels, start, labelStarts, body: body(true)});
    }
  };

  return body(false);
}

/** Offsets → 1-based line and column. */
export function lineLocator(text: string): (offset: number) => {line: number; col: number} {
  const starts = [0];
  for (let k = 0; k < text.length; k++) if (text[k] === '\n') starts.push(k + 1);
  return (offset) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return {line: lo + 1, col: offset - starts[lo]! + 1};
  };
}
