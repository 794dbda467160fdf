import {describe, expect, it} from 'vitest';
import {formatDuration, parseDuration, parseDurationPrecise} from '../../src/util/duration.js';

describe('parseDuration', () => {
  it.each([
    ['0', 0],
    ['-0', 0],
    ['+0', 0],
    ['0s', 0],
    ['300ms', 300],
    ['1s', 1000],
    ['1.5s', 1500],
    ['.5s', 500],
    ['1.s', 1000],
    ['5m', 300_000],
    ['1m20s', 80_000],
    ['1m30s', 90_000],
    ['2h', 7_200_000],
    ['2h45m', 9_900_000],
    ['1.5h', 5_400_000],
    ['1h2m3s4ms', 3_723_004],
    ['-1.5s', -1500],
    ['+5s', 5000],
    ['10us', 0],
    ['1500us', 2],
    ['1500µs', 2], // U+00B5 micro sign
    ['1500μs', 2], // U+03BC Greek mu, also accepted by Go
    ['-1500us', -2],
    ['2499999ns', 2],
    ['10000s', 10_000_000],
  ])('%s → %i ms', (s, ms) => {
    expect(parseDuration(s)).toBe(ms);
  });

  it('keeps sub-millisecond precision in parseDurationPrecise', () => {
    expect(parseDurationPrecise('10us')).toBeCloseTo(0.01, 10);
    expect(parseDurationPrecise('1ms500us')).toBeCloseTo(1.5, 10);
  });

  it.each([
    ['', 'empty'],
    ['-', 'empty'],
    ['5', 'missing unit after "5"'],
    ['00', 'missing unit'],
    ['1m20', 'missing unit after "20"'],
    ['1d', 'unknown unit "d"'],
    ['5sec', 'unknown unit "sec"'],
    ['5 s', 'unknown unit " s"'],
    ['s', 'expected a number at "s"'],
    ['.s', 'expected a number'],
    ['1s-1ms', 'unknown unit "s-"'],
    ['1e3s', 'unknown unit "e"'],
    ['3000000h', 'too large'],
  ])('%j is rejected (%s)', (s, why) => {
    expect(() => parseDuration(s)).toThrow(why);
    expect(() => parseDuration(s)).toThrow(`invalid duration ${JSON.stringify(s)}`);
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0ms'],
    [1, '1ms'],
    [850, '850ms'],
    [999.4, '999ms'],
    [999.6, '1.0s'],
    [1000, '1.0s'],
    [12_345, '12.3s'],
    [59_949, '59.9s'],
    [59_960, '1m00s'],
    [60_000, '1m00s'],
    [125_000, '2m05s'],
    [3_599_400, '59m59s'],
    [3_600_000, '1h00m00s'],
    [3_725_000, '1h02m05s'],
    [-850, '-850ms'],
    [-125_000, '-2m05s'],
  ])('%d ms → %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it.each([NaN, Infinity, -Infinity])('rejects %d', (ms) => {
    expect(() => formatDuration(ms)).toThrow(RangeError);
  });

  it('round-trips what it prints through parseDuration to the shown precision', () => {
    expect(parseDuration(formatDuration(125_000))).toBe(125_000);
    expect(parseDuration(formatDuration(3_725_000))).toBe(3_725_000);
    expect(parseDuration(formatDuration(12_345))).toBe(12_300);
  });
});
