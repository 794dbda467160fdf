/**
 * The small subset of Go's text/template that Packer templates use in boot commands and
 * other strings: `{{ .HTTPIP }}` (any `.Field`), `{{ user `name` }}`, `{{ env `NAME` }}`,
 * string literals, comments, and the `{{-` / `-}}` whitespace-trim markers. Pure.
 *
 * Anything richer (pipelines, if/range, Packer's timestamp/uuid/…) is an error naming what is
 * not supported, rather than a silent wrong render: a boot command that types the wrong URL
 * fails far from its cause.
 */

/** Values a template can read. */
export interface TemplateData {
  /** `.Field` values, e.g. {HTTPIP: '10.0.2.2', HTTPPort: '8123', Name: 'debian'}. */
  fields: Record<string, string>;
  /** User variables for `{{ user `name` }}`. */
  user?: Record<string, string>;
  /** Environment for `{{ env `NAME` }}`; pass `process.env` to read the real one. */
  env?: Record<string, string | undefined>;
  /**
   * vmbench's own functions for this render, by name: `{{ name }}` or `{{ name `arg` }}`
   * (e.g. host_apt_mirror in a variable's default). A function that throws fails the render.
   */
  funcs?: Record<string, (arg?: string) => string>;
}

/** A template that cannot be rendered; `offset`/`length` locate the culprit in the source. */
export class TemplateError extends Error {
  readonly offset: number;
  readonly length: number;

  constructor(message: string, offset: number, length: number) {
    super(message);
    this.name = 'TemplateError';
    this.offset = offset;
    this.length = length;
  }
}

/** A parsed `{{ … }}` action; `at`/`len` locate the part an error should point to. */
type Action =
  | {kind: 'field'; name: string; at: number; len: number}
  | {kind: 'user' | 'env'; name: string; at: number; len: number}
  | {kind: 'call'; name: string; arg?: string; at: number; len: number}
  | {kind: 'string'; value: string}
  | {kind: 'comment'};

type Segment = {kind: 'text'; text: string} | {kind: 'action'; action: Action};

type Token =
  | {kind: 'field' | 'ident' | 'other'; text: string; at: number}
  | {kind: 'string'; text: string; value: string; at: number};

/** Go's trim markers only eat ASCII space, tab, CR and LF. */
const SPACE = /[ \t\r\n]/;
const LEADING_SPACE = /^[ \t\r\n]+/;
const TRAILING_SPACE = /[ \t\r\n]+$/;
/** ` -}}`: whitespace, dash, close — the right trim marker (sticky: tested at one index). */
const RIGHT_TRIM = /[ \t\r\n]+-}}/y;

/** Packer template functions we recognise, to say "not supported" rather than "unknown". */
const PACKER_FUNCS = new Set([
  'build_name', 'build_type', 'isotime', 'strftime', 'pwd', 'split', 'template_dir', 'timestamp',
  'uuid', 'packer_version', 'consul_key', 'vault', 'sed', 'build', 'aws_secretsmanager',
  'aws_secretsmanager_raw', 'replace', 'replace_all', 'upper', 'lower',
  'if', 'else', 'end', 'range', 'with', 'define', 'template', 'block', 'printf', 'print', 'len', 'index',
]);

/**
 * Render `src` with `data`. Text outside `{{ }}` passes through unchanged, including a lone
 * `{` or `}}`. An `env` variable that is not set renders as "" (as Packer's env does).
 *
 * @throws TemplateError for an unclosed `{{`, an unsupported expression, an unknown `.Field`
 *   or an undefined user variable (the message lists the known ones).
 */
