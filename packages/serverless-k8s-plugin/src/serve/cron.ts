// When a five-field cron expression fires next, for `serve`'s scheduler. Syntax checking (and its
// error messages) is the model's (model/cron.ts); this evaluates a valid expression: lists,
// ranges, steps, month/day names, 7 = Sunday, `?`, the @macros, and vixie cron's rule that a
// restricted day-of-month and a restricted day-of-week match when EITHER matches.
import { cronProblem } from '../model/cron.js';

export interface CronSchedule {
  /** The expression as given. */
  source: string;
  /** Next whole minute strictly after `after` at which the schedule fires, or undefined. */
  next(after: Date, timeZone?: string): Date | undefined;
}

const MACROS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

const NAMES: (readonly string[] | undefined)[] = [
  undefined,
  undefined,
  undefined,
  ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'],
  ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'],
];
const RANGES: [number, number][] = [
  [0, 59],
  [0, 23],
  [1, 31],
  [1, 12],
  [0, 6],
];

interface FieldSet {
  values: Set<number>;
  /** Starts with `*` or `?` (a step may follow): matters for the day-of-month / day-of-week rule. */
  any: boolean;
}

function valueOf(token: string, index: number): number {
  const named = NAMES[index]?.indexOf(token.toUpperCase()) ?? -1;
  if (named >= 0) return named + (index === 3 ? 1 : 0);
  return Number(token);
}

function expandField(text: string, index: number): FieldSet {
  const [min, max] = RANGES[index] as [number, number];
  const values = new Set<number>();
  for (const item of text.split(',')) {
    const [range = '*', stepText] = item.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    let from = min;
    let to = max;
    if (range !== '*' && range !== '?') {
      const [low = '', high] = range.split('-');
      from = valueOf(low, index);
      // `5/15` means from 5 to the end of the range in steps of 15.
      to = high !== undefined ? valueOf(high, index) : stepText !== undefined ? max : from;
    }
    // Day of week 7 is Sunday (0).
    for (let value = from; value <= to; value += step)
      values.add(index === 4 && value === 7 ? 0 : value);
  }
  return { values, any: /^[*?]/.test(text) };
}

interface WallClock {
  minute: number;
  hour: number;
  day: number;
  month: number;
  weekday: number;
}

const WEEKDAYS: Record<string, number> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      minute: 'numeric',
      hour: 'numeric',
      day: 'numeric',
      month: 'numeric',
      weekday: 'short',
    });
    formatters.set(timeZone, format);
  }
  return format;
}

/** Wall-clock fields of `time` in `timeZone` (the local zone when undefined). */
function wallClock(time: Date, timeZone: string | undefined): WallClock {
  if (timeZone === undefined) {
    return {
      minute: time.getMinutes(),
      hour: time.getHours(),
      day: time.getDate(),
      month: time.getMonth() + 1,
      weekday: time.getDay(),
    };
  }
  const parts: Record<string, string> = {};
  for (const part of formatterFor(timeZone).formatToParts(time)) parts[part.type] = part.value;
  return {
    minute: Number(parts.minute),
    hour: Number(parts.hour),
    day: Number(parts.day),
    month: Number(parts.month),
    weekday: WEEKDAYS[parts.weekday ?? ''] ?? 0,
  };
}

/** Why `timeZone` cannot be used, or undefined. */
export function timeZoneProblem(timeZone: string): string | undefined {
  try {
    formatterFor(timeZone);
    return undefined;
  } catch {
    return `time zone "${timeZone}" is unknown; use an IANA name such as "Europe/Berlin" or "UTC"`;
  }
}

const MINUTE = 60_000;
// A valid five-field cron matches within 8 years (Feb 29 recurs); the bound keeps the search finite.
const SEARCH_LIMIT_MS = 8 * 366 * 24 * 60 * MINUTE;

/** Throws an Error carrying the model's description of the problem when `expression` is invalid. */
export function parseCron(expression: string): CronSchedule {
  const problem = cronProblem(expression);
  if (problem) throw new Error(problem);
  const trimmed = expression.trim();
  const fields = (MACROS[trimmed] ?? trimmed).split(/\s+/).map(expandField);
  const [minute, hour, day, month, weekday] = fields as [
    FieldSet,
    FieldSet,
    FieldSet,
    FieldSet,
    FieldSet,
  ];
  const dayMatches = (clock: WallClock): boolean => {
    const byDate = day.values.has(clock.day);
    const byWeekday = weekday.values.has(clock.weekday);
    return day.any || weekday.any ? byDate && byWeekday : byDate || byWeekday;
  };

  return {
    source: expression,
    next(after: Date, timeZone?: string): Date | undefined {
      // From the next whole minute; skip to the next hour while the month, day or hour is wrong
      // (zone offsets are multiples of 15 minutes, so local hour boundaries stay aligned).
      let time = Math.floor(after.getTime() / MINUTE) * MINUTE + MINUTE;
      const limit = time + SEARCH_LIMIT_MS;
      while (time < limit) {
        const clock = wallClock(new Date(time), timeZone);
        if (!month.values.has(clock.month) || !dayMatches(clock) || !hour.values.has(clock.hour)) {
          time += (60 - clock.minute) * MINUTE;
        } else if (!minute.values.has(clock.minute)) {
          time += MINUTE;
        } else {
          return new Date(time);
        }
      }
      return undefined;
    },
  };
}
