/**
 * Arrows point down (DESIGN.md): the engine knows nothing of the UI, and the two front ends
 * (src/tui, the workbench; src/cli, the commands) share what lies below them (src/session)
 * instead of one reaching into the other. Tests rather than a linter plugin, so they need no
 * extra tooling.
 */
import {readdirSync, readFileSync} from 'node:fs';
import path from 'node:path';
import {describe, expect, it} from 'vitest';

function files(dir: string): string[] {
  return readdirSync(dir, {withFileTypes: true}).flatMap((d) =>
    d.isDirectory() ? files(path.join(dir, d.name)) : /\.tsx?$/.test(d.name) ? [path.join(dir, d.name)] : [],
  );
}

/** Every module specifier a file imports (static, dynamic, type-only and re-exports). */
function importsOf(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*|\bimport\s+)['"]([^'"]+)['"]/g)) out.push(m[1]!);
  return out;
}

/** The top-level src/ folder a relative import from `file` lands in (undefined for packages). */
function targetArea(file: string, spec: string): string | undefined {
  if (!spec.startsWith('.')) return undefined;
  const rel = path.relative('src', path.resolve(path.dirname(file), spec));
  return rel.startsWith('..') ? undefined : rel.split(path.sep)[0];
}

/** Files of `from` areas that import something in `banned` areas, as `file → spec` lines. */
function offenders(from: RegExp, banned: string[]): string[] {
  return files('src')
    .filter((f) => from.test(f))
    .flatMap((f) => importsOf(readFileSync(f, 'utf8')).filter((s) => banned.includes(targetArea(f, s) ?? '')).map((s) => `${f} → ${s}`));
}

/** The engine and its adapters (every src/ folder but the front ends, session, setup, settings). */
const ENGINE_SIDE = /^src\/(engine|qemu|vnc|ssh|screen|installer|iso|http|media|sections|profiles|render|util|cloud|artifacts|kube)\//;
/** What the front ends use for the host and the user's settings: below both front ends too. */
const FRONT_END_SUPPORT = /^src\/(session|setup|settings)\//;

describe('architecture', () => {
  it('keeps react and ink out of the engine and adapters', () => {
    const bad = files('src')
      .filter((f) => !/^src\/(tui|cli)\//.test(f))
      .filter((f) => importsOf(readFileSync(f, 'utf8')).some((s) => /^(ink|react)(\/|$)/.test(s)));
    expect(bad).toEqual([]);
    expect(files('src').length).toBeGreaterThan(20);
  });

  it('the workbench (src/tui) never imports the CLI (src/cli)', () => {
    expect(offenders(/^src\/tui\//, ['cli'])).toEqual([]);
  });

  it('src/session, setup and settings, shared by both front ends, import neither of them', () => {
    expect(offenders(FRONT_END_SUPPORT, ['cli', 'tui'])).toEqual([]);
  });

  it('the engine and adapters import no front end and no session', () => {
    expect(offenders(ENGINE_SIDE, ['cli', 'tui', 'session'])).toEqual([]);
  });

  it('finds the imports the rules look at (static, dynamic, type-only)', () => {
    const text = `import a from '../cli/a.js';\nimport type {B} from "../session/b.js";\nconst c = await import('../tui/c.js');\nexport {d} from './d.js';\nimport './side.js';`;
    expect(importsOf(text)).toEqual(['../cli/a.js', '../session/b.js', '../tui/c.js', './d.js', './side.js']);
    expect(targetArea('src/tui/x.ts', '../cli/a.js')).toBe('cli');
    expect(targetArea('src/engine/steps/x.ts', '../../session/y.js')).toBe('session');
    expect(targetArea('src/tui/x.ts', 'ink')).toBeUndefined();
    // Every src/ folder is in one of the rules' groups, so a new folder is a decision, not a gap.
    const areas = readdirSync('src', {withFileTypes: true}).filter((d) => d.isDirectory()).map((d) => `src/${d.name}/`);
    expect(areas.filter((a) => !ENGINE_SIDE.test(a) && !FRONT_END_SUPPORT.test(a) && !/^src\/(cli|tui)\//.test(a))).toEqual([]);
  });
});
