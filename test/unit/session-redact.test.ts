/**
 * Packer's sensitive variables never reach a log: a BuildSession replaces their values in every
 * event — what the front end sees, build.log and events.jsonl — whatever step said them.
 */
import {readFileSync} from 'node:fs';
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import type {BuildEvent} from '../../src/engine/events.js';
import type {Step} from '../../src/engine/step.js';
import type {BuildState} from '../../src/engine/state.js';
import {parseProfile} from '../../src/profiles/loader.js';
import {BuildSession} from '../../src/session/build-session.js';
import {scratchDirs} from '../support/scratch.js';

const fresh = scratchDirs('vmbench-redact-');
const SECRET = 'hunter2-very-secret';

const chatty: Step<BuildState> = {
  id: 'provision',
  title: 'Provision',
  async run(ctx) {
    ctx.log('provisioner', 'stdout', `echo password=${SECRET}`);
    ctx.emit({type: 'diagnosis', time: Date.now(), cause: `login with ${SECRET} failed`, evidence: [`tried ${SECRET}`]});
    throw new Error(`the guest refused ${SECRET}`);
  },
};

describe('sensitive variables in a build', () => {
  it('are replaced by <sensitive> in every event, build.log and events.jsonl', async () => {
    const dir = fresh('p');
    const profile = parseProfile(`variables:\n  pw: ${SECRET}\niso_url: x.iso\nssh_username: root\n`, 'p.yaml', 'p');
    const loaded = {profile, dir, file: path.join(dir, 'p.yaml'), document: {sensitiveVariables: ['pw']}} as never;
    const seen: BuildEvent[] = [];
    const s = new BuildSession({loaded, emit: (e) => seen.push(e), logDir: path.join(dir, 'logs'), outputDir: path.join(dir, 'out'), cacheDir: dir, steps: [chatty]});
    const outcome = await s.run();
    expect(outcome.status).toBe('failed');
    const all = [JSON.stringify(seen), readFileSync(path.join(s.logDir, 'build.log'), 'utf8'), readFileSync(path.join(s.logDir, 'events.jsonl'), 'utf8')];
    for (const text of all) {
      expect(text).not.toContain(SECRET);
      expect(text).toContain('<sensitive>');
    }
    expect(seen.find((e) => e.type === 'log' && e.source === 'provisioner')).toMatchObject({line: 'echo password=<sensitive>'});
  });
});
