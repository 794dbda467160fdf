/**
 * What a profile holds that loads but is not used is said at the start of every build — in the
 * events every front end shows, build.log and events.jsonl — not only by `vmbench validate`.
 */
import {readFileSync} from 'node:fs';
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import type {BuildEvent} from '../../src/engine/events.js';
import type {Step} from '../../src/engine/step.js';
import type {BuildState} from '../../src/engine/state.js';
import type {ProfileIssue} from '../../src/profiles/document.js';
import {parseProfile} from '../../src/profiles/loader.js';
import {BuildSession} from '../../src/session/build-session.js';
import {scratchDirs} from '../support/scratch.js';

const fresh = scratchDirs('vmbench-warnings-');
const nothing: Step<BuildState> = {id: 'provision', title: 'Provision', async run() {}};

describe('a build of a profile with warnings', () => {
  it('logs each one with file:line:col and field, after the build starts', async () => {
    const dir = fresh('p');
    const file = path.join(dir, 'profile.yaml');
    const warnings: ProfileIssue[] = [];
    const profile = parseProfile('iso_url: x.iso\nssh_username: root\nboot_keygroup_interval: 100ms\n', file, 'p', {warnings});
    expect(warnings).toHaveLength(1);
    const seen: BuildEvent[] = [];
    const s = new BuildSession({loaded: {profile, dir, file, warnings}, emit: (e) => seen.push(e), logDir: path.join(dir, 'logs'), outputDir: path.join(dir, 'out'), cacheDir: dir, steps: [nothing]});
    await s.run();
    const started = seen.findIndex((e) => e.type === 'build' && e.status === 'started');
    const warned = seen.findIndex((e) => e.type === 'log' && e.stream === 'warn' && /boot_keygroup_interval: Packer’s qemu builder does not use/.test(e.line));
    expect(started).toBeGreaterThanOrEqual(0);
    expect(warned).toBe(started + 1);
    expect((seen[warned] as {line: string}).line).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3:1: boot_keygroup_interval: `));
    expect(readFileSync(path.join(s.logDir, 'build.log'), 'utf8')).toContain('boot_keygroup_interval: Packer’s qemu builder does not use');
  });
});
