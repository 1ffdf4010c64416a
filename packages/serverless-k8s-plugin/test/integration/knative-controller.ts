// The test plays the Knative controller against the real API server: it writes the Revisions a
// Service's template would produce and the Service's status, through the status subresource as
// the controller does. Nothing here fakes an API response.
import type { ClusterClient, KubeObject } from '../../src/cluster/types.js';
import { adminApi } from '../../../../test/harness/cluster.js';

/** JSON merge patch of `status` through the status subresource of the object at `apiPath`. */
export async function patchStatus(
  apiPath: string,
  status: Record<string, unknown>,
): Promise<KubeObject> {
  return adminApi().expect<KubeObject>('PATCH', `${apiPath}/status`, {
    body: { status },
    contentType: 'application/merge-patch+json',
  });
}

export function servicePath(namespace: string, name: string): string {
  return `/apis/serving.knative.dev/v1/namespaces/${namespace}/services/${name}`;
}

type Template = {
  metadata: { name: string; labels?: Record<string, string> };
  spec: Record<string, unknown>;
};

/** What the Knative controller does for a new template: a Revision named like it, labelled with the service. */
export async function createRevision(client: ClusterClient, service: KubeObject): Promise<string> {
  const template = (service.spec as { template: Template }).template;
  const name = template.metadata.name;
  await client.apply([
    {
      apiVersion: 'serving.knative.dev/v1',
      kind: 'Revision',
      metadata: {
        name,
        namespace: service.metadata.namespace,
        labels: {
          ...template.metadata.labels,
          'serving.knative.dev/service': service.metadata.name,
          'serving.knative.dev/configuration': service.metadata.name,
        },
      },
      spec: template.spec,
    },
  ]);
  return name;
}

export interface TrafficStatus {
  revisionName: string;
  percent: number;
  tag?: string;
  latestRevision?: boolean;
}

/** Marks the Service Ready on `latestReady` with the given traffic (tag URLs as Knative forms them). */
export async function markReady(
  client: ClusterClient,
  service: KubeObject,
  latestReady: string,
  traffic: TrafficStatus[],
): Promise<KubeObject> {
  const { name, namespace } = service.metadata;
  const current = await client.get('serving.knative.dev/v1', 'Service', namespace, name);
  const host = (prefix: string) => `http://${prefix}${name}.${namespace}.example.com`;
  return patchStatus(servicePath(namespace ?? 'default', name), {
    observedGeneration: current?.metadata.generation,
    url: host(''),
    latestCreatedRevisionName: latestReady,
    latestReadyRevisionName: latestReady,
    conditions: ['ConfigurationsReady', 'Ready', 'RoutesReady'].map((type) => ({
      type,
      status: 'True',
    })),
    traffic: traffic.map((t) => ({ ...t, ...(t.tag ? { url: host(`${t.tag}-`) } : {}) })),
  });
}
