/**
 * The vmbench YAML front end: profile.yaml parsed with yaml's document API, so every field's
 * line and column is known to the checker. YAML syntax errors are reported here, all at once.
 */
import {isMap, LineCounter, parseDocument} from 'yaml';
import {ProfileError, type PathKey, type ProfileDocument, type ProfileIssue, type SourcePos} from './document.js';

export function yamlDocument(text: string, file: string, defaultName: string): ProfileDocument {
  const lc = new LineCounter();
  const doc = parseDocument(text, {lineCounter: lc, prettyErrors: false, uniqueKeys: true});
  const pos = (offset: number): SourcePos => lc.linePos(offset);
  const offset = (p: readonly PathKey[], key = false): number | undefined => {
    const parent = p.length > 1 ? doc.getIn(p.slice(0, -1), true) : doc.contents;
    if (key && isMap(parent)) {
      const pair = parent.items.find((it) => (it.key as {value?: unknown} | null)?.value === p[p.length - 1]);
      const k = pair?.key as {range?: [number, number, number]} | undefined;
      if (k?.range) return k.range[0];
    }
    const n = doc.getIn(p, true) as {range?: [number, number, number]} | undefined;
    return n?.range?.[0];
  };
  const issues: ProfileIssue[] = doc.errors.map((e) => ({file, ...pos(e.pos[0]), field: '', message: e.message.split('\n')[0] ?? e.message}));
  if (issues.length) throw new ProfileError(issues);
  const root: unknown = doc.toJS();
  if (!root || typeof root !== 'object' || Array.isArray(root)) {
    throw new ProfileError([{file, line: 1, col: 1, field: '', message: 'a profile must be a YAML mapping of Packer-style options'}]);
  }
  return {
    file,
    defaultName,
    raw: root as Record<string, unknown>,
    position: (p, o) => {
      const off = offset(p, o?.key);
      return off === undefined ? undefined : pos(off);
    },
    quoted: (p) => {
      const off = offset(p);
      return off !== undefined && (text[off] === '"' || text[off] === "'");
    },
  };
}
