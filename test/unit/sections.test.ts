import {readFileSync} from 'node:fs';
import {describe, expect, it} from 'vitest';
import {
  PACKER_PREFIX,
  SectionParser,
  parseSections,
  type Section,
  type SectionEvent,
  type SectionParserOptions,
} from '../../src/sections/parser.js';
import {formatTree, toJSON} from '../../src/sections/format.js';

const FIXTURE = readFileSync(new URL('../fixtures/packer-seed-002.log', import.meta.url), 'utf8');

/** A clock that ticks 10 ms per call, so durations are deterministic. */
const tick = (): (() => number) => {
  let t = 0;
  return () => (t += 10);
};

/** name/status/lines compactly, for table assertions. */
const shape = (list: Section[]): unknown[] =>
  list.map((s) => ({
    n: s.name,
    st: s.status,
    out: s.lines.stdout,
    err: s.lines.stderr,
    ...(s.children.length ? {c: shape(s.children)} : {}),
  }));

/** Every completed line is counted once: own lines of all nodes plus markers. */
function countedLines(p: SectionParser): number {
  const own = (s: Section): number =>
    s.ownLines.stdout + s.ownLines.stderr + s.children.reduce((a, c) => a + own(c), 0);
  return own(p.root) + p.stats.markers;
}

type Chunk = string | [string, 'stdout' | 'stderr'];
interface Case {
  name: string;
  chunks: Chunk[];
  exit?: number | null;
  opts?: SectionParserOptions;
  tree: unknown[];
  warnings?: number;
  outside?: number;
}

const run = (chunks: Chunk[], exit?: number | null, opts?: SectionParserOptions): SectionParser => {
  const p = new SectionParser({now: tick(), ...opts});
  for (const c of chunks) typeof c === 'string' ? p.push(c) : p.push(c[0], c[1]);
  p.end(exit);
  return p;
};

const cases: Case[] = [
  {name: 'simple section', chunks: ['BEGIN{a}\nx\ny\nEND{a}\n'], tree: [{n: 'a', st: 'ok', out: 2, err: 0}]},
  {
    name: 'chunks split lines and markers',
    chunks: ['BEG', 'IN{a', '}\nx', '\ny\nEN', 'D{a}', '\n'],
    tree: [{n: 'a', st: 'ok', out: 2, err: 0}],
  },
  {name: 'CRLF line endings', chunks: ['BEGIN{a}\r\nx\r\nEND{a}\r', '\n'], tree: [{n: 'a', st: 'ok', out: 1, err: 0}]},
  {
    name: 'ANSI colours around markers',
    chunks: ['\x1b[1;32mBEGIN{a}\x1b[0m\nx\n\x1b[31mEND{\x1b[1ma}\x1b[0m\n'],
    tree: [{n: 'a', st: 'ok', out: 1, err: 0}],
  },
  {
    name: 'stderr interleaved, split mid-line on both streams',
    chunks: ['BEGIN{a}\nout', ['err1\ner', 'stderr'], ' more\n', ['r2\n', 'stderr'], 'END{a}\n'],
    tree: [{n: 'a', st: 'ok', out: 1, err: 2}],
  },
  {
    name: 'nested sections, lines counted inclusively',
    chunks: ['BEGIN{a}\n1\nBEGIN{b}\n2\n3\nEND{b}\n4\nEND{a}\n'],
    tree: [{n: 'a', st: 'ok', out: 4, err: 0, c: [{n: 'b', st: 'ok', out: 2, err: 0}]}],
  },
  {
    name: 'END without BEGIN is ignored with a warning',
    chunks: ['x\nEND{zz}\nBEGIN{a}\nEND{a}\n'],
    tree: [{n: 'a', st: 'ok', out: 0, err: 0}],
    warnings: 1,
    outside: 2,
  },
  {
    name: 'END with the wrong name closes up to the matching section',
    chunks: ['BEGIN{a}\nBEGIN{b}\nx\nEND{a}\n'],
    tree: [{n: 'a', st: 'ok', out: 1, err: 0, c: [{n: 'b', st: 'incomplete', out: 1, err: 0}]}],
    warnings: 1,
  },
  {
    name: 'END with a name not on the stack is ignored',
    chunks: ['BEGIN{a}\nEND{b}\nEND{a}\n'],
    tree: [{n: 'a', st: 'ok', out: 1, err: 0}],
    warnings: 1,
  },
  {
    name: 'open at end, exit 0: incomplete',
    chunks: ['BEGIN{a}\nBEGIN{b}\nx'],
    exit: 0,
    tree: [{n: 'a', st: 'incomplete', out: 1, err: 0, c: [{n: 'b', st: 'incomplete', out: 1, err: 0}]}],
  },
  {
    name: 'open at end, exit 2: innermost failed',
    chunks: ['BEGIN{a}\nBEGIN{b}\nx\n'],
    exit: 2,
    tree: [{n: 'a', st: 'incomplete', out: 1, err: 0, c: [{n: 'b', st: 'failed', out: 1, err: 0}]}],
  },
  {
    name: 'custom marker pattern',
    chunks: ['::group::build\nx\n::endgroup::build\n'],
    opts: {pattern: {begin: /^::group::(\S+)$/g, end: /^::endgroup::(\S+)$/}},
    tree: [{n: 'build', st: 'ok', out: 1, err: 0}],
  },
  {
    name: 'Packer prefix stripped when configured',
    chunks: ['    qemu: BEGIN{a}\n    qemu: x\n==> qemu: END{a}\n'],
    opts: {prefix: PACKER_PREFIX},
    tree: [{n: 'a', st: 'ok', out: 1, err: 0}],
  },
  {
    name: 'Packer prefix not stripped by default: no markers',
    chunks: ['    qemu: BEGIN{a}\n    qemu: END{a}\n'],
    tree: [],
    outside: 2,
  },
  {name: 'marker text inside a line is not a marker', chunks: ['echo BEGIN{a}\n'], tree: [], outside: 1},
];

