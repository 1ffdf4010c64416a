import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/cluster/types.js';
import { knativeProvider, requiredKinds } from '../../src/providers/knative/index.js';
import { serviceState } from '../../src/providers/knative/status.js';
import { fnModel, serviceModel } from './knative-fixtures.js';

function service(
  status: Record<string, unknown>,
  generation = 2,
  template = 'hello-abc',
): KubeObject {
  return {
    apiVersion: 'serving.knative.dev/v1',
    kind: 'Service',
    metadata: { name: 'hello', namespace: 'default', generation },
    spec: { template: { metadata: { name: template } } },
    status,
  };
}

describe('serviceState', () => {
  it('a missing Service is pending', () => {
    expect(serviceState(undefined)).toEqual({ phase: 'pending', detail: 'Service not found' });
  });

  it('ignores conditions until observedGeneration catches up', () => {
    const stale = service({
      observedGeneration: 1,
      conditions: [{ type: 'Ready', status: 'True' }],
    });
    expect(serviceState(stale)).toEqual({
      phase: 'pending',
      detail: 'waiting for the Knative controller (generation 2)',
    });
  });

  it('Ready True on this template revision → ready', () => {
    const ok = service({
      observedGeneration: 2,
      latestReadyRevisionName: 'hello-abc',
      conditions: [{ type: 'Ready', status: 'True' }],
    });
    expect(serviceState(ok)).toEqual({ phase: 'ready', revision: 'hello-abc' });
  });

  it('Ready True while an older revision still serves → pending', () => {
    const old = service({
      observedGeneration: 2,
      latestReadyRevisionName: 'hello-old',
      conditions: [{ type: 'Ready', status: 'True' }],
    });
    expect(serviceState(old)).toEqual({
      phase: 'pending',
      detail: 'revision hello-abc not ready yet',
    });
  });

  it('Ready False → failed with the reason, the most specific message and the failing revision', () => {
    const failed = service({
      observedGeneration: 2,
      latestCreatedRevisionName: 'hello-abc',
      conditions: [
        {
          type: 'ConfigurationsReady',
          status: 'False',
          reason: 'RevisionFailed',
          message: 'Revision "hello-abc" failed with message: Container failed with: exit code 1.',
        },
        { type: 'Ready', status: 'False', reason: 'RevisionFailed', message: '' },
        { type: 'RoutesReady', status: 'Unknown' },
      ],
    });
    expect(serviceState(failed)).toEqual({
      phase: 'failed',
      reason: 'RevisionFailed',
      message: 'Revision "hello-abc" failed with message: Container failed with: exit code 1.',
      revision: 'hello-abc',
    });
  });

  it('Ready Unknown reports its reason while pending', () => {
    const deploying = service({
      observedGeneration: 2,
      conditions: [
        { type: 'Ready', status: 'Unknown', reason: 'Deploying', message: 'waiting for pods' },
      ],
    });
    expect(serviceState(deploying)).toEqual({
      phase: 'pending',
      detail: 'Deploying: waiting for pods',
    });
  });
});

describe('requiredKinds', () => {
  it('names the CRD each event needs; no events need nothing', () => {
    expect(requiredKinds(serviceModel([fnModel()]), [fnModel()]).size).toBe(0);
    const fn = fnModel({
      events: [
        { kind: 'schedule', name: 'tick', cron: '* * * * *' },
        { kind: 'cloudEvent', name: 'ce', broker: 'default', filter: {} },
        { kind: 'kafkaSource', name: 'k', bootstrapServers: ['k:9092'], topics: ['t'] },
        { kind: 'http', name: 'web', path: '/', customDomain: 'a.example.com' },
      ],
    });
    const kinds = requiredKinds(serviceModel([fn], { createBroker: true }), [fn]);
    expect([...kinds.keys()].map((k) => k.crd).sort()).toEqual([
      'brokers.eventing.knative.dev',
      'domainmappings.serving.knative.dev',
      'kafkasources.sources.knative.dev',
      'pingsources.sources.knative.dev',
      'triggers.eventing.knative.dev',
    ]);
    expect([...kinds.entries()].find(([k]) => k.kind === 'PingSource')?.[1]).toEqual([
      'functions.hello event tick (schedule)',
    ]);
  });
});

describe('knativeProvider pod and ownership answers', () => {
  it('selects pods by the Knative service label, container user-container', () => {
    const fn = fnModel({ name: 'shop-api' });
    expect(knativeProvider.podSelector(fn)).toBe('serving.knative.dev/service=shop-api');
    expect(knativeProvider.containerName(fn)).toBe('user-container');
  });

  it('owns every kind it renders, so prune and remove find them', () => {
    expect(
      knativeProvider.ownedKinds(serviceModel([])).map((k) => `${k.apiVersion}/${k.kind}`),
    ).toEqual([
      'v1/ConfigMap',
      'serving.knative.dev/v1/Service',
      'serving.knative.dev/v1beta1/DomainMapping',
      'sources.knative.dev/v1/PingSource',
      'sources.knative.dev/v1beta1/KafkaSource',
      'eventing.knative.dev/v1/Trigger',
      'eventing.knative.dev/v1/Broker',
    ]);
  });
});
