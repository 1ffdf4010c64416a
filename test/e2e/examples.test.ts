// The examples end to end: the real `serverless` CLI in a copy of each examples/<name> directory,
// against the test cluster of `test-cluster up --controllers`. On Kubeless nothing of ours stands
// in: Kubeless's own controllers and runtime (kubeless.js) serve the example's bundle; on Knative
// our Serving stand-in makes the Revisions, and real pods serve them (docs/testing.md). The one
// change to a copy: `provider.namespace`, so each example gets its own test namespace.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  copyServiceDir,
  type CliResult,
  type ServiceCopy,
} from '../../packages/serverless-k8s-plugin/test/e2e/cli.js';
import { adminApi, testCluster, waitFor, type KubeObjectJson } from '../harness/cluster.js';
import { useTestNamespace, type TestNamespace } from '../harness/namespaces.js';

const examplesDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../examples');

/** One example per suite, in its own namespace; the suites and their steps run in order. */
const exampleSuite = describe;

interface Example {
  sls(...args: string[]): Promise<CliResult>;
}

/** A copy of examples/<name> deploying into the test namespace; disposed after the describe. */
function useExample(name: string, namespace: TestNamespace): Example {
  let copy: ServiceCopy | undefined;
  beforeAll(async () => {
    copy = await copyServiceDir(path.join(examplesDir, name), {
      KUBECONFIG: testCluster().kubeconfig,
    });
    const file = path.join(copy.dir, 'serverless.yml');
    const yml = await readFile(file, 'utf8');
    const withNamespace = yml.replace(
      /^provider:\n/m,
      `provider:\n  namespace: ${namespace.name}\n`,
    );
    if (withNamespace === yml) throw new Error(`${name}/serverless.yml has no provider: block`);
    await writeFile(file, withNamespace);
  });
  afterAll(async () => {
    await copy?.dispose();
  });
  return {
    sls: (...args) => {
      if (!copy) throw new Error(`${name}: the copy exists only from beforeAll on`);
      return copy.sls(args, { timeoutMs: 240_000 });
    },
  };
}

const get = (apiPath: string): Promise<KubeObjectJson> => adminApi().expect('GET', apiPath);
const kubeless = (ns: string, plural: string): string =>
  `/apis/kubeless.io/v1beta1/namespaces/${ns}/${plural}`;
const knativeServicePath = (ns: string, name: string): string =>
  `/apis/serving.knative.dev/v1/namespaces/${ns}/services/${name}`;

async function names(apiPath: string): Promise<string[]> {
  return ((await get(apiPath)).items ?? []).map((item) => item.metadata?.name ?? '').sort();
}

function expectOk(result: CliResult): void {
  expect(result.code, result.output).toBe(0);
}

/** `deploy ARGS`, which waits until the functions are ready; each is reported ready. */
async function deploy(
  example: Example,
  functions: string[],
  args: string[] = [],
): Promise<CliResult> {
  const result = await example.sls('deploy', '--wait-timeout', '180s', ...args);
  expectOk(result);
  for (const fn of functions) expect(result.output).toMatch(new RegExp(`${fn} ready \\(1/1\\)`));
  return result;
}

async function latestReady(ns: string, name: string): Promise<string> {
  const status = (await get(knativeServicePath(ns, name))).status as {
    latestReadyRevisionName?: string;
  };
  return String(status.latestReadyRevisionName);
}

/** `remove`, then none of the kinds the plugin owns is left in the namespace. */
async function expectRemoved(example: Example, ownedLists: string[]): Promise<void> {
  const result = await example.sls('remove');
  expectOk(result);
  expect(result.output).toMatch(/Removed \S+ \(stage dev\): \d+ objects deleted/);
  for (const list of ownedLists) expect(await names(list), list).toEqual([]);
}

const kubelessKinds = (ns: string): string[] =>
  ['functions', 'httptriggers', 'cronjobtriggers', 'kafkatriggers', 'natstriggers'].map((plural) =>
    kubeless(ns, plural),
  );
const knativeKinds = (ns: string): string[] => [
  `/apis/serving.knative.dev/v1/namespaces/${ns}/services`,
  `/api/v1/namespaces/${ns}/configmaps?labelSelector=app.kubernetes.io/managed-by=serverless-k8s`,
  `/apis/eventing.knative.dev/v1/namespaces/${ns}/triggers`,
  `/apis/eventing.knative.dev/v1/namespaces/${ns}/brokers`,
];

