import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadFunction, resolveModulePath } from '../../src/index.js';
import { resolveSettings } from '../../src/config.js';
import { closeAll, serve } from './helpers.js';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');

afterEach(closeAll);

describe('loading function modules', () => {
  it('serves a CommonJS module after awaiting its init()', async () => {
    const { url } = await serve(
      { module: join(fixtures, 'handlers.cjs') },
      { FUNC_HANDLER: 'hello' },
    );
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"a":1}',
    });
    expect(await res.json()).toEqual({ greeting: 'hello from cjs', data: { a: 1 }, name: 'hello' });
  });

  it('serves an ESM module (.mjs), with the handler named by an option over FUNC_HANDLER', async () => {
    const { url } = await serve(
      { module: join(fixtures, 'handler.mjs'), handlerName: 'hello' },
      { FUNC_HANDLER: 'other' },
    );
    expect(await (await fetch(url)).json()).toEqual({ module: 'esm', data: {} });
  });

  it('loads a .js file as ESM when its package.json says "type": "module"', async () => {
    const fn = await loadFunction(join(fixtures, 'esm-js', 'fn.js'), 'handler');
    expect(await fn.handler({} as never, {} as never)).toBe('esm via package type');
  });

  it('accepts a module that exports a single function, as Kubeless does', async () => {
    const fn = await loadFunction(join(fixtures, 'single.cjs'), 'anything');
    expect(await fn.handler({} as never, {} as never)).toBe('single function module');
  });

  it('picks up init and shutdown hooks', async () => {
    const fn = await loadFunction(join(fixtures, 'handlers.cjs'), 'hello');
    expect(typeof fn.init).toBe('function');
    expect(typeof fn.shutdown).toBe('function');
  });

  it('names the missing export and the exports that exist', async () => {
    const failure = loadFunction(join(fixtures, 'handlers.cjs'), 'nope');
    await expect(failure).rejects.toBeInstanceOf(ConfigError);
    await expect(failure).rejects.toThrow(
      /no exported function 'nope' \(exports: init, hello, slow, fail, stray, shutdown\); set FUNC_HANDLER/,
    );
  });

  it('reports a module that throws while loading without crashing the caller', async () => {
    await expect(loadFunction(join(fixtures, 'broken.cjs'), 'x')).rejects.toThrow(
      /Failed to load function module .*broken\.cjs: broken at load time/,
    );
  });

  it('finds the module Kubeless-style from MOD_NAME in KUBELESS_INSTALL_VOLUME', () => {
    expect(
      resolveModulePath(undefined, { MOD_NAME: 'handlers', KUBELESS_INSTALL_VOLUME: fixtures }),
    ).toBe(join(fixtures, 'handlers.cjs'));
    expect(resolveModulePath('handler.mjs', {}, fixtures)).toBe(join(fixtures, 'handler.mjs'));
    expect(() => resolveModulePath(undefined, {})).toThrow(/pass <module-file>, or set MOD_NAME/);
    expect(() =>
      resolveModulePath(undefined, { MOD_NAME: 'ghost', KUBELESS_INSTALL_VOLUME: fixtures }),
    ).toThrow(/MOD_NAME='ghost' but .*ghost\.js does not exist/);
    expect(() => resolveModulePath('missing.js', {}, fixtures)).toThrow(
      /Function module 'missing.js' not found/,
    );
  });

  it('serves from MOD_NAME and labels metrics with it', async () => {
    const { url } = await serve(
      {},
      {
        MOD_NAME: 'handlers',
        KUBELESS_INSTALL_VOLUME: fixtures,
        FUNC_HANDLER: 'hello',
        FUNC_RUNTIME: 'nodejs20',
      },
    );
    await fetch(url);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toContain(
      'function_calls_total{handler="hello",function="handlers",runtime="nodejs20",method="handlers-GET"} 1',
    );
  });
});

describe('settings from the Kubeless environment', () => {
  it('reads FUNC_PORT, then PORT, then 8080, and lets options win', () => {
    expect(resolveSettings({ FUNC_PORT: '9000', PORT: '9001' }).port).toBe(9000);
    expect(resolveSettings({ PORT: '9001' }).port).toBe(9001);
    expect(resolveSettings({}).port).toBe(8080);
    expect(resolveSettings({ FUNC_PORT: '9000' }, { port: 7000 }).port).toBe(7000);
    expect(resolveSettings({}).timeout).toBe(180);
    expect(resolveSettings({ REQ_MB_LIMIT: '2' }).bodyLimit).toBe(2 * 1024 * 1024);
    expect(resolveSettings({}).host).toBeUndefined();
    expect(resolveSettings({ FUNC_HOST: '127.0.0.1' }).host).toBe('127.0.0.1');
  });

  it.each([
    [{ FUNC_TIMEOUT: 'soon' }, /FUNC_TIMEOUT must be a positive number of seconds, got 'soon'/],
    [{ FUNC_TIMEOUT: '0' }, /FUNC_TIMEOUT must be a positive number/],
    [{ FUNC_PORT: '70000' }, /FUNC_PORT must be a port number 0-65535, got '70000'/],
    [{ PORT: 'http' }, /PORT must be a port number/],
    [{ REQ_MB_LIMIT: '-1' }, /REQ_MB_LIMIT must be a positive number of MiB/],
    [
      { FUNC_TIMEOUT: '2147484' },
      /FUNC_TIMEOUT must be at most 2147483 seconds \(about 24\.8 days, Node's timer limit\), got '2147484'/,
    ],
    [{ FUNC_GRACE_PERIOD: '2592000' }, /FUNC_GRACE_PERIOD must be at most 2147483 seconds/],
    [
      { FUNC_LOG_LEVEL: 'loud' },
      /FUNC_LOG_LEVEL must be one of debug, info, warn, error; got 'loud'/,
    ],
  ])('rejects %o with a message naming the variable', (env, message) => {
    expect(() => resolveSettings(env)).toThrow(ConfigError);
    expect(() => resolveSettings(env)).toThrow(message);
  });

  it('accepts timeouts up to the timer limit and checks programmatic ones the same way', () => {
    expect(
      resolveSettings({ FUNC_TIMEOUT: '2147483', FUNC_GRACE_PERIOD: '2147483' }),
    ).toMatchObject({ timeout: 2147483, gracePeriod: 2147483 });
    expect(() => resolveSettings({}, { timeout: 1e7 })).toThrow(
      /--timeout must be at most 2147483/,
    );
    expect(() => resolveSettings({}, { gracePeriod: 1e7 })).toThrow(
      /gracePeriod must be at most 2147483/,
    );
    expect(() => resolveSettings({}, { gracePeriod: -1 })).toThrow(
      /gracePeriod must be a positive number of seconds/,
    );
  });
});
