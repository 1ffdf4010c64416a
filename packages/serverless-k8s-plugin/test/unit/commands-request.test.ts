import { describe, expect, it } from 'vitest';
import { buildRequest, formatBody, responseText } from '../../src/commands/request.js';
import { UserError } from '../../src/util/errors.js';

describe('invoke request', () => {
  it('GETs / without data', () => {
    expect(buildRequest({}, undefined)).toEqual({ method: 'GET', path: '/', headers: {} });
  });

  it('POSTs JSON data as application/json to --http-path with extra headers', () => {
    const request = buildRequest(
      { 'http-path': 'greet', header: ['X-Trace: 1', 'Accept: text/plain'] },
      '{"name": "Ada"}',
    );
    expect(request).toEqual({
      method: 'POST',
      path: '/greet',
      headers: { 'content-type': 'application/json', 'x-trace': '1', accept: 'text/plain' },
      body: Buffer.from('{"name":"Ada"}'),
    });
  });

  it('sends text as text/plain and lets --header override the content type', () => {
    expect(buildRequest({}, 'hello').headers['content-type']).toBe('text/plain; charset=utf-8');
    const request = buildRequest(
      { header: ['Content-Type: application/xml'], method: 'put' },
      '<a/>',
    );
    expect(request.method).toBe('PUT');
    expect(request.headers['content-type']).toBe('application/xml');
  });

  it('refuses data with GET', () => {
    expect(() => buildRequest({ method: 'GET' }, 'x')).toThrow(UserError);
    expect(() => buildRequest({ method: 'GET' }, 'x')).toThrow(
      /--method GET cannot carry the request data/,
    );
  });

  it('sends binary-mode CloudEvent headers with --cloudevent', () => {
    const request = buildRequest(
      { cloudevent: true, type: 'com.example.order', source: '/shop' },
      '{"id":7}',
    );
    expect(request.method).toBe('POST');
    expect(request.headers).toMatchObject({
      'content-type': 'application/json',
      'ce-specversion': '1.0',
      'ce-type': 'com.example.order',
      'ce-source': '/shop',
    });
    expect(request.headers['ce-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(Number.isNaN(Date.parse(request.headers['ce-time'] ?? ''))).toBe(false);
    // A fresh id per call, so a broker does not drop the second one as a duplicate.
    expect(buildRequest({ cloudevent: true }, undefined).headers['ce-id']).not.toBe(
      request.headers['ce-id'],
    );
  });

  it('treats --type/--source as asking for a CloudEvent, with defaults for the other', () => {
    const request = buildRequest({ type: 'ping' }, undefined);
    expect(request.method).toBe('POST');
    expect(request.headers['ce-type']).toBe('ping');
    expect(request.headers['ce-source']).toBe('serverless-k8s/cli');
  });
});

describe('invoke response', () => {
  it('pretty-prints JSON bodies and passes text through', () => {
    expect(formatBody(Buffer.from('{"a":[1]}'), 'application/json; charset=utf-8')).toBe(
      '{\n  "a": [\n    1\n  ]\n}',
    );
    expect(formatBody(Buffer.from('{broken'), 'application/json')).toBe('{broken');
    expect(formatBody(Buffer.from('{"a":1}'), 'text/plain')).toBe('{"a":1}');
  });

  it('returns the body of a 2xx response', () => {
    expect(
      responseText('hello', {
        status: 200,
        headers: { 'Content-Type': 'application/json' },
        body: Buffer.from('{"ok":true}'),
      }),
    ).toBe('{\n  "ok": true\n}');
    expect(responseText('hello', { status: 204, headers: {}, body: Buffer.alloc(0) })).toBe('');
  });

  it('turns other statuses into a UserError with status and body', () => {
    const call = () =>
      responseText('hello', {
        status: 500,
        headers: { 'content-type': 'text/plain' },
        body: Buffer.from('Internal Server Error'),
      });
    expect(call).toThrow(UserError);
    expect(call).toThrow(
      'Function hello answered HTTP 500 Internal Server Error:\nInternal Server Error',
    );
    expect(() =>
      responseText('hello', { status: 404, headers: {}, body: Buffer.alloc(0) }),
    ).toThrow('Function hello answered HTTP 404 Not Found with an empty body');
    expect(() =>
      responseText('hello', { status: 302, headers: {}, body: Buffer.from('moved') }),
    ).toThrow(/HTTP 302:\nmoved/);
  });
});
