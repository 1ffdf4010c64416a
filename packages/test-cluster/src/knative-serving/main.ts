// Stands in for Knative Serving's controllers where they cannot run here (no ingress, no
// autoscaler, no queue-proxy images): for each serving.knative.dev/v1 Service it creates what
// Knative's reconcilers create (pkg/reconciler/{service,configuration,revision,route} of
// knative/serving v1.4.0) and writes their status. Everything below the Revision is left to the
// real Kubernetes programs: the Deployment goes to kube-controller-manager, its pods to
// kube-scheduler and the node agent, the private Service's Endpoints to the endpoints controller.
// What is ours, and differs (docs/testing.md):
// - no queue-proxy: the user container keeps its readiness probe and the `<revision>-private`
//   Service targets the user port instead of 8012;
// - no autoscaling: replicas are max(min-scale, initial-scale, 1);
// - no ingress: Route URLs are formed as Knative forms them and reach nothing.
//   node dist/knative-serving.js KUBECONFIG
import type { Deployment } from 'kubernetes-types/apps/v1.js';
import type { Container, Probe, Service as CoreService } from 'kubernetes-types/core/v1.js';
import type { ObjectMeta, OwnerReference } from 'kubernetes-types/meta/v1.js';
import { Informer } from '../informer.js';
import { KubeApi } from '../kube-api.js';

const log = (message: string): void => {
  process.stderr.write(`${new Date().toISOString()} knative-serving: ${message}\n`);
};

const SERVING = 'serving.knative.dev/v1';
const MANAGER = 'knative-serving-standin';
const LABEL = {
  service: 'serving.knative.dev/service',
  configuration: 'serving.knative.dev/configuration',
  configurationGeneration: 'serving.knative.dev/configurationGeneration',
  revision: 'serving.knative.dev/revision',
  revisionUid: 'serving.knative.dev/revisionUID',
  visibility: 'networking.knative.dev/visibility',
};

interface TrafficTarget {
  revisionName?: string;
  configurationName?: string;
  latestRevision?: boolean;
  percent?: number;
  tag?: string;
  url?: string;
}

interface RevisionTemplate {
  metadata?: ObjectMeta;
  spec?: {
    containers?: Container[];
    timeoutSeconds?: number;
    [key: string]: unknown;
  };
}

interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

interface KnativeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  spec?: {
    template?: RevisionTemplate;
    traffic?: TrafficTarget[];
    containers?: Container[];
    [key: string]: unknown;
  };
  status?: { conditions?: Condition[]; [key: string]: unknown };
}

const controllerRef = (
  owner: KnativeObject,
  kind: string,
  apiVersion = SERVING,
): OwnerReference => ({
  apiVersion,
  kind,
  name: owner.metadata?.name ?? '',
  uid: owner.metadata?.uid ?? '',
  controller: true,
  blockOwnerDeletion: true,
});

function condition(
  type: string,
  ok: boolean | undefined,
  reason?: string,
  message?: string,
): Condition {
  return {
    type,
    status: ok === undefined ? 'Unknown' : ok ? 'True' : 'False',
    ...(reason ? { reason } : {}),
    ...(message ? { message } : {}),
    lastTransitionTime: new Date().toISOString(),
  };
}

/** A container port for probes that name none: Knative fills in the user port. */
function withPort(probe: Probe | undefined, port: number): Probe | undefined {
  if (!probe) return undefined;
  if (probe.httpGet)
    return { ...probe, httpGet: { ...probe.httpGet, port: probe.httpGet.port || port } };
  if (probe.tcpSocket)
    return { ...probe, tcpSocket: { ...probe.tcpSocket, port: probe.tcpSocket.port || port } };
  return probe;
}

class ServingStandIn {
  private readonly services: Informer<KnativeObject>;
  private readonly revisions: Informer<KnativeObject>;
  private readonly deployments: Informer<Deployment>;
  private readonly queued = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();

