/**
 * `vmbench sections <log> [--json]`: the BEGIN/END section tree of a saved log — a vmbench
 * build.log (only the provisioner's lines count) or a plain Packer log (its `    qemu: ` prefix
 * stripped), e.g. seed 002's sample output.
 */
import {readFileSync} from 'node:fs';
import path from 'node:path';
import {SCRIPT_END_LINE, SECTIONS_FILE} from '../engine/sections.js';
import {formatTree, toJSON, type SectionsDocument} from '../sections/format.js';
import {PACKER_PREFIX, parseSections, SectionParser, type SectionPattern} from '../sections/parser.js';

/** A vmbench build.log line: ISO time, then `    provisioner: ` or `    provisioner(stderr): `. */
const VMBENCH_LINE = /^\d{4}-\d\d-\d\dT[\d:.]+Z {5}(\w+)(?:\((\w+)\))?: (.*)$/;

/**
 * Parse a saved log's sections. A vmbench build.log keeps each line's time, so sections get
 * their real durations; a Packer log has no times, so its durations are unknown (0).
 */
export function sectionsOfLog(log: string, pattern?: SectionPattern): SectionParser {
  const lines = log.split('\n');
  if (!lines.some((l) => VMBENCH_LINE.test(l))) return parseSections(log, {prefix: PACKER_PREFIX, pattern});
  let time = 0;
  const p = new SectionParser({now: () => time, pattern});
  for (const l of lines) {
    const m = VMBENCH_LINE.exec(l);
    if (!m) continue;
    time = Date.parse(l.slice(0, 24));
    if (m[1] === 'provisioner') p.push(`${m[3]!}\n`, m[2] === 'stderr' ? 'stderr' : 'stdout');
    else if (m[1] === 'vmbench') {
      const end = SCRIPT_END_LINE.exec(m[3]!);
      if (end) p.settle(Number(end[2]));
    }
  }
  p.end();
  return p;
}

/** The markers a build used, from the sections.json saved beside its build.log (if any). */
function savedPattern(logFile: string): SectionPattern | undefined {
  try {
    const doc = JSON.parse(readFileSync(path.join(path.dirname(logFile), SECTIONS_FILE), 'utf8')) as SectionsDocument;
    return doc.pattern ? {begin: new RegExp(doc.pattern.begin), end: new RegExp(doc.pattern.end)} : undefined;
  } catch {
    return undefined;
  }
}

export async function sectionsCommand(args: string[], values: {json?: boolean}): Promise<number> {
  if (args.length !== 1) {
    process.stderr.write('usage: vmbench sections <log> [--json]\n');
    return 2;
  }
  let log: string;
  try {
    log = readFileSync(args[0]!, 'utf8');
  } catch (err) {
    process.stderr.write(`vmbench: ${(err as Error).message}\n`);
    return 1;
  }
  const p = sectionsOfLog(log, savedPattern(args[0]!));
  if (values.json) process.stdout.write(`${JSON.stringify(toJSON(p.tree, {root: p.root, warnings: p.warnings}), null, 2)}\n`);
  else {
    process.stdout.write(p.tree.length ? `${formatTree(p.tree)}\n` : 'no BEGIN{…}/END{…} sections in this log\n');
    for (const w of p.warnings) process.stdout.write(`warning: ${JSON.stringify(w)}\n`);
  }
  return 0;
}
