// Pod logs come from the kubelet, which the local test API server does not have: this is the one
// path tested with nock (HTTP-level fakes of the API server), through the real client.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connect, type ConnectedClusterClient } from '../../src/cluster/client.js';
import { parseSince, streamLogs } from '../../src/cluster/logs.js';
import { diagnosePods } from '../../src/cluster/pods.js';

const SERVER = 'https://k8s.unit.test:6443';
const TOKEN = 'unit-test-token-not-a-secret';
const PODS = '/api/v1/namespaces/fn/pods';
const SELECTOR = 'created-by=kubeless,function=hello';

let client: ConnectedClusterClient;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sk8s-logs-'));
  const file = join(dir, 'kubeconfig');
  writeFileSync(
    file,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters: [{name: unit, cluster: {server: "' +
        SERVER +
        '", insecure-skip-tls-verify: true}}]',
      'users: [{name: unit-user, user: {token: ' + TOKEN + '}}]',
      'contexts: [{name: unit, context: {cluster: unit, user: unit-user}}]',
      'current-context: unit',
    ].join('\n'),
  );
  client = await connect({ kubeconfigPath: file });
  nock.disableNetConnect();
});

afterEach(() => {
  nock.cleanAll();
});

afterAll(() => {
  client.close();
  nock.enableNetConnect();
});

function podList(...names: string[]) {
  return { kind: 'PodList', items: names.map((name) => ({ metadata: { name, namespace: 'fn' } })) };
}

/** The API server, answering discovery of v1 as the client's first request (it caches the answer). */
function api() {
  const scope = nock(SERVER, { reqheaders: { authorization: `Bearer ${TOKEN}` } });
  scope
    .get('/api/v1')
    .optionally()
    .reply(200, {
      kind: 'APIResourceList',
      groupVersion: 'v1',
      resources: [
        { name: 'pods', kind: 'Pod', namespaced: true },
        { name: 'events', kind: 'Event', namespaced: true },
      ],
    });
  return scope;
}

