// Runs one container as a process, the way a container runtime would, with the host's own tools:
// `ip netns exec` puts it in the pod's network namespace (and a private mount namespace), a shell
// prologue builds its root file system there (a tmpfs with the host's /usr and /etc read-only, its
// own /tmp and /dev, the pod's /etc/hosts, the image's files and the volumes at their mount
// paths), and `chroot --userspec` starts the command as the container's user in its working
// directory. Nothing of this is visible outside the process's mount namespace.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, posix } from 'node:path';
import type { LocalImage } from './images.js';

export interface ContainerMount {
  /** Host path of the volume (or a file or directory inside it, for subPath). */
  hostPath: string;
  containerPath: string;
  readOnly: boolean;
}

export interface ContainerLaunch {
  netns: string;
  /** Per-run directory on the host: the root file system's mount point and the launch script. */
  runDir: string;
  image: LocalImage;
  mounts: ContainerMount[];
  /** Files bound over /etc/hosts and /etc/hostname. */
  hostsFile: string;
  hostnameFile: string;
  /** Host file bound at terminationMessagePath. */
  terminationLog: { hostPath: string; containerPath: string };
  argv: string[];
  env: Record<string, string>;
  workingDir: string;
  uid: number;
  gid: number;
  supplementalGroups: number[];
}

const quote = (value: string): string => `'${value.replace(/'/g, `'\\''`)}'`;

/** The container path under the root file system, without leaving it. */
const inRoot = (path: string): string => `"$R"${quote(posix.normalize(`/${path}`))}`;

/**
 * The prologue runs as root inside `ip netns exec` (which already unshared the mount namespace
 * and made it a slave of the host's): every mount lands in that namespace only.
 */
function launchScript(launch: ContainerLaunch, rootfs: string): string {
  const lines = [
    'set -e',
    `R=${quote(rootfs)}`,
    '/usr/bin/mount -t tmpfs -o mode=0755 rootfs "$R"',
    'cd "$R"',
    '/usr/bin/mkdir -p usr etc proc sys dev tmp run var/run var/tmp root home',
    // Debian's merged /usr: the top-level directories are relative links into it.
    '/usr/bin/ln -s usr/bin bin && /usr/bin/ln -s usr/sbin sbin && /usr/bin/ln -s usr/lib lib && /usr/bin/ln -s usr/lib64 lib64',
    '/usr/bin/mount --rbind /usr "$R/usr" && /usr/bin/mount -o remount,bind,ro "$R/usr"',
    '/usr/bin/mount --bind /etc "$R/etc" && /usr/bin/mount -o remount,bind,ro "$R/etc"',
    `/usr/bin/mount --bind ${quote(launch.hostsFile)} "$R/etc/hosts"`,
    `/usr/bin/mount --bind ${quote(launch.hostnameFile)} "$R/etc/hostname"`,
    '/usr/bin/mount -t proc proc "$R/proc"',
    '/usr/bin/mount --rbind /sys "$R/sys" && /usr/bin/mount -o remount,bind,ro "$R/sys"',
    '/usr/bin/mount -t tmpfs -o mode=1777 tmp "$R/tmp"',
    '/usr/bin/chmod 1777 "$R/var/tmp"',
    '/usr/bin/mount -t tmpfs -o mode=0755 dev "$R/dev"',
    'for d in null zero full random urandom tty; do /usr/bin/touch "$R/dev/$d"; /usr/bin/mount --bind "/dev/$d" "$R/dev/$d"; done',
    '/usr/bin/mkdir -p "$R/dev/shm" && /usr/bin/mount -t tmpfs -o mode=1777 shm "$R/dev/shm"',
    '/usr/bin/ln -s /proc/self/fd "$R/dev/fd" && /usr/bin/ln -s /proc/self/fd/0 "$R/dev/stdin"',
    '/usr/bin/ln -s /proc/self/fd/1 "$R/dev/stdout" && /usr/bin/ln -s /proc/self/fd/2 "$R/dev/stderr"',
  ];
  const bind = (hostPath: string, containerPath: string, readOnly: boolean): void => {
    const target = inRoot(containerPath);
    // A file is bound onto a file, a directory onto a directory.
    lines.push(
      `if [ -d ${quote(hostPath)} ]; then /usr/bin/mkdir -p ${target}; else /usr/bin/mkdir -p "$(/usr/bin/dirname ${target})"; /usr/bin/touch ${target}; fi`,
      `/usr/bin/mount --bind ${quote(hostPath)} ${target}`,
    );
    if (readOnly) lines.push(`/usr/bin/mount -o remount,bind,ro ${target}`);
  };
  for (const extra of launch.image.binds) bind(extra.hostPath, extra.containerPath, true);
  for (const mount of launch.mounts) bind(mount.hostPath, mount.containerPath, mount.readOnly);
  bind(launch.terminationLog.hostPath, launch.terminationLog.containerPath, false);
  lines.push(`/usr/bin/mkdir -p ${inRoot(launch.workingDir)}`);
  const groups =
    launch.supplementalGroups.length > 0 ? ` --groups=${launch.supplementalGroups.join(',')}` : '';
  // The shell in the new root changes into the working directory and execs the command, so the
  // container's main process keeps this process's pid from `ip netns exec` on.
  lines.push(
    `exec /usr/sbin/chroot --userspec=${launch.uid}:${launch.gid}${groups} "$R" /bin/sh -c 'cd "$0" && exec "$@"' ${quote(
      launch.workingDir,
    )} ${launch.argv.map(quote).join(' ')}`,
  );
  return `${lines.join('\n')}\n`;
}

/**
 * Starts the container's process in its own process group (so a signal reaches what it starts).
 * The container's environment is the process environment: it never appears on a command line.
 */
export async function startContainerProcess(launch: ContainerLaunch): Promise<ChildProcess> {
  const rootfs = join(launch.runDir, 'rootfs');
  await mkdir(rootfs, { recursive: true });
  const script = join(launch.runDir, 'launch.sh');
  await writeFile(script, launchScript(launch, rootfs), { mode: 0o700 });
  return spawn('/usr/sbin/ip', ['netns', 'exec', launch.netns, '/bin/sh', script], {
    env: launch.env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}
