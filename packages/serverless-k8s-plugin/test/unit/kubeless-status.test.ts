import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/cluster/types.js';
import { kubelessFunction } from './kubeless-fixtures.js';
import {
  expectsRollout,
  functionPodSelector,
  functionSnapshot,
  pendingRollouts,
  timeoutProblem,
  type NamespaceState,
} from '../../src/providers/kubeless/status.js';

const fn = kubelessFunction('hello');

function pod(
  name: string,
  options: {
    ready?: boolean;
    hash?: string;
    fn?: string;
    waiting?: string;
    deleting?: boolean;
  } = {},
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      labels: {
        'created-by': 'kubeless',
        function: options.fn ?? 'hello',
        ...(options.hash ? { 'pod-template-hash': options.hash } : {}),
      },
      ...(options.deleting ? { deletionTimestamp: '2024-01-01T00:00:00Z' } : {}),
    },
    status: {
      phase: options.ready ? 'Running' : 'Pending',
      conditions: [{ type: 'Ready', status: options.ready ? 'True' : 'False' }],
      containerStatuses: [
        options.waiting === 'CrashLoopBackOff'
          ? {
              name: 'hello',
              restartCount: 3,
              state: { waiting: { reason: 'CrashLoopBackOff' } },
              lastState: { terminated: { exitCode: 1, reason: 'Error', message: 'SyntaxError' } },
            }
          : {
              name: 'hello',
              ready: !!options.ready,
              state: options.ready
                ? { running: {} }
                : { waiting: { reason: options.waiting ?? 'ContainerCreating' } },
            },
      ],
    },
  };
}

function deployment(
  status: { readyReplicas?: number; observedGeneration?: number },
  replicas = 1,
  revision = '2',
): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: 'hello',
      uid: 'dep-uid',
      generation: 3,
      annotations: { 'deployment.kubernetes.io/revision': revision },
    },
    spec: { replicas },
    status,
  };
}

function replicaSet(revision: string, hash: string): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: `hello-${hash}`,
      annotations: { 'deployment.kubernetes.io/revision': revision },
      labels: { 'pod-template-hash': hash },
      ownerReferences: [{ uid: 'dep-uid' }],
    },
  };
}

const state = (partial: Partial<NamespaceState>): NamespaceState => ({
  deployments: [],
  replicaSets: [],
  pods: [],
  ...partial,
});

