// Network namespaces that stand in for pod networks. The apiserver's service proxy refuses loopback
// endpoints, so a function process runs in its own namespace, joined to the host by a veth pair with a
// /30 from 10.203.0.0/16: the host side gets .1 of the /30, the "pod" .2.
import { execFile, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { promisify } from 'node:util';
import { testCluster } from './cluster.js';

const execFileAsync = promisify(execFile);

export interface NetworkNamespace {
  /** `ip netns` name: sk8s-<clusterId>-<suffix>, which `test-cluster down` also cleans up. */
  name: string;
  hostIp: string;
  podIp: string;
  /** Runs a command inside the namespace (`ip netns exec`). */
  spawn(command: string, args: string[], options?: SpawnOptions): ChildProcess;
  /** Kills what still runs inside and deletes the namespace (and with it the veth pair). Idempotent. */
  destroy(): Promise<void>;
}

export type NetnsSupport = { ok: true } | { ok: false; reason: string };

const ip = async (...args: string[]): Promise<string> => (await execFileAsync('ip', args)).stdout;

let support: Promise<NetnsSupport> | undefined;

/** Whether this machine lets the tests create network namespaces (root and iproute2); checked once. */
export function netnsSupport(): Promise<NetnsSupport> {
  support ??= (async (): Promise<NetnsSupport> => {
    if (process.getuid?.() !== 0)
      return { ok: false, reason: 'network namespaces need root (ip netns add)' };
    try {
      const probe = await createNetns();
      await probe.destroy();
      return { ok: true };
    } catch (err) {
      return {
        ok: false,
        reason: `cannot create a network namespace: ${(err as Error).message.split('\n')[0]}`,
      };
    }
  })();
  return support;
}

async function usedSubnets(): Promise<Set<string>> {
  const out = await ip('-o', '-4', 'addr', 'show');
  const used = new Set<string>();
  for (const match of out.matchAll(/inet 10\.203\.(\d+)\.(\d+)\//g)) {
    used.add(`${match[1]}.${Math.floor(Number(match[2]) / 4) * 4}`);
  }
  return used;
}

async function freeSubnet(): Promise<{ hostIp: string; podIp: string }> {
  const used = await usedSubnets();
  for (let attempt = 0; attempt < 100; attempt++) {
    const third = randomInt(0, 256);
    const base = randomInt(0, 64) * 4;
    if (!used.has(`${third}.${base}`))
      return { hostIp: `10.203.${third}.${base + 1}`, podIp: `10.203.${third}.${base + 2}` };
  }
  throw new Error('no free /30 in 10.203.0.0/16');
}

async function killInside(name: string): Promise<void> {
  const pids = await ip('netns', 'pids', name).catch(() => '');
  for (const pid of pids.split('\n').filter(Boolean)) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

export async function createNetns(): Promise<NetworkNamespace> {
  const suffix = randomBytes(3).toString('hex');
  const name = `sk8s-${testCluster().clusterId}-${suffix}`;
  // Interface names are limited to 15 characters.
  const hostIf = `sk8h${suffix}`;
  const podIf = `sk8p${suffix}`;
  const { hostIp, podIp } = await freeSubnet();
  let destroyed = false;
  const destroy = async (): Promise<void> => {
    if (destroyed) return;
    destroyed = true;
    await killInside(name);
    await ip('netns', 'delete', name).catch(() => undefined);
    // Deleting the namespace removes the pair; this only matters when setup failed half-way.
    await ip('link', 'delete', hostIf).catch(() => undefined);
  };
  try {
    await ip('netns', 'add', name);
    await ip('link', 'add', hostIf, 'type', 'veth', 'peer', 'name', podIf, 'netns', name);
    await ip('addr', 'add', `${hostIp}/30`, 'dev', hostIf);
    await ip('link', 'set', hostIf, 'up');
    await ip('-n', name, 'addr', 'add', `${podIp}/30`, 'dev', podIf);
    await ip('-n', name, 'link', 'set', podIf, 'up');
    await ip('-n', name, 'link', 'set', 'lo', 'up');
  } catch (err) {
    await destroy();
    throw err;
  }
  return {
    name,
    hostIp,
    podIp,
    spawn: (command, args, options = {}) =>
      spawn('ip', ['netns', 'exec', name, command, ...args], options),
    destroy,
  };
}
