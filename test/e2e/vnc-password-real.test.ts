/**
 * Nobody let in, against real QEMU: by default the VM's VNC server asks for the build's random
 * password (RFB security type 2 only, no "None"), the --json info event gives it to the user's
 * own viewer, a client without it is refused, and `vmbench screenshot` from another process
 * gets it from the build's registry record (owner-only). A vnc_bind_address this host does not
 * have is a one-line error naming the field, not "no free port".
 */
import {readdirSync, readFileSync, statSync} from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import {execa} from 'execa';
import {beforeAll, describe, expect, it} from 'vitest';
import {connectVnc} from '../../src/vnc/vnc-client.js';
import {assertBuilt, BIN, CACHE, events, processAlive, runCli, tinyProfileCopy, tmpDir} from './helpers.js';

beforeAll(() => assertBuilt());

/** The security types a VNC server offers (RFB 3.8 handshake, read by hand). */
function securityTypes(port: number): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const s = net.connect({host: '127.0.0.1', port});
    let buf = Buffer.alloc(0);
    let greeted = false;
    s.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (!greeted && buf.length >= 12) {
        greeted = true;
        s.write('RFB 003.008\n');
        buf = buf.subarray(12);
      }
      if (greeted && buf.length >= 1 && buf.length >= 1 + buf[0]!) {
        s.destroy();
        resolve([...buf.subarray(1, 1 + buf[0]!)]);
      }
    });
    s.on('error', reject);
  });
}

describe('VNC of a real build', () => {
  it('asks for the per-build password, which the info event and the registry give to the user’s own viewers', {timeout: 180_000}, async () => {
    const profile = tinyProfileCopy((y) => y.replace('provisioners:\n', 'provisioners:\n  - type: shell\n    inline: ["sleep 600"]\n'));
    const state = tmpDir('vmbench-state-');
    const work = tmpDir();
    const child = execa('node', [BIN, 'build', profile, '--json', '--output', path.join(work, 'out'), '--cache-dir', CACHE], {reject: false, env: {CI: 'true', XDG_STATE_HOME: state}, stdin: 'ignore'});
    let stdout = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    const deadline = Date.now() + 150_000;
    while (!events(stdout.slice(0, stdout.lastIndexOf('\n') + 1)).some((e) => e.type === 'step' && e.id === 'provision' && e.status === 'running')) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`never reached provisioning:\n${stdout.slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const evs = events(stdout.slice(0, stdout.lastIndexOf('\n') + 1));
    const info = String(evs.find((e) => e.type === 'info' && e.key === 'vnc')?.value);
    const m = /^vnc:\/\/127\.0\.0\.1:(\d+) \(display :\d+, password ([0-9A-Za-z]{8})\)/.exec(info);
    expect(m, info).not.toBeNull();
    const [port, password] = [Number(m![1]), m![2]!];
    try {
      expect(await securityTypes(port)).toEqual([2]); // VNC authentication only: no "None"
      await expect(connectVnc({host: '127.0.0.1', port}, {timeoutMs: 5000})).rejects.toThrow();
      await expect(connectVnc({host: '127.0.0.1', port}, {timeoutMs: 5000, password: password.replace(/^./, (c) => (c === 'x' ? 'y' : 'x'))})).rejects.toThrow();
      const vnc = await connectVnc({host: '127.0.0.1', port}, {timeoutMs: 15_000, password});
      expect(vnc.width).toBeGreaterThan(0);
      vnc.close();
      // Another process finds the password in the build's registry record, readable by its owner only.
      const runDir = path.join(state, 'vmbench', 'run');
      const rec = readdirSync(runDir).find((f) => /^build-.*\.json$/.test(f))!;
      expect(statSync(path.join(runDir, rec)).mode & 0o777).toBe(0o600);
      expect(JSON.parse(readFileSync(path.join(runDir, rec), 'utf8')).vnc).toMatchObject({port, password});
      const shot = await runCli(['screenshot', '-o', path.join(work, 'shot.png')], {XDG_STATE_HOME: state});
      expect(shot.exitCode, shot.all).toBe(0);
      expect(statSync(path.join(work, 'shot.png')).size).toBeGreaterThan(0);
    } finally {
      child.kill('SIGINT');
    }
    const r = await child;
    expect(r.exitCode).toBe(130);
    const qemuPid = Number(/QEMU running \(pid (\d+)/.exec(stdout)?.[1]);
    expect(processAlive(qemuPid)).toBe(false);
  });

  it('a vnc_bind_address this host does not have fails with one line naming the field', {timeout: 120_000}, async () => {
    const profile = tinyProfileCopy((y) => `${y}\nvnc_bind_address: 192.0.2.1\n`);
    const r = await runCli(['build', profile, '--json', '--output', path.join(tmpDir(), 'out'), '--cache-dir', CACHE]);
    const failed = events(r.stdout).find((e) => e.type === 'step' && e.status === 'failed');
    expect(failed?.id, r.stderr).toBe('start-vm');
    expect(failed?.error).toBe("vnc_bind_address 192.0.2.1 is not an address of this host (EADDRNOTAVAIL): use 127.0.0.1 (the default) or one of this host's own addresses");
    expect(r.exitCode).toBe(1);
    expect(r.stderr.split('\n')[0]).toBe(`vmbench: build failed at start-vm: ${failed?.error}`);
  });
});
