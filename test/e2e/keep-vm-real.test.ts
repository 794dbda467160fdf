/**
 * A VM kept on purpose (real QEMU, the tiny profile with a provisioner that fails): with
 * --on-error=abort vmbench says how to reach it and exits at once (it used to hang on QEMU's
 * pipes), the guest runs on, the next `vmbench build` leaves it alone (it used to SIGKILL it as
 * "left behind"), `vmbench ps` lists it and `vmbench stop` ends it, ports and socket folder too.
 */
import {existsSync, readdirSync, readFileSync} from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import {execa} from 'execa';
import {beforeAll, describe, expect, it} from 'vitest';
import {assertBuilt, BIN, CACHE, portListening, processAlive, tinyProfileCopy, tmpDir} from './helpers.js';

beforeAll(() => assertBuilt());

/** The first bytes the guest's sshd sends through QEMU's forward: proof the guest itself runs. */
function sshBanner(port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect({host: '127.0.0.1', port});
    let got = '';
    const done = (): void => (s.destroy(), resolve(got));
    s.setTimeout(15_000, done);
    s.on('data', (d: Buffer) => {
      got += d.toString('latin1');
      if (got.includes('\n')) done();
    });
    s.on('error', done);
  });
}

describe('a kept VM (real QEMU)', () => {
  it('--on-error=abort: vmbench exits 1 at once, the VM runs on, the next build spares it, ps lists it, stop ends it', {timeout: 240_000}, async () => {
    const failing = tinyProfileCopy((y) => y.replace(/^(provisioners:\n)/m, '$1  - type: shell\n    inline: ["echo failing on purpose; exit 3"]\n'));
    const state = tmpDir('vmbench-state-');
    const work = tmpDir();
    const env = {CI: 'true', XDG_STATE_HOME: state, XDG_CACHE_HOME: path.join(state, 'cache')};
    const cli = (args: string[], timeout = 120_000) => execa('node', [BIN, ...args], {reject: false, env, stdin: 'ignore', timeout});

    // Without the fix vmbench printed "keeping everything" and never exited: the timeout kills it.
    const r = await cli(['build', failing, '--plain', '--on-error=abort', '--output', path.join(work, 'out'), '--cache-dir', CACHE], 180_000);
    expect(r.timedOut, r.stderr).toBe(false);
    expect(r.exitCode, r.stderr).toBe(1);
    expect(r.stderr).toContain('build failed at provision: inline exited with code 3');
    const m = /QEMU pid (\d+) keeps running: VNC 127\.0\.0\.1:(\d+) \(password \w+\), SSH 127\.0\.0\.1:(\d+)\n {2}list it: vmbench ps · stop it: vmbench stop (\w+)/.exec(r.stderr);
    expect(m, r.stderr).not.toBeNull();
    const [qemuPid, vncPort, sshPort] = [Number(m![1]), Number(m![2]), Number(m![3])];
    const id = m![4]!;
    expect(processAlive(qemuPid)).toBe(true);
    expect(await sshBanner(sshPort)).toMatch(/^SSH-2\.0-dropbear/);
    expect(await portListening(vncPort)).toBe(true);

    const ps = JSON.parse((await cli(['ps', '--json'])).stdout) as Array<Record<string, unknown>>;
    expect(ps).toEqual([expect.objectContaining({id, profile: 'tiny', state: 'kept', pid: qemuPid, ssh: {host: '127.0.0.1', port: sshPort}, vnc: expect.objectContaining({port: vncPort})})]);
    expect((await cli(['ps'])).stdout).toMatch(new RegExp(`^${id}\\s+tiny\\s+kept\\s+${qemuPid}\\s`, 'm'));

    // The next build runs the reaper first: it must leave the kept VM alone.
    const broken = tinyProfileCopy((y) => y.replace(/^iso_build: .*$/m, 'iso_url: file:///nonexistent/none.iso'));
    const next = await cli(['build', broken, '--plain', '--output', path.join(work, 'out2'), '--cache-dir', path.join(work, 'cache')]);
    expect(next.exitCode, next.stderr).toBe(1);
    expect(next.stderr).not.toContain('left behind');
    expect(processAlive(qemuPid)).toBe(true);

    const record = JSON.parse(readFileSync(path.join(state, 'vmbench', 'run', `qemu-${qemuPid}.json`), 'utf8')) as {workDir: string; socketDir: string};
    expect(existsSync(record.socketDir)).toBe(true);
    const stop = await cli(['stop', id]);
    expect(stop.exitCode, stop.stderr).toBe(0);
    expect(stop.stdout).toMatch(new RegExp(`stopped kept VM ${id} \\(tiny, QEMU pid ${qemuPid}, by QMP quit\\); its files stay in `));
    expect(processAlive(qemuPid)).toBe(false);
    expect(await portListening(sshPort)).toBe(false);
    expect(await portListening(vncPort)).toBe(false);
    expect(readdirSync(path.join(state, 'vmbench', 'run')).filter((f) => f.startsWith('qemu-'))).toEqual([]);
    // Its socket folder goes; its files stay (the user kept them); nothing is listed any more.
    expect(existsSync(record.socketDir)).toBe(false);
    expect(existsSync(path.join(record.workDir, 'disk.qcow2'))).toBe(true);
    expect((await cli(['ps'])).stdout).toMatch(/^no running builds and no kept VMs/);
    expect((await cli(['stop', id])).exitCode).toBe(1);
  });
});
