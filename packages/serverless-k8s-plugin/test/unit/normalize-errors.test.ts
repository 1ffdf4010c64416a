// Every semantic check: the error is a UserError whose message names the key path and the fix.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { normalize } from '../../src/model/normalize.js';
import { UserError } from '../../src/util/errors.js';
import { FIXTURES_DIR, inputFrom, type ServiceConfig } from './service-fixtures.js';

// kubeless-minimal/handler.ts exports `hello`.
const servicePath = join(FIXTURES_DIR, 'kubeless-minimal');

function config(
  provider: Record<string, unknown>,
  functions: Record<string, unknown>,
): ServiceConfig {
  return { service: 'errors', provider, functions };
}

function problemsOf(provider: Record<string, unknown>, functions: Record<string, unknown>): string {
  try {
    normalize(inputFrom(config(provider, functions), servicePath));
  } catch (error) {
    expect(error).toBeInstanceOf(UserError);
    return (error as Error).message;
  }
  throw new Error('normalize accepted the configuration');
}

const kubeless = (fn: Record<string, unknown>, provider: Record<string, unknown> = {}) =>
  problemsOf({ name: 'kubeless', ...provider }, { hello: { handler: 'handler.hello', ...fn } });
const knative = (fn: Record<string, unknown>, provider: Record<string, unknown> = {}) =>
  problemsOf({ name: 'knative', ...provider }, { hello: { handler: 'handler.hello', ...fn } });

