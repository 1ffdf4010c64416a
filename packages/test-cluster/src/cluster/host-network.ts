// The host network resources a cluster takes: address ranges that no interface uses yet (several
// clusters may share a machine), and the sweep `down` runs for whatever a crashed run left behind.
import { spawnSync } from 'node:child_process';

function usedAddresses(): string[] {
  const out = spawnSync('ip', ['-o', '-4', 'addr', 'show'], { encoding: 'utf8' }).stdout ?? '';
  return [...out.matchAll(/inet (\d+\.\d+\.\d+\.\d+)\//g)].map((m) => m[1] ?? '');
}

/** A free /16 for Services in 10.96.0.0/12, the range Kubernetes itself defaults to. */
export function freeServiceSubnet(): string {
  const used = new Set(usedAddresses().map((a) => a.split('.').slice(0, 2).join('.')));
  const candidates = Array.from({ length: 16 }, (_, i) => `10.${96 + i}`).filter(
    (p) => !used.has(p),
  );
  const pick = candidates[Math.floor(Math.random() * candidates.length)];
  if (!pick) throw new Error('no free /16 for Services in 10.96.0.0/12');
  return `${pick}.0.0/16`;
}

/** A free /24 for the node agent's pods in 10.204.0.0/16. */
export function freePodSubnet(): string {
  const used = new Set(
    usedAddresses()
      .filter((a) => a.startsWith('10.204.'))
      .map((a) => a.split('.')[2]),
  );
  for (let attempt = 0; attempt < 256; attempt++) {
    const third = String(Math.floor(Math.random() * 256));
    if (!used.has(third)) return `10.204.${third}.0/24`;
  }
  throw new Error('no free /24 for pods in 10.204.0.0/16');
}

function ownNetns(prefix: string): string[] {
  const listed = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  if (listed.status !== 0) return [];
  return listed.stdout
    .split('\n')
    .map((line) => line.split(' ')[0] ?? '')
    .filter((name) => name.startsWith(prefix));
}

/** Kills what still runs inside this cluster's network namespaces, deletes them and the bridge. */
export function sweepHostNetwork(netnsPrefix: string, bridge: string | undefined): void {
  for (const name of ownNetns(netnsPrefix)) {
    const pids = spawnSync('ip', ['netns', 'pids', name], { encoding: 'utf8' }).stdout ?? '';
    for (const pid of pids.split('\n').filter(Boolean)) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // already gone
      }
    }
    spawnSync('ip', ['netns', 'delete', name], { stdio: 'ignore' });
  }
  if (bridge) spawnSync('ip', ['link', 'delete', bridge], { stdio: 'ignore' });
}
