/**
 * The engine knows nothing of the UI (DESIGN.md principle 1): nothing outside src/tui and
 * src/cli may import react or ink. A test rather than a linter plugin, so it needs no extra tooling.
 */
import {readdirSync, readFileSync} from 'node:fs';
import path from 'node:path';
import {describe, expect, it} from 'vitest';

function files(dir: string): string[] {
  return readdirSync(dir, {withFileTypes: true}).flatMap((d) =>
    d.isDirectory() ? files(path.join(dir, d.name)) : /\.tsx?$/.test(d.name) ? [path.join(dir, d.name)] : [],
  );
}

describe('architecture', () => {
  it('keeps react and ink out of the engine and adapters', () => {
    const offenders = files('src')
      .filter((f) => !/^src\/(tui|cli)\//.test(f))
      .filter((f) => /from\s+['"](ink|react)(\/[^'"]*)?['"]|import\(\s*['"](ink|react)['"]/.test(readFileSync(f, 'utf8')));
    expect(offenders).toEqual([]);
    expect(files('src').length).toBeGreaterThan(20);
  });
});
