/**
 * Checks EventBridge schedule expressions the way EventBridge does at deploy time, so a bad
 * expression fails synth instead of a CloudFormation update half an hour later.
 * Rules: https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-scheduled-rule-pattern.html
 */

const RATE = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/;
const CRON = /^cron\((.*)\)$/;

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const WEEKDAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

interface CronField {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
  /** Field-specific tokens such as `L`, `W` and `#`. */
  readonly special?: RegExp;
}

const CRON_FIELDS: readonly CronField[] = [
  { name: 'minutes', min: 0, max: 59 },
  { name: 'hours', min: 0, max: 23 },
  { name: 'day-of-month', min: 1, max: 31, special: /^(L|LW|\d{1,2}W)$/ },
  { name: 'month', min: 1, max: 12, names: MONTHS },
  { name: 'day-of-week', min: 1, max: 7, names: WEEKDAYS, special: /^([1-7]|SUN|MON|TUE|WED|THU|FRI|SAT)(L|#[1-5])$|^L$/ },
  { name: 'year', min: 1970, max: 2199 },
];

/**
 * Returns why EventBridge would reject `expression`, or undefined when it is valid.
 * The reason is phrased as what is expected, for the config error message.
 */
export function scheduleExpressionProblem(expression: string): string | undefined {
  const rate = RATE.exec(expression);
  if (rate) {
    const value = Number(rate[1]);
    const unit = rate[2];
    if (value < 1) return 'a rate value of at least 1';
    const singular = !unit.endsWith('s');
    if (value === 1 && !singular) return `"rate(1 ${unit.slice(0, -1)})": EventBridge wants the singular unit for 1`;
    if (value > 1 && singular) return `"rate(${value} ${unit}s)": EventBridge wants the plural unit above 1`;
    return undefined;
  }
  const cron = CRON.exec(expression);
  if (!cron) return 'rate(VALUE UNIT) such as "rate(7 days)" or cron(MIN HOUR DOM MONTH DOW YEAR) such as "cron(0 3 ? * SUN *)"';
  const fields = cron[1].trim().split(/\s+/);
  if (fields.length !== 6) {
    return `6 cron fields (minutes hours day-of-month month day-of-week year), got ${fields.length}`;
  }
  const problems = fields.flatMap((field, index) => cronFieldProblem(field, CRON_FIELDS[index]));
  const [, , dayOfMonth, , dayOfWeek] = fields;
  if ((dayOfMonth === '?') === (dayOfWeek === '?')) {
    problems.push('exactly one of day-of-month and day-of-week to be "?"');
  }
  return problems.length > 0 ? problems.join('; ') : undefined;
}

/**
 * True when a valid expression can fire more than once in an hour: rates under 60 minutes, and
 * crons whose minutes field is not one fixed minute.
 */
export function firesMoreOftenThanHourly(expression: string): boolean {
  const rate = RATE.exec(expression);
  if (rate) return rate[2].startsWith('minute') && Number(rate[1]) < 60;
  const cron = CRON.exec(expression);
  if (!cron) return false;
  const minutes = cron[1].trim().split(/\s+/)[0];
  return !/^\d{1,2}$/.test(minutes);
}

function cronFieldProblem(field: string, spec: CronField): string[] {
  const problems = field.split(',').flatMap((item) => cronItemProblem(item, spec));
  return problems.length > 0 ? [`${spec.name} "${field}" to be ${describeField(spec)}`] : [];
}

function cronItemProblem(item: string, spec: CronField): string[] {
  if (item === '*') return [];
  if (item === '?') return spec.name === 'day-of-month' || spec.name === 'day-of-week' ? [] : ['?'];
  if (spec.special?.test(item)) return [];
  const [range, step, ...rest] = item.split('/');
  if (rest.length > 0) return [item];
  if (step !== undefined && !(/^\d+$/.test(step) && Number(step) >= 1)) return [item];
  if (range === '*' && step !== undefined) return [];
  const bounds = range.split('-');
  if (bounds.length > 2) return [item];
  const values = bounds.map((bound) => cronValue(bound, spec));
  if (values.some((value) => value === undefined)) return [item];
  if (values.length === 2 && (values[0] as number) > (values[1] as number)) return [item];
  return [];
}

function cronValue(token: string, spec: CronField): number | undefined {
  const named = spec.names?.indexOf(token.toUpperCase()) ?? -1;
  if (named >= 0) return spec.min + named;
  if (!/^\d+$/.test(token)) return undefined;
  const value = Number(token);
  return value >= spec.min && value <= spec.max ? value : undefined;
}

function describeField(spec: CronField): string {
  const names = spec.names ? ` or ${spec.names[0]}-${spec.names[spec.names.length - 1]}` : '';
  return `values ${spec.min}-${spec.max}${names} with , - * /${spec.special ? ' (and ? L W #)' : ''}`;
}
