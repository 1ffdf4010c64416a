// The node agent has no container runtime: an image maps to local programs by this table
// (docs/testing.md lists it). Every container's root file system is the host's /usr and /etc,
// read-only, plus what the image adds; the image's config (user, working directory, entrypoint,
// command, env) is what its Dockerfile declares. Any other image fails to pull, as it would from a
// registry that does not have it.

/** What a container runtime takes from an image's config. */
export interface LocalImage {
  /** Host directories bind-mounted read-only into the container (host path → container path). */
  binds: { hostPath: string; containerPath: string }[];
  user: number;
  workingDir: string;
  entrypoint: string[];
  cmd: string[];
  env: Record<string, string>;
}

const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * The Node.js major of a kubeless/nodejs image: the digests a stock kubeless-config 1.0.8 pins
 * (runtime-images of kubeless/runtimes @325e024), or a tag; 14 (the newest) otherwise.
 */
const KUBELESS_NODE_DIGESTS: Record<string, number> = {
  'sha256:09dcc6a644a2e28fa13988ff6e3755627cb83ac0e65f9a89c8c2a13c3560493b': 10,
  'sha256:90fd5aed17af289489b7ae32233d268dd5cc4c9ebc6b934910fd5f1bbdb7cdd1': 12,
  'sha256:f3645b5e8417e5bcc905446e1fac8a7d565be74eeba4fd80c2487c5d43a32a7b': 14,
};

function kubelessNodeMajor(image: string): number {
  const digest = image.split('@')[1];
  if (digest && KUBELESS_NODE_DIGESTS[digest]) return KUBELESS_NODE_DIGESTS[digest];
  const tag = /:(\d+)[^/]*$/.exec(image.split('@')[0] ?? '')?.[1];
  return tag === '10' || tag === '12' ? Number(tag) : 14;
}

/** Splits `registry/repo/name:tag@sha256:…` into the repository path without registry or tag. */
export function imageRepository(image: string): string {
  let ref = image.split('@')[0] ?? image;
  const lastSlash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  if (colon > lastSlash) ref = ref.slice(0, colon);
  const parts = ref.split('/');
  // A first part with a dot or a port is a registry host (docker.io/…, ghcr.io/…, localhost:5000/…).
  if (parts.length > 1 && /[.:]|^localhost$/.test(parts[0] ?? '')) parts.shift();
  if (parts[0] === 'library') parts.shift();
  return parts.join('/');
}

export function resolveImage(
  image: string,
  kubelessRuntimeDir: string,
): { image: LocalImage } | { problem: string } {
  const repository = imageRepository(image);
  // Kubeless's Node.js runtime images (stable/nodejs/Dockerfile.{10,12,14} of kubeless/runtimes):
  // FROM bitnami/node:<major> (Node.js in /opt/bitnami/node), WORKDIR /kubeless_rt/, USER 1000,
  // CMD ["node", "kubeless.js"], and /kubeless-npm-install.sh for the installation phase.
  if (repository === 'kubeless/nodejs') {
    const major = kubelessNodeMajor(image);
    return {
      image: {
        binds: [
          { hostPath: `${kubelessRuntimeDir}/runtime`, containerPath: '/kubeless_rt' },
          { hostPath: `${kubelessRuntimeDir}/node${major}`, containerPath: '/opt/bitnami/node' },
          {
            hostPath: `${kubelessRuntimeDir}/runtime/kubeless-npm-install.sh`,
            containerPath: '/kubeless-npm-install.sh',
          },
        ],
        user: 1000,
        workingDir: '/kubeless_rt/',
        entrypoint: [],
        cmd: ['node', 'kubeless.js'],
        env: { PATH: `/opt/bitnami/node/bin:${DEFAULT_PATH}` },
      },
    };
  }
  // Kubeless's provision image (docker/unzip: minideb with unzip, curl, tar): the host's tools.
  if (repository === 'kubeless/unzip') {
    return {
      image: {
        binds: [],
        user: 0,
        workingDir: '/',
        entrypoint: [],
        cmd: [],
        env: { PATH: DEFAULT_PATH },
      },
    };
  }
  // The official Node.js images: the host's node (ENTRYPOINT docker-entrypoint.sh runs the command).
  if (repository === 'node') {
    return {
      image: {
        binds: [],
        user: 0,
        workingDir: '/',
        entrypoint: [],
        cmd: ['node'],
        env: { PATH: DEFAULT_PATH },
      },
    };
  }
  // curl images (curlimages/curl: ENTRYPOINT ["/entrypoint.sh"], CMD ["curl"]): the host's curl.
  if (/(^|\/)curl$/.test(repository)) {
    return {
      image: {
        binds: [],
        user: 100,
        workingDir: '/',
        entrypoint: ['curl'],
        cmd: [],
        env: { PATH: DEFAULT_PATH },
      },
    };
  }
  return {
    problem:
      `rpc error: code = Unknown desc = image "${image}" is not in the node agent's image table ` +
      '(kubeless/nodejs, kubeless/unzip, node, curl; see docs/testing.md)',
  };
}