exampleSuite('examples/hello (Kubeless)', () => {
  const ns = useTestNamespace('ex-hello');
  const example = useExample('hello', ns);

  it('deploys and invokes', async () => {
    await deploy(example, ['hello']);
    const invoke = await example.sls('invoke', '-f', 'hello', '-d', '{"name":"Ada"}');
    expectOk(invoke);
    expect(JSON.parse(invoke.stdout)).toEqual({ message: 'Hello, Ada!', function: 'hello' });
  });

  it('describes the function and its HTTP trigger, then removes everything', async () => {
    const info = await example.sls('info');
    expectOk(info);
    // The bundle is named after the function: handler <function>.<export>.
    expect(info.stdout).toMatch(
      /✔ hello\n\s+runtime:\s+nodejs14\n\s+handler:\s+hello\.hello\n\s+ready:\s+1\/1/,
    );
    expect(info.stdout).toMatch(/HTTPTrigger\s+hello-http-0\s+http:\/\/\S+\/hello/);
    await expectRemoved(example, kubelessKinds(ns.name));
  });
});

exampleSuite('examples/hello-knative', () => {
  const ns = useTestNamespace('ex-hello-kn');
  const example = useExample('hello-knative', ns);

  let revision = '';

  it('deploys and invokes the revision', async () => {
    const result = await deploy(example, ['hello']);
    revision = await latestReady(ns.name, 'hello');
    expect(result.output).toContain(`hello ready (1/1) http://hello.${ns.name}.example.com`);
    const invoke = await example.sls('invoke', '-f', 'hello', '-d', '{"name":"Ada"}');
    expectOk(invoke);
    expect(JSON.parse(invoke.stdout)).toEqual({ message: 'Hello, Ada!', revision });
  });

  it('describes URL and traffic, then removes everything', async () => {
    const info = await example.sls('info');
    expectOk(info);
    expect(info.stdout).toContain(`url:       http://hello.${ns.name}.example.com`);
    expect(info.stdout).toMatch(new RegExp(`${revision} \\(latest\\)\\s+100%`));
    await expectRemoved(example, knativeKinds(ns.name));
  });
});

exampleSuite('examples/greetings (Kubeless, GET with a query)', () => {
  const ns = useTestNamespace('ex-greetings');
  const example = useExample('greetings', ns);
  const greet = (query: string): Promise<CliResult> =>
    example.sls('invoke', '-f', 'greet', '--method', 'GET', '--http-path', `/greet${query}`);

  it('deploys and greets by the time of day in the zone asked for', async () => {
    await deploy(example, ['greet']);
    const tokyo = await greet('?name=Ada&tz=Asia/Tokyo');
    expectOk(tokyo);
    expect(JSON.parse(tokyo.stdout)).toMatchObject({
      greeting: expect.stringMatching(/^Good (morning|afternoon|evening|night), Ada!$/),
      timeZone: 'Asia/Tokyo',
    });
  });

  it("falls back to the DEFAULT_TIME_ZONE the function's environment sets", async () => {
    const result = await greet('');
    expectOk(result);
    expect(JSON.parse(result.stdout)).toMatchObject({
      greeting: expect.stringMatching(/, there!$/),
      timeZone: 'Europe/Berlin',
    });
  });

  it("answers an unknown time zone with Kubeless's 500, the reason in the function's log", async () => {
    const result = await greet('?tz=Mars/Olympus');
    expect(result.code).not.toBe(0);
    // kubeless.js answers every thrown error with 500 (an HttpError's 400 is ours alone).
    expect(result.output).toContain('Function greet answered HTTP 500');
    const logs = await example.sls('logs', '-f', 'greet');
    expect(logs.output).toContain('unknown time zone "Mars/Olympus"');
  });

  it('describes the GET trigger and removes everything', async () => {
    const info = await example.sls('info');
    expectOk(info);
    expect(info.stdout).toMatch(/HTTPTrigger\s+\S+\s+http:\/\/\S+\/greet/);
    await expectRemoved(example, kubelessKinds(ns.name));
  });
});

