/**
 * Pure formatters of the workbench: widths and truncation (rows never wrap), log-line
 * sanitising (raw escape sequences would corrupt the screen), clocks, Info-pane facts.
 */
import stringWidth from 'string-width';
import {describe, expect, it} from 'vitest';
import {
  displayWidth,
  fit,
  fitStart,
  formatBytes,
  formatClock,
  highlight,
  infoRows,
  sanitizeLine,
  sshCommand,
  STEP_ICON,
  topBorder,
  truncate,
  vncAddress,
} from '../../src/tui/format.js';

describe('widths', () => {
  it.each([
    ['plain', 5],
    ['', 0],
    ['日本語', 6],
    ['e\u0301', 1],
    ['✔ ✖ ▶ ⏸ ○ ⊘ ●', 13],
  ])('displayWidth(%j) = %d, as ink (string-width) counts it', (s, w) => {
    expect(displayWidth(s)).toBe(w);
    expect(stringWidth(s)).toBe(w);
  });

  it.each([
    ['hello world', 5, 'hell…'],
    ['hello', 5, 'hello'],
    ['hello', 0, ''],
    ['hello', 1, '…'],
    ['日本語テキスト', 7, '日本語…'],
  ])('truncate(%j, %d) = %j', (s, w, want) => {
    expect(truncate(s, w)).toBe(want);
    expect(displayWidth(truncate(s, w))).toBeLessThanOrEqual(w);
  });

  it('fit pads or cuts to exactly the width', () => {
    expect(fit('ab', 4)).toBe('ab  ');
    expect(fit('abcdef', 4)).toBe('abc…');
    expect(fitStart('ab', 4)).toBe('  ab');
    expect(displayWidth(fit('日本語', 5))).toBe(5);
  });

  it('topBorder is exactly as wide as asked, title or not', () => {
    for (const w of [2, 10, 28, 80]) {
      expect(displayWidth(topBorder(w, 'Steps 3/12'))).toBe(w);
      expect(displayWidth(topBorder(w, ''))).toBe(w);
    }
    expect(topBorder(16, 'Steps')).toBe('╭─ Steps ──────╮');
  });

  it('step icons are one cell each', () => {
    for (const icon of Object.values(STEP_ICON)) expect(stringWidth(icon)).toBe(1);
  });
});

describe('sanitizeLine', () => {
  it.each([
    ['plain text', 'plain text'],
    ['\x1b[32m[  OK  ]\x1b[0m Started getty', '[  OK  ] Started getty'],
    ['\x1b[1;31mred\x1b[m and \x1b]0;title\x07 osc', 'red and  osc'],
    ['\x1b(B\x1b=charset', 'charset'],
    ['progress 10%\rprogress 50%\rprogress 100%', 'progress 100%'],
    ['crlf line\r', 'crlf line'],
    ['a\tb', 'a       b'],
    ['12345678\tx', '12345678        x'],
    ['bell\x07 nul\x00 del\x7f', 'bell nul del'],
    ['\x1b[2J\x1b[Hclear', 'clear'],
  ])('%j → %j', (raw, want) => {
    expect(sanitizeLine(raw)).toBe(want);
  });
});

describe('highlight', () => {
  it('cuts a row into plain and matching parts (smart case)', () => {
    expect(highlight('eth0 up, ETH1 down', 'eth')).toEqual([
      {text: 'eth', match: true},
      {text: '0 up, ', match: false},
      {text: 'ETH', match: true},
      {text: '1 down', match: false},
    ]);
    expect(highlight('eth0 up, ETH1 down', 'ETH')).toEqual([
      {text: 'eth0 up, ', match: false},
      {text: 'ETH', match: true},
      {text: '1 down', match: false},
    ]);
    expect(highlight('abc', undefined)).toEqual([{text: 'abc', match: false}]);
  });
});

describe('clocks and sizes', () => {
  it.each([
    [0, '00:00'],
    [59_999, '00:59'],
    [61_000, '01:01'],
    [3_600_000 + 62_000, '1:01:02'],
    [-5, '00:00'],
  ])('formatClock(%d) = %s', (ms, want) => expect(formatClock(ms)).toBe(want));

  it.each([
    [512, '512 B'],
    [2048, '2.0 KiB'],
    [734_003_200, '700 MiB'],
  ])('formatBytes(%d) = %s', (n, want) => expect(formatBytes(n)).toBe(want));
});

describe('Info pane facts', () => {
  it('the VNC address from the engine fact or the controller fact', () => {
    expect(vncAddress({vnc: 'vnc://127.0.0.1:5901 (display :1) — viewers may attach at any time'})).toBe('vnc://127.0.0.1:5901');
    expect(vncAddress({VNC: 'vnc://127.0.0.1:5907 (display :7)'})).toBe('vnc://127.0.0.1:5907');
    expect(vncAddress({vnc: '127.0.0.1:5902'})).toBe('vnc://127.0.0.1:5902');
    expect(vncAddress({})).toBeUndefined();
  });

  it('an ssh command line: as the controller states it, or made from the port and user', () => {
    const full = 'ssh -p 2222 -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null root@127.0.0.1';
    expect(sshCommand({ssh: full})).toBe(full);
    expect(sshCommand({ssh: '127.0.0.1:3333', ssh_username: 'vagrant'})).toBe('ssh -p 3333 -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null vagrant@127.0.0.1');
    expect(sshCommand({ssh: '127.0.0.1:3333', 'ssh user': 'u', 'ssh key': '/tmp/k'})).toBe('ssh -p 3333 -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -i /tmp/k u@127.0.0.1');
    expect(sshCommand({})).toBeUndefined();
  });

  it('well-known facts first with fixed labels, the rest after, artifacts last', () => {
    const rows = infoRows({
      profile: 'tiny',
      facts: {zeta: 'z', 'log dir': '/l', vnc: 'vnc://127.0.0.1:5901 (display :1)', VNC: 'vnc://127.0.0.1:5901 (display :1)', 'QEMU pid': '42', accelerator: 'KVM', 'output dir': '/o', ssh: '127.0.0.1:2222'},
      artifacts: [{path: '/o/t.qcow2', format: 'qcow2', bytes: 2048}],
    });
    expect(rows.map((r) => r.label)).toEqual(['profile', 'VNC', 'ssh', 'QEMU pid', 'accelerator', 'output dir', 'log dir', 'zeta', 'artifact']);
    expect(rows.find((r) => r.label === 'ssh')!.value).toMatch(/^ssh -p 2222 .* root@127\.0\.0\.1$/);
    expect(rows.at(-1)!.value).toBe('/o/t.qcow2 (qcow2, 2.0 KiB)');
  });
});