export function renderTemplate(src: string, data: TemplateData): string {
  let out = '';
  for (const seg of parseSegments(src)) {
    if (seg.kind === 'text') {
      out += seg.text;
      continue;
    }
    const a = seg.action;
    switch (a.kind) {
      case 'field': {
        const value = Object.hasOwn(data.fields, a.name) ? data.fields[a.name] : undefined;
        if (value === undefined) throw unknownName('field', `.${a.name}`, Object.keys(data.fields).map((k) => `.${k}`), a);
        out += value;
        break;
      }
      case 'user': {
        const user = data.user ?? {};
        const value = Object.hasOwn(user, a.name) ? user[a.name] : undefined;
        if (value === undefined) throw unknownName('user variable', a.name, Object.keys(user), a);
        out += value;
        break;
      }
      case 'env':
        out += (data.env && Object.hasOwn(data.env, a.name) ? data.env[a.name] : undefined) ?? '';
        break;
      case 'string':
        out += a.value;
        break;
      case 'call': {
        const fn = data.funcs && Object.hasOwn(data.funcs, a.name) ? data.funcs[a.name] : undefined;
        if (!fn) throw new TemplateError(`template function ${a.name} is not available here (only in variables' defaults) at offset ${a.at}`, a.at, a.len);
        try {
          out += fn(a.arg);
        } catch (err) {
          throw new TemplateError(`${(err as Error).message} (at offset ${a.at})`, a.at, a.len);
        }
        break;
      }
      case 'comment':
        break;
    }
  }
  return out;
}

/** vmbench's own template functions (not Packer's): the names {@link TemplateData.funcs} may fill in. */
export const VMBENCH_FUNCS: ReadonlySet<string> = new Set(['host_apt_mirror']);

/**
 * The fields, user variables and environment variables `src` refers to, each once, in order
 * of first use, so a profile can be validated before anything is rendered.
 *
 * @throws TemplateError for syntax errors, as {@link renderTemplate} would.
 */
export function templateReferences(src: string): {fields: string[]; user: string[]; env: string[]} {
  const refs = {fields: new Set<string>(), user: new Set<string>(), env: new Set<string>()};
  for (const seg of parseSegments(src)) {
    if (seg.kind !== 'action') continue;
    const a = seg.action;
    if (a.kind === 'field') refs.fields.add(a.name);
    else if (a.kind === 'user' || a.kind === 'env') refs[a.kind].add(a.name);
  }
  return {fields: [...refs.fields], user: [...refs.user], env: [...refs.env]};
}

function unknownName(what: string, name: string, known: string[], a: {at: number; len: number}): TemplateError {
  const close = known.find((k) => k.toLowerCase() === name.toLowerCase());
  const list = known.length > 0 ? `known: ${known.join(', ')}` : `no ${what}s are defined`;
  return new TemplateError(
    `unknown ${what} ${name} at offset ${a.at}${close ? `; did you mean ${close}?` : ''} (${list})`,
    a.at,
    a.len,
  );
}

/** Split `src` into text and actions, applying trim markers to the neighbouring text. */
function parseSegments(src: string): Segment[] {
  const segments: Segment[] = [];
  let pos = 0;
  let trimNextText = false;
  const pushText = (text: string): void => {
    const t = trimNextText ? text.replace(LEADING_SPACE, '') : text;
    if (t !== '') segments.push({kind: 'text', text: t});
  };
  for (;;) {
    const open = src.indexOf('{{', pos);
    if (open < 0) break;
    pushText(src.slice(pos, open));
    const {action, end, trimLeft, trimRight} = parseAction(src, open);
    if (trimLeft) {
      // Only the text right before the action is trimmed, never an earlier action's output.
      const last = segments.at(-1);
      if (last?.kind === 'text') {
        last.text = last.text.replace(TRAILING_SPACE, '');
        if (last.text === '') segments.pop();
      }
    }
    segments.push({kind: 'action', action});
    trimNextText = trimRight;
    pos = end;
  }
  pushText(src.slice(pos));
  return segments;
}

