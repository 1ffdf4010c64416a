// Stands in for kube-proxy and cluster DNS on the one node: every Service's ClusterIP is an address
// on the node's bridge with a TCP listener per port that forwards each connection to one of the
// Service's ready endpoints (kube-proxy's old userspace mode), and the pods' /etc/hosts names
// each Service `<name>.<namespace>.svc.cluster.local`. TCP only.
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { Endpoints, Service, ServicePort } from 'kubernetes-types/core/v1.js';
import { Informer, objectKey } from '../informer.js';
import type { KubeApi } from '../kube-api.js';
import type { NodeNetwork } from './network.js';

const CLUSTER_DOMAIN = 'cluster.local';

export class ServiceProxy {
  private readonly listeners = new Map<string, Server>();
  private readonly services: Informer<Service>;
  private readonly endpoints: Informer<Endpoints>;
  private serial: Promise<void> = Promise.resolve();

  constructor(
    api: KubeApi,
    private readonly network: NodeNetwork,
    private readonly log: (message: string) => void,
    /** Called when the set of Services changed (the pods' hosts files name them). */
    private readonly onServicesChanged: () => void,
  ) {
    this.services = new Informer<Service>({
      api,
      path: '/api/v1/services',
      log,
      onChange: () => this.reconcile(),
    });
    this.endpoints = new Informer<Endpoints>({
      api,
      path: '/api/v1/endpoints',
      log,
      onChange: () => undefined,
    });
  }

  async start(): Promise<void> {
    await Promise.all([this.services.start(), this.endpoints.start()]);
  }

  stop(): void {
    this.services.stop();
    this.endpoints.stop();
    for (const server of this.listeners.values()) server.close();
    this.listeners.clear();
  }

  servicesIn(namespace: string): Service[] {
    return this.services.list().filter((s) => s.metadata?.namespace === namespace);
  }

  /** /etc/hosts lines for the Services, short names for those in the pod's own namespace. */
  hostsEntries(podNamespace: string): string[] {
    return this.services.list().flatMap((service) => {
      const ip = service.spec?.clusterIP;
      const name = service.metadata?.name ?? '';
      const namespace = service.metadata?.namespace ?? '';
      if (!ip || ip === 'None') return [];
      const names = [
        `${name}.${namespace}.svc.${CLUSTER_DOMAIN}`,
        `${name}.${namespace}.svc`,
        `${name}.${namespace}`,
      ];
      if (namespace === podNamespace) names.push(name);
      return [`${ip}\t${names.join(' ')}`];
    });
  }

  /** Listeners follow the Services; changes are applied one at a time, in order. */
  private reconcile(): void {
    this.serial = this.serial
      .then(() => this.sync())
      .catch((err: Error) => this.log(`service proxy: ${err.message}`));
    this.onServicesChanged();
  }

  private async sync(): Promise<void> {
    const wanted = new Map<string, { service: Service; port: ServicePort; ip: string }>();
    for (const service of this.services.list()) {
      const ip = service.spec?.clusterIP;
      if (!ip || ip === 'None') continue;
      for (const port of service.spec?.ports ?? []) {
        if ((port.protocol ?? 'TCP') === 'TCP')
          wanted.set(`${ip}:${port.port}`, { service, port, ip });
      }
    }
    for (const [key, server] of this.listeners) {
      if (wanted.has(key)) continue;
      server.close();
      this.listeners.delete(key);
      const ip = key.slice(0, key.lastIndexOf(':'));
      if (![...wanted.values()].some((w) => w.ip === ip)) await this.network.removeClusterIp(ip);
    }
    for (const [key, { service, port, ip }] of wanted) {
      if (this.listeners.has(key)) continue;
      await this.network.addClusterIp(ip);
      const serviceKey = objectKey(service);
      const server = createServer((socket) => this.forward(socket, serviceKey, port));
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port.port, ip, () => resolve());
      });
      server.on('error', (err) => this.log(`service proxy ${key}: ${err.message}`));
      this.listeners.set(key, server);
    }
  }

  private forward(client: Socket, serviceKey: string, servicePort: ServicePort): void {
    const endpoints = this.endpoints.get(serviceKey);
    const targets = (endpoints?.subsets ?? []).flatMap((subset) => {
      const port = (subset.ports ?? []).find((p) =>
        servicePort.name ? p.name === servicePort.name : (subset.ports ?? []).length === 1,
      );
      return port
        ? (subset.addresses ?? []).map((address) => ({ host: address.ip, port: port.port }))
        : [];
    });
    const target = targets[Math.floor(Math.random() * targets.length)];
    if (!target) {
      // kube-proxy rejects connections to a Service without ready endpoints.
      client.destroy();
      return;
    }
    const upstream = connect(target);
    // Each side's end is passed on by pipe (half-close included); an error cuts both.
    client.pipe(upstream).pipe(client);
    const cut = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', cut);
    upstream.on('error', cut);
  }
}
