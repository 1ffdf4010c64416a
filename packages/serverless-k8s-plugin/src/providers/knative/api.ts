// The Knative (and core) kinds this provider writes or reads, with the CRD that serves each one,
// so preflight errors can name exactly what to install.
import { createHash } from 'node:crypto';
import { LABELS, type FunctionModel, type ServiceModel } from '../../model/types.js';

export interface KindRef {
  apiVersion: string;
  kind: string;
  /** `<plural>.<group>`, as `kubectl get crd` lists it; empty for core kinds. */
  crd: string;
}

export const CONFIG_MAP: KindRef = { apiVersion: 'v1', kind: 'ConfigMap', crd: '' };
export const KSERVICE: KindRef = {
  apiVersion: 'serving.knative.dev/v1',
  kind: 'Service',
  crd: 'services.serving.knative.dev',
};
export const REVISION: KindRef = {
  apiVersion: 'serving.knative.dev/v1',
  kind: 'Revision',
  crd: 'revisions.serving.knative.dev',
};
export const DOMAIN_MAPPING: KindRef = {
  apiVersion: 'serving.knative.dev/v1beta1',
  kind: 'DomainMapping',
  crd: 'domainmappings.serving.knative.dev',
};
export const PING_SOURCE: KindRef = {
  apiVersion: 'sources.knative.dev/v1',
  kind: 'PingSource',
  crd: 'pingsources.sources.knative.dev',
};
export const KAFKA_SOURCE: KindRef = {
  apiVersion: 'sources.knative.dev/v1beta1',
  kind: 'KafkaSource',
  crd: 'kafkasources.sources.knative.dev',
};
export const TRIGGER: KindRef = {
  apiVersion: 'eventing.knative.dev/v1',
  kind: 'Trigger',
  crd: 'triggers.eventing.knative.dev',
};
export const BROKER: KindRef = {
  apiVersion: 'eventing.knative.dev/v1',
  kind: 'Broker',
  crd: 'brokers.eventing.knative.dev',
};

/** Label Knative puts on a Service's Revisions and their pods. */
export const SERVICE_LABEL = 'serving.knative.dev/service';
/** Name Knative gives the (single) user container when the template leaves it unnamed. */
export const USER_CONTAINER = 'user-container';

/** Labels every object of this function carries: ownership (prune, remove) plus the user's own. */
export function functionLabels(model: ServiceModel, fn: FunctionModel): Record<string, string> {
  return { ...fn.labels, ...model.commonLabels, [LABELS.function]: fn.key };
}

/** A sink/subscriber reference to the function's Knative Service. */
export function serviceRef(fn: FunctionModel): {
  ref: { apiVersion: string; kind: string; name: string };
} {
  return { ref: { apiVersion: KSERVICE.apiVersion, kind: KSERVICE.kind, name: fn.name } };
}

export function sha256Hex(...parts: (string | Buffer)[]): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest('hex');
}
