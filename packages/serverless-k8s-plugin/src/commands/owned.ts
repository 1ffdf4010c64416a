// What this service/stage owns in the cluster: found by its labels, over the provider's kinds,
// in the namespaces serverless.yml uses (namespaced listing keeps a least-privilege Role enough).
import { applyRank } from '../cluster/client.js';
import type { ClusterClient, KubeObject } from '../cluster/types.js';
import { LABELS, MANAGER, type ServiceModel } from '../model/types.js';
import type { ProviderAdapter } from '../providers/types.js';

/** `app.kubernetes.io/managed-by=serverless-k8s,serverless-k8s.io/service=S,serverless-k8s.io/stage=T`. */
export function ownershipSelector(model: ServiceModel): string {
  const labels = model.commonLabels;
  return [
    `${LABELS.managedBy}=${labels[LABELS.managedBy] ?? MANAGER}`,
    `${LABELS.service}=${labels[LABELS.service] ?? model.service}`,
    `${LABELS.stage}=${labels[LABELS.stage] ?? model.stage}`,
  ].join(',');
}

/** The service's default namespace first, then every other namespace a function names. */
export function modelNamespaces(model: ServiceModel): string[] {
  return [...new Set([model.namespace, ...model.functions.map((fn) => fn.namespace)])];
}

export function objectKey(object: KubeObject): string {
  return `${object.apiVersion}/${object.kind}/${object.metadata.namespace ?? ''}/${object.metadata.name}`;
}

/** Every object of the provider's kinds labelled as this service/stage's. Kinds not served are skipped. */
export async function listOwned(
  client: ClusterClient,
  model: ServiceModel,
  provider: ProviderAdapter,
): Promise<KubeObject[]> {
  const selector = ownershipSelector(model);
  const owned: KubeObject[] = [];
  for (const { apiVersion, kind } of provider.ownedKinds(model)) {
    // An uninstalled optional CRD (e.g. Kafka triggers) cannot hold anything of ours.
    if (!(await client.hasKind(apiVersion, kind))) continue;
    for (const namespace of modelNamespaces(model)) {
      const objects = await client.list(apiVersion, kind, namespace, selector);
      owned.push(...objects.map((object) => ({ ...object, apiVersion, kind })));
    }
  }
  return owned;
}

/**
 * Deletes `objects` one by one (prune in `deploy`, everything in `remove`), in the reverse of
 * the apply order: triggers and sources before the functions they point at, so an interruption
 * never leaves a trigger without its function.
 */
export async function deleteObjects(client: ClusterClient, objects: KubeObject[]): Promise<void> {
  const ordered = [...objects].sort((a, b) => applyRank(b) - applyRank(a));
  for (const object of ordered) {
    await client.delete(
      object.apiVersion,
      object.kind,
      object.metadata.namespace,
      object.metadata.name,
    );
  }
}

/** Owned objects that the rendered set no longer contains, i.e. what `deploy` prunes. */
export function staleObjects(owned: KubeObject[], rendered: KubeObject[]): KubeObject[] {
  const keep = new Set(rendered.map(objectKey));
  return owned.filter((object) => !keep.has(objectKey(object)));
}
