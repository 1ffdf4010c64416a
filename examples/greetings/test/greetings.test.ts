import path from 'node:path';
import { invokeHandler } from '@serverless-k8s/runtime';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { greet, hourIn, partOfDay, type Greeting } from '../src/handler.js';
import { invokeLocal, ofKind, packageExample } from '../../test-support/package-example.js';

const exampleDir = path.resolve(import.meta.dirname, '..');
const call = (query: string) => invokeHandler(greet, { path: `/greet${query}` });

describe('greetings', () => {
  beforeEach(() => {
    // Only Date is faked: the runtime's own timers keep running.
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-06-01T10:30:00Z'));
    vi.stubEnv('DEFAULT_TIME_ZONE', 'Europe/Berlin');
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllEnvs();
  });

  it('names the part of the day by the hour', () => {
    expect([4, 5, 11, 12, 17, 18, 22, 23].map(partOfDay)).toEqual([
      'night',
      'morning',
      'morning',
      'afternoon',
      'afternoon',
      'evening',
      'evening',
      'night',
    ]);
  });

  it('greets by the time of day in the requested time zone', async () => {
    // 10:30 UTC is 12:30 in Berlin (summer time), 19:30 in Tokyo and 03:30 in Los Angeles.
    expect((await call('?name=Ada')).json()).toEqual({
      greeting: 'Good afternoon, Ada!',
      timeZone: 'Europe/Berlin',
      partOfDay: 'afternoon',
    });
    expect((await call('?name=Ada&tz=Asia/Tokyo')).json()).toMatchObject({
      greeting: 'Good evening, Ada!',
    });
    expect((await call('?tz=America/Los_Angeles')).json()).toMatchObject({
      greeting: 'Good night, there!',
    });
  });

  it('answers 400 naming an unknown time zone', async () => {
    const result = await call('?tz=Mars/Olympus');
    expect(result.statusCode).toBe(400);
    expect(result.text()).toContain('unknown time zone');
    expect(result.text()).toContain('Mars/Olympus');
  });

  it('packages to a Function with its environment and a GET trigger', async () => {
    const manifests = await packageExample(exampleDir);
    const [fn] = ofKind(manifests, 'Function');
    expect(JSON.stringify(fn?.spec?.deployment)).toContain(
      '{"name":"DEFAULT_TIME_ZONE","value":"Europe/Berlin"}',
    );
    expect(ofKind(manifests, 'HTTPTrigger')[0]?.spec).toMatchObject({
      'function-name': 'greet',
      path: 'greet',
    });
  }, 120_000);

  it('answers `serverless invoke local` with the greeting for the zone asked', async () => {
    vi.useRealTimers();
    const before = partOfDay(hourIn(new Date(), 'Asia/Tokyo'));
    const output = await invokeLocal(exampleDir, 'greet', undefined, [
      '--method',
      'GET',
      '--http-path',
      '/greet?name=Ada&tz=Asia/Tokyo',
    ]);
    const after = partOfDay(hourIn(new Date(), 'Asia/Tokyo'));
    const reply = output.json() as Greeting;
    // The CLI runs on the real clock: the part of the day is the one before or after the call.
    expect([before, after]).toContain(reply.partOfDay);
    expect(reply).toMatchObject({ timeZone: 'Asia/Tokyo' });
    expect(reply.greeting).toBe(
      reply.partOfDay === 'night' ? 'Good night, Ada!' : `Good ${reply.partOfDay}, Ada!`,
    );
  }, 120_000);
});
