/**
 * Checks a classic 5-field cron expression (`minute hour day-of-month month day-of-week`), the
 * form schedules accept: `*`, numbers, ranges `a-b`, steps `*\/n` and `a-b/n`, lists `a,b`, and
 * month and weekday names (`JAN`, `MON-FRI`). Temporal parses the expression again when the
 * schedule is created; this check names the field that is wrong before anything is stored.
 */
interface CronField {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const WEEKDAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

const FIELDS: readonly CronField[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTHS },
  // 0 and 7 are both Sunday, as in most cron implementations.
  { name: 'day of week', min: 0, max: 7, names: WEEKDAYS },
];

/** Why the expression is not a valid 5-field cron expression; undefined when it is. */
export function cronProblem(expression: string): string | undefined {
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== FIELDS.length || fields[0] === '') {
    return `must have 5 fields (minute hour day-of-month month day-of-week), got ${fields[0] === '' ? 0 : fields.length}`;
  }
  for (const [index, field] of FIELDS.entries()) {
    const problem = fieldProblem(fields[index] as string, field);
    if (problem) return `${field.name} field '${fields[index]}': ${problem}`;
  }
  return undefined;
}

function fieldProblem(text: string, field: CronField): string | undefined {
  for (const item of text.split(',')) {
    if (item === '') return 'empty list item';
    const [range, step, ...rest] = item.split('/');
    if (rest.length > 0) return `'${item}' has more than one '/'`;
    if (step !== undefined && !/^\d+$/.test(step)) return `step '${step}' is not a number`;
    if (step !== undefined && Number(step) === 0) return 'a step must be at least 1';
    if (range === '*') continue;
    const bounds = (range as string).split('-');
    if (bounds.length > 2) return `'${range}' is not a value or a range`;
    const values: number[] = [];
    for (const bound of bounds) {
      const value = valueOf(bound, field);
      if (value === undefined) {
        return `'${bound}' is not a number${field.names ? ' or a name' : ''} in ${field.min}–${field.max}`;
      }
      values.push(value);
    }
    if (values.length === 2 && (values[0] as number) > (values[1] as number)) {
      return `range '${range}' ends before it starts`;
    }
  }
  return undefined;
}

function valueOf(text: string, field: CronField): number | undefined {
  if (/^\d+$/.test(text)) {
    const value = Number(text);
    return value >= field.min && value <= field.max ? value : undefined;
  }
  const index = field.names?.indexOf(text.toUpperCase()) ?? -1;
  if (index < 0) return undefined;
  return field.names === MONTHS ? index + 1 : index;
}

/**
 * The expressions to give Temporal for a 5-field cron expression. In classic cron a day that
 * matches either the day of month or the day of week runs when both are restricted; Temporal
 * requires both to match, so such an expression becomes two that Temporal ORs.
 */
export function temporalCronExpressions(expression: string): string[] {
  const [minute, hour, dayOfMonth, month, dayOfWeek] = expression.trim().split(/\s+/);
  if (dayOfMonth === '*' || dayOfWeek === '*' || dayOfWeek === undefined) return [expression];
  return [
    `${minute} ${hour} ${dayOfMonth} ${month} *`,
    `${minute} ${hour} * ${month} ${dayOfWeek}`,
  ];
}

/**
 * The shortest time between two runs of a valid 5-field cron expression, in seconds of wall-clock
 * time (daylight-saving shifts aside); Infinity when it never runs twice in the years looked at.
 */
export function cronShortestGapSeconds(expression: string): number {
  const [minute, hour, dayOfMonth, month, dayOfWeek] = expression
    .trim()
    .split(/\s+/)
    .map((text, index) => fieldValues(text, FIELDS[index] as CronField));
  const restricted = expression
    .trim()
    .split(/\s+/)
    .map((text) => text !== '*');
  // A day's run times in minutes since midnight, in order.
  const times = (hour ?? []).flatMap((h) => (minute ?? []).map((m) => h * 60 + m));
  let gap = Infinity;
  for (let index = 1; index < times.length; index++) {
    gap = Math.min(gap, (times[index] as number) - (times[index - 1] as number));
  }
  // From a day's last run to the first run of the next day that runs.
  const days = shortestDayGap({
    daysOfMonth: new Set(dayOfMonth),
    months: new Set(month),
    weekdays: new Set(dayOfWeek?.map((day) => day % 7)), // 7 is Sunday too
    // Classic cron: with both day fields restricted, a day matching either runs.
    either: restricted[2] === true && restricted[4] === true,
  });
  gap = Math.min(gap, days * 1440 - (times.at(-1) ?? 0) + (times[0] ?? 0));
  return gap * 60;
}

function fieldValues(text: string, field: CronField): number[] {
  const values = new Set<number>();
  for (const item of text.split(',')) {
    const [range = '*', step] = item.split('/');
    const bounds =
      range === '*'
        ? [field.min, field.max]
        : range.split('-').map((bound) => valueOf(bound, field) as number);
    const low = bounds[0] as number;
    // `a/n` runs from a to the field's end, as in classic cron.
    const high = bounds[1] ?? (step === undefined ? low : field.max);
    for (let value = low; value <= high; value += Number(step ?? 1)) values.add(value);
  }
  return [...values].sort((a, b) => a - b);
}

/** Days between the closest two days that run, over eight years (two leap days). */
function shortestDayGap(days: {
  daysOfMonth: Set<number>;
  months: Set<number>;
  weekdays: Set<number>;
  either: boolean;
}): number {
  const start = Date.UTC(2024, 0, 1);
  let previous: number | undefined;
  let shortest = Infinity;
  for (let day = 0; day < 8 * 366 && shortest > 1; day++) {
    const date = new Date(start + day * 86_400_000);
    if (!days.months.has(date.getUTCMonth() + 1)) continue;
    const byMonth = days.daysOfMonth.has(date.getUTCDate());
    const byWeek = days.weekdays.has(date.getUTCDay());
    if (days.either ? !byMonth && !byWeek : !byMonth || !byWeek) continue;
    if (previous !== undefined) shortest = Math.min(shortest, day - previous);
    previous = day;
  }
  return shortest;
}
