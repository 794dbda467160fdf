/**
 * Several real tiny builds side by side (`vmbench build a b --jobs 2`): each child process with
 * its own log folder, real images that pass `qemu-img check`, the summary table; failures named
 * with their step; and Ctrl-C forwarded to every child, leaving no QEMU and no output folder.
 */
import {existsSync, readdirSync, readFileSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {execa} from 'execa';
import {beforeAll, describe, expect, it} from 'vitest';
import {running} from '../../src/session/multi-runner.js';
import {assertBuilt, BIN, CACHE, events, portListening, runCli, tinyProfileCopy, tmpDir} from './helpers.js';

beforeAll(() => assertBuilt());

type Ev = Record<string, unknown> & {type: string};

/** A build whose JSON events are read as they come; `until` resolves when `pred` holds for the events so far. */
function jsonBuild(args: string[], cwd: string) {
  const child = execa('node', [BIN, 'build', ...args, '--json', '--cache-dir', CACHE], {
    cwd,
    reject: false,
    env: {CI: 'true', XDG_STATE_HOME: tmpDir('vmbench-state-')},
    stdin: 'ignore',
  });
  const seen: Ev[] = [];
  const waiters: {pred: (e: Ev[]) => boolean; resolve: () => void}[] = [];
  let buf = '';
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    const lines = buf.split('\n');
    buf = lines.pop()!;
    for (const l of lines.filter((x) => x.startsWith('{'))) seen.push(JSON.parse(l) as Ev);
    for (const w of waiters.splice(0)) (w.pred(seen) ? w.resolve : () => waiters.push(w))();
  });
  const until = (pred: (e: Ev[]) => boolean, what: string): Promise<void> =>
    new Promise((resolve, reject) => {
      if (pred(seen)) return resolve();
      waiters.push({pred, resolve});
      void child.then((r) => reject(new Error(`the builds ended before ${what}:\n${r.stderr}`)));
    });
  return {child, seen, until};
}

