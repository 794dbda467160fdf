/**
 * Parsing for the Go text/template subset Packer templates use (template.ts evaluates it): text
 * and `{{ … }}` actions with trim markers and comments; inside an action a pipeline of commands
 * (`{{ user "x" | lower }}`), each a function call with arguments or one operand — a `.Field`,
 * a string ("…" or `…`), a number, true/false, or a parenthesised pipeline. Pure.
 *
 * Everything else Go has (if/range/with, $variables, methods on fields) is an error that names
 * it, at its offset, never a silent wrong render.
 */

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

interface Span {
  at: number;
  len: number;
}

/** An expression inside an action. A call's span is the whole action when it is the action's only command. */
export type Expr =
  | ({kind: 'field'; name: string} & Span)
  | ({kind: 'string'; value: string} & Span)
  | ({kind: 'number'; value: number} & Span)
  | ({kind: 'bool'; value: boolean} & Span)
  | ({kind: 'call'; name: string; nameAt: number; args: Expr[]} & Span)
  | ({kind: 'pipe'; cmds: Expr[]} & Span);

export type Segment = {kind: 'text'; text: string} | {kind: 'action'; expr: Expr} | {kind: 'comment'};

type Token = {kind: 'field' | 'ident' | 'number' | 'punct' | 'other'; text: string; at: number} | {kind: 'string'; text: string; value: string; at: number};

/** Go's trim markers only eat ASCII space, tab, CR and LF. */
const SPACE = /[ \t\r\n]/;
const LEADING_SPACE = /^[ \t\r\n]+/;
const TRAILING_SPACE = /[ \t\r\n]+$/;
/** ` -}}`: whitespace, dash, close — the right trim marker (sticky: tested at one index). */
const RIGHT_TRIM = /[ \t\r\n]+-}}/y;

/** Go's control words: recognised so the error says "not supported" rather than "unknown". */
const GO_KEYWORDS = new Set(['if', 'else', 'end', 'range', 'with', 'define', 'template', 'block', 'break', 'continue', 'nil']);

/** Split `src` into text, actions and comments, applying trim markers to the neighbouring text. */
export function parseSegments(src: string): Segment[] {
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
    const {segment, end, trimLeft, trimRight} = parseAction(src, open);
    if (trimLeft) {
      // Only the text right before the action is trimmed, never an earlier action's output.
      const last = segments.at(-1);
      if (last?.kind === 'text') {
        last.text = last.text.replace(TRAILING_SPACE, '');
        if (last.text === '') segments.pop();
      }
    }
    segments.push(segment);
    trimNextText = trimRight;
    pos = end;
  }
  pushText(src.slice(pos));
  return segments;
}

/** Parse the action whose `{{` is at `open`; `end` is the index just past its `}}`. */
function parseAction(src: string, open: number): {segment: Segment; end: number; trimLeft: boolean; trimRight: boolean} {
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
    return {segment: {kind: 'comment'}, end: close + 2 + after[0].length, trimLeft, trimRight: after[1] === '-'};
  }

  const tokens: Token[] = [];
  for (;;) {
    if (i >= src.length) unclosed();
    const c = src[i]!;
    if (src.startsWith('}}', i)) break;
    RIGHT_TRIM.lastIndex = i;
    if (RIGHT_TRIM.test(src)) {
      const close = src.indexOf('-}}', i);
      return {segment: {kind: 'action', expr: parseExpr(tokens, open, close + 3)}, end: close + 3, trimLeft, trimRight: true};
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
      continue;
    }
    if (c === '"') {
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
      continue;
    }
    const num = /^-?(?:0x[0-9a-fA-F]+|\d+(?:\.\d+)?)(?![\w.])/.exec(src.slice(i));
    // A number starts an operand: not right after another operand's letters (the regex sees from here).
    if (num) {
      tokens.push({kind: 'number', text: num[0], at: start});
      i += num[0].length;
      continue;
    }
    const m = /^(?:\.[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*|[A-Za-z_]\w*|[|()]|.)/su.exec(src.slice(i))!;
    const kind = m[0].startsWith('.') && m[0].length > 1 ? 'field' : /^[A-Za-z_]/.test(m[0]) ? 'ident' : /^[|()]$/.test(m[0]) ? 'punct' : 'other';
    tokens.push({kind, text: m[0], at: start});
    i += m[0].length;
  }
  return {segment: {kind: 'action', expr: parseExpr(tokens, open, i + 2)}, end: i + 2, trimLeft, trimRight: false};
}

