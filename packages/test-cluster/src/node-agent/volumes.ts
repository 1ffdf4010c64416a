// Materializes a pod's volumes on the node's disk, as the kubelet's volume plugins do: emptyDir,
// configMap, secret, downwardAPI, projected (of those) and hostPath. A missing ConfigMap or Secret
// that is not optional keeps the pod waiting (FailedMount), as it does on a kubelet.
import { chmod, chown, mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join, normalize } from 'node:path';
import type {
  ConfigMap,
  DownwardAPIVolumeFile,
  KeyToPath,
  Pod,
  Secret,
  Volume,
  VolumeProjection,
} from 'kubernetes-types/core/v1.js';
import type { KubeApi } from '../kube-api.js';
import { fieldRefValue } from './env.js';

export class MountError extends Error {}

/** A volume on disk: the directory to bind into containers (hostPath: the host's own path). */
export interface MaterializedVolume {
  name: string;
  path: string;
}

interface FileToWrite {
  path: string;
  content: Buffer;
  mode: number;
}

async function readObject<T>(api: KubeApi, path: string): Promise<T | undefined> {
  const resp = await api.request<T>('GET', path);
  if (resp.status === 404) return undefined;
  if (resp.status !== 200) throw new MountError(`GET ${path}: HTTP ${resp.status}`);
  return resp.body;
}

/** The files of a configMap or secret source: every key, or the listed items. */
function keyFiles(
  data: Record<string, Buffer>,
  items: KeyToPath[] | undefined,
  defaultMode: number,
  what: string,
  optional: boolean,
): FileToWrite[] {
  if (!items) {
    return Object.entries(data).map(([key, content]) => ({
      path: key,
      content,
      mode: defaultMode,
    }));
  }
  return items.flatMap((item) => {
    const content = data[item.key];
    if (content === undefined) {
      if (optional) return [];
      throw new MountError(`configmap references non-existent config key: ${item.key} (${what})`);
    }
    return [{ path: item.path, content, mode: item.mode ?? defaultMode }];
  });
}

async function configMapFiles(
  api: KubeApi,
  namespace: string,
  source: { name?: string; items?: KeyToPath[]; optional?: boolean },
  defaultMode: number,
): Promise<FileToWrite[]> {
  const cm = await readObject<ConfigMap>(
    api,
    `/api/v1/namespaces/${namespace}/configmaps/${source.name ?? ''}`,
  );
  if (!cm) {
    if (source.optional) return [];
    throw new MountError(`configmap "${source.name ?? ''}" not found`);
  }
  const data: Record<string, Buffer> = {};
  for (const [key, value] of Object.entries(cm.data ?? {})) data[key] = Buffer.from(value, 'utf8');
  for (const [key, value] of Object.entries(cm.binaryData ?? {}))
    data[key] = Buffer.from(value, 'base64');
  return keyFiles(
    data,
    source.items,
    defaultMode,
    `configmap ${source.name ?? ''}`,
    !!source.optional,
  );
}

async function secretFiles(
  api: KubeApi,
  namespace: string,
  source: { name?: string; secretName?: string; items?: KeyToPath[]; optional?: boolean },
  defaultMode: number,
): Promise<FileToWrite[]> {
  const name = source.secretName ?? source.name ?? '';
  const secret = await readObject<Secret>(api, `/api/v1/namespaces/${namespace}/secrets/${name}`);
  if (!secret) {
    if (source.optional) return [];
    throw new MountError(`secret "${name}" not found`);
  }
  const data: Record<string, Buffer> = {};
  for (const [key, value] of Object.entries(secret.data ?? {}))
    data[key] = Buffer.from(value, 'base64');
  return keyFiles(data, source.items, defaultMode, `secret ${name}`, !!source.optional);
}

function downwardFiles(
  pod: Pod,
  items: DownwardAPIVolumeFile[],
  defaultMode: number,
): FileToWrite[] {
  return items.map((item) => {
    if (!item.fieldRef) {
      throw new MountError(
        `downwardAPI item ${item.path}: only fieldRef is supported by the node agent`,
      );
    }
    return {
      path: item.path,
      content: Buffer.from(fieldRefValue(pod, item.fieldRef.fieldPath)),
      mode: item.mode ?? defaultMode,
    };
  });
}

async function projectedFiles(
  api: KubeApi,
  pod: Pod,
  sources: VolumeProjection[],
  defaultMode: number,
): Promise<FileToWrite[]> {
  const files: FileToWrite[] = [];
  for (const source of sources) {
    const namespace = pod.metadata?.namespace ?? 'default';
    if (source.configMap)
      files.push(...(await configMapFiles(api, namespace, source.configMap, defaultMode)));
    else if (source.secret)
      files.push(...(await secretFiles(api, namespace, source.secret, defaultMode)));
    else if (source.downwardAPI)
      files.push(...downwardFiles(pod, source.downwardAPI.items ?? [], defaultMode));
    else
      throw new MountError(
        'projected volume source not supported by the node agent (serviceAccountToken)',
      );
  }
  return files;
}

async function writeFiles(
  dir: string,
  files: FileToWrite[],
  fsGroup: number | undefined,
): Promise<void> {
  for (const file of files) {
    const target = normalize(join(dir, file.path));
    if (!target.startsWith(`${dir}/`))
      throw new MountError(`item path ${file.path} leaves the volume`);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, file.content);
    await chmod(target, file.mode);
    if (fsGroup !== undefined) await chown(target, 0, fsGroup);
  }
}

/** Writes one volume under `podDir/volumes/<name>`; throws MountError while it cannot be made. */
export async function materializeVolume(
  api: KubeApi,
  pod: Pod,
  volume: Volume,
  podDir: string,
): Promise<MaterializedVolume> {
  const namespace = pod.metadata?.namespace ?? 'default';
  const fsGroup = pod.spec?.securityContext?.fsGroup;
  if (volume.hostPath) return { name: volume.name, path: volume.hostPath.path };
  const dir = join(podDir, 'volumes', volume.name);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  let files: FileToWrite[];
  if (volume.emptyDir) {
    // emptyDir is world-writable, as the kubelet makes it.
    await chmod(dir, 0o777);
    return { name: volume.name, path: dir };
  } else if (volume.configMap) {
    files = await configMapFiles(
      api,
      namespace,
      volume.configMap,
      volume.configMap.defaultMode ?? 0o644,
    );
  } else if (volume.secret) {
    files = await secretFiles(api, namespace, volume.secret, volume.secret.defaultMode ?? 0o644);
  } else if (volume.downwardAPI) {
    files = downwardFiles(
      pod,
      volume.downwardAPI.items ?? [],
      volume.downwardAPI.defaultMode ?? 0o644,
    );
  } else if (volume.projected) {
    files = await projectedFiles(
      api,
      pod,
      volume.projected.sources ?? [],
      volume.projected.defaultMode ?? 0o644,
    );
  } else {
    const type = Object.keys(volume).find((key) => key !== 'name') ?? 'unknown';
    throw new MountError(
      `volume "${volume.name}": type ${type} is not supported by the node agent`,
    );
  }
  await writeFiles(dir, files, fsGroup);
  if (fsGroup !== undefined) await chown(dir, 0, fsGroup);
  return { name: volume.name, path: dir };
}
