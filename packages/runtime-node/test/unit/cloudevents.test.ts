import { CloudEvent } from 'cloudevents';
import { afterEach, describe, expect, it } from 'vitest';
import type { Handler } from '../../src/index.js';
import { closeAll, serve } from './helpers.js';

afterEach(closeAll);

const echoEvent: Handler = (event) => ({
  data: event.data,
  id: event['event-id'],
  type: event['event-type'],
  namespace: event['event-namespace'],
  time: event['event-time'],
  ce: event.extensions.cloudevent
    ? {
        specversion: event.extensions.cloudevent.specversion,
        ext: event.extensions.cloudevent.myext,
      }
    : null,
});

describe('CloudEvents', () => {
  it('maps a binary-mode event onto the Kubeless event fields', async () => {
    const { url } = await serve({ handler: echoEvent });
    const res = await fetch(url, {
      method: 'POST',
      headers: {
        'ce-id': 'abc',
        'ce-type': 'com.example.created',
        'ce-source': '/orders',
        'ce-specversion': '1.0',
        'ce-time': '2024-01-02T03:04:05.000Z',
        'ce-myext': 'yes',
        'content-type': 'application/json',
      },
      body: JSON.stringify({ order: 7 }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      data: { order: 7 },
      id: 'abc',
      type: 'com.example.created',
      namespace: '/orders',
      time: '2024-01-02T03:04:05.000Z',
      ce: { specversion: '1.0', ext: 'yes' },
    });
  });

  it('maps a structured-mode event', async () => {
    const { url } = await serve({ handler: echoEvent });
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/cloudevents+json; charset=utf-8' },
      body: JSON.stringify({ specversion: '1.0', id: 's1', type: 't', source: '/s', data: [1, 2] }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ data: [1, 2], id: 's1', type: 't', namespace: '/s' });
  });

  it.each([
    ['binary mode without ce-source and ce-type', { 'ce-id': '1', 'ce-specversion': '1.0' }, 'x'],
    [
      'binary mode with a bad spec version',
      { 'ce-id': '1', 'ce-specversion': '9.9', 'ce-source': '/s', 'ce-type': 't' },
      'x',
    ],
    [
      'structured mode with invalid JSON',
      { 'content-type': 'application/cloudevents+json' },
      '{"id":',
    ],
    [
      'structured mode missing attributes',
      { 'content-type': 'application/cloudevents+json' },
      '{"specversion":"1.0","id":"1"}',
    ],
    [
      'structured mode with a non-object body',
      { 'content-type': 'application/cloudevents+json' },
      '"text"',
    ],
    ['batch mode', { 'content-type': 'application/cloudevents-batch+json' }, '[]'],
  ])('answers 400 for %s', async (_name, headers, body) => {
    let called = false;
    const { url } = await serve({ handler: () => void (called = true) });
    const res = await fetch(url, { method: 'POST', headers, body });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toMatch(/CloudEvent|JSON/);
    expect(called).toBe(false);
  });

  it.each([
    [
      'a structured event without id',
      { 'content-type': 'application/cloudevents+json' },
      { specversion: '1.0', source: '/s', type: 't' },
      'Invalid CloudEvent: missing id',
    ],
    [
      'a structured event without specversion',
      { 'content-type': 'application/cloudevents+json' },
      { id: '1', source: '/s', type: 't' },
      'Invalid CloudEvent: missing specversion',
    ],
    [
      'a structured event with an empty source and no type',
      { 'content-type': 'application/cloudevents+json' },
      { id: '1', specversion: '1.0', source: '' },
      'Invalid CloudEvent: missing source, type',
    ],
    [
      'a structured event with a numeric id',
      { 'content-type': 'application/cloudevents+json' },
      { id: 7, specversion: '1.0', source: '/s', type: 't' },
      'Invalid CloudEvent: id must be a string',
    ],
    [
      'a structured event that is an array',
      { 'content-type': 'application/cloudevents+json' },
      [{ id: '1', specversion: '1.0', source: '/s', type: 't' }],
      'Invalid CloudEvent: a structured CloudEvent needs a JSON object body',
    ],
    [
      'a binary event without ce-id',
      { 'ce-specversion': '1.0', 'ce-source': '/s', 'ce-type': 't' },
      'x',
      'Invalid CloudEvent: missing ce-id',
    ],
    [
      'a binary event with only ce-id',
      { 'ce-id': '1' },
      'x',
      'Invalid CloudEvent: missing ce-source, ce-specversion, ce-type',
    ],
    [
      'a binary event with an empty ce-source',
      { 'ce-id': '1', 'ce-specversion': '1.0', 'ce-source': '', 'ce-type': 't' },
      'x',
      'Invalid CloudEvent: missing ce-source',
    ],
    [
      'a binary event with a malformed ce-time',
      {
        'ce-id': '1',
        'ce-specversion': '1.0',
        'ce-source': '/s',
        'ce-type': 't',
        'ce-time': 'soon',
      },
      'x',
      'Invalid CloudEvent: ce-time must be an RFC 3339 timestamp',
    ],
    [
      'a structured event with a malformed time',
      { 'content-type': 'application/cloudevents+json' },
      { id: '1', specversion: '1.0', source: '/s', type: 't', time: 'yesterday' },
      'Invalid CloudEvent: time must be an RFC 3339 timestamp',
    ],
    [
      'a binary event whose ce-source is not a URI reference',
      { 'ce-id': '1', 'ce-specversion': '1.0', 'ce-source': 'a b', 'ce-type': 't' },
      'x',
      'Invalid CloudEvent: ce-source must match format "uri-reference"',
    ],
    [
      'a structured event whose source is not a URI reference',
      { 'content-type': 'application/cloudevents+json' },
      { id: '1', specversion: '1.0', source: 'a b', type: 't' },
      'Invalid CloudEvent: source must match format "uri-reference"',
    ],
    [
      'a binary event with an unsupported spec version',
      { 'ce-id': '1', 'ce-specversion': '9.9', 'ce-source': '/s', 'ce-type': 't' },
      'x',
      "Invalid CloudEvent: unsupported ce-specversion '9.9' (use 1.0 or 0.3)",
    ],
  ])('refuses %s with a 400 naming the problem', async (_name, headers, body, message) => {
    let called = false;
    const { url } = await serve({ handler: () => void (called = true) });
    const res = await fetch(url, {
      method: 'POST',
      headers,
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: message });
    expect(called).toBe(false);
  });

  it('sends a returned CloudEvent in binary mode', async () => {
    const { url } = await serve({
      handler: () =>
        new CloudEvent({ id: 'r1', type: 'com.example.reply', source: '/fn', data: { ok: true } }),
    });
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(res.headers.get('ce-id')).toBe('r1');
    expect(res.headers.get('ce-type')).toBe('com.example.reply');
    expect(res.headers.get('ce-source')).toBe('/fn');
    expect(res.headers.get('ce-specversion')).toBe('1.0');
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await res.json()).toEqual({ ok: true });
  });

  it('keeps plain objects that look like events as JSON (Kubeless semantics)', async () => {
    const plain = { specversion: '1.0', id: 'x', type: 't', source: '/s' };
    const { url } = await serve({ handler: () => plain });
    const res = await fetch(url);
    expect(res.headers.get('ce-id')).toBeNull();
    expect(await res.json()).toEqual(plain);
  });
});