describe('normalize: semantic errors name the key and the fix', () => {
  const cases: [string, () => string, string[]][] = [
    // DNS-1123 names
    [
      'function key with _',
      () => problemsOf({ name: 'kubeless' }, { hello_one: { handler: 'handler.hello' } }),
      ['functions.hello_one:', 'lower-case', 'set name:'],
    ],
    [
      'name: with capitals',
      () => kubeless({ name: 'Hello' }),
      ['functions.hello.name:', '"Hello"'],
    ],
    [
      'name: too long',
      () => kubeless({ name: 'a'.repeat(64) }),
      ['functions.hello.name:', 'at most 63'],
    ],
    [
      'provider namespace',
      () => kubeless({}, { namespace: 'My_NS' }),
      ['provider.namespace:', '"My_NS"'],
    ],
    ['function namespace', () => kubeless({ namespace: '-ns' }), ['functions.hello.namespace:']],
    ['secret name', () => kubeless({ secrets: ['Bad Secret'] }), ['functions.hello.secrets[0]:']],
    [
      'generated event name too long',
      () =>
        problemsOf(
          { name: 'kubeless' },
          { ['f'.repeat(60)]: { handler: 'handler.hello', events: [{ http: '/' }] } },
        ),
      ['events', 'set a shorter name:'],
    ],
    [
      'event name:',
      () => kubeless({ events: [{ http: { path: '/', name: 'Not_OK' } }] }),
      ['functions.hello.events[0].name:'],
    ],
    // cron
    [
      'cron with 4 fields',
      () => kubeless({ events: [{ schedule: '* * * *' }] }),
      ['functions.hello.events[0].schedule:', 'has 4 fields; cron needs 5'],
    ],
    [
      'cron out of range',
      () => kubeless({ events: [{ schedule: { cron: '61 * * * *' } }] }),
      ['functions.hello.events[0].schedule.cron:', '"61" is out of range for the minute field'],
    ],
    [
      'cron bad month name',
      () => kubeless({ events: [{ schedule: '0 0 1 FOO *' }] }),
      ['"FOO" is out of range for the month field', 'JAN-DEC'],
    ],
    ['cron zero step', () => kubeless({ events: [{ schedule: '*/0 * * * *' }] }), ['step "/0"']],
    [
      'cron backwards range',
      () => kubeless({ events: [{ schedule: '0 0 * * FRI-MON' }] }),
      ['goes backwards'],
    ],
    [
      'cron unknown macro',
      () => kubeless({ events: [{ schedule: '@every-minute' }] }),
      ['not a known macro'],
    ],
    [
      'AWS cron()',
      () => kubeless({ events: [{ schedule: 'cron(0 12 * * ? *)' }] }),
      ['AWS syntax'],
    ],
    [
      'rate without cron equivalent',
      () => kubeless({ events: [{ schedule: 'rate(7 minutes)' }] }),
      ['functions.hello.events[0].schedule:', 'no exact cron equivalent'],
    ],
    [
      'both cron and rate',
      () => kubeless({ events: [{ schedule: { cron: '* * * * *', rate: 'rate(1 hour)' } }] }),
      ['functions.hello.events[0].schedule:', 'exactly one of cron'],
    ],
    [
      'payload and data',
      () => kubeless({ events: [{ schedule: { cron: '* * * * *', payload: 1, data: 2 } }] }),
      ['keep one'],
    ],
    [
      'timezone on kubeless',
      () => kubeless({ events: [{ schedule: { cron: '* * * * *', timezone: 'Europe/Berlin' } }] }),
      ['schedule.timezone:', 'UTC'],
    ],
    [
      'unknown timezone on knative',
      () => knative({ events: [{ schedule: { cron: '* * * * *', timezone: 'Mars/Olympus' } }] }),
      ['schedule.timezone:', 'IANA'],
    ],
    // quantities
    [
      'memorySize in MB',
      () => kubeless({ memorySize: '128MB' }),
      ['functions.hello.memorySize:', '128Mi'],
    ],
    [
      'memorySize in milli',
      () => kubeless({ memorySize: '128m' }),
      ['functions.hello.memorySize:', 'not a sensible memory size'],
    ],
    [
      'memorySize garbage',
      () => kubeless({ memorySize: 'lots' }),
      ['functions.hello.memorySize:', 'not a Kubernetes quantity'],
    ],
    ['provider memorySize', () => kubeless({}, { memorySize: '1 GB' }), ['provider.memorySize:']],
    ['cpu garbage', () => kubeless({ cpu: 'fast' }), ['functions.hello.cpu:', '500m']],
    ['cpu zero', () => kubeless({ cpu: 0 }), ['functions.hello.cpu:', 'positive']],
    // integers
    [
      'timeout not a number',
      () => kubeless({ timeout: 'soon' }),
      ['functions.hello.timeout:', 'whole number'],
    ],
    [
      'port out of range',
      () => kubeless({ port: 70000 }),
      ['functions.hello.port:', 'from 1 to 65535'],
    ],
    // duplicates
    [
      'duplicate trigger names',
      () =>
        problemsOf(
          { name: 'kubeless' },
          {
            a: { handler: 'handler.hello', events: [{ http: { path: '/a', name: 'shared' } }] },
            b: {
              handler: 'handler.hello',
              events: [{ schedule: { cron: '* * * * *', name: 'shared' } }],
            },
          },
        ),
      ['functions.b.events:', '"shared" is already used by functions.a'],
    ],
    [
      'duplicate function names',
      () =>
        problemsOf(
          { name: 'kubeless' },
          {
            a: { handler: 'handler.hello', name: 'same' },
            b: { handler: 'handler.hello', name: 'same' },
          },
        ),
      ['functions.b:', 'same Kubernetes name "same" as functions.a'],
    ],
    // handler
    [
      'handler missing',
      () => kubeless({ handler: undefined }),
      ['functions.hello.handler:', 'is required'],
    ],
    [
      'handler without export',
      () => kubeless({ handler: 'handler' }),
      ['functions.hello.handler:', '<file path without extension>.<exported function>'],
    ],
    [
      'handler file missing',
      () => kubeless({ handler: 'src/nothere.hello' }),
      ['functions.hello.handler:', 'no file src/nothere{.ts,.mts,.cts,.js,.mjs,.cjs}'],
    ],
    [
      'handler export missing',
      () => kubeless({ handler: 'handler.goodbye' }),
      ['functions.hello.handler:', 'handler.ts does not export "goodbye"'],
    ],
    [
      'python handler missing def',
      () => kubeless({ handler: 'handler.hello', runtime: 'python3.8' }),
      [
        'functions.hello.handler:',
        'no file handler.py in',
        '(runtime python3.8 runs handler.py; handler.ts needs a nodejs runtime)',
      ],
    ],
    [
      'unsupported runtime',
      () => kubeless({ runtime: 'java11' }),
      ['functions.hello.runtime:', '"java11" cannot be packaged'],
    ],
    // traffic
    [
      'traffic sum',
      () => knative({ traffic: [{ latestRevision: true, percent: 90 }] }),
      ['functions.hello.traffic:', 'add up to 90'],
    ],
    [
      'traffic both targets',
      () => knative({ traffic: [{ latestRevision: true, revision: 'hello-1', percent: 100 }] }),
      ['functions.hello.traffic[0]:', 'exactly one of revision'],
    ],
    [
      'traffic no target',
      () => knative({ traffic: [{ percent: 100 }] }),
      ['functions.hello.traffic[0]:', 'exactly one of revision'],
    ],
    [
      'traffic percent range',
      () => knative({ traffic: [{ latestRevision: true, percent: 150 }] }),
      ['functions.hello.traffic[0].percent:', 'from 0 to 100'],
    ],
    [
      'traffic duplicate tag',
      () =>
        knative({
          traffic: [
            { revision: 'a-1', percent: 50, tag: 't' },
            { latestRevision: true, percent: 50, tag: 't' },
          ],
        }),
      ['functions.hello.traffic[1].tag:', 'unique'],
    ],
    // autoscaling
    [
      'kubeless min > max',
      () => kubeless({ cpu: '100m', autoscaling: { minReplicas: 5, maxReplicas: 2 } }),
      ['functions.hello.autoscaling:', 'minReplicas (5) is greater than maxReplicas (2)'],
    ],
    [
      'kubeless HPA without cpu',
      () => kubeless({ autoscaling: { maxReplicas: 3 } }),
      ['functions.hello.autoscaling:', 'needs a CPU request'],
    ],
    [
      'kubeless maxReplicas missing',
      () => kubeless({ cpu: 1, autoscaling: { minReplicas: 1 } }),
      ['functions.hello.autoscaling.maxReplicas:', 'required'],
    ],
    [
      'replicas with autoscaling',
      () => kubeless({ cpu: 1, replicas: 2, autoscaling: { maxReplicas: 3 } }),
      ['functions.hello.replicas:', 'conflicts with autoscaling'],
    ],
    [
      'knative key under kubeless autoscaling',
      () => kubeless({ cpu: 1, autoscaling: { maxReplicas: 3, minScale: 1 } }),
      ['functions.hello.autoscaling.minScale:', 'knative autoscaling key'],
    ],
    [
      'knative min > max',
      () => knative({ autoscaling: { minScale: 4, maxScale: 2 } }),
      ['functions.hello.autoscaling:', 'minScale (4) is greater than maxScale (2)'],
    ],
    [
      'knative cpu metric needs hpa',
      () => knative({ autoscaling: { metric: 'cpu' } }),
      ['functions.hello.autoscaling.metric:', 'class: hpa'],
    ],
    [
      'knative window',
      () => knative({ autoscaling: { window: 'a minute' } }),
      ['functions.hello.autoscaling.window:', '60s'],
    ],
    // provider-specific keys and events
    [
      'knative key on kubeless',
      () => kubeless({ concurrency: 10 }),
      ['functions.hello.concurrency:', 'only supported by provider knative'],
    ],
    [
      'kubeless key on knative',
      () => knative({ servicePort: 80 }),
      ['functions.hello.servicePort:', 'only supported by provider kubeless'],
    ],
    [
      'kubeless provider key on knative',
      () => knative({}, { hostname: 'x.example.com' }),
      ['provider.hostname:', 'only supported by provider kubeless'],
    ],
    [
      'cloudEvent on kubeless',
      () => kubeless({ events: [{ cloudEvent: { filter: { attributes: { type: 'x' } } } }] }),
      [
        'functions.hello.events[0].cloudEvent:',
        'not supported by provider kubeless',
        'knative event',
      ],
    ],
    [
      'trigger on knative',
      () => knative({ events: [{ trigger: 'topic' }] }),
      ['functions.hello.events[0].trigger:', 'not supported by provider knative'],
    ],
    [
      'KafkaSource keys on kubeless',
      () => kubeless({ events: [{ kafka: { topic: 't', bootstrapServers: ['k:9092'] } }] }),
      ['functions.hello.events[0].kafka:', 'knative KafkaSource keys'],
    ],
    [
      'kubeless kafka on knative',
      () => knative({ events: [{ kafka: { topic: 't' } }] }),
      [
        'functions.hello.events[0].kafka.topic:',
        'topics: [<topic>]',
        'functions.hello.events[0].kafka.bootstrapServers:',
      ],
    ],
    [
      'trigger queue',
      () => kubeless({ events: [{ trigger: { queue: 'rabbitmq', topic: 't' } }] }),
      ['functions.hello.events[0].trigger.queue:', 'kafka or nats'],
    ],
    [
      'trigger topic',
      () => kubeless({ events: [{ nats: {} }] }),
      ['functions.hello.events[0].nats.topic:', 'is required'],
    ],
    [
      'two event types in one item',
      () => kubeless({ events: [{ http: '/', schedule: '* * * * *' }] }),
      ['functions.hello.events[0]:', 'must be one of'],
    ],
    [
      'knative http path',
      () => knative({ events: [{ http: { path: '/api' } }] }),
      ['functions.hello.events[0].http.path:', 'whole host'],
    ],
    [
      'customDomain on kubeless',
      () => kubeless({ events: [{ http: { customDomain: 'a.example.com' } }] }),
      ['functions.hello.events[0].http.customDomain:', 'knative-only'],
    ],
    [
      'http method',
      () => kubeless({ events: [{ http: { method: 'FETCH' } }] }),
      ['functions.hello.events[0].http.method:', '"FETCH"'],
    ],
    [
      'hostname',
      () => kubeless({ events: [{ http: { hostname: 'not a host' } }] }),
      ['functions.hello.events[0].http.hostname:', 'api.example.com'],
    ],
    [
      'cloudEvent filter',
      () => knative({ events: [{ cloudEvent: { filter: { type: 'x' } } }] }),
      ['functions.hello.events[0].cloudEvent.filter.type:', 'filter.attributes'],
    ],
    // labels, env, volumes
    [
      'label value',
      () => kubeless({ labels: { team: 'a b' } }),
      ['functions.hello.labels.team:', 'value "a b" is invalid'],
    ],
    [
      'label key',
      () => kubeless({ labels: { 'bad key': 'x' } }),
      ['functions.hello.labels.bad key:'],
    ],
    [
      'valueFrom without key',
      () =>
        kubeless({
          environment: [{ name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 'db' } } }],
        }),
      [
        'functions.hello.environment.PASSWORD.valueFrom.secretKeyRef:',
        'name (of the Secret/ConfigMap) and key',
      ],
    ],
    [
      'valueFrom with two sources',
      () =>
        kubeless({
          environment: {
            A: {
              valueFrom: { secretKeyRef: { name: 'a', key: 'b' }, fieldRef: { fieldPath: 'x' } },
            },
          },
        }),
      ['functions.hello.environment.A.valueFrom:', 'exactly one'],
    ],
    [
      'environment wrong type',
      () => kubeless({ environment: 'A=1' }),
      ['functions.hello.environment:', 'map (NAME: value) or a list'],
    ],
    [
      'envFrom with both refs',
      () => kubeless({ envFrom: [{ secretRef: 'a', configMapRef: 'b' }] }),
      ['functions.hello.envFrom[0]:', 'exactly one of secretRef or configMapRef'],
    ],
    [
      'volumeMount without volume',
      () => kubeless({ volumeMounts: [{ name: 'data', mountPath: '/data' }] }),
      ['functions.hello.volumeMounts[0].name:', 'add it under volumes:'],
    ],
    [
      'unknown function for deploy function',
      () => {
        try {
          normalize({
            ...inputFrom(
              config({ name: 'kubeless' }, { hello: { handler: 'handler.hello' } }),
              servicePath,
            ),
            functionKeys: ['nope'],
          });
        } catch (error) {
          return (error as Error).message;
        }
        return '';
      },
      ['functions.nope:', 'the functions are hello'],
    ],
    [
      'provider name',
      () => problemsOf({ name: 'aws' }, {}),
      ['provider.name:', 'kubeless or knative'],
    ],
  ];

  it.each(cases)('%s', (_title, run, expected) => {
    const message = run();
    for (const part of expected) expect(message).toContain(part);
  });

  it('collects every problem into one error', () => {
    const message = kubeless({ memorySize: '1 GB', cpu: 'fast', events: [{ schedule: '* *' }] });
    expect(message).toMatch(/^serverless\.yml has 3 problems:\n/);
    expect(message.split('\n  - ')).toHaveLength(4);
  });
});
