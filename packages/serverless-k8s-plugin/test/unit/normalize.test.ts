// normalize(): defaults, shorthands and merging rules (errors are in normalize-errors.test.ts).
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cronProblem, rateToCron } from '../../src/model/cron.js';
import { mayExport } from '../../src/model/handler.js';
import { DEFAULT_NODE_IMAGE, normalize } from '../../src/model/normalize.js';
import { cpuQuantity, memoryQuantity } from '../../src/model/quantities.js';
import { LABELS } from '../../src/model/types.js';
import { FIXTURES_DIR } from './service-fixtures.js';

const servicePath = join(FIXTURES_DIR, 'kubeless-minimal');

function model(fn: Record<string, unknown>, provider: Record<string, unknown> = {}, extra = {}) {
  return normalize({
    service: 'svc',
    stage: 'prod',
    servicePath,
    provider: { name: 'kubeless', ...provider },
    functions: { hello: { handler: 'handler.hello', ...fn } },
    ...extra,
  });
}

describe('normalize', () => {
  it('fills the documented defaults', () => {
    const m = model({});
    const fn = m.functions[0]!;
    expect(m.namespace).toBe('default');
    expect(m.defaultDNSResolution).toBe('nip.io');
    expect(m.nodeImage).toBe(DEFAULT_NODE_IMAGE);
    expect(m.commonLabels).toEqual({
      [LABELS.managedBy]: 'serverless-k8s',
      [LABELS.service]: 'svc',
      [LABELS.stage]: 'prod',
    });
    expect(fn).toMatchObject({
      name: 'hello',
      runtime: 'nodejs14',
      timeout: 180,
      port: 8080,
      externalDependencies: false,
    });
    expect(fn.handler).toEqual({ raw: 'handler.hello', file: 'handler.ts', exportName: 'hello' });
  });

  it("ignores the framework's AWS-style default name and keeps an explicit one", () => {
    expect(model({ name: 'svc-prod-hello' }).functions[0]!.name).toBe('hello');
    expect(model({ name: 'greeter' }).functions[0]!.name).toBe('greeter');
  });

  it('merges provider and function settings, function first', () => {
    const fn = model(
      {
        labels: { tier: 'web' },
        environment: { B: 'fn', C: 3 },
        timeout: '20',
        nodeSelector: { disk: 'ssd' },
      },
      {
        labels: { team: 'a', tier: 'x' },
        environment: { A: 'p', B: 'p' },
        timeout: 10,
        memorySize: 128,
        nodeSelector: { pool: 'f' },
      },
    ).functions[0]!;
    expect(fn.labels).toEqual({ team: 'a', tier: 'web' });
    expect(fn.environment).toEqual([
      { name: 'A', value: 'p' },
      { name: 'B', value: 'fn' },
      { name: 'C', value: '3' },
    ]);
    expect(fn.timeout).toBe(20);
    expect(fn.memorySize).toBe('128Mi');
    expect(fn.nodeSelector).toEqual({ pool: 'f', disk: 'ssd' });
  });

  it('expands event shorthands and names events per kind', () => {
    const fn = model({
      events: [
        { http: 'GET hello' },
        { http: { path: '/b', method: 'post' } },
        { schedule: 'rate(15 minutes)' },
        { trigger: 'orders' },
        { trigger: { queue: 'NATS', topic: 'audit' } },
        { kafka: 'refunds' },
      ],
    }).functions[0]!;
    expect(fn.events).toEqual([
      { name: 'hello-http-0', kind: 'http', path: '/hello', method: 'GET' },
      { name: 'hello-http-1', kind: 'http', path: '/b', method: 'POST' },
      { name: 'hello-schedule-0', kind: 'schedule', cron: '*/15 * * * *' },
      { name: 'hello-kafka-0', kind: 'queue', queue: 'kafka', topic: 'orders' },
      { name: 'hello-nats-0', kind: 'queue', queue: 'nats', topic: 'audit' },
      { name: 'hello-kafka-1', kind: 'queue', queue: 'kafka', topic: 'refunds' },
    ]);
  });

  it('applies provider ingress defaults to http events', () => {
    const fn = model(
      {
        events: [
          { http: { path: '/a' } },
          { http: { path: '/b', tls: false, basicAuthSecret: 'other' } },
        ],
      },
      {
        ingress: {
          enableTlsAcme: true,
          cors: true,
          basicAuthSecretName: 'htpasswd',
          tlsSecretName: 'cert',
        },
      },
    ).functions[0]!;
    expect(fn.events[0]).toMatchObject({
      tls: true,
      cors: true,
      basicAuthSecret: 'htpasswd',
      tlsSecretName: 'cert',
    });
    expect(fn.events[1]).toMatchObject({ tls: false, cors: true, basicAuthSecret: 'other' });
  });

  it('takes only the requested functions', () => {
    const m = normalize({
      service: 'svc',
      stage: 'dev',
      servicePath,
      provider: { name: 'kubeless' },
      functions: { hello: { handler: 'handler.hello' }, broken: { handler: 'nothere.x' } },
      functionKeys: ['hello'],
    });
    expect(m.functions.map((fn) => fn.key)).toEqual(['hello']);
  });

  it('accepts a prebuilt image without handler on knative', () => {
    const m = normalize({
      service: 'svc',
      stage: 'dev',
      servicePath,
      provider: { name: 'knative' },
      functions: { web: { image: 'ghcr.io/acme/web:1' } },
    });
    expect(m.functions[0]!.handler).toBeUndefined();
    expect(m.functions[0]!.image).toBe('ghcr.io/acme/web:1');
  });

  it('reads package.individually', () => {
    expect(model({}, {}, { package: { individually: true } }).individually).toBe(true);
  });
});

