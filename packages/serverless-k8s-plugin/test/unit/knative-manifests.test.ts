import { describe, expect, it } from 'vitest';
import type { FunctionModel } from '../../src/model/types.js';
import { CONFIG_MAP_LIMIT_BYTES } from '../../src/providers/knative/delivery.js';
import { renderKnative } from '../../src/providers/knative/manifests.js';
import { UserError } from '../../src/util/errors.js';
import {
  RUNTIME_STUB,
  artifactFor,
  artifactsFor,
  byKind,
  expectGolden,
  fnModel,
  kservice,
  serviceModel,
} from './knative-fixtures.js';

function render(functions: FunctionModel[], overrides = {}) {
  return renderKnative(serviceModel(functions, overrides), artifactsFor(functions), RUNTIME_STUB);
}

const FULL = fnModel({
  description: 'Says hello',
  labels: { team: 'web' },
  annotations: {
    'example.com/owner': 'web-team',
    'autoscaling.knative.dev/panic-window-percentage': '20',
  },
  environment: [
    { name: 'GREETING', value: 'hello' },
    { name: 'API_KEY', valueFrom: { secretKeyRef: { name: 'api', key: 'key' } } },
    { name: 'FUNC_TIMEOUT', value: '5' },
  ],
  envFrom: [
    { configMapRef: { name: 'shop-config' } },
    { secretRef: { name: 'shop-secrets' }, prefix: 'S_' },
  ],
  memorySize: '256Mi',
  cpu: '500m',
  timeout: 15,
  secrets: ['db-credentials'],
  configMaps: ['feature-flags'],
  serviceAccountName: 'hello-runner',
  imagePullSecrets: ['regcred'],
  concurrency: 10,
});

