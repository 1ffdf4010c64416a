// The seam between the platform-neutral core and a platform. Each provider (kubeless, knative)
// implements this; commands only talk to this interface and to the cluster client.
import type { ApplyResult, ClusterClient, KubeObject } from '../cluster/types.js';
import type { FunctionArtifact } from '../packaging/types.js';
import type { FunctionModel, ServiceModel } from '../model/types.js';
import type { PlatformRules } from '../model/normalize.js';

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
  /** What is wrong beside it that does not make it unready (e.g. a custom domain not served). */
  warnings?: string[];
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

export interface ObjectRef {
  apiVersion: string;
  kind: string;
  namespace: string;
  name: string;
  /** Who makes it, for the message when it never appears (e.g. "the Kubeless function controller"). */
  madeBy: string;
}

/** What rendering may depend on besides the model: facts about the target cluster. */
export interface RenderTarget {
  /** Host of the API server the kubeconfig points at (Kubeless's default ingress hosts use it). */
  apiServerHost?: string;
  /** Hears what rendering had to decide without the facts it wanted. */
  warn?: (message: string) => void;
}

export interface ProviderAdapter {
  readonly name: 'kubeless' | 'knative';
  /** Pure: the objects to apply for these functions (all, or one for `deploy function`). */
  render(
    model: ServiceModel,
    artifacts: Map<string, FunctionArtifact>,
    only?: FunctionModel[],
    target?: RenderTarget,
  ): KubeObject[];
  /** The platform's rules on the model (what its controllers reject or mishandle). */
  readonly rules?: PlatformRules;
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
   * Optional: runs once `remove`'s objects are gone; cleans up what the platform leaves behind
   * and returns what remains to wait for (Kubeless: the Functions' Deployments, which only the
   * garbage collector deletes), with what removes it, for the message when it stays.
   */
  afterRemove?(
    client: ClusterClient,
    removed: KubeObject[],
  ): Promise<{ waitFor: KubeObject[]; removedBy: string }>;
  /**
   * Optional: an object that must exist in the cluster before `object` is applied, because the
   * platform's controller reads it once and never retries (Kubeless's http-trigger controller and
   * the function's Service). Deploy applies such objects after the others, once it exists.
   */
  prerequisite?(object: KubeObject): ObjectRef | undefined;
  /**
   * Optional: fields of `object` its API refuses to change once created (dotted paths, e.g.
   * `spec.broker`); deploy replaces an object whose live value differs (delete, then create).
   */
  immutableFields?(object: KubeObject): string[];
  /**
   * Optional: whether an apply conflict on `live` with these field managers is the platform's own
   * controller having written the object back, whose fields the deploy may take over.
   */
  takesOverFrom?(live: KubeObject, managers: string[]): boolean;
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
