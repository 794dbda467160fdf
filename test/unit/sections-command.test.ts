import {readFileSync} from 'node:fs';
import {describe, expect, it} from 'vitest';
import {sectionsOfLog} from '../../src/cli/sections-command.js';

describe('sectionsOfLog', () => {
  it('reads a vmbench build.log: provisioner lines only, with real durations', () => {
    const log = [
      '2026-11-22T01:02:16.000Z ==> provision: Provision',
      '2026-11-22T01:02:16.443Z     provisioner: BEGIN{system}',
      '2026-11-22T01:02:16.450Z     serial: BEGIN{not-a-section}',
      '2026-11-22T01:02:16.478Z     provisioner: BEGIN{disk}',
      '2026-11-22T01:02:16.500Z     provisioner(stderr): mke2fs 1.47',
      '2026-11-22T01:02:16.746Z     provisioner: END{disk}',
      '2026-11-22T01:02:16.756Z     provisioner: END{system}',
      '2026-11-22T01:02:16.800Z     provisioner: BEGIN{left-open}',
    ].join('\n');
    const p = sectionsOfLog(log);
    const [system, open] = p.tree;
    expect(system).toMatchObject({name: 'system', status: 'ok', durationMs: 313});
    expect(system!.children[0]).toMatchObject({name: 'disk', path: ['system', 'disk'], durationMs: 268, lines: {stdout: 0, stderr: 1}});
    expect(open).toMatchObject({name: 'left-open', status: 'incomplete'});
    expect(p.tree).toHaveLength(2);
  });

  it("reads seed 002's Packer output, stripping its prefix", () => {
    const p = sectionsOfLog(readFileSync('test/fixtures/packer-seed-002.log', 'utf8'));
    expect(p.tree.map((s) => s.name).slice(0, 3)).toEqual(['apt_update', 'clean_packages', 'clean_libraries']);
    expect(p.tree.every((s) => s.status === 'ok')).toBe(true);
  });
});
