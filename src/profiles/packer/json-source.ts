/**
 * A JSON file parsed with every node's place (jsonc-parser's tree: Microsoft's parser, the one
 * VS Code uses), so a field can be reported at file:line:col. Strict like Packer's Go decoder:
 * comments and trailing commas are syntax errors. A key given twice keeps its last value (as
 * Go's encoding/json does), and the earlier ones are reported.
 */
import {getNodeValue, parseTree, printParseErrorCode, type Node, type ParseError} from 'jsonc-parser';
import {ProfileError, type PathKey, type ProfileIssue, type SourcePos} from '../document.js';

export type JsonNode = Node;

export interface JsonSource {
  file: string;
  text: string;
  root: JsonNode;
  /** The whole document as plain data. */
  value: unknown;
  /** Line and column (1-based) of a character offset. */
  pos(offset: number): SourcePos;
  /** Keys given more than once (the last one counts): for warnings. */
  duplicates: ProfileIssue[];
}

/** Parse `text`; syntax errors are thrown together as one ProfileError. */
export function parseJsonSource(text: string, file: string): JsonSource {
  const lineStarts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') lineStarts.push(i + 1);
  const pos = (offset: number): SourcePos => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lineStarts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return {line: lo + 1, col: offset - lineStarts[lo]! + 1};
  };
  const errors: ParseError[] = [];
  const root = parseTree(text, errors, {disallowComments: true, allowTrailingComma: false, allowEmptyContent: false});
  if (errors.length || !root) {
    const issues = errors.map((e) => ({file, ...pos(e.offset), field: '', message: `JSON syntax: ${describeError(printParseErrorCode(e.error))}`}));
    throw new ProfileError(issues.length ? issues : [{file, line: 1, col: 1, field: '', message: 'JSON syntax: the file is empty'}]);
  }
  const duplicates: ProfileIssue[] = [];
  const findDuplicates = (n: Node, path: string): void => {
    if (n.type === 'object') {
      const seen = new Set<string>();
      for (const prop of n.children ?? []) {
        const key = prop.children?.[0]?.value as string;
        if (seen.has(key)) {
          duplicates.push({file, ...pos(prop.offset), field: `${path}${path ? '.' : ''}${key}`, message: `given more than once: the last one counts (as in Packer)`, warning: true});
        }
        seen.add(key);
        if (prop.children?.[1]) findDuplicates(prop.children[1], `${path}${path ? '.' : ''}${key}`);
      }
    } else if (n.type === 'array') n.children?.forEach((c, i) => findDuplicates(c, `${path}[${i}]`));
  };
  findDuplicates(root, '');
  return {file, text, root, value: getNodeValue(root), pos, duplicates};
}

const describeError = (code: string): string =>
  ({
    InvalidCommentToken: 'comments are not allowed in JSON (Packer rejects them too; use a "_comment" key)',
    PropertyNameExpected: 'a quoted key is expected (a trailing comma?)',
    ValueExpected: 'a value is expected (a trailing comma?)',
    CommaExpected: 'a comma is expected',
    ColonExpected: 'a colon is expected',
    CloseBraceExpected: 'a closing } is expected',
    CloseBracketExpected: 'a closing ] is expected',
    EndOfFileExpected: 'nothing may follow the top-level value',
    UnexpectedEndOfString: 'a string is not closed',
    UnexpectedEndOfComment: 'a comment is not closed',
    InvalidEscapeCharacter: 'invalid escape in a string',
    InvalidCharacter: 'invalid character',
    InvalidSymbol: 'invalid symbol',
  })[code] ?? code;

/** The value node at `key` (last one wins) or `index` under `node`. */
export function childNode(node: JsonNode | undefined, key: PathKey): JsonNode | undefined {
  if (!node) return undefined;
  if (node.type === 'array' && typeof key === 'number') return node.children?.[key];
  if (node.type !== 'object') return undefined;
  let found: JsonNode | undefined;
  for (const prop of node.children ?? []) if (prop.children?.[0]?.value === key) found = prop.children[1];
  return found;
}

/** The node at `path` below `node`. */
export function nodeAt(node: JsonNode | undefined, path: readonly PathKey[]): JsonNode | undefined {
  let n = node;
  for (const k of path) n = childNode(n, k);
  return n;
}

/** Where `node` starts, or (with `key`) where its key does when it is an object's value. */
export function offsetOf(node: JsonNode, key = false): number {
  if (key && node.parent?.type === 'property') return node.parent.children?.[0]?.offset ?? node.offset;
  return node.offset;
}