describe('streamLogs', () => {
  it('reads one pod without prefixes, passing tailLines, sinceSeconds and container', async () => {
    api().get(PODS).query({ labelSelector: SELECTOR, limit: '500' }).reply(200, podList('hello-1'));
    api()
      .get(`${PODS}/hello-1/log`)
      .query({ container: 'hello', tailLines: '5', sinceSeconds: '1800' })
      .reply(200, 'first\nsecond\nno newline at end');
    const lines: string[] = [];
    const result = await streamLogs(client, {
      namespace: 'fn',
      selector: SELECTOR,
      container: 'hello',
      follow: false,
      tailLines: 5,
      ...parseSince('30m'),
      write: (line) => lines.push(line),
    });
    expect(lines).toEqual(['first', 'second', 'no newline at end']);
    expect(result).toEqual({ pods: ['hello-1'], lines: 3 });
  });

  it('prefixes lines with the pod when there are several, and applies the filter', async () => {
    api().get(PODS).query(true).reply(200, podList('hello-b', 'hello-a'));
    api().get(`${PODS}/hello-a/log`).query(true).reply(200, 'GET /ok 200\nGET /boom 500\n');
    api().get(`${PODS}/hello-b/log`).query(true).reply(200, 'POST /boom 500\r\nGET /x 200\n');
    const lines: string[] = [];
    const result = await streamLogs(client, {
      namespace: 'fn',
      selector: SELECTOR,
      follow: false,
      filter: / 5\d\d$/g,
      write: (line) => lines.push(line),
    });
    expect(lines.sort()).toEqual(['[hello-a] GET /boom 500', '[hello-b] POST /boom 500']);
    expect(result.lines).toBe(2);
  });

  it('warns about a pod whose logs cannot be read and still reads the others', async () => {
    api().get(PODS).query(true).reply(200, podList('hello-1', 'hello-2'));
    api().get(`${PODS}/hello-1/log`).query(true).reply(200, 'ok\n');
    api().get(`${PODS}/hello-2/log`).query(true).reply(400, {
      kind: 'Status',
      status: 'Failure',
      reason: 'BadRequest',
      code: 400,
      message: 'container "hello" in pod "hello-2" is waiting to start: ContainerCreating',
    });
    const lines: string[] = [];
    const warnings: string[] = [];
    await streamLogs(client, {
      namespace: 'fn',
      selector: SELECTOR,
      follow: false,
      write: (l) => lines.push(l),
      warn: (w) => warnings.push(w),
    });
    expect(lines).toEqual(['[hello-1] ok']);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('Pod "hello-2" in namespace "fn"');
    expect(warnings[0]).toContain('is waiting to start: ContainerCreating');
  });

  it('fails when no pod could be read at all', async () => {
    api().get(PODS).query(true).reply(200, podList('hello-1'));
    api().get(`${PODS}/hello-1/log`).query(true).reply(403, {
      kind: 'Status',
      code: 403,
      reason: 'Forbidden',
      message:
        'pods "hello-1" is forbidden: User "jane" cannot get resource "pods/log" in API group "" in the namespace "fn"',
    });
    const warnings: string[] = [];
    await expect(
      streamLogs(client, {
        namespace: 'fn',
        selector: SELECTOR,
        follow: false,
        write: () => {},
        warn: (w) => warnings.push(w),
      }),
    ).rejects.toThrow('forbidden: user "jane" cannot get pods/log in namespace "fn"');
    // The error is the whole answer: not also printed as a warning before it.
    expect(warnings).toEqual([]);
  });

  it('follows, picks up a pod that appears later, switches to prefixes, and stops on abort', async () => {
    const first = new PassThrough();
    const second = new PassThrough();
    api().get(PODS).query(true).reply(200, podList('hello-1'));
    api()
      .get(`${PODS}/hello-1/log`)
      .query({ follow: 'true' })
      .reply(200, () => first);
    api().get(PODS).query(true).reply(200, podList('hello-1', 'hello-2'));
    api()
      .get(`${PODS}/hello-2/log`)
      .query({ follow: 'true' })
      .reply(200, () => second);
    api().get(PODS).query(true).times(50).reply(200, podList('hello-1', 'hello-2'));

    const controller = new AbortController();
    const lines: string[] = [];
    const done = streamLogs(client, {
      namespace: 'fn',
      selector: SELECTOR,
      follow: true,
      pollIntervalMs: 20,
      signal: controller.signal,
      write: (line) => {
        lines.push(line);
        if (line.includes('from two')) controller.abort();
      },
    });
    first.write('from one\n');
    await expect.poll(() => lines).toEqual(['from one']);
    await expect.poll(() => nock.pendingMocks().some((m) => m.includes('hello-2/log'))).toBe(false);
    first.write('one again\n');
    await expect.poll(() => lines).toContain('[hello-1] one again');
    second.write('from two\n');
    const result = await done;
    expect(lines).toEqual(['from one', '[hello-1] one again', '[hello-2] from two']);
    expect(result.pods).toEqual(['hello-1', 'hello-2']);
  });
});

describe('parseSince', () => {
  it('turns durations into sinceSeconds and dates into sinceTime', () => {
    expect(parseSince('45s')).toEqual({ sinceSeconds: 45 });
    expect(parseSince('30m')).toEqual({ sinceSeconds: 1800 });
    expect(parseSince('2h')).toEqual({ sinceSeconds: 7200 });
    expect(parseSince('1d')).toEqual({ sinceSeconds: 86400 });
    expect(parseSince('2024-05-01T10:00:00Z', new Date('2024-06-01T00:00:00Z'))).toEqual({
      sinceTime: '2024-05-01T10:00:00Z',
    });
  });

  it('rejects anything else with the accepted forms', () => {
    expect(() => parseSince('yesterday')).toThrow(
      '--startTime "yesterday" is neither a duration (30s, 30m, 2h, 1d) nor an ISO date',
    );
    expect(() => parseSince('2999-01-01', new Date('2024-01-01T00:00:00Z'))).toThrow(
      'is in the future',
    );
  });
});

