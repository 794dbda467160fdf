/**
 * `vmbench build --console`'s crash guard, in a real terminal (tmux, its own server socket):
 * an uncaught exception, and a signal nobody in vmbench handles (SIGQUIT), must leave the
 * terminal usable — raw mode off, the alternate screen left, the cursor shown. The faults are
 * injected from outside vmbench's code: a module preloaded with --import throws (or reports
 * the PID) when the test creates a file. A QEMU the dead process could not stop is looked up by
 * its unique work path and stopped here, by PID.
 */
import {existsSync, rmSync, writeFileSync, readFileSync} from 'node:fs';
import path from 'node:path';
import {execa} from 'execa';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {assertBuilt, BIN, CACHE, processAlive, tinyProfileCopy, tmpDir, tmuxServer} from './helpers.js';

const server = tmuxServer(`vmbench-crash-${process.pid}`);
const work = tmpDir();
const inject = path.join(work, 'inject.mjs');
writeFileSync(
  inject,
  `import {existsSync, writeFileSync} from 'node:fs';
const dir = process.env.CRASH_DIR;
writeFileSync(dir + '/pid', String(process.pid));
const t = setInterval(() => { if (existsSync(dir + '/throw')) { clearInterval(t); throw new Error('injected crash'); } }, 100);
t.unref();
`,
);
beforeAll(() => assertBuilt());
afterAll(async () => {
  await server.kill();
  rmSync(work, {recursive: true, force: true});
});

/** Run a console build in a tmux session; after it ends the shell shows its status and the tty's modes. */
async function consoleBuild(name: string) {
  const dir = path.join(work, name);
  const out = path.join(work, `out-${name}`);
  const profile = tinyProfileCopy((y) => y.replace('provisioners:\n', 'provisioners:\n  - type: shell\n    inline: ["sleep 600"]\n'));
  writeFileSync(path.join(work, `${name}.sh`), `mkdir -p ${dir}\nenv -u CI CRASH_DIR=${dir} XDG_STATE_HOME=${dir}/state node --import ${inject} ${BIN} build ${profile} --console --output ${out} --cache-dir ${CACHE}\necho VMBENCH-EXIT=$?\nstty -a | tr ' ;' '\\n\\n' | grep -x -- '-\\?icanon' | sed 's/^/TTY-/'\nsleep 600\n`);
  const started = await server.tmux('new-session', '-d', '-x', '100', '-y', '30', '-s', name, `sh ${work}/${name}.sh`);
  expect(started.exitCode, started.stderr).toBe(0);
  // The console view is up (its title row), so the terminal is raw and on the alternate screen.
  await server.waitForScreen(name, (s) => /^ vmbench tiny ·/.test(s.split('\n')[0] ?? '') && existsSync(`${dir}/pid`), 'the console view');
  const modes = async () => (await server.tmux('display-message', '-p', '-t', name, '#{alternate_on} #{cursor_flag}')).stdout.trim();
  expect(await modes()).toBe('1 0');
  const pid = Number(readFileSync(`${dir}/pid`, 'utf8'));
  return {dir, out, pid, modes};
}

/** QEMUs of this build that outlived it (its work folder is beside `out`), stopped here by PID. */
async function stopLeftovers(out: string): Promise<number[]> {
  const ps = await execa('ps', ['-eo', 'pid=,args='], {reject: false});
  const pids = ps.stdout.split('\n').filter((l) => l.includes(`${path.basename(out)}.vmbench`) && /qemu-system/.test(l)).map((l) => Number(l.trim().split(/\s+/)[0]));
  for (const p of pids) process.kill(p, 'SIGKILL');
  return pids;
}

describe('vmbench build --console: the terminal survives a crash', () => {
  it('an uncaught exception restores the terminal (raw off, main screen, cursor shown)', {timeout: 90_000}, async () => {
    const b = await consoleBuild('throw');
    writeFileSync(`${b.dir}/throw`, '');
    const end = await server.waitForScreen('throw', (s) => s.includes('TTY-'), 'the crashed build to end', 30_000);
    expect(end).toContain('injected crash');
    expect(end).toMatch(/VMBENCH-EXIT=[1-9]/);
    expect(end).toContain('TTY-icanon');
    expect(await b.modes()).toBe('0 1');
    expect(processAlive(b.pid)).toBe(false);
    expect(await stopLeftovers(b.out)).toEqual([]); // the build's own exit hook stopped its QEMU
  });

  it('a signal vmbench does not handle (SIGQUIT) restores the terminal and still ends the process', {timeout: 90_000}, async () => {
    const b = await consoleBuild('quit');
    process.kill(b.pid, 'SIGQUIT');
    const end = await server.waitForScreen('quit', (s) => s.includes('TTY-'), 'the quit build to end', 30_000);
    expect(end).toMatch(/VMBENCH-EXIT=131/);
    expect(end).toContain('TTY-icanon');
    expect(await b.modes()).toBe('0 1');
    await stopLeftovers(b.out);
  });
});
