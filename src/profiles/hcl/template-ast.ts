/**
 * hcl2json's expression trees carry template literals as they are written in the source: a
 * quoted string's backslash escapes and `$${`/`%%{` are not decoded, and `~` strip markers of
 * `%{ … ~}` directives are not applied. This pass does both, as HCL's own template parser
 * would, so evaluation sees the text HCL means.
 */
import type {HclAst} from './wasm.js';

type Mode = 'quoted' | 'heredoc';

const ESCAPES: Record<string, string> = {n: '\n', r: '\r', t: '\t', '"': '"', '\\': '\\'};

function decode(s: string, mode: Mode): string {
  const t = s.replace(/\$\$\{/g, '${').replace(/%%\{/g, '%{');
  if (mode === 'heredoc') return t;
  return t.replace(/\\(u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|.)/g, (m, e: string) =>
    e.length > 1 ? String.fromCodePoint(parseInt(e.slice(1), 16)) : (ESCAPES[e] ?? m),
  );
}

const isLiteral = (n: HclAst | undefined): boolean => n?.type === 'literalValue' && n.meta?.type === 'string';
const withText = (n: HclAst, value: string): HclAst => ({...n, meta: {...n.meta, value}});

/** The directive tags around a `%{ for }` or `%{ if }` node: [open, else?, close]. */
function tags(n: HclAst): {open: string; mid?: string; close: string} | undefined {
  if (n.type === 'templateJoin' && n.children[0]?.type === 'for') {
    const m = n.children[0].meta ?? {};
    return {open: String(m.openRangeValue ?? ''), close: String(m.closeRangeValue ?? '')};
  }
  const text = String(n.meta?.value ?? '');
  if (n.type === 'conditional' && text.startsWith('%{')) {
    const all = text.match(/%\{~?\s*(?:if|else|endif)\b[^}]*?~?\}/g) ?? [];
    return {open: all[0] ?? '', mid: all.find((t) => /^%\{~?\s*else\b/.test(t)), close: all[all.length - 1] ?? ''};
  }
  return undefined;
}

const stripsBefore = (tag: string | undefined) => !!tag && tag.startsWith('%{~');
const stripsAfter = (tag: string | undefined) => !!tag && tag.endsWith('~}');

/** Trim whitespace at the start and/or end of a template body's text. */
function trimBody(n: HclAst, start: boolean, end: boolean): HclAst {
  if (!start && !end) return n;
  if (isLiteral(n)) {
    let v = String(n.meta!.value);
    if (start) v = v.replace(/^\s+/, '');
    if (end) v = v.replace(/\s+$/, '');
    return withText(n, v);
  }
  if (n.type !== 'template' || !n.children.length) return n;
  const kids = [...n.children];
  if (start && isLiteral(kids[0])) kids[0] = trimBody(kids[0]!, true, false);
  if (end && isLiteral(kids[kids.length - 1])) kids[kids.length - 1] = trimBody(kids[kids.length - 1]!, false, true);
  return {...n, children: kids};
}

/** Decode literals and apply strip markers throughout `n`; `mode` is how its template text is written. */
export function normalizeTemplate(n: HclAst, mode: Mode = 'heredoc'): HclAst {
  if (isLiteral(n)) return withText(n, decode(String(n.meta!.value), mode));
  const inner: Mode = n.type === 'template' ? (String(n.meta?.value ?? '').startsWith('"') ? 'quoted' : String(n.meta?.value ?? '').startsWith('<<') ? 'heredoc' : mode) : mode;
  let kids = n.children.map((k) => normalizeTemplate(k, inner));
  const t = tags(n);
  if (t && n.type === 'templateJoin') {
    const f = kids[0]!;
    const body = f.children.length - 1;
    const fk = [...f.children];
    fk[body] = trimBody(fk[body]!, stripsAfter(t.open), stripsBefore(t.close));
    kids = [{...f, children: fk}];
  } else if (t && n.type === 'conditional') {
    kids = [kids[0]!, trimBody(kids[1]!, stripsAfter(t.open), stripsBefore(t.mid ?? t.close)), ...(kids[2] ? [trimBody(kids[2], stripsAfter(t.mid), stripsBefore(t.close))] : [])];
  }
  if (n.type === 'template' || n.type === 'templateJoin') {
    // A directive's outer markers trim the text beside it.
    for (let k = 0; k < kids.length; k++) {
      const d = tags(kids[k]!);
      if (!d) continue;
      if (stripsBefore(d.open) && isLiteral(kids[k - 1])) kids[k - 1] = trimBody(kids[k - 1]!, false, true);
      if (stripsAfter(d.close) && isLiteral(kids[k + 1])) kids[k + 1] = trimBody(kids[k + 1]!, true, false);
    }
  }
  return {...n, children: kids};
}
