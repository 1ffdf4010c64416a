import { describe, expect, it } from 'vitest';
import { formatPodStates, podState, type PodView } from '../../src/cluster/pods.js';

function pod(status: PodView['status'], spec?: PodView['spec']): PodView {
  return {
    metadata: { name: 'hello-abc' },
    spec: spec ?? { containers: [{ name: 'hello', image: 'kubeless/nodejs:14' }] },
    status,
  };
}

const ready = [{ type: 'Ready', status: 'True' }];
const notReady = [{ type: 'Ready', status: 'False' }];

describe('podState', () => {
  it('reports a Ready pod as ready without a problem', () => {
    const state = podState(
      pod({
        phase: 'Running',
        conditions: ready,
        containerStatuses: [{ name: 'hello', ready: true, state: { running: {} } }],
      }),
    );
    expect(state).toEqual({ pod: 'hello-abc', ready: true, state: 'Ready', fatal: false });
  });

  it('explains a crash loop with restarts, exit code, reason and termination message', () => {
    const state = podState(
      pod({
        phase: 'Running',
        conditions: notReady,
        containerStatuses: [
          {
            name: 'hello',
            restartCount: 4,
            state: {
              waiting: {
                reason: 'CrashLoopBackOff',
                message: 'back-off 1m20s restarting failed container',
              },
            },
            lastState: {
              terminated: {
                exitCode: 1,
                reason: 'Error',
                message: 'SyntaxError: Unexpected token }',
              },
            },
          },
        ],
      }),
    );
    expect(state.fatal).toBe(true);
    expect(state.state).toBe('CrashLoopBackOff');
    expect(state.crashedContainer).toBe('hello');
    expect(state.problem).toBe(
      'container "hello" keeps crashing (CrashLoopBackOff, 4 restarts): last exit code 1 (Error); termination message: SyntaxError: Unexpected token }.',
    );
  });

  it('names the image of an image pull back-off', () => {
    const state = podState(
      pod({
        phase: 'Pending',
        containerStatuses: [
          {
            name: 'hello',
            image: 'registry.example/nope:1',
            state: {
              waiting: {
                reason: 'ImagePullBackOff',
                message: 'Back-off pulling image "registry.example/nope:1"',
              },
            },
          },
        ],
      }),
    );
    expect(state).toMatchObject({ state: 'ImagePullBackOff', fatal: true });
    expect(state.problem).toBe(
      'container "hello" cannot pull image "registry.example/nope:1" (ImagePullBackOff): Back-off pulling image "registry.example/nope:1"',
    );
  });

  it('does not give up on the first ErrImagePull (it becomes ImagePullBackOff if it persists)', () => {
    const state = podState(
      pod({
        phase: 'Pending',
        containerStatuses: [
          { name: 'hello', state: { waiting: { reason: 'ErrImagePull', message: 'timeout' } } },
        ],
      }),
    );
    expect(state.fatal).toBe(false);
    expect(state.problem).toContain(
      'cannot pull image "kubeless/nodejs:14" (ErrImagePull): timeout',
    );
  });

  it('reports an OOM kill with the memory limit', () => {
    const state = podState(
      pod(
        {
          phase: 'Running',
          conditions: notReady,
          containerStatuses: [
            {
              name: 'hello',
              restartCount: 2,
              state: { waiting: { reason: 'CrashLoopBackOff' } },
              lastState: { terminated: { exitCode: 137, reason: 'OOMKilled' } },
            },
          ],
        },
        { containers: [{ name: 'hello', resources: { limits: { memory: '64Mi' } } }] },
      ),
    );
    expect(state.problem).toBe(
      'container "hello" keeps crashing (CrashLoopBackOff, 2 restarts): last exit code 137 (OOMKilled). It ran out of memory: raise memorySize above the limit of 64Mi.',
    );
  });

  it('reports an unschedulable pod with the scheduler message, without giving up', () => {
    const state = podState(
      pod({
        phase: 'Pending',
        conditions: [
          {
            type: 'PodScheduled',
            status: 'False',
            reason: 'Unschedulable',
            message: '0/3 nodes are available: 3 Insufficient memory.',
          },
        ],
      }),
    );
    expect(state).toMatchObject({
      state: 'Unschedulable',
      fatal: false,
      problem: 'cannot be scheduled: 0/3 nodes are available: 3 Insufficient memory.',
    });
  });

  it('reports a missing secret (CreateContainerConfigError) as fatal', () => {
    const state = podState(
      pod({
        phase: 'Pending',
        containerStatuses: [
          {
            name: 'hello',
            state: {
              waiting: { reason: 'CreateContainerConfigError', message: 'secret "db" not found' },
            },
          },
        ],
      }),
    );
    expect(state).toMatchObject({
      fatal: true,
      problem: 'container "hello" cannot start (CreateContainerConfigError): secret "db" not found',
    });
  });

  it('looks only at the function container when told which one it is', () => {
    const status: PodView['status'] = {
      phase: 'Running',
      conditions: notReady,
      containerStatuses: [
        {
          name: 'sidecar',
          state: { waiting: { reason: 'CrashLoopBackOff' } },
          lastState: { terminated: { exitCode: 2 } },
        },
        { name: 'hello', state: { waiting: { reason: 'ContainerCreating' } } },
      ],
    };
    expect(podState(pod(status), 'hello')).toMatchObject({
      state: 'ContainerCreating',
      fatal: false,
    });
    expect(podState(pod(status)).state).toBe('CrashLoopBackOff');
    // A name no container has: all containers count.
    expect(podState(pod(status), 'other').state).toBe('CrashLoopBackOff');
  });

  it('reports a failed pod (evicted) and a terminating one', () => {
    expect(
      podState(pod({ phase: 'Failed', reason: 'Evicted', message: 'low on ephemeral-storage' })),
    ).toMatchObject({
      fatal: true,
      problem: 'pod failed (Evicted: low on ephemeral-storage)',
    });
    const terminating = {
      ...pod({ phase: 'Running', conditions: ready }),
      metadata: { name: 'old', deletionTimestamp: '2024-01-01T00:00:00Z' },
    };
    expect(podState(terminating)).toMatchObject({ ready: false, state: 'Terminating' });
  });

  it('formats states for messages', () => {
    expect(
      formatPodStates([
        { pod: 'a', ready: false, state: 'Pending', fatal: false },
        { pod: 'b', ready: false, state: 'X', problem: 'why', fatal: true },
      ]),
    ).toBe('pod a: Pending\npod b: X — why');
  });
});
