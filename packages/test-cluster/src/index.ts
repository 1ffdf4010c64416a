// What the test harness uses of the test cluster: its Kubernetes client and informer.
export {
  ApiError,
  KubeApi,
  type ApiResponse,
  type KubeObjectJson,
  type RequestOptions,
  type WatchEvent,
} from './kube-api.js';
export { Informer, objectKey } from './informer.js';
export type { ClusterInfo } from './cluster/layout.js';
