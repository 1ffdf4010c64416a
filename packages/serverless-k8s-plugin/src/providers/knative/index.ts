// The Knative provider: Serving v1 Services (code in a ConfigMap, no registry), traffic splitting,
// and Eventing sources/triggers, behind the same ProviderAdapter the commands use for Kubeless.
import type { ClusterClient } from '../../cluster/types.js';
import type { FunctionModel, ServiceModel } from '../../model/types.js';
import { runtimeBundle } from '../../packaging/runtime-bundle.js';
import { UserError } from '../../util/errors.js';
import type { ProviderAdapter } from '../types.js';
import {
  BROKER,
  CONFIG_MAP,
  DOMAIN_MAPPING,
  KAFKA_SOURCE,
  KSERVICE,
  PING_SOURCE,
  SERVICE_LABEL,
  TRIGGER,
  USER_CONTAINER,
  type KindRef,
} from './api.js';
import { buildDockerImages } from './dockerfile.js';
import { needsRuntimeBundle, renderKnative } from './manifests.js';
import { retainOnPrune } from './prune.js';
import { knativeRules } from './rules.js';
import { describe, proxyTarget, waitReady } from './status.js';
import { checkTrafficRevisions, validateTraffic } from './traffic.js';

/** The Eventing/Serving extras each function needs, with the event that needs it (for the error). */
export function requiredKinds(
  model: ServiceModel,
  functions: FunctionModel[],
): Map<KindRef, string[]> {
  const needs = new Map<KindRef, string[]>();
  const need = (kind: KindRef, why: string): void => {
    needs.set(kind, [...(needs.get(kind) ?? []), why]);
  };
  for (const fn of functions) {
    for (const event of fn.events) {
      const why = `functions.${fn.key} event ${event.name}`;
      if (event.kind === 'http' && event.customDomain)
        need(DOMAIN_MAPPING, `${why} (customDomain)`);
      if (event.kind === 'schedule') need(PING_SOURCE, `${why} (schedule)`);
      if (event.kind === 'kafkaSource') need(KAFKA_SOURCE, `${why} (kafka)`);
      if (event.kind === 'cloudEvent') {
        need(TRIGGER, `${why} (cloudEvent)`);
        if (model.createBroker) need(BROKER, `${why} (createBroker)`);
      }
    }
  }
  return needs;
}

async function preflight(
  client: ClusterClient,
  model: ServiceModel,
  only?: FunctionModel[],
): Promise<void> {
  const functions = only ?? model.functions;
  for (const fn of functions) validateTraffic(fn);
  if (!(await client.hasKind(KSERVICE.apiVersion, KSERVICE.kind))) {
    throw new UserError(
      `Knative Serving is not installed on ${client.clusterName}: the API server does not serve ` +
        `${KSERVICE.crd} (${KSERVICE.apiVersion}). Install Knative Serving (https://knative.dev/docs/install/) ` +
        'or use `provider: name: kubeless`.',
    );
  }
  const missing: string[] = [];
  for (const [kind, uses] of requiredKinds(model, functions)) {
    if (await client.hasKind(kind.apiVersion, kind.kind)) continue;
    missing.push(`${kind.crd} (${kind.apiVersion} ${kind.kind}), needed by ${uses.join(', ')}`);
  }
  if (missing.length > 0) {
    const eventing = missing.some((m) => !m.startsWith(DOMAIN_MAPPING.crd));
    throw new UserError(
      `${client.clusterName} lacks ${missing.length === 1 ? 'a CRD' : 'CRDs'} this service uses:\n  ${missing.join('\n  ')}\n` +
        (eventing
          ? 'Install Knative Eventing (and eventing-kafka for KafkaSource): https://knative.dev/docs/install/, or remove those events.'
          : 'Install a Knative Serving release that serves DomainMapping, or remove `customDomain`.'),
    );
  }
  for (const fn of functions) await checkTrafficRevisions(client, fn);
}

export const knativeProvider: ProviderAdapter = {
  name: 'knative',
  rules: knativeRules,
  render(model, artifacts, only) {
    const functions = only ?? model.functions;
    const runtime = functions.some(needsRuntimeBundle) ? runtimeBundle() : undefined;
    return renderKnative(model, artifacts, runtime, only);
  },
  preflight,
  waitReady,
  describe,
  proxyTarget: (client, fn) => proxyTarget(client, fn),
  podSelector: (fn) => `${SERVICE_LABEL}=${fn.name}`,
  containerName: () => USER_CONTAINER,
  ownedKinds: () =>
    [CONFIG_MAP, KSERVICE, DOMAIN_MAPPING, PING_SOURCE, KAFKA_SOURCE, TRIGGER, BROKER].map(
      ({ apiVersion, kind }) => ({
        apiVersion,
        kind,
      }),
    ),
  prepare(model, artifacts, options, only) {
    return buildDockerImages(model, only ?? model.functions, artifacts, runtimeBundle, options);
  },
  retainOnPrune,
  // Eventing's webhooks refuse these changes ("Immutable fields changed"): Trigger spec.broker
  // (knative/eventing pkg/apis/eventing/v1/trigger_validation.go:42-44,182-199) and KafkaSource
  // spec.consumerGroup (eventing-kafka-broker control-plane/pkg/apis/sources/v1beta1/kafka_validation.go).
  immutableFields: (object) =>
    object.kind === TRIGGER.kind
      ? ['spec.broker']
      : object.kind === KAFKA_SOURCE.kind
        ? ['spec.consumerGroup']
        : [],
};
