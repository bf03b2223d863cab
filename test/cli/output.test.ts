import { cell, formatAge, formatAgo, formatJson, formatSection, formatTable, indent } from '../../lib/cli/output';

const NOW = new Date('2026-03-15T12:00:00Z');
const before = (seconds: number) => new Date(NOW.getTime() - seconds * 1000);

describe('formatTable', () => {
  test('pads every column to its widest cell, two spaces apart, without trailing blanks', () => {
    // WHEN
    const table = formatTable(['VERSION', 'APPROVAL', 'NOTE'], [['12', 'PendingManualApproval', ''], ['3', 'Approved', 'ok']]);
    // THEN
    expect(table).toBe(['VERSION  APPROVAL               NOTE', '12       PendingManualApproval', '3        Approved               ok', ''].join('\n'));
  });

  test('is empty without rows, so a section reads (none)', () => {
    // WHEN / THEN
    expect(formatTable(['A', 'B'], [])).toBe('');
    expect(formatSection('Metadata', formatTable(['A', 'B'], []))).toBe('Metadata\n  (none)\n');
  });
});

describe('formatSection and indent', () => {
  test('indents the body under the title and leaves empty lines empty', () => {
    // WHEN / THEN
    expect(formatSection('Endpoint', 'InService\n\nserving 2\n')).toBe('Endpoint\n  InService\n\n  serving 2\n');
    expect(indent('a\nb\n')).toBe('  a\n  b\n');
  });
});

describe('formatAge and formatAgo', () => {
  test.each([
    [0, '0s'],
    [59, '59s'],
    [60, '1m'],
    [3599, '59m'],
    [3600, '1h'],
    [86_399, '23h'],
    [86_400, '1d'],
    [90 * 86_400, '90d'],
    // a clock slightly behind the service's timestamps
    [-5, '0s'],
  ])('%i seconds ago is %s', (seconds, age) => {
    // WHEN / THEN
    expect(formatAge(before(seconds), NOW)).toBe(age);
  });

  test('a missing time is a dash', () => {
    // WHEN / THEN
    expect(formatAge(undefined, NOW)).toBe('-');
    expect(formatAgo(null, NOW)).toBe('-');
    expect(formatAgo(before(7200).toISOString(), NOW)).toBe('2h ago');
  });
});

test('formatJson indents and ends in a newline; cell shows nothing as a dash', () => {
  // WHEN / THEN
  expect(formatJson({ a: [1] })).toBe('{\n  "a": [\n    1\n  ]\n}\n');
  expect([cell(undefined), cell(null), cell(''), cell(0), cell('x')]).toEqual(['-', '-', '-', '0', 'x']);
});