describe('functionSnapshot', () => {
  it("selects the pods by the labels Kubeless sets, leaving out the schedule's Job pods", () => {
    // cronjob-trigger kubelessutil.go:76-101 gives Job pods the function's labels too.
    expect(functionPodSelector(fn)).toBe('created-by=kubeless,!job-name,function=hello');
  });

  it('waits for the controller while there is neither a Deployment nor a pod', () => {
    const snapshot = functionSnapshot(
      fn,
      state({ pods: [pod('other-1', { ready: true, fn: 'other' })] }),
    );
    expect(snapshot).toMatchObject({
      empty: true,
      status: { ready: false, readyReplicas: 0, desiredReplicas: 1 },
    });
    expect(snapshot.summary).toBe('waiting for the Kubeless controller to create the Deployment');
    expect(timeoutProblem(fn, snapshot, 60_000)).toBe(
      'not ready after 60s: no Deployment or pods for function "hello" appeared in namespace "fn" (is the Kubeless controller running?)',
    );
  });

  it('is ready when the Deployment has its replicas ready', () => {
    const snapshot = functionSnapshot(
      fn,
      state({ deployments: [deployment({ readyReplicas: 2, observedGeneration: 3 }, 2)] }),
    );
    expect(snapshot.status).toEqual({
      name: 'hello',
      namespace: 'fn',
      ready: true,
      readyReplicas: 2,
      desiredReplicas: 2,
    });
  });

  it('is not ready while the Deployment controller has not seen the latest generation', () => {
    const snapshot = functionSnapshot(
      fn,
      state({ deployments: [deployment({ readyReplicas: 1, observedGeneration: 2 })] }),
    );
    expect(snapshot.status.ready).toBe(false);
  });

  it('is ready without a Deployment when all its pods are Ready (no controller)', () => {
    const snapshot = functionSnapshot(fn, state({ pods: [pod('hello-1', { ready: true })] }));
    expect(snapshot.status).toMatchObject({ ready: true, readyReplicas: 1, desiredReplicas: 1 });
    const twoWanted = functionSnapshot(
      kubelessFunction('hello', { replicas: 2 }),
      state({ pods: [pod('hello-1', { ready: true })] }),
    );
    expect(twoWanted.status).toMatchObject({ ready: false, readyReplicas: 1, desiredReplicas: 2 });
  });

  it('fails at once for a crash loop of the current ReplicaSet, with the reason', () => {
    const snapshot = functionSnapshot(
      fn,
      state({
        deployments: [deployment({ readyReplicas: 0, observedGeneration: 3 })],
        replicaSets: [replicaSet('1', 'old'), replicaSet('2', 'new')],
        pods: [pod('hello-new', { hash: 'new', waiting: 'CrashLoopBackOff' })],
      }),
    );
    expect(snapshot.fatal?.pod).toBe('hello-new');
    expect(snapshot.status.problem).toBe(
      'pod hello-new: container "hello" keeps crashing (CrashLoopBackOff, 3 restarts): last exit code 1 (Error); termination message: SyntaxError.',
    );
  });

  it('ignores a crash of the previous ReplicaSet while the fixed version starts', () => {
    const snapshot = functionSnapshot(
      fn,
      state({
        deployments: [deployment({ readyReplicas: 0, observedGeneration: 3 })],
        replicaSets: [replicaSet('1', 'old'), replicaSet('2', 'new')],
        pods: [
          pod('hello-old', { hash: 'old', waiting: 'CrashLoopBackOff' }),
          pod('hello-new', { hash: 'new' }),
        ],
      }),
    );
    expect(snapshot.fatal).toBeUndefined();
    expect(snapshot.pods.map((p) => p.pod)).toEqual(['hello-new']);
    expect(snapshot.summary).toBe('0/1 ready (ContainerCreating)');
  });

  it('leaves terminating pods out', () => {
    const snapshot = functionSnapshot(
      fn,
      state({ pods: [pod('hello-1', { ready: true }), pod('hello-0', { deleting: true })] }),
    );
    expect(snapshot.status.ready).toBe(true);
  });

  it('describes the last seen states on timeout', () => {
    const snapshot = functionSnapshot(
      fn,
      state({ pods: [pod('hello-1', { waiting: 'ContainerCreating' })] }),
    );
    expect(timeoutProblem(fn, snapshot, 90_000)).toBe(
      'not ready after 90s (0/1 ready (ContainerCreating)); last seen:\npod hello-1: ContainerCreating',
    );
  });
});

