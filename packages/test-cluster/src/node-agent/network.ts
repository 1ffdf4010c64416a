// Pod networking, as a CNI bridge plugin would do it: one Linux bridge for the node, one network
// namespace per pod joined to it by a veth pair, an address from the node's /24 and a default
// route through the node. The API server (on the host) reaches pods directly on the bridge.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export const ip = async (...args: string[]): Promise<string> =>
  (await execFileAsync('/usr/sbin/ip', args)).stdout;

export interface PodSandbox {
  /** `ip netns` name. */
  netns: string;
  podIp: string;
  destroy(): Promise<void>;
}

export class NodeNetwork {
  private readonly free: string[];
  readonly nodeIp: string;
  private readonly prefix: string;

  constructor(
    private readonly clusterId: string,
    private readonly bridge: string,
    podSubnet: string,
  ) {
    const base = podSubnet.replace(/\.0\/24$/, '');
    this.prefix = base;
    this.nodeIp = `${base}.1`;
    this.free = Array.from({ length: 253 }, (_, i) => `${base}.${i + 2}`);
  }

  async setUp(): Promise<void> {
    await ip('link', 'add', this.bridge, 'type', 'bridge');
    await ip('addr', 'add', `${this.nodeIp}/24`, 'dev', this.bridge);
    await ip('link', 'set', this.bridge, 'up');
  }

  /** Deletes the bridge (and with it the ClusterIP addresses on it). */
  async tearDown(): Promise<void> {
    await ip('link', 'delete', this.bridge).catch(() => undefined);
  }

  /** Serves a Service's ClusterIP on the node, so pods route to it through the bridge. */
  async addClusterIp(address: string): Promise<void> {
    await ip('addr', 'add', `${address}/32`, 'dev', this.bridge).catch((err: Error) => {
      if (!/File exists/.test(err.message)) throw err;
    });
  }

  async removeClusterIp(address: string): Promise<void> {
    await ip('addr', 'delete', `${address}/32`, 'dev', this.bridge).catch(() => undefined);
  }

  async createSandbox(): Promise<PodSandbox> {
    const podIp = this.free.shift();
    if (!podIp) throw new Error(`no free pod address in ${this.prefix}.0/24`);
    const suffix = randomBytes(3).toString('hex');
    const netns = `sk8s-${this.clusterId}-${suffix}`;
    // Interface names are limited to 15 characters.
    const hostIf = `sk8v${suffix}`;
    let destroyed = false;
    const destroy = async (): Promise<void> => {
      if (destroyed) return;
      destroyed = true;
      const pids = await ip('netns', 'pids', netns).catch(() => '');
      for (const pid of pids.split('\n').filter(Boolean)) {
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {
          // already gone
        }
      }
      await ip('netns', 'delete', netns).catch(() => undefined);
      await ip('link', 'delete', hostIf).catch(() => undefined);
      this.free.push(podIp);
    };
    try {
      await ip('netns', 'add', netns);
      await ip('link', 'add', hostIf, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', netns);
      await ip('link', 'set', hostIf, 'master', this.bridge, 'up');
      await ip('-n', netns, 'addr', 'add', `${podIp}/24`, 'dev', 'eth0');
      await ip('-n', netns, 'link', 'set', 'eth0', 'up');
      await ip('-n', netns, 'link', 'set', 'lo', 'up');
      await ip('-n', netns, 'route', 'add', 'default', 'via', this.nodeIp);
    } catch (err) {
      await destroy();
      throw err;
    }
    return { netns, podIp, destroy };
  }
}