interface TrafficEntry {
  revisionName?: string;
  latestRevision?: boolean;
  percent: number;
  tag?: string;
}

exampleSuite('examples/canary (Knative traffic 100 → 50/50 → 100)', () => {
  const ns = useTestNamespace('ex-canary');
  const example = useExample('canary', ns);
  const service = (): Promise<KubeObjectJson> => get(knativeServicePath(ns.name, 'greeter'));
  const specTraffic = async (): Promise<TrafficEntry[]> =>
    ((await service()).spec as { traffic: TrafficEntry[] }).traffic;
  const templateName = (svc: KubeObjectJson): string =>
    (svc.spec as { template: { metadata: { name: string } } }).template.metadata.name;
  let stable = '';
  let canary = '';

  it('1. version 1 takes all the traffic', async () => {
    await deploy(example, ['greeter']);
    stable = await latestReady(ns.name, 'greeter');
    expect(await specTraffic()).toEqual([{ latestRevision: true, percent: 100 }]);
    const invoke = await example.sls('invoke', '-f', 'greeter');
    expectOk(invoke);
    expect(JSON.parse(invoke.stdout)).toEqual({ message: 'Hello, world!', revision: stable });
    const info = await example.sls('info');
    expect(info.stdout).toMatch(new RegExp(`${stable} \\(latest\\)\\s+100%`));
  });

  it('2. version 2 ("Bonjour") gets half, version 1 keeps the other half', async () => {
    await deploy(
      example,
      ['greeter'],
      ['--param=greeting=Bonjour', '--param=step=split', `--param=stable=${stable}`],
    );
    canary = await latestReady(ns.name, 'greeter');
    expect(canary).not.toBe(stable);
    expect(await specTraffic()).toEqual([
      { revisionName: stable, percent: 50, tag: 'stable' },
      { latestRevision: true, percent: 50, tag: 'canary' },
    ]);
    const info = await example.sls('info');
    expectOk(info);
    expect(info.stdout).toMatch(new RegExp(`${stable}\\s+50%.*stable`));
    expect(info.stdout).toMatch(new RegExp(`${canary} \\(latest\\)\\s+50%.*canary`));
    expect(info.stdout).toContain(`http://stable-greeter.${ns.name}.example.com`);
    expect(info.stdout).toContain(`http://canary-greeter.${ns.name}.example.com`);
    // invoke goes to the latest ready revision: the new one, with the new greeting.
    const invoke = await example.sls('invoke', '-f', 'greeter', '--http-path', '/?name=Ada');
    expectOk(invoke);
    expect(JSON.parse(invoke.stdout)).toEqual({ message: 'Bonjour, Ada!', revision: canary });
  });

  it('3. promotes version 2 to all the traffic, without a new revision', async () => {
    await deploy(example, ['greeter'], ['--param=greeting=Bonjour']);
    // Traffic is not part of the template: the Route changes, the revision stays.
    expect(templateName(await service())).toBe(canary);
    expect(await specTraffic()).toEqual([{ latestRevision: true, percent: 100 }]);
    const info = await example.sls('info');
    expect(info.stdout).toMatch(new RegExp(`${canary} \\(latest\\)\\s+100%`));
    expect(info.stdout).not.toContain(`${stable} `);
    const invoke = await example.sls('invoke', '-f', 'greeter');
    expect(JSON.parse(invoke.stdout)).toEqual({ message: 'Bonjour, world!', revision: canary });
    await expectRemoved(example, knativeKinds(ns.name));
  });
});