/** QEMU PIDs per build, from the children's own "QEMU running (pid N" lines. */
function qemuPids(seen: Ev[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const e of seen) {
    const hit = e.type === 'log' ? /QEMU running \(pid (\d+)/.exec(String(e.line)) : null;
    if (hit) m.set(String(e.build), Number(hit[1]));
  }
  return m;
}

describe('vmbench build a b --jobs N (real QEMU)', () => {
  it('builds two tiny images side by side, each with its own log folder, and prints the summary', {timeout: 300_000}, async () => {
    const work = tmpDir();
    // The same profile twice, into two folders: a list file says so.
    writeFileSync(path.join(work, 'builds.txt'), '# two tiny builds\ntiny --output out/first --var marker=first\n\ntiny --output out/second --var marker=second  # the same profile again\n');
    const r = await runCli(['build', '--list', path.join(work, 'builds.txt'), '--jobs', '2', '--plain', '--cache-dir', CACHE]);
    expect(r.exitCode, r.all).toBe(0);
    // Both started before either ended: they ran side by side.
    const lines = r.stdout.split('\n');
    const at = (re: RegExp): number => lines.findIndex((l) => re.test(l));
    expect(at(/^\[tiny#2\] started \(pid \d+\)/)).toBeGreaterThan(-1);
    expect(at(/^\[tiny#2\] started/)).toBeLessThan(at(/^\[tiny  \] vmbench: build done/));
    // Step starts and ends are prefixed with their build's name; log lines are not printed.
    expect(lines).toContain('[tiny  ] ==> wait-ssh: Wait for SSH');
    expect(lines.some((l) => /^\[tiny#2\] --> provision: done/.test(l))).toBe(true);
    expect(r.stdout).not.toMatch(/serial: |provisioner: /);

    for (const [label, dir, marker] of [['tiny', 'first', 'first'], ['tiny#2', 'second', 'second']] as const) {
      const image = path.join(work, 'out', dir, 'tiny.qcow2');
      expect(existsSync(image), `${label}: ${image}`).toBe(true);
      const check = await execa('qemu-img', ['check', image], {reject: false});
      expect(check.exitCode, check.stdout + check.stderr).toBe(0);
      const raw = path.join(work, `${dir}.raw`);
      await execa('qemu-img', ['convert', '-O', 'raw', image, raw]);
      expect(readFileSync(raw).includes(Buffer.from(`VMBENCH_TINY_MARKER ${marker}`))).toBe(true);
    }
    // Two different log folders, each with the child's own events.
    const logDirs = [...r.stdout.matchAll(/^\[(tiny|tiny#2)\s*\] started \(pid \d+\); logs in (\S+)$/gm)].map((m) => m[2]!);
    expect(logDirs).toHaveLength(2);
    expect(new Set(logDirs).size).toBe(2);
    for (const d of logDirs) {
      const evs = readFileSync(path.join(d, 'events.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Ev);
      expect(evs.find((e) => e.type === 'build' && e.status !== 'started')?.status).toBe('done');
    }
    // The summary table: both builds, done, their artifacts and log folders.
    const table = lines.slice(at(/^vmbench: 2 builds in .*: 2 done$/));
    expect(table[1]).toMatch(/^BUILD\s+RESULT\s+TIME\s+ARTIFACTS\s+LOG FOLDER$/);
    expect(table[2]).toMatch(/^tiny\s+done\s+\S+\s+.*out\/first\/tiny\.qcow2 \(\d+(\.\d)? [KM]iB\)/);
    expect(table[3]).toMatch(/^tiny#2\s+done\s+\S+\s+.*out\/second\/tiny\.qcow2 \(/);
  });

  it('refuses two builds writing one folder, and a broken profile, before anything starts', {timeout: 60_000}, async () => {
    const work = tmpDir();
    const out = path.join(work, 'out');
    const r = await runCli(['build', 'tiny', 'tiny', '--plain', '--output', out]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(`vmbench: tiny (argument 1) and tiny#2 (argument 2) would both write ${path.join(out, 'tiny')}`);
    expect(r.stdout).toBe('');
    expect(existsSync(out)).toBe(false);

    writeFileSync(path.join(work, 'list'), 'tiny\ntiny --outptu x\n');
    const bad = await runCli(['build', '--list', path.join(work, 'list'), '--plain']);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain(`${path.join(work, 'list')}:2: unknown option --outptu`);
  });

  it('names the failed step of each failed build in the summary, exit status 1', {timeout: 120_000}, async () => {
    const work = tmpDir();
    const badSum = tinyProfileCopy((y) => y.replace('iso_checksum: none', `iso_checksum: sha256:${'0'.repeat(64)}`));
    const qemuDies = tinyProfileCopy((y) => y.replace('["-device", "virtio-rng-pci"]', '["-device", "no-such-device-model"]'));
    writeFileSync(path.join(work, 'list'), `${badSum} --output ${path.join(work, 'a')}\n${qemuDies} --output ${path.join(work, 'b')}\n`);
    const r = await runCli(['build', '--list', path.join(work, 'list'), '--plain', '--jobs', '1', '--cache-dir', CACHE]);
    expect(r.exitCode, r.all).toBe(1);
    expect(r.stdout).toMatch(/^\[tiny#2\] waits for room: --jobs 1: 1 build running$/m);
    expect(r.stdout).toMatch(/^BUILD\s+RESULT\s+TIME\s+ARTIFACTS\s+LOG FOLDER\s+FAILED STEP: REASON$/m);
    expect(r.stdout).toMatch(/^tiny\s+failed\s+.*fetch-iso: checksum mismatch/m);
    expect(r.stdout).toMatch(/^tiny#2\s+failed\s+.*start-vm: QEMU exited during start-up \(exit code 1\)/m);
    expect(existsSync(path.join(work, 'a'))).toBe(false);
    expect(existsSync(path.join(work, 'b'))).toBe(false);
  });

  it('Ctrl-C cancels every running build, starts no other, and leaves no QEMU, port or output folder', {timeout: 300_000}, async () => {
    const work = tmpDir();
    const out = path.join(work, 'out');
    // Three builds, two at a time: the third is still queued when Ctrl-C comes.
    const list = writeList(work, ['tiny --output out/one', 'tiny --output out/two', 'tiny --output out/three']);
    const {child, seen, until} = jsonBuild(['--list', list, '--jobs', '2'], work);
    await until((s) => qemuPids(s).size === 2 && s.filter((e) => e.type === 'step' && e.id === 'wait-ssh' && e.status === 'running').length === 2, 'both builds waited for SSH');
    const pids = qemuPids(seen);
    for (const pid of pids.values()) expect(running(pid)).toBe(true);
    const ports = seen.filter((e) => e.type === 'info' && (e.key === 'ssh' || e.key === 'vnc' || e.key === 'http')).map((e) => Number(/:(\d+)/.exec(String(e.value))![1]));
    expect(ports.length).toBe(6);
    // Two builds running side by side never share a port.
    expect(new Set(ports).size).toBe(6);
    child.kill('SIGINT');
    const r = await child;
    expect(r.exitCode, r.stderr).toBe(130);
    expect(r.stderr).toContain('SIGINT: cancelling 2 running builds and cleaning up');
    for (const [build, pid] of pids) expect(running(pid), `QEMU of ${build}`).toBe(false);
    for (const p of ports) expect(await portListening(p), `port ${p}`).toBe(false);
    // No output folder, whole or half-written (work folders are removed by the cleanup too).
    expect(existsSync(out) ? readdirSync(out) : []).toEqual([]);
    const evs = events(r.stdout);
    const summary = evs.find((e) => e.type === 'summary') as {status: string; exitCode: number; builds: {build: string; result: string; reason?: string}[]} | undefined;
    expect(summary).toMatchObject({status: 'cancelled', exitCode: 130});
    expect(summary!.builds.map((x) => `${x.build}:${x.result}`)).toEqual(['tiny:cancelled', 'tiny#2:cancelled', 'tiny#3:not started']);
    // Every child event says which build it belongs to; each child cleaned up after itself.
    expect(evs.filter((e) => e.type === 'step').every((e) => typeof e.build === 'string')).toBe(true);
    expect(evs.filter((e) => e.type === 'build' && e.status === 'cancelled').map((e) => e.build).sort()).toEqual(['tiny', 'tiny#2']);
  });

  it('a second Ctrl-C stops every build at once, even with its VM hung: no QEMU is left, no output folder written', {timeout: 300_000}, async () => {
    const work = tmpDir();
    const list = writeList(work, ['tiny --output out/one', 'tiny --output out/two']);
    const {child, seen, until} = jsonBuild(['--list', list, '--jobs', '2'], work);
    await until((s) => qemuPids(s).size === 2, 'both QEMUs started');
    const pids = qemuPids(seen);
    // Two VMs that hang: frozen, they never answer the clean-up's "quit", so the builds are still
    // cleaning up when the second Ctrl-C comes (and only SIGKILL, "stop at once", ends them).
    for (const pid of pids.values()) process.kill(pid, 'SIGSTOP');
    let r;
    let left: string[] = [];
    try {
      let stderr = '';
      child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      child.kill('SIGINT');
      for (let i = 0; i < 200 && !stderr.includes('cancelling 2 running builds'); i++) await new Promise((res) => setTimeout(res, 50));
      child.kill('SIGINT');
      r = await child;
    } finally {
      // Whatever is left is recorded (and asserted below), then stopped: ours, never left behind.
      left = [...pids].filter(([, pid]) => running(pid)).map(([build, pid]) => `${build}: QEMU ${pid}`);
      for (const pid of pids.values()) if (running(pid)) process.kill(pid, 'SIGKILL');
    }
    expect(r.exitCode, r.stderr).toBe(130);
    expect(r.stderr).toContain('SIGINT again: stopping 2 builds at once');
    expect(left).toEqual([]);
    expect(existsSync(path.join(work, 'out', 'one'))).toBe(false);
    expect(existsSync(path.join(work, 'out', 'two'))).toBe(false);
    const evs = events(r.stdout);
    const summary = evs.find((e) => e.type === 'summary') as {builds: {result: string}[]} | undefined;
    expect(summary?.builds.map((b) => b.result)).toEqual(['cancelled', 'cancelled']);
    // Each child got the second SIGINT itself (its stderr, as --json passes it on).
    const stopped = evs.filter((e) => e.type === 'log' && e.stream === 'stderr' && /SIGINT again: stopped at once/.test(String(e.line))).map((e) => e.build);
    expect(stopped.sort()).toEqual(['tiny', 'tiny#2']);
  });
});

function writeList(dir: string, lines: string[]): string {
  const f = path.join(dir, 'list');
  writeFileSync(f, `${lines.join('\n')}\n`);
  return f;
}