/** An action's tokens as one pipeline; a lone call takes the whole action as its span (messages point there). */
function parseExpr(tokens: Token[], open: number, end: number): Expr {
  const whole: Span = {at: open, len: end - open};
  const fail = (why: string, at = whole.at, len = whole.len): never => {
    throw new TemplateError(`${why} at offset ${at}`, at, len);
  };
  if (!tokens.length) return fail('empty action {{ }}');
  let k = 0;
  const spanOf = (from: number, to: number): Span => {
    const a = tokens[from]!;
    const b = tokens[to - 1]!;
    return {at: a.at, len: b.at + b.text.length - a.at};
  };

  const operand = (): Expr => {
    const t = tokens[k]!;
    if (t.kind === 'string') return (k++, {kind: 'string', value: t.value, at: t.at, len: t.text.length});
    if (t.kind === 'number') {
      k++;
      return {kind: 'number', value: Number(t.text), at: t.at, len: t.text.length};
    }
    if (t.kind === 'field') {
      k++;
      if (t.text.indexOf('.', 1) > 0) fail(`nested field ${t.text} is not supported`, t.at, t.text.length);
      return {kind: 'field', name: t.text.slice(1), at: t.at, len: t.text.length};
    }
    if (t.kind === 'ident' && (t.text === 'true' || t.text === 'false')) return (k++, {kind: 'bool', value: t.text === 'true', at: t.at, len: t.text.length});
    if (t.kind === 'ident') {
      // A function named as an argument is called without arguments (Go's niladic call).
      k++;
      return {kind: 'call', name: t.text, nameAt: t.at, args: [], at: t.at, len: t.text.length};
    }
    if (t.text === '(') {
      const from = k++;
      const inner = pipeline();
      if (tokens[k]?.text !== ')') fail(`unclosed ( at offset ${t.at}; expected )`, t.at, 1);
      k++;
      return {...inner, ...spanOf(from, k)};
    }
    if (t.text === '.') return fail('the dot {{ . }} is not supported (name a field, like .HTTPIP)', t.at, 1);
    if (t.text === '$') return fail('template variables ($x) are not supported', t.at, 1);
    return fail('unsupported template expression (use {{ .Field }}, {{ user `name` }} or a function call)', t.at, t.text.length);
  };

  const command = (): Expr => {
    const from = k;
    const first = tokens[k]!;
    if (first.text === '|' || first.text === ')') fail(`missing command before ${first.text} at offset ${first.at};`, first.at, 1);
    if (first.kind === 'ident' && GO_KEYWORDS.has(first.text)) fail(`template function ${first.text} is not supported (Go's {{ ${first.text} }} is not part of vmbench's templates)`, first.at, first.text.length);
    const head = operand();
    const args: Expr[] = [];
    while (k < tokens.length && tokens[k]!.text !== '|' && tokens[k]!.text !== ')') args.push(operand());
    if (head.kind !== 'call') {
      if (args.length) fail(`${tokens[from]!.text} is not a function: it takes no arguments;`, args[0]!.at, args[0]!.len);
      return head;
    }
    return {...head, args, ...spanOf(from, k)};
  };

  const pipeline = (): Expr => {
    const from = k;
    const cmds = [command()];
    while (tokens[k]?.text === '|') {
      k++;
      if (k >= tokens.length || tokens[k]!.text === ')') fail('missing command after |', tokens[k - 1]!.at, 1);
      cmds.push(command());
    }
    return cmds.length === 1 ? cmds[0]! : {kind: 'pipe', cmds, ...spanOf(from, k)};
  };

  const expr = pipeline();
  if (k < tokens.length) fail(`unexpected ${tokens[k]!.text}`, tokens[k]!.at, tokens[k]!.text.length);
  // Messages about a lone call (missing arguments) point at the whole action.
  return expr.kind === 'call' ? {...expr, ...whole} : expr;
}

/** Every node of an expression, depth first. */
export function* walk(e: Expr): Generator<Expr> {
  yield e;
  if (e.kind === 'call') for (const a of e.args) yield* walk(a);
  if (e.kind === 'pipe') for (const c of e.cmds) yield* walk(c);
}
