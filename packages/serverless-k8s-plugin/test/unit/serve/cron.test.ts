import { describe, expect, it } from 'vitest';
import { parseCron, timeZoneProblem } from '../../../src/serve/cron.js';

const utc = (text: string) => new Date(`${text}Z`);
const nextUtc = (cron: string, after: string) =>
  parseCron(cron).next(utc(after), 'UTC')?.toISOString();

describe('parseCron().next', () => {
  it('fires every minute on the next whole minute', () => {
    expect(nextUtc('* * * * *', '2026-03-01T10:15:00')).toBe('2026-03-01T10:16:00.000Z');
    expect(nextUtc('* * * * *', '2026-03-01T10:15:59.999')).toBe('2026-03-01T10:16:00.000Z');
  });

  it('handles steps, ranges and lists', () => {
    expect(nextUtc('*/15 * * * *', '2026-03-01T10:16:00')).toBe('2026-03-01T10:30:00.000Z');
    expect(nextUtc('5/20 * * * *', '2026-03-01T10:26:00')).toBe('2026-03-01T10:45:00.000Z');
    expect(nextUtc('0 9-17/4 * * *', '2026-03-01T13:00:00')).toBe('2026-03-01T17:00:00.000Z');
    expect(nextUtc('10,40 8 * * *', '2026-03-01T08:11:00')).toBe('2026-03-01T08:40:00.000Z');
  });

  it('reads month and weekday names, 7 as Sunday, and the macros', () => {
    // 2026-03-01 is a Sunday.
    expect(nextUtc('0 9 * * MON-FRI', '2026-03-01T00:00:00')).toBe('2026-03-02T09:00:00.000Z');
    expect(nextUtc('0 0 * * 7', '2026-03-02T00:00:00')).toBe('2026-03-08T00:00:00.000Z');
    expect(nextUtc('0 0 1 jun *', '2026-03-01T00:00:00')).toBe('2026-06-01T00:00:00.000Z');
    expect(nextUtc('@hourly', '2026-03-01T10:15:00')).toBe('2026-03-01T11:00:00.000Z');
    expect(nextUtc('@yearly', '2026-03-01T10:15:00')).toBe('2027-01-01T00:00:00.000Z');
  });

  it('matches either day field when both are restricted (vixie cron)', () => {
    // The 15th, or any Friday: Friday 2026-03-06 comes first.
    expect(nextUtc('0 0 15 * FRI', '2026-03-01T00:00:00')).toBe('2026-03-06T00:00:00.000Z');
    // With a starred weekday only the date counts.
    expect(nextUtc('0 0 15 * *', '2026-03-01T00:00:00')).toBe('2026-03-15T00:00:00.000Z');
  });

  it('finds a leap day years ahead and skips months without the day', () => {
    expect(nextUtc('0 0 29 2 *', '2026-03-01T00:00:00')).toBe('2028-02-29T00:00:00.000Z');
    expect(nextUtc('0 0 31 * *', '2026-04-01T00:00:00')).toBe('2026-05-31T00:00:00.000Z');
  });

  it('evaluates in a time zone, across a daylight-saving change', () => {
    // Berlin moves to summer time on 2026-03-29: 09:00 local is 08:00 UTC before, 07:00 UTC after.
    const schedule = parseCron('0 9 * * *');
    expect(schedule.next(utc('2026-03-28T00:00:00'), 'Europe/Berlin')?.toISOString()).toBe(
      '2026-03-28T08:00:00.000Z',
    );
    expect(schedule.next(utc('2026-03-28T09:00:00'), 'Europe/Berlin')?.toISOString()).toBe(
      '2026-03-29T07:00:00.000Z',
    );
  });

  it('rejects invalid expressions with the model’s message', () => {
    expect(() => parseCron('* * * *')).toThrow(/has 4 fields; cron needs 5/);
    expect(() => parseCron('61 * * * *')).toThrow(/out of range for the minute field/);
    expect(() => parseCron('@often')).toThrow(/not a known macro/);
  });

  it('names unknown time zones', () => {
    expect(timeZoneProblem('Mars/Olympus')).toMatch(/time zone "Mars\/Olympus" is unknown/);
    expect(timeZoneProblem('Europe/Berlin')).toBeUndefined();
  });
});
