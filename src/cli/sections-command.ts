/**
 * `vmbench sections <log> [--json]`: the BEGIN/END section tree of a saved log — a vmbench
 * build.log (only the provisioner's lines count) or a plain Packer log (its `    qemu: ` prefix
 * stripped), e.g. seed 002's sample output.
 */
import {readFileSync} from 'node:fs';
import {formatTree, toJSON} from '../sections/format.js';
import {PACKER_PREFIX, parseSections, SectionParser} from '../sections/parser.js';

/** A vmbench build.log line: ISO time, then `    provisioner: ` or `    provisioner(stderr): `. */
const VMBENCH_LINE = /^\d{4}-\d\d-\d\dT[\d:.]+Z {5}(\w+)(?:\((\w+)\))?: (.*)$/;

/**
 * Parse a saved log's sections. A vmbench build.log keeps each line's time, so sections get
 * their real durations; a Packer log has no times, so its durations are unknown (0).
 */
export function sectionsOfLog(log: string): SectionParser {
  const lines = log.split('\n');
  if (!lines.some((l) => VMBENCH_LINE.test(l))) return parseSections(log, {prefix: PACKER_PREFIX});
  let time = 0;
  const p = new SectionParser({now: () => time});
  for (const l of lines) {
    const m = VMBENCH_LINE.exec(l);
    if (!m || m[1] !== 'provisioner') continue;
    time = Date.parse(l.slice(0, 24));
    p.push(`${m[3]!}\n`, m[2] === 'stderr' ? 'stderr' : 'stdout');
  }
  p.end();
  return p;
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
  const p = sectionsOfLog(log);
  if (values.json) process.stdout.write(`${JSON.stringify(toJSON(p.tree, {root: p.root, warnings: p.warnings}), null, 2)}\n`);
  else {
    process.stdout.write(p.tree.length ? `${formatTree(p.tree)}\n` : 'no BEGIN{…}/END{…} sections in this log\n');
    for (const w of p.warnings) process.stdout.write(`warning: ${JSON.stringify(w)}\n`);
  }
  return 0;
}
