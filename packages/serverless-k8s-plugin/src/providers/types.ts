// The seam between the platform-neutral core and a platform. Each provider (kubeless, knative)
// implements this; commands only talk to this interface and to the cluster client.
import type { ApplyResult, ClusterClient, KubeObject } from '../cluster/types.js';
import type { FunctionArtifact } from '../packaging/types.js';
import type { FunctionModel, ServiceModel } from '../model/types.js';

export interface ProgressSink {
  update(message: string): void;
}

export interface FunctionStatus {
  name: string;
  namespace: string;
  ready: boolean;
  readyReplicas: number;
  desiredReplicas: number;
  /** Why it is not ready, in words a user can act on (reason, message, last log lines). */
  problem?: string;
}

/** What preflight found that does not stop a deploy. */
export interface PreflightNotes {
  warnings: string[];
}

export interface TriggerInfo {
  kind: string;
  name: string;
  /** URL, schedule or topic. */
  detail: string;
}

export interface FunctionInfo extends FunctionStatus {
  runtime: string;
  handler: string;
  triggers: TriggerInfo[];
  url?: string;
  /** Knative only. */
  latestCreatedRevision?: string;
  latestReadyRevision?: string;
  traffic?: { revision: string; percent: number; tag?: string; url?: string; latest?: boolean }[];
}

/** Where to send an invoke through the API server's service proxy. */
export interface ProxyTarget {
  namespace: string;
  service: string;
  port: number | string;
  /** The function's own route (Knative), tried before the proxy when reachable from here. */
  routeUrl?: string;
}

export interface ProviderAdapter {
  readonly name: 'kubeless' | 'knative';
  /** Pure: the objects to apply for these functions (all, or one for `deploy function`). */
  render(
    model: ServiceModel,
    artifacts: Map<string, FunctionArtifact>,
    only?: FunctionModel[],
  ): KubeObject[];
  /**
   * Checks the cluster can take the model (runtime known, CRDs present); throws a UserError.
   * May return warnings worth showing that do not stop a deploy (e.g. runtimes not checkable).
   */
  preflight(
    client: ClusterClient,
    model: ServiceModel,
    only?: FunctionModel[],
  ): Promise<PreflightNotes | void>;
  /**
   * Optional: what the cluster held just before apply that readiness must be judged against
   * (Kubeless: the Functions and their Deployments, so an update is not reported ready while the
   * old Deployment still is). Deploy passes it to waitReady as `baseline`.
   */
  readBaseline?(client: ClusterClient, functions: FunctionModel[]): Promise<KubeObject[]>;
  /** Waits until each function is ready or fails; never throws for a failed function. */
  waitReady(
    client: ClusterClient,
    model: ServiceModel,
    functions: FunctionModel[],
    options: {
      timeoutMs: number;
      progress: ProgressSink;
      /** readBaseline's objects, read before `applied`. */
      baseline?: KubeObject[];
      /** What this deploy's apply did. */
      applied?: ApplyResult[];
    },
  ): Promise<FunctionStatus[]>;
  describe(client: ClusterClient, model: ServiceModel, fn: FunctionModel): Promise<FunctionInfo>;
  proxyTarget(client: ClusterClient, fn: FunctionModel): Promise<ProxyTarget>;
  /** Label selector of the function's pods (for logs and metrics). */
  podSelector(fn: FunctionModel): string;
  /** Name of the container running the function in those pods. */
  containerName(fn: FunctionModel): string | undefined;
  /** The kinds (apiVersion + kind) this provider may own, for pruning and remove. */
  ownedKinds(model: ServiceModel): { apiVersion: string; kind: string }[];
  /**
   * Optional step between packaging and render/apply (Knative `build: docker`): writes build
   * contexts under outputDir and, with `push` (deploy), builds and pushes images. Throws a UserError.
   */
  prepare?(
    model: ServiceModel,
    artifacts: Map<string, FunctionArtifact>,
    options: { outputDir: string; progress: ProgressSink; push: boolean },
    only?: FunctionModel[],
  ): Promise<void>;
  /**
   * Optional: of the owned objects prune is about to delete, those that must stay (Knative: code
   * ConfigMaps still mounted by a Revision that traffic routes to). Called after apply.
   */
  retainOnPrune?(
    client: ClusterClient,
    model: ServiceModel,
    candidates: KubeObject[],
  ): Promise<KubeObject[]>;
}
