// The Secrets and ConfigMaps a service's functions read (mounted, as environment, in volumes):
// deploy warns before applying when one does not exist, since the pods would not start (or start
// without the value) until it does. `package` cannot know what the cluster holds.
import type { ClusterClient } from '../cluster/types.js';
import type { FunctionModel, ServiceModel } from '../model/types.js';

export interface Reference {
  kind: 'Secret' | 'ConfigMap';
  namespace: string;
  name: string;
  /** Where serverless.yml uses it, e.g. `functions.notify.environment.SLACK_URL`. */
  usedBy: string[];
}

function referencesOf(
  fn: FunctionModel,
): { kind: Reference['kind']; name: string; path: string }[] {
  const path = `functions.${fn.key}`;
  const found: { kind: Reference['kind']; name: string; path: string }[] = [];
  for (const name of fn.secrets) found.push({ kind: 'Secret', name, path: `${path}.secrets` });
  for (const name of fn.configMaps)
    found.push({ kind: 'ConfigMap', name, path: `${path}.configMaps` });
  for (const source of fn.envFrom) {
    if (source.secretRef && !source.secretRef.optional)
      found.push({ kind: 'Secret', name: source.secretRef.name, path: `${path}.envFrom` });
    if (source.configMapRef && !source.configMapRef.optional)
      found.push({ kind: 'ConfigMap', name: source.configMapRef.name, path: `${path}.envFrom` });
  }
  for (const variable of fn.environment) {
    const from = variable.valueFrom as
      | {
          secretKeyRef?: { name?: string; optional?: boolean };
          configMapKeyRef?: { name?: string; optional?: boolean };
        }
      | undefined;
    const envPath = `${path}.environment.${variable.name}`;
    if (from?.secretKeyRef?.name && !from.secretKeyRef.optional)
      found.push({ kind: 'Secret', name: from.secretKeyRef.name, path: envPath });
    if (from?.configMapKeyRef?.name && !from.configMapKeyRef.optional)
      found.push({ kind: 'ConfigMap', name: from.configMapKeyRef.name, path: envPath });
  }
  fn.volumes.forEach((volume, index) => {
    const secret = volume.secret as { secretName?: string; optional?: boolean } | undefined;
    const configMap = volume.configMap as { name?: string; optional?: boolean } | undefined;
    if (secret?.secretName && !secret.optional)
      found.push({ kind: 'Secret', name: secret.secretName, path: `${path}.volumes[${index}]` });
    if (configMap?.name && !configMap.optional)
      found.push({ kind: 'ConfigMap', name: configMap.name, path: `${path}.volumes[${index}]` });
  });
  return found;
}

/** Every distinct Secret and ConfigMap the functions need, with where each is used. */
export function serviceReferences(
  model: ServiceModel,
  functions: FunctionModel[] = model.functions,
): Reference[] {
  const byKey = new Map<string, Reference>();
  for (const fn of functions) {
    for (const { kind, name, path } of referencesOf(fn)) {
      const key = `${kind}/${fn.namespace}/${name}`;
      const reference = byKey.get(key) ?? { kind, namespace: fn.namespace, name, usedBy: [] };
      if (!reference.usedBy.includes(path)) reference.usedBy.push(path);
      byKey.set(key, reference);
    }
  }
  return [...byKey.values()];
}

/** One warning per missing Secret or ConfigMap; those the user may not read are not guessed at. */
export async function missingReferenceWarnings(
  client: ClusterClient,
  references: Reference[],
): Promise<string[]> {
  const results = await Promise.all(
    references.map(async (reference) => {
      try {
        return (await client.get('v1', reference.kind, reference.namespace, reference.name))
          ? undefined
          : reference;
      } catch {
        return undefined; // e.g. no RBAC read on Secrets: the API server reports it at pod start
      }
    }),
  );
  return results
    .filter((reference): reference is Reference => reference !== undefined)
    .map(
      (reference) =>
        `${reference.kind} "${reference.name}" does not exist in namespace "${reference.namespace}" of ${client.clusterName} ` +
        `(used by ${reference.usedBy.join(', ')}): the function's pods will not start until it does. Create it, e.g. kubectl -n ${reference.namespace} create ${reference.kind === 'Secret' ? 'secret generic' : 'configmap'} ${reference.name} --from-literal=…`,
    );
}
