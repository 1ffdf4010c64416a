// The Node object and its heartbeat, as the kubelet keeps them: registration with capacity and the
// kubelet endpoint, then every 10 s a renewed Lease in kube-node-lease and a Ready condition with a
// fresh heartbeat time. Without them the node controller marks the node unreachable after 40 s
// and taints it, and the scheduler stops placing pods.
import { hostname } from 'node:os';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type { Node, NodeCondition } from 'kubernetes-types/core/v1.js';
import type { KubeApi } from '../kube-api.js';

const HEARTBEAT_MS = 10_000;

function conditions(now: string, since: string): NodeCondition[] {
  const condition = (
    type: string,
    status: string,
    reason: string,
    message: string,
  ): NodeCondition => ({
    type,
    status,
    reason,
    message,
    lastHeartbeatTime: now,
    lastTransitionTime: since,
  });
  return [
    condition(
      'MemoryPressure',
      'False',
      'KubeletHasSufficientMemory',
      'kubelet has sufficient memory available',
    ),
    condition('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
    condition(
      'PIDPressure',
      'False',
      'KubeletHasSufficientPID',
      'kubelet has sufficient PID available',
    ),
    condition('Ready', 'True', 'KubeletReady', 'sk8s node agent is posting ready status'),
  ];
}

export class NodeHeartbeat {
  private timer: NodeJS.Timeout | undefined;
  private readonly since = new Date().toISOString();

  constructor(
    private readonly api: KubeApi,
    private readonly name: string,
    private readonly address: string,
    private readonly kubeletPort: number,
    private readonly log: (message: string) => void,
  ) {}

  async register(): Promise<void> {
    const node: Node = {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name: this.name,
        labels: {
          'kubernetes.io/hostname': this.name,
          'kubernetes.io/os': 'linux',
          'kubernetes.io/arch': 'amd64',
          'beta.kubernetes.io/os': 'linux',
          'beta.kubernetes.io/arch': 'amd64',
        },
      },
      spec: {},
    };
    const created = await this.api.request('POST', '/api/v1/nodes', { body: node });
    if (created.status !== 201 && created.status !== 409) {
      throw new Error(
        `registering node ${this.name}: HTTP ${created.status} ${created.text.slice(0, 300)}`,
      );
    }
    await this.writeStatus();
    await this.renewLease();
    this.timer = setInterval(() => void this.beat(), HEARTBEAT_MS);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  private async beat(): Promise<void> {
    await Promise.all([this.writeStatus(), this.renewLease()]).catch((err: Error) =>
      this.log(`node heartbeat: ${err.message}`),
    );
  }

  private async writeStatus(): Promise<void> {
    const now = new Date().toISOString();
    const resources = { cpu: '2', memory: '24Gi', pods: '110', 'ephemeral-storage': '100Gi' };
    await this.api.expect('PATCH', `/api/v1/nodes/${this.name}/status`, {
      contentType: 'application/merge-patch+json',
      body: {
        status: {
          capacity: resources,
          allocatable: resources,
          conditions: conditions(now, this.since),
          addresses: [{ type: 'InternalIP', address: this.address }],
          daemonEndpoints: { kubeletEndpoint: { Port: this.kubeletPort } },
          nodeInfo: {
            machineID: '',
            systemUUID: '',
            bootID: '',
            kernelVersion: '',
            osImage: `sk8s node agent on ${hostname()}`,
            containerRuntimeVersion: 'sk8s-node-agent://0.1.0',
            kubeletVersion: 'v1.20.2',
            kubeProxyVersion: 'v1.20.2',
            operatingSystem: 'linux',
            architecture: 'amd64',
          },
        },
      },
    });
  }

  private async renewLease(): Promise<void> {
    const path = `/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${this.name}`;
    const lease: Lease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: this.name, namespace: 'kube-node-lease' },
      spec: {
        holderIdentity: this.name,
        leaseDurationSeconds: 40,
        renewTime: new Date().toISOString().replace('Z', '000Z'),
      },
    };
    await this.api.expect('PATCH', `${path}?fieldManager=sk8s-node-agent&force=true`, {
      body: lease,
      contentType: 'application/apply-patch+yaml',
    });
  }
}
