/**
 * Appending an answer's preseed line to the answer file the guest fetched — the one write the
 * workbench makes into a user's profile, so it is careful:
 * - only a regular file inside the profile's http directory (symlinks resolved on both sides)
 *   is touched; anything else is refused with the reason;
 * - atomically: the new content goes to a temporary file in the same directory, gets the old
 *   file's permission bits, and is renamed over it — a crash leaves the old file or the new one,
 *   never half of one; if the file changed meanwhile nothing is replaced;
 * - a line already in the file is not appended twice.
 * No react/ink here.
 */
import {randomBytes} from 'node:crypto';
import {promises as fs} from 'node:fs';
import path from 'node:path';

export interface AppendResult {
  /** The file written (symlinks resolved). */
  file: string;
  /** False when the line was already there. */
  appended: boolean;
  /** 1-based line number of the line in the file. */
  lineNumber: number;
  /** Says what happened, for the log and the UI. */
  message: string;
}

/** Why an append was refused or failed; `message` names the file and the reason. */
export class PreseedAppendError extends Error {}

async function real(p: string, what: string): Promise<string> {
  try {
    return await fs.realpath(p);
  } catch (err) {
    throw new PreseedAppendError(`${what} ${p} cannot be used: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'it does not exist' : (err as Error).message}`);
  }
}

/** True when `file` lies inside `dir` (both already resolved). */
export function isInside(dir: string, file: string): boolean {
  const rel = path.relative(dir, file);
  return rel !== '' && !rel.startsWith(`..${path.sep}`) && rel !== '..' && !path.isAbsolute(rel);
}

/**
 * Append `line` to `file`, which must be inside `httpDir` (the profile's http_directory).
 * Throws a {@link PreseedAppendError} saying why when it will not or cannot.
 */
export async function appendPreseedLine(opts: {file: string; line: string; httpDir: string}): Promise<AppendResult> {
  const line = opts.line.trim();
  if (!line || /[\r\n]/.test(line)) throw new PreseedAppendError(`not a single preseed line: ${JSON.stringify(opts.line)}`);
  if (!path.isAbsolute(opts.file)) throw new PreseedAppendError(`the answer file's path is not absolute: ${opts.file}`);
  const dir = await real(opts.httpDir, "the profile's http directory");
  const file = await real(opts.file, 'the answer file');
  if (!isInside(dir, file)) throw new PreseedAppendError(`${file} is outside the profile's http directory (${dir}): not touched`);
  const before = await fs.stat(file);
  if (!before.isFile()) throw new PreseedAppendError(`${file} is not a regular file: not touched`);
  const text = await fs.readFile(file, 'utf8');
  const lines = text.split('\n');
  const at = lines.findIndex((l) => l.trim() === line);
  if (at !== -1) return {file, appended: false, lineNumber: at + 1, message: `already in ${file} (line ${at + 1}): nothing appended`};
  const next = `${text}${text === '' || text.endsWith('\n') ? '' : '\n'}${line}\n`;
  const lineNumber = next.split('\n').length - 1;
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.vmbench-${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
  const mode = before.mode & 0o7777;
  try {
    await fs.writeFile(tmp, next, {flag: 'wx', mode});
    await fs.chmod(tmp, mode); // the umask may have taken bits away
    const now = await fs.stat(file);
    if (now.mtimeMs !== before.mtimeMs || now.size !== before.size) throw new PreseedAppendError(`${file} changed while the line was being added: nothing replaced, try again`);
    await fs.rename(tmp, file);
  } catch (err) {
    await fs.rm(tmp, {force: true}).catch(() => undefined);
    if (err instanceof PreseedAppendError) throw err;
    throw new PreseedAppendError(`could not append to ${file}: ${(err as Error).message}`);
  }
  return {file, appended: true, lineNumber, message: `appended to ${file} (line ${lineNumber})`};
}
