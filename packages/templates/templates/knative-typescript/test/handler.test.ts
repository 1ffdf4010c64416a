import { invokeHandler } from '@serverless-k8s/runtime';
import { describe, expect, it } from 'vitest';
import { hello } from '../src/handler.js';

// invokeHandler runs the same request → event → response mapping as the deployed function.
const handler = hello;

describe('hello', () => {
  it('greets the name from a JSON body', async () => {
    const result = await invokeHandler(handler, {
      method: 'POST',
      path: '/',
      body: { name: 'Ada' },
    });
    expect(result.statusCode).toBe(200);
    expect(result.headers['content-type']).toMatch(/^application\/json/);
    expect(result.json()).toEqual({ message: 'Hello, Ada!' });
  });

  it('greets the name from the query string, or the world', async () => {
    expect((await invokeHandler(handler, { path: '/?name=Grace' })).json()).toEqual({
      message: 'Hello, Grace!',
    });
    expect((await invokeHandler(handler, { path: '/' })).json()).toEqual({
      message: 'Hello, world!',
    });
  });
});
