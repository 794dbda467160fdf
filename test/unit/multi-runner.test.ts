/**
 * The multi-build runner with stand-in children (a small script in place of bin/vmbench that
 * prints JSON events as `vmbench build --json` does): a crashing build does not take the others
 * down, the budget holds builds back, Ctrl-C is forwarded to every child by PID, and the summary
 * and exit status say what happened.
 */
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {afterAll, describe, expect, it} from 'vitest';
import {jsonMultiReporter, parseJobs, plainMultiReporter} from '../../src/cli/multi-build.js';
import type {PlannedBuild} from '../../src/session/multi-plan.js';
import {MultiBuildRunner, type MultiEvent} from '../../src/session/multi-runner.js';
import {exitCodeOf, summaryEvent, summaryTable} from '../../src/session/multi-summary.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'vmbench-multi-runner-'));
afterAll(() => rmSync(tmp, {recursive: true, force: true}));

/** bin/vmbench's stand-in: `build <behaviour> …`. */
const FAKE = path.join(tmp, 'fake-vmbench.mjs');
writeFileSync(
  FAKE,
  `const kind = process.argv[3];
const ev = (e) => process.stdout.write(JSON.stringify({time: Date.now(), ...e}) + '\\n');
ev({type: 'build', status: 'started', profile: kind, steps: [{id: 'one', title: 'Step one'}, {id: 'two', title: 'Step two'}]});
ev({type: 'step', id: 'one', title: 'Step one', status: 'running'});
if (kind === 'ok') {
  ev({type: 'step', id: 'one', title: 'Step one', status: 'done', durationMs: 5});
  ev({type: 'log', source: 'vmbench', stream: 'info', line: 'QEMU running (pid 4242, tcg); VNC …'});
  ev({type: 'artifact', path: '/out/' + kind + '.qcow2', format: 'qcow2', bytes: 2048});
  ev({type: 'build', status: 'done', durationMs: 10});
  process.stderr.write('vmbench: logs in /logs/x\\n');
} else if (kind === 'fails') {
  ev({type: 'step', id: 'one', title: 'Step one', status: 'failed', durationMs: 5, error: 'checksum mismatch\\n  more'});
  ev({type: 'build', status: 'failed', durationMs: 10, reason: 'checksum mismatch'});
  process.exitCode = 1;
} else if (kind === 'crash') {
  process.stderr.write('vmbench: internal error: boom\\n');
  process.kill(process.pid, 'SIGKILL');
} else if (kind === 'waits') {
  // Runs until interrupted; the first SIGINT cancels (as vmbench build does).
  process.on('SIGINT', () => {
    ev({type: 'step', id: 'one', title: 'Step one', status: 'cancelled'});
    ev({type: 'build', status: 'cancelled', durationMs: 10, reason: 'cancelled by SIGINT'});
    process.stderr.write('vmbench: cancelled; cleaned up. logs in /logs/x\\n');
    process.exit(130);
  });
  setInterval(() => {}, 1000);
}
`,
);

function plan(label: string, kind: string, cpus = 1): PlannedBuild {
  return {label, where: 'argument 1', target: kind, profile: kind, cpus, memoryMiB: 256, outputDir: `/out/${label}`, logDir: `/logs/${label}`, argv: ['build', kind]};
}

function runner(plans: PlannedBuild[], cpus = 2) {
  const events: MultiEvent[] = [];
  const r = new MultiBuildRunner(plans, {budget: {cpus, memoryMiB: 100_000, headroomMiB: 256}, bin: FAKE, onEvent: (e) => events.push(e)});
  return {r, events};
}