describe('readiness after an update', () => {
  const kubelessFn = (spec: Record<string, unknown>, name = 'hello'): KubeObject => ({
    apiVersion: 'kubeless.io/v1beta1',
    kind: 'Function',
    metadata: { name, namespace: 'fn' },
    spec: {
      handler: 'handler.hello',
      timeout: '180',
      function: 'UEsDB…v1',
      checksum: 'sha256:1111',
      'function-content-type': 'base64+zip',
      deps: '',
      deployment: { spec: { template: { spec: { containers: [{ env: [] }] } } } },
      ...spec,
    },
  });
  const oldDeployment = {
    ...deployment({ readyReplicas: 1, observedGeneration: 3 }),
    kind: 'Deployment',
  };
  const withNamespace = (object: KubeObject): KubeObject => ({
    ...object,
    metadata: { ...object.metadata, namespace: 'fn' },
  });

  it('expects a rollout for changes the controller copies into the Deployment spec', () => {
    const before = kubelessFn({});
    expect(expectsRollout(before, kubelessFn({}))).toBe(false);
    expect(
      expectsRollout(before, kubelessFn({ function: 'UEsDB…v2', checksum: 'sha256:2222' })),
    ).toBe(true);
    expect(expectsRollout(before, kubelessFn({ timeout: '30' }))).toBe(true);
    expect(expectsRollout(before, kubelessFn({ handler: 'handler.other' }))).toBe(true);
    expect(
      expectsRollout(
        before,
        kubelessFn({
          deployment: {
            spec: { template: { spec: { containers: [{ env: [{ name: 'A', value: '1' }] }] } } },
          },
        }),
      ),
    ).toBe(true);
    // Not copied into the Deployment spec: autoscaling only.
    expect(
      expectsRollout(before, kubelessFn({ horizontalPodAutoscaler: { spec: { maxReplicas: 3 } } })),
    ).toBe(false);
    // With its own image the code is not in the pod template: a code change alone rolls nothing.
    const imageSpec = {
      deployment: { spec: { template: { spec: { containers: [{ image: 'me/fn:1' }] } } } },
    };
    expect(
      expectsRollout(
        kubelessFn(imageSpec),
        kubelessFn({ ...imageSpec, function: 'UEsDB…v2', checksum: 'sha256:2222' }),
      ),
    ).toBe(false);
  });

  it('waits for a rollout only for updated Functions that had a Deployment', () => {
    const baseline = [kubelessFn({}), withNamespace(oldDeployment), kubelessFn({}, 'same')];
    const updated = kubelessFn({ checksum: 'sha256:2222' });
    expect(
      pendingRollouts(baseline, [
        { object: updated, changed: true, created: false },
        { object: kubelessFn({}, 'same'), changed: false, created: false },
        { object: kubelessFn({}, 'fresh'), changed: true, created: true },
      ]),
    ).toEqual(new Map([['fn/hello', 3]]));
    // Updated, but no Deployment yet (no controller ran): nothing old to mistake for ready.
    expect(
      pendingRollouts([kubelessFn({})], [{ object: updated, changed: true, created: false }]),
    ).toEqual(new Map());
  });

  it('is not ready while the old Deployment is unchanged, then only once the new rollout is done', () => {
    const before = functionSnapshot(fn, state({ deployments: [oldDeployment] }), 3);
    expect(before.status).toMatchObject({ ready: false, readyReplicas: 0 });
    expect(before.summary).toBe(
      'waiting for the Kubeless controller to roll out the update (Deployment generation still 3)',
    );
    expect(timeoutProblem(fn, before, 60_000)).toBe(
      'not ready after 60s: waiting for the Kubeless controller to roll out the update (Deployment generation still 3) ' +
        'for function "hello" in namespace "fn" (is the Kubeless controller running?)',
    );
    // Without the update to wait for, the same Deployment is ready (first and unchanged deploys).
    expect(functionSnapshot(fn, state({ deployments: [oldDeployment] })).status.ready).toBe(true);

    const patched = (status: Record<string, number>): KubeObject => ({
      ...deployment(status),
      metadata: { ...deployment(status).metadata, generation: 4 },
    });
    const replicaSets = [replicaSet('1', 'old'), replicaSet('2', 'new')];
    const rolling = functionSnapshot(
      fn,
      state({
        deployments: [
          patched({ observedGeneration: 4, replicas: 2, updatedReplicas: 1, readyReplicas: 1 }),
        ],
        replicaSets,
        pods: [pod('hello-old', { hash: 'old', ready: true }), pod('hello-new', { hash: 'new' })],
      }),
      3,
    );
    expect(rolling.status.ready).toBe(false);
    const oldStillServing = functionSnapshot(
      fn,
      state({
        deployments: [
          patched({ observedGeneration: 4, replicas: 1, updatedReplicas: 1, readyReplicas: 1 }),
        ],
        replicaSets,
        pods: [
          pod('hello-old', { hash: 'old', ready: true }),
          pod('hello-new', { hash: 'new', ready: true }),
        ],
      }),
      3,
    );
    expect(oldStillServing.status.ready).toBe(false);
    const done = functionSnapshot(
      fn,
      state({
        deployments: [
          patched({ observedGeneration: 4, replicas: 1, updatedReplicas: 1, readyReplicas: 1 }),
        ],
        replicaSets,
        pods: [pod('hello-new', { hash: 'new', ready: true })],
      }),
      3,
    );
    expect(done.status).toMatchObject({ ready: true, readyReplicas: 1, desiredReplicas: 1 });
  });
});
