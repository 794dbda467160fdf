/**
 * Real builds of the tiny profile: real QEMU (TCG here), real VNC typing into isolinux's
 * boot: prompt, the guest fetching its config from our HTTP server, real dropbear over SSH,
 * and a real image read back afterwards.
 */
import {existsSync, readdirSync, readFileSync, rmSync} from 'node:fs';
import path from 'node:path';
import {execa} from 'execa';
import {PNG} from 'pngjs';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {assertBuilt, BIN, CACHE, events, portListening, processAlive, runCli, stepRunning, tinyProfileCopy, tmpDir, watchBuild} from './helpers.js';

const work = tmpDir();
afterAll(() => rmSync(work, {recursive: true, force: true}));
beforeAll(() => assertBuilt());

describe('vmbench build tiny (real QEMU)', () => {
  it('builds an image whose disk holds what the provisioner wrote (stepping with --debug)', {timeout: 240_000}, async () => {
    const marker = `e2e-${Date.now()}`;
    const out = path.join(work, 'out-ok');
    const stateHome = tmpDir('vmbench-state-');
    const child = execa('node', [BIN, 'build', 'tiny', '--json', '--debug', '--output', out, '--cache-dir', CACHE, '--var', `marker=${marker}`], {
      reject: false,
      env: {CI: 'true', XDG_STATE_HOME: stateHome},
      stdin: 'pipe',
    });
    const shot = path.join(work, 'screen.png');
    let shotResult: Awaited<ReturnType<typeof runCli>> | undefined;
    // --debug pauses before every step until Enter: answer each prompt, checking that the
    // step had not started before its prompt was answered.
    let stdoutSoFar = '';
    child.stdout!.on('data', (d: Buffer) => (stdoutSoFar += d.toString()));
    const prompts: string[] = [];
    const early: string[] = [];
    child.stderr!.on('data', (d: Buffer) => {
      for (const m of d.toString().matchAll(/paused before ([\w-]+)/g)) {
        const id = m[1]!;
        prompts.push(id);
        if (events(stdoutSoFar).some((e) => e.type === 'step' && e.id === id && e.status === 'running')) early.push(id);
        if (id === 'wait-ssh') {
          // While the build is paused with its VM up, another vmbench takes a screenshot over VNC.
          void runCli(['screenshot', '-o', shot], {XDG_STATE_HOME: stateHome}).then((r) => {
            shotResult = r;
            child.stdin!.write('\n');
          });
        } else child.stdin!.write('\n');
      }
    });
    const r = await child;
    expect(early).toEqual([]);
    expect(shotResult?.exitCode, shotResult?.all).toBe(0);
    const png = PNG.sync.read(readFileSync(shot));
    expect([png.width, png.height]).toEqual([720, 400]);
    // Every pause with a VM running left a screenshot next to the build log.
    const logDir = /logs in (\S+)/.exec(r.stderr)?.[1];
    // The build must have ended well; if not, its own words say why.
    expect(logDir, r.stderr).toBeDefined();
    expect(readdirSync(path.join(logDir!, 'screenshots')).filter((f) => /^\d+-before-(type-boot-command|wait-ssh|provision|clear-keys|shutdown)\.png$/.test(f))).toHaveLength(5);
    expect(prompts).toEqual(['fetch-iso', 'prepare-output', 'create-disk', 'ssh-key', 'serve-http', 'start-vm', 'type-boot-command', 'wait-ssh', 'provision', 'clear-keys', 'shutdown', 'convert', 'records']);
    const evs = events(r.stdout);
    expect(r.exitCode, r.stderr).toBe(0);

    // --json means every stdout line is one JSON event (the artifact path is an event too).
    expect(r.stdout.split('\n').filter(Boolean).every((l) => l.startsWith('{'))).toBe(true);
    expect(evs.filter((e) => e.type === 'artifact' && e.format !== 'manifest' && !String(e.path).endsWith('SUMS')).map((e) => e.path)).toEqual([path.join(out, 'tiny.qcow2')]);
    // Every step ran, in Packer's order, and finished.
    const done = evs.filter((e) => e.type === 'step' && e.status === 'done').map((e) => e.id);
    expect(done).toEqual(['fetch-iso', 'prepare-output', 'create-disk', 'ssh-key', 'serve-http', 'start-vm', 'type-boot-command', 'wait-ssh', 'provision', 'clear-keys', 'shutdown', 'convert', 'records']);
    const logs = evs.filter((e) => e.type === 'log') as Array<{source: string; line: string; stream: string}>;
    // The guest fetched its config over HTTP (the typed URL reached the kernel command line).
    expect(logs.some((l) => l.source === 'http' && /GET \/tiny\.cfg → 200/.test(l.line))).toBe(true);
    expect(logs.some((l) => l.source === 'serial' && l.line.includes('vmbench-tiny'))).toBe(true);
    // Provisioning output streamed line by line, with its sections.
    expect(logs.some((l) => l.source === 'provisioner' && l.line.startsWith('BEGIN{'))).toBe(true);
    // …saved as a section tree beside the build log, and followed live as section events.
    const doc = JSON.parse(readFileSync(path.join(logDir!, 'sections.json'), 'utf8')) as {sections: Array<{name: string; status: string; children: Array<{name: string; status: string}>}>};
    expect(doc.sections.map((x) => `${x.name}:${x.status}`)).toEqual(['system:ok']);
    expect(doc.sections[0]!.children.map((x) => `${x.name}:${x.status}`)).toEqual(['disk:ok']);
    expect(evs.filter((e) => e.type === 'section' && e.event === 'end').map((e) => (e.path as string[]).join('/'))).toEqual(['system/disk', 'system']);
    // The temporary key tiny.cfg installed was removed before shutdown (ssh_clear_authorized_keys).
    expect(logs.some((l) => /removed 1 line\(s\) with the temporary key from .*authorized_keys/.test(l.line))).toBe(true);

    // The artifact: exactly one image in the output directory, no work directory left over.
    const image = path.join(out, 'tiny.qcow2');
    expect(readdirSync(out).sort()).toEqual(['.vmbench-output', 'SHA256SUMS', 'manifest.json', 'tiny.qcow2']);
    expect(readdirSync(work).filter((f) => f.includes('.vmbench-'))).toEqual([]);
    const info = JSON.parse((await execa('qemu-img', ['info', '--output=json', image])).stdout) as {format: string};
    expect(info.format).toBe('qcow2');
    const raw = path.join(work, 'tiny.raw');
    await execa('qemu-img', ['convert', '-O', 'raw', image, raw]);
    expect(readFileSync(raw).includes(Buffer.from(`VMBENCH_TINY_MARKER ${marker}`))).toBe(true);
    rmSync(raw);
  });

  it('pauses after each of boot_steps under --debug, and abort there cleans up', {timeout: 90_000}, async () => {
    const profile = tinyProfileCopy((y) =>
      y.replace(
        /boot_command:\n  - .*\n/,
        `boot_steps:\n  - ['<waitFor "boot:" 1m>', 'Wait for the isolinux prompt']\n  - ['tiny url=http://{{ .HTTPIP }}:{{ .HTTPPort }}/tiny.cfg<enter>', 'Boot the kernel']\n`,
      ),
    );
    const out = path.join(work, 'out-steps');
    const child = execa('node', [BIN, 'build', profile, '--json', '--debug', '--output', out, '--cache-dir', CACHE], {
      reject: false,
      env: {CI: 'true', XDG_STATE_HOME: tmpDir('vmbench-state-')},
      stdin: 'pipe',
    });
    const pauses: string[] = [];
    child.stderr!.on('data', (d: Buffer) => {
      for (const m of d.toString().matchAll(/paused (?:before ([\w-]+)|in type-boot-command after "([^"]+)")/g)) {
        pauses.push(m[1] ?? m[2]!);
        // Abort at the pause after the kernel line was typed: the VM is up and booting then.
        child.stdin!.write(m[2] === 'Boot the kernel' ? 'a\n' : '\n');
      }
    });
    const r = await child;
    expect(pauses).toEqual(['fetch-iso', 'prepare-output', 'create-disk', 'ssh-key', 'serve-http', 'start-vm', 'type-boot-command', 'Wait for the isolinux prompt', 'Boot the kernel']);
    expect(r.exitCode).toBe(130);
    const typed = events(r.stdout).filter((e) => e.type === 'log' && String(e.line).startsWith('boot step done'));
    expect(typed.map((e) => e.line)).toEqual(['boot step done: Wait for the isolinux prompt', 'boot step done: Boot the kernel']);
    expect(existsSync(out)).toBe(false);
  });

  it('refuses to overwrite an existing output directory without --force', {timeout: 60_000}, async () => {
    const out = path.join(work, 'out-ok');
    expect(existsSync(out)).toBe(true);
    const r = await runCli(['build', 'tiny', '--plain', '--output', out, '--cache-dir', CACHE]);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/build failed at prepare-output: output directory .* already exists/);
    expect(r.stderr).toContain('--force');
    expect(readdirSync(out).sort()).toEqual(['.vmbench-output', 'SHA256SUMS', 'manifest.json', 'tiny.qcow2']);
  });

  it('fails on a wrong checksum before anything boots', {timeout: 60_000}, async () => {
    const profile = tinyProfileCopy((y) => y.replace('iso_checksum: none', `iso_checksum: sha256:${'0'.repeat(64)}`));
    const out = path.join(work, 'out-badsum');
    const r = await runCli(['build', profile, '--json', '--output', out, '--cache-dir', CACHE]);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/build failed at fetch-iso: checksum mismatch/);
    const started = events(r.stdout).filter((e) => e.type === 'step' && e.status === 'running').map((e) => e.id);
    expect(started).toEqual(['fetch-iso']);
    expect(existsSync(out)).toBe(false);
  });

  it('reports QEMU dying at start-up with its own error message', {timeout: 60_000}, async () => {
    const profile = tinyProfileCopy((y) => y.replace('["-device", "virtio-rng-pci"]', '["-device", "no-such-device-model"]'));
    const out = path.join(work, 'out-qemu-dies');
    const r = await runCli(['build', profile, '--plain', '--output', out, '--cache-dir', CACHE]);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/build failed at start-vm: QEMU exited during start-up \(exit code 1\)/);
    // QEMU's own words, not just "it failed".
    expect(r.stdout).toMatch(/no-such-device-model/);
    expect(existsSync(out)).toBe(false);
  });

  it('explains a wrong SSH password as an auth failure, not a bare timeout', {timeout: 180_000}, async () => {
    const profile = tinyProfileCopy((y) =>
      y.replace('ssh_password: "{{ user `ssh_password` }}"', 'ssh_password: not-the-password\nssh_handshake_attempts: 3'),
    );
    const out = path.join(work, 'out-auth');
    const r = await runCli(['build', profile, '--plain', '--output', out, '--cache-dir', CACHE]);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/build failed at wait-ssh: .*auth/i);
    expect(r.stderr).not.toMatch(/timed out/i);
    expect(r.all).not.toContain('not-the-password');
    expect(existsSync(out)).toBe(false);
    // The failure left a picture of the VM's screen and its serial console next to the log.
    const logDir = /logs: (\S+)/.exec(r.stderr)?.[1];
    expect(readdirSync(path.join(logDir!, 'screenshots'))).toEqual([expect.stringMatching(/^\d+-failed-wait-ssh\.png$/)]);
    expect(readFileSync(path.join(logDir!, 'serial.log'), 'utf8')).toContain('vmbench-tiny: sshd ready');
  });

  it('Ctrl-C mid-build leaves no QEMU, no listening port and no output', {timeout: 180_000}, async () => {
    const out = path.join(work, 'out-sigint');
    const state = tmpDir('vmbench-state-');
    const w = watchBuild(['tiny', '--output', out, '--cache-dir', CACHE], {XDG_STATE_HOME: state});
    const {child, ports} = w;
    // Interrupt while the guest boots and vmbench waits for its sshd.
    await w.when(stepRunning('wait-ssh'));
    const qemuPid = w.qemuPid();
    expect(qemuPid).toBeGreaterThan(0);
    expect(processAlive(qemuPid)).toBe(true);
    child.kill('SIGINT');
    const r = await child;
    expect(r.exitCode).toBe(130);
    expect(r.stderr).toContain('cancelled');
    expect(processAlive(qemuPid)).toBe(false);
    expect(ports.length).toBeGreaterThanOrEqual(3);
    for (const p of ports) expect(await portListening(p), `port ${p}`).toBe(false);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(work).filter((f) => f.includes('out-sigint'))).toEqual([]);
  });
});