  constructor(private readonly api: KubeApi) {
    const enqueue = (object: { metadata?: ObjectMeta }): void => {
      const ns = object.metadata?.namespace ?? '';
      const service = object.metadata?.labels?.[LABEL.service] ?? object.metadata?.name ?? '';
      this.queue(`${ns}/${service}`);
    };
    this.services = new Informer({
      api,
      path: `/apis/${SERVING}/services`,
      log,
      onChange: enqueue,
    });
    this.revisions = new Informer({
      api,
      path: `/apis/${SERVING}/revisions`,
      log,
      onChange: enqueue,
    });
    this.deployments = new Informer({
      api,
      path: '/apis/apps/v1/deployments',
      query: { labelSelector: LABEL.revision },
      log,
      onChange: enqueue,
    });
  }

  async start(): Promise<void> {
    await Promise.all([this.services.start(), this.revisions.start(), this.deployments.start()]);
    log('watching serving.knative.dev/v1 Services');
  }

  stop(): void {
    this.services.stop();
    this.revisions.stop();
    this.deployments.stop();
  }

  private queue(key: string): void {
    this.queued.add(key);
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      const keys = [...this.queued];
      this.queued.clear();
      this.running = this.running.then(async () => {
        for (const k of keys) {
          await this.reconcile(k).catch((err: Error) => log(`${k}: ${err.message}`));
        }
      });
    }, 100);
  }

  private apply(path: string, object: unknown): Promise<KnativeObject> {
    return this.api.expect<KnativeObject>('PATCH', `${path}?fieldManager=${MANAGER}&force=true`, {
      body: object,
      contentType: 'application/apply-patch+yaml',
    });
  }

  /**
   * Writes status through the status subresource only when it changed (a write would wake the
   * watches and reconcile again); a condition keeps its transition time while its status holds.
   */
  private async writeStatus(
    path: string,
    current: KnativeObject,
    status: { conditions: Condition[] },
  ): Promise<void> {
    const before = new Map((current.status?.conditions ?? []).map((c) => [c.type, c]));
    status.conditions = status.conditions.map((c) => {
      const old = before.get(c.type);
      return old && old.status === c.status
        ? { ...c, lastTransitionTime: old.lastTransitionTime }
        : c;
    });
    const same = Object.entries(status).every(
      ([key, value]) => JSON.stringify(current.status?.[key]) === JSON.stringify(value),
    );
    if (same) return;
    await this.api.expect('PATCH', `${path}/status`, {
      body: { status },
      contentType: 'application/merge-patch+json',
    });
  }

  private async reconcile(key: string): Promise<void> {
    const service = this.services.get(key);
    if (!service?.metadata || service.metadata.deletionTimestamp) return;
    const namespace = service.metadata.namespace ?? 'default';
    const name = service.metadata.name ?? '';
    const template = service.spec?.template ?? {};
    const generation = service.metadata.generation ?? 1;

    // Service → Configuration (reconciler/service/resources/configuration.go).
    const configuration = await this.apply(
      `/apis/${SERVING}/namespaces/${namespace}/configurations/${name}`,
      {
        apiVersion: SERVING,
        kind: 'Configuration',
        metadata: {
          name,
          namespace,
          labels: { ...service.metadata.labels, [LABEL.service]: name },
          ownerReferences: [controllerRef(service, 'Service')],
        },
        spec: { template },
      },
    );
    const configGeneration = configuration.metadata?.generation ?? 1;

    // Configuration → Revision (reconciler/configuration/resources/revision.go): named by the
    // template, else <configuration>-<generation>; a Revision is never changed once created.
    const revisionName =
      template.metadata?.name ?? `${name}-${String(configGeneration).padStart(5, '0')}`;
    let revision = this.revisions.get(`${namespace}/${revisionName}`);
    if (!revision) {
      const created = await this.api.request<KnativeObject>(
        'POST',
        `/apis/${SERVING}/namespaces/${namespace}/revisions`,
        {
          body: {
            apiVersion: SERVING,
            kind: 'Revision',
            metadata: {
              name: revisionName,
              namespace,
              labels: {
                ...template.metadata?.labels,
                [LABEL.configuration]: name,
                [LABEL.configurationGeneration]: String(configGeneration),
                [LABEL.service]: name,
              },
              annotations: template.metadata?.annotations ?? {},
              ownerReferences: [controllerRef(configuration, 'Configuration')],
            },
            spec: template.spec ?? {},
          },
        },
      );
      if (created.status !== 201 && created.status !== 409) {
        throw new Error(
          `creating Revision ${revisionName}: HTTP ${created.status} ${created.text.slice(0, 300)}`,
        );
      }
      revision = created.body;
    }

    const own = this.revisions
      .list()
      .filter(
        (r) => r.metadata?.namespace === namespace && r.metadata?.labels?.[LABEL.service] === name,
      );
    for (const rev of own) await this.reconcileRevision(rev);

    const ready = (revName: string | undefined): boolean =>
      !!revName &&
      (this.revisions.get(`${namespace}/${revName}`)?.status?.conditions ?? []).some(
        (c) => c.type === 'Ready' && c.status === 'True',
      );
    const latestReady = ready(revisionName)
      ? revisionName
      : (service.status?.latestReadyRevisionName as string | undefined);

    // Service → Route (reconciler/service/resources/route.go), traffic resolved as the route does.
    const local = service.metadata.labels?.[LABEL.visibility] === 'cluster-local';
    const host = (prefix: string) =>
      local
        ? `http://${prefix}${name}.${namespace}.svc.cluster.local`
        : `http://${prefix}${name}.${namespace}.example.com`;
    const spec: TrafficTarget[] = service.spec?.traffic ?? [{ latestRevision: true, percent: 100 }];
    const missing = spec.filter(
      (t) =>
        !t.latestRevision &&
        t.revisionName &&
        !this.revisions.get(`${namespace}/${t.revisionName}`),
    );
    const traffic = spec.map((t) => ({
      revisionName: t.latestRevision ? latestReady : t.revisionName,
      ...(t.latestRevision !== undefined ? { latestRevision: t.latestRevision } : {}),
      percent: t.percent ?? 0,
      ...(t.tag ? { tag: t.tag, url: host(`${t.tag}-`) } : {}),
    }));
    await this.apply(`/apis/${SERVING}/namespaces/${namespace}/routes/${name}`, {
      apiVersion: SERVING,
      kind: 'Route',
      metadata: {
        name,
        namespace,
        labels: { ...service.metadata.labels, [LABEL.service]: name },
        ownerReferences: [controllerRef(service, 'Service')],
      },
      spec: {
        traffic: spec.map((t) => (t.latestRevision ? { ...t, configurationName: name } : t)),
      },
    });

    const configurationsReady = ready(revisionName);
    const routesReady = missing.length === 0 && traffic.every((t) => ready(t.revisionName));
    const routeProblem =
      missing.length > 0
        ? {
            reason: 'RevisionMissing',
            message: `Revision "${missing[0]?.revisionName ?? ''}" referenced in traffic not found.`,
          }
        : undefined;
    const status = {
      observedGeneration: generation,
      latestCreatedRevisionName: revisionName,
      ...(latestReady ? { latestReadyRevisionName: latestReady } : {}),
      url: host(''),
      address: { url: `http://${name}.${namespace}.svc.cluster.local` },
      ...(routesReady ? { traffic } : {}),
      conditions: [
        condition('ConfigurationsReady', configurationsReady ? true : undefined),
        condition(
          'Ready',
          routeProblem ? false : configurationsReady && routesReady ? true : undefined,
          routeProblem?.reason,
          routeProblem?.message,
        ),
        condition(
          'RoutesReady',
          routeProblem ? false : routesReady ? true : undefined,
          routeProblem?.reason,
          routeProblem?.message,
        ),
      ],
    };
    await this.writeStatus(
      `/apis/${SERVING}/namespaces/${namespace}/services/${name}`,
      service,
      status,
    );
  }

  /** Revision → Deployment and private Service (reconciler/revision/resources), then its status. */
  private async reconcileRevision(revision: KnativeObject): Promise<void> {
    const meta = revision.metadata ?? {};
    const namespace = meta.namespace ?? 'default';
    const name = meta.name ?? '';
    const uid = meta.uid ?? '';
    const spec = (revision.spec ?? {}) as RevisionTemplate['spec'] & { containers?: Container[] };
    const user = spec?.containers?.[0];
    if (!user) return;
    const port = user.ports?.[0]?.containerPort ?? 8080;
    const annotations = meta.annotations ?? {};
    const scale = (key: string) => Number(annotations[`autoscaling.knative.dev/${key}`] ?? 0);
    const replicas = Math.max(scale('min-scale'), scale('minScale'), scale('initial-scale'), 1);
    const podLabels = {
      ...meta.labels,
      [LABEL.revision]: name,
      [LABEL.revisionUid]: uid,
      app: meta.labels?.app ?? name,
    };
    const container: Container = {
      ...user,
      name: user.name ?? 'user-container',
      ports: [{ name: 'user-port', containerPort: port }],
      env: [
        ...(user.env ?? []),
        { name: 'PORT', value: String(port) },
        { name: 'K_REVISION', value: name },
        { name: 'K_CONFIGURATION', value: meta.labels?.[LABEL.configuration] ?? '' },
        { name: 'K_SERVICE', value: meta.labels?.[LABEL.service] ?? '' },
      ],
      terminationMessagePolicy: user.terminationMessagePolicy ?? 'FallbackToLogsOnError',
      readinessProbe: withPort(user.readinessProbe, port),
      livenessProbe: withPort(user.livenessProbe, port),
    };
    const podSpec = { ...(spec as Record<string, unknown>) };
    delete podSpec.containers;
    delete podSpec.timeoutSeconds;
    delete podSpec.containerConcurrency;
    const deployment: Deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: {
        name: `${name}-deployment`,
        namespace,
        labels: podLabels,
        annotations,
        ownerReferences: [controllerRef(revision, 'Revision')],
      },
      spec: {
        replicas,
        selector: { matchLabels: { [LABEL.revisionUid]: uid } },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0 } },
        template: {
          metadata: { labels: podLabels, annotations },
          spec: {
            ...podSpec,
            containers: [container],
            terminationGracePeriodSeconds: spec?.timeoutSeconds ?? 300,
          },
        },
      },
    };
    await this.apply(
      `/apis/apps/v1/namespaces/${namespace}/deployments/${name}-deployment`,
      deployment,
    );
    const privateService: CoreService = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {
        name: `${name}-private`,
        namespace,
        labels: podLabels,
        ownerReferences: [controllerRef(revision, 'Revision')],
      },
      spec: {
        selector: { [LABEL.revisionUid]: uid },
        ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: port }],
      },
    };
    await this.apply(`/api/v1/namespaces/${namespace}/services/${name}-private`, privateService);

    const current = this.deployments.get(`${namespace}/${name}-deployment`);
    const readyReplicas = current?.status?.readyReplicas ?? 0;
    const ok = readyReplicas >= 1 ? true : undefined;
    await this.writeStatus(`/apis/${SERVING}/namespaces/${namespace}/revisions/${name}`, revision, {
      observedGeneration: meta.generation ?? 1,
      serviceName: name,
      actualReplicas: readyReplicas,
      desiredReplicas: replicas,
      conditions: [
        condition('Active', ok),
        condition('ContainerHealthy', ok),
        condition('Ready', ok),
        condition('ResourcesAvailable', ok),
      ],
    } as { conditions: Condition[] });
  }
}

async function main(): Promise<void> {
  const kubeconfig = process.argv[2];
  if (!kubeconfig) throw new Error('usage: knative-serving KUBECONFIG');
  const api = KubeApi.fromKubeconfig(kubeconfig);
  const standIn = new ServingStandIn(api);
  await standIn.start();
  const stop = (): void => {
    standIn.stop();
    api.close();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err: Error) => {
  log(`failed: ${err.stack ?? err.message}`);
  process.exit(1);
});
