// Default code delivery, no registry: the function bundle plus the runtime go into a ConfigMap
// whose name carries the content hash. The Knative Service mounts it into a stock Node image, so a
// code change changes the revision template (new Revision) while old Revisions keep their code.
import type { KubeObject } from '../../cluster/types.js';
import type { FunctionModel, ServiceModel } from '../../model/types.js';
import type { FunctionArtifact } from '../../packaging/types.js';
import { UserError } from '../../util/errors.js';
import { CONFIG_MAP, functionLabels, sha256Hex } from './api.js';

export const CODE_MOUNT_PATH = '/var/run/sk8s';
export const RUNTIME_FILE_NAME = 'runtime.js';
export const CODE_VOLUME_NAME = 'sk8s-code';
/** The API server's limit for a ConfigMap's data + binaryData (keys and values, raw bytes). */
export const CONFIG_MAP_LIMIT_BYTES = 1024 * 1024;

export interface CodeDelivery {
  configMap: KubeObject;
  volume: Record<string, unknown>;
  volumeMount: Record<string, unknown>;
  /** Container command that starts the runtime on the mounted module. */
  command: string[];
}

const CONFIG_MAP_KEY = /^[-._a-zA-Z0-9]+$/;

function mebibytes(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(2)} MiB`;
}

/** The files the ConfigMap holds: the function's bundle files plus the runtime, by mount path. */
export function codeFiles(
  fn: FunctionModel,
  artifact: FunctionArtifact,
  runtime: Buffer,
): Map<string, Buffer> {
  if (artifact.files[RUNTIME_FILE_NAME] !== undefined) {
    throw new UserError(
      `functions.${fn.key}: the bundle has a file named ${RUNTIME_FILE_NAME} (bundles are named after the function), ` +
        `which is where the runtime is mounted; set \`name:\` on the function to something other than "runtime".`,
    );
  }
  const files = new Map<string, Buffer>();
  for (const name of Object.keys(artifact.files).sort())
    files.set(name, artifact.files[name] as Buffer);
  files.set(RUNTIME_FILE_NAME, runtime);
  return files;
}

/** `sha256` over names and contents: the same code always gives the same ConfigMap name. */
export function contentHash(files: Map<string, Buffer>): string {
  const parts: (string | Buffer)[] = [];
  for (const [name, content] of [...files.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
    parts.push(name, '\0', String(content.length), '\0', content);
  }
  return sha256Hex(...parts);
}

export function codeDelivery(
  model: ServiceModel,
  fn: FunctionModel,
  artifact: FunctionArtifact,
  runtime: Buffer,
): CodeDelivery {
  if (!fn.handler) {
    throw new UserError(
      `functions.${fn.key}: set \`handler: file.export\` or \`image:\` (a prebuilt image).`,
    );
  }
  const files = codeFiles(fn, artifact, runtime);
  let totalBytes = 0;
  for (const [name, content] of files) totalBytes += name.length + content.length;
  if (totalBytes > CONFIG_MAP_LIMIT_BYTES) {
    const runtimeBytes = runtime.length;
    throw new UserError(
      `functions.${fn.key}: the code ConfigMap would be ${mebibytes(totalBytes)} ` +
        `(function bundle ${mebibytes(totalBytes - runtimeBytes)}, runtime ${mebibytes(runtimeBytes)}), ` +
        `over the Kubernetes ConfigMap limit of 1 MiB. Deploy a prebuilt image instead: set \`image: <registry>/<name>:<tag>\` ` +
        `on the function (or \`build: docker\` with \`image:\` to have it built and pushed), or make the bundle smaller.`,
    );
  }

  // Keys must match [-._a-zA-Z0-9]+; nested bundle paths get a flat key and an `items` mapping.
  const binaryData: Record<string, string> = {};
  const items: { key: string; path: string }[] = [];
  let needsItems = false;
  for (const [path, content] of files) {
    const key = CONFIG_MAP_KEY.test(path) ? path : path.replace(/[^-._a-zA-Z0-9]/g, '_');
    if (key !== path) needsItems = true;
    if (binaryData[key] !== undefined) {
      throw new UserError(
        `functions.${fn.key}: bundle files "${path}" and another file both map to ConfigMap key "${key}".`,
      );
    }
    binaryData[key] = content.toString('base64');
    items.push({ key, path });
  }

  const name = `${fn.name}-code-${contentHash(files).slice(0, 8)}`;
  const configMap: KubeObject = {
    apiVersion: CONFIG_MAP.apiVersion,
    kind: CONFIG_MAP.kind,
    metadata: { name, namespace: fn.namespace, labels: functionLabels(model, fn) },
    // Content-addressed, so it never changes; immutable also spares the kubelet a watch.
    immutable: true,
    binaryData,
  };
  return {
    configMap,
    volume: { name: CODE_VOLUME_NAME, configMap: needsItems ? { name, items } : { name } },
    volumeMount: { name: CODE_VOLUME_NAME, mountPath: CODE_MOUNT_PATH, readOnly: true },
    command: [
      'node',
      `${CODE_MOUNT_PATH}/${RUNTIME_FILE_NAME}`,
      `${CODE_MOUNT_PATH}/${artifact.moduleFileName}`,
      '--handler',
      fn.handler.exportName,
    ],
  };
}

/** The code ConfigMap names a Revision (or Service template) spec mounts. */
export function codeConfigMapNames(podSpec: Record<string, unknown> | undefined): string[] {
  const volumes = (podSpec?.volumes ?? []) as { name?: string; configMap?: { name?: string } }[];
  return volumes
    .filter((v) => v.name === CODE_VOLUME_NAME && v.configMap?.name)
    .map((v) => v.configMap?.name as string);
}