exampleSuite('examples/pubsub (Kafka and NATS triggers)', () => {
  const ns = useTestNamespace('ex-pubsub');
  const example = useExample('pubsub', ns);

  it('applies one trigger per topic, selecting its function', async () => {
    await deploy(example, ['orders', 'audit']);
    const kafka = (await get(kubeless(ns.name, 'kafkatriggers'))).items ?? [];
    const nats = (await get(kubeless(ns.name, 'natstriggers'))).items ?? [];
    const specs = (items: KubeObjectJson[]): unknown[] =>
      items
        .map((item) => item.spec)
        .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
    const selector = (fn: string): unknown => ({
      matchLabels: { 'created-by': 'kubeless', function: fn },
    });
    expect(specs(kafka)).toEqual([{ functionSelector: selector('orders'), topic: 'orders' }]);
    expect(specs(nats)).toEqual([
      { functionSelector: selector('audit'), topic: 'audit.orders' },
      { functionSelector: selector('audit'), topic: 'audit.payments' },
    ]);
  });

  it('handles a message delivered as the Kafka trigger controller does', async () => {
    const order = {
      id: 'o-7',
      items: [
        { sku: 'tea', quantity: 2 },
        { sku: 'cup', quantity: 3 },
      ],
    };
    const result = await example.sls(
      'invoke',
      '-f',
      'orders',
      '-d',
      JSON.stringify(order),
      '--header',
      'event-namespace: kafkatriggers.kubeless.io',
      '--header',
      'event-id: msg-1',
    );
    expectOk(result);
    expect(JSON.parse(result.stdout)).toEqual({
      via: 'kafkatriggers.kubeless.io',
      messageId: 'msg-1',
      order: 'o-7',
      units: 5,
    });
    const bad = await example.sls('invoke', '-f', 'orders', '-d', '{"id":1}');
    expect(bad.code).not.toBe(0);
    // kubeless.js answers every thrown error with 500 (the 422 is @serverless-k8s/runtime's).
    expect(bad.output).toContain('Function orders answered HTTP 500');
  });

  it('records a NATS message on audit and describes the triggers', async () => {
    const result = await example.sls('invoke', '-f', 'audit', '-d', '{"user":"ada"}');
    expectOk(result);
    expect(JSON.parse(result.stdout)).toMatchObject({ entry: '{"user":"ada"}' });
    const info = await example.sls('info');
    expectOk(info);
    expect(info.stdout).toMatch(/KafkaTrigger\s+\S+\s+.*orders/);
    expect(info.stdout).toMatch(/NATSTrigger\s+\S+\s+.*audit\.orders/);
    expect(info.stdout).toMatch(/NATSTrigger\s+\S+\s+.*audit\.payments/);
    await expectRemoved(example, kubelessKinds(ns.name));
  });
});

exampleSuite('examples/cron (CronJobTriggers)', () => {
  const ns = useTestNamespace('ex-cron');
  const example = useExample('cron', ns);

  it('becomes one CronJob per function, and a run POSTs what the schedule says', async () => {
    await deploy(example, ['usage-report', 'cleanup-report']);
    expect(await names(kubeless(ns.name, 'cronjobtriggers'))).toEqual([
      'trigger-cleanup-report',
      'trigger-usage-report',
    ]);
    const cronJobs = (
      (await get(`/apis/batch/v1beta1/namespaces/${ns.name}/cronjobs`)).items ?? []
    ).map((job) => [job.metadata?.name, (job.spec as { schedule: string }).schedule]);
    expect(cronJobs.sort()).toEqual([
      ['trigger-cleanup-report', '0 2 * * *'],
      ['trigger-usage-report', '*/5 * * * *'],
    ]);
    // The nightly schedule will not fire during the test: run its Job's command now, as the
    // CronJob controller would (a Job from the CronJob's template).
    const template = (
      (await get(`/apis/batch/v1beta1/namespaces/${ns.name}/cronjobs/trigger-cleanup-report`))
        .spec as {
        jobTemplate: { spec: Record<string, unknown> };
      }
    ).jobTemplate;
    await adminApi().expect('POST', `/apis/batch/v1/namespaces/${ns.name}/jobs`, {
      body: {
        apiVersion: 'batch/v1',
        kind: 'Job',
        metadata: { name: 'cleanup-now' },
        spec: template.spec,
      },
    });
    const logs = await waitFor(
      'the cleanup report to run',
      async () => {
        const result = await example.sls('logs', '-f', 'cleanup-report');
        return /running the cleanup report \(cronjobtrigger\.kubeless\.io\)/.test(result.output)
          ? result.output
          : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 2_000 },
    );
    expect(logs).toContain('running the cleanup report');
  });

  it('describes the schedules and removes everything', async () => {
    const info = await example.sls('info');
    expectOk(info);
    expect(info.stdout).toMatch(/CronJobTrigger\s+trigger-usage-report\s+\*\/5 \* \* \* \*/);
    expect(info.stdout).toMatch(/CronJobTrigger\s+trigger-cleanup-report\s+0 2 \* \* \*/);
    await expectRemoved(example, kubelessKinds(ns.name));
  });
});

