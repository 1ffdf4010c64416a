// Pruning must not delete code a routed Revision still mounts: each code ConfigMap is named by
// content hash, so after a code change the old one is no longer rendered, yet a Revision that
// traffic still sends requests to (a canary's old side, or the last ready revision while the new
// one starts) reads its code from it.
import type { ClusterClient, KubeObject } from '../../cluster/types.js';
import { LABELS, type ServiceModel } from '../../model/types.js';
import { CONFIG_MAP, KSERVICE, REVISION } from './api.js';
import { codeConfigMapNames } from './delivery.js';
import { referencedRevisions } from './traffic.js';

/**
 * Of the objects prune would delete, the code ConfigMaps to keep: those mounted by a Revision that a
 * surviving Knative Service of this service/stage routes to (spec/status traffic, latest created
 * and latest ready revision). A Service being pruned in the same pass protects nothing.
 */
export async function retainOnPrune(
  client: ClusterClient,
  model: ServiceModel,
  candidates: KubeObject[],
): Promise<KubeObject[]> {
  const configMaps = candidates.filter(
    (o) => o.apiVersion === CONFIG_MAP.apiVersion && o.kind === CONFIG_MAP.kind,
  );
  if (configMaps.length === 0) return [];
  const doomedServices = new Set(
    candidates
      .filter((o) => o.apiVersion === KSERVICE.apiVersion && o.kind === KSERVICE.kind)
      .map((o) => `${o.metadata.namespace ?? model.namespace}/${o.metadata.name}`),
  );
  const selector = [LABELS.service, LABELS.stage]
    .filter((label) => model.commonLabels[label] !== undefined)
    .map((label) => `${label}=${model.commonLabels[label]}`)
    .join(',');
  const keep = new Set<string>();
  for (const namespace of new Set(configMaps.map((c) => c.metadata.namespace ?? model.namespace))) {
    const services = await client.list(
      KSERVICE.apiVersion,
      KSERVICE.kind,
      namespace,
      selector || undefined,
    );
    for (const service of services.filter(
      (s) => !doomedServices.has(`${namespace}/${s.metadata.name}`),
    )) {
      for (const revisionName of referencedRevisions(service)) {
        const revision = await client.get(
          REVISION.apiVersion,
          REVISION.kind,
          namespace,
          revisionName,
        );
        for (const name of codeConfigMapNames(
          revision?.spec as Record<string, unknown> | undefined,
        )) {
          keep.add(`${namespace}/${name}`);
        }
      }
    }
  }
  return configMaps.filter((c) =>
    keep.has(`${c.metadata.namespace ?? model.namespace}/${c.metadata.name}`),
  );
}