describe('MultiBuildRunner', () => {
  it('a build that crashes does not take the others down; each result is told apart', {timeout: 20_000}, async () => {
    const {r, events} = runner([plan('a', 'ok'), plan('b', 'crash'), plan('c', 'fails'), plan('d', 'ok')]);
    const runs = await r.run();
    expect(runs.map((x) => [x.plan.label, x.status])).toEqual([
      ['a', 'done'],
      ['b', 'failed'],
      ['c', 'failed'],
      ['d', 'done'],
    ]);
    const [a, b, c] = runs;
    expect(a!.artifacts).toEqual([{path: '/out/ok.qcow2', format: 'qcow2', bytes: 2048}]);
    expect(a!.qemuPids).toEqual([4242]);
    expect(a!.steps.map((s) => `${s.id}:${s.status}`)).toEqual(['one:done', 'two:pending']);
    // A crash leaves no end event: its last words on stderr are the reason.
    expect(b).toMatchObject({signal: 'SIGKILL', reason: 'internal error: boom'});
    expect(c).toMatchObject({failedStep: 'one', reason: 'checksum mismatch', exitCode: 1});
    expect(exitCodeOf(runs, false)).toBe(1);
    // At most two at once on 2 CPUs: the others waited for room, and said why.
    expect(events.filter((e) => e.type === 'queue' && e.status === 'waiting').map((e) => e.build)).toContain('c');
    let now = 0;
    let most = 0;
    for (const e of events) if (e.type === 'queue' && e.status !== 'waiting') most = Math.max(most, (now += e.status === 'started' ? 1 : -1));
    expect(most).toBe(2);
  });

  it('forwards Ctrl-C to every running child by PID, starts no other, exit status 130', {timeout: 20_000}, async () => {
    const {r, events} = runner([plan('a', 'waits'), plan('b', 'waits'), plan('c', 'ok')]);
    const done = r.run();
    // Interrupt once both children run (their first event arrived).
    for (let i = 0; i < 200 && events.filter((e) => e.type === 'child' && e.event.type === 'step').length < 2; i++) await new Promise((res) => setTimeout(res, 25));
    r.interrupt('SIGINT');
    const runs = await done;
    expect(runs.map((x) => `${x.plan.label}:${x.status}`)).toEqual(['a:cancelled', 'b:cancelled', 'c:not started']);
    const int = events.find((e) => e.type === 'interrupt');
    expect(int).toMatchObject({signal: 'SIGINT', count: 1});
    expect((int as {children: number[]}).children.sort()).toEqual([runs[0]!.pid, runs[1]!.pid].sort());
    expect(exitCodeOf(runs, r.interrupted > 0)).toBe(130);
    const s = summaryEvent(runs, true, Date.now() - 1000);
    expect(s).toMatchObject({type: 'summary', status: 'cancelled', exitCode: 130});
    expect(s.builds.map((x) => [x.build, x.result, x.reason])).toEqual([
      ['a', 'cancelled', 'cancelled by SIGINT'],
      ['b', 'cancelled', 'cancelled by SIGINT'],
      ['c', 'not started', 'not started: SIGINT'],
    ]);
  });

  it('front ends: prefixed plain lines without log lines, JSON with a build field, the summary table', {timeout: 20_000}, async () => {
    const out: string[] = [];
    const err: string[] = [];
    const w = (to: string[]) => ({write: (s: string) => (to.push(s), true)}) as unknown as NodeJS.WritableStream;
    const plain = plainMultiReporter(['a', 'bb'], w(out), w(err));
    const json: string[] = [];
    const js = jsonMultiReporter(w(json), w([]));
    const r = new MultiBuildRunner([plan('a', 'ok'), plan('bb', 'fails')], {budget: {cpus: 1, memoryMiB: 100_000, headroomMiB: 256}, bin: FAKE, onEvent: (e) => (plain(e), js(e))});
    const runs = await r.run();
    const text = out.join('');
    expect(text).toContain('[a ] ==> one: Step one\n');
    expect(text).toContain('[bb] !!! one: failed (5ms): checksum mismatch\n');
    expect(text).toContain('[bb] waits for room: needs 1 CPU, 0 of 1 free\n');
    expect(text).toContain('[a ] --> artifact: /out/ok.qcow2 (qcow2, 2048 bytes)\n');
    expect(text).not.toContain('QEMU running'); // log lines are not printed
    expect(err.join('')).toBe(''); // the children's end-of-build words are in the summary instead
    const evs = json.map((l) => JSON.parse(l) as {type: string; build?: string});
    expect(evs.filter((e) => e.type === 'step').every((e) => e.build === 'a' || e.build === 'bb')).toBe(true);
    const table = summaryTable(runs, 1234);
    expect(table[0]).toBe('vmbench: 2 builds in 1.2s: 1 done, 1 failed');
    expect(table[1]).toMatch(/^BUILD\s+RESULT\s+TIME\s+ARTIFACTS\s+LOG FOLDER\s+FAILED STEP: REASON$/);
    expect(table[2]).toMatch(/^a\s+done\s+\S+\s+\/out\/ok\.qcow2 \(2\.0 KiB\)\s+\/logs\/a$/);
    expect(table[3]).toMatch(/^bb\s+failed\s+\S+\s+-\s+\/logs\/bb\s+one: checksum mismatch$/);
  });
});

describe('parseJobs', () => {
  it('takes a whole number (Packer\'s -parallel-builds too); 0 means what the budget allows', () => {
    expect(parseJobs({jobs: '3'})).toBe(3);
    expect(parseJobs({jobs: '0'})).toBeUndefined();
    expect(parseJobs({'parallel-builds': '2'})).toBe(2);
    expect(parseJobs({})).toBeUndefined();
    expect(() => parseJobs({jobs: 'two'})).toThrow('--jobs takes a whole number (0: as many as the CPU/memory budget allows), got "two"');
    expect(() => parseJobs({jobs: '-1'})).toThrow(/whole number/);
  });
});