describe('renderKnative golden manifests', () => {
  it('default delivery: code ConfigMap + Service with env, resources, volumes, probes', () => {
    expectGolden('default-delivery', render([FULL]));
  });

  it('image: no ConfigMap, no command, handler optional', () => {
    expectGolden(
      'image',
      render([fnModel({ handler: undefined, image: 'ghcr.io/acme/hello:1.2.0' })]),
    );
  });

  it('autoscaling annotations with the current key names', () => {
    const fn = fnModel({
      knativeAutoscaling: {
        minScale: 1,
        maxScale: 5,
        initialScale: 2,
        target: 10,
        metric: 'concurrency',
        class: 'kpa.autoscaling.knative.dev',
        window: '60s',
        scaleDownDelay: '15m',
      },
    });
    expectGolden('autoscaling', render([fn]));
  });

  it('traffic canary 100 → 50/50 → 0/100', () => {
    const v1 = render([fnModel()]);
    const v1Revision = kservice(v1).spec.template.metadata.name;
    expect(v1Revision).toMatch(/^hello-[0-9a-f]{8}$/);
    const code2 = [fnModel({ environment: [{ name: 'VERSION', value: '2' }] })];
    const split = [
      fnModel({
        environment: [{ name: 'VERSION', value: '2' }],
        traffic: [
          { revision: v1Revision, percent: 50, tag: 'blue' },
          { latestRevision: true, percent: 50, tag: 'green' },
        ],
      }),
    ];
    const allNew = [
      fnModel({
        environment: [{ name: 'VERSION', value: '2' }],
        traffic: [
          { revision: v1Revision, percent: 0, tag: 'blue' },
          { latestRevision: true, percent: 100, tag: 'green' },
        ],
      }),
    ];
    expectGolden('traffic-100', v1);
    expectGolden('traffic-50-50', render(split));
    expectGolden('traffic-0-100', render(allNew));
    // Traffic lives outside the template: changing it never makes a new revision.
    const v2Revision = kservice(render(code2)).spec.template.metadata.name;
    expect(kservice(render(split)).spec.template.metadata.name).toBe(v2Revision);
    expect(kservice(render(allNew)).spec.template.metadata.name).toBe(v2Revision);
  });

  it('visibility cluster-local labels the Service, not the template', () => {
    const objects = render([fnModel({ visibility: 'cluster-local' })]);
    expectGolden('visibility', objects);
    const service = kservice(objects);
    expect(service.metadata.labels?.['networking.knative.dev/visibility']).toBe('cluster-local');
  });

  it('events: http customDomain, schedule (JSON and text data), cloudEvent, kafka', () => {
    const fn = fnModel({
      events: [
        {
          kind: 'http',
          name: 'http-0',
          path: '/',
          customDomain: 'hello.example.com',
        },
        {
          kind: 'schedule',
          name: 'nightly',
          cron: '0 3 * * *',
          timezone: 'Europe/Berlin',
          payload: { job: 'report' },
        },
        { kind: 'schedule', name: 'ping', cron: '*/5 * * * *', payload: 'ping' },
        {
          kind: 'cloudEvent',
          name: 'order-created',
          broker: 'default',
          filter: { type: 'shop.order.created' },
        },
        { kind: 'cloudEvent', name: 'any', broker: 'default', filter: {} },
        {
          kind: 'kafkaSource',
          name: 'orders',
          bootstrapServers: ['kafka:9092'],
          topics: ['orders'],
          consumerGroup: 'hello',
        },
      ],
    });
    const objects = render([fn]);
    expectGolden('events', objects);
    expect(objects.map((o) => o.kind)).toEqual([
      'ConfigMap',
      'Service',
      'DomainMapping',
      'PingSource',
      'PingSource',
      'Trigger',
      'Trigger',
      'KafkaSource',
    ]);
    expect(byKind(objects, 'Broker')).toHaveLength(0);
  });

  it('createBroker: one Broker per distinct broker and namespace, before the Triggers', () => {
    const a = fnModel({
      events: [
        {
          kind: 'cloudEvent',
          name: 'created',
          broker: 'orders',
          filter: { type: 'order.created' },
        },
        { kind: 'cloudEvent', name: 'paid', broker: 'orders', filter: { type: 'order.paid' } },
      ],
    });
    const b = fnModel({
      key: 'audit',
      name: 'audit',
      events: [{ kind: 'cloudEvent', name: 'all', broker: 'default', filter: {} }],
    });
    const objects = render([a, b], { createBroker: true });
    expectGolden('create-broker', objects);
    expect(byKind(objects, 'Broker').map((o) => o.metadata.name)).toEqual(['orders', 'default']);
    expect(objects[0]?.kind).toBe('Broker');
  });

  it('build: docker uses the image tagged with the content hash and no ConfigMap', () => {
    const fn = fnModel({ build: 'docker', image: 'registry.example.com/shop/hello' });
    const objects = render([fn]);
    expectGolden('build-docker', objects);
    expect(byKind(objects, 'ConfigMap')).toHaveLength(0);
    const image = (
      kservice(objects).spec.template as unknown as { spec: { containers: { image: string }[] } }
    ).spec.containers[0]?.image;
    expect(image).toMatch(/^registry\.example\.com\/shop\/hello:[0-9a-f]{12}$/);
    const tagged = fnModel({ build: 'docker', image: 'registry.example.com:5000/shop/hello:v1' });
    expect(JSON.stringify(render([tagged]))).toContain(
      '"image":"registry.example.com:5000/shop/hello:v1"',
    );
  });
});

describe('renderKnative revisions and content hashes', () => {
  it('is deterministic: the same input renders the same names', () => {
    expect(render([FULL])).toEqual(render([FULL]));
  });

  it('a code change renames the ConfigMap and the revision; an env change only the revision', () => {
    const model = serviceModel([fnModel()]);
    const before = renderKnative(model, artifactsFor(model.functions), RUNTIME_STUB);
    const changedCode = renderKnative(
      model,
      new Map([['hello', artifactFor(fnModel(), 'exports.hello = () => 2;')]]),
      RUNTIME_STUB,
    );
    const cm = (objects: typeof before) => byKind(objects, 'ConfigMap')[0]?.metadata.name;
    const rev = (objects: typeof before) => kservice(objects).spec.template.metadata.name;
    expect(cm(changedCode)).not.toBe(cm(before));
    expect(rev(changedCode)).not.toBe(rev(before));

    const withEnv = render([fnModel({ environment: [{ name: 'X', value: '1' }] })]);
    expect(cm(withEnv)).toBe(cm(before));
    expect(rev(withEnv)).not.toBe(rev(before));

    const newRuntime = renderKnative(
      model,
      artifactsFor(model.functions),
      Buffer.from('/* runtime v2 */'),
    );
    expect(cm(newRuntime)).not.toBe(cm(before));
  });

  it('deploy function renders only the named function', () => {
    const a = fnModel();
    const b = fnModel({ key: 'bye', name: 'bye' });
    const model = serviceModel([a, b]);
    const objects = renderKnative(model, artifactsFor([a, b]), RUNTIME_STUB, [b]);
    expect(byKind(objects, 'Service').map((o) => o.metadata.name)).toEqual(['bye']);
  });

  it('image-only services need no runtime bundle', () => {
    const fn = fnModel({ handler: undefined, image: 'ghcr.io/acme/hello:1' });
    expect(() => renderKnative(serviceModel([fn]), new Map(), undefined)).not.toThrow();
  });
});

