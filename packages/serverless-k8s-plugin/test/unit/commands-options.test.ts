import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  booleanOption,
  durationSeconds,
  encodeData,
  findFunction,
  givenOptions,
  listOption,
  parseCount,
  parseFilter,
  parseHeaders,
  parseMethod,
  parseUrlPath,
  parseWaitTimeout,
  readInvokeData,
  selectFunctions,
} from '../../src/commands/options.js';
import type { FunctionModel, ServiceModel } from '../../src/model/types.js';
import { UserError } from '../../src/util/errors.js';

describe('durations', () => {
  it('reads s, m, h, d and returns undefined for anything else', () => {
    expect(durationSeconds(' 10m ')).toBe(600);
    expect(durationSeconds('1.5h')).toBe(5400);
    expect(durationSeconds('1d')).toBe(86400);
    expect(durationSeconds('10x')).toBeUndefined();
  });
});

describe('--wait-timeout, --count, --filter, --method, --http-path', () => {
  it('parses wait timeouts as seconds or durations', () => {
    expect(parseWaitTimeout(undefined, 1234)).toBe(1234);
    expect(parseWaitTimeout('90', 0)).toBe(90_000);
    expect(parseWaitTimeout('5m', 0)).toBe(300_000);
    expect(() => parseWaitTimeout('soon', 0)).toThrow(/--wait-timeout "soon"/);
    expect(() => parseWaitTimeout('0', 0)).toThrow(/--wait-timeout/);
  });

  it('parses counts as positive integers', () => {
    expect(parseCount(undefined)).toBeUndefined();
    expect(parseCount('100')).toBe(100);
    expect(() => parseCount('0')).toThrow(/--count "0"/);
    expect(() => parseCount('-3')).toThrow(/positive whole number/);
    expect(() => parseCount('ten')).toThrow(UserError);
  });

  it('compiles filters and reports bad ones', () => {
    expect(parseFilter(undefined)).toBeUndefined();
    expect(parseFilter('ERROR|WARN')?.test('an ERROR here')).toBe(true);
    expect(() => parseFilter('(unclosed')).toThrow(
      /--filter "\(unclosed" is not a valid regular expression/,
    );
  });

  it('normalizes methods and paths', () => {
    expect(parseMethod(undefined, 'GET')).toBe('GET');
    expect(parseMethod('put', 'GET')).toBe('PUT');
    expect(() => parseMethod('GET /x', 'GET')).toThrow(/--method "GET \/x"/);
    expect(parseUrlPath(undefined)).toBe('/');
    expect(parseUrlPath('users/1?x=2')).toBe('/users/1?x=2');
    expect(parseUrlPath('/a')).toBe('/a');
  });
});

describe('--header', () => {
  it('splits on the first colon, trims, lower-cases names', () => {
    expect(parseHeaders(['X-Request-Id: 42', 'Authorization:Bearer a:b:c', 'x-empty:'])).toEqual({
      'x-request-id': '42',
      authorization: 'Bearer a:b:c',
      'x-empty': '',
    });
  });

  it('rejects values without a name', () => {
    expect(() => parseHeaders(['no colon'])).toThrow(/--header "no colon" is not "Name: value"/);
    expect(() => parseHeaders([': value'])).toThrow(UserError);
    expect(() => parseHeaders(['bad name: x'])).toThrow(UserError);
  });
});

describe('request data', () => {
  it('sends JSON as application/json, compacted', () => {
    const encoded = encodeData('{ "name": "Ada" }');
    expect(encoded.contentType).toBe('application/json');
    expect(encoded.body.toString()).toBe('{"name":"Ada"}');
    expect(encodeData('42').contentType).toBe('application/json');
  });

  it('sends anything else (or --raw) as text/plain', () => {
    expect(encodeData('hello')).toEqual({
      body: Buffer.from('hello'),
      contentType: 'text/plain; charset=utf-8',
    });
    expect(encodeData('{"a":1}', true).contentType).toBe('text/plain; charset=utf-8');
  });

  it('reads -p files relative to the service directory, and refuses -d with -p', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'sk8s-options-'));
    await writeFile(path.join(dir, 'event.json'), '{"a":1}');
    expect(await readInvokeData({ path: 'event.json' }, dir)).toBe('{"a":1}');
    expect(await readInvokeData({ data: 'x' }, dir)).toBe('x');
    expect(await readInvokeData({}, dir)).toBeUndefined();
    await expect(readInvokeData({ data: 'x', path: 'event.json' }, dir)).rejects.toThrow(
      /not both/,
    );
    await expect(readInvokeData({ path: 'missing.json' }, dir)).rejects.toThrow(
      /missing\.json.*ENOENT/,
    );
    await rm(dir, { recursive: true, force: true });
  });
});

describe('option shapes', () => {
  it('names the given options of a list, for "ignored" warnings', () => {
    expect(
      givenOptions({ qualifier: 'v2', raw: false, context: undefined }, [
        'qualifier',
        'raw',
        'context',
      ]),
    ).toEqual(['--qualifier', '--raw']);
    expect(givenOptions({}, ['qualifier'])).toEqual([]);
  });

  it('reads booleans, --no- flags and repeated options', () => {
    expect(booleanOption({ wait: false }, 'wait', true)).toBe(false);
    expect(booleanOption({}, 'wait', true)).toBe(true);
    expect(booleanOption({ force: true }, 'force', false)).toBe(true);
    expect(listOption({ header: ['a: 1', 'b: 2'] }, 'header')).toEqual(['a: 1', 'b: 2']);
    expect(listOption({ header: 'a: 1' }, 'header')).toEqual(['a: 1']);
    expect(listOption({}, 'header')).toEqual([]);
  });
});

describe('-f', () => {
  const fn = (key: string, name = key) => ({ key, name }) as FunctionModel;
  const model = { functions: [fn('hello'), fn('goodBye', 'good-bye')] } as ServiceModel;

  it('finds functions by key or Kubernetes name', () => {
    expect(findFunction(model, 'hello').key).toBe('hello');
    expect(findFunction(model, 'good-bye').key).toBe('goodBye');
    expect(selectFunctions(model, undefined)).toHaveLength(2);
    expect(selectFunctions(model, 'hello')).toHaveLength(1);
  });

  it('lists the functions when the name is unknown or missing', () => {
    expect(() => findFunction(model, 'helo')).toThrow(
      'Function "helo" is not in serverless.yml. Functions: hello, goodBye.',
    );
    expect(() => findFunction(model, undefined)).toThrow(/-f\/--function/);
  });
});
