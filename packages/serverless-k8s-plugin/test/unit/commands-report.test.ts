import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/cluster/types.js';
import {
  listOwned,
  modelNamespaces,
  ownershipSelector,
  staleObjects,
} from '../../src/commands/owned.js';
import {
  countOf,
  formatBytes,
  formatSeconds,
  formatTable,
  functionInfoLines,
  metricsTable,
  objectRef,
  statusLine,
} from '../../src/commands/report.js';
import type { ClusterClient } from '../../src/cluster/types.js';
import type { ServiceModel } from '../../src/model/types.js';
import type { ProviderAdapter } from '../../src/providers/types.js';

describe('report formatting', () => {
  it('aligns table columns', () => {
    expect(
      formatTable(
        ['NAME', 'CALLS'],
        [
          ['hello', '3'],
          ['a-much-longer-name', '12'],
        ],
      ),
    ).toEqual(['NAME                CALLS', 'hello               3', 'a-much-longer-name  12']);
  });

  it('writes status lines like kubectl', () => {
    const base = { name: 'hello', namespace: 'default', readyReplicas: 1, desiredReplicas: 1 };
    expect(statusLine({ ...base, ready: true }, 'http://hello.127.0.0.1.nip.io/hello')).toBe(
      'hello ready (1/1) http://hello.127.0.0.1.nip.io/hello',
    );
    expect(statusLine({ ...base, ready: true })).toBe('hello ready (1/1)');
    expect(
      statusLine({
        ...base,
        ready: false,
        readyReplicas: 0,
        problem: 'CrashLoopBackOff (exit code 1)\nSyntaxError: x',
      }),
    ).toBe('hello not ready (0/1): CrashLoopBackOff (exit code 1)\n    SyntaxError: x');
    expect(statusLine({ ...base, ready: false, readyReplicas: 0 })).toBe(
      'hello not ready (0/1): not ready',
    );
  });

  it('counts with the right plural', () => {
    expect(countOf(1, 'object')).toBe('1 object');
    expect(countOf(0, 'function')).toBe('0 functions');
    expect(countOf(3, 'object')).toBe('3 objects');
  });

  it('formats object references, durations and sizes', () => {
    const object: KubeObject = {
      apiVersion: 'kubeless.io/v1beta1',
      kind: 'Function',
      metadata: { name: 'hello', namespace: 'fns' },
    };
    expect(objectRef(object, 'fns')).toBe('Function/hello');
    expect(objectRef(object, 'default')).toBe('Function/hello (fns)');
    expect(formatSeconds(undefined)).toBe('-');
    expect(formatSeconds(0.0042)).toBe('4.20ms');
    expect(formatSeconds(0.25)).toBe('250.0ms');
    expect(formatSeconds(3.456)).toBe('3.46s');
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(2048)).toBe('2.0 KiB');
    expect(formatBytes(3 * 1024 * 1024)).toBe('3.00 MiB');
  });

  it('renders the metrics table, with the reason when a function could not be read', () => {
    expect(
      metricsTable([
        {
          name: 'hello',
          pods: 2,
          metrics: {
            calls: 4,
            failures: 1,
            totalDurationSeconds: 0.4,
            durationCount: 4,
            averageDurationSeconds: 0.1,
          },
        },
        { name: 'idle', pods: 0, metrics: 'no ready pods' },
      ]),
    ).toEqual([
      'FUNCTION  PODS  CALLS  FAILURES  TOTAL DURATION  AVG DURATION',
      'hello     2     4      1         400.0ms         100.0ms',
      'idle      0     -      -         -               - (no ready pods)',
    ]);
  });

  it('renders info with triggers and a Knative traffic table', () => {
    const lines = functionInfoLines({
      name: 'hello',
      namespace: 'default',
      ready: true,
      readyReplicas: 1,
      desiredReplicas: 1,
      runtime: 'nodejs20',
      handler: 'handler.hello',
      url: 'http://hello.default.example.com',
      latestCreatedRevision: 'hello-00002',
      latestReadyRevision: 'hello-00002',
      triggers: [{ kind: 'http', name: 'hello-http', detail: 'http://hello.default.example.com' }],
      traffic: [
        {
          revision: 'hello-00001',
          percent: 50,
          tag: 'blue',
          url: 'http://blue-hello.default.example.com',
        },
        { revision: 'hello-00002', percent: 50, latest: true },
      ],
    });
    expect(lines).toEqual([
      '✔ hello',
      '    runtime:   nodejs20',
      '    handler:   handler.hello',
      '    ready:     1/1',
      '    url:       http://hello.default.example.com',
      '    revisions: latest created hello-00002, latest ready hello-00002',
      '    triggers:',
      '      KIND  NAME        DETAIL',
      '      http  hello-http  http://hello.default.example.com',
      '    traffic:',
      '      REVISION              PERCENT  TAG   URL',
      '      hello-00001           50%      blue  http://blue-hello.default.example.com',
      '      hello-00002 (latest)  50%      -     -',
    ]);
  });
});

describe('ownership', () => {
  const model = {
    service: 'shop',
    stage: 'dev',
    namespace: 'default',
    commonLabels: {
      'app.kubernetes.io/managed-by': 'serverless-k8s',
      'serverless-k8s.io/service': 'shop',
      'serverless-k8s.io/stage': 'dev',
    },
    functions: [{ namespace: 'default' }, { namespace: 'jobs' }, { namespace: 'jobs' }],
  } as unknown as ServiceModel;
  const fn = (kind: string, name: string, namespace = 'default'): KubeObject => ({
    apiVersion: 'kubeless.io/v1beta1',
    kind,
    metadata: { name, namespace },
  });

  it('selects by managed-by, service and stage', () => {
    expect(ownershipSelector(model)).toBe(
      'app.kubernetes.io/managed-by=serverless-k8s,serverless-k8s.io/service=shop,serverless-k8s.io/stage=dev',
    );
  });

  it('lists every namespace the service uses once', () => {
    expect(modelNamespaces(model)).toEqual(['default', 'jobs']);
  });

  it('finds the owned objects that are no longer rendered', () => {
    const owned = [
      fn('Function', 'a'),
      fn('Function', 'b'),
      fn('HTTPTrigger', 'a'),
      fn('Function', 'a', 'jobs'),
    ];
    const rendered = [fn('Function', 'a'), fn('HTTPTrigger', 'a')];
    expect(staleObjects(owned, rendered)).toEqual([
      fn('Function', 'b'),
      fn('Function', 'a', 'jobs'),
    ]);
  });

  it('lists each served kind in each namespace, skipping kinds the cluster does not serve', async () => {
    const calls: string[] = [];
    const client = {
      hasKind: async (_apiVersion: string, kind: string) => kind !== 'KafkaTrigger',
      list: async (apiVersion: string, kind: string, namespace: string, selector: string) => {
        calls.push(`${kind} ${namespace} ${selector === ownershipSelector(model)}`);
        // The list API omits apiVersion/kind on items; listOwned puts them back.
        return namespace === 'jobs' ? [{ metadata: { name: 'x', namespace } } as KubeObject] : [];
      },
    } as unknown as ClusterClient;
    const provider = {
      ownedKinds: () => [
        { apiVersion: 'kubeless.io/v1beta1', kind: 'Function' },
        { apiVersion: 'kubeless.io/v1beta1', kind: 'KafkaTrigger' },
      ],
    } as unknown as ProviderAdapter;
    expect(await listOwned(client, model, provider)).toEqual([fn('Function', 'x', 'jobs')]);
    expect(calls).toEqual(['Function default true', 'Function jobs true']);
  });
});
