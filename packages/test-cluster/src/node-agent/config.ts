// What `test-cluster up --controllers` tells the node agent (a JSON file; argv[2] is its path).
export interface NodeAgentConfig {
  /** Short id of the cluster; network namespaces are named sk8s-<clusterId>-<suffix>. */
  clusterId: string;
  nodeName: string;
  /** Admin kubeconfig of the test cluster (bearer token). */
  kubeconfig: string;
  /** Where pods' volumes, logs and root file systems live; removed by `down`. */
  stateDir: string;
  /** Linux bridge that joins the pods' network namespaces; the node's address is on it. */
  bridge: string;
  /** The pods' /24, e.g. 10.204.17.0/24: .1 is the node, pods get .2-.254. */
  podSubnet: string;
  /** The API server's --service-cluster-ip-range (a /16): ClusterIPs are served on the bridge. */
  serviceSubnet: string;
  /** Port of the kubelet API (pod logs) on the node's address. */
  kubeletPort: number;
  tlsCertFile: string;
  tlsKeyFile: string;
  /** Kubeless's Node.js runtime (kubeless.js with node_modules), for kubeless/nodejs images. */
  kubelessRuntimeDir: string;
}