exampleSuite('examples/cloudevents (Broker and filtered Triggers)', () => {
  const ns = useTestNamespace('ex-cloudevents');
  const example = useExample('cloudevents', ns);
  const order = JSON.stringify({ id: 'o-42', total: 19.5 });

  it('creates the Broker and one Trigger per function with its filter', async () => {
    await deploy(example, ['ship', 'refund']);
    const eventing = `/apis/eventing.knative.dev/v1/namespaces/${ns.name}`;
    expect(await names(`${eventing}/brokers`)).toEqual(['orders']);
    const triggers = (await get(`${eventing}/triggers`)).items ?? [];
    const bySubscriber = Object.fromEntries(
      triggers.map((t) => {
        const spec = t.spec as {
          broker: string;
          filter: unknown;
          subscriber: { ref: { name: string } };
        };
        return [spec.subscriber.ref.name, { broker: spec.broker, filter: spec.filter }];
      }),
    );
    expect(bySubscriber).toEqual({
      ship: {
        broker: 'orders',
        filter: { attributes: { type: 'com.example.order.created', source: '/shop' } },
      },
      refund: { broker: 'orders', filter: { attributes: { type: 'com.example.order.cancelled' } } },
    });
  });

  it('delivers a CloudEvent sent with --cloudevent/--type/--source to the handler', async () => {
    const result = await example.sls(
      'invoke',
      '-f',
      'ship',
      '--cloudevent',
      '--type',
      'com.example.order.created',
      '--source',
      '/shop',
      '-d',
      order,
    );
    expectOk(result);
    const outcome = JSON.parse(result.stdout) as { action: string; order: string; cause: string };
    expect(outcome).toMatchObject({ action: 'shipped', order: 'o-42' });
    expect(outcome.cause).toMatch(/\S/);
    // The same data without the CloudEvent attributes is refused by the handler.
    const plain = await example.sls('invoke', '-f', 'ship', '-d', order);
    expect(plain.code).not.toBe(0);
    expect(plain.output).toContain('Function ship answered HTTP 400');
  });

  it('describes the Triggers and removes everything', async () => {
    const info = await example.sls('info');
    expectOk(info);
    expect(info.stdout).toMatch(/Trigger\s+\S+\s+.*type=com\.example\.order\.created/);
    expect(info.stdout).toMatch(/Trigger\s+\S+\s+.*type=com\.example\.order\.cancelled/);
    await expectRemoved(example, knativeKinds(ns.name));
  });
});

/** A stand-in for Slack's incoming webhook: a pod of its own, behind a Service, logging each POST. */
const FAKE_SLACK = `
require('node:http').createServer((req, res) => {
  let body = '';
  req.on('data', (chunk) => (body += chunk));
  req.on('end', () => {
    console.log(JSON.stringify({ method: req.method, url: req.url, body }));
    res.end('ok');
  });
}).listen(9099);
`;

async function startFakeSlack(ns: string): Promise<void> {
  const labels = { app: 'fake-slack' };
  await adminApi().expect('POST', `/apis/apps/v1/namespaces/${ns}/deployments`, {
    body: {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'fake-slack' },
      spec: {
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            containers: [
              {
                name: 'slack',
                image: 'node:20-alpine',
                command: ['node', '-e', FAKE_SLACK],
                ports: [{ containerPort: 9099 }],
                readinessProbe: { tcpSocket: { port: 9099 }, periodSeconds: 1 },
              },
            ],
          },
        },
      },
    },
  });
  await adminApi().expect('POST', `/api/v1/namespaces/${ns}/services`, {
    body: {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'fake-slack' },
      spec: { selector: labels, ports: [{ port: 9099, targetPort: 9099 }] },
    },
  });
  await waitFor(
    'the fake Slack to be ready',
    async () => {
      const endpoints = await adminApi().request(
        'GET',
        `/api/v1/namespaces/${ns}/endpoints/fake-slack`,
      );
      return ((endpoints.body?.subsets as unknown[] | undefined) ?? []).length > 0 || undefined;
    },
    { timeoutMs: 60_000, intervalMs: 500 },
  );
}