describe('SectionParser', () => {
  it.each(cases)('$name', (c) => {
    const p = run(c.chunks, c.exit, c.opts);
    expect(shape(p.tree)).toEqual(c.tree);
    expect(p.warnings).toHaveLength(c.warnings ?? 0);
    if (c.outside !== undefined) expect(p.root.ownLines.stdout + p.root.ownLines.stderr).toBe(c.outside);
    expect(countedLines(p)).toBe(p.stats.lines);
  });

  it('records paths, times, and line numbers', () => {
    const p = run(['x\nBEGIN{a}\nBEGIN{b}\ny\nEND{b}\nEND{a}\n']);
    const a = p.tree[0]!;
    const b = a.children[0]!;
    expect(b.path).toEqual(['a', 'b']);
    expect([a.firstLine, a.lastLine, b.firstLine, b.lastLine]).toEqual([2, 6, 3, 5]);
    // Clock calls: root 10, a 20, b 30, end b 40, end a 50.
    expect([a.startTime, a.endTime, a.durationMs, b.durationMs]).toEqual([20, 50, 30, 10]);
    expect(p.root.ownLines.stdout).toBe(1);
  });

  it('streams begin/line/end/warning events in order', () => {
    const p = new SectionParser({now: tick()});
    const seen: string[] = [];
    p.onEvent((e: SectionEvent) =>
      seen.push(e.type === 'line' ? `line:${e.lineNo}:${e.path.join('/')}:${e.marker ?? ''}` : e.type === 'warning' ? 'warning' : `${e.type}:${e.section.name}`),
    );
    p.push('BEGIN{a}\nx\nEND{q}\nEND{a}\n');
    p.end();
    expect(seen).toEqual(['begin:a', 'line:1:a:begin', 'line:2:a:', 'warning', 'line:3:a:', 'end:a', 'line:4::end']);
  });

  it('keeps the raw line (ANSI included) in line events', () => {
    const p = new SectionParser();
    const raws: string[] = [];
    p.onEvent((e) => e.type === 'line' && raws.push(e.raw));
    p.push('\x1b[32mBEGIN{a}\x1b[0m\r\n');
    expect(raws).toEqual(['\x1b[32mBEGIN{a}\x1b[0m']);
  });

  it('formats a tree and JSON', () => {
    const p = run(['BEGIN{a}\nx\nBEGIN{b}\n', ['e\n', 'stderr']], 1);
    expect(formatTree(p.tree)).toBe('… a  20ms  2 lines, 1 stderr  incomplete\n  ✖ b  10ms  1 line, 1 stderr  failed');
    expect(formatTree(p.tree, {ascii: true})).toContain('[FAIL] b');
    const doc = toJSON(p.tree, {root: p.root, warnings: p.warnings});
    expect(JSON.parse(JSON.stringify(doc))).toEqual(doc);
    expect(doc.sections[0]!.children[0]!.path).toEqual(['a', 'b']);
  });
});

