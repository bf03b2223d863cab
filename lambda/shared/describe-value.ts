/** A received value in a log message: strings quoted and cut, other types named. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'missing';
  if (value === null) return 'null';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 80 ? `${value.slice(0, 79)}…` : value)}`;
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}
