/**
 * The fedora-coreos profile hands Ignition its config through QEMU's fw_cfg, as an inline
 * `string=` whose commas are doubled for QEMU's option parser. This starts the real QEMU with
 * the profile's qemuargs as vmbench renders them at VM start (paused: nothing boots) and reads
 * the fw_cfg item back through its I/O ports, as the guest's firmware interface would: the bytes
 * must be the intended JSON, with single commas and vmbench's HTTP address in the merge source.
 * And the same value with single commas is refused by QEMU — the doubling is what makes it work.
 */
import path from 'node:path';
import {execa, type ResultPromise} from 'execa';
import {afterEach, describe, expect, it} from 'vitest';
import {renderQemuArgs} from '../../src/engine/build-fields.js';
import {loadProfile} from '../../src/profiles/loader.js';
import {connectQmp, type QmpClient} from '../../src/qemu/qmp.js';
import {scratchDirs} from '../support/scratch.js';

const QEMU = 'qemu-system-x86_64';
const ITEM = 'opt/com.coreos/config';
const fresh = scratchDirs('vmbench-fwcfg-');
const started: ResultPromise[] = [];
afterEach(async () => {
  for (const p of started.splice(0)) {
    p.kill('SIGKILL');
    await p.catch(() => undefined);
  }
});

/** A paused x86 VM (no disks, no network) with `extra` on its command line, and its QMP. */
async function pausedVm(extra: string[]): Promise<{qmp: QmpClient; proc: ResultPromise}> {
  const sock = path.join(fresh('qmp'), 'qmp.sock');
  const proc = execa(QEMU, ['-S', '-nodefaults', '-display', 'none', '-machine', 'pc,accel=tcg', '-m', '64', '-qmp', `unix:${sock},server=on,wait=off`, ...extra], {reject: false, all: true});
  started.push(proc);
  const exited = proc.then((r) => {
    throw new Error(`QEMU exited (${r.exitCode}): ${r.all}`);
  });
  const qmp = await Promise.race([connectQmp(sock, {timeoutMs: 20_000}), exited]);
  return {qmp, proc};
}

/** fw_cfg over its x86 I/O ports: 0x510 selects an item (16-bit write), 0x511 reads its bytes. */
async function readFwCfg(qmp: QmpClient, name: string): Promise<Buffer> {
  const hmp = (line: string): Promise<string> => qmp.execute<string>('human-monitor-command', {'command-line': line});
  const select = (key: number): Promise<string> => hmp(`o /h 0x510 0x${key.toString(16)}`);
  const read = async (n: number): Promise<Buffer> => {
    const out = Buffer.alloc(n);
    for (let i = 0; i < n; i++) {
      const m = /=\s*0x([0-9a-f]+)/i.exec(await hmp('i /b 0x511'));
      if (!m) throw new Error('unexpected HMP reply reading port 0x511');
      out[i] = parseInt(m[1]!, 16);
    }
    return out;
  };
  await select(0); // FW_CFG_SIGNATURE
  expect((await read(4)).toString('latin1')).toBe('QEMU');
  await select(0x19); // FW_CFG_FILE_DIR: u32 count, then {u32 size, u16 select, u16 reserved, char name[56]} (big-endian)
  const count = (await read(4)).readUInt32BE(0);
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    const e = await read(64);
    const entry = e.toString('latin1', 8).replace(/\0.*$/s, '');
    names.push(entry);
    if (entry === name) {
      await select(e.readUInt16BE(4));
      return read(e.readUInt32BE(0));
    }
  }
  throw new Error(`no fw_cfg item ${name} (items: ${names.join(', ')})`);
}

describe('fedora-coreos: the Ignition config in fw_cfg', () => {
  const {profile} = loadProfile(path.resolve('profiles/fedora-coreos'));
  const fields = {HTTPIP: '10.0.2.2', HTTPPort: '8473', HTTPDir: '', Name: 'fedora-coreos', OutputDir: '/tmp/out', SSHHostPort: '2222'};
  const args = renderQemuArgs(profile.qemuargs, fields);

  it('reaches the guest as the intended JSON, naming vmbench’s HTTP server', async () => {
    const group = args.find((g) => g[0] === '-fw_cfg');
    expect(group, 'the profile passes -fw_cfg').toBeDefined();
    const {qmp} = await pausedVm(args.flat());
    const bytes = await readFwCfg(qmp, ITEM);
    qmp.close();
    const text = bytes.toString('utf8');
    expect(text).not.toContain(',,');
    expect(JSON.parse(text)).toEqual({ignition: {version: '3.4.0', config: {merge: [{source: 'http://10.0.2.2:8473/config.ign'}]}}});
    // What the profile serves there is Ignition of the same spec version.
    expect(JSON.parse(profile.http_content['/config.ign']!.replace(/\{\{[^}]*\}\}/g, 'x')).ignition.version).toBe('3.4.0');
  }, 120_000);

  it('is refused by QEMU with single commas (so the doubling is needed)', async () => {
    const value = args.find((g) => g[0] === '-fw_cfg')![1]!.replaceAll(',,', ',');
    const r = await execa(QEMU, ['-S', '-nodefaults', '-display', 'none', '-machine', 'pc,accel=tcg', '-m', '64', '-fw_cfg', value], {reject: false, all: true, timeout: 30_000});
    expect(r.exitCode).not.toBe(0);
    expect(r.all).toMatch(/Invalid parameter/);
  }, 60_000);
});
