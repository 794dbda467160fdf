/**
 * The Log pane's ring and filtered views: O(1) push with a hard memory bound, seq addressing,
 * incremental filters that look at each line once, smart-case search.
 */
import {describe, expect, it} from 'vitest';
import {findAll, inSection, LogRing, LogViews, matcher, RingFilter, ringList, type NewLogLine} from '../../src/tui/log-ring.js';
import type {LogLine} from '../../src/tui/types.js';

const line = (text: string, extra: Partial<NewLogLine> = {}): NewLogLine => ({time: 0, source: 'qemu', stream: 'stdout', line: text, ...extra});

describe('LogRing', () => {
  it('numbers lines from 1 and keeps the newest `capacity`', () => {
    const r = new LogRing(3);
    expect([r.length, r.total, r.dropped, r.firstSeq]).toEqual([0, 0, 0, 1]);
    for (const t of ['a', 'b', 'c', 'd', 'e']) r.push(line(t));
    expect([r.length, r.total, r.dropped, r.firstSeq]).toEqual([3, 5, 2, 3]);
    expect([0, 1, 2].map((i) => r.at(i)?.line)).toEqual(['c', 'd', 'e']);
    expect(r.at(3)).toBeUndefined();
    expect(r.at(-1)).toBeUndefined();
    expect(r.bySeq(2)).toBeUndefined();
    expect(r.bySeq(3)?.line).toBe('c');
    expect(r.bySeq(5)).toMatchObject({seq: 5, line: 'e'});
    expect(r.bySeq(6)).toBeUndefined();
  });

  it('rejects a capacity that is not a positive integer', () => {
    expect(() => new LogRing(0)).toThrow(RangeError);
    expect(() => new LogRing(1.5)).toThrow(RangeError);
  });

  it('1,000,000 pushes: length stays at capacity, every line is counted, old lines are gone', () => {
    const r = new LogRing();
    const before = process.memoryUsage().heapUsed;
    for (let i = 1; i <= 1_000_000; i++) r.push(line(`line ${i} ${'x'.repeat(60)}`));
    expect(r.capacity).toBe(10_000);
    expect(r.length).toBe(10_000);
    expect(r.total).toBe(1_000_000);
    expect(r.dropped).toBe(990_000);
    expect(r.at(0)?.seq).toBe(990_001);
    expect(r.bySeq(1)).toBeUndefined();
    expect(r.bySeq(1_000_000)?.line).toMatch(/^line 1000000 /);
    // 10,000 lines of ~80 bytes stay far below this, however many were pushed (1M lines ≈ 150 MB).
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(60 * 1024 * 1024);
  });
});

describe('RingFilter', () => {
  it('looks at each line once: updates scan only what was pushed since', () => {
    const r = new LogRing(100);
    let calls = 0;
    const f = new RingFilter(r, (l) => (calls++, l.source === 'http'));
    for (let i = 0; i < 50; i++) r.push(line(`q${i}`, {source: i % 5 === 0 ? 'http' : 'qemu'}));
    f.update();
    expect(calls).toBe(50);
    expect(f.length).toBe(10);
    f.update();
    expect(calls).toBe(50);
    r.push(line('h', {source: 'http'}));
    f.update();
    expect(calls).toBe(51);
    expect(f.seqAt(f.length - 1)).toBe(51);
  });

  it('forgets dropped lines and never looks at lines dropped between updates', () => {
    const r = new LogRing(10);
    let calls = 0;
    const f = new RingFilter(r, () => (calls++, true));
    for (let i = 0; i < 5; i++) r.push(line(`${i}`));
    f.update();
    for (let i = 0; i < 100; i++) r.push(line(`${i}`));
    f.update();
    expect(calls).toBe(15);
    expect(f.length).toBe(10);
    expect(f.seqAt(0)).toBe(r.firstSeq);
    expect(f.indexOfSeq(r.firstSeq + 3)).toBe(3);
    expect(f.indexOfSeq(1)).toBe(0);
    expect(f.indexOfSeq(r.total + 1)).toBe(10);
  });

  it('stays bounded over a long run (compaction)', () => {
    const r = new LogRing(1000);
    const f = new RingFilter(r, () => true);
    for (let i = 0; i < 200_000; i++) {
      r.push(line('x'));
      if (i % 97 === 0) f.update();
    }
    f.update();
    expect(f.length).toBe(1000);
    expect((f as unknown as {seqs: number[]}).seqs.length).toBeLessThanOrEqual(3000);
  });

  it('honours a seq range', () => {
    const r = new LogRing(100);
    for (let i = 1; i <= 20; i++) r.push(line(`${i}`));
    const f = new RingFilter(r, () => true, {fromSeq: 5, toSeq: 8});
    r.push(line('21'));
    f.update();
    expect(Array.from({length: f.length}, (_, i) => f.seqAt(i))).toEqual([5, 6, 7, 8]);
  });

  it('ringList addresses the whole ring without copying', () => {
    const r = new LogRing(4);
    const l = ringList(r);
    for (let i = 0; i < 6; i++) r.push(line(`${i}`));
    expect(l.length).toBe(4);
    expect(l.seqAt(0)).toBe(3);
    expect(l.indexOfSeq(5)).toBe(2);
    expect(l.indexOfSeq(1)).toBe(0);
    expect(l.indexOfSeq(100)).toBe(4);
  });
});

describe('search helpers', () => {
  it.each([
    ['Network is down, network again', 'network', [0, 17]],
    ['Network is down, network again', 'Network', [0]],
    ['aaaa', 'aa', [0, 2]],
    ['abc', '', []],
    ['abc', 'x', []],
  ])('findAll(%j, %j) = %j (smart case)', (text, q, want) => {
    expect(findAll(text, q)).toEqual(want);
    expect(matcher(q)(text)).toBe(want.length > 0);
  });

  it('inSection matches the section and the ones nested in it', () => {
    const l = (section?: string[]): LogLine => ({seq: 1, time: 0, source: 'provisioner', stream: 'stdout', line: '', section});
    expect(inSection(l(['a', 'b']), ['a'])).toBe(true);
    expect(inSection(l(['a']), ['a'])).toBe(true);
    expect(inSection(l(['ab']), ['a'])).toBe(false);
    expect(inSection(l([]), ['a'])).toBe(false);
    expect(inSection(l(undefined), ['a'])).toBe(false);
  });

  it('LogViews keeps and catches up the lists it built', () => {
    const r = new LogRing(100);
    const v = new LogViews();
    r.push(line('boot', {source: 'serial'}));
    const serial = v.list(r, 'serial');
    expect(serial.length).toBe(1);
    r.push(line('more', {source: 'serial'}));
    expect(v.list(r, 'serial')).toBe(serial);
    expect(serial.length).toBe(2);
    expect(v.list(r, 'all')).toBe(v.list(r, 'all'));
    expect(v.matches(r, 'all', 'MORE').length).toBe(0);
    expect(v.matches(r, 'all', 'more').length).toBe(1);
    // A new build brings a new ring: nothing of the old one is reused.
    const r2 = new LogRing(100);
    expect(v.list(r2, 'serial').length).toBe(0);
  });
});
