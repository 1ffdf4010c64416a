// The real `serverless` CLI with the built plugin, for what needs no cluster: the plugin loads,
// replaces the framework's zip packaging, writes applyable YAML, validates its CLI options, runs
// handlers locally through the runtime, and reports user mistakes without a stack trace.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import yaml from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyService, type ServiceCopy } from './cli.js';

let service: ServiceCopy;

beforeAll(async () => {
  service = await copyService('e2e-kubeless');
});

afterAll(async () => {
  await service?.dispose();
});

describe('serverless package', () => {
  it('bundles each function and writes the resources as multi-document YAML', async () => {
    const result = await service.sls(['package']);
    expect(result.code, result.output).toBe(0);
    expect(result.output).toMatch(
      /✔ Packaged 3 functions in \d+ ms: 5 objects → \.serverless\/e2e-shop-dev\.yaml/,
    );
    const documents = yaml.loadAll(
      await readFile(path.join(service.dir, '.serverless', 'e2e-shop-dev.yaml'), 'utf8'),
    ) as {
      kind: string;
      metadata: { name: string; namespace: string; labels: Record<string, string> };
    }[];
    expect(documents.map((d) => `${d.kind}/${d.metadata.name}`).sort()).toEqual([
      'CronJobTrigger/trigger-tick',
      'Function/greet',
      'Function/hello',
      'Function/tick',
      'HTTPTrigger/hello-http-0',
    ]);
    for (const document of documents) {
      expect(document.metadata.namespace).toBe('e2e-kubeless');
      expect(document.metadata.labels).toMatchObject({
        'app.kubernetes.io/managed-by': 'serverless-k8s',
        'serverless-k8s.io/service': 'e2e-shop',
        'serverless-k8s.io/stage': 'dev',
      });
    }
    // The framework's own packaging (a zip of the whole service directory) did not run.
    await expect(readFile(path.join(service.dir, '.serverless', 'e2e-shop.zip'))).rejects.toThrow(
      /ENOENT/,
    );
  });

  it('names the stage in the file and labels', async () => {
    const result = await service.sls(['package', '--stage', 'prod']);
    expect(result.code, result.output).toBe(0);
    const text = await readFile(
      path.join(service.dir, '.serverless', 'e2e-shop-prod.yaml'),
      'utf8',
    );
    expect(text).toContain('serverless-k8s.io/stage: prod');
  });
});

describe('serverless invoke local', () => {
  it('runs the bundled handler with JSON data and prints the result', async () => {
    const result = await service.sls(['invoke', 'local', '-f', 'hello', '-d', '{"name":"Ada"}']);
    expect(result.code, result.output).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ message: 'Hello, Ada!' });
  });

  it('reads data from a file with -p', async () => {
    await writeFile(path.join(service.dir, 'event.json'), '{"name":"Grace"}');
    const result = await service.sls(['invoke', 'local', '-f', 'hello', '-p', 'event.json']);
    expect(result.code, result.output).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ message: 'Hello, Grace!' });
  });

  it('exits non-zero with status and body when the handler fails', async () => {
    const result = await service.sls(['invoke', 'local', '-f', 'greet', '-d', '{}']);
    expect(result.code).not.toBe(0);
    expect(result.output).toContain('Function greet answered HTTP 500 Internal Server Error');
    expect(result.output).toContain('"error": "Internal Server Error"');
  });
});

describe('user mistakes', () => {
  it('names the unknown function and lists the others, without a stack trace', async () => {
    const result = await service.sls(['invoke', 'local', '-f', 'helo']);
    expect(result.code).not.toBe(0);
    expect(result.output).toContain(
      'Function "helo" is not in serverless.yml. Functions: hello, greet, tick.',
    );
    expect(result.output).not.toMatch(/\n\s+at .+\(.+:\d+:\d+\)/);
  });

  it('rejects options the plugin does not declare, and bad values of those it does', async () => {
    const unknown = await service.sls(['logs', '-f', 'hello', '--bogus']);
    expect(unknown.code).not.toBe(0);
    expect(unknown.output).toContain('Detected unrecognized CLI options: "--bogus"');
    const badHeader = await service.sls(['invoke', 'local', '-f', 'hello', '--header', 'no-colon']);
    expect(badHeader.code).not.toBe(0);
    expect(badHeader.output).toContain('--header "no-colon" is not "Name: value"');
  });
});
