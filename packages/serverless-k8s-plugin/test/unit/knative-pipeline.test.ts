// serverless.yml → normalize → package → render, then the code ConfigMap is "mounted" (its
// binaryData written to a directory) and the Service's container command is run as Knative would
// run it: proof that the default delivery needs nothing but a stock Node image.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/cluster/types.js';
import { normalize } from '../../src/model/normalize.js';
import { packageFunctions } from '../../src/packaging/index.js';
import { CODE_MOUNT_PATH } from '../../src/providers/knative/delivery.js';
import { knativeProvider } from '../../src/providers/knative/index.js';

const root = mkdtempSync(join(tmpdir(), 'sk8s-knative-pipeline-'));
let child: ChildProcess | undefined;

afterAll(() => {
  child?.kill('SIGKILL');
  rmSync(root, { recursive: true, force: true });
});

interface Container {
  image: string;
  command: string[];
  env: { name: string; value?: string }[];
}

function startContainer(container: Container, mountDir: string): Promise<number> {
  const [bin, ...args] = container.command.map((part) => part.replace(CODE_MOUNT_PATH, mountDir));
  expect(bin).toBe('node');
  const env: Record<string, string> = { PATH: process.env.PATH ?? '', PORT: '0' };
  for (const { name, value } of container.env) if (value !== undefined) env[name] = value;
  child = spawn(process.execPath, args, { cwd: '/', env, stdio: ['ignore', 'pipe', 'pipe'] });
  const stderr: string[] = [];
  child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no start: ${stderr.join('')}`)), 10_000);
    child?.on('exit', (code) => reject(new Error(`exited ${code}: ${stderr.join('')}`)));
    createInterface({ input: child?.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      const port = (JSON.parse(line) as { port?: number }).port;
      if (port) {
        clearTimeout(timer);
        resolve(port);
      }
    });
  });
}

describe('Knative default delivery, end to end without a cluster', () => {
  it('a TypeScript handler runs from its code ConfigMap and answers a PingSource CloudEvent', async () => {
    const servicePath = join(root, 'svc');
    mkdirSync(join(servicePath, 'src'), { recursive: true });
    writeFileSync(
      join(servicePath, 'src', 'handler.ts'),
      [
        'interface Event { data: unknown; "event-type": string }',
        'interface Context { "function-name": string }',
        'export async function report(event: Event, context: Context): Promise<object> {',
        '  return { got: event.data, type: event["event-type"], fn: context["function-name"] };',
        '}',
        '',
      ].join('\n'),
    );
    writeFileSync(join(servicePath, 'package.json'), '{"name":"svc","version":"1.0.0"}');
    const model = normalize({
      service: 'svc',
      stage: 'dev',
      servicePath,
      provider: { name: 'knative', namespace: 'reports', memorySize: 128 },
      functions: {
        report: {
          handler: 'src/handler.report',
          events: [{ schedule: { cron: '0 3 * * *', data: { job: 'nightly' } } }],
        },
      },
    });
    const artifacts = await packageFunctions(
      model,
      model.functions,
      join(servicePath, '.serverless'),
    );
    const objects = knativeProvider.render(model, artifacts);

    expect(objects.map((o) => o.kind)).toEqual(['ConfigMap', 'Service', 'PingSource']);
    const [configMap, service, ping] = objects as [
      KubeObject & { binaryData: Record<string, string> },
      KubeObject & {
        spec: { template: { spec: { containers: Container[]; volumes: unknown[] } } };
      },
      KubeObject & { spec: { data: string; contentType: string } },
    ];
    const container = service.spec.template.spec.containers[0] as Container;
    expect(container.image).toBe(model.nodeImage);
    expect(service.spec.template.spec.volumes).toEqual([
      { name: 'sk8s-code', configMap: { name: configMap.metadata.name } },
    ]);
    expect(Object.keys(configMap.binaryData).sort()).toEqual([
      'report.js',
      'report.js.map',
      'runtime.js',
    ]);

    // "Mount" the ConfigMap and run the container command.
    const mountDir = join(root, 'mount');
    mkdirSync(mountDir);
    for (const [key, value] of Object.entries(configMap.binaryData)) {
      writeFileSync(join(mountDir, key), Buffer.from(value, 'base64'));
    }
    const port = await startContainer(container, mountDir);

    // What a PingSource sends: a binary-mode CloudEvent carrying `data`.
    const response = await fetch(`http://127.0.0.1:${port}/`, {
      method: 'POST',
      headers: {
        'content-type': ping.spec.contentType,
        'ce-specversion': '1.0',
        'ce-id': 'ping-1',
        'ce-source': `/apis/v1/namespaces/reports/pingsources/${ping.metadata.name}`,
        'ce-type': 'dev.knative.sources.ping',
      },
      body: ping.spec.data,
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      got: { job: 'nightly' },
      type: 'dev.knative.sources.ping',
      fn: 'report',
    });
    const liveness = await fetch(`http://127.0.0.1:${port}/health/liveness`);
    expect(liveness.status).toBe(200);
  });
});