describe('diagnosePods', () => {
  const crashing = {
    metadata: { name: 'hello-1', namespace: 'fn' },
    status: {
      phase: 'Running',
      containerStatuses: [
        {
          name: 'hello',
          restartCount: 3,
          state: { waiting: { reason: 'CrashLoopBackOff' } },
          lastState: { terminated: { exitCode: 1, reason: 'Error', message: 'boom' } },
        },
      ],
    },
  };

  /** The crashing pod listed, and its previous container's log answered as given. */
  const crashingPod = () => {
    const scope = api();
    scope
      .get(PODS)
      .query(true)
      .reply(200, { items: [crashing] });
    return scope.get(`${PODS}/hello-1/log`);
  };

  it('adds the last log lines of the crashed container (previous instance)', async () => {
    crashingPod()
      .query({ container: 'hello', previous: 'true', tailLines: '20' })
      .reply(
        200,
        '/kubeless/handler.js:3\n  return {\n         ^\nSyntaxError: Unexpected token\n',
      );
    const [diagnosis] = await diagnosePods(client, 'fn', SELECTOR, 'hello');
    expect(diagnosis?.problem).toBe(
      'container "hello" keeps crashing (CrashLoopBackOff, 3 restarts): last exit code 1 (Error); termination message: boom.\n' +
        'Last log lines of hello:\n  | /kubeless/handler.js:3\n  |   return {\n  |          ^\n  | SyntaxError: Unexpected token',
    );
  });

  it('adds the last pull error from the kubelet Events to an image pull back-off', async () => {
    const pulling = {
      metadata: { name: 'hello-2', namespace: 'fn' },
      status: {
        phase: 'Pending',
        containerStatuses: [
          {
            name: 'hello',
            image: 'registry.example/hello:2',
            state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image' } },
          },
        ],
      },
    };
    const event = (reason: string, message: string, lastTimestamp: string) => ({
      reason,
      message,
      lastTimestamp,
    });
    api()
      .get(PODS)
      .query(true)
      .reply(200, { items: [pulling] });
    api()
      .get('/api/v1/namespaces/fn/events')
      .query({ fieldSelector: 'involvedObject.name=hello-2', limit: '500' })
      .reply(200, {
        items: [
          event(
            'Failed',
            'Failed to pull image "registry.example/hello:2": not found',
            '2024-01-01T00:00:01Z',
          ),
          event(
            'BackOff',
            'Back-off pulling image "registry.example/hello:2"',
            '2024-01-01T00:00:03Z',
          ),
          event(
            'Failed',
            'Failed to pull image "registry.example/hello:2": unauthorized',
            '2024-01-01T00:00:02Z',
          ),
        ],
      });
    const [diagnosis] = await diagnosePods(client, 'fn', SELECTOR, 'hello');
    expect(diagnosis?.problem).toBe(
      'container "hello" cannot pull image "registry.example/hello:2" (ImagePullBackOff): Back-off pulling image\n' +
        'Last pull error: Failed to pull image "registry.example/hello:2": unauthorized',
    );
  });

  it('falls back to the termination message when the kubelet cannot serve logs', async () => {
    crashingPod().query(true).reply(400, {
      kind: 'Status',
      code: 400,
      message: 'pod hello-1 does not have a host assigned',
    });
    const [diagnosis] = await diagnosePods(client, 'fn', SELECTOR, 'hello');
    expect(diagnosis?.problem).toBe(
      'container "hello" keeps crashing (CrashLoopBackOff, 3 restarts): last exit code 1 (Error); termination message: boom.',
    );
  });
});
