import { HttpError, type Handler } from '@serverless-k8s/runtime';

export type PartOfDay = 'morning' | 'afternoon' | 'evening' | 'night';

export function partOfDay(hour: number): PartOfDay {
  if (hour >= 5 && hour < 12) return 'morning';
  if (hour >= 12 && hour < 18) return 'afternoon';
  if (hour >= 18 && hour < 23) return 'evening';
  return 'night';
}

/** The hour (0-23) of `time` in `timeZone`; an unknown zone is the caller's mistake (400). */
export function hourIn(time: Date, timeZone: string): number {
  try {
    const format = new Intl.DateTimeFormat('en-GB', {
      timeZone,
      hour: 'numeric',
      hourCycle: 'h23',
    });
    return Number(format.format(time));
  } catch {
    throw new HttpError(
      400,
      `unknown time zone "${timeZone}"; use an IANA name such as Europe/Berlin`,
    );
  }
}

export interface Greeting {
  greeting: string;
  timeZone: string;
  partOfDay: PartOfDay;
}

/** `GET /greet?name=Ada&tz=Asia/Tokyo` → `{"greeting": "Good evening, Ada!", …}`. */
export const greet: Handler<unknown, Greeting> = (event) => {
  const query = new URL(event.extensions.request.url ?? '/', 'http://localhost').searchParams;
  const name = query.get('name') ?? 'there';
  const timeZone = query.get('tz') ?? process.env.DEFAULT_TIME_ZONE ?? 'UTC';
  const part = partOfDay(hourIn(new Date(), timeZone));
  const greeting = part === 'night' ? `Good night, ${name}!` : `Good ${part}, ${name}!`;
  return { greeting, timeZone, partOfDay: part };
};
