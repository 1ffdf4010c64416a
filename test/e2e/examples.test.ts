// The examples end to end: the real `serverless` CLI in a copy of each examples/<name> directory,
// against the real kube-apiserver. The tests play the Kubeless/Knative controllers and the kubelet
// (packages/serverless-k8s-plugin/test/e2e/controller.ts): the code deploy applied runs in the real
// runtime inside a network namespace, so `invoke` reaches the example's own handler through the
// API server's proxy. The one change to a copy: `provider.namespace`, so each example gets its own
// test namespace.
import type { ChildProcess } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  copyServiceDir,
  type CliResult,
  type ServiceCopy,
} from '../../packages/serverless-k8s-plugin/test/e2e/cli.js';
import {
  knativeServicePath,
  markKnativeReady,
  removeUnpackedCode,
  serveKnativeService,
  serveKubelessFunction,
  waitForObject,
} from '../../packages/serverless-k8s-plugin/test/e2e/controller.js';
import { adminApi, testCluster, waitFor, type KubeObjectJson } from '../harness/cluster.js';
import { useTestNamespace, type TestNamespace } from '../harness/namespaces.js';
import { netnsSupport } from '../harness/netns.js';
import type { FunctionPod } from '../harness/pods.js';

const examplesDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../examples');
const support = await netnsSupport();

/** One example per suite, in its own namespace; the suites and their steps run in order. */
const exampleSuite = describe.skipIf(!support.ok);

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
    await removeUnpackedCode();
  });
  return {
    sls: (...args) => {
      if (!copy) throw new Error(`${name}: the copy exists only from beforeAll on`);
      return copy.sls(args);
    },
  };
}

const get = (apiPath: string): Promise<KubeObjectJson> => adminApi().expect('GET', apiPath);
const kubeless = (ns: string, plural: string): string =>
  `/apis/kubeless.io/v1beta1/namespaces/${ns}/${plural}`;

async function names(apiPath: string): Promise<string[]> {
  return ((await get(apiPath)).items ?? []).map((item) => item.metadata?.name ?? '').sort();
}

function expectOk(result: CliResult): void {
  expect(result.code, result.output).toBe(0);
}

/**
 * Runs `serverless deploy ARGS` while `controller` plays the platform's part. deploy waits for
 * readiness, so one that exits non-zero before the controller is done failed: show its output
 * rather than the controller's time-out waiting for objects that never came.
 */
async function deployWhile<T>(
  example: Example,
  args: string[],
  controller: () => Promise<T>,
): Promise<{ result: CliResult; value: T }> {
  const deploying = example.sls('deploy', ...args);
  const playing = controller();
  const early = await Promise.race([playing.then(() => undefined), deploying]);
  if (early && early.code !== 0) {
    throw new Error(`deploy failed before the controller's part was done:\n${early.output}`);
  }
  const [value, result] = await Promise.all([playing, deploying]);
  expectOk(result);
  return { result, value };
}

/** `deploy`, with the Kubeless controller's part: a pod serving each function's code. */
async function deployKubeless(
  example: Example,
  namespace: string,
  functions: string[],
): Promise<Record<string, FunctionPod>> {
  const { result, value: pods } = await deployWhile(example, [], () =>
    Promise.all(functions.map((fn) => serveKubelessFunction(namespace, fn))),
  );
  for (const fn of functions) expect(result.output).toMatch(new RegExp(`${fn} ready \\(1/1\\)`));
  return Object.fromEntries(functions.map((fn, i) => [fn, pods[i] as FunctionPod]));
}

/** Knative Serving's part for one function's current template: revision, pod, Ready status. */
async function rollOut(namespace: string, name: string): Promise<string> {
  const { revision } = await serveKnativeService(namespace, name);
  await markKnativeReady(namespace, name, revision);
  return revision;
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
  `/api/v1/namespaces/${ns}/configmaps`,
  `/apis/eventing.knative.dev/v1/namespaces/${ns}/triggers`,
  `/apis/eventing.knative.dev/v1/namespaces/${ns}/brokers`,
];

