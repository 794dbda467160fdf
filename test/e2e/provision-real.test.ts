/**
 * Provisioning against the tiny guest's real dropbear: nested sections, a reboot-like
 * disconnect (the guest's sshd is killed and restarted, dropping our session) that the next
 * provisioner reconnects after, and a failing section that the build names when it fails.
 */
import {existsSync, readFileSync, rmSync} from 'node:fs';
import path from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {assertBuilt, CACHE, events, processAlive, runCli, tinyProfileCopy, tmpDir} from './helpers.js';

const work = tmpDir();
afterAll(() => rmSync(work, {recursive: true, force: true}));
beforeAll(() => assertBuilt());

const PROVISIONERS = `provisioners:
  - type: shell
    name: reboot
    expect_disconnect: true
    start_retry_timeout: 1m
    inline:
      - echo BEGIN{reboot}
      - touch /tmp/before-reboot
      # Like a reboot for SSH: every dropbear (ours included) dies, a new one listens 2 s later.
      - "setsid sh -c 'sleep 1; killall dropbear; sleep 2; dropbear -R -p 22 -P /run/dropbear.pid' </dev/null >/dev/null 2>&1 &"
      - echo END{reboot}
      - sleep 60
  - type: shell
    name: checks
    inline:
      - echo BEGIN{outer}
      - echo BEGIN{after-reboot}
      - test -f /tmp/before-reboot && echo "same guest, new connection"
      - echo END{after-reboot}
      - echo BEGIN{broken}
      - echo "about to fail" >&2
      - "false"
      - echo END{broken}
      - echo END{outer}
`;

describe('provisioning over real SSH (tiny guest, dropbear)', () => {
  it('reconnects after a reboot-like disconnect and names the failing section', {timeout: 120_000}, async () => {
    const profile = tinyProfileCopy((y) => y.replace(/^provisioners:\n(?: {2}.*\n)+/m, PROVISIONERS));
    const out = path.join(work, 'out');
    const logDir = path.join(work, 'logs');
    const r = await runCli(['build', profile, '--json', '--output', out, '--log-dir', logDir, '--cache-dir', CACHE]);
    expect(r.exitCode, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/build failed at provision: checks exited with code 1 in section outer\/broken after/);

    const evs = events(r.stdout);
    const logs = evs.filter((e) => e.type === 'log') as Array<{source: string; stream: string; line: string; section?: string[]}>;
    expect(logs.some((l) => /reboot: connection closed as expected/.test(l.line))).toBe(true);
    expect(logs.some((l) => l.source === 'ssh' && /^reconnecting over SSH on 127\.0\.0\.1:\d+/.test(l.line))).toBe(true);
    // The second script ran on the same guest over a new connection, in its section.
    const back = logs.find((l) => l.line === 'same guest, new connection');
    expect(back?.section).toEqual(['outer', 'after-reboot']);
    expect(logs.find((l) => l.line === 'about to fail')).toMatchObject({stream: 'stderr', section: ['outer', 'broken']});

    const doc = JSON.parse(readFileSync(path.join(logDir, 'sections.json'), 'utf8')) as {sections: Array<{name: string; status: string; children: Array<{name: string; status: string; lines: {stderr: number}}>}>};
    expect(doc.sections.map((s) => `${s.name}:${s.status}`)).toEqual(['reboot:ok', 'outer:incomplete']);
    expect(doc.sections[1]!.children.map((s) => `${s.name}:${s.status}`)).toEqual(['after-reboot:ok', 'broken:failed']);
    expect(doc.sections[1]!.children[1]!.lines.stderr).toBe(1);

    // The saved log reads back into the same tree.
    const tree = await runCli(['sections', path.join(logDir, 'build.log')]);
    expect(tree.exitCode).toBe(0);
    expect(tree.stdout).toMatch(/✔ reboot/);
    expect(tree.stdout).toMatch(/ {2}✖ broken .*failed/);

    // Nothing left behind: no output directory, no QEMU.
    expect(existsSync(out)).toBe(false);
    const pid = logs.map((l) => /QEMU running \(pid (\d+)/.exec(l.line)?.[1]).find(Boolean);
    expect(pid).toBeDefined();
    expect(processAlive(Number(pid))).toBe(false);
  });
});