async function fakeSlackPosts(
  ns: string,
): Promise<{ method: string; url: string; body: string }[]> {
  const pods = await get(`/api/v1/namespaces/${ns}/pods?labelSelector=app=fake-slack`);
  const pod = pods.items?.[0]?.metadata?.name ?? '';
  const log = await adminApi().request('GET', `/api/v1/namespaces/${ns}/pods/${pod}/log`);
  return log.text
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { method: string; url: string; body: string });
}

exampleSuite('examples/slack-notifier (webhook URL from a Secret)', () => {
  const ns = useTestNamespace('ex-slack');
  const example = useExample('slack-notifier', ns);
  const webhook = (): string =>
    `http://fake-slack.${ns.name}.svc.cluster.local:9099/services/T000/B000/not-a-real-token`;

  it('posts the alert to the webhook the Secret names, and never prints the URL', async () => {
    await startFakeSlack(ns.name);
    await adminApi().expect('POST', `/api/v1/namespaces/${ns.name}/secrets`, {
      body: {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'slack-webhook' },
        data: { url: Buffer.from(webhook()).toString('base64') },
      },
    });
    await deploy(example, ['notify']);
    const result = await example.sls(
      'invoke',
      '-f',
      'notify',
      '--http-path',
      '/notify',
      '-d',
      '{"text":"Disk 91% full on db-1","severity":"warning"}',
    );
    expectOk(result);
    expect(JSON.parse(result.stdout)).toEqual({ delivered: true, channel: '#alerts' });
    const posts = await waitFor('the post in the fake Slack’s log', async () => {
      const seen = await fakeSlackPosts(ns.name);
      return seen.length > 0 ? seen : undefined;
    });
    expect(posts).toEqual([
      {
        method: 'POST',
        url: '/services/T000/B000/not-a-real-token',
        body: JSON.stringify({ text: ':warning: *WARNING* Disk 91% full on db-1' }),
      },
    ]);

    const info = await example.sls('info');
    expectOk(info);
    expect(`${result.output}${info.output}`).not.toContain('not-a-real-token');
  });

  it('refuses an alert without text before calling Slack, then removes everything', async () => {
    const before = await fakeSlackPosts(ns.name);
    const result = await example.sls('invoke', '-f', 'notify', '-d', '{"severity":"info"}');
    expect(result.code).not.toBe(0);
    // kubeless.js answers every thrown error with 500 (the 400 is @serverless-k8s/runtime's).
    expect(result.output).toContain('Function notify answered HTTP 500');
    expect(await fakeSlackPosts(ns.name)).toEqual(before);
    await expectRemoved(example, kubelessKinds(ns.name));
    // The Secret is the user's, not the service's.
    expect(await names(`/api/v1/namespaces/${ns.name}/secrets`)).toContain('slack-webhook');
  });
});

exampleSuite('examples/autoscale (Knative autoscaling annotations)', () => {
  const ns = useTestNamespace('ex-autoscale');
  const example = useExample('autoscale', ns);

  // No autoscaler runs here (Knative's is not among the programs that run on this machine), so the
  // scaling itself (about 10 requests in flight per pod) cannot happen; what the Knative Pod
  // Autoscaler reads can be checked: the revision template's annotations, as stored.
  it('stores the autoscaler settings on the revision template', async () => {
    await deploy(example, ['sleepy']);
    const stored = await get(knativeServicePath(ns.name, 'sleepy'));
    const template = (
      stored.spec as {
        template: {
          metadata: { annotations: Record<string, string> };
          spec: Record<string, unknown>;
        };
      }
    ).template;
    expect(template.metadata.annotations).toMatchObject({
      'autoscaling.knative.dev/metric': 'concurrency',
      'autoscaling.knative.dev/target': '10',
      'autoscaling.knative.dev/min-scale': '0',
      'autoscaling.knative.dev/max-scale': '10',
      'autoscaling.knative.dev/scale-down-delay': '30s',
    });
    expect(template.spec.containerConcurrency).toBe(0);
  });

  it('serves a request that holds for the time asked, then removes everything', async () => {
    const invoke = await example.sls('invoke', '-f', 'sleepy', '--http-path', '/?sleep=50');
    expectOk(invoke);
    expect(JSON.parse(invoke.stdout)).toMatchObject({ sleptMs: 50 });
    await expectRemoved(example, knativeKinds(ns.name));
  });
});
