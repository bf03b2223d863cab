import { formatSummary, percentOf, summarize } from '../../bench/stats';

describe('bench statistics', () => {
  test('the median of an odd sample is its middle value, whatever the order', () => {
    expect(summarize([9, 1, 5])).toEqual({ n: 3, median: 5, min: 1, max: 9 });
  });

  test('the median of an even sample is the mean of the two middle values', () => {
    expect(summarize([4, 1, 3, 2])).toEqual({ n: 4, median: 2.5, min: 1, max: 4 });
  });

  test('an empty sample has no summary', () => {
    expect(() => summarize([])).toThrow(/empty/);
  });

  test('formats medians with their range and n, in seconds or milliseconds', () => {
    expect(formatSummary(summarize([9810, 9520, 10200]), 's')).toBe('9.81 s (9.52–10.20, n=3)');
    expect(formatSummary(summarize([101.4, 94, 143]), 'ms')).toBe('101 ms (94–143, n=3)');
    expect(formatSummary(summarize([10930]), 's')).toBe('10.93 s (n=1)');
  });

  test('percentages have one decimal', () => {
    expect(percentOf(74, 500)).toBe('14.8%');
  });
});