/** Parse the action whose `{{` is at `open`; `end` is the index just past its `}}`. */
function parseAction(
  src: string,
  open: number,
): {action: Action; end: number; trimLeft: boolean; trimRight: boolean} {
  const unclosed = (): never => {
    throw new TemplateError(`unclosed action: {{ at offset ${open} has no matching }}`, open, 2);
  };
  // `{{-` trims only when a space follows: `{{-3}}` is the number -3 in Go.
  const trimLeft = src[open + 2] === '-' && SPACE.test(src[open + 3] ?? '');
  let i = open + (trimLeft ? 4 : 2);

  // Like Go, a comment must start right after `{{` or after the trim marker's one space.
  if (src.startsWith('/*', i)) {
    const close = src.indexOf('*/', i);
    if (close < 0) unclosed();
    const after = /^(?:[ \t\r\n]+(-))?}}/.exec(src.slice(close + 2));
    if (!after) throw new TemplateError(`comment at offset ${open} must end with */}}`, open, close + 2 - open);
    return {action: {kind: 'comment'}, end: close + 2 + after[0].length, trimLeft, trimRight: after[1] === '-'};
  }

  const tokens: Token[] = [];
  for (;;) {
    if (i >= src.length) unclosed();
    const c = src[i]!;
    if (src.startsWith('}}', i)) break;
    // ` -}}` is the right trim marker: whitespace, dash, close.
    RIGHT_TRIM.lastIndex = i;
    if (RIGHT_TRIM.test(src)) {
      const close = src.indexOf('-}}', i);
      return {action: toAction(tokens, open, close + 3), end: close + 3, trimLeft, trimRight: true};
    }
    if (SPACE.test(c)) {
      i++;
      continue;
    }
    const start = i;
    if (c === '`') {
      const close = src.indexOf('`', i + 1);
      if (close < 0) unclosed();
      tokens.push({kind: 'string', text: src.slice(start, close + 1), value: src.slice(start + 1, close), at: start});
      i = close + 1;
    } else if (c === '"') {
      const m = /^"(?:[^"\\\n]|\\.)*"/.exec(src.slice(i));
      if (!m) unclosed();
      let value: string;
      try {
        value = JSON.parse(m![0]) as string;
      } catch {
        throw new TemplateError(`bad string ${m![0]} at offset ${start}`, start, m![0].length);
      }
      tokens.push({kind: 'string', text: m![0], value, at: start});
      i += m![0].length;
    } else {
      const m = /^(?:\.[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*|[A-Za-z_]\w*|.)/su.exec(src.slice(i))!;
      const kind = m[0].startsWith('.') && m[0].length > 1 ? 'field' : /^[A-Za-z_]/.test(m[0]) ? 'ident' : 'other';
      tokens.push({kind, text: m[0], at: start});
      i += m[0].length;
    }
  }
  return {action: toAction(tokens, open, i + 2), end: i + 2, trimLeft, trimRight: false};
}

/** Turn an action's tokens into the one supported form it must be. */
function toAction(tokens: Token[], open: number, end: number): Action {
  const whole = {at: open, len: end - open};
  const [first, second] = tokens;
  const fail = (why: string, at = whole.at, len = whole.len): never => {
    throw new TemplateError(`${why} at offset ${at}`, at, len);
  };
  if (!first) return fail('empty action {{ }}');
  if (tokens.length === 1 && first.kind === 'field') {
    if (first.text.indexOf('.', 1) > 0) fail(`nested field ${first.text} is not supported`, first.at, first.text.length);
    return {kind: 'field', name: first.text.slice(1), at: first.at, len: first.text.length};
  }
  if (tokens.length === 1 && first.kind === 'string') return {kind: 'string', value: first.value};
  if (first.kind === 'ident' && (first.text === 'user' || first.text === 'env')) {
    if (tokens.length !== 2 || second?.kind !== 'string') {
      fail(`${first.text} takes one quoted name, like {{ ${first.text} \`NAME\` }},`);
    }
    const arg = second as Extract<Token, {kind: 'string'}>;
    return {kind: first.text, name: arg.value, at: arg.at, len: arg.text.length};
  }
  if (first.kind === 'ident' && VMBENCH_FUNCS.has(first.text)) {
    if (tokens.length > 2 || (second && second.kind !== 'string')) fail(`${first.text} takes at most one quoted argument, like {{ ${first.text} \`hostname\` }},`);
    const arg = second as Extract<Token, {kind: 'string'}> | undefined;
    return {kind: 'call', name: first.text, arg: arg?.value, ...whole};
  }
  if (first.kind === 'ident') {
    const why = PACKER_FUNCS.has(first.text)
      ? `template function ${first.text} is not supported (only .Field, user and env are)`
      : `unknown template function ${first.text}`;
    fail(why, first.at, first.text.length);
  }
  return fail('unsupported template expression (use {{ .Field }}, {{ user `name` }} or {{ env `NAME` }})');
}