describe('renderKnative errors', () => {
  it('a code ConfigMap over 1 MiB is a UserError pointing to image:', () => {
    const fn = fnModel();
    const big = artifactFor(fn);
    big.files['vendor.js'] = Buffer.alloc(CONFIG_MAP_LIMIT_BYTES, 'x');
    const run = () => renderKnative(serviceModel([fn]), new Map([[fn.key, big]]), RUNTIME_STUB);
    expect(run).toThrow(UserError);
    expect(run).toThrow(
      /functions\.hello: the code ConfigMap would be 1\.00 MiB .*over the Kubernetes ConfigMap limit of 1 MiB.*`image: /,
    );
  });

  it('a bundle just under the limit is accepted', () => {
    const fn = fnModel();
    const artifact = artifactFor(fn);
    const used = Object.entries(artifact.files).reduce((n, [k, v]) => n + k.length + v.length, 0);
    artifact.files['pad.js'] = Buffer.alloc(
      CONFIG_MAP_LIMIT_BYTES - used - 'pad.js'.length - 'runtime.js'.length - RUNTIME_STUB.length,
      'x',
    );
    expect(() =>
      renderKnative(serviceModel([fn]), new Map([[fn.key, artifact]]), RUNTIME_STUB),
    ).not.toThrow();
    artifact.files['pad.js'] = Buffer.concat([
      artifact.files['pad.js'] as Buffer,
      Buffer.from('x'),
    ]);
    expect(() =>
      renderKnative(serviceModel([fn]), new Map([[fn.key, artifact]]), RUNTIME_STUB),
    ).toThrow(UserError);
  });

  it('Kubeless queue triggers are rejected with the Knative alternatives', () => {
    const fn = fnModel({ events: [{ kind: 'queue', name: 'q', queue: 'nats', topic: 'orders' }] });
    expect(() => render([fn])).toThrow(
      /functions\.hello\.events \(q\): `nats` triggers are Kubeless-only.*KafkaSource/,
    );
  });

  it('a name too long for <name>-<hash> revision names', () => {
    const name = 'a'.repeat(60);
    expect(() => render([fnModel({ name })])).toThrow(/too long for Knative revision names/);
  });

  it('environment variables Knative reserves', () => {
    expect(() => render([fnModel({ environment: [{ name: 'PORT', value: '3000' }] })])).toThrow(
      'functions.hello.environment.PORT: Knative sets PORT itself and rejects it here; set `port:` on the function instead.',
    );
    expect(() => render([fnModel({ environment: [{ name: 'K_REVISION', value: 'x' }] })])).toThrow(
      /environment\.K_REVISION: Knative sets K_REVISION itself/,
    );
  });

  it('a handler-less function without image', () => {
    expect(() => render([fnModel({ handler: undefined })])).toThrow(
      /set `handler: file.export` or `image:`/,
    );
  });

  it('build: docker without image names the fix', () => {
    expect(() => render([fnModel({ build: 'docker' })])).toThrow(
      /`build: docker` needs `image:` naming the repository/,
    );
  });

  it('a bundle file named runtime.js', () => {
    const fn = fnModel();
    const artifact = artifactFor(fn);
    artifact.files['runtime.js'] = Buffer.from('x');
    expect(() =>
      renderKnative(serviceModel([fn]), new Map([[fn.key, artifact]]), RUNTIME_STUB),
    ).toThrow(/set `name:` on the function to something other than "runtime"/);
  });
});