exampleSuite('examples/hello (Kubeless)', () => {
  const ns = useTestNamespace('ex-hello');
  const example = useExample('hello', ns);

  it('deploys and invokes', async () => {
    await deployKubeless(example, ns.name, ['hello']);
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
    const deploy = await deployWhile(example, [], () => rollOut(ns.name, 'hello'));
    revision = deploy.value;
    expect(deploy.result.output).toContain(`hello ready (1/1) http://hello.${ns.name}.example.com`);
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
    await deployKubeless(example, ns.name, ['greet']);
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

  it('answers an unknown time zone with a 400 naming it', async () => {
    const result = await greet('?tz=Mars/Olympus');
    expect(result.code).not.toBe(0);
    expect(result.output).toContain('Function greet answered HTTP 400');
    expect(result.output).toContain('unknown time zone \\"Mars/Olympus\\"');
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
  let stable = '';
  let canary = '';

  /** Waits until deploy (running concurrently) has applied a Service that `check` accepts. */
  const applied = (what: string, check: (spec: KubeObjectJson) => boolean): Promise<unknown> =>
    waitFor(what, async () => check(await service()) || undefined, {
      timeoutMs: 60_000,
      intervalMs: 200,
    });
  const templateName = (svc: KubeObjectJson): string =>
    (svc.spec as { template: { metadata: { name: string } } }).template.metadata.name;

  it('1. version 1 takes all the traffic', async () => {
    stable = (await deployWhile(example, [], () => rollOut(ns.name, 'greeter'))).value;
    expect(await specTraffic()).toEqual([{ latestRevision: true, percent: 100 }]);
    const invoke = await example.sls('invoke', '-f', 'greeter');
    expectOk(invoke);
    expect(JSON.parse(invoke.stdout)).toEqual({ message: 'Hello, world!', revision: stable });
    const info = await example.sls('info');
    expect(info.stdout).toMatch(new RegExp(`${stable} \\(latest\\)\\s+100%`));
  });

  it('2. version 2 ("Bonjour") gets half, version 1 keeps the other half', async () => {
    const split = ['--param=greeting=Bonjour', '--param=step=split', `--param=stable=${stable}`];
    const deploy = await deployWhile(example, split, async () => {
      await applied('the Bonjour template', (svc) => templateName(svc) !== stable);
      return rollOut(ns.name, 'greeter');
    });
    canary = deploy.value;
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
    await deployWhile(example, ['--param=greeting=Bonjour'], async () => {
      await applied('the promoted traffic', (svc) => {
        const traffic = (svc.spec as { traffic?: TrafficEntry[] }).traffic ?? [];
        return traffic.length === 1;
      });
      // Traffic is not part of the template: the Route changes, the revision stays.
      expect(templateName(await service())).toBe(canary);
      await markKnativeReady(ns.name, 'greeter', canary);
    });
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
    await deployKubeless(example, ns.name, ['orders', 'audit']);
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
    expect(bad.output).toContain('Function orders answered HTTP 422');
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

  it('applies each schedule with its payload, and the function runs what a firing POSTs', async () => {
    await deployKubeless(example, ns.name, ['report']);
    const triggers = (await get(kubeless(ns.name, 'cronjobtriggers'))).items ?? [];
    const byName = Object.fromEntries(triggers.map((t) => [t.metadata?.name, t.spec]));
    expect(Object.values(byName)).toHaveLength(2);
    const specs = Object.values(byName) as { schedule: string; payload: unknown }[];
    expect(specs).toEqual(
      expect.arrayContaining([
        { schedule: '*/5 * * * *', 'function-name': 'report', payload: { report: 'usage' } },
        { schedule: '0 2 * * *', 'function-name': 'report', payload: { report: 'cleanup' } },
      ]),
    );
    // The CronJob's part when the nightly schedule fires: POST its payload to the function.
    const nightly = specs.find((spec) => spec.schedule === '0 2 * * *');
    const result = await example.sls(
      'invoke',
      '-f',
      'report',
      '-d',
      JSON.stringify(nightly?.payload),
      '--header',
      'event-namespace: cronjobtrigger.kubeless.io',
    );
    expectOk(result);
    expect(JSON.parse(result.stdout)).toMatchObject({
      report: 'cleanup',
      trigger: 'cronjobtrigger.kubeless.io',
    });
  });

  it('describes the schedules and removes everything', async () => {
    const info = await example.sls('info');
    expectOk(info);
    expect(info.stdout).toMatch(/CronJobTrigger\s+\S+\s+\*\/5 \* \* \* \*/);
    expect(info.stdout).toMatch(/CronJobTrigger\s+\S+\s+0 2 \* \* \*/);
    await expectRemoved(example, kubelessKinds(ns.name));
  });
});

exampleSuite('examples/cloudevents (Broker and filtered Triggers)', () => {
  const ns = useTestNamespace('ex-cloudevents');
  const example = useExample('cloudevents', ns);
  const order = JSON.stringify({ id: 'o-42', total: 19.5 });

  it('creates the Broker and one Trigger per function with its filter', async () => {
    await deployWhile(example, [], () =>
      Promise.all([rollOut(ns.name, 'ship'), rollOut(ns.name, 'refund')]),
    );
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

/** A stand-in for Slack's incoming webhook, run inside the function's network namespace. */
const FAKE_SLACK = `
const server = require('node:http').createServer((req, res) => {
  let body = '';
  req.on('data', (chunk) => (body += chunk));
  req.on('end', () => {
    console.log(JSON.stringify({ method: req.method, url: req.url, body }));
    res.end('ok');
  });
});
server.listen(Number(process.argv[1]), '127.0.0.1', () => console.log('listening'));
`;
const FAKE_SLACK_PORT = 9099;

exampleSuite('examples/slack-notifier (webhook URL from a Secret)', () => {
  const ns = useTestNamespace('ex-slack');
  const example = useExample('slack-notifier', ns);
  const webhook = `http://127.0.0.1:${FAKE_SLACK_PORT}/services/T000/B000/not-a-real-token`;
  let slack: ChildProcess | undefined;
  let received = '';

  afterAll(() => {
    slack?.kill('SIGKILL');
  });

  it('posts the alert to the webhook the Secret names, and never prints the URL', async () => {
    await adminApi().expect('POST', `/api/v1/namespaces/${ns.name}/secrets`, {
      body: {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'slack-webhook' },
        data: { url: Buffer.from(webhook).toString('base64') },
      },
    });
    const { notify } = await deployKubeless(example, ns.name, ['notify']);
    // Slack is "outside" the cluster; the pod reaches it on its own loopback.
    const fake = notify!.netns.spawn(
      process.execPath,
      ['-e', FAKE_SLACK, String(FAKE_SLACK_PORT)],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    slack = fake;
    fake.stdout?.on('data', (chunk: Buffer) => (received += chunk.toString()));
    await waitFor(
      'the fake Slack to listen',
      async () => received.includes('listening') || undefined,
      {
        timeoutMs: 10_000,
        intervalMs: 50,
      },
    );

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
    const posts = received
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { method: string; url: string; body: string });
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
    const before = received;
    const result = await example.sls('invoke', '-f', 'notify', '-d', '{"severity":"info"}');
    expect(result.code).not.toBe(0);
    expect(result.output).toContain('Function notify answered HTTP 400');
    expect(received).toBe(before);
    await expectRemoved(example, kubelessKinds(ns.name));
    // The Secret is the user's, not the service's.
    expect(await names(`/api/v1/namespaces/${ns.name}/secrets`)).toContain('slack-webhook');
  });
});

exampleSuite('examples/autoscale (Knative autoscaling annotations)', () => {
  const ns = useTestNamespace('ex-autoscale');
  const example = useExample('autoscale', ns);

  // The harness runs one process per revision and no autoscaler, so the scaling itself (about 10
  // requests in flight per pod) cannot happen here; what the Knative Pod Autoscaler reads can be
  // checked: the revision template's annotations and containerConcurrency, as stored.
  it('stores the autoscaler settings on the revision template', async () => {
    await deployWhile(example, [], () => rollOut(ns.name, 'sleepy'));
    const stored = await waitForObject(knativeServicePath(ns.name, 'sleepy'));
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
