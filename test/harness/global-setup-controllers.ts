// Vitest global setup of the `e2e` project: the test cluster with its controllers
// (`test-cluster up --controllers`): kube-controller-manager, kube-scheduler, Kubeless's own
// controllers, the node agent and the Knative Serving stand-in.
import type { TestProject } from 'vitest/node';
import { setUpCluster } from './global-setup.js';

export default function setup(project: TestProject): Promise<(() => void) | undefined> {
  return setUpCluster(project, true);
}
