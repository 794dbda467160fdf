import {describe, expect, it, vi} from 'vitest';
import {LineSplitter} from '../../src/util/lines.js';

function split(chunks: Array<string | Buffer>, idle = 0): string[] {
  const lines: string[] = [];
  const s = new LineSplitter((l) => lines.push(l), idle);
  for (const c of chunks) s.push(c);
  s.flush();
  return lines;
}

describe('LineSplitter', () => {
  it.each([
    ['one chunk', ['a\nb\n'], ['a', 'b']],
    ['a line cut in two', ['ab', 'c\nd', 'e\n'], ['abc', 'de']],
    ['CRLF', ['a\r\nb\r', '\n'], ['a', 'b']],
    ['a final line without newline', ['x\ny'], ['x', 'y']],
    ['empty lines kept', ['\n\na\n'], ['', '', 'a']],
  ])('%s', (_n, chunks, expected) => expect(split(chunks)).toEqual(expected));

  it('keeps a UTF-8 character split across chunks whole', () => {
    const bytes = Buffer.from('é€\n');
    expect(split([bytes.subarray(0, 1), bytes.subarray(1, 3), bytes.subarray(3)])).toEqual(['é€']);
  });

  it('delivers a prompt without newline after the idle time, once', () => {
    vi.useFakeTimers();
    const lines: string[] = [];
    const s = new LineSplitter((l) => lines.push(l), 250);
    s.push('boot: ');
    vi.advanceTimersByTime(249);
    expect(lines).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(lines).toEqual(['boot: ']);
    s.push('tiny\n');
    s.flush();
    vi.useRealTimers();
    expect(lines).toEqual(['boot: ', 'tiny']);
  });
});
