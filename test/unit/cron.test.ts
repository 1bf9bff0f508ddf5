/** The 5-field cron check and the time zone check behind schedule validation. */
import { isTimeZone } from '../../api/schemas/schedule.schema';
import {
  cronProblem,
  cronShortestGapSeconds,
  temporalCronExpressions,
} from '../../shared/schedules/cron';

describe('cron expressions', () => {
  it.each([
    '* * * * *',
    '0 7 * * MON-FRI',
    '*/15 9-17 * * 1-5',
    '0 0 1 JAN,jul *',
    '5,10,40-45/5 0 1-31/2 * 0,7',
    '  30 6 * * sun  ',
  ])('accepts %s', (expression) => {
    expect(cronProblem(expression)).toBeUndefined();
  });

  it.each([
    ['', 'must have 5 fields (minute hour day-of-month month day-of-week), got 0'],
    ['* * * *', 'must have 5 fields (minute hour day-of-month month day-of-week), got 4'],
    ['0 0 * * * *', 'must have 5 fields (minute hour day-of-month month day-of-week), got 6'],
    ['60 * * * *', "minute field '60': '60' is not a number in 0–59"],
    ['0 24 * * *', "hour field '24': '24' is not a number in 0–23"],
    ['0 0 0 * *', "day of month field '0': '0' is not a number in 1–31"],
    ['0 0 * FOO *', "month field 'FOO': 'FOO' is not a number or a name in 1–12"],
    ['0 0 * * MON-XYZ', "day of week field 'MON-XYZ': 'XYZ' is not a number or a name in 0–7"],
    ['*/0 * * * *', "minute field '*/0': a step must be at least 1"],
    ['1/2/3 * * * *', "minute field '1/2/3': '1/2/3' has more than one '/'"],
    ['0 17-9 * * *', "hour field '17-9': range '17-9' ends before it starts"],
    ['0 1,,2 * * *', "hour field '1,,2': empty list item"],
    ['@daily * * * *', "minute field '@daily': '@daily' is not a number in 0–59"],
  ])('rejects %j: %s', (expression, problem) => {
    expect(cronProblem(expression)).toBe(problem);
  });
});

describe('the shortest time between runs of a cron expression', () => {
  it.each([
    ['* * * * *', 60],
    ['*/5 * * * *', 300],
    ['5/20 * * * *', 1200], // :05, :25, :45, then :05 again
    ['0 * * * *', 3600],
    ['0 9-17/4 * * *', 4 * 3600], // 09, 13, 17 (then 09 the next day)
    ['0,59 0,23 * * *', 60], // 23:59, then 00:00 the next day
    ['0 7 * * MON-FRI', 86_400],
    ['30 6 * * 0,6', 86_400], // Saturday, then Sunday
    ['0 0 1 * MON', 86_400], // classic cron: the 1st or a Monday (e.g. Monday 31st, Tuesday 1st)
    ['0 0 1 JAN *', 365 * 86_400],
    ['0 0 29 2 *', 1461 * 86_400],
  ])('%s: %d seconds', (expression, seconds) => {
    expect(cronShortestGapSeconds(expression)).toBe(seconds);
  });

  it('is Infinity for an expression that never runs', () => {
    expect(cronShortestGapSeconds('0 0 31 2 *')).toBe(Infinity);
  });
});

describe('time zones', () => {
  it.each(['UTC', 'Europe/Berlin', 'America/Argentina/Buenos_Aires', 'Etc/GMT+5'])(
    'accepts %s',
    (zone) => expect(isTimeZone(zone)).toBe(true),
  );
  it.each(['Mars/Olympus', '+01:00', 'Europe/', '', 'Berlin Time'])('rejects %j', (zone) =>
    expect(isTimeZone(zone)).toBe(false),
  );
});

describe('temporalCronExpressions', () => {
  it('keeps an expression whose day fields are not both restricted', () => {
    expect(temporalCronExpressions('0 7 * * MON-FRI')).toEqual(['0 7 * * MON-FRI']);
    expect(temporalCronExpressions('30 6 1 * *')).toEqual(['30 6 1 * *']);
  });

  it('splits day-of-month OR day-of-week (classic cron) into two expressions', () => {
    expect(temporalCronExpressions('0 9 1,15 * 5')).toEqual(['0 9 1,15 * *', '0 9 * * 5']);
  });
});
