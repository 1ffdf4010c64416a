// `serverless deploy --force` through the real CLI: the framework accepts the option for a
// non-AWS provider (its deploy schema declares it), a field another manager owns is reported with
// the hint, and --force takes it over. --no-wait: no pods are needed to test the apply.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminApi, testCluster } from '../../../../test/harness/cluster.js';
import { useTestNamespace } from '../../../../test/harness/namespaces.js';
import { copyService, type CliResult, type ServiceCopy } from './cli.js';

const kubelessFunctionPath = (namespace: string, name: string): string =>
  `/apis/kubeless.io/v1beta1/namespaces/${namespace}/functions/${name}`;

const namespace = useTestNamespace('e2e-kubeless-force');
let service: ServiceCopy;

function sls(args: string[]): Promise<CliResult> {
  return service.sls([...args, '--no-wait', '--param', `namespace=${namespace.name}`]);
}

async function runtimeOf(name: string): Promise<unknown> {
  const fn = await adminApi().expect('GET', kubelessFunctionPath(namespace.name, name));
  return (fn.spec as { runtime?: string }).runtime;
}

describe('deploy --force', () => {
  beforeAll(async () => {
    service = await copyService('e2e-kubeless', { KUBECONFIG: testCluster().kubeconfig });
  });

  afterAll(async () => {
    await service?.dispose();
  });

  it('reports a field another manager owns with the hint, and takes it over with --force', async () => {
    const first = await sls(['deploy']);
    expect(first.code, first.output).toBe(0);

    // Someone edits the runtime with their own tool (server-side apply as "ops-console").
    await adminApi().expect('PATCH', kubelessFunctionPath(namespace.name, 'hello'), {
      contentType: 'application/apply-patch+yaml',
      query: { fieldManager: 'ops-console', force: 'true' },
      body: {
        apiVersion: 'kubeless.io/v1beta1',
        kind: 'Function',
        metadata: { name: 'hello', namespace: namespace.name },
        spec: { runtime: 'nodejs12' },
      },
    });

    const refused = await sls(['deploy']);
    expect(refused.code).not.toBe(0);
    expect(refused.output).toContain(
      `Conflict applying Function "hello" in namespace "${namespace.name}"`,
    );
    expect(refused.output).toContain('"ops-console" owns .spec.runtime');
    expect(refused.output).toContain('Run again with --force');
    expect(await runtimeOf('hello')).toBe('nodejs12');

    const forced = await sls(['deploy', '--force']);
    expect(forced.code, forced.output).toBe(0);
    expect(forced.output).not.toMatch(/unrecognized CLI options/i);
    expect(forced.output).toContain('configured Function/hello');
    expect(await runtimeOf('hello')).toBe('nodejs14');

    // The field is ours now: a plain deploy no longer conflicts. (Its first run may still say
    // "configured": the API server rewrites the other manager's managedFields entry once.)
    const again = await sls(['deploy']);
    expect(again.code, again.output).toBe(0);
    expect(again.output).not.toContain('Conflict');
    expect(await runtimeOf('hello')).toBe('nodejs14');
  });

  it('accepts --force for deploy function too', async () => {
    const result = await sls(['deploy', 'function', '-f', 'greet', '--force']);
    expect(result.code, result.output).toBe(0);
    expect(result.output).not.toMatch(/unrecognized CLI options/i);
  });
});
