/**
 * Terminal cell widths come from string-width / get-east-asian-width (what ink lays rows out
 * with): emoji and CJK in logs take the cells a terminal gives them, clusters are never cut, and
 * a pane row is never wider than its pane.
 */
import {render} from 'ink-testing-library';
import stringWidth from 'string-width';
import {describe, expect, it} from 'vitest';
import {LogRing, LogViews} from '../../src/tui/log-ring.js';
import {LogPane} from '../../src/tui/LogPane.js';
import {fit, truncate} from '../../src/tui/format.js';
import {initialView} from '../../src/tui/view-state.js';
import {codePointWidth, displayWidth, isPrintableAscii, sliceToWidth} from '../../src/util/cell-width.js';

const FAMILY = '👨‍👩‍👧';
const FLAG = '🇩🇪';
const KEYCAP = '1️⃣';

describe('codePointWidth', () => {
  it.each([
    ['a', 1],
    ['\t', 0],
    ['\x7f', 0],
    ['\u0301', 0], // combining acute
    ['\u200d', 0], // zero-width joiner
    ['\ufe0f', 0], // variation selector 16
    ['\u00e9', 1],
    ['─', 1],
    ['…', 1],
    ['✔', 1], // text-presentation dingbat
    ['日', 2],
    ['한', 2],
    ['Ａ', 2], // fullwidth
    ['😀', 2],
    ['🚀', 2], // transport block: outside the old hand-written ranges
    ['☔', 2], // BMP emoji with emoji presentation
    ['🤖', 2],
  ])('%j → %d', (ch, w) => {
    expect(codePointWidth(ch.codePointAt(0)!)).toBe(w);
    // On its own, a code point is as wide as string-width says.
    if (w > 0) expect(stringWidth(ch)).toBe(w);
  });
});

describe('displayWidth', () => {
  it.each([
    ['plain ascii', 11],
    ['', 0],
    ['日本語', 6],
    ['e\u0301', 1],
    [FAMILY, 2],
    [FLAG, 2],
    [KEYCAP, 2],
    ['🚀 launch', 9],
    ['[  OK  ] Started 🔥 日本 service', 32],
  ])('%j → %d, as ink counts it', (s, w) => {
    expect(displayWidth(s)).toBe(w);
    expect(stringWidth(s)).toBe(w);
  });

  it('keeps the ASCII fast path', () => {
    expect(isPrintableAscii('GET /preseed.cfg HTTP/1.1 200')).toBe(true);
    expect(isPrintableAscii('naïve')).toBe(false);
  });
});

describe('agrees with string-width', () => {
  it('code point by code point, over the BMP and the emoji and CJK planes', () => {
    const off: string[] = [];
    for (const [from, to] of [[0, 0xd7ff], [0xe000, 0xffff], [0x1f000, 0x1faff], [0x20000, 0x2a6df], [0xe0000, 0xe01ef]] as const) {
      for (let cp = from; cp <= to; cp++) {
        const sw = Math.min(2, stringWidth(String.fromCodePoint(cp)));
        if (codePointWidth(cp) !== sw) off.push(`U+${cp.toString(16)}: ${codePointWidth(cp)} vs ${sw}`);
      }
    }
    expect(off.slice(0, 10)).toEqual([]);
  });

  it('on random lines of letters, CJK, emoji, joiners, flags, accents and tones', () => {
    const pool = ['a', ' ', 'é', 'e\u0301', '日', '한', '\u1100\u1161', 'Ａ', '😀', '🚀', '✔', '☔', '❤\ufe0f', '\u200d', '👍🏽', '🇩', '🇪', '1\ufe0f\u20e3', '\u0e33', '─', '\u00ad', '\u0600', 'ก\u0e31', 'ﾞ', '🏽', '\u11a8', '\u1100', '가', '\u3099', '\r', '\n'];
    let seed = 42;
    const rand = (n: number): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    for (let k = 0; k < 3000; k++) {
      let s = '';
      for (let n = rand(20) + 1; n > 0; n--) s += pool[rand(pool.length)];
      expect(displayWidth(s), JSON.stringify(s)).toBe(stringWidth(s));
      const cells = rand(12);
      const cut = sliceToWidth(s, cells);
      expect(stringWidth(cut.text), JSON.stringify([s, cells])).toBe(cut.width);
      expect(cut.width).toBeLessThanOrEqual(cells);
      // Nothing more would have fitted: the next cluster is wider than the cells left.
      const next = [...new Intl.Segmenter().segment(s.slice(cut.text.length))][0]?.segment;
      if (next !== undefined && cells > 0) expect(cut.width + stringWidth(next), JSON.stringify([s, cells])).toBeGreaterThan(cells);
    }
  });
});

describe('sliceToWidth', () => {
  it.each([
    ['hello', 3, 'hel', 3],
    ['日本語', 3, '日', 2],
    [`a${FAMILY}b`, 3, `a${FAMILY}`, 3],
    [`a${FAMILY}b`, 2, 'a', 1],
    [`${FLAG}${FLAG}`, 3, FLAG, 2],
    ['cafe\u0301s', 4, 'cafe\u0301', 4],
    ['x', 0, '', 0],
  ])('%j in %d cells → %j (%d)', (s, cells, text, width) => {
    expect(sliceToWidth(s, cells)).toEqual({text, width});
  });

  it('truncate and fit never cut a cluster and never overflow', () => {
    for (const s of [`${FAMILY}${FAMILY}${FAMILY}`, `${FLAG} ok ${KEYCAP}`, '🚀'.repeat(40), 'e\u0301'.repeat(30), '日本語テキスト']) {
      for (let w = 1; w <= 12; w++) {
        const t = truncate(s, w);
        expect(stringWidth(t), `${s} @${w}`).toBeLessThanOrEqual(w);
        expect(stringWidth(fit(s, w)), `${s} @${w}`).toBe(w);
        // A cut string is a prefix of whole clusters followed by the ellipsis.
        const body = t.endsWith('…') && t !== s ? t.slice(0, -1) : t;
        expect(s.startsWith(body)).toBe(true);
        expect(body.endsWith('\u200d')).toBe(false);
      }
    }
  });
});

describe('the Log pane with emoji and CJK', () => {
  it('every row is exactly the pane wide', () => {
    const ring = new LogRing(100);
    const lines = ['🚀'.repeat(80), `cloud-init ${FAMILY} ${FLAG} done`, '日本語のログ行'.repeat(10), `mixed ☔ ascii ${'x'.repeat(70)}`, 'e\u0301'.repeat(90)];
    for (const line of lines) ring.push({time: 0, source: 'serial', stream: 'stdout', line});
    const views = new LogViews();
    const r = render(<LogPane ring={ring} version={ring.total} list={views.list(ring, 'all')} view={initialView().log} width={60} height={8} />);
    const rows = r.lastFrame()!.split('\n');
    const shown = rows.filter((l) => /🚀|日本|☔|cloud-init|é/.test(l.normalize('NFC')));
    expect(shown).toHaveLength(lines.length);
    for (const l of rows) expect(stringWidth(l)).toBeLessThanOrEqual(60);
    r.unmount();
  });
});
