import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import yaml from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { closestRuntime, parseRuntimeIds } from '../../src/providers/kubeless/runtimes.js';

// The stock Kubeless 1.0.8 kubeless-config the test cluster installs.
const fixture = fileURLToPath(
  new URL('../../../test-cluster/manifests/kubeless-config.yaml', import.meta.url),
);
const config = yaml.load(readFileSync(fixture, 'utf8')) as { data: Record<string, string> };
const ids = parseRuntimeIds(config.data['runtime-images'] as string);

describe('parseRuntimeIds', () => {
  it('reads <ID><version> ids from the stock kubeless-config, in its order', () => {
    expect(ids.slice(0, 5)).toEqual([
      'ballerina0.981.0',
      'dotnetcore2.0',
      'dotnetcore2.1',
      'dotnetcore2.2',
      'dotnetcore3.1',
    ]);
    expect(ids).toContain('nodejs14');
    expect(ids).toContain('python3.7');
    expect(ids).toContain('go1.14');
    expect(ids).not.toContain('node14'); // version *names* are not runtime ids
  });

  it('rejects runtime-images that are not a JSON list', () => {
    expect(() => parseRuntimeIds('{"ID":"x"}')).toThrow('not a JSON list');
    expect(() => parseRuntimeIds('not json')).toThrow();
  });
});

describe('closestRuntime', () => {
  it('suggests the newest version of the same language (the classic python mistake)', () => {
    expect(closestRuntime('python', ids)).toBe('python3.8');
    expect(closestRuntime('python3', ids)).toBe('python3.8');
    expect(closestRuntime('nodejs20', ids)).toBe('nodejs14');
  });

  it('suggests the nearest spelling for a misspelt language', () => {
    expect(closestRuntime('node14', ids)).toBe('nodejs14');
    expect(closestRuntime('rubby2.6', ids)).toBe('ruby2.6');
  });

  it('suggests nothing for something unrelated', () => {
    expect(closestRuntime('haskell9', ids)).toBeUndefined();
  });

  it('orders versions numerically, not as text', () => {
    expect(closestRuntime('go', ['go1.9', 'go1.13', 'go1.10'])).toBe('go1.13');
  });
});
