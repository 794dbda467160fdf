/**
 * Packer's options every provisioner has (pause_before, max_retries, timeout), the shell-local
 * provisioner running real commands on this host, and the breakpoint's checkpoint.
 */
import {existsSync, readFileSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import type {BuildState} from '../../src/engine/state.js';
import {StepError, type CheckpointKind, type StepContext} from '../../src/engine/step.js';
import {runProvisioner} from '../../src/engine/steps/provision.js';
import {runWithOptions} from '../../src/engine/steps/provisioners/run-options.js';
import {flattenedEnvVars, sprintf} from '../../src/engine/steps/provisioners/shell-local.js';
import {parseProfile} from '../../src/profiles/loader.js';
import type {Provisioner} from '../../src/profiles/schema.js';
import {scratchDirs} from '../support/scratch.js';

const fresh = scratchDirs('vmbench-prov-opts-');

function setup(yaml: string, opts: {checkpoint?: (label: string, kind?: CheckpointKind) => Promise<boolean>} = {}) {
  const dir = fresh('p');
  const profile = parseProfile(`iso_url: /x.iso\nssh_username: root\nprovisioners:\n${yaml}`, path.join(dir, 'profile.yaml'), 'tiny');
  const logs: string[] = [];
  const abort = new AbortController();
  const state = {id: 'b1', profile, profileDir: dir, options: {force: false, cacheDir: dir, logDir: '', env: {PATH: process.env.PATH}, cwd: dir}, outputDir: path.join(dir, 'out'), artifacts: []} as unknown as BuildState;
  const ctx: StepContext<BuildState> = {
    state,
    signal: abort.signal,
    stepId: 'provision',
    log: (source, stream, line) => logs.push(`${source}/${stream}: ${line}`),
    progress: () => undefined,
    emit: () => undefined,
    checkpoint: (label, o) => opts.checkpoint?.(label, o?.kind) ?? Promise.resolve(false),
  };
  return {dir, ctx, logs, abort, provisioners: profile.provisioners};
}

const run = (s: ReturnType<typeof setup>, p: Provisioner = s.provisioners[0]!) => runWithOptions(s.ctx, p, runProvisioner);
const out = (logs: string[]): string[] => logs.filter((l) => l.startsWith('provisioner/stdout: ')).map((l) => l.slice(20));

describe('max_retries', () => {
  it('runs a failing provisioner again until it succeeds, saying how many tries are left', async () => {
    const s = setup(`  - type: shell-local\n    max_retries: 3\n    inline:\n      - 'n=$(cat count 2>/dev/null || echo 0); n=$((n+1)); echo $n > count; echo "try $n"; [ $n -ge 3 ]'\n`);
    await run(s);
    expect(out(s.logs)).toEqual(['try 1', 'try 2', 'try 3']);
    expect(s.logs.filter((l) => l.includes('retrying'))).toEqual([
      expect.stringMatching(/^vmbench\/warn: shell-local failed: shell-local exited with code 1 after .*; retrying \(3 tries left\)$/),
      expect.stringMatching(/retrying \(2 tries left\)$/),
    ]);
  });

  it('gives up after max_retries more tries, failing with the last error', async () => {
    const s = setup(`  - type: shell-local\n    max_retries: 1\n    inline: ['echo once >> tries; exit 4']\n`);
    await expect(run(s)).rejects.toThrow(/exited with code 4/);
    expect(readFileSync(path.join(s.dir, 'tries'), 'utf8')).toBe('once\nonce\n');
    expect(s.logs).toContainEqual('vmbench/warn: shell-local: failed 2 times: retry limit (max_retries 1) reached');
  });

  it('does not retry what the user cancelled', async () => {
    const s = setup(`  - type: shell-local\n    max_retries: 5\n    inline: ['echo started > started; exec sleep 30']\n`);
    const p = run(s);
    await waitFor(() => existsSync(path.join(s.dir, 'started')));
    s.abort.abort(new Error('Ctrl-C'));
    await expect(p).rejects.toThrow('Ctrl-C');
    expect(s.logs.some((l) => l.includes('retrying'))).toBe(false);
  });
});

describe('timeout', () => {
  it('kills the whole process group of a command that runs too long, and fails the attempt', async () => {
    const s = setup(`  - type: shell-local\n    timeout: 500ms\n    inline: ['sleep 300 & echo $! > bg.pid; echo $$ > sh.pid; wait']\n`);
    const started = Date.now();
    await expect(run(s)).rejects.toThrow(/^shell-local \(.*profile\.yaml:4:5\) timed out after 500ms$/);
    expect(Date.now() - started).toBeLessThan(5000);
    for (const f of ['bg.pid', 'sh.pid']) {
      const pid = Number(readFileSync(path.join(s.dir, f), 'utf8'));
      await waitFor(() => !running(pid), `${f} ${pid} to be gone`);
    }
    expect(s.logs.some((l) => /stopping shell-local's \/bin\/sh \(process group \d+\)/.test(l))).toBe(true);
  });

  it('counts pause_before against it, as Packer nests them', async () => {
    const s = setup(`  - type: shell-local\n    pause_before: 10s\n    timeout: 300ms\n    inline: ['touch ran']\n`);
    await expect(run(s)).rejects.toThrow(/timed out after 300ms/);
    expect(existsSync(path.join(s.dir, 'ran'))).toBe(false);
  });

  it('a timed-out attempt is retried', async () => {
    const s = setup(`  - type: shell-local\n    timeout: 400ms\n    max_retries: 1\n    inline: ['if [ -e first ]; then echo second; else touch first; exec sleep 30; fi']\n`);
    await run(s);
    expect(out(s.logs)).toEqual(['second']);
    expect(s.logs.some((l) => /shell-local failed: shell-local \(.*\) timed out after 400ms; retrying \(1 try left\)/.test(l))).toBe(true);
  });
});

describe('pause_before', () => {
  it('waits before each attempt', async () => {
    const s = setup(`  - type: shell-local\n    pause_before: 200ms\n    inline: ['date +%s%N > ran']\n`);
    const before = Date.now();
    await run(s);
    const ranAt = Number(readFileSync(path.join(s.dir, 'ran'), 'utf8')) / 1e6;
    expect(ranAt - before).toBeGreaterThanOrEqual(190);
    expect(s.logs).toContainEqual('vmbench/info: shell-local: pausing 200ms before it runs (pause_before)');
  });
});

describe("the shell provisioner's pause_after", () => {
  it('waits after the provisioner ran well, within the attempt; not after a failure', async () => {
    const s = setup(`  - type: shell\n    inline: ['true']\n    pause_after: 200ms\n`);
    let ranAt = 0;
    await runWithOptions(s.ctx, s.provisioners[0]!, async () => void (ranAt = Date.now()));
    expect(Date.now() - ranAt).toBeGreaterThanOrEqual(190);
    expect(s.logs).toContainEqual('vmbench/info: shell: pausing 200ms after it ran (pause_after)');
    const f = setup(`  - type: shell\n    inline: ['true']\n    pause_after: 1h\n`);
    await expect(runWithOptions(f.ctx, f.provisioners[0]!, () => Promise.reject(new Error('script failed')))).rejects.toThrow('script failed');
    expect(f.logs.some((l) => l.includes('pause_after'))).toBe(false);
  });
});

describe('shell-local provisioner', () => {
  it("passes Packer's variables through {{.Vars}}, sorted, quoted, env winning over environment_vars", async () => {
    const s = setup(`  - type: shell-local
    environment_vars: ["B=it's", "A=1", "C=x"]
    env: {C: "from env", D: "{{ .Host }}:{{ .User }}"}
    inline: ['echo "$A|$B|$C|$D|$PACKER_BUILD_NAME|$PACKER_BUILDER_TYPE"', 'echo "$0"']
`);
    await run(s);
    const [line, script] = out(s.logs);
    expect(line).toBe("1|it's|from env|127.0.0.1:root|tiny|qemu");
    // The inline script lived in a private temporary directory, removed afterwards.
    expect(script).toMatch(/\/vmbench-shell-local-\w+\/packer-shell$/);
    expect(existsSync(path.dirname(script!))).toBe(false);
  });

  it('runs scripts relative to the profile, with a custom execute_command', async () => {
    const s = setup(`  - type: shell-local\n    scripts: [a.sh, b.sh]\n    execute_command: ["/bin/sh", "-c", "{{.Vars}} sh {{.Script}} extra"]\n`);
    writeFileSync(path.join(s.dir, 'a.sh'), 'echo "a $1 $PACKER_BUILD_NAME"\n');
    writeFileSync(path.join(s.dir, 'b.sh'), 'echo "b $1"\n');
    await run(s);
    expect(out(s.logs)).toEqual(['a extra tiny', 'b extra']);
  });

  it('accepts valid_exit_codes, names a missing script, and skips other OSes', async () => {
    const ok = setup(`  - type: shell-local\n    valid_exit_codes: [0, 7]\n    inline: ['exit 7']\n`);
    await run(ok);
    const missing = setup(`  - type: shell-local\n    script: nope.sh\n`);
    await expect(run(missing)).rejects.toThrow(/profile\.yaml:4:5: script \S+\/nope\.sh: no such file/);
    const other = setup(`  - type: shell-local\n    only_on: [darwin, windows]\n    inline: ['touch ran']\n`);
    await run(other);
    expect(existsSync(path.join(other.dir, 'ran'))).toBe(false);
    expect(other.logs).toContainEqual('vmbench/info: shell-local: skipped: only_on is darwin, windows, this host runs linux');
  });

  it.each([
    ["%s='%s' ", {A: "it'\"'\"'s"}, `A='it'"'"'s' `],
    ['%s=%s;', {A: '1', B: '2'}, 'A=1;B=2;'],
  ])('formats {{.Vars}} with %j', (format, vars, expected) => {
    expect(flattenedEnvVars({environment_vars: [], env: {}, env_var_format: format}, vars)).toBe(expected);
    expect(sprintf('%s-%%-%s', 'a')).toBe('a-%-%!s(MISSING)');
  });
});

describe('breakpoint provisioner', () => {
  it('pauses at a breakpoint checkpoint with its note', async () => {
    const seen: [string, CheckpointKind | undefined][] = [];
    const s = setup(`  - type: breakpoint\n    note: check the disk\n`, {checkpoint: async (label, kind) => (seen.push([label, kind]), true)});
    await run(s);
    expect(seen).toEqual([['breakpoint: check the disk', 'breakpoint']]);
    expect(s.logs).toContainEqual('vmbench/info: pausing at breakpoint with note "check the disk"');
  });

  it('says why it did not pause when nobody steps the build, and goes on', async () => {
    const s = setup(`  - type: breakpoint\n`);
    await run(s);
    expect(s.logs.at(-1)).toMatch(/^vmbench\/warn: breakpoint \(.*profile\.yaml:4:5\) did not pause: nobody is stepping this build; run it with --debug, or in the workbench, to stop here$/);
  });

  it('with disable: true, only says so', async () => {
    let asked = false;
    const s = setup(`  - type: breakpoint\n    disable: true\n    note: n\n`, {checkpoint: async () => (asked = true)});
    await run(s);
    expect(asked).toBe(false);
    expect(s.logs).toEqual(['vmbench/info: breakpoint with note "n" disabled; continuing']);
  });
});

/** Whether a process runs (a zombie waiting for init to reap it has stopped running). */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2));
  } catch {
    return false;
  }
}

/** Poll until `pred` holds (no fixed sleep); fails after 5 s. */
async function waitFor(pred: () => boolean, what = 'condition'): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!pred()) {
    if (Date.now() > deadline) throw new StepError(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