const SEED_NAMES = [
  'apt_update', 'clean_packages', 'clean_libraries', 'preconfig_udev_ifnames', 'preconfig_initramfs',
  'preconfig_grub', 'preconfig_fstab', 'preconfig_hosts', 'apt_dist_upgrade', 'clean_apt',
  'clean_history', 'zero_freespace', 'clean_apt', 'clean_history', 'clean_root_ssh', 'clean_network',
  'clean_self', 'clean_shutdown',
];

describe('seed 002 Packer log', () => {
  it('yields the seed sections, all ok', () => {
    const p = parseSections(FIXTURE, {prefix: PACKER_PREFIX, exitCode: 0});
    expect(p.tree.map((s) => s.name)).toEqual(SEED_NAMES);
    expect(p.tree.every((s) => s.status === 'ok' && s.children.length === 0)).toBe(true);
    expect(p.warnings).toEqual([]);
    expect(p.tree[1]!.lines.stdout).toBe(54); // clean_packages (counted with awk)
    expect(p.stats.lines).toBe(FIXTURE.split('\n').length - 1);
  });
});

/** mulberry32: tiny seeded PRNG so fuzz failures reproduce. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('fuzz', () => {
  const opts = {prefix: PACKER_PREFIX, now: () => 0};
  const oneShot = JSON.stringify(toJSON(parseSections(FIXTURE, opts).tree));

  it('random chunking gives the same tree and line count', () => {
    const rand = prng(2);
    for (let iter = 0; iter < 300; iter++) {
      const p = new SectionParser(opts);
      let i = 0;
      while (i < FIXTURE.length) {
        const n = 1 + Math.floor(rand() * (rand() < 0.5 ? 8 : 400));
        p.push(FIXTURE.slice(i, i + n));
        i += n;
      }
      p.end(0);
      expect(JSON.stringify(toJSON(p.tree))).toBe(oneShot);
      expect(p.stats.lines).toBe(192);
    }
  });

  it('random bytes on two streams never throw and never lose a line', () => {
    const rand = prng(7);
    const alphabet = ['\n', '\r', '\x1b', '[', 'm', '{', '}', 'BEGIN{a}', 'END{a}', 'END{b}', 'BEGIN{b}', 'x', ' '];
    for (let iter = 0; iter < 300; iter++) {
      const p = new SectionParser({now: () => 0});
      const text = {stdout: '', stderr: ''};
      const lines = {stdout: 0, stderr: 0};
      p.onEvent((e) => e.type === 'line' && lines[e.stream]++);
      for (let k = 0; k < 60; k++) {
        const stream = rand() < 0.3 ? 'stderr' : 'stdout';
        let chunk = '';
        const len = Math.floor(rand() * 12);
        for (let j = 0; j < len; j++) {
          chunk += rand() < 0.6 ? alphabet[Math.floor(rand() * alphabet.length)]! : String.fromCharCode(Math.floor(rand() * 0x3000));
        }
        text[stream] += chunk;
        p.push(chunk, stream);
      }
      p.end(Math.floor(rand() * 3));
      for (const s of ['stdout', 'stderr'] as const) {
        const parts = text[s].split('\n');
        // Newline-terminated lines, plus the unterminated tail that end() flushes.
        expect(lines[s]).toBe(parts.length - 1 + (parts.at(-1) ? 1 : 0));
      }
      expect(countedLines(p)).toBe(p.stats.lines);
      expect(p.stats.lines).toBe(lines.stdout + lines.stderr);
    }
  });
});
