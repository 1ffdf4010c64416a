// Hand-built Kubeless models for tests of the provider's cluster side (no serverless.yml needed).
import type { FunctionModel, ServiceModel } from '../../src/model/types.js';

export function kubelessFunction(
  name: string,
  overrides: Partial<FunctionModel> = {},
): FunctionModel {
  return {
    key: name,
    name,
    namespace: 'fn',
    handler: { raw: 'handler.hello', file: 'handler.ts', exportName: 'hello' },
    runtime: 'nodejs14',
    labels: {},
    annotations: {},
    environment: [],
    envFrom: [],
    timeout: 30,
    port: 8080,
    secrets: [],
    configMaps: [],
    volumes: [],
    volumeMounts: [],
    tolerations: [],
    nodeSelector: {},
    imagePullSecrets: [],
    externalDependencies: false,
    events: [],
    ...overrides,
  };
}

export function kubelessService(
  functions: FunctionModel[],
  overrides: Partial<ServiceModel> = {},
): ServiceModel {
  return {
    provider: 'kubeless',
    service: 'cluster-test',
    stage: 'dev',
    servicePath: '/nonexistent',
    namespace: functions[0]?.namespace ?? 'default',
    ingress: { additionalAnnotations: {} },
    nodeImage: 'node:20-slim',
    createBroker: false,
    individually: false,
    commonLabels: {
      'app.kubernetes.io/managed-by': 'serverless-k8s',
      'serverless-k8s.io/service': 'cluster-test',
      'serverless-k8s.io/stage': 'dev',
    },
    functions,
    warnings: [],
    ...overrides,
  };
}
