/**
 * debconf templates, as the installer holds them: the `*.templates` files of its udebs
 * (var/lib/dpkg/info/ in the initrd, loaded into cdebconf at boot) and cdebconf's templates.dat.
 * Only the English texts are kept: what the screen shows in an English install.
 *
 * Both are RFC822-style stanzas separated by blank lines:
 * - `*.templates` (as installed, and as in source with `_Description:`/`__Choices:`):
 *   `Template:`, `Type:`, `Default:`, `Choices:`, `Choices-C:`, `Description:` whose first line is
 *   the short description and whose continuation lines (one leading space) are the extended
 *   description, " ." a blank line, lines with two leading spaces verbatim;
 * - templates.dat (cdebconf's rfc822db, and Perl debconf's /var/cache/debconf/templates.dat):
 *   `Name:` instead of `Template:`, the extended description in one `Extended_description:`
 *   field with newlines escaped as `\n`, translations as `Description-de.UTF-8:`, the
 *   untranslated choices as `Choices-C:`. Checked on the templates.dat the initrd's own
 *   debconf-loadtemplate writes (excerpt: test/fixtures/cdebconf-templates.dat): both forms of
 *   all 331 templates of the netboot initrd parse to the same texts.
 * Translated fields (`Description-xx.UTF-8:`, `Choices-xx:` other than `-C`) are ignored.
 */
import type {DebconfTemplate, NewtDialog, NewtScreenKind} from './types.js';

export {matchTemplate} from './template-match.js';

/** Fields kept, by lower-cased name; every other field (translations, Owners, Indices…) is skipped. */
const FIELDS = new Set(['template', 'name', 'type', 'default', 'choices', '_choices', '__choices', 'choices-c', 'description', '_description', 'extended_description']);

/**
 * Parse a `*.templates` file or a templates.dat. `from` names where it came from (the package,
 * e.g. `netcfg`, kept in each template's `from`) and is used in error messages.
 * Throws on a stanza without a name or type, naming `from` and the line.
 */
export function parseTemplates(text: string, from: string): DebconfTemplate[] {
  const out: DebconfTemplate[] = [];
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  let fields = new Map<string, string[]>();
  let startLine = 0;
  let field: string | undefined;
  const flush = (): void => {
    if (fields.size) {
      const t = toTemplate(fields, from, startLine);
      if (t) out.push(t);
    }
    fields = new Map();
    field = undefined;
  };
  lines.forEach((line, i) => {
    if (!line.trim()) return flush();
    if (line.startsWith('#')) return; // comments, even inside a stanza (lowmemcheck.templates has them)
    if (/^[ \t]/.test(line)) {
      if (field) fields.get(field)!.push(line);
      else if (!fields.size) throw new Error(`${from}:${i + 1}: a continuation line outside any field`);
      return;
    }
    const m = /^([^:\s]+):[ \t]?(.*)$/.exec(line);
    if (!m) throw new Error(`${from}:${i + 1}: expected "Field: value", got ${JSON.stringify(line.slice(0, 60))}`);
    if (!fields.size) startLine = i + 1;
    const name = m[1]!.toLowerCase();
    field = FIELDS.has(name) ? name : undefined;
    if (field) fields.set(field, [m[2]!]);
  });
  flush();
  return out;
}

function toTemplate(fields: Map<string, string[]>, from: string, line: number): DebconfTemplate | undefined {
  const one = (...names: string[]): string | undefined => {
    for (const n of names) {
      const v = fields.get(n);
      if (v) return v[0]!.trim();
    }
    return undefined;
  };
  const name = one('template', 'name');
  if (!name) {
    // A stanza of only ignored fields (e.g. a translation block) is no template; one with fields is malformed.
    if (!fields.has('type') && !fields.has('description') && !fields.has('_description')) return undefined;
    throw new Error(`${from}:${line}: template without a Template:/Name: field`);
  }
  const type = one('type');
  if (!type) throw new Error(`${from}:${line}: template ${name} has no Type: field`);
  const desc = fields.get('description') ?? fields.get('_description') ?? [''];
  const escaped = fields.has('extended_description');
  const short = escaped ? unescape(desc[0]!).trim() : desc[0]!.trim();
  const extended = escaped ? unescape(fields.get('extended_description')!.join('\n')).trim() : extendedOf(desc.slice(1));
  const t: DebconfTemplate = {name, type, short, extended, from};
  const def = one('default');
  if (def !== undefined && def !== '') t.default = escaped ? unescape(def) : def;
  const shown = one('choices', '__choices', '_choices');
  const values = one('choices-c');
  if (shown !== undefined) t.choicesShown = splitChoices(shown);
  if (values !== undefined) t.choices = splitChoices(values);
  else if (shown !== undefined) t.choices = t.choicesShown;
  return t;
}

/**
 * The extended description of a `*.templates` Description field, joined as cdebconf joins it
 * when it loads templates (checked against the templates.dat its debconf-loadtemplate writes):
 * one leading space dropped from each line, lines joined with a space (a line's trailing blanks
 * kept), " ." a paragraph break (\n\n), a verbatim line (still indented) on a line of its own.
 */
function extendedOf(lines: string[]): string {
  let out = '';
  for (const raw of lines) {
    const line = raw.replace(/^[ \t]/, '');
    if (line.trim() === '.') out += '\n\n';
    else if (/^[ \t]/.test(line)) out += (out && !out.endsWith('\n') ? '\n' : '') + line;
    else out += (out && !out.endsWith('\n') ? ' ' : '') + line;
  }
  return out.trim();
}

/** cdebconf's and debconf's field escaping: `\n` a newline, `\\` a backslash. */
function unescape(s: string): string {
  return s.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
}

/** debconf's choice list: comma-separated, `\,` a literal comma, whitespace around each trimmed. */
export function splitChoices(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    if (ch === '\\' && s[i + 1] === ',') {
      cur += ',';
      i++;
    } else if (ch === ',') {
      out.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  if (cur.trim() || out.length) out.push(cur.trim());
  return out;
}

/**
 * The screen's kind once its template is known: an error template is an `error`, a note a
 * `question` (newt draws both the same way; only the palette tells them apart, and without
 * colours parseNewtScreen calls both errors).
 */
export function refineKind(kind: NewtScreenKind, dialog: NewtDialog, template: DebconfTemplate | undefined): NewtScreenKind {
  if (!template || (kind !== 'error' && kind !== 'question')) return kind;
  if (template.type === 'error') return 'error';
  if (template.type === 'note' && !dialog.entry && !dialog.list) return 'question';
  return kind;
}
