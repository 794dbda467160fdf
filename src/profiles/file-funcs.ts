/**
 * vmbench's template functions for putting a file's text into a field — above all into
 * http_content, whose entries Packer's HCL2 templates fill with file() and templatefile():
 *
 * - `{{ file `http/user-data` }}`: the file's text as it is;
 * - `{{ templatefile `http/preseed.cfg` }}`: the file's text rendered like the field it is in
 *   (user variables and functions now; build fields such as {{ .HTTPPort }} kept for the build).
 *
 * Paths are relative to the profile's (template's) directory. Errors name the file, and inside a
 * templatefile the line and column.
 */
import {readFileSync} from 'node:fs';
import path from 'node:path';
import {TemplateError} from './template.js';

/** How deep templatefile may include templatefile (a file that includes itself stops here). */
const MAX_DEPTH = 8;

/** 1-based line and column of `offset` in `text`. */
export function lineCol(text: string, offset: number): {line: number; col: number} {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return {line, col: offset - before.lastIndexOf('\n')};
}

/**
 * The `file` and `templatefile` functions for renderTemplate's `funcs`, reading below `dir`;
 * `render` renders a templatefile's text in the caller's context.
 */
export function fileFuncs(dir: string, render: (text: string) => string): Record<string, (arg?: string) => string> {
  let depth = 0;
  const read = (fn: string, arg: string | undefined): {text: string; name: string} => {
    if (!arg) throw new Error(`${fn} takes the path of a file, like {{ ${fn} \`http/preseed.cfg\` }}`);
    const file = path.resolve(dir, arg);
    try {
      return {text: readFileSync(file, 'utf8'), name: arg};
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new Error(`${fn} ${arg}: ${code === 'ENOENT' ? `no such file (${file})` : (err as Error).message}`);
    }
  };
  return {
    file: (arg) => read('file', arg).text,
    templatefile: (arg) => {
      const {text, name} = read('templatefile', arg);
      if (depth >= MAX_DEPTH) throw new Error(`templatefile ${name}: included more than ${MAX_DEPTH} deep (does it include itself?)`);
      depth++;
      try {
        return render(text);
      } catch (err) {
        if (!(err instanceof TemplateError)) throw err;
        const {line, col} = lineCol(text, err.offset);
        throw new Error(`${name}:${line}:${col}: ${err.message.replace(/ at offset \d+/, '')}`);
      } finally {
        depth--;
      }
    },
  };
}