describe('handler export check (static, never runs the code)', () => {
  const exported: [string, string, boolean][] = [
    ['export async function hello() {}', 'hello', true],
    ['export const hello = () => 1;', 'hello', true],
    ['export class hello {}', 'hello', true],
    ['const a = 1; export { a as hello };', 'hello', true],
    ["export { hello } from './impl';", 'hello', true],
    ['export default function () {}', 'default', true],
    ['exports.hello = () => 1;', 'hello', true],
    ['module.exports.hello = () => 1;', 'hello', true],
    ['module.exports = { hello, other };', 'hello', true],
    ['module.exports = { hello: () => 1 };', 'hello', true],
    ['module.exports = build();', 'hello', true],
    ["export * from './all';", 'hello', true],
    ['export const hello2 = 1;', 'hello', false],
    ['// export function hello() {}\nexport function other() {}', 'hello', false],
    ['function hello() {}', 'hello', false],
    ['module.exports = { other };', 'hello', false],
  ];
  it.each(exported)('%s exports %s: %s', (source, name, expected) => {
    expect(mayExport(source, name)).toBe(expected);
  });
});

describe('cron, rate and quantities', () => {
  it.each(['* * * * *', '*/5 0-6 1,15 JAN-MAR mon-fri', '0 0 * * 7', '@hourly', '5-10/2 * ? * *'])(
    'accepts %s',
    (cron) => {
      expect(cronProblem(cron)).toBeUndefined();
    },
  );
  it('converts rates that have a cron equivalent', () => {
    expect(rateToCron('rate(1 minute)')).toEqual({ cron: '* * * * *' });
    expect(rateToCron('rate(6 hours)')).toEqual({ cron: '0 */6 * * *' });
    expect(rateToCron('rate(1 day)')).toEqual({ cron: '0 0 * * *' });
    expect(rateToCron('rate(2 days)')).toHaveProperty('problem');
  });
  it('reads memory and cpu the Kubernetes way', () => {
    expect(memoryQuantity(256)).toEqual({ value: '256Mi' });
    expect(memoryQuantity('1.5Gi')).toEqual({ value: '1.5Gi' });
    expect(memoryQuantity('512M')).toEqual({ value: '512M' });
    expect(cpuQuantity(0.5)).toEqual({ value: '0.5' });
    expect(cpuQuantity('250m')).toEqual({ value: '250m' });
  });
});
